import Testing
@testable import Engine

// The native batch/v1 Job controller (kube-controller-manager `pkg/controller/job`) and the
// TTL-after-finished controller.

@Suite struct JobControllerPodsTests {
    @Test func createsParallelismPodsFromTheTemplateWithoutANode() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 3, completions: 5)
        try h.reconcile("j")
        let pods = h.pods("j")
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
        let st = h.status("j")
        #expect(st.active == 3)
        #expect(st.succeeded == 0)
        #expect(st.failed == 0)
        #expect(st.ready == 0)
        #expect(st.startTime == h.clock.now)
    }

    @Test func completionsCapActivePodsAndCompleteTheJob() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 3, completions: 5)
        try h.reconcile("j")
        for p in h.pods("j") { h.cluster.setPodPhase(p, PodPhase.succeeded) }
        h.clock.advance(10)
        try h.reconcile("j")
        // Only 5 − 3 = 2 more are needed, below parallelism 3.
        #expect(h.activePods("j").count == 2)
        #expect(h.status("j").succeeded == 3)
        #expect(h.status("j").active == 2)
        #expect(h.condition("j", "Complete") == nil)

        for p in h.activePods("j") { h.cluster.setPodPhase(p, PodPhase.succeeded) }
        h.clock.advance(10)
        try h.reconcile("j")
        #expect(h.pods("j").count == 5)
        let st = h.status("j")
        #expect(st.succeeded == 5)
        #expect(st.active == 0)
        let c = try #require(h.condition("j", "Complete"))
        #expect(c.status == "True")
        #expect(c.reason == "CompletionsReached")
        #expect(c.message == "Reached expected number of succeeded pods")
        #expect(c.lastTransitionTime == h.clock.now)
        #expect(st.completionTime == h.clock.now)
        #expect(h.recorder.records("Completed").map(\.message) == ["Job completed"])
        #expect(h.recorder.records("Completed").first?.type == "Normal")
    }

    @Test func withoutCompletionsTheFirstSuccessStopsNewPodsAndCompletesWhenNoneIsActive() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 2)
        #expect(h.cluster.nativeJob("j")!.spec.completions == nil)
        try h.reconcile("j")
        let pods = h.pods("j")
        #expect(pods.count == 2)
        h.cluster.setPodPhase(pods[0], PodPhase.succeeded)
        try h.reconcile("j")
        #expect(h.pods("j").count == 2)
        #expect(h.condition("j", "Complete") == nil)
        #expect(h.status("j").active == 1)
        h.cluster.setPodPhase(pods[1], PodPhase.succeeded)
        try h.reconcile("j")
        #expect(h.condition("j", "Complete")?.status == "True")
        #expect(h.status("j").succeeded == 2)
    }

    @Test func loweringParallelismDeletesTheLeastAdvancedPods() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 3, completions: 10)
        h.cluster.createNativeJobPod(job, name: "j-running", node: "n1", ready: true)
        h.cluster.createNativeJobPod(job, name: "j-pending", node: "n1", phase: PodPhase.pending)
        h.cluster.createNativeJobPod(job, name: "j-unbound", phase: PodPhase.pending)
        h.cluster.updateNativeJob("j") { $0.spec.parallelism = 1 }
        try h.reconcile("j")
        #expect(h.pods("j").map(\.name) == ["j-running"])
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted pod: j-unbound", "Deleted pod: j-pending"])
        #expect(h.status("j").active == 1)
        #expect(h.status("j").ready == 1)
    }

    @Test func readyCountsActivePodsWithReadyTrue() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 3, completions: 3)
        h.cluster.createNativeJobPod(job, name: "a", node: "n1", ready: true)
        h.cluster.createNativeJobPod(job, name: "b", node: "n1", ready: true)
        h.cluster.createNativeJobPod(job, name: "c", node: "n2", phase: PodPhase.pending)
        try h.reconcile("j")
        #expect(h.status("j").active == 3)
        #expect(h.status("j").ready == 2)
        #expect(h.pods("j").count == 3)
    }

    @Test func podsOfOtherControllersAreNotTheJobs() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        // Same labels, no controller reference: not the job's.
        var meta = ObjectMeta(name: "stray", namespace: "default", labels: job.spec.template.metadata?.labels)
        meta.ownerReferences = [OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "j", uid: job.uid, controller: false)]
        _ = try h.cluster.create(Pod(metadata: meta, spec: job.spec.template.spec, status: PodStatus(phase: PodPhase.succeeded)))
        try h.reconcile("j")
        #expect(h.activePods("j").count == 1)
        #expect(h.status("j").succeeded == 0)
    }
}

