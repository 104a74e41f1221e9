import Foundation
import Testing
@testable import Sim
import Engine

/// `kruise-sim bench`: every figure is there, and the virtual ones depend only on the seed.
@Suite struct BenchTests {
    /// The CI smoke test: `kruise-sim bench broadcast --nodes 1000 --json`, in-process.
    @Test func broadcastThousandNodesHasEveryFigureAndRepeatsExactly() throws {
        let a = try Bench.run(.broadcast, nodes: 1000, seed: 1, repeats: 2)
        let b = try Bench.run(.broadcast, nodes: 1000, seed: 1)
        #expect(!a.virtualDiffered)
        #expect(a.virtual == b.virtual)

        let text = BenchReport.jsonText(a)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in BenchReport.jsonKeys {
            #expect(obj[key] != nil, "missing \(key)")
            if key != "measuredReconcile" { #expect(!(obj[key] is NSNull), "\(key) is null") }
        }
        #expect(Set(obj.keys) == Set(BenchReport.jsonKeys))
        let perComponent = try #require(obj["apiRequestsPerSecond"] as? [String: Any])
        #expect(Set(perComponent.keys) == Set(ClientComponent.allCases.map(\.name)))
        #expect((obj["wallSecondsPerRun"] as? [Any])?.count == 2)

        // What the run simulated: every node's pod ran 30s..60s and finished.
        let v = a.virtual
        #expect(v.completed)
        #expect(v.podLifecycles == 1000)
        #expect(v.podsPeak == 1000 && v.podsAtEnd == 1000)  // one per node, none deleted before the job completes
        let rollout = try #require(v.rolloutMedian)
        #expect(rollout >= 30 && rollout <= 65)
        #expect(v.apiCalls(.kruiseManager) >= 1000)  // a create per pod
        #expect(v.apiCalls(.scheduler) == 0)  // pods are created bound
        #expect(v.apiCalls(.kubelets) >= 2000)  // at least running and finished per pod
        let p50 = try #require(v.reconcileP50), p99 = try #require(v.reconcileP99)
        #expect(p50 <= p99)
        #expect(v.peakQueueDepth >= 1)
        #expect(v.controllers.contains { $0.name == "broadcastjob-controller" && $0.reconciles > 0 })
        #expect(v.reconciles == v.controllers.reduce(0) { $0 + $1.reconciles })
        #expect(a.wallSeconds > 0 && a.timeCompression > 0)
        #expect(BenchReport.text(a).contains("rollout"))
    }

    @Test func anotherSeedGivesAnotherRun() throws {
        let a = try Bench.run(.broadcast, nodes: 50, seed: 1)
        let b = try Bench.run(.broadcast, nodes: 50, seed: 2)
        #expect(a.virtual.digest != b.virtual.digest)
        #expect(a.virtual.rollouts != b.virtual.rollouts)
    }

    @Test func reconcileWorkloadTimesTheJobOnASteadyCluster() throws {
        let r = try Bench.run(.reconcile, nodes: 50, seed: 1, measuredReconciles: 3)
        #expect(r.virtual.completed)
        #expect(r.virtual.podLifecycles == 50)
        let m = try #require(r.virtual.measured)
        #expect(m.count == 3)
        #expect(m.apiWritesPerReconcile == 0)  // steady: nothing to change
        #expect(r.secondsPerReconcile != nil)
        #expect(r.virtual == (try Bench.run(.reconcile, nodes: 50, seed: 1, measuredReconciles: 3)).virtual)
    }

    @Test func churnAddsAndDeletesANodeEverySecondForAnHour() throws {
        let s = try BenchWorkload.churn.scenario(nodes: 3, seed: 1)
        var present = Set(s.nodes.flatMap(\.names))
        var adds = 0, deletes = 0
        for e in s.timeline {
            switch e.action {
            case .addNodes(let n): adds += 1; present.formUnion(n.names)
            case .deleteNode(let n): deletes += 1; #expect(present.remove(n) != nil, "\(n) deleted before it exists")
            default: Issue.record("unexpected action \(e.action.name)")
            }
        }
        #expect(adds == 3600 && deletes == 3600)
        #expect(present.count == 3)
        #expect(s.duration == 3600)
    }

    @Test func podsInTheStoreCountDeletionsToo() throws {
        // Churn: 3,600 nodes come and go, each pod deleted with (40s after) its node.
        let v = try Bench.run(.churn, nodes: 2, seed: 1).virtual
        #expect(v.podLifecycles > 3000)  // created, then deleted
        #expect(v.podsAtEnd >= 2 && v.podsAtEnd < 100)
        #expect(v.podsPeak >= v.podsAtEnd && v.podsPeak < 100)
    }

    @Test func progressHookRunsEveryIntervalAndLeavesTheRunUnchanged() throws {
        let k = Kernel(start: Timestamp(nanos: 0))
        var calls = 0
        k.progressInterval = 4
        k.onProgress = { calls += 1 }
        for i in 0..<10 { k.schedule(at: Timestamp(nanos: Int64(i))) {} }
        k.run(until: Timestamp(nanos: 100))
        #expect(calls == 2)

        let scenario = try BenchWorkload.broadcast.scenario(nodes: 100, seed: 3)
        let plain = Simulation(scenario: scenario).run()
        var written = ""
        let line = ProgressLine(label: "test", delay: 0) { written += $0 }
        let sim = Simulation(scenario: scenario)
        sim.kernel.progressInterval = 64
        line.attach(sim)
        let shown = sim.run()
        line.finish()
        #expect(shown.digest == plain.digest)
        #expect(written.contains("test: +"))
        #expect(written.hasSuffix("\r\u{1B}[2K"))
    }
}
