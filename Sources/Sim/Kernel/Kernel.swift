import Foundation
import HeapModule
import Engine

/// The virtual clock every component of one simulation reads.
public final class VirtualClock: Clock {
    public private(set) var now: Timestamp
    public let start: Timestamp
    init(start: Timestamp) {
        self.start = start
        self.now = start
    }
    func set(_ t: Timestamp) { now = t }
    /// Seconds since the scenario start.
    public var elapsed: Double { now.seconds(since: start) }
}

/// The executor every task of one simulation runs on: controllers' reconciles and the client
/// calls they await. A job enqueued here runs on the kernel's thread at the current virtual
/// instant, right after the event that made it runnable (as NIO's `EmbeddedEventLoop` runs its
/// tasks): no threads, no Dispatch, no wall clock, so runs are deterministic.
///
/// Jobs run as nonisolated code with this executor as their task executor, not isolated to it
/// as a serial executor: the engine's async code is all nonisolated, so a call from one async
/// function into another runs inline; a task comes back through this queue only after it
/// suspended (at a client call).
public final class KernelExecutor: TaskExecutor, @unchecked Sendable {
    private var jobs: [UnownedJob] = []
    private var head = 0
    public private(set) var jobsRun: UInt64 = 0

    public func enqueue(_ job: consuming ExecutorJob) {
        jobs.append(UnownedJob(job))
    }

    /// Runs every runnable job, in the order they became runnable, including jobs they enqueue.
    func drain() {
        guard head < jobs.count else { return }
        let task = asUnownedTaskExecutor()
        while head < jobs.count {
            let job = jobs[head]
            head += 1
            jobsRun += 1
            job.runSynchronously(on: task)
        }
        jobs.removeAll(keepingCapacity: true)
        head = 0
    }
}

/// A deterministic discrete-event kernel (modelled on NIO's `EmbeddedEventLoop`).
///
/// Events are ordered by (time, insertion sequence). All events of one instant run as a batch
/// in insertion order, including events scheduled at that same instant while the batch runs;
/// the tasks an event makes runnable run right after it. `afterBatch` runs once after each
/// batch (invariants are checked there).
///
/// - Complexity: schedule O(log n); each event O(log n) to pop.
public final class Kernel {
    struct Item: Comparable {
        var time: Int64
        var seq: UInt64
        var action: () -> Void
        static func < (a: Item, b: Item) -> Bool { a.time != b.time ? a.time < b.time : a.seq < b.seq }
        static func == (a: Item, b: Item) -> Bool { a.time == b.time && a.seq == b.seq }
    }
    public let clock: VirtualClock
    /// Where tasks run (see ``KernelExecutor``); drained after every event.
    public let executor = KernelExecutor()
    private var heap = Heap<Item>()
    private var seq: UInt64 = 0
    public private(set) var eventsRun: UInt64 = 0
    public private(set) var batches: UInt64 = 0
    public var afterBatch: (() -> Void)?
    /// Set to stop the run loop after the current batch.
    public var stopRequested = false
    /// Called every `progressInterval` events (a power of two) when set: for a progress display
    /// only (it may read the wall clock); it must not change the simulation.
    public var onProgress: (() -> Void)?
    public var progressInterval: UInt64 = 65_536 {
        didSet { precondition(progressInterval > 0 && progressInterval & (progressInterval - 1) == 0, "progressInterval must be a power of two") }
    }

    public init(start: Timestamp) {
        clock = VirtualClock(start: start)
    }

    public var now: Timestamp { clock.now }
    public var pending: Int { heap.count }

    /// Schedules `action` at `time` (never earlier than now).
    public func schedule(at time: Timestamp, _ action: @escaping () -> Void) {
        seq += 1
        heap.insert(Item(time: max(time.nanos, clock.now.nanos), seq: seq, action: action))
    }

    public func schedule(after seconds: Double, _ action: @escaping () -> Void) {
        schedule(at: clock.now.adding(seconds: seconds), action)
    }

    /// The time of the next event, if any.
    public var nextTime: Timestamp? { heap.min.map { Timestamp(nanos: $0.time) } }

    /// Runs batches until the queue is empty or the next event is after `end`; the clock ends at `end`.
    public func run(until end: Timestamp) {
        executor.drain()  // tasks started before the run (components acting at t = 0)
        while !stopRequested, let top = heap.min, top.time <= end.nanos {
            let t = top.time
            clock.set(Timestamp(nanos: t))
            while let next = heap.min, next.time == t {
                let item = heap.removeMin()
                eventsRun += 1
                item.action()
                executor.drain()
                if eventsRun & (progressInterval - 1) == 0, let p = onProgress { p() }
            }
            batches += 1
            afterBatch?()
            executor.drain()
        }
        if !stopRequested && clock.now < end { clock.set(end) }
    }
}

/// SplitMix64: a small, fast, seedable generator (as in swift-argument-parser's example).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// Independent random streams per purpose, all derived from one scenario seed, so adding
/// draws for one purpose never shifts another.
public final class RandomStreams {
    public let seed: UInt64
    /// One generator per purpose, boxed so a draw looks its stream up once.
    private final class Stream {
        var g: SplitMix64
        init(_ g: SplitMix64) { self.g = g }
    }
    private var streams: [String: Stream] = [:]
    public init(seed: UInt64) { self.seed = seed }

    public func draw<T>(_ purpose: String, _ body: (inout SplitMix64) -> T) -> T {
        func streamOf(_ s: inout Stream) -> Stream { s }
        let stream = streamOf(&streams[purpose, default: Stream(SplitMix64(seed: seed ^ fnv1a64(purpose)))])
        return body(&stream.g)
    }
    public func unit(_ purpose: String) -> Double { draw(purpose) { $0.unit() } }
}

/// FNV-1a, 64 bits: a stable hash (Swift's `Hasher` is seeded per process).
public func fnv1a64(_ s: String, _ start: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = start
    for b in s.utf8 {
        h ^= UInt64(b)
        h &*= 0x100_0000_01b3
    }
    return h
}

/// A duration or a uniform range of durations (`10s..30s`), in seconds.
public struct DurationSpec: Hashable, Sendable, CustomStringConvertible {
    public var low: Double
    public var high: Double
    public init(_ s: Double) { low = s; high = s }
    public init(low: Double, high: Double) { self.low = low; self.high = high }
    public var isRange: Bool { high > low }
    public var description: String { isRange ? "\(formatSeconds(low))..\(formatSeconds(high))" : formatSeconds(low) }
    public func draw(_ rng: RandomStreams, _ purpose: String) -> Double {
        isRange ? low + (high - low) * rng.unit(purpose) : low
    }
}

/// `90s`, `1m30s`, `250ms`, `2h` style.
public func formatSeconds(_ s: Double) -> String {
    if s == 0 { return "0s" }
    if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
    var rest = s
    var out = ""
    let h = Int(rest / 3600)
    if h > 0 { out += "\(h)h"; rest -= Double(h * 3600) }
    let m = Int(rest / 60)
    if m > 0 { out += "\(m)m"; rest -= Double(m * 60) }
    if rest > 0.0005 || out.isEmpty {
        if rest == rest.rounded() { out += "\(Int(rest))s" } else { out += String(format: "%.3gs", rest) }
    }
    return out
}
