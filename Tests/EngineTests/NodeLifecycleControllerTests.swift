import Testing
@testable import Engine

// The node lifecycle controller: node health from heartbeats, condition taints, and the NoExecute
// taint manager's evictions.

/// A node lifecycle controller over a fake cluster, run through its queue in virtual time.
final class NodeHarness {
    let cluster = FakeCluster()
    let queue: WorkQueue
    let heartbeats = FakeHeartbeats()
    let controller: NodeLifecycleController
    let runner: ControllerRunner
    let t0: Timestamp
    var clock: TestClock { cluster.clock }
    var recorder: TestRecorder { cluster.recorder }

    init(gracePeriod: Double = 40, monitorPeriod: Double = 5) {
        t0 = cluster.clock.now
        queue = WorkQueue(clock: cluster.clock)
        controller = NodeLifecycleController(client: cluster, cache: cluster.cache, clock: cluster.clock, recorder: cluster.recorder,
                                             queue: queue, heartbeats: heartbeats, gracePeriod: gracePeriod, monitorPeriod: monitorPeriod)
        runner = ControllerRunner(cluster: cluster, queue: queue, reconciler: controller)
    }

    /// Runs the controller until `seconds` after the start.
    func run(until seconds: Double) async { await runner.run(until: seconds, from: t0) }
    func at(_ seconds: Double) -> Timestamp { t0.adding(seconds: seconds) }

    /// The kubelet renews its lease now.
    func renew(_ node: String) { heartbeats.renewed[node] = clock.now }

    /// Runs until `seconds`, renewing the node's lease every `every` seconds on the way.
    func runHeartbeating(_ node: String, until seconds: Double, every: Double = 10) async {
        var t = clock.now.seconds(since: t0)
        while t < seconds {
            renew(node)
            t = min(t + every, seconds)
            await run(until: t)
        }
    }

    /// The kubelet posts Ready (True or False) with a fresh heartbeat.
    func postReady(_ node: String, _ status: String) async {
        renew(node)
        await cluster.updateNodeStatus(node) { n in
            var c = n.status!.conditions!
            let i = c.firstIndex { $0.type == "Ready" }!
            if c[i].status != status { c[i].lastTransitionTime = clock.now }
            c[i].status = status
            c[i].reason = status == "True" ? "KubeletReady" : "KubeletNotReady"
            c[i].lastHeartbeatTime = clock.now
            n.status!.conditions = c
        }
    }

    func ready(_ node: String) -> Condition? { cluster.node(node)?.condition("Ready") }
    func taints(_ node: String) -> [Taint] { cluster.node(node)?.taints ?? [] }
    func pod(_ name: String) async -> Pod? { try? await cluster.get(Pod.self, namespace: "default", name: name) }

    static let defaultTolerations = [
        Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300),
        Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300),
    ]

    /// A pod bound to `node`.
    @discardableResult
    func createPod(_ name: String, node: String, tolerations: [Toleration]? = NodeHarness.defaultTolerations,
                   phase: String = PodPhase.running, ready: Bool = false) async -> Pod {
        var spec = PodSpec(containers: [Container(name: "c", image: "busybox")], restartPolicy: "Never")
        spec.nodeName = node
        spec.tolerations = tolerations
        var st = PodStatus(phase: phase)
        if ready { st.conditions = [Condition(type: "Ready", status: "True")] }
        return try! await cluster.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec, status: st))
    }
}

