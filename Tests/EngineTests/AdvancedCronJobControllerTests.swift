import Foundation
import Testing
@testable import Engine

// Reference: shared/reference/advancedcronjob.md section 2 (reconcile), with the Decisions D-A1..D-A10.
// Times are UTC; the harness starts at 2022-03-24T08:45:08Z, when the ACJs are created.

private typealias Message = AdvancedCronJobController.Message

@Suite struct AdvancedCronJobSchedulingTests {
    @Test func firstChildRunsAtTheFirstSlotAfterCreationAndRequeuesExactly() async throws {
        let h = ACJHarness()
        await h.createACJ()
        // Reconciled at creation (08:45:08): nothing due, come back at 08:50:00 exactly (D-A5).
        let r0 = try await h.reconcile()
        #expect(r0.requeueAfter == 292)
        #expect(h.childNames().isEmpty)
        await #expect(h.status().type == "BroadcastJob")
        await #expect(h.status().lastScheduleTime == nil)

        h.set("2022-03-24T08:50:00Z")
        let r1 = try await h.reconcile()
        #expect(r1.requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648111800"])
        let child = try #require(await h.bcj("acj-test-1648111800"))
        #expect(child.apiVersion == "apps.kruise.io/v1beta1")
        #expect(child.kind == "BroadcastJob")
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T08:50:00Z")
        #expect(child.metadata.annotations?["note"] == "from-template")
        #expect(child.metadata.labels == ["app": "cron"])
        let acj = await h.acj()
        #expect(child.metadata.ownerReferences == [acj.ownerReference()])
        #expect(child.metadata.controllerRef?.controller == true)
        #expect(child.metadata.controllerRef?.blockOwnerDeletion == true)
        #expect(child.spec == acj.spec.template.broadcastJobTemplate?.spec)
        // D-A1: lastScheduleTime persisted at creation; the new child is active.
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        await #expect(h.status().active?.map(\.name) == ["acj-test-1648111800"])
        await #expect(h.status().active?.first?.uid == child.uid)
        await #expect(h.status().active?.first?.kind == "BroadcastJob")
        #expect(h.recorder.records("SuccessfulCreate").map(\.message) == ["Created job acj-test-1648111800"])
        #expect(h.recorder.records("SuccessfulCreate").first?.object == "acj-test")
    }

    @Test func requeueIsNextSlotMinusNowWithoutPadding() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.clock.now = ACJHarness.t("2022-03-24T08:52:30.25Z")
        await #expect(try h.reconcile().requeueAfter == 149.75)
        h.set("2022-03-24T08:54:59Z")
        await #expect(try h.reconcile().requeueAfter == 1)
        #expect(h.childNames() == ["acj-test-1648111800"])  // the 08:50 slot, run late
    }

    @Test func controllerLoopCreatesOneChildPerSlotAtTheSlot() async throws {
        let h = ACJHarness()
        await h.createACJ(successfulLimit: 10)
        let made = await h.run(until: "2022-03-24T09:06:00Z")
        #expect(h.childNames() == ["08:50", "08:55", "09:00", "09:05"].map { ACJHarness.child("2022-03-24T\($0):00Z") })
        // Each child was created exactly at its slot (the fake API server stamps creation with the clock).
        for name in h.childNames() {
            let child = try #require(await h.bcj(name))
            #expect(child.metadata.creationTimestamp?.rfc3339 == child.metadata.annotations?["apps.kruise.io/scheduled-at"])
        }
        // Reconciles happen at creation and at the slots only.
        let times = Set(made.map(\.time))
        #expect(times == ["2022-03-24T08:45:08Z", "2022-03-24T08:50:00Z", "2022-03-24T08:55:00Z", "2022-03-24T09:00:00Z",
                          "2022-03-24T09:05:00Z"])
        #expect(!made.contains { $0.result == "error" })
        await #expect(h.status().active?.count == 4)
        #expect(h.recorder.count("SuccessfulCreate") == 4)
    }

    @Test func everyDescriptorRunsFromCreation() async throws {
        let h = ACJHarness()
        await h.createACJ(schedule: "@every 1h")
        await #expect(try h.reconcile().requeueAfter == 3600)
        h.set("2022-03-24T09:45:08Z")
        await #expect(try h.reconcile().requeueAfter == 3600)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:45:08Z")])
    }

    @Test func creationInTheFutureRunsNothing() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.set("2022-03-24T08:30:00Z")  // clock skew: the ACJ appears created 15 minutes from now
        await #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames().isEmpty)
    }

    @Test func missingACJIsDone() async throws {
        let h = ACJHarness()
        #expect(try await h.controller.reconcile("default/nope") == .done)
        #expect(h.controller.name == "advancedcronjob-controller")
    }
}

