import Testing
@testable import Engine

/// The default scheduler wired to a fake cluster.
private final class SchedulerHarness {
    let cluster = FakeCluster()
    let queue: WorkQueue
    let scheduler: DefaultScheduler
    var results: [String: ReconcileResult] = [:]

    init() {
        queue = WorkQueue(clock: cluster.clock)
        scheduler = DefaultScheduler(client: cluster, cache: cluster.cache, recorder: cluster.recorder, queue: queue)
    }

    /// Delivers pending watch events, then schedules every queued pod (without syncing in between).
    func run() throws {
        cluster.sync()
        while let k = queue.get() {
            results[k] = try scheduler.reconcile(k)
            queue.done(k)
        }
    }

    func nodeOf(_ name: String) -> String? {
        cluster.store[.pod]?["default/\(name)"].flatMap(Pod.unwrap)?.spec.nodeName
    }

    func node(_ name: String, cpu: Int64 = 4, memory: String = "16Gi", taints: [Taint] = []) {
        cluster.createNode(name, taints: taints, allocatable: ["cpu": Quantity(cpu), "memory": Quantity(parsing: memory)!, "pods": Quantity(110)])
    }

    @discardableResult
    func pod(_ name: String, cpu: Int64? = nil, memory: String? = nil, pinnedTo: String? = nil) -> Pod {
        var req: ResourceList = [:]
        if let cpu { req["cpu"] = Quantity(cpu) }
        if let memory { req["memory"] = Quantity(parsing: memory)! }
        var c = Container(name: "c")
        if !req.isEmpty { c.resources = ResourceRequirements(requests: req) }
        var spec = PodSpec(containers: [c], restartPolicy: "Never")
        if let pinnedTo {
            spec.affinity = Affinity(nodeAffinity: NodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [pinnedTo])])
            ])))
        }
        return try! cluster.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
    }
}

@Suite struct DefaultSchedulerTests {
    @Test func picksTheLeastAllocatedNode() throws {
        let h = SchedulerHarness()
        h.node("small", cpu: 4)
        h.node("big", cpu: 8)
        h.pod("p", cpu: 1, memory: "1Gi")
        try h.run()
        #expect(h.nodeOf("p") == "big")
        #expect(h.cluster.recorder.records("Scheduled") == [
            .init(object: "p", type: "Normal", reason: "Scheduled", message: "Successfully assigned default/p to big")
        ])
    }

    @Test func tiesGoToTheNodeWhoseNameSortsFirst() throws {
        let h = SchedulerHarness()
        h.node("b")
        h.node("c")
        h.node("a")
        h.pod("p", cpu: 1)
        try h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func podsAlreadyOnTheNodeCount() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 8)
        h.node("b", cpu: 2)
        h.cluster.createPlainPod("busy", node: "a", requests: ["cpu": Quantity(7)])
        h.pod("p", cpu: 2)
        try h.run()
        // a has more allocatable but only 1 cpu free.
        #expect(h.nodeOf("p") == "b")
    }

    @Test func finishedPodsOnTheNodeDoNotCount() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 4)
        h.cluster.createPlainPod("done", node: "a", requests: ["cpu": Quantity(4)], phase: PodPhase.succeeded)
        h.pod("p", cpu: 2)
        try h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func podsBoundInThisRunAreAssumedBeforeTheCacheSeesThem() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 4)
        h.node("b", cpu: 4)
        h.pod("p1", cpu: 3)
        h.pod("p2", cpu: 3)
        try h.run()
        #expect(Set([h.nodeOf("p1"), h.nodeOf("p2")]) == Set(["a", "b"]))
    }

    @Test func failedSchedulingNamesEveryReasonSortedAsKubernetesDoes() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 1)
        h.node("b", cpu: 1)
        h.node("c", cpu: 8, taints: [Taint(key: "dedicated", value: "db", effect: Taint.noSchedule)])
        h.pod("p", cpu: 2)
        try h.run()
        #expect(h.nodeOf("p") == nil)
        // k8s FitError: "<count> <reason>" strings sorted as strings.
        #expect(h.cluster.recorder.records("FailedScheduling") == [
            .init(object: "p", type: "Warning", reason: "FailedScheduling",
                  message: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.")
        ])
        #expect(h.results["default/p"]?.requeueAfter == 60)
    }

    @Test func failedSchedulingWithOneReason() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 1)
        h.pod("p", cpu: 2)
        try h.run()
        #expect(h.cluster.recorder.messages("FailedScheduling") == ["0/1 nodes are available: 1 Insufficient cpu."])
    }

    @Test func unschedulablePodIsRetriedWhenANodeArrives() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 1)
        h.pod("p", cpu: 2)
        try h.run()
        #expect(h.nodeOf("p") == nil)
        h.node("b", cpu: 4)
        try h.run()
        #expect(h.nodeOf("p") == "b")
    }

    @Test func pinnedPodIsCheckedAgainstItsNodeOnly() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 2)
        h.node("b", cpu: 64)
        h.pod("p", cpu: 1, pinnedTo: "a")
        try h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func pinnedPodWhoseNodeDoesNotFitStaysPending() throws {
        let h = SchedulerHarness()
        h.node("a", cpu: 2, taints: [Taint(key: "k", effect: Taint.noSchedule)])
        h.node("b", cpu: 64)
        h.pod("p", cpu: 1, pinnedTo: "a")
        h.pod("q", cpu: 1, pinnedTo: "gone")
        try h.run()
        #expect(h.nodeOf("p") == nil)
        #expect(h.nodeOf("q") == nil)
        #expect(h.cluster.recorder.count("FailedScheduling") == 2)
        #expect(h.cluster.recorder.records("FailedScheduling").allSatisfy { $0.message.hasPrefix("0/2 nodes are available: ") })
    }

    @Test func podsWithANodeOrAnotherSchedulerAreLeftAlone() throws {
        let h = SchedulerHarness()
        h.node("a")
        h.cluster.createPlainPod("bound", node: "a")
        var other = PodSpec(containers: [Container(name: "c")], restartPolicy: "Never")
        other.schedulerName = "my-scheduler"
        _ = try h.cluster.create(Pod(metadata: ObjectMeta(name: "other", namespace: "default"), spec: other))
        try h.run()
        #expect(h.nodeOf("other") == nil)
        #expect(h.cluster.writes.filter { $0.hasPrefix("bind") }.isEmpty)
    }
}
