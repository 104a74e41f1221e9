import Testing
@testable import Engine

// The native batch/v1 Job controller (kube-controller-manager `pkg/controller/job`) and the
// TTL-after-finished controller.

@Suite struct JobControllerPodsTests {
    @Test func createsParallelismPodsFromTheTemplateWithoutANode() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 3, completions: 5)
        try await h.reconcile("j")
        let pods = await h.pods("j")
        #expect(pods.count == 3)
        for p in pods {
            #expect(p.metadata.generateName == "j-")
            #expect(p.name.hasPrefix("j-"))
            #expect(p.spec.nodeName == nil)
            #expect(p.metadata.controllerRef == job.ownerReference())
            #expect(p.metadata.labels?["job-name"] == "j")
            #expect(p.metadata.labels?["batch.kubernetes.io/controller-uid"] == job.uid)
            #expect(p.metadata.labels?["app"] == "j")
        }
        #expect(h.recorder.messages("SuccessfulCreate") == pods.map { "Created pod: \($0.name)" })
        let st = await h.status("j")
        #expect(st.active == 3)
        #expect(st.succeeded == 0)
        #expect(st.failed == 0)
        #expect(st.ready == 0)
        #expect(st.startTime == h.clock.now)
    }

    @Test func completionsCapActivePodsAndCompleteTheJob() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 3, completions: 5)
        try await h.reconcile("j")
        for p in await h.pods("j") { await h.cluster.setPodPhase(p, PodPhase.succeeded) }
        h.clock.advance(10)
        try await h.reconcile("j")
        // Only 5 − 3 = 2 more are needed, below parallelism 3.
        await #expect(h.activePods("j").count == 2)
        await #expect(h.status("j").succeeded == 3)
        await #expect(h.status("j").active == 2)
        await #expect(h.condition("j", "Complete") == nil)

        for p in await h.activePods("j") { await h.cluster.setPodPhase(p, PodPhase.succeeded) }
        h.clock.advance(10)
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 5)
        let st = await h.status("j")
        #expect(st.succeeded == 5)
        #expect(st.active == 0)
        let c = try #require(await h.condition("j", "Complete"))
        #expect(c.status == "True")
        #expect(c.reason == "CompletionsReached")
        #expect(c.message == "Reached expected number of succeeded pods")
        #expect(c.lastTransitionTime == h.clock.now)
        #expect(st.completionTime == h.clock.now)
        #expect(h.recorder.records("Completed").map(\.message) == ["Job completed"])
        #expect(h.recorder.records("Completed").first?.type == "Normal")
    }

    @Test func withoutCompletionsTheFirstSuccessStopsNewPodsAndCompletesWhenNoneIsActive() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 2)
        await #expect(h.cluster.nativeJob("j")!.spec.completions == nil)
        try await h.reconcile("j")
        let pods = await h.pods("j")
        #expect(pods.count == 2)
        await h.cluster.setPodPhase(pods[0], PodPhase.succeeded)
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 2)
        await #expect(h.condition("j", "Complete") == nil)
        await #expect(h.status("j").active == 1)
        await h.cluster.setPodPhase(pods[1], PodPhase.succeeded)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Complete")?.status == "True")
        await #expect(h.status("j").succeeded == 2)
    }

    @Test func loweringParallelismDeletesTheLeastAdvancedPods() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 3, completions: 10)
        await h.cluster.createNativeJobPod(job, name: "j-running", node: "n1", ready: true)
        await h.cluster.createNativeJobPod(job, name: "j-pending", node: "n1", phase: PodPhase.pending)
        await h.cluster.createNativeJobPod(job, name: "j-unbound", phase: PodPhase.pending)
        await h.cluster.updateNativeJob("j") { $0.spec.parallelism = 1 }
        try await h.reconcile("j")
        await #expect(h.pods("j").map(\.name) == ["j-running"])
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted pod: j-unbound", "Deleted pod: j-pending"])
        await #expect(h.status("j").active == 1)
        await #expect(h.status("j").ready == 1)
    }

    @Test func readyCountsActivePodsWithReadyTrue() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 3, completions: 3)
        await h.cluster.createNativeJobPod(job, name: "a", node: "n1", ready: true)
        await h.cluster.createNativeJobPod(job, name: "b", node: "n1", ready: true)
        await h.cluster.createNativeJobPod(job, name: "c", node: "n2", phase: PodPhase.pending)
        try await h.reconcile("j")
        await #expect(h.status("j").active == 3)
        await #expect(h.status("j").ready == 2)
        await #expect(h.pods("j").count == 3)
    }

    @Test func podsOfOtherControllersAreNotTheJobs() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        // Same labels, no controller reference: not the job's.
        var meta = ObjectMeta(name: "stray", namespace: "default", labels: job.spec.template.metadata?.labels)
        meta.ownerReferences = [OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "j", uid: job.uid, controller: false)]
        _ = try await h.cluster.create(Pod(metadata: meta, spec: job.spec.template.spec, status: PodStatus(phase: PodPhase.succeeded)))
        try await h.reconcile("j")
        await #expect(h.activePods("j").count == 1)
        await #expect(h.status("j").succeeded == 0)
    }
}