@Suite struct AdvancedCronJobTemplateTests {
    @Test func jobTemplateChildrenAreBatchJobs() async throws {
        let h = ACJHarness()
        await h.createACJ(kind: .job)
        try await h.reconcile()
        await #expect(h.status().type == "Job")
        h.set("2022-03-24T08:50:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        let job = try #require(await h.batchJob("acj-test-1648111800"))
        await #expect(h.bcj("acj-test-1648111800") == nil)
        #expect(job.apiVersion == "batch/v1")
        #expect(job.kind == "Job")
        #expect(job.spec.backoffLimit == 2)
        #expect(await job.spec == h.acj().spec.template.jobTemplate?.spec)
        #expect(job.metadata.labels == ["app": "cron"])
        #expect(job.metadata.annotations == ["note": "from-template", "apps.kruise.io/scheduled-at": "2022-03-24T08:50:00Z"])
        #expect(job.metadata.controllerRef?.kind == "AdvancedCronJob")
        #expect(await job.metadata.controllerRef?.uid == h.acj().uid)
        await #expect(h.status().active?.first?.apiVersion == "batch/v1")
        await #expect(h.status().active?.first?.kind == "Job")

        // A finished Job (Complete=True) leaves status.active.
        h.set("2022-03-24T08:52:00Z")
        await h.finish("acj-test-1648111800", kind: .job)
        try await h.reconcile()
        await #expect(h.status().active == nil)
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Complete"])
    }

    @Test func templateWithoutMetadataGetsOnlyTheAnnotation() async throws {
        let h = ACJHarness()
        await h.createACJ(templateLabels: nil, templateAnnotations: nil)
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        let child = try #require(await h.bcj("acj-test-1648111800"))
        #expect(child.metadata.labels == nil)
        #expect(child.metadata.annotations == ["apps.kruise.io/scheduled-at": "2022-03-24T08:50:00Z"])
    }

    @Test func childrenAreFoundByOwnerNameSoAnOldIncarnationsChildrenCount() async throws {
        // U8: upstream's field index keys children by the owner's name; the uid is not compared. A child of an
        // ACJ deleted and recreated under the same name (not yet garbage-collected) still counts.
        let h = ACJHarness()
        await h.createACJ()
        var meta = ObjectMeta(name: "acj-test-1", namespace: "default")
        var ref = await h.acj().ownerReference()
        ref.uid = "old-uid"
        meta.ownerReferences = [ref]
        meta.annotations = ["apps.kruise.io/scheduled-at": "2022-03-24T09:30:00Z"]
        _ = try await h.cluster.create(BroadcastJob(metadata: meta, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        // A BroadcastJob controlled by a BroadcastJob-kind owner of the same name: not a child.
        var meta2 = ObjectMeta(name: "acj-test-2", namespace: "default")
        meta2.ownerReferences = await [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "acj-test",
                                                uid: h.acj().uid, controller: true)]
        _ = try await h.cluster.create(BroadcastJob(metadata: meta2, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        h.set("2022-03-24T08:50:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        // The old child is active and its scheduled-at (09:30) is the last schedule time, so 08:50 does not run.
        await #expect(h.status().active?.map(\.name) == ["acj-test-1"])
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T09:30:00Z"))
        #expect(h.recorder.count("SuccessfulCreate") == 0)
        #expect(h.recorder.messages("UnexpectedJob") == ["Saw a job that the controller did not create or forgot: acj-test-1"])
    }
}

@Suite struct AdvancedCronJobUnexpectedJobTests {
    @Test func anActiveChildTheControllerDidNotCreateIsReportedOnce() async throws {
        // M1 (CronJob v2's UnexpectedJob, D-A6): an unfinished child missing from status.active.
        let h = ACJHarness()
        await h.createACJ()
        await h.createChild(scheduled: "2022-03-24T08:45:00Z", name: "hand-made")
        try await h.reconcile()
        #expect(h.recorder.records("UnexpectedJob").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("UnexpectedJob") == ["Saw a job that the controller did not create or forgot: hand-made"])
        await #expect(h.status().active?.map(\.name) == ["hand-made"])
        // Now in status.active: not reported again; the controller's own children never are.
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        try await h.reconcile()
        #expect(h.recorder.count("UnexpectedJob") == 1)
        #expect(h.recorder.count("SuccessfulCreate") == 1)
        // A finished child is not unexpected.
        await h.createChild(scheduled: "2022-03-24T08:30:00Z", finished: "Complete", name: "old-done")
        try await h.reconcile()
        #expect(h.recorder.count("UnexpectedJob") == 1)
    }
}

@Suite struct AdvancedCronJobEventHandlerTests {
    @Test func childCreateAndUpdateEnqueueTheOwnerButDeleteDoesNot() async throws {
        for kind in [ACJHarness.TemplateKind.broadcastJob, .job] {
            let h = ACJHarness()
            await h.createACJ(kind: kind)
            #expect(h.drainQueue() == ["default/acj-test"])  // ACJ add
            let name = await h.createChild(scheduled: "2022-03-24T08:40:00Z", kind: kind)
            #expect(h.drainQueue() == ["default/acj-test"])  // child add (D-A4 for Jobs too) and status update
            await h.setChildStatus(name, kind: kind, finished: "Complete", startTime: "2022-03-24T08:40:01Z")
            #expect(h.drainQueue() == ["default/acj-test"])
            await h.deleteChild(name, kind: kind)
            #expect(h.drainQueue() == [])
        }
    }

    @Test func childrenOfOtherOwnersDoNotEnqueue() async throws {
        let h = ACJHarness()
        var meta = ObjectMeta(name: "other", namespace: "default")
        meta.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "x", uid: "u",
                                               controller: true)]
        _ = try await h.cluster.create(Job(metadata: meta, spec: JobSpec(template: ACJHarness.podTemplate())))
        _ = try await h.cluster.create(BroadcastJob(metadata: ObjectMeta(name: "plain", namespace: "default"),
                                          spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        // Owned by an ACJ but not as controller.
        var meta3 = ObjectMeta(name: "weak", namespace: "default")
        meta3.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "AdvancedCronJob", name: "a",
                                                uid: "u", controller: false)]
        _ = try await h.cluster.create(BroadcastJob(metadata: meta3, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        #expect(h.drainQueue() == [])
    }

    @Test func everyACJEventEnqueuesIt() async throws {
        let h = ACJHarness()
        await h.createACJ()
        #expect(h.drainQueue() == ["default/acj-test"])
        await h.updateACJ { $0.spec.paused = true }
        #expect(h.drainQueue() == ["default/acj-test"])
        try await h.cluster.delete(AdvancedCronJob.self, namespace: "default", name: "acj-test", uid: nil)
        #expect(h.drainQueue() == ["default/acj-test"])
        await #expect(try h.controller.reconcile("default/acj-test") == .done)
    }
}

@Suite struct AdvancedCronJobConcurrencyTests {
    @Test func forbidSkipsWhileAChildIsActiveAndRunsTheBlockedSlotOnceItFinishes() async throws {
        let h = ACJHarness()
        await h.createACJ(policy: "Forbid")
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648111800"])
        let skip = try #require(h.recorder.records("JobAlreadyActive").first)
        #expect(skip.type == "Normal")
        #expect(skip.message == "Not starting job because prior execution is running and concurrency policy is Forbid")
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))

        // The blocker finishes at 08:57; a reconcile before 09:00 still finds 08:55 due and runs it late (§2.5).
        h.set("2022-03-24T08:57:00Z")
        await h.finish("acj-test-1648111800")
        await #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames() == ["acj-test-1648111800", "acj-test-1648112100"])
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Complete"])
    }

    @Test func forbidDropsABlockedSlotWhenTheNextSlotComesFirst() async throws {
        let h = ACJHarness()
        await h.createACJ(policy: "Forbid")
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        try await h.reconcile()
        await h.finish("acj-test-1648111800")
        h.set("2022-03-24T09:00:00Z")
        try await h.reconcile()
        #expect(h.childNames() == ["acj-test-1648111800", ACJHarness.child("2022-03-24T09:00:00Z")])
    }

    @Test func replaceDeletesTheActiveChildrenThenCreates() async throws {
        let h = ACJHarness()
        await h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648112100"])
        let writes = h.cluster.writes
        let del = try #require(writes.firstIndex(of: "delete BroadcastJob acj-test-1648111800"))
        let create = try #require(writes.firstIndex(of: "create BroadcastJob acj-test-1648112100"))
        #expect(del < create)
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted job acj-test-1648111800"])
        await #expect(h.status().active?.map(\.name) == ["acj-test-1648112100"])
        #expect(h.recorder.count("SawCompletedJob") == 0)
    }

    @Test func replaceIgnoresAChildAlreadyGone() async throws {
        let h = ACJHarness()
        await h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.cluster.sync()
        await h.deleteChild("acj-test-1648111800")  // gone from the server, still in the (unsynced) cache
        h.set("2022-03-24T08:55:00Z")
        await #expect(try h.controller.reconcile("default/acj-test").requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648112100"])
        #expect(h.recorder.count("SuccessfulDelete") == 0)
    }

    @Test func replaceDeleteErrorCreatesNothingAndReturnsTheError() async throws {
        let h = ACJHarness()
        await h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.cluster.failWrite = { verb, _ in
            verb == "delete" ? APIError(code: 500, reason: .internalError, message: "etcd down") : nil
        }
        h.set("2022-03-24T08:55:00Z")
        await #expect(throws: APIError.self) { try await h.reconcile() }
        #expect(h.childNames() == ["acj-test-1648111800"])
    }

    @Test func allowRunsChildrenConcurrently() async throws {
        for policy in ["Allow", nil, "Unknown"] {
            let h = ACJHarness()
            await h.createACJ(policy: policy)
            h.set("2022-03-24T08:50:00Z")
            try await h.reconcile()
            h.set("2022-03-24T08:55:00Z")
            await #expect(try h.reconcile().requeueAfter == 300)
            #expect(h.childNames() == ["acj-test-1648111800", "acj-test-1648112100"])
            await #expect(h.status().active?.map(\.name) == ["acj-test-1648111800", "acj-test-1648112100"])
        }
    }
}

@Suite struct AdvancedCronJobHistoryTests {
    /// Four succeeded and three failed children, with `0 0 * * *` so that nothing is due at 08:45:08.
    static func harness(successfulLimit: Int32? = 2, failedLimit: Int32? = 2, paused: Bool? = nil) async -> ACJHarness {
        let h = ACJHarness()
        await h.createACJ(schedule: "0 0 * * *", paused: paused, successfulLimit: successfulLimit, failedLimit: failedLimit)
        await h.createChild(scheduled: "2022-03-24T08:00:00Z", finished: "Complete", startTime: "2022-03-24T08:00:05Z")
        await h.createChild(scheduled: "2022-03-24T08:10:00Z", finished: "Complete", startTime: nil)
        await h.createChild(scheduled: "2022-03-24T08:20:00Z", finished: "Complete", startTime: "2022-03-24T08:20:05Z")
        await h.createChild(scheduled: "2022-03-24T08:30:00Z", finished: "Complete", startTime: "2022-03-24T08:30:05Z")
        await h.createChild(scheduled: "2022-03-24T08:05:00Z", finished: "Failed", startTime: "2022-03-24T08:26:00Z")
        await h.createChild(scheduled: "2022-03-24T08:15:00Z", finished: "Failed", startTime: "2022-03-24T08:26:00Z")
        await h.createChild(scheduled: "2022-03-24T08:25:00Z", finished: "Failed", startTime: "2022-03-24T08:40:00Z")
        await h.createChild(scheduled: "2022-03-24T08:35:00Z", startTime: "2022-03-24T08:35:01Z")  // active
        return h
    }

    static func c(_ hm: String) -> String { ACJHarness.child("2022-03-24T\(hm):00Z") }

    @Test func limitsKeepTheNewestFailedThenSucceededNilStartFirstTiesByName() async throws {
        let h = await Self.harness()
        await #expect(try h.reconcile().requeueAfter != nil)
        // Failed: 08:05 and 08:15 started together; the tie is broken by name. Succeeded: nil start, then oldest.
        #expect(h.recorder.messages("SuccessfulDelete") == [
            "Deleted job \(Self.c("08:05"))", "Deleted job \(Self.c("08:10"))", "Deleted job \(Self.c("08:00"))",
        ])
        #expect(h.childNames() == ["08:15", "08:20", "08:25", "08:30", "08:35"].map(Self.c))
        // The status was computed before pruning: the active child, lastScheduleTime from the annotations.
        await #expect(h.status().active?.map(\.name) == [Self.c("08:35")])
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:35:00Z"))
    }

    @Test func defaultsKeepThreeSucceededAndOneFailed() async throws {
        let h = await Self.harness(successfulLimit: 3, failedLimit: 1)
        try await h.reconcile()
        #expect(h.childNames() == ["08:00", "08:20", "08:25", "08:30", "08:35"].map(Self.c))
    }

    @Test func nilLimitsPruneNothing() async throws {
        let h = await Self.harness(successfulLimit: nil, failedLimit: nil)
        try await h.reconcile()
        #expect(h.childNames().count == 8)
        #expect(h.recorder.count("SuccessfulDelete") == 0)
    }

    @Test func pausedStillWritesStatusAndPrunesButCreatesNothingAndDoesNotRequeue() async throws {
        let h = await Self.harness(successfulLimit: 0, failedLimit: 0, paused: true)
        h.set("2022-03-25T00:00:00Z")  // a slot is due
        await #expect(try h.reconcile() == .done)
        #expect(h.childNames() == [Self.c("08:35")])
        await #expect(h.status().type == "BroadcastJob")
        await #expect(h.status().active?.map(\.name) == [Self.c("08:35")])

        // Unpausing resumes: the due slot runs.
        await h.updateACJ { $0.spec.paused = false }
        await #expect(try h.reconcile().requeueAfter == 86400)
        #expect(h.childNames() == [Self.c("08:35"), ACJHarness.child("2022-03-25T00:00:00Z")])
    }
}

@Suite struct AdvancedCronJobLastScheduleTimeTests {
    // D-A1: lastScheduleTime is persisted; deleting children never re-runs a slot.

