import Foundation
import DequeModule
import HeapModule

/// A controller work queue (client-go `workqueue` semantics).
///
/// - A key added while queued is not queued twice (de-duplication).
/// - A key being processed is never handed to a second worker: adds during processing mark it
///   dirty, and it is re-queued when `done` is called.
/// - `add(_:after:)` holds a key until its time; an earlier add for the same key wins.
/// - `addRateLimited` applies `DefaultControllerRateLimiter`: the larger of a per-key exponential
///   back-off (5 ms doubling to 1000 s; `forget` resets it) and a token bucket shared by all keys
///   (10 per second, burst 100; `rate.Limiter.Reserve().Delay()`).
///
/// Time comes from the injected ``Clock``; whoever runs the workers asks
/// ``nextDelayedTime`` when to call ``promoteDelayed()``.
public final class WorkQueue {
    private let clock: Clock
    private var queue = Deque<String>()
    private var dirty = StringSet()
    private var processing = StringSet()
    private struct Waiting: Comparable {
        var time: Timestamp
        var seq: UInt64
        var key: String
        static func < (a: Waiting, b: Waiting) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
    }
    private var waiting = Heap<Waiting>()
    private var waitingTime = StringTable<Timestamp>()
    private var seq: UInt64 = 0
    private var failures = StringTable<Int>()

    public let baseDelay: Double
    public let maxDelay: Double
    /// The shared bucket: refill rate (tokens per second) and capacity. It starts full.
    public let bucketQPS: Double = 10
    public let bucketBurst: Double = 100
    private var bucketTokens: Double = 100
    private var bucketLast: Timestamp?

    public init(clock: Clock, baseDelay: Double = 0.005, maxDelay: Double = 1000) {
        self.clock = clock
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Notes a change that can give whoever runs the workers something to do: a key added, held,
    /// handed out, done or promoted, or a reset. Unchanged, the queue has nothing new.
    private func changed() { tally?.changed |= tallyBit }
    /// Shared with other queues (a controller host's): this queue's ``tallyBit`` is set in it
    /// with every change, so one look tells which of them changed.
    public var tally: ChangeTally?
    /// This queue's bit in ``tally`` (several queues may share one).
    public var tallyBit: UInt64 = 1

    /// Keys ready to be processed.
    public var readyCount: Int { queue.count }
    public var isProcessingAny: Bool { !processing.isEmpty }

    public func add(_ key: String) {
        if dirty.contains(key) { return }
        dirty.insert(key)
        changed()
        if processing.contains(key) { return }
        queue.append(key)
    }

    public func add(_ key: String, after seconds: Double) {
        if seconds <= 0 { add(key); return }
        let t = clock.now.adding(seconds: seconds)
        if let existing = waitingTime[key], existing <= t { return }
        waitingTime[key] = t
        changed()
        seq += 1
        waiting.insert(Waiting(time: t, seq: seq, key: key))
    }

    /// Re-adds after the key's back-off delay and returns that delay.
    @discardableResult
    public func addRateLimited(_ key: String) -> Double {
        let n = failures[key, default: 0]
        failures[key] = n + 1
        let delay = max(min(baseDelay * pow(2, Double(min(n, 60))), maxDelay), bucketDelay())
        add(key, after: delay)
        return delay
    }

    /// Takes one token (the balance may go negative: the reservation is in the future) and returns how long
    /// until it is available.
    private func bucketDelay() -> Double {
        let now = clock.now
        if let last = bucketLast, now > last {
            bucketTokens = min(bucketBurst, bucketTokens + now.seconds(since: last) * bucketQPS)
        }
        if bucketLast.map({ now > $0 }) ?? true { bucketLast = now }
        bucketTokens -= 1
        return bucketTokens < 0 ? -bucketTokens / bucketQPS : 0
    }

    public func forget(_ key: String) {
        if !failures.isEmpty { failures[key] = nil }  // most reconciles succeed with nothing to forget
    }
    public func numRequeues(_ key: String) -> Int { failures[key, default: 0] }

    /// The time of the earliest held key, if any.
    public var nextDelayedTime: Timestamp? {
        if !topChecked {
            while let top = waiting.min, waitingTime[top.key] != top.time {
                waiting.removeMin()
            }
            topChecked = true
        }
        return waiting.min?.time
    }
    /// The earliest held entry is current (not superseded by an earlier time for its key). Only
    /// ``promoteDelayed()`` can uncover a superseded one: an entry added is current, and one it
    /// supersedes is later than it.
    private var topChecked = true

    /// Moves keys whose time has come into the queue.
    public func promoteDelayed() {
        let now = clock.now
        while let top = waiting.min, top.time <= now {
            waiting.removeMin()
            topChecked = false
            guard waitingTime[top.key] == top.time else { continue }
            waitingTime[top.key] = nil
            add(top.key)
        }
    }

    /// Hands out the next key, marking it processing.
    public func get() -> String? {
        guard let key = queue.popFirst() else { return nil }
        changed()
        processing.insert(key)
        dirty.remove(key)
        return key
    }

    /// Marks a key done; if it was added meanwhile it goes back in the queue.
    public func done(_ key: String) {
        processing.remove(key)
        changed()
        if dirty.contains(key) { queue.append(key) }
    }

    /// Drops everything (a controller restart loses its queue).
    public func reset() {
        changed()
        queue.removeAll()
        dirty.removeAll()
        processing.removeAll()
        waiting = Heap()
        topChecked = true
        waitingTime.removeAll()
        failures.removeAll()
    }
}

/// Which of several work queues changed since whoever runs them last looked (``WorkQueue/tally``):
/// a bit per queue.
public final class ChangeTally {
    public fileprivate(set) var changed: UInt64 = 0
    public init() {}
    /// Marks every change so far as seen.
    public func clear() { changed = 0 }
    /// Marks every queue as changed (new ones to look at).
    public func markAll() { changed = .max }
}
