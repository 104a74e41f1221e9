import Testing
@testable import Engine

// Reference: shared/reference/broadcastjob.md sections 2 (status) and 3.1, 3.2, 3.6, 3.7 (pods),
// with the Decisions D-B1..D-B8.

@Suite struct BroadcastJobStatusTests {
    @Test func countsOwnedPodsByPhaseIncludingPodsOnMissingNodes() async throws {
        let h = BCJHarness()
        for n in ["n1", "n2", "n3", "n4"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Continue"))
        await h.cluster.createJobPod(job, node: "n1", name: "j-1", phase: PodPhase.succeeded)
        await h.cluster.createJobPod(job, node: "n2", name: "j-2", phase: PodPhase.failed)
        await h.cluster.createJobPod(job, node: "n3", name: "j-3", phase: PodPhase.running)
        await h.cluster.createJobPod(job, node: "gone", name: "j-4", phase: PodPhase.pending)
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.succeeded == 1)
        #expect(st.failed == 1)
        // j-3, j-4 (its node does not exist, it still counts) and the new pod on n4.
        #expect(st.active == 3)
        #expect(st.desired == 4)
        #expect(h.cluster.pods(of: job).count == 5)
    }

    @Test func podsBeingDeletedCountOnlyWhenTerminal() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        await h.cluster.createNode("n2")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Continue"))
        let done = await h.cluster.createJobPod(job, node: "n1", name: "j-1", phase: PodPhase.succeeded)
        let going = await h.cluster.createJobPod(job, node: "n2", name: "j-2", phase: PodPhase.running)
        await h.cluster.markDeleting(done)
        await h.cluster.markDeleting(going)
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.succeeded == 1)
        #expect(st.active == 0)
        #expect(st.failed == 0)
        #expect(st.desired == 2)
        // The node whose pod is being deleted gets no second pod, and a deleting pod counts as finished.
        #expect(h.cluster.pods(of: job).count == 2)
        #expect(st.phase == "completed")
    }

    @Test func firstReconcileSetsRunningAndStartTimeWhichIsNeverReset() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        await h.cluster.createJob("j")
        #expect(h.cluster.job("j")!.status?.phase == nil)
        let t0 = h.clock.now
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.status("j").startTime == t0)
        h.clock.advance(50)
        try await h.reconcile("j")
        #expect(h.status("j").startTime == t0)
        #expect(h.status("j").completionTime == nil)
        #expect(h.status("j").conditions == nil)
    }

    @Test func completionAppendsExactlyOneConditionAndIsNotReconciledAgain() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        h.clock.advance(7)
        for p in h.cluster.pods(of: job) { await h.cluster.setPod(p, phase: PodPhase.succeeded) }
        let r = try await h.reconcile("j")
        #expect(r.requeueAfter == nil)  // no TTL: 0
        let st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.active == 0)
        #expect(st.succeeded == 2)
        #expect(st.completionTime == h.clock.now)
        #expect(st.conditions?.count == 1)
        let c = st.conditions![0]
        #expect(c.type == "Complete")
        #expect(c.status == "True")
        #expect(c.reason == "Complete")
        #expect(c.message == "Job completed, 2 pods succeeded, 0 pods failed")
        #expect(c.lastProbeTime == h.clock.now)
        #expect(c.lastTransitionTime == h.clock.now)
        #expect(h.recorder.records("JobComplete") == [
            .init(object: "j", type: "Normal", reason: "JobComplete", message: "Job default/j is completed, 2 pods succeeded, 0 pods failed")
        ])
        // A finished job is never re-synced: a new node gets no pod, nothing is written.
        await h.cluster.createNode("c")
        let writes = h.cluster.writes.count
        let r2 = try await h.reconcile("j")
        #expect(r2 == .done)
        #expect(h.cluster.writes.count == writes)
        #expect(h.cluster.pods(of: job).count == 2)
        #expect(h.recorder.count("JobComplete") == 1)
    }

    @Test func continuePolicyCompletesWithCompleteEvenWithFailedPods() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Continue"))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 2)
        await h.cluster.setPod(pods[0], phase: PodPhase.failed)
        await h.cluster.setPod(pods[1], phase: PodPhase.succeeded)
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.failed == 1)
        #expect(st.succeeded == 1)
        #expect(st.conditions?.map(\.type) == ["Complete"])
        #expect(st.conditions?.first?.message == "Job completed, 1 pods succeeded, 1 pods failed")
        #expect(h.recorder.messages("JobComplete") == ["Job default/j is completed, 1 pods succeeded, 1 pods failed"])
        #expect(h.cluster.pods(of: job).count == 2)  // failed pods are never deleted nor recreated
    }

    @Test func completionWaitsForEveryDesiredNode() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.status("j").conditions == nil)
        // A node that only got its pod in this pass is not finished either.
        await h.cluster.setPod(try h.cluster.pod(of: job, 1), phase: PodPhase.succeeded)
        await h.cluster.createNode("c")
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.cluster.pods(of: job).count == 3)
    }

    @Test func jobMatchingNoNodeStaysRunning() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", nodeSelector: ["role": "gpu"])
        try await h.reconcile("j")
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.desired == 0)
        #expect(st.phase == "running")
        #expect(st.conditions == nil)
    }

    @Test func statusIsWrittenOnEveryReconcileWithFreshCounts() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", parallelism: .int(1))
        try await h.reconcile("j")
        #expect(h.status("j").active == 1)
        #expect(h.status("j").desired == 2)
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.status("j").succeeded == 1)
        #expect(h.status("j").active == 1)  // the second node's pod, created this pass
    }
}