    @Test func historyLimitZeroDoesNotRerunThePrunedSlot() async throws {
        let h = ACJHarness()
        await h.createACJ(successfulLimit: 0, failedLimit: 0)
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:51:00Z")
        await h.finish("acj-test-1648111800")
        await #expect(try h.reconcile().requeueAfter == 240)
        #expect(h.childNames().isEmpty)  // pruned
        // Upstream kruise would now recompute lastScheduleTime as nil and re-run 08:50; this engine does not.
        h.set("2022-03-24T08:52:00Z")
        await #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames().isEmpty)
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        #expect(h.recorder.count("SuccessfulCreate") == 1)
    }

    @Test func controllerLoopWithHistoryZeroRunsEachSlotOnce() async throws {
        let h = ACJHarness()
        await h.createACJ(successfulLimit: 0, failedLimit: 0)
        for slot in ["08:50", "08:55", "09:00"] {
            await h.run(until: "2022-03-24T\(slot):30Z")
            let name = ACJHarness.child("2022-03-24T\(slot):00Z")
            #expect(h.childNames() == [name])
            await h.finish(name)
            await h.run(until: "2022-03-24T\(slot):40Z")
            #expect(h.childNames().isEmpty)
        }
        #expect(h.recorder.count("SuccessfulCreate") == 3)
        #expect(h.recorder.count("SawCompletedJob") == 3)
    }

