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
    func run() async throws {
        cluster.sync()
        while let k = queue.get() {
            results[k] = try await scheduler.reconcile(k)
            queue.done(k)
        }
    }

    func nodeOf(_ name: String) -> String? {
        cluster.store[.pod]?["default/\(name)"].flatMap(Pod.unwrap)?.spec.nodeName
    }

    func node(_ name: String, cpu: Int64 = 4, memory: String = "16Gi", taints: [Taint] = []) async {
        await cluster.createNode(name, taints: taints, allocatable: ["cpu": Quantity(cpu), "memory": Quantity(parsing: memory)!, "pods": Quantity(110)])
    }

    @discardableResult
    func pod(_ name: String, cpu: Int64? = nil, memory: String? = nil, pinnedTo: String? = nil) async -> Pod {
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
        return try! await cluster.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
    }
}

@Suite struct DefaultSchedulerTests {
    @Test func picksTheLeastAllocatedNode() async throws {
        let h = SchedulerHarness()
        await h.node("small", cpu: 4)
        await h.node("big", cpu: 8)
        await h.pod("p", cpu: 1, memory: "1Gi")
        try await h.run()
        #expect(h.nodeOf("p") == "big")
        #expect(h.cluster.recorder.records("Scheduled") == [
            .init(object: "p", type: "Normal", reason: "Scheduled", message: "Successfully assigned default/p to big")
        ])
    }

    @Test func tiesGoToTheNodeWhoseNameSortsFirst() async throws {
        let h = SchedulerHarness()
        await h.node("b")
        await h.node("c")
        await h.node("a")
        await h.pod("p", cpu: 1)
        try await h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func podsAlreadyOnTheNodeCount() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 8)
        await h.node("b", cpu: 2)
        await h.cluster.createPlainPod("busy", node: "a", requests: ["cpu": Quantity(7)])
        await h.pod("p", cpu: 2)
        try await h.run()
        // a has more allocatable but only 1 cpu free.
        #expect(h.nodeOf("p") == "b")
    }

    @Test func finishedPodsOnTheNodeDoNotCount() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 4)
        await h.cluster.createPlainPod("done", node: "a", requests: ["cpu": Quantity(4)], phase: PodPhase.succeeded)
        await h.pod("p", cpu: 2)
        try await h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func podsBoundInThisRunAreAssumedBeforeTheCacheSeesThem() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 4)
        await h.node("b", cpu: 4)
        await h.pod("p1", cpu: 3)
        await h.pod("p2", cpu: 3)
        try await h.run()
        #expect(Set([h.nodeOf("p1"), h.nodeOf("p2")]) == Set(["a", "b"]))
    }

    @Test func failedSchedulingNamesEveryReasonSortedAsKubernetesDoes() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 1)
        await h.node("b", cpu: 1)
        await h.node("c", cpu: 8, taints: [Taint(key: "dedicated", value: "db", effect: Taint.noSchedule)])
        await h.pod("p", cpu: 2)
        try await h.run()
        #expect(h.nodeOf("p") == nil)
        // k8s FitError: "<count> <reason>" strings sorted as strings.
        #expect(h.cluster.recorder.records("FailedScheduling") == [
            .init(object: "p", type: "Warning", reason: "FailedScheduling",
                  message: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.")
        ])
        #expect(h.results["default/p"]?.requeueAfter == 60)
    }

    @Test func failedSchedulingWithOneReason() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 1)
        await h.pod("p", cpu: 2)
        try await h.run()
        #expect(h.cluster.recorder.messages("FailedScheduling") == ["0/1 nodes are available: 1 Insufficient cpu."])
    }

    @Test func unschedulablePodIsRetriedWhenANodeArrives() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 1)
        await h.pod("p", cpu: 2)
        try await h.run()
        #expect(h.nodeOf("p") == nil)
        await h.node("b", cpu: 4)
        try await h.run()
        #expect(h.nodeOf("p") == "b")
    }

    @Test func pinnedPodIsCheckedAgainstItsNodeOnly() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 2)
        await h.node("b", cpu: 64)
        await h.pod("p", cpu: 1, pinnedTo: "a")
        try await h.run()
        #expect(h.nodeOf("p") == "a")
    }

    @Test func pinnedPodWhoseNodeDoesNotFitStaysPending() async throws {
        let h = SchedulerHarness()
        await h.node("a", cpu: 2, taints: [Taint(key: "k", effect: Taint.noSchedule)])
        await h.node("b", cpu: 64)
        await h.pod("p", cpu: 1, pinnedTo: "a")
        await h.pod("q", cpu: 1, pinnedTo: "gone")
        try await h.run()
        #expect(h.nodeOf("p") == nil)
        #expect(h.nodeOf("q") == nil)
        #expect(h.cluster.recorder.count("FailedScheduling") == 2)
        #expect(h.cluster.recorder.records("FailedScheduling").allSatisfy { $0.message.hasPrefix("0/2 nodes are available: ") })
    }

    @Test func podsWithANodeOrAnotherSchedulerAreLeftAlone() async throws {
        let h = SchedulerHarness()
        await h.node("a")
        await h.cluster.createPlainPod("bound", node: "a")
        var other = PodSpec(containers: [Container(name: "c")], restartPolicy: "Never")
        other.schedulerName = "my-scheduler"
        _ = try await h.cluster.create(Pod(metadata: ObjectMeta(name: "other", namespace: "default"), spec: other))
        try await h.run()
        #expect(h.nodeOf("other") == nil)
        #expect(h.cluster.writes.filter { $0.hasPrefix("bind") }.isEmpty)
    }
}