@Suite struct NodeLifecycleHealthTests {
    @Test func aNodeBecomesUnknownAfterTheGracePeriodWithBothTaints() async throws {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        h.renew("n1")
        await h.run(until: 40)
        // 40 s after the last heartbeat is not yet more than the grace period.
        #expect(h.ready("n1")?.status == "True")
        #expect(h.taints("n1").isEmpty)
        #expect(h.recorder.count("NodeNotReady") == 0)
        await h.run(until: 45)
        let c = try #require(h.ready("n1"))
        #expect(c.status == "Unknown")
        #expect(c.reason == "NodeStatusUnknown")
        #expect(c.message == "Kubelet stopped posting node status.")
        #expect(c.lastTransitionTime == h.at(45))
        #expect(h.taints("n1") == [
            Taint(key: "node.kubernetes.io/unreachable", effect: "NoSchedule", timeAdded: h.at(45)),
            Taint(key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: h.at(45)),
        ])
        #expect(h.recorder.records("NodeNotReady") == [
            .init(object: "n1", type: "Normal", reason: "NodeNotReady", message: "Node n1 status is now: NodeNotReady")
        ])
        // Nothing is rewritten while the node stays down.
        await h.run(until: 500)
        #expect(h.cluster.writes.filter { $0 == "updateStatus Node n1" }.count == 1)
        #expect(h.cluster.writes.filter { $0 == "update Node n1" }.count == 1)
        #expect(h.ready("n1")?.lastTransitionTime == h.at(45))
    }

    @Test func heartbeatsKeepANodeReady() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.runHeartbeating("n1", until: 300)
        #expect(h.ready("n1")?.status == "True")
        #expect(h.taints("n1").isEmpty)
        #expect(h.cluster.writes.filter { $0.hasSuffix("Node n1") }.count == 1)  // the fixture's create
    }

    @Test func aNodeThatNeverHeartbeatsGetsAGracePeriodFromFirstSight() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.run(until: 40)
        #expect(h.ready("n1")?.status == "True")
        await h.run(until: 45)
        #expect(h.ready("n1")?.status == "Unknown")
    }

    @Test func theMonitorComesBackEveryMonitorPeriod() async {
        let h = NodeHarness(monitorPeriod: 7)
        await h.cluster.createNode("n1")
        await h.run(until: 0)
        #expect(h.queue.nextDelayedTime == h.at(7))
        await h.run(until: 7)
        #expect(h.queue.nextDelayedTime == h.at(14))
        #expect(h.runner.reconciled.filter { $0 == "monitor" }.count == 2)
    }

    @Test func readyAgainRemovesTheUnreachableTaints() async throws {
        let h = NodeHarness()
        await h.cluster.createNode("n1", taints: [Taint(key: "dedicated", value: "batch", effect: "NoSchedule")])
        h.renew("n1")
        await h.run(until: 45)
        #expect(h.taints("n1").count == 3)
        await h.run(until: 100)
        await h.postReady("n1", "True")
        await h.run(until: 100)
        #expect(h.ready("n1")?.status == "True")
        #expect(h.taints("n1") == [Taint(key: "dedicated", value: "batch", effect: "NoSchedule")])
        #expect(h.recorder.records("NodeReady") == [
            .init(object: "n1", type: "Normal", reason: "NodeReady", message: "Node n1 status is now: NodeReady")
        ])
        // And it stays ready while it heartbeats.
        await h.runHeartbeating("n1", until: 400)
        #expect(h.ready("n1")?.status == "True")
        #expect(h.taints("n1").count == 1)
    }

    @Test func notReadyPostedByTheKubeletGetsTheNotReadyTaints() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.postReady("n1", "False")
        await h.run(until: 0)
        #expect(h.taints("n1").map(\.key) == ["node.kubernetes.io/not-ready", "node.kubernetes.io/not-ready"])
        #expect(h.taints("n1").map(\.effect) == ["NoSchedule", "NoExecute"])
        // Then the kubelet stops: the not-ready taints become unreachable ones.
        await h.run(until: 45)
        #expect(h.ready("n1")?.status == "Unknown")
        #expect(h.taints("n1").map(\.key) == ["node.kubernetes.io/unreachable", "node.kubernetes.io/unreachable"])
        // NodeNotReady is recorded only when the controller takes a node out of Ready.
        #expect(h.recorder.count("NodeNotReady") == 0)
    }

    @Test func podsOnAnUnknownNodeAreMarkedNotReady() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.cluster.createNode("n2")
        await h.createPod("p", node: "n1", ready: true)
        await h.createPod("q", node: "n2", ready: true)
        h.renew("n1")
        await h.runHeartbeating("n2", until: 45)
        #expect(h.ready("n2")?.status == "True")
        await #expect(h.pod("p")?.status?.conditions?.first?.status == "False")
        await #expect(h.pod("p")?.status?.conditions?.first?.lastTransitionTime == h.at(45))
        await #expect(h.pod("q")?.status?.conditions?.first?.status == "True")
        #expect(h.recorder.records("NodeNotReady").contains(.init(object: "p", type: "Warning", reason: "NodeNotReady", message: "Node is not ready")))
    }
}