@Suite struct JobControllerExpectationsTests {
    @Test func cacheLagNeverCreatesExtraPods() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 2, completions: 4)
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 2)
        // The cache has not seen the two new pods: the expectations hold the job back.
        let r = try await h.controller.reconcile("default/j")
        await #expect(h.pods("j").count == 2)
        #expect(r.requeueAfter == 300)
        h.clock.advance(5)
        try await h.controller.reconcile("default/j")
        await #expect(h.pods("j").count == 2)
        // Once the cache catches up, the job is at parallelism and creates nothing.
        h.cluster.sync()
        try await h.controller.reconcile("default/j")
        await #expect(h.pods("j").count == 2)
        #expect(h.controller.expectations.pendingKeys == 0)
        #expect(h.recorder.count("SuccessfulCreate") == 2)
        // The syncs on the stale cache did not move startTime.
        await #expect(h.status("j").startTime == h.clock.now.adding(seconds: -5))
    }

    @Test func unobservedDeletionsHoldBackReplacements() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 2, completions: 10)
        await h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        await h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        await h.cluster.updateNativeJob("j") { $0.spec.parallelism = 1 }
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 1)
        // Parallelism back to 2; the cache sees the job change but not yet the pod deletion.
        await h.cluster.updateNativeJob("j") { $0.spec.parallelism = 2 }
        await h.cluster.cache.jobs.apply(.modified, h.cluster.nativeJob("j")!)
        try await h.controller.reconcile("default/j")
        await #expect(h.pods("j").count == 1)
        // Seen: the deleted pod counts as a failure (upstream), so its replacement waits the 10 s back-off.
        h.cluster.sync()
        let r = try await h.controller.reconcile("default/j")
        await #expect(h.status("j").failed == 1)
        #expect(r.requeueAfter == 10)
        await #expect(h.pods("j").count == 1)
        h.clock.advance(10)
        try await h.reconcile("j")
        await #expect(h.activePods("j").count == 2)
    }

    @Test func failedCreationsAreNotExpectedAndSlowStartStops() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 4, completions: 4)
        var creates = 0
        h.cluster.failWrite = { verb, obj in
            guard verb == "create", obj.kind == .pod else { return nil }
            creates += 1
            return creates == 2 ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        await #expect(throws: APIError.self) { try await h.reconcile("j") }
        // Batch 1 succeeded, batch 2 (two pods) had one failure; the fourth was never tried.
        await #expect(h.pods("j").count == 2)
        #expect(h.recorder.messages("FailedCreate") == ["Error creating: boom"])
        await #expect(h.status("j").active == 2)
        h.cluster.failWrite = nil
        h.cluster.sync()
        #expect(h.controller.expectations.pendingKeys == 0)
        try await h.controller.reconcile("default/j")
        await #expect(h.pods("j").count == 4)
    }

    @Test func podEventsEnqueueTheJobAfterTheBatchPeriod() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        h.cluster.sync()
        #expect(h.queue.get() == "default/j")
        h.queue.done("default/j")
        let pod = await h.cluster.createNativeJobPod(job, name: "p", node: "n1")
        h.cluster.sync()
        #expect(h.queue.readyCount == 0)
        #expect(h.queue.nextDelayedTime == h.clock.now.adding(seconds: 1))
        h.clock.advance(1)
        h.queue.promoteDelayed()
        #expect(h.queue.get() == "default/j")
        h.queue.done("default/j")
        // A pod of another job does not enqueue this one.
        _ = pod
        await h.cluster.createPlainPod("other", node: "n1")
        h.cluster.sync()
        h.clock.advance(1)
        h.queue.promoteDelayed()
        #expect(h.queue.readyCount == 0)
    }
}

