import Foundation
import Testing
@testable import Engine

// Behaviours where the engine was brought in line with upstream kruise / Kubernetes after a
// function-by-function comparison (each test names the upstream behaviour it asserts).

@Suite struct BroadcastJobUpstreamAlignmentTests {
    @Test func statusTimesAreWholeSecondsAsMetav1TimeStoresThem() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j")
        h.clock.now = Timestamp(rfc3339: "2024-01-01T00:00:00.015Z")!
        try await h.reconcile("j")
        #expect(h.status("j").startTime?.rfc3339 == "2024-01-01T00:00:00Z")
        h.clock.now = Timestamp(rfc3339: "2024-01-01T00:00:20.999Z")!
        await h.cluster.setPod(h.cluster.pods(of: job)[0], phase: PodPhase.succeeded)
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.completionTime?.rfc3339 == "2024-01-01T00:00:20Z")
        #expect(st.conditions?.first?.lastTransitionTime?.rfc3339 == "2024-01-01T00:00:20Z")
        #expect(st.conditions?.first?.lastProbeTime?.rfc3339 == "2024-01-01T00:00:20Z")
    }

    @Test func deadlineWakeUpIsArmedForCompletionPolicyAlwaysOnly() async throws {
        // Upstream arms the requeue only for type == Always; the deadline check itself applies to any type but Never.
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        await h.cluster.createJob("always", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 60))
        await h.cluster.createJob("other", completion: CompletionPolicy(type: "Always1", activeDeadlineSeconds: 60))
        await #expect(try h.reconcile("always").requeueAfter == 60)
        await #expect(try h.reconcile("other") == .done)
        h.clock.advance(60)
        try await h.reconcile("other")
        #expect(h.status("other").phase == "failed")
        #expect(h.status("other").conditions?.first?.message == "Job default/other was active longer than specified deadline")
        #expect(h.recorder.count("DeadlineExceeded") == 1)
    }

    @Test func aDeletionErrorIsReplacedByTheCreationResult() async throws {
        // Upstream: `active, err = r.reconcilePods(...)` overwrites the error of deleting pods from nodes that
        // stopped fitting, so it is only logged and RequeueAfter stands; without pods to create it is returned.
        for withRestNode in [true, false] {
            let h = BCJHarness()
            await h.cluster.createNode("tainted", taints: [Taint(key: "k", effect: "NoSchedule")])
            if withRestNode { await h.cluster.createNode("n2") }
            let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 600))
            await h.cluster.createJobPod(job, node: "tainted", name: "j-old")
            h.cluster.failWrite = { verb, _ in verb == "delete" ? APIError(code: 500, reason: .internalError, message: "etcd down") : nil }
            if withRestNode {
                await #expect(try h.reconcile("j").requeueAfter == 600)
                #expect(h.cluster.pods(of: job).compactMap(\.spec.nodeName) == ["n2", "tainted"])
            } else {
                await #expect(throws: APIError.self) { try await h.reconcile("j") }
            }
        }
    }

    @Test func negativeRestartLimitFailsEveryLiveOnFailurePod() async throws {
        // Upstream `restartCount > restartLimit`: with -1 a pod that never restarted is already over the limit.
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", failurePolicy: FailurePolicy(type: "FailFast", restartLimit: -1))
        await h.cluster.createJobPod(job, node: "n1", name: "j-1", restartPolicy: "OnFailure")
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.recorder.messages("failed pod is found").first?.hasSuffix("0 pods succeeded, 1 pods failed") == true)
    }

    @Test func aTimeoutOnCreateIsNeitherCountedNorReturnedNorABatchBreak() async throws {
        let h = BCJHarness()
        for i in 1...4 { await h.cluster.createNode("n\(i)") }
        let job = await h.cluster.createJob("j")
        var attempted: [String] = []
        h.cluster.failWrite = { verb, obj in
            guard verb == "create", case .pod(let p) = obj else { return nil }
            attempted.append(p.spec.nodeName ?? "")
            return p.spec.nodeName == "n1" ? APIError(code: 504, reason: .timeout, message: "Timeout: request did not complete") : nil
        }
        await #expect(try h.reconcile("j") == .done)
        #expect(attempted == ["n1", "n2", "n3", "n4"])
        #expect(h.status("j").active == 3)
        #expect(h.recorder.messages("FailedCreate") == ["Error creating: Timeout: request did not complete"])
        #expect(h.cluster.pods(of: job).count == 3)
    }

    @Test func expectationsAreSetsOfNodes() async {
        // kruise ScaleExpectations: a second expectation for the same node is a no-op; one observation clears it.
        let clock = TestClock()
        let sets = ScaleExpectations(clock: clock, itemsAreSets: true)
        sets.expect("j", .delete, "n1")
        sets.expect("j", .delete, "n1")
        sets.observe("j", .delete, "n1")
        #expect(sets.check("j") == .satisfied)
        // kube's counting expectations (Job controller) need one observation per expectation.
        let counts = ScaleExpectations(clock: clock)
        counts.expect("j", .create, "")
        counts.expect("j", .create, "")
        counts.observe("j", .create, "")
        #expect(counts.check("j") != .satisfied)
        counts.observe("j", .create, "")
        #expect(counts.check("j") == .satisfied)
    }

    @Test func pausedFalseIsNotStored() async throws {
        // `Paused bool` with omitempty: the webhook's patch drops `paused: false`.
        var b = BroadcastJob(metadata: ObjectMeta(name: "b", namespace: "default"),
                             spec: BroadcastJobSpec(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "c", image: "busybox")], restartPolicy: "Never"))))
        b.spec.paused = false
        guard case .broadcastJob(let stored) = try Admission.admit(.broadcastJob(b), old: nil, options: AdmissionOptions()) else {
            Issue.record("not a BroadcastJob")
            return
        }
        #expect(stored.spec.paused == nil)
        b.spec.paused = true
        guard case .broadcastJob(let paused) = try Admission.admit(.broadcastJob(b), old: nil, options: AdmissionOptions()) else { return }
        #expect(paused.spec.paused == true)
    }
}