    @Test func deletingAnActiveChildByHandDoesNotRerunTheSlot() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:53:00Z")
        await h.deleteChild("acj-test-1648111800")
        await #expect(try h.reconcile().requeueAfter == 120)
        #expect(h.childNames().isEmpty)
        await #expect(h.status().active == nil)
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
    }

    @Test func alreadyExistsIsRetriedAndNeverClaimsTheSlot() async throws {
        // U6: as upstream, an AlreadyExists from the create is returned (rate-limited retry); the slot is not
        // recorded as run and no event is recorded (CronJob v2 records none for AlreadyExists either).
        let h = ACJHarness()
        await h.createACJ()
        // An object with the child's name that is not this ACJ's child.
        _ = try await h.cluster.create(BroadcastJob(metadata: ObjectMeta(name: "acj-test-1648111800", namespace: "default"),
                                          spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        h.set("2022-03-24T08:50:00Z")
        await #expect { try await h.reconcile() } throws: { ($0 as? APIError)?.isAlreadyExists == true }
        await #expect(h.status().lastScheduleTime == nil)
        await #expect(h.status().active == nil)
        #expect(h.recorder.count("SuccessfulCreate") == 0)
        #expect(h.recorder.count("FailedCreate") == 0)
        // The retry tries the same slot again.
        var creates = 0
        h.cluster.failWrite = { verb, _ in
            if verb == "create" { creates += 1 }
            return nil
        }
        h.set("2022-03-24T08:51:00Z")
        await #expect(throws: APIError.self) { try await h.reconcile() }
        #expect(creates == 1)
        await #expect(h.status().lastScheduleTime == nil)
        // The next slot has another name and runs.
        h.set("2022-03-24T08:55:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:55:00Z"))
    }

    @Test func aChildTheWebhookRejectsRecordsFailedCreateWithTheAdmissionMessage() async throws {
        // CronJob v2 (D-A6): Warning FailedCreate "Error creating job: <error>"; the slot is not claimed.
        let h = ACJHarness()
        await h.createACJ()
        await h.updateACJ { $0.spec.template.broadcastJobTemplate?.spec.template.spec.restartPolicy = "Always" }
        h.cluster.failWrite = { verb, object -> APIError? in
            guard verb == "create" else { return nil }
            let result = Result { () throws(APIError) in try Admission.admit(object, old: nil, options: AdmissionOptions()) }
            if case .failure(let error) = result { return error }
            return nil
        }
        h.set("2022-03-24T08:50:00Z")
        await #expect { try await h.reconcile() } throws: { ($0 as? APIError)?.code == 500 }
        #expect(h.recorder.records("FailedCreate").map(\.type) == ["Warning"])
        #expect(h.recorder.records("FailedCreate").first?.object == "acj-test")
        #expect(h.recorder.messages("FailedCreate") == [
            #"Error creating job: admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure"#,
        ])
        #expect(h.childNames().isEmpty)
        await #expect(h.status().lastScheduleTime == nil)
        #expect(h.recorder.count("SuccessfulCreate") == 0)
    }

    @Test func aStaleCacheDoesNotCreateTheSlotTwice() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        // No sync: the cache has neither the child nor the new status. The status write conflicts, the fresh
        // object carries lastScheduleTime, and the slot is not searched again.
        await #expect(try h.controller.reconcile("default/acj-test").requeueAfter == 300)
        #expect(h.cluster.writes.filter { $0.hasPrefix("create BroadcastJob") }.count == 1)
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        try await h.reconcile()
        await #expect(h.status().active?.map(\.name) == ["acj-test-1648111800"])
    }

    @Test func searchStartsFromTheLatestScheduledAnnotationWhenAheadOfTheStatus() async throws {
        let h = ACJHarness()
        await h.createACJ()
        await h.createChild(scheduled: "2022-03-24T09:00:00Z")  // e.g. created by a previous incarnation of the controller
        h.set("2022-03-24T09:02:00Z")
        await #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:00:00Z")])
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T09:00:00Z"))
    }

    @Test func aFailedCreateIsRetriedForTheSameSlot() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.cluster.failWrite = { verb, _ in
            verb == "create" ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        h.set("2022-03-24T08:50:00Z")
        await #expect(throws: APIError.self) { try await h.reconcile() }
        await #expect(h.status().lastScheduleTime == nil)
        #expect(h.recorder.messages("FailedCreate") == ["Error creating job: boom"])
        h.cluster.failWrite = nil
        h.set("2022-03-24T08:50:01Z")
        await #expect(try h.reconcile().requeueAfter == 299)
        #expect(h.childNames() == ["acj-test-1648111800"])
    }
}