@Suite struct JobControllerFailureTests {
    @Test func failedPodsBeyondBackoffLimitFailTheJob() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 2)
        let t0 = h.clock.now
        try await h.reconcile("j")
        for attempt in 1...3 {
            let p = await h.activePods("j")[0]
            await h.cluster.setPodPhase(p, PodPhase.failed)
            let r = try await h.reconcile("j")
            if attempt < 3 {
                // Replacement back-off: 10 s, then 20 s after the last failure.
                let backoff = attempt == 1 ? 10.0 : 20.0
                #expect(r.requeueAfter == backoff)
                await #expect(h.activePods("j").isEmpty)
                await #expect(h.status("j").failed == Int32(attempt))
                await #expect(h.condition("j", "Failed") == nil)
                h.clock.advance(backoff)
                try await h.reconcile("j")
                await #expect(h.activePods("j").count == 1)
            }
        }
        let c = try #require(await h.condition("j", "Failed"))
        #expect(c.status == "True")
        #expect(c.reason == "BackoffLimitExceeded")
        #expect(c.message == "Job has reached the specified backoff limit")
        await #expect(h.status("j").failed == 3)
        await #expect(h.status("j").completionTime == nil)
        #expect(h.recorder.records("BackoffLimitExceeded").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("BackoffLimitExceeded") == ["Job has reached the specified backoff limit"])
        #expect(h.clock.now == t0.adding(seconds: 30))
        // A failed job does nothing more.
        h.clock.advance(1000)
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 3)
    }

    @Test func failingTheJobDeletesItsActivePodsAndCountsThem() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 3, completions: 3, backoffLimit: 0)
        await h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        await h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        await h.cluster.createNativeJobPod(job, name: "c", node: "n1", phase: PodPhase.failed)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed")?.reason == "BackoffLimitExceeded")
        await #expect(h.pods("j").map(\.name) == ["c"])
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted pod: a", "Deleted pod: b"])
        await #expect(h.status("j").active == 0)
        await #expect(h.status("j").failed == 3)
    }

    @Test func onFailureRestartsReachingTheBackoffLimitFailTheJob() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 3, restartPolicy: "OnFailure")
        let p = await h.cluster.createNativeJobPod(job, name: "p", node: "n1", restarts: 2)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed") == nil)
        await #expect(h.pods("j").count == 1)
        await h.cluster.setPodPhase(p, PodPhase.running, restarts: 3)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed")?.reason == "BackoffLimitExceeded")
        await #expect(h.pods("j").isEmpty)
        await #expect(h.status("j").failed == 1)
    }

    @Test func restartsOfNeverPodsDoNotCount() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 1)
        await h.cluster.createNativeJobPod(job, name: "p", node: "n1", restarts: 5)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed") == nil)
    }

    @Test func aPodDeletedBeforeItSucceededCountsAsFailedEvenOnceGone() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        let p = await h.cluster.createNativeJobPod(job, name: "p", node: "n1")
        try await h.reconcile("j")
        // Evicted: the pod object goes at once (its kubelet is down).
        await h.cluster.deletePod(p)
        try await h.reconcile("j")
        await #expect(h.status("j").failed == 1)
        await #expect(h.status("j").active == 0)
        h.clock.advance(10)
        try await h.reconcile("j")
        await #expect(h.activePods("j").count == 1)
        await #expect(h.status("j").failed == 1)
        await #expect(h.status("j").active == 1)
    }

    @Test func aSucceededPodThatIsRemovedStaysCounted() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 2)
        let p = await h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try await h.reconcile("j")
        await #expect(h.status("j").succeeded == 1)
        await #expect(h.activePods("j").count == 1)
        await h.cluster.deletePod(p)
        try await h.reconcile("j")
        await #expect(h.status("j").succeeded == 1)
        await #expect(h.activePods("j").count == 1)
    }

    @Test func activeDeadlineFailsTheJobDeletesPodsAndIsRequeuedAtTheDeadline() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 60)
        let t0 = h.clock.now
        var r = try await h.reconcile("j")
        #expect(r.requeueAfter == 60)
        #expect(h.queue.nextDelayedTime == t0.adding(seconds: 60))
        await #expect(h.pods("j").count == 2)
        h.clock.advance(25)
        r = try await h.reconcile("j")
        #expect(r.requeueAfter == 35)
        await #expect(h.condition("j", "Failed") == nil)
        h.clock.advance(35)
        r = try await h.reconcile("j")
        let c = try #require(await h.condition("j", "Failed"))
        #expect(c.reason == "DeadlineExceeded")
        #expect(c.message == "Job was active longer than specified deadline")
        #expect(c.lastTransitionTime == t0.adding(seconds: 60))
        await #expect(h.pods("j").isEmpty)
        #expect(h.recorder.count("SuccessfulDelete") == 2)
        #expect(h.recorder.records("DeadlineExceeded").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("DeadlineExceeded") == ["Job was active longer than specified deadline"])
        await #expect(h.status("j").active == 0)
        await #expect(h.status("j").failed == 2)
        #expect(r.requeueAfter == nil)
    }
    @Test func aDeadlineWaitsForTheCacheToShowNewPodsBeforeFailingTheJob() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 10)
        try await h.reconcile("j")
        await #expect(h.pods("j").count == 2)
        h.clock.advance(10)
        // The cache shows the job's startTime but not yet the two pods: failing now would leave them running.
        await h.cluster.cache.jobs.apply(.modified, h.cluster.nativeJob("j")!)
        try await h.controller.reconcile("default/j")
        await #expect(h.condition("j", "Failed") == nil)
        await #expect(h.pods("j").count == 2)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
        await #expect(h.pods("j").isEmpty)
    }
}

