import Foundation
import Engine

/// What one bench run simulated: the same workload, node count and seed give the same figures,
/// byte for byte (nothing here depends on the wall clock).
public struct BenchVirtual: Equatable, Sendable {
    /// Whether the workload reached its goal before the run's cap (broadcast: the job finished;
    /// reconcile: every pod running; cron-day and churn: always, they run a fixed time).
    public var completed: Bool
    public var virtualSeconds: Double
    public var kernelEvents: UInt64
    public var podLifecycles: Int
    /// Reconciles of every controller (controller manager and scheduler).
    public var reconciles: Int
    /// Writes the API server applied (its resourceVersion), the scenario's own included.
    public var apiWrites: Int64
    /// Rollout durations in virtual seconds, one per job that finished (see `BenchWorkload.rolloutTarget`).
    public var rollouts: [Double]
    /// Pods in the API server at the end of the run, and the most at once during it.
    public var podsAtEnd: Int
    public var podsPeak: Int
    /// Client calls per component, in `ClientComponent` order.
    public var apiCalls: [Int]
    public var controllers: [ControllerFigures]
    /// Every reconcile's duration, all controllers: p50 and p99 in virtual seconds.
    public var reconcileP50: Double?
    public var reconcileP99: Double?
    public var digest: String
    /// The reconcile workload: calls and writes per measured reconcile.
    public var measured: MeasuredReconciles?

    public struct ControllerFigures: Equatable, Sendable {
        public var name: String
        public var reconciles: Int
        public var p50: Double?
        public var p99: Double?
        public var peakQueueDepth: Int
    }

    public struct MeasuredReconciles: Equatable, Sendable {
        public var count: Int
        public var apiCallsPerReconcile: Double
        public var apiWritesPerReconcile: Double
    }

    public var rolloutMedian: Double? { median(rollouts) }
    public var rolloutMax: Double? { rollouts.max() }
    public var peakQueueDepth: Int { controllers.map(\.peakQueueDepth).max() ?? 0 }
    public func apiCalls(_ c: ClientComponent) -> Int { apiCalls[c.rawValue] }
}

/// What one bench run cost on this machine.
public struct BenchWall: Sendable {
    public var wallSeconds: Double
    /// The process's peak resident memory during the run (reset before it where Linux allows).
    public var peakMemoryBytes: Int64?
    /// The reconcile workload: wall seconds per measured reconcile (the median of them).
    public var secondsPerReconcile: Double?
}

/// The figures `kruise-sim bench` prints: the virtual ones (identical on every run with one
/// seed) and the median of each wall figure over the runs.
public struct BenchResult: Sendable {
    public var workload: BenchWorkload
    public var nodes: Int
    public var seed: UInt64
    public var virtual: BenchVirtual
    public var runs: [BenchWall]
    /// True when repeated runs did not give identical virtual figures (a determinism bug).
    public var virtualDiffered: Bool

    public var wallSeconds: Double { median(runs.map(\.wallSeconds))! }
    public var peakMemoryBytes: Int64? { median(runs.compactMap(\.peakMemoryBytes).map(Double.init)).map { Int64($0) } }
    public var secondsPerReconcile: Double? { median(runs.compactMap(\.secondsPerReconcile)) }
    public var timeCompression: Double { perWall(virtual.virtualSeconds) }
    func perWall(_ x: Double) -> Double { wallSeconds > 0 ? x / wallSeconds : .infinity }
    func perVirtual(_ x: Int) -> Double { virtual.virtualSeconds > 0 ? Double(x) / virtual.virtualSeconds : 0 }
}

public enum Bench {
    public static let nodeRange = 1...Limits.maxNodes
    /// Reconciles timed per run by the `reconcile` workload, unless told.
    public static let defaultMeasuredReconciles = 10

    /// Runs `workload` `repeats` times and returns the figures.
    public static func run(_ workload: BenchWorkload, nodes: Int, seed: UInt64 = 1, repeats: Int = 1,
                           measuredReconciles: Int = defaultMeasuredReconciles, progress: ProgressLine? = nil) throws -> BenchResult {
        let scenario = try workload.scenario(nodes: nodes, seed: seed)
        var first: BenchVirtual?
        var walls: [BenchWall] = []
        var differed = false
        for _ in 0..<max(1, repeats) {
            let (v, w) = runOnce(workload, scenario: scenario, measuredReconciles: measuredReconciles, progress: progress)
            if let f = first, f != v { differed = true }
            if first == nil { first = v }
            walls.append(w)
        }
        progress?.finish()
        return BenchResult(workload: workload, nodes: nodes, seed: seed, virtual: first!, runs: walls, virtualDiffered: differed)
    }

