import Engine
import Foundation

/// Runs a trace sink on a thread of its own, so that writing the trace (JSON, diffs, SQLite)
/// takes the machine's second core instead of the simulation's (BENCHMARKS.md, "Trace").
///
/// The simulation's calls are recorded in order into a batch; a full batch is handed to the
/// writer thread, which replays the calls on the sink in the same order. The sink therefore
/// sees exactly the calls, in exactly the order, it would have seen inline, and writes the same
/// bytes. What is handed over is values (`Sendable` objects in copy-on-write storage, which
/// only ever changes in place when uniquely referenced), so the two threads share nothing
/// mutable; the sink itself is touched by the writer thread only until `finish`/`abandon`,
/// which wait for it to stop before they call the sink on the caller's thread.
///
/// At most `maxBatches` batches wait at once: if the writer falls behind, the simulation waits
/// for it, so memory stays bounded whatever the run's length.
public final class TraceThread: TraceSink {
    private enum Call: Sendable {
        case change(APIServer.Change)
        case event(RecordedEvent)
        case failedWrite(APIServer.FailedWrite)
        case disk(node: String, used: Int64, capacity: Int64, at: Timestamp)
        case reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String)
    }

    public let wantsReconciles: Bool
    private let batchSize: Int
    /// The batch being filled (the simulation's thread only).
    private var filling: [Call] = []
    private let channel: Channel
    private var stopped = false

    public init(_ sink: any TraceSink, batchSize: Int = 2048, maxBatches: Int = 4) {
        wantsReconciles = sink.wantsReconciles
        self.batchSize = max(1, batchSize)
        filling.reserveCapacity(self.batchSize)
        let channel = Channel(sink: sink, maxBatches: max(1, maxBatches))
        self.channel = channel
        let t = Thread { channel.writeLoop() }
        t.name = "kruise-sim trace"
        t.start()
    }

    public func change(_ c: APIServer.Change) { record(.change(c)) }
    public func event(_ e: RecordedEvent) { record(.event(e)) }
    public func failedWrite(_ f: APIServer.FailedWrite) { record(.failedWrite(f)) }
    public func disk(node: String, used: Int64, capacity: Int64, at: Timestamp) {
        record(.disk(node: node, used: used, capacity: capacity, at: at))
    }
    public func reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String) {
        record(.reconcile(id: id, controller: controller, key: key, started: started, finished: finished, result: result))
    }

    /// Waits for every call to be written, then finishes the sink with the outcome.
    public func finish(_ outcome: RunOutcome) {
        stop(dropping: false)
        channel.sink.finish(outcome)
    }

    public func finish() {
        stop(dropping: false)
        channel.sink.finish()
    }

    /// Stops the writer without writing what is still waiting, and abandons the sink.
    public func abandon() {
        stop(dropping: true)
        channel.sink.abandon()
    }

    deinit {
        // Neither finished nor abandoned: the writer stops, and the sink is left to its own deinit.
        if !stopped { channel.close(dropping: true) }
    }

    private func record(_ call: Call) {
        filling.append(call)
        if filling.count >= batchSize { handOver() }
    }

    private func handOver() {
        guard !filling.isEmpty else { return }
        channel.put(filling)
        filling = []
        filling.reserveCapacity(batchSize)
    }

    private func stop(dropping: Bool) {
        guard !stopped else { return }
        stopped = true
        if dropping { filling = [] } else { handOver() }
        channel.close(dropping: dropping)
    }

    /// What the two threads share, each field under `condition`; the sink is the writer's until
    /// it has stopped (`close` returns only then).
    private final class Channel: @unchecked Sendable {
        let sink: any TraceSink
        let maxBatches: Int
        private let condition = NSCondition()
        private var handed: [[Call]] = []
        private var closing = false
        private var dropping = false
        private var writerDone = false

        init(sink: any TraceSink, maxBatches: Int) {
            self.sink = sink
            self.maxBatches = maxBatches
        }

        func put(_ batch: [Call]) {
            condition.lock()
            while handed.count >= maxBatches { condition.wait() }
            handed.append(batch)
            condition.broadcast()
            condition.unlock()
        }

        /// Returns once the writer has stopped: after writing every batch handed over, or at once
        /// when dropping them.
        func close(dropping drop: Bool) {
            condition.lock()
            closing = true
            if drop { dropping = true; handed = [] }
            condition.broadcast()
            while !writerDone { condition.wait() }
            condition.unlock()
        }

        func writeLoop() {
            while true {
                condition.lock()
                while handed.isEmpty && !closing { condition.wait() }
                if handed.isEmpty || dropping {
                    writerDone = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let batch = handed.removeFirst()
                condition.broadcast()  // room for another batch
                condition.unlock()
                for call in batch { replay(call) }
            }
        }

        private func replay(_ call: Call) {
            switch call {
            case .change(let c): sink.change(c)
            case .event(let e): sink.event(e)
            case .failedWrite(let f): sink.failedWrite(f)
            case .disk(let node, let used, let capacity, let at): sink.disk(node: node, used: used, capacity: capacity, at: at)
            case .reconcile(let id, let controller, let key, let started, let finished, let result):
                sink.reconcile(id: id, controller: controller, key: key, started: started, finished: finished, result: result)
            }
        }
    }
}