@Suite struct JobControllerExpectationsTests {
    @Test func cacheLagNeverCreatesExtraPods() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 2, completions: 4)
        try h.reconcile("j")
        #expect(h.pods("j").count == 2)
        // The cache has not seen the two new pods: the expectations hold the job back.
        let r = try h.controller.reconcile("default/j")
        #expect(h.pods("j").count == 2)
        #expect(r.requeueAfter == 300)
        h.clock.advance(5)
        try h.controller.reconcile("default/j")
        #expect(h.pods("j").count == 2)
        // Once the cache catches up, the job is at parallelism and creates nothing.
        h.cluster.sync()
        try h.controller.reconcile("default/j")
        #expect(h.pods("j").count == 2)
        #expect(h.controller.expectations.pendingKeys == 0)
        #expect(h.recorder.count("SuccessfulCreate") == 2)
        // The syncs on the stale cache did not move startTime.
        #expect(h.status("j").startTime == h.clock.now.adding(seconds: -5))
    }

    @Test func unobservedDeletionsHoldBackReplacements() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 2, completions: 10)
        h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        h.cluster.updateNativeJob("j") { $0.spec.parallelism = 1 }
        try h.reconcile("j")
        #expect(h.pods("j").count == 1)
        // Parallelism back to 2; the cache sees the job change but not yet the pod deletion.
        h.cluster.updateNativeJob("j") { $0.spec.parallelism = 2 }
        h.cluster.cache.jobs.apply(.modified, h.cluster.nativeJob("j")!)
        try h.controller.reconcile("default/j")
        #expect(h.pods("j").count == 1)
        // Seen: the deleted pod counts as a failure (upstream), so its replacement waits the 10 s back-off.
        h.cluster.sync()
        let r = try h.controller.reconcile("default/j")
        #expect(h.status("j").failed == 1)
        #expect(r.requeueAfter == 10)
        #expect(h.pods("j").count == 1)
        h.clock.advance(10)
        try h.reconcile("j")
        #expect(h.activePods("j").count == 2)
    }

    @Test func failedCreationsAreNotExpectedAndSlowStartStops() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 4, completions: 4)
        var creates = 0
        h.cluster.failWrite = { verb, obj in
            guard verb == "create", obj.kind == .pod else { return nil }
            creates += 1
            return creates == 2 ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        #expect(throws: APIError.self) { try h.reconcile("j") }
        // Batch 1 succeeded, batch 2 (two pods) had one failure; the fourth was never tried.
        #expect(h.pods("j").count == 2)
        #expect(h.recorder.messages("FailedCreate") == ["Error creating: boom"])
        #expect(h.status("j").active == 2)
        h.cluster.failWrite = nil
        h.cluster.sync()
        #expect(h.controller.expectations.pendingKeys == 0)
        try h.controller.reconcile("default/j")
        #expect(h.pods("j").count == 4)
    }

    @Test func podEventsEnqueueTheJobAfterTheBatchPeriod() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        h.cluster.sync()
        #expect(h.queue.get() == "default/j")
        h.queue.done("default/j")
        let pod = h.cluster.createNativeJobPod(job, name: "p", node: "n1")
        h.cluster.sync()
        #expect(h.queue.readyCount == 0)
        #expect(h.queue.nextDelayedTime == h.clock.now.adding(seconds: 1))
        h.clock.advance(1)
        h.queue.promoteDelayed()
        #expect(h.queue.get() == "default/j")
        h.queue.done("default/j")
        // A pod of another job does not enqueue this one.
        _ = pod
        h.cluster.createPlainPod("other", node: "n1")
        h.cluster.sync()
        h.clock.advance(1)
        h.queue.promoteDelayed()
        #expect(h.queue.readyCount == 0)
    }
}