@Suite struct AdvancedCronJobMissedRunTests {
    @Test func exactlyOneHundredMissedRunsTheLatestWithoutWarning() async throws {
        let h = ACJHarness(at: "2022-03-24T08:00:30Z")
        await h.createACJ(schedule: "* * * * *")
        h.set("2022-03-24T09:40:00Z")  // 08:01 … 09:40: 100 slots
        await #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:40:00Z")])
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
    }

    @Test func moreThanOneHundredMissedWarnsAndRunsOnlyTheLatest() async throws {
        let h = ACJHarness(at: "2022-03-24T08:00:30Z")
        await h.createACJ(schedule: "* * * * *")
        h.set("2022-03-24T09:41:00Z")  // 101 slots
        await #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:41:00Z")])
        let w = try #require(h.recorder.records("TooManyMissedTimes").first)
        #expect(w.type == "Warning")
        #expect(w.message == "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        // D-A2: not terminal; the next slot runs normally, with no further warning.
        h.set("2022-03-24T09:42:00Z")
        await #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames().count == 2)
        #expect(h.recorder.count("TooManyMissedTimes") == 1)
    }

    @Test func aWeekOfDowntimeRunsOnlyTheMostRecentSlot() async throws {
        let h = ACJHarness()
        await h.createACJ()
        try await h.reconcile()
        h.set("2022-03-31T12:34:56Z")
        await #expect(try h.reconcile().requeueAfter == 4)
        #expect(h.childNames() == ["acj-test-1648729800"])  // 2022-03-31T12:30:00Z
        #expect(h.recorder.count("TooManyMissedTimes") == 1)
        #expect(h.recorder.count("SuccessfulCreate") == 1)
    }

