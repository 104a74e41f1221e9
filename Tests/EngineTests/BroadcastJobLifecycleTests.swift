import Testing
@testable import Engine

// Reference: shared/reference/broadcastjob.md 3.0 (handlers), 3.1 (steps 2, 4, 13-19), 3.4, 3.5,
// 3.7, 3.8, 3.9 (requeues), 3.10 (events), with the Decisions D-B1..D-B8.

@Suite struct BroadcastJobNodeFitnessChangeTests {
    @Test func nodeThatStopsFittingLosesOnlyItsActivePod() async throws {
        // D-B5
        let h = BCJHarness()
        for n in ["a", "b", "c", "d"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Continue"))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 4)
        await h.cluster.setPod(pods[0], phase: PodPhase.succeeded)  // on a
        await h.cluster.setPod(pods[1], phase: PodPhase.failed)     // on b
        await h.cluster.setPod(pods[2], phase: PodPhase.running)    // on c
        await h.cluster.setPod(pods[3], phase: PodPhase.running)    // on d, which keeps fitting
        for n in ["a", "b", "c"] {
            await h.cluster.updateNode(n) { $0.spec = NodeSpec(taints: [Taint(key: "maintenance", effect: Taint.noSchedule)]) }
        }
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).map(\.name) == [pods[0].name, pods[1].name, pods[3].name])
        #expect(h.recorder.records("SuccessfulDelete") == [
            .init(object: "j", type: "Normal", reason: "SuccessfulDelete", message: "Delete pod: \(pods[2].name)")
        ])
        var st = h.status("j")
        #expect(st.succeeded == 1)
        #expect(st.failed == 1)  // deleting never adds to failed
        #expect(st.active == 1)
        #expect(st.phase == "running")
        // The next pass counts from the pods' real state.
        try await h.reconcile("j")
        st = h.status("j")
        #expect(st.succeeded == 1)
        #expect(st.failed == 1)
        #expect(st.active == 1)
        #expect(h.recorder.count("SuccessfulDelete") == 1)
        // The kept pods still count toward completion.
        await h.cluster.setPod(pods[3], phase: PodPhase.succeeded)
        try await h.reconcile("j")
        st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.conditions?.first?.message == "Job completed, 2 pods succeeded, 1 pods failed")
    }

    @Test func cordonAndShrinkingAllocatableDeleteActivePods() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        await h.cluster.createNode("c")
        let job = await h.cluster.createJob("j", requests: ["cpu": Quantity(2)])
        try await h.reconcile("j")
        await h.cluster.updateNode("a") { $0.spec = NodeSpec(unschedulable: true) }
        await h.cluster.updateNodeStatus("b") { $0.status?.allocatable?["cpu"] = Quantity(1) }
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName } == ["c"])
        #expect(h.recorder.count("SuccessfulDelete") == 2)
        #expect(h.status("j").active == 1)
        #expect(h.status("j").desired == 1)
        #expect(h.status("j").failed == 0)
    }

    @Test func schedulerModeLabelChangeEvictsOnlyWhenNodeSelectorBreaks() async throws {
        let h = BCJHarness(scheduler: true)
        await h.cluster.createNode("a", labels: ["zone": "x", "pool": "p"])
        await h.cluster.createNode("b", labels: ["zone": "x", "pool": "p"])
        await h.cluster.createJob("j", nodeSelector: ["pool": "p"])
        await h.cluster.updateJob("j") { j in
            j.spec.template.spec.affinity = Affinity(nodeAffinity: NodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchExpressions: [NodeSelectorRequirement(key: "zone", operator: "In", values: ["x"])])
            ])))
        }
        let job = h.cluster.job("j")!
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).count == 2)
        // The template's affinity was replaced on the pod: breaking it does not evict.
        await h.cluster.updateNode("a") { $0.metadata.labels = ["zone": "y", "pool": "p"] }
        // nodeSelector stays on the pod: breaking it does.
        await h.cluster.updateNode("b") { $0.metadata.labels = ["zone": "x", "pool": "q"] }
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).map(\.spec.assignedNode) == ["a"])
        #expect(h.status("j").desired == 1)
    }

    @Test func nodeDeletionEnqueuesJobsWithAPodThereAndTheirPodsKeepCounting() async throws {
        // D-B7
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let j1 = await h.cluster.createJob("j1")
        try await h.reconcile("j1")
        await h.cluster.createJob("j2", nodeSelector: ["only": "b"])
        let pods = try h.cluster.pods(of: j1, atLeast: 2)
        await h.cluster.setPod(pods[1], phase: PodPhase.succeeded)  // on b
        try await h.reconcile("j1")
        _ = h.drainQueue()
        await h.cluster.deleteNode("a")
        #expect(h.drainQueue() == ["default/j1"])
        try await h.reconcile("j1")
        let st = h.status("j1")
        // The pod on the vanished node is neither desired nor deleted, and still counts as active.
        #expect(st.desired == 1)
        #expect(st.active == 1)
        #expect(st.phase == "completed")
        #expect(h.cluster.pods(of: j1).count == 2)
        #expect(h.recorder.count("SuccessfulDelete") == 0)
    }

    @Test func nodeDeletionFindsPendingSchedulerModePods() async throws {
        let h = BCJHarness(scheduler: true)
        await h.cluster.createNode("a")
        await h.cluster.createJob("j")
        try await h.reconcile("j")
        _ = h.drainQueue()
        await h.cluster.deleteNode("a")
        #expect(h.drainQueue() == ["default/j"])
    }
}

