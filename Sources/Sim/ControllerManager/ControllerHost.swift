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

/// Collects events from every component's recorder.
public final class EventLog {
    public private(set) var events: [RecordedEvent] = []
    var onRecord: ((RecordedEvent) -> Void)?
    func record(_ e: RecordedEvent) {
        events.append(e)
        onRecord?(e)
    }
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

/// Runs reconcilers in virtual time: `workers` slots per controller; a reconcile computes at
/// once, its API calls are charged to the component's client (token bucket and latency), and
/// the worker stays busy until the last call returns. The key is done at that instant; errors
/// re-queue with the queue's back-off, `requeueAfter` re-queues after that delay.
final class ControllerHost {
    final class Hosted {
        let reconciler: Reconciler
        let queue: WorkQueue
        let workers: Int
        var busy = 0
        var wakeAt: Timestamp?
        var reconciles = 0
        var errors = 0
        init(reconciler: Reconciler, queue: WorkQueue, workers: Int) {
            self.reconciler = reconciler
            self.queue = queue
            self.workers = workers
        }
    }

    let kernel: Kernel
    let client: SimClient
    private(set) var hosted: [Hosted] = []
    private var generation = 0
    var onError: ((String, String, Error) -> Void)?

    init(kernel: Kernel, client: SimClient) {
        self.kernel = kernel
        self.client = client
    }

    func add(_ r: Reconciler, queue: WorkQueue, workers: Int) {
        hosted.append(Hosted(reconciler: r, queue: queue, workers: workers))
    }

    /// Forgets every controller (a restart or stop); in-flight completions are ignored.
    func clear() {
        generation += 1
        hosted = []
    }

    var totalReconciles: Int { hosted.reduce(0) { $0 + $1.reconciles } }

    /// Starts every reconcile that can start now. Called after each kernel batch.
    func pump() {
        let now = kernel.now
        for h in hosted {
            h.queue.promoteDelayed()
            var guardCount = 0
            while h.busy < h.workers, let key = h.queue.get() {
                guardCount += 1
                if guardCount > 100_000 { h.queue.done(key); break }
                run(h, key)
            }
            if let t = h.queue.nextDelayedTime, h.wakeAt == nil || t < h.wakeAt! || h.wakeAt! <= now {
                h.wakeAt = t
                kernel.schedule(at: t) {}
            }
        }
    }

    private func run(_ h: Hosted, _ key: String) {
        let now = kernel.now
        client.cursor = now
        h.busy += 1
        h.reconciles += 1
        var result: Result<ReconcileResult, Error>
        do {
            result = .success(try h.reconciler.reconcile(key))
        } catch {
            result = .failure(error)
        }
        let doneAt = client.cursor
        let gen = generation
        let finish = { [weak self, weak h] in
            guard let self, let h, gen == self.generation else { return }
            h.busy -= 1
            h.queue.done(key)
            switch result {
            case .success(let r):
                h.queue.forget(key)
                if let after = r.requeueAfter { h.queue.add(key, after: after) }
            case .failure(let e):
                h.errors += 1
                self.onError?(h.reconciler.name, key, e)
                h.queue.addRateLimited(key)
            }
        }
        if doneAt > now {
            kernel.schedule(at: doneAt) { finish() }
        } else {
            finish()
        }
    }
}
