import Foundation
import Engine

/// An event as a component's recorder reported it (no aggregation).
public struct RecordedEvent: Sendable, Equatable {
    public var time: Timestamp
    public var component: String
    public var kind: String
    public var namespace: String
    public var name: String
    public var type: String
    public var reason: String
    public var message: String
}

/// The Kubernetes events every component's recorder records, passed on as they come (to the digest, the
/// trace, the story and the checks), not held: a day of a cron job on a large cluster records
/// millions, and what the run needs of them is kept where it is used.
public final class EventLog {
    var onRecord: ((RecordedEvent) -> Void)?
    func record(_ e: RecordedEvent) { onRecord?(e) }
}

/// The Engine's `EventRecorder` for one component.
final class SimRecorder: EventRecorder {
    let component: String
    let log: EventLog
    let clock: Clock
    init(component: String, log: EventLog, clock: Clock) {
        self.component = component
        self.log = log
        self.clock = clock
    }
    func event(_ object: ObjectReference, type: String, reason: String, message: String) {
        log.record(RecordedEvent(time: clock.now, component: component, kind: object.kind ?? "", namespace: object.namespace ?? "",
                                 name: object.name ?? "", type: type, reason: reason, message: message))
    }
}

/// Runs reconcilers in virtual time, as controller-runtime runs them: `workers` workers per
/// controller; a worker is busy from dequeue until its reconcile returns, including the time
/// its API calls wait for the client's token bucket and take the API latency; one key is never
/// in two workers at once (the queue's processing set). Each reconcile is a task on the
/// kernel's executor. Errors re-queue with the queue's back-off, `requeueAfter` re-queues after
/// that delay.
/// The traced reconcile a task runs for: its client's writes carry this id into the trace.
enum ReconcileContext {
    @TaskLocal static var id: Int64?
}

/// Receives each reconcile's start and end (the trace's reconciles table); nil costs nothing.
final class ReconcileTracer {
    private var next: Int64 = 0
    let ended: (_ id: Int64, _ controller: String, _ key: String, _ started: Timestamp, _ finished: Timestamp, _ result: String) -> Void
    init(ended: @escaping (Int64, String, String, Timestamp, Timestamp, String) -> Void) { self.ended = ended }
    func begin() -> Int64 {
        next += 1
        return next
    }
}

final class ControllerHost {
    final class Hosted {
        let reconciler: Reconciler
        let queue: WorkQueue
        let workers: Int
        var busy = 0
        var wakeAt: Timestamp?
        var reconciles = 0
        var errors = 0
        /// This controller's entry in the host's `stats`, looked up by name once.
        var statsEntry: ReconcileStats.PerController?
        init(reconciler: Reconciler, queue: WorkQueue, workers: Int) {
            self.reconciler = reconciler
            self.queue = queue
            self.workers = workers
        }
    }

    let kernel: Kernel
    private(set) var hosted: [Hosted] = []
    private var generation = 0
    /// Gets each reconcile that returned an error: its controller, key and error.
    var onError: ((String, String, Error) -> Void)?
    /// `controller NUL key` of each reconcile whose last return was an error (kept across a
    /// restart, until a reconcile of that controller and key returns without).
    private var failing = StringSet()

    /// Whether the last reconcile of `key` by `controller` returned an error.
    func isFailing(_ controller: String, _ key: String) -> Bool { failing.contains(controller + "\u{0}" + key) }
    /// When set, gets each reconcile's dequeue and return instants and each queue's depth
    /// (`kruise-sim bench`); nil costs nothing.
    var stats: ReconcileStats? {
        didSet { for h in hosted { h.statsEntry = nil } }
    }

    private func statsEntry(_ h: Hosted) -> ReconcileStats.PerController? {
        guard let stats else { return nil }
        if let e = h.statsEntry { return e }
        let e = stats.entry(h.reconciler.name)
        h.statsEntry = e
        return e
    }

    /// When set, every reconcile gets an id its writes carry, and is reported when it returns.
    var tracer: ReconcileTracer?

    /// Which hosted queues changed since `pump` last looked, a bit per controller by its place
    /// in `hosted` (a worker's busy count changes only with its queue's: a key handed out, a key
    /// done; a controller added counts as changed). With none changed and no held key due,
    /// `pump` has nothing to do for any controller.
    private let tally = ChangeTally()
    /// For each hosted controller with held keys, the wake-up `pump` scheduled for it (nil: no
    /// held key), as of its last look; their earliest is `quietUntil`.
    private var wakes: [Timestamp?] = []
    /// The earliest wake-up `pump` scheduled for a held key (nil: none to wait for).
    private var quietUntil: Timestamp?