@Suite struct BroadcastJobEventHandlerTests {
    @Test func nodeAddEnqueuesOnlyJobsWhoseMockPodFits() async throws {
        let h = BCJHarness()
        await h.cluster.createJob("gpu", nodeSelector: ["gpu": "yes"])
        await h.cluster.createJob("all")
        _ = h.drainQueue()
        await h.cluster.createNode("plain")
        #expect(h.drainQueue() == ["default/all"])
        await h.cluster.createNode("g", labels: ["gpu": "yes"])
        #expect(h.drainQueue().sorted() == ["default/all", "default/gpu"])
        await h.cluster.createNode("t", taints: [Taint(key: "k", effect: Taint.noSchedule)])
        #expect(h.drainQueue() == [])
    }

    @Test func nodeHeartbeatOnlyUpdateIsIgnored() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j")
        _ = h.drainQueue()
        let before = h.cluster.node("a")!
        await h.cluster.updateNodeStatus("a") { n in
            n.status?.conditions?[0].lastHeartbeatTime = h.clock.now.adding(seconds: 10)
        }
        let after = h.cluster.node("a")!
        #expect(before.metadata.resourceVersion != after.metadata.resourceVersion)
        #expect(BroadcastJobController.nodeUpdateIgnorable(before, after))
        #expect(h.drainQueue() == [])
    }

    @Test func nodeUpdateEnqueuesWhenFitnessChanges() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a", taints: [Taint(key: "k", value: "v", effect: Taint.noSchedule)])
        await h.cluster.createJob("j", nodeSelector: ["role": "w"])
        await h.cluster.updateNode("a") { $0.metadata.labels = ["role": "w"] }
        _ = h.drainQueue()
        // Taint removed: the mock pod now fits (openkruise/kruise#1199).
        await h.cluster.updateNode("a") { $0.spec = NodeSpec() }
        #expect(h.drainQueue() == ["default/j"])
        // A label change that does not change fitness is not enough.
        await h.cluster.updateNode("a") { $0.metadata.labels = ["role": "w", "extra": "1"] }
        #expect(h.drainQueue() == [])
        // Breaking the nodeSelector changes fitness.
        await h.cluster.updateNode("a") { $0.metadata.labels = ["extra": "1"] }
        #expect(h.drainQueue() == ["default/j"])
        // A condition change is not ignorable, but fitness is unchanged: nothing enqueued.
        let before = h.cluster.node("a")!
        await h.cluster.updateNodeStatus("a") { $0.status?.conditions = [Condition(type: "Ready", status: "False")] }
        #expect(!BroadcastJobController.nodeUpdateIgnorable(before, h.cluster.node("a")!))
        #expect(h.drainQueue() == [])
    }

    @Test func taintRemovalLetsTheJobRunThere() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a", taints: [Taint(key: "k", effect: Taint.noSchedule)])
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Never"))
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).isEmpty)
        await h.cluster.updateNode("a") { $0.spec = NodeSpec() }
        for key in h.drainQueue() { _ = try await h.controller.reconcile(key) }
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName } == ["a"])
    }

    @Test func podEventsObserveExpectationsAndEnqueueTheOwner() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        #expect(h.controller.expectations.pendingKeys == 1)
        #expect(h.drainQueue() == ["default/j"])  // pod created
        #expect(h.controller.expectations.pendingKeys == 0)
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.running)
        #expect(h.drainQueue() == ["default/j"])  // pod updated
        await h.cluster.createPlainPod("unrelated", node: "a")
        #expect(h.drainQueue() == [])
        await h.cluster.deletePod(try h.cluster.pod(of: job, 0))
        #expect(h.drainQueue() == ["default/j"])  // pod deleted
    }

    @Test func podDeleteObservesTheDeleteExpectation() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.updateNode("a") { $0.spec = NodeSpec(unschedulable: true) }
        try await h.reconcile("j")  // deletes the pod: one delete expectation
        #expect(h.cluster.pods(of: job).isEmpty)
        #expect(h.controller.expectations.pendingKeys == 1)
        await #expect(try h.controller.reconcile("default/j").requeueAfter == 300)
        h.cluster.sync()
        #expect(h.controller.expectations.pendingKeys == 0)
    }

    @Test func podCreatedAlreadyDeletingIsHandledAsADelete() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        h.cluster.sync()
        h.controller.expectations.expect("default/j", .delete, "a")
        var p = Pod(metadata: ObjectMeta(name: "late", namespace: "default", labels: [:]), spec: PodSpec())
        p.metadata.ownerReferences = [job.ownerReference()]
        p.metadata.deletionTimestamp = h.clock.now
        p.spec.nodeName = "a"
        _ = try await h.cluster.create(p)
        #expect(h.drainQueue() == ["default/j"])
        #expect(h.controller.expectations.pendingKeys == 0)
    }
}