@Suite struct JobControllerTTLTests {
    @Test func aCompletedJobIsDeletedTTLSecondsAfterItFinished() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, ttl: 100)
        await h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        h.clock.advance(7)
        let finishedAt = h.clock.now
        var r = try await h.reconcile("j")
        await #expect(h.condition("j", "Complete")?.lastTransitionTime == finishedAt)
        #expect(r.requeueAfter == 100)
        h.clock.advance(60)
        r = try await h.reconcile("j")
        #expect(r.requeueAfter == 40)
        await #expect(h.cluster.nativeJob("j") != nil)
        h.clock.advance(39.5)
        r = try await h.reconcile("j")
        #expect(r.requeueAfter == 0.5)
        await #expect(h.cluster.nativeJob("j") != nil)
        h.clock.advance(0.5)
        r = try await h.reconcile("j")
        await #expect(h.cluster.nativeJob("j") == nil)
        #expect(r.requeueAfter == nil)
    }

    @Test func aFailedJobExpiresFromItsFailedCondition() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, activeDeadlineSeconds: 10, ttl: 30)
        try await h.reconcile("j")
        h.clock.advance(10)
        let r = try await h.reconcile("j")
        await #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
        #expect(r.requeueAfter == 30)
        h.clock.advance(30)
        try await h.reconcile("j")
        await #expect(h.cluster.nativeJob("j") == nil)
    }

    @Test func aJobWithoutTTLIsKept() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        await h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Complete") != nil)
        h.clock.advance(100_000)
        let r = try await h.reconcile("j")
        #expect(r.requeueAfter == nil)
        await #expect(h.cluster.nativeJob("j") != nil)
    }

    @Test func aStaleCacheNeverDeletesAJobWhoseLiveTTLHasNotExpired() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 1, completions: 1, ttl: 10)
        await h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try await h.reconcile("j")
        h.cluster.sync()
        // The user raised the TTL; the cache has not seen it yet.
        await h.cluster.updateNativeJob("j") { $0.spec.ttlSecondsAfterFinished = 1000 }
        h.clock.advance(10)
        let r = try await h.controller.reconcile("default/j")
        await #expect(h.cluster.nativeJob("j") != nil)
        #expect(r.requeueAfter == 990)
    }
}