    init(kernel: Kernel) {
        self.kernel = kernel
    }

    /// A controller's bit in `tally` (past 63, the last bit is shared: those are looked at together).
    private static func bit(_ index: Int) -> UInt64 { 1 << UInt64(min(index, 63)) }

    func add(_ r: Reconciler, queue: WorkQueue, workers: Int) {
        queue.tally = tally
        queue.tallyBit = Self.bit(hosted.count)
        tally.markAll()
        hosted.append(Hosted(reconciler: r, queue: queue, workers: workers))
        wakes.append(nil)
    }

    /// Forgets every controller (a restart or stop); reconciles still running finish, but what
    /// they return is ignored.
    func clear() {
        generation += 1
        hosted = []
        wakes = []
        tally.markAll()
    }

    var totalReconciles: Int { hosted.reduce(0) { $0 + $1.reconciles } }

    /// Starts every reconcile that can start now. Called after each kernel batch and whenever a
    /// worker frees up.
    func pump() {
        let now = kernel.now
        // A controller has something to do when its queue changed since the last look or a wake-up
        // of its is due. Until the earliest wake-up comes (after a look, a controller with held
        // keys is due exactly when its wakeAt has come), only the changed ones can: only they are
        // looked at, and with none, nothing is.
        let quiet = quietUntil.map({ now < $0 }) ?? true
        if quiet, tally.changed == 0 { return }
        for i in hosted.indices {
            let changed = tally.changed & Self.bit(i) != 0
            if quiet, !changed { continue }
            let h = hosted[i]
            if changed || wakeDue(h, now) {
                h.queue.promoteDelayed()
                // Keys are only taken here, so the depth now is the largest since the last pump.
                statsEntry(h)?.sampleDepth(h.queue.readyCount)
                while h.busy < h.workers, let key = h.queue.get() {
                    run(h, key)
                }
                // Every held key left is later than now: wake up at the earliest, unless already due to.
                if wakeDue(h, now), let t = h.queue.nextDelayedTime {
                    h.wakeAt = t
                    kernel.schedule(at: t) {}
                }
            }
            wakes[i] = h.queue.nextDelayedTime == nil ? nil : h.wakeAt
        }
        tally.clear()
        quietUntil = wakes.lazy.compactMap { $0 }.min()
    }

    /// Whether a held key's time has come, or the wake-up for the earliest is still to be
    /// scheduled (none yet, a later one, or one already past). When not, and the queue and the
    /// workers are as `pump` left them, `pump` has nothing to do for this controller.
    private func wakeDue(_ h: Hosted, _ now: Timestamp) -> Bool {
        guard let t = h.queue.nextDelayedTime else { return false }
        guard let wake = h.wakeAt else { return true }
        return t <= now || t < wake || wake <= now
    }

    private func run(_ h: Hosted, _ key: String) {
        h.busy += 1
        h.reconciles += 1
        let gen = generation
        let started = kernel.now
        let traceID = tracer?.begin()
        let job = UncheckedSendable((self, h, key))
        Task(executorPreference: kernel.executor) {
            let (host, h, key) = job.value
            let result: Result<ReconcileResult, Error>
            do {
                if let traceID {
                    result = .success(try await ReconcileContext.$id.withValue(traceID) { try await h.reconciler.reconcile(key) })
                } else {
                    result = .success(try await h.reconciler.reconcile(key))
                }
            } catch {
                result = .failure(error)
            }
            if let traceID, let t = host.tracer {
                let text: String
                switch result {
                case .success(let r): text = r.requeueAfter.map { "requeueAfter \(formatSeconds($0))" } ?? "ok"
                case .failure(let e): text = "error: \((e as? APIError)?.message ?? "\(e)")"
                }
                t.ended(traceID, h.reconciler.name, key, started, host.kernel.now, text)
            }
            host.finish(h, key, result, generation: gen, started: started)
        }
    }

    private func finish(_ h: Hosted, _ key: String, _ result: Result<ReconcileResult, Error>, generation gen: Int, started: Timestamp) {
        guard gen == generation else { return }
        statsEntry(h)?.record(from: started, to: kernel.now)
        h.busy -= 1
        h.queue.done(key)
        switch result {
        case .success(let r):
            if !failing.isEmpty { failing.remove(h.reconciler.name + "\u{0}" + key) }
            h.queue.forget(key)
            if let after = r.requeueAfter { h.queue.add(key, after: after) }
        case .failure(let e):
            h.errors += 1
            failing.insert(h.reconciler.name + "\u{0}" + key)
            onError?(h.reconciler.name, key, e)
            h.queue.addRateLimited(key)
        }
        pump()
    }
}