@Suite struct BroadcastJobPodCreationTests {
    @Test func podInNodeNameModeCarriesTemplateLabelsOwnerAndNodeName() async throws {
        let h = BCJHarness(scheduler: false)
        await h.cluster.createNode("n1")
        var job = await h.cluster.createJob("hello")
        await h.cluster.updateJob("hello") { j in
            j.spec.template.metadata = ObjectMeta(name: "ignored", labels: ["app": "x"])
            j.spec.template.metadata?.annotations = ["note": "1"]
            j.spec.template.metadata?.finalizers = ["example.com/keep"]
        }
        job = h.cluster.job("hello")!
        try await h.reconcile("hello")
        let pods = try h.cluster.pods(of: job, atLeast: 1)
        #expect(pods.count == 1)
        let p = pods[0]
        #expect(p.metadata.generateName == "hello-")
        #expect(p.name.hasPrefix("hello-") && p.name != "ignored")
        #expect(p.namespace == "default")
        #expect(p.metadata.labels == ["app": "x", "broadcastjob-name": "hello", "broadcastjob-controller-uid": job.uid])
        #expect(p.metadata.annotations == ["note": "1"])
        #expect(p.metadata.finalizers == ["example.com/keep"])
        #expect(p.metadata.ownerReferences == [
            OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "hello", uid: job.uid, controller: true, blockOwnerDeletion: true)
        ])
        #expect(p.spec.nodeName == "n1")
        #expect(p.spec.affinity == nil)
        #expect(p.spec.restartPolicy == "Never")
        #expect(h.recorder.records("SuccessfulCreate") == [
            .init(object: "hello", type: "Normal", reason: "SuccessfulCreate", message: "Created pod: \(p.name)")
        ])
        // The stored job's template is not modified (the labels are injected in memory).
        #expect(h.cluster.job("hello")!.spec.template.metadata?.labels == ["app": "x"])
    }

    @Test func podInSchedulerModeIsPinnedByAMetadataNameTermOnly() async throws {
        let h = BCJHarness(scheduler: true)
        await h.cluster.createNode("n1", labels: ["zone": "a"])
        await h.cluster.createNode("n2", labels: ["zone": "b"])
        await h.cluster.createJob("j")
        await h.cluster.updateJob("j") { j in
            var na = NodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["a", "b"])])
            ]))
            na.preferredDuringSchedulingIgnoredDuringExecution = [
                PreferredSchedulingTerm(weight: 5, preference: NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["a"])]))
            ]
            var aff = Affinity(nodeAffinity: na)
            aff.podAntiAffinity = .object(["keep": .string("me")])
            j.spec.template.spec.affinity = aff
        }
        let job = h.cluster.job("j")!
        try await h.reconcile("j")
        let pods = h.cluster.pods(of: job)
        #expect(pods.count == 2)
        for (p, node) in zip(pods, ["n1", "n2"]) {
            #expect(p.spec.nodeName == nil)
            #expect(p.spec.assignedNode == node)
            let na = p.spec.affinity?.nodeAffinity
            #expect(na?.requiredDuringSchedulingIgnoredDuringExecution == NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [node])])
            ]))
            #expect(na?.preferredDuringSchedulingIgnoredDuringExecution?.first?.weight == 5)
            #expect(p.spec.affinity?.podAntiAffinity == .object(["keep": .string("me")]))
        }
        // Pending (unbound) pods are matched to their node: no duplicates on the next pass.
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).count == 2)
        #expect(h.status("j").active == 2)
        #expect(h.recorder.count("DuplicatePodCreatedOnSameNode") == 0)
    }

    @Test func percentParallelismRoundsUp() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .string("50%"))
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).map { $0.spec.nodeName } == ["a", "b"])  // ceil(1.5) = 2, first nodes in order
        #expect(h.status("j").active == 2)
        #expect(h.status("j").desired == 3)
    }

    @Test func intParallelismCapsActivePods() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .int(1))
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).count == 1)
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).count == 1)
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).map { $0.spec.nodeName } == ["a", "b"])
    }

    @Test func badParallelismStringCreatesNoPodButWritesStatusAndFails() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .string("abc"))
        await #expect(throws: (any Error).self) { try await h.reconcile("j") }
        #expect(h.cluster.pods(of: job).isEmpty)
        let st = h.status("j")
        #expect(st.phase == "running")
        #expect(st.desired == 3)
        #expect(st.active == 0)
        #expect(st.startTime != nil)
        #expect(h.recorder.count("SuccessfulCreate") == 0)
    }

    @Test func slowStartBatchesDoubleAndStopAfterAFailingBatch() async throws {
        let h = BCJHarness()
        for i in 1...8 { await h.cluster.createNode("n\(i)") }
        let job = await h.cluster.createJob("j")
        var attempted: [String] = []
        h.cluster.failWrite = { verb, obj in
            guard verb == "create", case .pod(let p) = obj else { return nil }
            attempted.append(p.spec.nodeName ?? "")
            return p.spec.nodeName == "n4" ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        // Batches of 1, 2, 4: the third batch (n4..n7) fails on n4, so n8 is not tried.
        #expect(attempted == ["n1", "n2", "n3", "n4", "n5", "n6", "n7"])
        #expect(h.cluster.pods(of: job).map { $0.spec.nodeName! } == ["n1", "n2", "n3", "n5", "n6", "n7"])
        #expect(h.recorder.records("FailedCreate") == [.init(object: "j", type: "Warning", reason: "FailedCreate", message: "Error creating: boom")])
        #expect(h.recorder.count("SuccessfulCreate") == 6)
        #expect(h.status("j").active == 6)  // D-B1
    }

    @Test func slowStartStopsAfterFirstBatchWhenItFails() async throws {
        let h = BCJHarness()
        for i in 1...4 { await h.cluster.createNode("n\(i)") }
        let job = await h.cluster.createJob("j")
        var attempts = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "create" else { return nil }
            attempts += 1
            return APIError(code: 500, reason: .internalError, message: "down")
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        #expect(attempts == 1)
        #expect(h.cluster.pods(of: job).isEmpty)
        #expect(h.status("j").active == 0)
    }

    @Test func allBatchesRunWhenCreationsSucceed() async throws {
        let h = BCJHarness()
        for i in 1...8 { await h.cluster.createNode("n\(i)") }
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        let pods = h.cluster.pods(of: job)
        #expect(pods.count == 8)
        #expect(h.recorder.messages("SuccessfulCreate") == pods.map { "Created pod: \($0.name)" })
    }

    @Test func failedCreationIsNotActiveAndIsRetried() async throws {
        // D-B1
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", parallelism: .int(2))
        h.cluster.failWrite = { verb, obj in
            if verb == "create", case .pod(let p) = obj, p.spec.nodeName == "b" {
                return APIError(code: 403, reason: .forbidden, message: "pods \"x\" is forbidden: exceeded quota")
            }
            return nil
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        #expect(h.status("j").active == 1)
        #expect(h.cluster.pods(of: job).map { $0.spec.nodeName } == ["a"])
        #expect(h.recorder.messages("FailedCreate") == ["Error creating: pods \"x\" is forbidden: exceeded quota"])
        // The failed creation's expectation was observed at once: the next pass is not blocked and retries.
        h.cluster.failWrite = nil
        let r = try await h.reconcile("j")
        #expect(r == .done)
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName }.sorted() == ["a", "b"])
        #expect(h.status("j").active == 2)
    }

    @Test func tooManyActivePodsRecordsAnEventAndCreatesNothing() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .int(1))
        await h.cluster.createJobPod(job, node: "a", name: "j-a")
        await h.cluster.createJobPod(job, node: "b", name: "j-b")
        try await h.reconcile("j")
        #expect(h.recorder.records("TooManyActivePods") == [
            .init(object: "j", type: "Warning", reason: "TooManyActivePods", message: "Number of active pods exceed parallelism limit")
        ])
        #expect(h.cluster.pods(of: job).count == 2)
        #expect(h.status("j").active == 2)
    }

    @Test func activeEqualToParallelismDoesNothing() async throws {
        let h = BCJHarness()
        for n in ["a", "b"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .int(1))
        await h.cluster.createJobPod(job, node: "a", name: "j-a")
        try await h.reconcile("j")
        #expect(h.recorder.count("TooManyActivePods") == 0)
        #expect(h.cluster.pods(of: job).count == 1)
    }

    @Test func duplicatePodsOnOneNodeRaiseAnEventAndTheLaterPodWins() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "n1", name: "j-a", phase: PodPhase.running)
        await h.cluster.createJobPod(job, node: "n1", name: "j-b", phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.recorder.records("DuplicatePodCreatedOnSameNode") == [
            .init(object: "j", type: "Warning", reason: "DuplicatePodCreatedOnSameNode", message: "Duplicated pod j-b found on same node n1")
        ])
        // j-b (later in list order) stands for n1, so the node is finished although j-a still runs.
        let st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.active == 1)
        #expect(st.succeeded == 1)
    }

    @Test func duplicatePodsLaterRunningPodBlocksCompletion() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "n1", name: "j-a", phase: PodPhase.succeeded)
        await h.cluster.createJobPod(job, node: "n1", name: "j-b", phase: PodPhase.running)
        try await h.reconcile("j")
        #expect(h.recorder.messages("DuplicatePodCreatedOnSameNode") == ["Duplicated pod j-b found on same node n1"])
        #expect(h.status("j").phase == "running")
    }

    @Test func orphanPodsWithTheLabelsAreIgnored() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        await h.cluster.createNode("n2")
        let job = await h.cluster.createJob("j")
        // Labels but no controller reference, and a controller reference with another uid.
        await h.cluster.createJobPod(job, node: "n1", name: "orphan-1", phase: PodPhase.succeeded, controller: false)
        await h.cluster.createJobPod(job, node: "n2", name: "orphan-2", phase: PodPhase.succeeded, ownerUID: "someone-else")
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.succeeded == 0)
        #expect(st.active == 2)
        let own = h.cluster.pods(of: job).filter { $0.metadata.controllerRef?.uid == job.uid && $0.metadata.generateName == "j-" }
        #expect(own.compactMap { $0.spec.nodeName } == ["n1", "n2"])
        #expect(h.recorder.count("DuplicatePodCreatedOnSameNode") == 0)
    }

    @Test func podWithoutTheJobLabelsIsNotCounted() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "n1", name: "nolabels", phase: PodPhase.succeeded, labels: ["app": "x"])
        try await h.reconcile("j")
        #expect(h.status("j").succeeded == 0)
        #expect(h.status("j").active == 1)
    }

    @Test func nodesThatDoNotFitGetNoPod() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("ok")
        await h.cluster.createNode("cordoned", unschedulable: true)
        await h.cluster.createNode("tainted", taints: [Taint(key: "k", value: "v", effect: Taint.noExecute)])
        await h.cluster.createNode("soft", taints: [Taint(key: "k", effect: Taint.preferNoSchedule)])
        await h.cluster.createNode("nopods", allocatable: ["cpu": Quantity(4), "memory": Quantity(parsing: "16Gi")!])
        await h.cluster.createNode("small", allocatable: ["cpu": Quantity(1), "memory": Quantity(parsing: "16Gi")!, "pods": Quantity(110)])
        await h.cluster.createNode("busy")
        // Another pod on "busy" uses most of its cpu: BroadcastJob compares with raw allocatable only.
        await h.cluster.createPlainPod("other", node: "busy", requests: ["cpu": Quantity(4)])
        let job = await h.cluster.createJob("j", requests: ["cpu": Quantity(2)])
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName } == ["busy", "ok", "soft"])
        #expect(h.status("j").desired == 3)
    }

    @Test func jobBeingDeletedCreatesNoPods() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("n1")
        let job = await h.cluster.createJob("j")
        await h.cluster.updateJob("j") { j in
            j.metadata.deletionTimestamp = h.clock.now
            j.metadata.finalizers = ["example.com/hold"]
        }
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).isEmpty)
        #expect(h.status("j").desired == 1)
    }
}