@Suite struct JobControllerSuspendTests {
    @Test func suspendDeletesActivePodsAndCreatesNoneUntilResumed() async throws {
        let h = JobHarness()
        let job = await h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 100)
        await h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        await h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        let t0 = h.clock.now
        try await h.reconcile("j")
        await #expect(h.status("j").startTime == t0)
        h.clock.advance(10)
        await h.cluster.updateNativeJob("j") { $0.spec.suspend = true }
        try await h.reconcile("j")
        await #expect(h.pods("j").isEmpty)
        let c = try #require(await h.condition("j", "Suspended"))
        #expect(c.status == "True")
        #expect(c.reason == "JobSuspended")
        #expect(c.message == "Job suspended")
        #expect(h.recorder.messages("Suspended") == ["Job suspended"])
        await #expect(h.status("j").active == 0)
        try await h.reconcile("j")
        // As upstream, the pods deleted for the suspension count as failed.
        await #expect(h.status("j").failed == 2)
        // No pods while suspended, and the deadline does not run.
        h.clock.advance(50)
        try await h.reconcile("j")
        await #expect(h.pods("j").isEmpty)
        await #expect(h.condition("j", "Failed") == nil)
        // Resume: the condition flips to False, startTime restarts, pods come back.
        await h.cluster.updateNativeJob("j") { $0.spec.suspend = false }
        try await h.reconcile("j")
        let resumed = try #require(await h.condition("j", "Suspended"))
        #expect(resumed.status == "False")
        #expect(resumed.reason == "JobResumed")
        #expect(resumed.message == "Job resumed")
        #expect(h.recorder.messages("Resumed") == ["Job resumed"])
        await #expect(h.status("j").startTime == t0.adding(seconds: 60))
        await #expect(h.activePods("j").count == 2)
        // The deadline counts from the resumption.
        h.clock.now = t0.adding(seconds: 150)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed") == nil)
        h.clock.now = t0.adding(seconds: 160)
        try await h.reconcile("j")
        await #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
    }

    @Test func aJobCreatedSuspendedHasNoStartTimeAndNoPods() async throws {
        let h = JobHarness()
        await h.cluster.createNativeJob("j", parallelism: 2, completions: 2, suspend: true)
        try await h.reconcile("j")
        await #expect(h.pods("j").isEmpty)
        await #expect(h.status("j").startTime == nil)
        await #expect(h.condition("j", "Suspended")?.status == "True")
    }
}

@Suite struct JobControllerRunTests {
    /// The whole loop through the queue: pod events, batching, back-off wake-ups and the TTL.
    @Test func runsToCompletionAndTTLDeletionThroughTheQueue() async throws {
        let h = JobHarness()
        let runner = ControllerRunner(cluster: h.cluster, queue: h.queue, reconciler: h.controller)
        let t0 = h.clock.now
        await h.cluster.createNativeJob("j", parallelism: 2, completions: 3, ttl: 60)
        await runner.run(until: 0, from: t0)
        await #expect(h.activePods("j").count == 2)
        h.clock.now = t0.adding(seconds: 20)
        for p in await h.activePods("j") { await h.cluster.setPodPhase(p, PodPhase.succeeded) }
        await runner.run(until: 22, from: t0)
        await #expect(h.activePods("j").count == 1)
        h.clock.now = t0.adding(seconds: 40)
        for p in await h.activePods("j") { await h.cluster.setPodPhase(p, PodPhase.succeeded) }
        await runner.run(until: 45, from: t0)
        let c = try #require(await h.condition("j", "Complete"))
        // The pod event is batched for 1 s.
        #expect(c.lastTransitionTime == t0.adding(seconds: 41))
        await runner.run(until: 100.9, from: t0)
        await #expect(h.cluster.nativeJob("j") != nil)
        await runner.run(until: 101, from: t0)
        await #expect(h.cluster.nativeJob("j") == nil)
        #expect(runner.errors.isEmpty)
    }
}