@Suite struct JobControllerFailureTests {
    @Test func failedPodsBeyondBackoffLimitFailTheJob() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 2)
        let t0 = h.clock.now
        try h.reconcile("j")
        for attempt in 1...3 {
            let p = h.activePods("j")[0]
            h.cluster.setPodPhase(p, PodPhase.failed)
            let r = try h.reconcile("j")
            if attempt < 3 {
                // Replacement back-off: 10 s, then 20 s after the last failure.
                let backoff = attempt == 1 ? 10.0 : 20.0
                #expect(r.requeueAfter == backoff)
                #expect(h.activePods("j").isEmpty)
                #expect(h.status("j").failed == Int32(attempt))
                #expect(h.condition("j", "Failed") == nil)
                h.clock.advance(backoff)
                try h.reconcile("j")
                #expect(h.activePods("j").count == 1)
            }
        }
        let c = try #require(h.condition("j", "Failed"))
        #expect(c.status == "True")
        #expect(c.reason == "BackoffLimitExceeded")
        #expect(c.message == "Job has reached the specified backoff limit")
        #expect(h.status("j").failed == 3)
        #expect(h.status("j").completionTime == nil)
        #expect(h.recorder.records("BackoffLimitExceeded").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("BackoffLimitExceeded") == ["Job has reached the specified backoff limit"])
        #expect(h.clock.now == t0.adding(seconds: 30))
        // A failed job does nothing more.
        h.clock.advance(1000)
        try h.reconcile("j")
        #expect(h.pods("j").count == 3)
    }

    @Test func failingTheJobDeletesItsActivePodsAndCountsThem() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 3, completions: 3, backoffLimit: 0)
        h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        h.cluster.createNativeJobPod(job, name: "c", node: "n1", phase: PodPhase.failed)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed")?.reason == "BackoffLimitExceeded")
        #expect(h.pods("j").map(\.name) == ["c"])
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted pod: a", "Deleted pod: b"])
        #expect(h.status("j").active == 0)
        #expect(h.status("j").failed == 3)
    }

    @Test func onFailureRestartsReachingTheBackoffLimitFailTheJob() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 3, restartPolicy: "OnFailure")
        let p = h.cluster.createNativeJobPod(job, name: "p", node: "n1", restarts: 2)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed") == nil)
        #expect(h.pods("j").count == 1)
        h.cluster.setPodPhase(p, PodPhase.running, restarts: 3)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed")?.reason == "BackoffLimitExceeded")
        #expect(h.pods("j").isEmpty)
        #expect(h.status("j").failed == 1)
    }

    @Test func restartsOfNeverPodsDoNotCount() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1, backoffLimit: 1)
        h.cluster.createNativeJobPod(job, name: "p", node: "n1", restarts: 5)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed") == nil)
    }

    @Test func aPodDeletedBeforeItSucceededCountsAsFailedEvenOnceGone() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        let p = h.cluster.createNativeJobPod(job, name: "p", node: "n1")
        try h.reconcile("j")
        // Evicted: the pod object goes at once (its kubelet is down).
        h.cluster.deletePod(p)
        try h.reconcile("j")
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").active == 0)
        h.clock.advance(10)
        try h.reconcile("j")
        #expect(h.activePods("j").count == 1)
        #expect(h.status("j").failed == 1)
        #expect(h.status("j").active == 1)
    }

    @Test func aSucceededPodThatIsRemovedStaysCounted() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 2)
        let p = h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try h.reconcile("j")
        #expect(h.status("j").succeeded == 1)
        #expect(h.activePods("j").count == 1)
        h.cluster.deletePod(p)
        try h.reconcile("j")
        #expect(h.status("j").succeeded == 1)
        #expect(h.activePods("j").count == 1)
    }

    @Test func activeDeadlineFailsTheJobDeletesPodsAndIsRequeuedAtTheDeadline() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 60)
        let t0 = h.clock.now
        var r = try h.reconcile("j")
        #expect(r.requeueAfter == 60)
        #expect(h.queue.nextDelayedTime == t0.adding(seconds: 60))
        #expect(h.pods("j").count == 2)
        h.clock.advance(25)
        r = try h.reconcile("j")
        #expect(r.requeueAfter == 35)
        #expect(h.condition("j", "Failed") == nil)
        h.clock.advance(35)
        r = try h.reconcile("j")
        let c = try #require(h.condition("j", "Failed"))
        #expect(c.reason == "DeadlineExceeded")
        #expect(c.message == "Job was active longer than specified deadline")
        #expect(c.lastTransitionTime == t0.adding(seconds: 60))
        #expect(h.pods("j").isEmpty)
        #expect(h.recorder.count("SuccessfulDelete") == 2)
        #expect(h.recorder.records("DeadlineExceeded").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("DeadlineExceeded") == ["Job was active longer than specified deadline"])
        #expect(h.status("j").active == 0)
        #expect(h.status("j").failed == 2)
        #expect(r.requeueAfter == nil)
    }
    @Test func aDeadlineWaitsForTheCacheToShowNewPodsBeforeFailingTheJob() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 10)
        try h.reconcile("j")
        #expect(h.pods("j").count == 2)
        h.clock.advance(10)
        // The cache shows the job's startTime but not yet the two pods: failing now would leave them running.
        h.cluster.cache.jobs.apply(.modified, h.cluster.nativeJob("j")!)
        try h.controller.reconcile("default/j")
        #expect(h.condition("j", "Failed") == nil)
        #expect(h.pods("j").count == 2)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
        #expect(h.pods("j").isEmpty)
    }
}