@Suite struct ResourceAndAffinityAlignmentTests {
    static func container(_ name: String, cpu: String, sidecar: Bool = false) -> Container {
        var c = Container(name: name, image: "busybox")
        c.resources = ResourceRequirements(requests: ["cpu": Quantity(parsing: cpu)!])
        if sidecar { c.restartPolicy = "Always" }
        return c
    }

    @Test func sidecarInitContainersAddToTheRequests() async {
        // Kubernetes >= 1.29 AggregateContainerRequests: sidecars (restartPolicy Always) run with the containers.
        var spec = PodSpec(containers: [Self.container("main", cpu: "1")], restartPolicy: "Never")
        spec.initContainers = [Self.container("proxy", cpu: "1", sidecar: true)]
        #expect(ResourceUsage.requests(of: spec).amounts["cpu"] == Quantity(parsing: "2")!)
        // A regular init container after a sidecar runs alongside it: max(2, 0.5 + 1.5) = 2; with 2 cpu: 2.5.
        spec.initContainers = [Self.container("proxy", cpu: "500m", sidecar: true), Self.container("setup", cpu: "2")]
        #expect(ResourceUsage.requests(of: spec).amounts["cpu"] == Quantity(parsing: "2500m")!)
        // Without sidecars: the larger of the containers' sum and each init container.
        spec.initContainers = [Self.container("setup", cpu: "3")]
        #expect(ResourceUsage.requests(of: spec).amounts["cpu"] == Quantity(parsing: "3")!)
        // The BroadcastJob's node fitness sees it: 1 + 1 cpu does not fit 1500m.
        let h = BCJHarness()
        await h.cluster.createNode("small", allocatable: ["cpu": Quantity(parsing: "1500m")!, "pods": Quantity(110)])
        var job = await h.cluster.createJob("j", requests: ["cpu": Quantity(parsing: "1")!])
        job.spec.template.spec.initContainers = [Self.container("proxy", cpu: "1", sidecar: true)]
        _ = try? await h.cluster.update(job)
        _ = try? await h.reconcile("j")
        #expect(h.status("j").desired == 0)
        #expect(h.cluster.pods(of: job).isEmpty)
    }

    @Test func aRequirementValueThatIsNotALabelValueNeverMatches() async {
        // labels.NewRequirement validates values: "-1" is not a label value, so `Gt ["-1"]` is a parse error.
        let gt = NodeSelectorRequirement(key: "rank", operator: "Gt", values: ["-1"])
        #expect(NodeFitness.requirementMatches(gt, value: "3") == nil)
        #expect(NodeFitness.requirementMatches(NodeSelectorRequirement(key: "rank", operator: "Gt", values: ["1"]), value: "3") == true)
        let notIn = NodeSelectorRequirement(key: "zone", operator: "NotIn", values: ["not a label value"])
        #expect(NodeFitness.requirementMatches(notIn, value: "a") == nil)
    }
}

@Suite struct WorkQueueTokenBucketTests {
    @Test func retriesBeyondTheBurstAreSpacedAtTenPerSecond() async {
        // DefaultControllerRateLimiter: max(per-key exponential, shared bucket of 10 qps / burst 100).
        let clock = TestClock()
        let q = WorkQueue(clock: clock)
        var delays: [Double] = []
        for i in 0..<110 { delays.append(q.addRateLimited("k\(i)")) }
        #expect(delays[0] == 0.005)
        #expect(delays[99] == 0.005)
        #expect(abs(delays[100] - 0.1) < 1e-9)
        #expect(abs(delays[109] - 1.0) < 1e-9)
        // The bucket refills with time.
        clock.advance(100)
        #expect(q.addRateLimited("later") == 0.005)
    }
}