@Suite struct BroadcastJobNeverPolicyTests {
    @Test func neverJobFollowsNewNodesAndRecreatesDeletedPods() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Never"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        let r = try await h.reconcile("j")
        #expect(r == .done)
        #expect(h.status("j").phase == "running")
        #expect(h.status("j").conditions == nil)
        await h.cluster.createNode("b")
        #expect(h.drainQueue().contains("default/j"))
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName } == ["a", "b"])
        let onA = try h.cluster.pod(of: job, 0)
        await h.cluster.deletePod(onA)
        try await h.reconcile("j")
        let now = h.cluster.pods(of: job)
        #expect(now.compactMap { $0.spec.nodeName }.sorted() == ["a", "b"])
        #expect(!now.contains { $0.uid == onA.uid })
        #expect(h.status("j").phase == "running")
    }

    @Test func neverJobIgnoresDeadlineAndTTL() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Never", activeDeadlineSeconds: 10))
        let r = try await h.reconcile("j")
        #expect(r.requeueAfter == nil)
        h.clock.advance(100)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.recorder.count("DeadlineExceeded") == 0)
    }

    @Test func failFastStillFailsANeverJobWhichThenOnlyRefreshesCounts() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Never"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.status("j").conditions?.map(\.type) == ["Failed"])
        await h.cluster.createNode("b")
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.phase == "failed")
        #expect(st.desired == 2)
        #expect(st.failed == 1)
        #expect(st.conditions?.count == 1)
        #expect(h.cluster.pods(of: job).count == 1)
        #expect(h.recorder.count("failed pod is found") == 2)
    }
}