@Suite struct JobControllerTTLTests {
    @Test func aCompletedJobIsDeletedTTLSecondsAfterItFinished() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1, ttl: 100)
        h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        h.clock.advance(7)
        let finishedAt = h.clock.now
        var r = try h.reconcile("j")
        #expect(h.condition("j", "Complete")?.lastTransitionTime == finishedAt)
        #expect(r.requeueAfter == 100)
        h.clock.advance(60)
        r = try h.reconcile("j")
        #expect(r.requeueAfter == 40)
        #expect(h.cluster.nativeJob("j") != nil)
        h.clock.advance(39.5)
        r = try h.reconcile("j")
        #expect(r.requeueAfter == 0.5)
        #expect(h.cluster.nativeJob("j") != nil)
        h.clock.advance(0.5)
        r = try h.reconcile("j")
        #expect(h.cluster.nativeJob("j") == nil)
        #expect(r.requeueAfter == nil)
    }

    @Test func aFailedJobExpiresFromItsFailedCondition() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 1, completions: 1, activeDeadlineSeconds: 10, ttl: 30)
        try h.reconcile("j")
        h.clock.advance(10)
        let r = try h.reconcile("j")
        #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
        #expect(r.requeueAfter == 30)
        h.clock.advance(30)
        try h.reconcile("j")
        #expect(h.cluster.nativeJob("j") == nil)
    }

    @Test func aJobWithoutTTLIsKept() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1)
        h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try h.reconcile("j")
        #expect(h.condition("j", "Complete") != nil)
        h.clock.advance(100_000)
        let r = try h.reconcile("j")
        #expect(r.requeueAfter == nil)
        #expect(h.cluster.nativeJob("j") != nil)
    }

    @Test func aStaleCacheNeverDeletesAJobWhoseLiveTTLHasNotExpired() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 1, completions: 1, ttl: 10)
        h.cluster.createNativeJobPod(job, name: "p", node: "n1", phase: PodPhase.succeeded)
        try h.reconcile("j")
        h.cluster.sync()
        // The user raised the TTL; the cache has not seen it yet.
        h.cluster.updateNativeJob("j") { $0.spec.ttlSecondsAfterFinished = 1000 }
        h.clock.advance(10)
        let r = try h.controller.reconcile("default/j")
        #expect(h.cluster.nativeJob("j") != nil)
        #expect(r.requeueAfter == 990)
    }
}