    @Test func irregularScheduleInADSTZoneFindsTheSameSlotAsTheExhaustiveSearch() async throws {
        let h = ACJHarness(at: "2022-03-01T00:00:00Z")
        await h.createACJ(schedule: "30 6-16/4 * * 1-5", timeZone: "America/New_York")
        h.set("2022-05-17T15:00:00Z")
        try await h.reconcile()
        let s = try CronSchedule.parse("TZ=America/New_York 30 6-16/4 * * 1-5", defaultZone: ACJHarness.utc)
        var t = ACJHarness.t("2022-03-01T00:00:00Z").unixSeconds
        var latest: Int64 = 0
        while let n = s.next(afterUnixSeconds: t), n <= ACJHarness.t("2022-05-17T15:00:00Z").unixSeconds {
            latest = n
            t = n
        }
        #expect(h.childNames() == ["acj-test-\(latest)"])
        #expect(Timestamp(unixSeconds: latest).rfc3339 == "2022-05-17T14:30:00Z")  // 10:30 EDT
        #expect(h.recorder.count("TooManyMissedTimes") == 1)
    }

    @Test func latestFireMatchesIteratingEveryMissedSlot() async throws {
        // (spec, zone, gaps in days): the brute force below is slow in debug builds, so dense schedules get
        // shorter gaps.
        let cases: [(String, String, [Int64])] = [
            ("*/7 * * * *", "UTC", [1, 12]), ("0 9 * * 1", "UTC", [1, 40, 400, 1500]),
            ("30 1 * * *", "America/New_York", [1, 40, 400]), ("30 2 * * *", "America/New_York", [1, 40, 400]),
            ("@every 90m", "UTC", [1, 40, 400]), ("0 0 29 2 *", "UTC", [1, 40, 400, 1500]),
            ("0 0 1,15 * Sun", "Europe/Berlin", [1, 40, 400]), ("* 3 * * *", "America/New_York", [1, 40]),
        ]
        let start = ACJHarness.t("2023-10-01T00:00:00Z").unixSeconds
        for (spec, zone, gaps) in cases {
            let s = try CronSchedule.parse(spec, defaultZone: TimeZone(identifier: zone)!)
            let known = try #require(s.next(afterUnixSeconds: start))
            for gapDays in gaps {
                let now = start + gapDays * 86400 + 1234
                var latest = known
                while let n = s.next(afterUnixSeconds: latest), n <= now { latest = n }
                guard known <= now else { continue }
                #expect(AdvancedCronJobController.latestFire(s, onOrBefore: now, atLeast: known) == latest,
                        "\(spec) in \(zone), \(gapDays) days")
            }
        }
    }

    @Test func startingDeadlineRunsAMissedSlotOnlyWithinTheDeadline() async throws {
        for (back, expectRun) in [("08:58:00", true), ("08:59:00", false), ("08:58:19", true), ("08:58:20", false)] {
            let h = ACJHarness()
            await h.createACJ(startingDeadlineSeconds: 200)
            h.set("2022-03-24T08:50:00Z")
            try await h.reconcile()
            // The controller is down over the 08:55 slot and comes back at `back`.
            h.set("2022-03-24T\(back)Z")
            let r = try await h.reconcile()
            let expected = ACJHarness.t("2022-03-24T09:00:00Z").seconds(since: h.clock.now)
            #expect(r.requeueAfter == expected)
            let ran = h.childNames().contains(ACJHarness.child("2022-03-24T08:55:00Z"))
            #expect(ran == expectRun, "back at \(back)")
            #expect(h.recorder.count("MissSchedule") == 0)
        }
    }

    @Test func startingDeadlineBoundsTheSearchAfterLongDowntime() async throws {
        let h = ACJHarness()
        await h.createACJ(startingDeadlineSeconds: 600)
        h.set("2022-03-31T12:34:56Z")
        await #expect(try h.reconcile().requeueAfter == 4)
        #expect(h.childNames() == ["acj-test-1648729800"])
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
    }
}