@Suite struct BroadcastJobPausedTests {
    @Test func pausedJobCreatesNothingButRefreshesCounts() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", paused: true)
        try await h.reconcile("j")
        let st = h.status("j")
        #expect(st.phase == "paused")
        #expect(st.desired == 2)
        #expect(st.startTime != nil)
        #expect(h.cluster.pods(of: job).isEmpty)
        #expect(h.recorder.records.isEmpty)
    }

    @Test func pausedJobDeletesNothingAndDoesNotFail() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        let pod = try h.cluster.pod(of: job, 0)
        await h.cluster.updateJob("j") { $0.spec.paused = true }
        await h.cluster.updateNode("a") { $0.spec = NodeSpec(unschedulable: true) }
        await h.cluster.setPod(pod, phase: PodPhase.running)
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).count == 1)
        #expect(h.status("j").phase == "paused")
        #expect(h.status("j").active == 1)
        // Even a failed pod under FailFast does not fail a paused job.
        await h.cluster.setPod(pod, phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "paused")
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").conditions == nil)
    }

    @Test func unpausingRecordsContinueAndProceedsInTheSamePass() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", paused: true)
        try await h.reconcile("j")
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.recorder.records == [
            .init(object: "j", type: "Normal", reason: "Continue", message: "continue to process job"),
            .init(object: "j", type: "Normal", reason: "SuccessfulCreate", message: "Created pod: \(try h.cluster.pod(of: job, 0).name)"),
        ])
        #expect(h.status("j").phase == "running")
        #expect(h.cluster.pods(of: job).count == 1)
    }

    @Test func continueIsRecordedOncePerUnpauseEvenOnAStaleCache() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", parallelism: .int(1), paused: true)
        try await h.reconcile("j")
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.recorder.count("Continue") == 1)
        // The new pod's watch event reaches the cache before the job's status event.
        for p in h.cluster.pods(of: job) { h.cluster.cache.pods.apply(.added, p) }
        _ = try await h.controller.reconcile("default/j")
        #expect(h.recorder.count("Continue") == 1)
        #expect(h.status("j").phase == "running")
        try await h.reconcile("j")
        #expect(h.recorder.count("Continue") == 1)
        // Pausing and unpausing again is a new transition.
        await h.cluster.updateJob("j") { $0.spec.paused = true }
        try await h.reconcile("j")
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.recorder.count("Continue") == 2)
        #expect(h.status("j").phase == "running")
    }

    @Test func deadlineKeepsCountingWhilePausedAndFiresOnUnpause() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 60), paused: true)
        try await h.reconcile("j")
        h.clock.advance(100)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "paused")
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.recorder.reasons() == ["Continue", "DeadlineExceeded"])
        #expect(h.status("j").phase == "failed")
    }
}