@Suite struct JobControllerSuspendTests {
    @Test func suspendDeletesActivePodsAndCreatesNoneUntilResumed() throws {
        let h = JobHarness()
        let job = h.cluster.createNativeJob("j", parallelism: 2, completions: 2, activeDeadlineSeconds: 100)
        h.cluster.createNativeJobPod(job, name: "a", node: "n1")
        h.cluster.createNativeJobPod(job, name: "b", node: "n1")
        let t0 = h.clock.now
        try h.reconcile("j")
        #expect(h.status("j").startTime == t0)
        h.clock.advance(10)
        h.cluster.updateNativeJob("j") { $0.spec.suspend = true }
        try h.reconcile("j")
        #expect(h.pods("j").isEmpty)
        let c = try #require(h.condition("j", "Suspended"))
        #expect(c.status == "True")
        #expect(c.reason == "JobSuspended")
        #expect(c.message == "Job suspended")
        #expect(h.recorder.messages("Suspended") == ["Job suspended"])
        #expect(h.status("j").active == 0)
        try h.reconcile("j")
        // As upstream, the pods deleted for the suspension count as failed.
        #expect(h.status("j").failed == 2)
        // No pods while suspended, and the deadline does not run.
        h.clock.advance(50)
        try h.reconcile("j")
        #expect(h.pods("j").isEmpty)
        #expect(h.condition("j", "Failed") == nil)
        // Resume: the condition flips to False, startTime restarts, pods come back.
        h.cluster.updateNativeJob("j") { $0.spec.suspend = false }
        try h.reconcile("j")
        let resumed = try #require(h.condition("j", "Suspended"))
        #expect(resumed.status == "False")
        #expect(resumed.reason == "JobResumed")
        #expect(resumed.message == "Job resumed")
        #expect(h.recorder.messages("Resumed") == ["Job resumed"])
        #expect(h.status("j").startTime == t0.adding(seconds: 60))
        #expect(h.activePods("j").count == 2)
        // The deadline counts from the resumption.
        h.clock.now = t0.adding(seconds: 150)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed") == nil)
        h.clock.now = t0.adding(seconds: 160)
        try h.reconcile("j")
        #expect(h.condition("j", "Failed")?.reason == "DeadlineExceeded")
    }

    @Test func aJobCreatedSuspendedHasNoStartTimeAndNoPods() throws {
        let h = JobHarness()
        h.cluster.createNativeJob("j", parallelism: 2, completions: 2, suspend: true)
        try h.reconcile("j")
        #expect(h.pods("j").isEmpty)
        #expect(h.status("j").startTime == nil)
        #expect(h.condition("j", "Suspended")?.status == "True")
    }
}

@Suite struct JobControllerRunTests {
    /// The whole loop through the queue: pod events, batching, back-off wake-ups and the TTL.
    @Test func runsToCompletionAndTTLDeletionThroughTheQueue() throws {
        let h = JobHarness()
        let runner = ControllerRunner(cluster: h.cluster, queue: h.queue, reconciler: h.controller)
        let t0 = h.clock.now
        h.cluster.createNativeJob("j", parallelism: 2, completions: 3, ttl: 60)
        runner.run(until: 0, from: t0)
        #expect(h.activePods("j").count == 2)
        h.clock.now = t0.adding(seconds: 20)
        for p in h.activePods("j") { h.cluster.setPodPhase(p, PodPhase.succeeded) }
        runner.run(until: 22, from: t0)
        #expect(h.activePods("j").count == 1)
        h.clock.now = t0.adding(seconds: 40)
        for p in h.activePods("j") { h.cluster.setPodPhase(p, PodPhase.succeeded) }
        runner.run(until: 45, from: t0)
        let c = try #require(h.condition("j", "Complete"))
        // The pod event is batched for 1 s.
        #expect(c.lastTransitionTime == t0.adding(seconds: 41))
        runner.run(until: 100.9, from: t0)
        #expect(h.cluster.nativeJob("j") != nil)
        runner.run(until: 101, from: t0)
        #expect(h.cluster.nativeJob("j") == nil)
        #expect(runner.errors.isEmpty)
    }
}
