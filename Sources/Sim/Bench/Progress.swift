import Foundation
import Engine

/// One updating line on stderr for a long `run` or `bench` (virtual time reached, kernel events
/// per wall second, pods), shown only when stderr is a terminal and only after two seconds of
/// wall time; cleared at the end.
///
/// It is called from the kernel's `onProgress` hook every 65,536 events and reads the wall clock
/// for display only: nothing it does reaches the simulation, its digest or its trace.
public final class ProgressLine {
    private let label: String
    private let write: (String) -> Void
    private let started: UInt64
    private var lastDraw: UInt64 = 0
    private var lastEvents: UInt64 = 0
    private var lastTick: UInt64
    private var shown = false
    /// Seconds of wall time before the line first appears.
    let delay: Double

    init(label: String, delay: Double = 2, write: @escaping (String) -> Void) {
        self.label = label
        self.delay = delay
        self.write = write
        started = monotonicNanos()
        lastTick = started
    }

    /// A progress line for `label` on stderr if stderr is a terminal, else nil.
    public static func forTerminal(label: String) -> ProgressLine? {
        guard isatty(2) != 0 else { return nil }
        return ProgressLine(label: label) { s in FileHandle.standardError.write(Data(s.utf8)) }
    }

    /// Follows `sim` from now on (one simulation at a time).
    public func attach(_ sim: Simulation) {
        lastEvents = sim.kernel.eventsRun
        lastTick = monotonicNanos()
        let kernel = sim.kernel
        kernel.onProgress = { [unowned self, unowned sim] in self.tick(sim) }
    }

    public func detach(_ sim: Simulation) { sim.kernel.onProgress = nil }

    private func tick(_ sim: Simulation) {
        let now = monotonicNanos()
        guard Double(now - started) / 1e9 >= delay, now - lastDraw >= 200_000_000 else { return }
        let events = sim.kernel.eventsRun
        let rate = Double(events - lastEvents) / max(1e-9, Double(now - lastTick) / 1e9)
        lastEvents = events
        lastTick = now
        lastDraw = now
        shown = true
        let line = "\(label): +\(formatSeconds(sim.kernel.clock.elapsed.rounded())) virtual, \(BenchReport.fmt(rate)) events/s, \(BenchReport.group(sim.server.count(.pod))) pods"
        write("\r\u{1B}[2K" + line)
    }

    /// Clears the line if it was shown.
    public func finish() {
        if shown { write("\r\u{1B}[2K") }
        shown = false
    }
}