@Suite struct BroadcastJobFailurePolicyTests {
    @Test func failFastFailsTheJobDeletesActivePodsAndRecordsTwoEvents() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 3)
        await h.cluster.setPod(pods[0], phase: PodPhase.failed)
        await h.cluster.setPod(pods[1], phase: PodPhase.succeeded)
        await h.cluster.setPod(pods[2], phase: PodPhase.running)
        h.recorder.records = []
        h.clock.advance(3)
        let r = try await h.reconcile("j")
        #expect(r.requeueAfter == nil)
        let msg = "failure policy is FailurePolicyTypeFailFast and failed pod is found: 1 pods succeeded, 1 pods failed"
        #expect(h.recorder.records == [
            .init(object: "j", type: "Warning", reason: "failed pod is found", message: msg),
            .init(object: "j", type: "Normal", reason: "SuccessfulDelete", message: "Delete pod: \(pods[2].name)"),
            .init(object: "j", type: "Warning", reason: "failed pod is found", message: msg),
        ])
        let st = h.status("j")
        #expect(st.phase == "failed")
        #expect(st.active == 0)
        #expect(st.failed == 1)
        #expect(st.succeeded == 1)
        #expect(st.completionTime == h.clock.now)
        #expect(st.conditions?.count == 1)
        let c = st.conditions![0]
        #expect(c.type == "Failed")
        #expect(c.status == "True")
        #expect(c.reason == "Failed")
        #expect(c.message == "failure policy is FailurePolicyTypeFailFast and failed pod is found")
        #expect(h.cluster.pods(of: job).map(\.name) == [pods[0].name, pods[1].name])
    }

    @Test func failFastWithTTLRequeuesTTLPlusOne() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", ttlSecondsAfterFinished: 20))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
        await #expect(try h.reconcile("j").requeueAfter == 21)
    }

    @Test func failedJobDeletesEveryNonTerminalPodIncludingRestartLimitFailedOnes() async throws {
        // D-B8
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure")
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 3)
        await h.cluster.setPod(pods[0], phase: PodPhase.running, restarts: 1)  // over restartLimit 0: failed, still running
        await h.cluster.setPod(pods[1], phase: PodPhase.succeeded)
        await h.cluster.setPod(pods[2], phase: PodPhase.running)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.cluster.pods(of: job).map(\.name) == [pods[1].name])
        #expect(Set(h.recorder.messages("SuccessfulDelete")) == ["Delete pod: \(pods[0].name)", "Delete pod: \(pods[2].name)"])
        #expect(h.status("j").active == 0)
        #expect(h.status("j").failed == 1)
    }

    @Test func deadlineFailureAlsoDeletesRestartLimitFailedPods() async throws {
        // D-B8
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 30),
                                      failurePolicy: FailurePolicy(type: "Continue", restartLimit: 2))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 1)
        await h.cluster.setPod(pods[0], phase: PodPhase.running, restarts: 3)
        h.clock.advance(30)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.cluster.pods(of: job).isEmpty)
    }

    @Test func restartLimitIsPerPodOnFailureOnlyAndStrictlyGreater() async throws {
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", failurePolicy: FailurePolicy(type: "Continue", restartLimit: 2))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 3)
        await h.cluster.setPod(pods[0], phase: PodPhase.running, restarts: 2)  // == limit: not failed
        await h.cluster.setPod(pods[1], phase: PodPhase.running, restarts: 2)  // not aggregated across pods
        await h.cluster.setPod(pods[2], phase: PodPhase.running, restarts: 3)  // > limit: failed
        try await h.reconcile("j")
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").active == 2)
        #expect(h.status("j").phase == "running")
        #expect(h.cluster.pods(of: job).count == 3)  // Continue deletes nothing
    }

    @Test func restartsOfANeverPodNeverFailIt() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", restartPolicy: "Never")
        await h.cluster.createJobPod(job, node: "a", name: "j-a", restartPolicy: "Never", restarts: 9)
        try await h.reconcile("j")
        #expect(h.status("j").failed == 0)
        #expect(h.status("j").active == 1)
        #expect(h.status("j").phase == "running")
    }

    @Test func defaultRestartLimitIsZeroSoOneRestartFailsAnOnFailurePod() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", failurePolicy: FailurePolicy(type: "Continue"))
        await h.cluster.createJobPod(job, node: "a", name: "j-a", restartPolicy: "OnFailure", restarts: 1)
        try await h.reconcile("j")
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").active == 0)
    }

    @Test func restartLimitFailedPodFreesAParallelismSlotButBlocksCompletion() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", parallelism: .int(1), failurePolicy: FailurePolicy(type: "Continue"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.running, restarts: 1)
        try await h.reconcile("j")
        #expect(h.cluster.pods(of: job).compactMap { $0.spec.nodeName } == ["a", "b"])
        await h.cluster.setPod(try h.cluster.pod(of: job, 1), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")  // the crash-looping pod on a is still active for completion
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").succeeded == 1)
    }

    @Test func unknownOrEmptyFailurePolicyDoesNothing() async throws {
        for type in ["", "Whatever"] {
            let h = BCJHarness()
            await h.cluster.createNode("a")
            await h.cluster.createNode("b")
            let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: type))
            try await h.reconcile("j")
            await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
            try await h.reconcile("j")
            #expect(h.status("j").phase == "running")
            #expect(h.status("j").failed == 1)
            #expect(h.recorder.records.allSatisfy { $0.type == "Normal" })
        }
    }
}