@Suite struct NodeLifecycleEvictionTests {
    @Test func podsTolerating300SecondsAreEvicted300SecondsAfterTheTaint() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("p", node: "n1")
        h.renew("n1")
        await h.run(until: 45)
        #expect(h.taints("n1").first?.timeAdded == h.at(45))
        await #expect(h.pod("p") != nil)
        await h.run(until: 344.999)
        await #expect(h.pod("p") != nil)
        #expect(h.recorder.count("TaintManagerEviction") == 0)
        await h.run(until: 345)
        await #expect(h.pod("p") == nil)
        #expect(h.recorder.records("TaintManagerEviction") == [
            .init(object: "p", type: "Normal", reason: "TaintManagerEviction", message: "Marking for deletion Pod default/p")
        ])
    }

    @Test func aPodThatDoesNotTolerateTheTaintIsEvictedAtOnce() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("p", node: "n1", tolerations: nil)
        await h.createPod("other-key", node: "n1", tolerations: [
            Toleration(key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300)
        ])
        h.renew("n1")
        await h.run(until: 44.9)
        await #expect(h.pod("p") != nil)
        await h.run(until: 45)
        await #expect(h.pod("p") == nil)
        await #expect(h.pod("other-key") == nil)
        #expect(h.recorder.count("TaintManagerEviction") == 2)
    }

    @Test func aForeverTolerationIsNeverEvicted() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("p", node: "n1", tolerations: [Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute")])
        await h.createPod("all", node: "n1", tolerations: [Toleration(operator: "Exists")])
        h.renew("n1")
        await h.run(until: 5000)
        #expect(h.ready("n1")?.status == "Unknown")
        await #expect(h.pod("p") != nil)
        await #expect(h.pod("all") != nil)
        #expect(h.recorder.count("TaintManagerEviction") == 0)
    }

    @Test func theShortestTolerationDecides() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("p", node: "n1", tolerations: [
            Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60),
            Toleration(key: "dedicated", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1000),
        ])
        h.renew("n1")
        await h.run(until: 45)
        // A user's NoExecute taint added later, tolerated longer: the unreachable toleration still ends first.
        await h.cluster.updateNode("n1") { n in
            n.spec!.taints!.append(Taint(key: "dedicated", effect: "NoExecute", timeAdded: h.clock.now))
        }
        await h.run(until: 104.9)
        await #expect(h.pod("p") != nil)
        await h.run(until: 105)
        await #expect(h.pod("p") == nil)
    }

    @Test func aNodeThatRecoversInTimeKeepsItsPods() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("p", node: "n1")
        h.renew("n1")
        await h.run(until: 200)
        #expect(h.taints("n1").count == 2)
        await h.postReady("n1", "True")
        await h.runHeartbeating("n1", until: 1000)
        #expect(h.taints("n1").isEmpty)
        await #expect(h.pod("p") != nil)
        #expect(h.recorder.count("TaintManagerEviction") == 0)
    }

    @Test func terminalAndDeletingPodsAreSkipped() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        await h.createPod("done", node: "n1", tolerations: nil, phase: PodPhase.succeeded)
        let going = await h.createPod("going", node: "n1", tolerations: nil)
        await h.cluster.markDeleting(going)
        h.renew("n1")
        await h.run(until: 400)
        await #expect(h.pod("done") != nil)
        await #expect(h.pod("going") != nil)
        #expect(!h.cluster.writes.contains { $0.hasPrefix("delete Pod") })
        #expect(h.recorder.count("TaintManagerEviction") == 0)
    }

    @Test func podsBoundLaterToATaintedNodeAreEvictedOnTheTaintsClock() async {
        let h = NodeHarness()
        await h.cluster.createNode("n1")
        h.renew("n1")
        await h.run(until: 100)
        await h.createPod("late", node: "n1")
        await h.run(until: 344.9)
        await #expect(h.pod("late") != nil)
        await h.run(until: 345)
        await #expect(h.pod("late") == nil)
    }
}
