import Foundation
import Testing
@testable import Sim
import Engine

/// The time model: a write takes effect at the virtual instant it is applied, and nothing sees
/// it earlier; controllers run as controller-runtime runs them.
@Suite struct TimeModelTests {
    static let t0 = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!

    /// Keeps every change the run applied, in order.
    final class Recorder: TraceSink {
        var changes: [APIServer.Change] = []
        var events: [RecordedEvent] = []
        func change(_ c: APIServer.Change) { changes.append(c) }
        func event(_ e: RecordedEvent) { events.append(e) }
        func finish() {}
    }

    static func broadcast(nodes: Int, settings: String, duration: String = "2m", expect: String = "", image: String = "t: {run: 30s}") -> String {
        """
        name: timing
        duration: \(duration)
        settings: \(settings)
        nodes: [{namePrefix: n, count: \(nodes)}]
        images:
          \(image)
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJob
            metadata: {name: wide}
            spec:
              template:
                spec: {restartPolicy: Never, containers: [{name: t, image: t}]}
        expect:\(expect.isEmpty ? " []" : "\n" + expect)
        """
    }

    @Test func aThrottledWriteIsInvisibleOneNanosecondBeforeItsInstantAndVisibleAtIt() throws {
        // clientQPS 10, burst 1, latency 5ms: pod k is created at (k - 1) / 10 s + 5ms, so the
        // 11th at 1.005s exactly; the job's status write, made after the 20th create (1.905s),
        // waits for the next token (2.0s) and lands at 2.005s, and not a nanosecond earlier.
        let yaml = Self.broadcast(nodes: 20, settings: "{clientQPS: 10, clientBurst: 1, bindPodsBy: nodeName}", expect: """
          - {at: 1.004999999s, count: pod, is: 10}
          - {at: 1.005s, count: pod, is: 11}
          - {at: 1.005s, object: bcj/wide, fields: {status.active: {exists: false}}}
          - {at: 2.004999999s, object: bcj/wide, fields: {status.active: {exists: false}}}
          - {at: 2.005s, object: bcj/wide, fields: {status.active: 20}}
        """)
        let scenario = try ScenarioLoader.load(text: yaml, file: "t.yaml")
        let rec = Recorder()
        let sim = Simulation(scenario: scenario, trace: rec)
        var seenByWatch: [String: Timestamp] = [:]
        sim.server.addWatcher(APIServer.Watcher(name: "probe", kinds: [.pod], delay: { 0 }, start: Self.t0) { type, obj in
            if type == .added, let n = obj.metadata.name { seenByWatch[n] = sim.kernel.now }
        })
        let o = sim.run()
        expectPassed(o, checks: 5)
        let creates = rec.changes.filter { $0.object.kind == .pod && $0.verb == "create" }
        #expect(creates.count == 20)
        for (k, c) in creates.enumerated() {
            // The store change, the object's creationTimestamp and a zero-delay watch all say the same instant.
            let expected = Self.t0.adding(seconds: Double(k) * 0.1 + 0.005)
            #expect(c.time == expected, "pod \(k + 1) created at \(c.time), expected \(expected)")
            #expect(c.object.metadata.creationTimestamp == c.time)
            #expect(seenByWatch[c.object.metadata.name ?? ""] == c.time)
        }
    }

    @Test func slowStartBatchesCreateConcurrentlyLimitedOnlyByTheBucket() throws {
        // An unthrottled client at 20ms latency: batches of 1, 2, 4, … 489 are ten round trips.
        let fast = try runScenario(Self.broadcast(nodes: 1000, settings: "{clientQPS: 100000, clientBurst: 100000, apiLatency: 20ms, bindPodsBy: nodeName}",
                                                   duration: "1s", expect: """
          - {at: 199ms, count: pod, is: 511}
          - {at: 200ms, count: pod, is: 1000}
        """))
        expectPassed(fast, checks: 2)
        // At clientQPS 10 and the default burst of 50, the 1000th create needs (1000 - 50) / 10 s.
        let slow = try runScenario(Self.broadcast(nodes: 1000, settings: "{clientQPS: 10, bindPodsBy: nodeName}", duration: "100s", expect: """
          - {at: 94.9s, count: pod, is: {lt: 1000}}
          - {at: 95.1s, count: pod, is: 1000}
        """))
        expectPassed(slow, checks: 2)
    }

    @Test func aScheduledPodRunsAsSoonAsItIsCreatedBoundPulledAndStarted() throws {
        // 50MB at 50MB/s: a 1s pull. Each hop is one watch delay (10ms) or one API latency (5ms).
        let scenario = try ScenarioLoader.load(text: Self.broadcast(nodes: 1, settings: "{}", duration: "10s", image: "t: {run: 30s, size: 50MB}"), file: "t.yaml")
        let rec = Recorder()
        _ = Simulation(scenario: scenario, trace: rec).run()
        let pod = rec.changes.filter { $0.object.kind == .pod }
        let created = try #require(pod.first { $0.verb == "create" })
        let bound = try #require(pod.first { $0.verb == "bind" })
        let running = try #require(pod.first { Pod.unwrap($0.object)?.status?.phase == PodPhase.running })
        // created at 5ms; the scheduler sees it 10ms later and its bind lands 5ms after that.
        #expect(created.time == Self.t0.adding(seconds: 0.005))
        #expect(bound.time == created.time.adding(seconds: 0.015))
        // The kubelet sees the binding 10ms later, pulls for 1s, starts, and its status lands 5ms later.
        #expect(running.time == bound.time.adding(seconds: 0.01 + 1 + 0.005), "\(running.time)")
        // Nothing else the pod's path does not need is written in between.
        let between = pod.filter { $0.time > bound.time && $0.time < running.time }
        #expect(between.allSatisfy { $0.actor == .kubelet }, "\(between.map { "\($0.actor) \($0.verb)" })")
    }

    /// A reconciler that waits one virtual second per key, counting how many run at once.
    final class Probe: Reconciler {
        let name = "probe"
        let kernel: Kernel
        var running: [String: Int] = [:]
        var maxPerKey = 0
        var maxTotal = 0
        var runs: [String] = []
        init(kernel: Kernel) { self.kernel = kernel }
        func reconcile(_ key: String) async throws -> ReconcileResult {
            running[key, default: 0] += 1
            runs.append(key)
            maxPerKey = max(maxPerKey, running.values.max() ?? 0)
            maxTotal = max(maxTotal, running.values.reduce(0, +))
            let k = kernel
            await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in k.schedule(after: 1) { c.resume() } }
            running[key, default: 0] -= 1
            return .done
        }
    }

    @Test func twoWorkersNeverHoldOneKey() {
        let kernel = Kernel(start: Self.t0)
        let host = ControllerHost(kernel: kernel)
        let queue = WorkQueue(clock: kernel.clock)
        let probe = Probe(kernel: kernel)
        host.add(probe, queue: queue, workers: 3)
        kernel.afterBatch = { host.pump() }
        queue.add("a")
        queue.add("b")
        host.pump()
        // "a" changes again while its reconcile runs: it is queued (dirty), not run beside it.
        kernel.schedule(after: 0.5) { queue.add("a"); queue.add("a") }
        kernel.run(until: Self.t0.adding(seconds: 10))
        #expect(probe.maxPerKey == 1)
        #expect(probe.maxTotal == 2)
        #expect(probe.runs == ["a", "b", "a"])
    }
}