@Suite struct BroadcastJobPausePolicyTests {
    @Test func pauseIsPersistedOncePerTransitionAndOnlyNewFailuresRePause() async throws {
        // D-B4
        let h = BCJHarness()
        for n in ["a", "b", "c"] { await h.cluster.createNode(n) }
        let job = await h.cluster.createJob("j", parallelism: .int(1), failurePolicy: FailurePolicy(type: "Pause"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.cluster.job("j")!.spec.paused == true)
        #expect(h.status("j").phase == "paused")
        #expect(h.status("j").failed == 1)
        #expect(h.recorder.records("Paused") == [.init(object: "j", type: "Warning", reason: "Paused", message: "job is paused, due to failed pod")])
        #expect(h.cluster.pods(of: job).count == 1)
        // Staying paused: no churn of Continue/Paused events, no pods.
        try await h.reconcile("j")
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 1)
        #expect(h.recorder.count("Continue") == 0)
        #expect(h.status("j").phase == "paused")
        #expect(h.cluster.pods(of: job).count == 1)
        // The user unpauses: the failure already seen does not pause again, the job proceeds.
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.recorder.count("Continue") == 1)
        #expect(h.recorder.count("Paused") == 1)
        #expect(h.status("j").phase == "running")
        #expect(h.cluster.job("j")!.spec.paused != true)
        #expect(h.cluster.pods(of: job).count == 2)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 1)
        #expect(h.recorder.count("Continue") == 1)
        // A new failure pauses again.
        await h.cluster.setPod(try h.cluster.pod(of: job, 1), phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 2)
        #expect(h.cluster.job("j")!.spec.paused == true)
        #expect(h.status("j").phase == "paused")
        #expect(h.status("j").failed == 2)
        #expect(h.cluster.pods(of: job).count == 2)
    }

    @Test func aNewFailureRePausesEvenAfterAnAcknowledgedFailedPodWasRemoved() async throws {
        // D-B4: "only new failures" re-pause; a new failure is new even if the count did not grow.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Pause"))
        try await h.reconcile("j")
        let first = try h.cluster.pods(of: job, atLeast: 2)
        await h.cluster.setPod(first[0], phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 1)
        // The user removes the failed pod and unpauses; the job recreates it.
        await h.cluster.deletePod(first[0])
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.cluster.pods(of: job).count == 2)
        // Another pod fails: a new failure.
        await h.cluster.setPod(first[1], phase: PodPhase.failed)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 2)
        #expect(h.status("j").phase == "paused")
        #expect(h.cluster.job("j")!.spec.paused == true)
    }

    @Test func restartLimitFailureThatLaterTurnsFailedIsNotANewFailure() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", restartPolicy: "OnFailure", failurePolicy: FailurePolicy(type: "Pause"))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 1)
        await h.cluster.setPod(pods[0], phase: PodPhase.running, restarts: 1)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 1)
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        await h.cluster.setPod(pods[0], phase: PodPhase.failed, restarts: 1)
        try await h.reconcile("j")
        #expect(h.recorder.count("Paused") == 1)
        #expect(h.status("j").phase == "running")
    }

    @Test func pausedEventIsNotRepeatedByAPassOnAStaleCache() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Pause"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
        try await h.reconcile("j")  // pauses
        _ = try await h.controller.reconcile("default/j")  // before the cache has seen the pause
        #expect(h.recorder.count("Paused") == 1)
        #expect(h.status("j").phase == "paused")
        #expect(h.cluster.job("j")!.spec.paused == true)
        // The acknowledged failure is still known: unpausing does not pause again.
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        try await h.reconcile("j")
        #expect(h.status("j").phase == "running")
        #expect(h.recorder.count("Paused") == 1)
    }

    @Test func completionTimeOfAFinishedJobIsNotMovedByAStalePass() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Continue"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        let done = h.status("j").completionTime
        h.clock.advance(3)
        await #expect(throws: APIError.self) { try await h.controller.reconcile("default/j") }  // stale: not yet finished in the cache
        #expect(h.status("j").completionTime == done)
        #expect(h.status("j").conditions?.count == 1)
    }

    @Test func pauseWriteIsRetriedOnConflict() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", failurePolicy: FailurePolicy(type: "Pause"))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.failed)
        h.cluster.sync()
        // The user edits the job; the controller's cache has not seen it yet.
        await h.cluster.updateJob("j") { $0.metadata.labels = ["edited": "yes"] }
        _ = try await h.controller.reconcile("default/j")
        let stored = h.cluster.job("j")!
        #expect(stored.spec.paused == true)
        #expect(stored.metadata.labels == ["edited": "yes"])
        #expect(stored.status?.phase == "paused")
    }
}