@Suite struct AdvancedCronJobTimeZoneTests {
    static let shanghai19Z = "2022-03-24T19:00:00Z"

    @Test func timeZoneFieldShanghaiFiresAt1900UTC() async throws {
        let h = ACJHarness()
        await h.createACJ(schedule: "0 3 * * *", timeZone: "Asia/Shanghai")
        await #expect(try h.reconcile().requeueAfter == 36892)
        h.set(Self.shanghai19Z)
        await #expect(try h.reconcile().requeueAfter == 86400)
        let child = try #require(await h.bcj(ACJHarness.child(Self.shanghai19Z)))
        #expect(child.name == "acj-test-1648148400")
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T19:00:00Z")
    }

    @Test func scheduledAtIsWrittenInTheControllersLocalZone() async throws {
        // U11: Go formats the scheduled time (a time in time.Local) with RFC3339: the local offset, whole seconds.
        let h = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        await h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        let child = try #require(await h.bcj("acj-test-1648111800"))
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T16:50:00+08:00")
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        // Read back as the same instant: the slot is not run again.
        h.set("2022-03-24T08:51:00Z")
        try await h.reconcile()
        #expect(h.childNames() == ["acj-test-1648111800"])
        #expect(Timestamp(unixSeconds: 1648111800).rfc3339(in: TimeZone(identifier: "America/New_York")!)
            == "2022-03-24T04:50:00-04:00")
    }

    @Test func tzPrefixesInTheScheduleWork() async throws {
        for schedule in ["TZ=Asia/Shanghai 0 3 * * *", "CRON_TZ=Asia/Shanghai 0 3 * * *"] {
            let h = ACJHarness()
            await h.createACJ(schedule: schedule)
            await #expect(try h.reconcile().requeueAfter == 36892, "\(schedule)")
        }
        // A schedule that contains TZ is used verbatim even when timeZone is set too.
        let h = ACJHarness()
        await h.createACJ(schedule: "TZ=Asia/Shanghai 0 3 * * *", timeZone: "America/New_York")
        await #expect(try h.reconcile().requeueAfter == 36892)
    }

    @Test func withoutAZoneTheControllersLocalZoneIsUsed() async throws {
        // D-A7: the simulator passes settings.timeZone; never the machine's zone.
        let shanghai = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        await shanghai.createACJ(schedule: "0 3 * * *")
        await #expect(try shanghai.reconcile().requeueAfter == 36892)
        let utc = ACJHarness()
        await utc.createACJ(schedule: "0 3 * * *")
        await #expect(try utc.reconcile().requeueAfter == 65692)
        // The timeZone field wins over the local zone.
        let field = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        await field.createACJ(schedule: "0 3 * * *", timeZone: "UTC")
        await #expect(try field.reconcile().requeueAfter == 65692)
    }

    @Test func anUnloadableTimeZoneIsIgnored() async throws {
        let h = ACJHarness()
        await h.createACJ(schedule: "0 3 * * *", timeZone: "Mars/Olympus_Mons")
        await #expect(try h.reconcile().requeueAfter == 65692)
        #expect(h.recorder.count("InvalidSchedule") == 0)
    }
}

@Suite struct AdvancedCronJobInvalidScheduleTests {
    @Test func impossibleScheduleIsReportedWithoutChildOrRequeue() async throws {
        let h = ACJHarness()
        await h.createACJ(schedule: "0 0 30 2 *")
        await #expect(try h.reconcile() == .done)
        #expect(h.childNames().isEmpty)
        let w = try #require(h.recorder.records("InvalidSchedule").first)
        #expect(w.type == "Warning")
        #expect(w.message == "unparseable schedule or no fire time within 5 years")
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
        await #expect(h.status().type == "BroadcastJob")
        // Updating the schedule resumes it.
        await h.updateACJ { $0.spec.schedule = "*/5 * * * *" }
        await #expect(try h.reconcile().requeueAfter == 292)
    }