    static func runOnce(_ workload: BenchWorkload, scenario: Scenario, measuredReconciles: Int, progress: ProgressLine?) -> (BenchVirtual, BenchWall) {
        ExitTeardown.dropKept()
        resetPeakMemory()
        let start = monotonicNanos()
        let sim = Simulation(scenario: scenario)
        let tally = CallTally()
        sim.server.callTally = tally
        let stats = ReconcileStats()
        sim.reconcileStats = stats
        let observer = BenchObserver(workload: workload, startNodes: scenario.nodes.flatMap(\.names))
        observer.onGoal = { [unowned sim] in sim.kernel.stopRequested = true }
        sim.server.observers.append { observer.observe($0) }
        progress?.attach(sim)
        let outcome = sim.run()
        let wall = Double(monotonicNanos() - start) / 1e9

        var measured: BenchVirtual.MeasuredReconciles?
        var perReconcile: Double?
        if workload == .reconcile, observer.goalReached {
            (measured, perReconcile) = measure(sim, tally: tally, count: max(1, measuredReconciles))
        }
        let peak = peakMemoryBytes()
        progress?.detach(sim)
        ExitTeardown.keep(sim)

        var all: [Int64] = []
        var controllers: [BenchVirtual.ControllerFigures] = []
        for name in stats.controllers.keys.sorted() {
            let c = stats.controllers[name]!
            let d = c.durations.sorted()
            all.append(contentsOf: c.durations)
            controllers.append(.init(name: name, reconciles: d.count, p50: percentile(d, 0.50), p99: percentile(d, 0.99), peakQueueDepth: c.peakDepth))
        }
        all.sort()
        let completed = workload == .broadcast || workload == .reconcile ? observer.goalReached : true
        let v = BenchVirtual(completed: completed, virtualSeconds: outcome.endTime.seconds(since: scenario.start), kernelEvents: outcome.events,
                             podLifecycles: observer.podLifecycles, reconciles: all.count, apiWrites: outcome.writes,
                             rollouts: observer.rollouts, podsAtEnd: observer.podsStored, podsPeak: observer.podsStoredPeak, apiCalls: ClientComponent.allCases.map { tally[$0] }, controllers: controllers,
                             reconcileP50: percentile(all, 0.50), reconcileP99: percentile(all, 0.99), digest: outcome.digest, measured: measured)
        return (v, BenchWall(wallSeconds: wall, peakMemoryBytes: peak, secondsPerReconcile: perReconcile))
    }

    /// After the broadcast is steady: let the controllers settle, then reconcile the job's key
    /// `count` times through the host (dequeue, task, API calls, return), each timed alone.
    static func measure(_ sim: Simulation, tally: CallTally, count: Int) -> (BenchVirtual.MeasuredReconciles, Double?) {
        let kernel = sim.kernel
        let cm = sim.controllerManager!
        let scheduler = sim.scheduler!
        kernel.stopRequested = false
        // From here on only the components act (the checks have finished).
        kernel.afterBatch = { scheduler.host.pump(); cm.host.pump() }
        let key = "default/\(BenchWorkload.jobName)"
        let nodes = sim.scenario.nodes.reduce(0) { $0 + $1.names.count }
        func steady() -> Bool {
            guard cm.isIdle, case .broadcastJob(let j)? = sim.server.get(.broadcastJob, "default", BenchWorkload.jobName) else { return false }
            return Int(j.status?.active ?? 0) == nodes
        }
        var settle = 0
        while !steady() && settle < 600 {
            kernel.run(until: kernel.now.adding(seconds: 1))
            settle += 1
        }
        guard let h = cm.host.hosted.first(where: { $0.reconciler is BroadcastJobController }) else {
            return (.init(count: 0, apiCallsPerReconcile: 0, apiWritesPerReconcile: 0), nil)
        }
        let calls0 = tally[.kruiseManager], writes0 = sim.server.resourceVersion
        var walls: [Double] = []
        for _ in 0..<count {
            let t0 = monotonicNanos()
            h.queue.add(key)
            cm.host.pump()
            kernel.executor.drain()
            while h.busy > 0, let t = kernel.nextTime { kernel.run(until: t) }
            walls.append(Double(monotonicNanos() - t0) / 1e9)
        }
        let m = BenchVirtual.MeasuredReconciles(count: count, apiCallsPerReconcile: Double(tally[.kruiseManager] - calls0) / Double(count),
                                                apiWritesPerReconcile: Double(sim.server.resourceVersion - writes0) / Double(count))
        return (m, median(walls))
    }
}

// MARK: Helpers (wall clock and memory: for the wall figures only)

func median(_ xs: [Double]) -> Double? {
    guard !xs.isEmpty else { return nil }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Nearest-rank percentile of sorted nanosecond durations, in seconds.
func percentile(_ sorted: [Int64], _ p: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let rank = max(1, Int((p * Double(sorted.count)).rounded(.up)))
    return Double(sorted[min(rank, sorted.count) - 1]) / 1e9
}

func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Resets the peak-RSS mark (Linux: `echo 5 > /proc/self/clear_refs`); harmless where unsupported.
func resetPeakMemory() {
    #if os(Linux)
    if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        try? h.write(contentsOf: Data("5".utf8))
        try? h.close()
    }
    #endif
}

/// Peak resident memory: VmHWM from /proc/self/status, else getrusage's ru_maxrss.
func peakMemoryBytes() -> Int64? {
    if let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.dropFirst(6).filter(\.isNumber)
            if let kb = Int64(String(digits)) { return kb * 1024 }
        }
    }
    var u = rusage()
    #if os(Linux)
    guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return nil }
    return Int64(u.ru_maxrss) * 1024
    #else
    guard getrusage(RUSAGE_SELF, &u) == 0 else { return nil }
    return Int64(u.ru_maxrss)
    #endif
}