@Suite struct BroadcastJobDeadlineTests {
    @Test func deadlineIsArmedAtStartAndReArmedOnEveryReconcile() async throws {
        // D-B2
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 60))
        await #expect(try h.reconcile("j").requeueAfter == 60)
        h.clock.advance(25)
        await #expect(try h.reconcile("j").requeueAfter == 35)
        h.clock.advance(34.5)
        await #expect(try h.reconcile("j").requeueAfter == 0.5)
        #expect(h.status("j").phase == "running")
    }

    @Test func deadlineIsReArmedForARestartedController() async throws {
        // D-B2: a fresh controller (new queue, no memory) still schedules the wake-up.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 100))
        try await h.reconcile("j")
        h.clock.advance(40)
        h.cluster.sync()
        let fresh = BroadcastJobController(client: h.cluster, cache: h.cluster.cache, clock: h.clock, recorder: h.recorder,
                                           queue: WorkQueue(clock: h.clock))
        await #expect(try fresh.reconcile("default/j").requeueAfter == 60)
    }

    @Test func deadlineExpiryFailsTheJobAndDeletesActivePodsOnly() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 60))
        try await h.reconcile("j")
        let pods = try h.cluster.pods(of: job, atLeast: 2)
        await h.cluster.setPod(pods[0], phase: PodPhase.succeeded)
        h.clock.advance(60)
        let r = try await h.reconcile("j")
        #expect(r.requeueAfter == nil)
        #expect(h.recorder.records("DeadlineExceeded") == [
            .init(object: "j", type: "Warning", reason: "DeadlineExceeded",
                  message: "Job default/j was active longer than specified deadline: 1 pods succeeded, 0 pods failed")
        ])
        #expect(h.recorder.messages("SuccessfulDelete") == ["Delete pod: \(pods[1].name)"])
        let st = h.status("j")
        #expect(st.phase == "failed")
        #expect(st.active == 0)
        #expect(st.failed == 0)
        #expect(st.succeeded == 1)
        #expect(st.completionTime == h.clock.now)
        #expect(st.conditions?.count == 1)
        #expect(st.conditions?.first?.type == "Failed")
        #expect(st.conditions?.first?.reason == "Failed")
        #expect(st.conditions?.first?.message == "Job default/j was active longer than specified deadline")
        #expect(h.cluster.pods(of: job).map(\.name) == [pods[0].name])
    }

    @Test func zeroDeadlineFailsOnTheFirstReconcile() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 0))
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
        #expect(h.cluster.pods(of: job).isEmpty)
        #expect(h.recorder.messages("DeadlineExceeded") == ["Job default/j was active longer than specified deadline: 0 pods succeeded, 0 pods failed"])
    }

    @Test func emptyCompletionTypeEnforcesTheDeadlineLikeAlways() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(activeDeadlineSeconds: 10))
        try await h.reconcile("j")
        h.clock.advance(10)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
    }
}

@Suite struct BroadcastJobTTLTests {
    @Test func ttlRequeuesThenDeletesTheJob() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", ttlSecondsAfterFinished: 30))
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        await #expect(try h.reconcile("j").requeueAfter == 31)
        h.clock.advance(10)
        await #expect(try h.reconcile("j").requeueAfter == 20)
        h.clock.advance(19.5)
        await #expect(try h.reconcile("j").requeueAfter == 0.5)
        #expect(h.cluster.job("j") != nil)
        h.clock.advance(0.5)
        await #expect(try h.reconcile("j") == .done)
        #expect(h.cluster.job("j") == nil)
        #expect(h.cluster.writes.last == "delete BroadcastJob j")
        // The job is gone: its key is forgotten.
        await #expect(try h.reconcile("j") == .done)
    }

    @Test func finishedJobWithoutTTLIsLeftAlone() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        await #expect(try h.reconcile("j") == .done)
        h.clock.advance(100_000)
        await #expect(try h.reconcile("j") == .done)
        #expect(h.cluster.job("j") != nil)
    }
}

@Suite struct BroadcastJobExpectationTests {
    @Test func secondReconcileWithoutInformerEventsWaitsAboutFiveMinutes() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        let writes = h.cluster.writes.count
        await #expect(try h.controller.reconcile("default/j").requeueAfter == 300)
        h.clock.advance(100)
        await #expect(try h.controller.reconcile("default/j").requeueAfter == 200)
        #expect(h.cluster.writes.count == writes)  // a no-op: nothing created, nothing written
        #expect(h.cluster.pods(of: job).count == 2)
        // The pod events arrive: the expectations are observed and the reconcile proceeds.
        h.cluster.sync()
        await #expect(try h.controller.reconcile("default/j") == .done)
        #expect(h.cluster.pods(of: job).count == 2)
        #expect(h.status("j").active == 2)
    }

    @Test func unsatisfiedExpectationsExpireAfterTheTimeout() async throws {
        // D-B6
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        h.cluster.sync()
        h.controller.expectations.expect("default/j", .create, "ghost")
        await #expect(try h.controller.reconcile("default/j").requeueAfter == 300)
        h.clock.advance(299.5)
        await #expect(try h.controller.reconcile("default/j").requeueAfter == 0.5)
        #expect(h.cluster.pods(of: job).isEmpty)
        h.clock.advance(0.5)
        _ = try await h.controller.reconcile("default/j")
        #expect(h.cluster.pods(of: job).count == 1)
        #expect(h.status("j").phase == "running")
    }

    @Test func customExpectationTimeoutIsUsed() async throws {
        let c = FakeCluster()
        let q = WorkQueue(clock: c.clock)
        let ctl = BroadcastJobController(client: c, cache: c.cache, clock: c.clock, recorder: c.recorder, queue: q, expectationTimeout: 60)
        await c.createNode("a")
        await c.createJob("j")
        c.sync()
        _ = try await ctl.reconcile("default/j")
        await #expect(try ctl.reconcile("default/j").requeueAfter == 60)
    }

    @Test func missingJobForgetsItsExpectations() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        #expect(h.controller.expectations.pendingKeys == 1)
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "j", uid: job.uid)
        // The job's deletion reaches the cache; its pod's creation event is still pending.
        h.cluster.cache.broadcastJobs.apply(.deleted, job)
        await #expect(try h.controller.reconcile("default/j") == .done)
        #expect(h.controller.expectations.pendingKeys == 0)
    }
}