    @Test func unparseableScheduleIsReportedTheSameWay() async throws {
        for schedule in ["every five minutes", "", "TZ=UTC"] {
            let h = ACJHarness()
            await h.createACJ(schedule: schedule)
            h.set("2022-03-24T09:00:00Z")
            await #expect(try h.reconcile() == .done)
            #expect(h.childNames().isEmpty)
            #expect(h.recorder.messages("InvalidSchedule") == [Message.invalidSchedule])
        }
    }
}

@Suite struct AdvancedCronJobStatusWriteTests {
    /// Fails the first `n` status writes with a conflict; counts every status write attempt.
    final class Conflicts {
        var remaining: Int
        var attempts = 0
        init(_ n: Int) { remaining = n }
        func hook(_ verb: String, _ o: APIObject) -> APIError? {
            guard verb == "updateStatus", case .advancedCronJob = o else { return nil }
            attempts += 1
            if remaining > 0 {
                remaining -= 1
                return .conflict("advancedcronjobs.apps.kruise.io", "acj-test")
            }
            return nil
        }
    }

    @Test func conflictsAreRetriedWithAFreshRead() async throws {
        let h = ACJHarness()
        await h.createACJ()
        let c = Conflicts(4)
        h.cluster.failWrite = c.hook
        h.set("2022-03-24T08:50:00Z")
        await #expect(try h.reconcile().requeueAfter == 300)
        #expect(c.attempts == 6)  // 5 for the first write (4 conflicts), 1 after the create
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        await #expect(h.status().type == "BroadcastJob")
    }

    @Test func fiveConflictsFailTheReconcile() async throws {
        let h = ACJHarness()
        await h.createACJ()
        let c = Conflicts(5)
        h.cluster.failWrite = c.hook
        h.set("2022-03-24T08:50:00Z")
        await #expect(throws: APIError.self) { try await h.reconcile() }
        #expect(c.attempts == 5)
        #expect(h.childNames().isEmpty)  // the reconcile stopped at the status write
        await #expect(h.status().type == nil)
    }

    @Test func otherErrorsAreNotRetried() async throws {
        let h = ACJHarness()
        await h.createACJ()
        var attempts = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "updateStatus" else { return nil }
            attempts += 1
            return APIError(code: 503, reason: .serviceUnavailable, message: "unavailable")
        }
        await #expect(throws: APIError.self) { try await h.reconcile() }
        #expect(attempts == 1)
    }

    @Test func aLostPostCreateWriteIsAnErrorButTheSlotIsNotRunTwice() async throws {
        let h = ACJHarness()
        await h.createACJ()
        var writes = 0
        h.cluster.failWrite = { verb, o in
            guard verb == "updateStatus", case .advancedCronJob = o else { return nil }
            writes += 1
            return writes == 2 ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        h.set("2022-03-24T08:50:00Z")
        await #expect(throws: APIError.self) { try await h.reconcile() }
        #expect(h.childNames() == ["acj-test-1648111800"])
        // The retry sees the child's scheduled-at annotation.
        h.set("2022-03-24T08:50:00.005Z")
        await #expect(try h.reconcile().requeueAfter == 299.995)
        #expect(h.childNames() == ["acj-test-1648111800"])
        await #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
    }
}

@Suite struct AdvancedCronJobSawCompletedTests {
    @Test func recordedOncePerChildWithItsOutcome() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:52:00Z")
        await h.finish("acj-test-1648111800", "Failed")
        try await h.reconcile()
        try await h.reconcile()
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Failed"])
        #expect(h.recorder.records("SawCompletedJob").first?.type == "Normal")
    }

    @Test func notRecordedForAChildNeverSeenActive() async throws {
        let h = ACJHarness()
        await h.createACJ()
        await h.createChild(scheduled: "2022-03-24T08:40:00Z", finished: "Complete", startTime: "2022-03-24T08:40:01Z")
        try await h.reconcile()
        #expect(h.recorder.count("SawCompletedJob") == 0)
    }

    @Test func aRestartedControllerUsesThePersistedActiveList() async throws {
        let h = ACJHarness()
        await h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try await h.reconcile()
        h.set("2022-03-24T08:52:00Z")
        await h.finish("acj-test-1648111800")
        h.cluster.sync()
        let restarted = AdvancedCronJobController(client: h.cluster, cache: h.cluster.cache, clock: h.clock, recorder: h.recorder,
                                                  queue: WorkQueue(clock: h.clock), localTimeZone: ACJHarness.utc)
        await #expect(try restarted.reconcile("default/acj-test").requeueAfter == 180)
        #expect(h.recorder.count("SawCompletedJob") == 1)
    }
}