@Suite struct BroadcastJobStatusWriteTests {
    @Test func conflictOnTheFirstTryIsRetriedWithAFreshRead() async throws {
        // D-B3
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        h.cluster.sync()
        await h.cluster.updateJob("j") { $0.metadata.labels = ["edited": "yes"] }  // the cache is now stale
        _ = try await h.controller.reconcile("default/j")
        let stored = h.cluster.job("j")!
        #expect(stored.status?.phase == "completed")
        #expect(stored.status?.succeeded == 1)
        #expect(stored.metadata.labels == ["edited": "yes"])
    }

    @Test func retryNeverResetsStartTimeFromAStaleCache() async throws {
        // Section 2: startTime is set once and never reset, even when the retry re-applies a status
        // computed from a cache that had not seen it yet.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", activeDeadlineSeconds: 60), paused: true)
        let t0 = h.clock.now
        try await h.reconcile("j")
        h.clock.advance(5)
        _ = try await h.controller.reconcile("default/j")  // the cache has not seen the first status write
        #expect(h.status("j").startTime == t0)
        h.cluster.sync()
        await h.cluster.updateJob("j") { $0.spec.paused = false }
        h.clock.advance(55)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "failed")
    }

    @Test func retryNeverUndoesAFinishedJob() async throws {
        // Section 2: no condition is ever removed. A pass computed from a cache that has not yet
        // seen the job finish must not overwrite the finished status.
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.setPod(try h.cluster.pod(of: job, 0), phase: PodPhase.succeeded)
        try await h.reconcile("j")
        #expect(h.status("j").phase == "completed")
        // A node watch event arrives before the job's status event.
        let b = await h.cluster.createNode("b")
        h.cluster.cache.nodes.apply(.added, b)
        await #expect(throws: APIError.self) { try await h.controller.reconcile("default/j") }
        let st = h.status("j")
        #expect(st.phase == "completed")
        #expect(st.conditions?.map(\.type) == ["Complete"])
    }

    @Test func fourConflictsThenSuccessIsRecovered() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j")
        var tries = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "updateStatus" else { return nil }
            tries += 1
            return tries <= 4 ? .conflict("broadcastjobs", "j") : nil
        }
        try await h.reconcile("j")
        #expect(tries == 5)
        #expect(h.status("j").phase == "running")
        #expect(h.status("j").active == 1)
    }

    @Test func fiveConflictsAreReportedAsAnError() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j")
        var tries = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "updateStatus" else { return nil }
            tries += 1
            return .conflict("broadcastjobs", "j")
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        #expect(tries == 5)
        #expect(h.cluster.job("j")!.status == nil)
    }

    @Test func nonConflictStatusErrorIsNotRetriedButReturned() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createJob("j", paused: true)
        var tries = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "updateStatus" else { return nil }
            tries += 1
            return APIError(code: 500, reason: .internalError, message: "etcd down")
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        #expect(tries == 1)
    }

    @Test func podDeletionErrorIsReturnedAfterTheStatusIsWritten() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        let job = await h.cluster.createJob("j")
        try await h.reconcile("j")
        await h.cluster.updateNode("a") { $0.spec = NodeSpec(unschedulable: true) }
        h.cluster.failWrite = { verb, _ in verb == "delete" ? APIError(code: 500, reason: .internalError, message: "no") : nil }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        #expect(h.cluster.pods(of: job).count == 1)
        #expect(h.status("j").active == 1)
        #expect(h.status("j").desired == 0)
        #expect(h.controller.expectations.pendingKeys == 0)  // the failed delete was observed at once
    }
}
