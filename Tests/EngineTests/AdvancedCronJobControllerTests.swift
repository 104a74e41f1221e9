import Foundation
import Testing
@testable import Engine

// Reference: shared/reference/advancedcronjob.md section 2 (reconcile), with the Decisions D-A1..D-A10.
// Times are UTC; the harness starts at 2022-03-24T08:45:08Z, when the ACJs are created.

private typealias Message = AdvancedCronJobController.Message

@Suite struct AdvancedCronJobSchedulingTests {
    @Test func firstChildRunsAtTheFirstSlotAfterCreationAndRequeuesExactly() throws {
        let h = ACJHarness()
        h.createACJ()
        // Reconciled at creation (08:45:08): nothing due, come back at 08:50:00 exactly (D-A5).
        let r0 = try h.reconcile()
        #expect(r0.requeueAfter == 292)
        #expect(h.childNames().isEmpty)
        #expect(h.status().type == "BroadcastJob")
        #expect(h.status().lastScheduleTime == nil)

        h.set("2022-03-24T08:50:00Z")
        let r1 = try h.reconcile()
        #expect(r1.requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648111800"])
        let child = try #require(h.bcj("acj-test-1648111800"))
        #expect(child.apiVersion == "apps.kruise.io/v1beta1")
        #expect(child.kind == "BroadcastJob")
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T08:50:00Z")
        #expect(child.metadata.annotations?["note"] == "from-template")
        #expect(child.metadata.labels == ["app": "cron"])
        let acj = h.acj()
        #expect(child.metadata.ownerReferences == [acj.ownerReference()])
        #expect(child.metadata.controllerRef?.controller == true)
        #expect(child.metadata.controllerRef?.blockOwnerDeletion == true)
        #expect(child.spec == acj.spec.template.broadcastJobTemplate?.spec)
        // D-A1: lastScheduleTime persisted at creation; the new child is active.
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        #expect(h.status().active?.map(\.name) == ["acj-test-1648111800"])
        #expect(h.status().active?.first?.uid == child.uid)
        #expect(h.status().active?.first?.kind == "BroadcastJob")
        #expect(h.recorder.records("SuccessfulCreate").map(\.message) == ["Created job acj-test-1648111800"])
        #expect(h.recorder.records("SuccessfulCreate").first?.object == "acj-test")
    }

    @Test func requeueIsNextSlotMinusNowWithoutPadding() throws {
        let h = ACJHarness()
        h.createACJ()
        h.clock.now = ACJHarness.t("2022-03-24T08:52:30.25Z")
        #expect(try h.reconcile().requeueAfter == 149.75)
        h.set("2022-03-24T08:54:59Z")
        #expect(try h.reconcile().requeueAfter == 1)
        #expect(h.childNames() == ["acj-test-1648111800"])  // the 08:50 slot, run late
    }

    @Test func controllerLoopCreatesOneChildPerSlotAtTheSlot() throws {
        let h = ACJHarness()
        h.createACJ(successfulLimit: 10)
        let made = h.run(until: "2022-03-24T09:06:00Z")
        #expect(h.childNames() == ["08:50", "08:55", "09:00", "09:05"].map { ACJHarness.child("2022-03-24T\($0):00Z") })
        // Each child was created exactly at its slot (the fake API server stamps creation with the clock).
        for name in h.childNames() {
            let child = try #require(h.bcj(name))
            #expect(child.metadata.creationTimestamp?.rfc3339 == child.metadata.annotations?["apps.kruise.io/scheduled-at"])
        }
        // Reconciles happen at creation and at the slots only.
        let times = Set(made.map(\.time))
        #expect(times == ["2022-03-24T08:45:08Z", "2022-03-24T08:50:00Z", "2022-03-24T08:55:00Z", "2022-03-24T09:00:00Z",
                          "2022-03-24T09:05:00Z"])
        #expect(!made.contains { $0.result == "error" })
        #expect(h.status().active?.count == 4)
        #expect(h.recorder.count("SuccessfulCreate") == 4)
    }

    @Test func everyDescriptorRunsFromCreation() throws {
        let h = ACJHarness()
        h.createACJ(schedule: "@every 1h")
        #expect(try h.reconcile().requeueAfter == 3600)
        h.set("2022-03-24T09:45:08Z")
        #expect(try h.reconcile().requeueAfter == 3600)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:45:08Z")])
    }

    @Test func creationInTheFutureRunsNothing() throws {
        let h = ACJHarness()
        h.createACJ()
        h.set("2022-03-24T08:30:00Z")  // clock skew: the ACJ appears created 15 minutes from now
        #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames().isEmpty)
    }

    @Test func missingACJIsDone() throws {
        let h = ACJHarness()
        #expect(try h.controller.reconcile("default/nope") == .done)
        #expect(h.controller.name == "advancedcronjob-controller")
    }
}

@Suite struct AdvancedCronJobTemplateTests {
    @Test func jobTemplateChildrenAreBatchJobs() throws {
        let h = ACJHarness()
        h.createACJ(kind: .job)
        try h.reconcile()
        #expect(h.status().type == "Job")
        h.set("2022-03-24T08:50:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        let job = try #require(h.batchJob("acj-test-1648111800"))
        #expect(h.bcj("acj-test-1648111800") == nil)
        #expect(job.apiVersion == "batch/v1")
        #expect(job.kind == "Job")
        #expect(job.spec.backoffLimit == 2)
        #expect(job.spec == h.acj().spec.template.jobTemplate?.spec)
        #expect(job.metadata.labels == ["app": "cron"])
        #expect(job.metadata.annotations == ["note": "from-template", "apps.kruise.io/scheduled-at": "2022-03-24T08:50:00Z"])
        #expect(job.metadata.controllerRef?.kind == "AdvancedCronJob")
        #expect(job.metadata.controllerRef?.uid == h.acj().uid)
        #expect(h.status().active?.first?.apiVersion == "batch/v1")
        #expect(h.status().active?.first?.kind == "Job")

        // A finished Job (Complete=True) leaves status.active.
        h.set("2022-03-24T08:52:00Z")
        h.finish("acj-test-1648111800", kind: .job)
        try h.reconcile()
        #expect(h.status().active == nil)
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Complete"])
    }

    @Test func templateWithoutMetadataGetsOnlyTheAnnotation() throws {
        let h = ACJHarness()
        h.createACJ(templateLabels: nil, templateAnnotations: nil)
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        let child = try #require(h.bcj("acj-test-1648111800"))
        #expect(child.metadata.labels == nil)
        #expect(child.metadata.annotations == ["apps.kruise.io/scheduled-at": "2022-03-24T08:50:00Z"])
    }

    @Test func childrenAreFoundByOwnerNameSoAnOldIncarnationsChildrenCount() throws {
        // U8: upstream's field index keys children by the owner's name; the uid is not compared. A child of an
        // ACJ deleted and recreated under the same name (not yet garbage-collected) still counts.
        let h = ACJHarness()
        h.createACJ()
        var meta = ObjectMeta(name: "acj-test-1", namespace: "default")
        var ref = h.acj().ownerReference()
        ref.uid = "old-uid"
        meta.ownerReferences = [ref]
        meta.annotations = ["apps.kruise.io/scheduled-at": "2022-03-24T09:30:00Z"]
        _ = try h.cluster.create(BroadcastJob(metadata: meta, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        // A BroadcastJob controlled by a BroadcastJob-kind owner of the same name: not a child.
        var meta2 = ObjectMeta(name: "acj-test-2", namespace: "default")
        meta2.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "acj-test",
                                                uid: h.acj().uid, controller: true)]
        _ = try h.cluster.create(BroadcastJob(metadata: meta2, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        h.set("2022-03-24T08:50:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        // The old child is active and its scheduled-at (09:30) is the last schedule time, so 08:50 does not run.
        #expect(h.status().active?.map(\.name) == ["acj-test-1"])
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T09:30:00Z"))
        #expect(h.recorder.count("SuccessfulCreate") == 0)
        #expect(h.recorder.messages("UnexpectedJob") == ["Saw a job that the controller did not create or forgot: acj-test-1"])
    }
}

@Suite struct AdvancedCronJobUnexpectedJobTests {
    @Test func anActiveChildTheControllerDidNotCreateIsReportedOnce() throws {
        // M1 (CronJob v2's UnexpectedJob, D-A6): an unfinished child missing from status.active.
        let h = ACJHarness()
        h.createACJ()
        h.createChild(scheduled: "2022-03-24T08:45:00Z", name: "hand-made")
        try h.reconcile()
        #expect(h.recorder.records("UnexpectedJob").map(\.type) == ["Warning"])
        #expect(h.recorder.messages("UnexpectedJob") == ["Saw a job that the controller did not create or forgot: hand-made"])
        #expect(h.status().active?.map(\.name) == ["hand-made"])
        // Now in status.active: not reported again; the controller's own children never are.
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        try h.reconcile()
        #expect(h.recorder.count("UnexpectedJob") == 1)
        #expect(h.recorder.count("SuccessfulCreate") == 1)
        // A finished child is not unexpected.
        h.createChild(scheduled: "2022-03-24T08:30:00Z", finished: "Complete", name: "old-done")
        try h.reconcile()
        #expect(h.recorder.count("UnexpectedJob") == 1)
    }
}

@Suite struct AdvancedCronJobEventHandlerTests {
    @Test func childCreateAndUpdateEnqueueTheOwnerButDeleteDoesNot() throws {
        for kind in [ACJHarness.TemplateKind.broadcastJob, .job] {
            let h = ACJHarness()
            h.createACJ(kind: kind)
            #expect(h.drainQueue() == ["default/acj-test"])  // ACJ add
            let name = h.createChild(scheduled: "2022-03-24T08:40:00Z", kind: kind)
            #expect(h.drainQueue() == ["default/acj-test"])  // child add (D-A4 for Jobs too) and status update
            h.setChildStatus(name, kind: kind, finished: "Complete", startTime: "2022-03-24T08:40:01Z")
            #expect(h.drainQueue() == ["default/acj-test"])
            h.deleteChild(name, kind: kind)
            #expect(h.drainQueue() == [])
        }
    }

    @Test func childrenOfOtherOwnersDoNotEnqueue() throws {
        let h = ACJHarness()
        var meta = ObjectMeta(name: "other", namespace: "default")
        meta.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "x", uid: "u",
                                               controller: true)]
        _ = try h.cluster.create(Job(metadata: meta, spec: JobSpec(template: ACJHarness.podTemplate())))
        _ = try h.cluster.create(BroadcastJob(metadata: ObjectMeta(name: "plain", namespace: "default"),
                                          spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        // Owned by an ACJ but not as controller.
        var meta3 = ObjectMeta(name: "weak", namespace: "default")
        meta3.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "AdvancedCronJob", name: "a",
                                                uid: "u", controller: false)]
        _ = try h.cluster.create(BroadcastJob(metadata: meta3, spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        #expect(h.drainQueue() == [])
    }

    @Test func everyACJEventEnqueuesIt() throws {
        let h = ACJHarness()
        h.createACJ()
        #expect(h.drainQueue() == ["default/acj-test"])
        h.updateACJ { $0.spec.paused = true }
        #expect(h.drainQueue() == ["default/acj-test"])
        try h.cluster.delete(AdvancedCronJob.self, namespace: "default", name: "acj-test", uid: nil)
        #expect(h.drainQueue() == ["default/acj-test"])
        #expect(try h.controller.reconcile("default/acj-test") == .done)
    }
}

@Suite struct AdvancedCronJobConcurrencyTests {
    @Test func forbidSkipsWhileAChildIsActiveAndRunsTheBlockedSlotOnceItFinishes() throws {
        let h = ACJHarness()
        h.createACJ(policy: "Forbid")
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648111800"])
        let skip = try #require(h.recorder.records("JobAlreadyActive").first)
        #expect(skip.type == "Normal")
        #expect(skip.message == "Not starting job because prior execution is running and concurrency policy is Forbid")
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))

        // The blocker finishes at 08:57; a reconcile before 09:00 still finds 08:55 due and runs it late (§2.5).
        h.set("2022-03-24T08:57:00Z")
        h.finish("acj-test-1648111800")
        #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames() == ["acj-test-1648111800", "acj-test-1648112100"])
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Complete"])
    }

    @Test func forbidDropsABlockedSlotWhenTheNextSlotComesFirst() throws {
        let h = ACJHarness()
        h.createACJ(policy: "Forbid")
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        try h.reconcile()
        h.finish("acj-test-1648111800")
        h.set("2022-03-24T09:00:00Z")
        try h.reconcile()
        #expect(h.childNames() == ["acj-test-1648111800", ACJHarness.child("2022-03-24T09:00:00Z")])
    }

    @Test func replaceDeletesTheActiveChildrenThenCreates() throws {
        let h = ACJHarness()
        h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:55:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648112100"])
        let writes = h.cluster.writes
        let del = try #require(writes.firstIndex(of: "delete BroadcastJob acj-test-1648111800"))
        let create = try #require(writes.firstIndex(of: "create BroadcastJob acj-test-1648112100"))
        #expect(del < create)
        #expect(h.recorder.messages("SuccessfulDelete") == ["Deleted job acj-test-1648111800"])
        #expect(h.status().active?.map(\.name) == ["acj-test-1648112100"])
        #expect(h.recorder.count("SawCompletedJob") == 0)
    }

    @Test func replaceIgnoresAChildAlreadyGone() throws {
        let h = ACJHarness()
        h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.cluster.sync()
        h.deleteChild("acj-test-1648111800")  // gone from the server, still in the (unsynced) cache
        h.set("2022-03-24T08:55:00Z")
        #expect(try h.controller.reconcile("default/acj-test").requeueAfter == 300)
        #expect(h.childNames() == ["acj-test-1648112100"])
        #expect(h.recorder.count("SuccessfulDelete") == 0)
    }

    @Test func replaceDeleteErrorCreatesNothingAndReturnsTheError() throws {
        let h = ACJHarness()
        h.createACJ(policy: "Replace")
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.cluster.failWrite = { verb, _ in
            verb == "delete" ? APIError(code: 500, reason: .internalError, message: "etcd down") : nil
        }
        h.set("2022-03-24T08:55:00Z")
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(h.childNames() == ["acj-test-1648111800"])
    }

    @Test func allowRunsChildrenConcurrently() throws {
        for policy in ["Allow", nil, "Unknown"] {
            let h = ACJHarness()
            h.createACJ(policy: policy)
            h.set("2022-03-24T08:50:00Z")
            try h.reconcile()
            h.set("2022-03-24T08:55:00Z")
            #expect(try h.reconcile().requeueAfter == 300)
            #expect(h.childNames() == ["acj-test-1648111800", "acj-test-1648112100"])
            #expect(h.status().active?.map(\.name) == ["acj-test-1648111800", "acj-test-1648112100"])
        }
    }
}

@Suite struct AdvancedCronJobHistoryTests {
    /// Four succeeded and three failed children, with `0 0 * * *` so that nothing is due at 08:45:08.
    static func harness(successfulLimit: Int32? = 2, failedLimit: Int32? = 2, paused: Bool? = nil) -> ACJHarness {
        let h = ACJHarness()
        h.createACJ(schedule: "0 0 * * *", paused: paused, successfulLimit: successfulLimit, failedLimit: failedLimit)
        h.createChild(scheduled: "2022-03-24T08:00:00Z", finished: "Complete", startTime: "2022-03-24T08:00:05Z")
        h.createChild(scheduled: "2022-03-24T08:10:00Z", finished: "Complete", startTime: nil)
        h.createChild(scheduled: "2022-03-24T08:20:00Z", finished: "Complete", startTime: "2022-03-24T08:20:05Z")
        h.createChild(scheduled: "2022-03-24T08:30:00Z", finished: "Complete", startTime: "2022-03-24T08:30:05Z")
        h.createChild(scheduled: "2022-03-24T08:05:00Z", finished: "Failed", startTime: "2022-03-24T08:26:00Z")
        h.createChild(scheduled: "2022-03-24T08:15:00Z", finished: "Failed", startTime: "2022-03-24T08:26:00Z")
        h.createChild(scheduled: "2022-03-24T08:25:00Z", finished: "Failed", startTime: "2022-03-24T08:40:00Z")
        h.createChild(scheduled: "2022-03-24T08:35:00Z", startTime: "2022-03-24T08:35:01Z")  // active
        return h
    }

    static func c(_ hm: String) -> String { ACJHarness.child("2022-03-24T\(hm):00Z") }

    @Test func limitsKeepTheNewestFailedThenSucceededNilStartFirstTiesByName() throws {
        let h = Self.harness()
        #expect(try h.reconcile().requeueAfter != nil)
        // Failed: 08:05 and 08:15 started together; the tie is broken by name. Succeeded: nil start, then oldest.
        #expect(h.recorder.messages("SuccessfulDelete") == [
            "Deleted job \(Self.c("08:05"))", "Deleted job \(Self.c("08:10"))", "Deleted job \(Self.c("08:00"))",
        ])
        #expect(h.childNames() == ["08:15", "08:20", "08:25", "08:30", "08:35"].map(Self.c))
        // The status was computed before pruning: the active child, lastScheduleTime from the annotations.
        #expect(h.status().active?.map(\.name) == [Self.c("08:35")])
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:35:00Z"))
    }

    @Test func defaultsKeepThreeSucceededAndOneFailed() throws {
        let h = Self.harness(successfulLimit: 3, failedLimit: 1)
        try h.reconcile()
        #expect(h.childNames() == ["08:00", "08:20", "08:25", "08:30", "08:35"].map(Self.c))
    }

    @Test func nilLimitsPruneNothing() throws {
        let h = Self.harness(successfulLimit: nil, failedLimit: nil)
        try h.reconcile()
        #expect(h.childNames().count == 8)
        #expect(h.recorder.count("SuccessfulDelete") == 0)
    }

    @Test func pausedStillWritesStatusAndPrunesButCreatesNothingAndDoesNotRequeue() throws {
        let h = Self.harness(successfulLimit: 0, failedLimit: 0, paused: true)
        h.set("2022-03-25T00:00:00Z")  // a slot is due
        #expect(try h.reconcile() == .done)
        #expect(h.childNames() == [Self.c("08:35")])
        #expect(h.status().type == "BroadcastJob")
        #expect(h.status().active?.map(\.name) == [Self.c("08:35")])

        // Unpausing resumes: the due slot runs.
        h.updateACJ { $0.spec.paused = false }
        #expect(try h.reconcile().requeueAfter == 86400)
        #expect(h.childNames() == [Self.c("08:35"), ACJHarness.child("2022-03-25T00:00:00Z")])
    }
}

@Suite struct AdvancedCronJobLastScheduleTimeTests {
    // D-A1: lastScheduleTime is persisted; deleting children never re-runs a slot.

    @Test func historyLimitZeroDoesNotRerunThePrunedSlot() throws {
        let h = ACJHarness()
        h.createACJ(successfulLimit: 0, failedLimit: 0)
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:51:00Z")
        h.finish("acj-test-1648111800")
        #expect(try h.reconcile().requeueAfter == 240)
        #expect(h.childNames().isEmpty)  // pruned
        // Upstream kruise would now recompute lastScheduleTime as nil and re-run 08:50; this engine does not.
        h.set("2022-03-24T08:52:00Z")
        #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames().isEmpty)
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        #expect(h.recorder.count("SuccessfulCreate") == 1)
    }

    @Test func controllerLoopWithHistoryZeroRunsEachSlotOnce() throws {
        let h = ACJHarness()
        h.createACJ(successfulLimit: 0, failedLimit: 0)
        for slot in ["08:50", "08:55", "09:00"] {
            h.run(until: "2022-03-24T\(slot):30Z")
            let name = ACJHarness.child("2022-03-24T\(slot):00Z")
            #expect(h.childNames() == [name])
            h.finish(name)
            h.run(until: "2022-03-24T\(slot):40Z")
            #expect(h.childNames().isEmpty)
        }
        #expect(h.recorder.count("SuccessfulCreate") == 3)
        #expect(h.recorder.count("SawCompletedJob") == 3)
    }

    @Test func deletingAnActiveChildByHandDoesNotRerunTheSlot() throws {
        let h = ACJHarness()
        h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:53:00Z")
        h.deleteChild("acj-test-1648111800")
        #expect(try h.reconcile().requeueAfter == 120)
        #expect(h.childNames().isEmpty)
        #expect(h.status().active == nil)
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
    }

    @Test func alreadyExistsIsRetriedAndNeverClaimsTheSlot() throws {
        // U6: as upstream, an AlreadyExists from the create is returned (rate-limited retry); the slot is not
        // recorded as run and no event is recorded (CronJob v2 records none for AlreadyExists either).
        let h = ACJHarness()
        h.createACJ()
        // An object with the child's name that is not this ACJ's child.
        _ = try h.cluster.create(BroadcastJob(metadata: ObjectMeta(name: "acj-test-1648111800", namespace: "default"),
                                          spec: BroadcastJobSpec(template: ACJHarness.podTemplate())))
        h.set("2022-03-24T08:50:00Z")
        #expect { try h.reconcile() } throws: { ($0 as? APIError)?.isAlreadyExists == true }
        #expect(h.status().lastScheduleTime == nil)
        #expect(h.status().active == nil)
        #expect(h.recorder.count("SuccessfulCreate") == 0)
        #expect(h.recorder.count("FailedCreate") == 0)
        // The retry tries the same slot again.
        var creates = 0
        h.cluster.failWrite = { verb, _ in
            if verb == "create" { creates += 1 }
            return nil
        }
        h.set("2022-03-24T08:51:00Z")
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(creates == 1)
        #expect(h.status().lastScheduleTime == nil)
        // The next slot has another name and runs.
        h.set("2022-03-24T08:55:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:55:00Z"))
    }

    @Test func aChildTheWebhookRejectsRecordsFailedCreateWithTheAdmissionMessage() throws {
        // CronJob v2 (D-A6): Warning FailedCreate "Error creating job: <error>"; the slot is not claimed.
        let h = ACJHarness()
        h.createACJ()
        h.updateACJ { $0.spec.template.broadcastJobTemplate?.spec.template.spec.restartPolicy = "Always" }
        h.cluster.failWrite = { verb, object -> APIError? in
            guard verb == "create" else { return nil }
            let result = Result { () throws(APIError) in try Admission.admit(object, old: nil, options: AdmissionOptions()) }
            if case .failure(let error) = result { return error }
            return nil
        }
        h.set("2022-03-24T08:50:00Z")
        #expect { try h.reconcile() } throws: { ($0 as? APIError)?.code == 500 }
        #expect(h.recorder.records("FailedCreate").map(\.type) == ["Warning"])
        #expect(h.recorder.records("FailedCreate").first?.object == "acj-test")
        #expect(h.recorder.messages("FailedCreate") == [
            #"Error creating job: admission webhook "vbroadcastjob.kb.io" denied the request: spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure"#,
        ])
        #expect(h.childNames().isEmpty)
        #expect(h.status().lastScheduleTime == nil)
        #expect(h.recorder.count("SuccessfulCreate") == 0)
    }

    @Test func aStaleCacheDoesNotCreateTheSlotTwice() throws {
        let h = ACJHarness()
        h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        // No sync: the cache has neither the child nor the new status. The status write conflicts, the fresh
        // object carries lastScheduleTime, and the slot is not searched again.
        #expect(try h.controller.reconcile("default/acj-test").requeueAfter == 300)
        #expect(h.cluster.writes.filter { $0.hasPrefix("create BroadcastJob") }.count == 1)
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        try h.reconcile()
        #expect(h.status().active?.map(\.name) == ["acj-test-1648111800"])
    }

    @Test func searchStartsFromTheLatestScheduledAnnotationWhenAheadOfTheStatus() throws {
        let h = ACJHarness()
        h.createACJ()
        h.createChild(scheduled: "2022-03-24T09:00:00Z")  // e.g. created by a previous incarnation of the controller
        h.set("2022-03-24T09:02:00Z")
        #expect(try h.reconcile().requeueAfter == 180)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:00:00Z")])
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T09:00:00Z"))
    }

    @Test func aFailedCreateIsRetriedForTheSameSlot() throws {
        let h = ACJHarness()
        h.createACJ()
        h.cluster.failWrite = { verb, _ in
            verb == "create" ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        h.set("2022-03-24T08:50:00Z")
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(h.status().lastScheduleTime == nil)
        #expect(h.recorder.messages("FailedCreate") == ["Error creating job: boom"])
        h.cluster.failWrite = nil
        h.set("2022-03-24T08:50:01Z")
        #expect(try h.reconcile().requeueAfter == 299)
        #expect(h.childNames() == ["acj-test-1648111800"])
    }
}

@Suite struct AdvancedCronJobMissedRunTests {
    @Test func exactlyOneHundredMissedRunsTheLatestWithoutWarning() throws {
        let h = ACJHarness(at: "2022-03-24T08:00:30Z")
        h.createACJ(schedule: "* * * * *")
        h.set("2022-03-24T09:40:00Z")  // 08:01 … 09:40: 100 slots
        #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:40:00Z")])
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
    }

    @Test func moreThanOneHundredMissedWarnsAndRunsOnlyTheLatest() throws {
        let h = ACJHarness(at: "2022-03-24T08:00:30Z")
        h.createACJ(schedule: "* * * * *")
        h.set("2022-03-24T09:41:00Z")  // 101 slots
        #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames() == [ACJHarness.child("2022-03-24T09:41:00Z")])
        let w = try #require(h.recorder.records("TooManyMissedTimes").first)
        #expect(w.type == "Warning")
        #expect(w.message == "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        // D-A2: not terminal; the next slot runs normally, with no further warning.
        h.set("2022-03-24T09:42:00Z")
        #expect(try h.reconcile().requeueAfter == 60)
        #expect(h.childNames().count == 2)
        #expect(h.recorder.count("TooManyMissedTimes") == 1)
    }

    @Test func aWeekOfDowntimeRunsOnlyTheMostRecentSlot() throws {
        let h = ACJHarness()
        h.createACJ()
        try h.reconcile()
        h.set("2022-03-31T12:34:56Z")
        #expect(try h.reconcile().requeueAfter == 4)
        #expect(h.childNames() == ["acj-test-1648729800"])  // 2022-03-31T12:30:00Z
        #expect(h.recorder.count("TooManyMissedTimes") == 1)
        #expect(h.recorder.count("SuccessfulCreate") == 1)
    }

    @Test func irregularScheduleInADSTZoneFindsTheSameSlotAsTheExhaustiveSearch() throws {
        let h = ACJHarness(at: "2022-03-01T00:00:00Z")
        h.createACJ(schedule: "30 6-16/4 * * 1-5", timeZone: "America/New_York")
        h.set("2022-05-17T15:00:00Z")
        try h.reconcile()
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

    @Test func latestFireMatchesIteratingEveryMissedSlot() throws {
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

    @Test func startingDeadlineRunsAMissedSlotOnlyWithinTheDeadline() throws {
        for (back, expectRun) in [("08:58:00", true), ("08:59:00", false), ("08:58:19", true), ("08:58:20", false)] {
            let h = ACJHarness()
            h.createACJ(startingDeadlineSeconds: 200)
            h.set("2022-03-24T08:50:00Z")
            try h.reconcile()
            // The controller is down over the 08:55 slot and comes back at `back`.
            h.set("2022-03-24T\(back)Z")
            let r = try h.reconcile()
            let expected = ACJHarness.t("2022-03-24T09:00:00Z").seconds(since: h.clock.now)
            #expect(r.requeueAfter == expected)
            let ran = h.childNames().contains(ACJHarness.child("2022-03-24T08:55:00Z"))
            #expect(ran == expectRun, "back at \(back)")
            #expect(h.recorder.count("MissSchedule") == 0)
        }
    }

    @Test func startingDeadlineBoundsTheSearchAfterLongDowntime() throws {
        let h = ACJHarness()
        h.createACJ(startingDeadlineSeconds: 600)
        h.set("2022-03-31T12:34:56Z")
        #expect(try h.reconcile().requeueAfter == 4)
        #expect(h.childNames() == ["acj-test-1648729800"])
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
    }
}

@Suite struct AdvancedCronJobTimeZoneTests {
    static let shanghai19Z = "2022-03-24T19:00:00Z"

    @Test func timeZoneFieldShanghaiFiresAt1900UTC() throws {
        let h = ACJHarness()
        h.createACJ(schedule: "0 3 * * *", timeZone: "Asia/Shanghai")
        #expect(try h.reconcile().requeueAfter == 36892)
        h.set(Self.shanghai19Z)
        #expect(try h.reconcile().requeueAfter == 86400)
        let child = try #require(h.bcj(ACJHarness.child(Self.shanghai19Z)))
        #expect(child.name == "acj-test-1648148400")
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T19:00:00Z")
    }

    @Test func scheduledAtIsWrittenInTheControllersLocalZone() throws {
        // U11: Go formats the scheduled time (a time in time.Local) with RFC3339: the local offset, whole seconds.
        let h = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        let child = try #require(h.bcj("acj-test-1648111800"))
        #expect(child.metadata.annotations?["apps.kruise.io/scheduled-at"] == "2022-03-24T16:50:00+08:00")
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        // Read back as the same instant: the slot is not run again.
        h.set("2022-03-24T08:51:00Z")
        try h.reconcile()
        #expect(h.childNames() == ["acj-test-1648111800"])
        #expect(Timestamp(unixSeconds: 1648111800).rfc3339(in: TimeZone(identifier: "America/New_York")!)
            == "2022-03-24T04:50:00-04:00")
    }

    @Test func tzPrefixesInTheScheduleWork() throws {
        for schedule in ["TZ=Asia/Shanghai 0 3 * * *", "CRON_TZ=Asia/Shanghai 0 3 * * *"] {
            let h = ACJHarness()
            h.createACJ(schedule: schedule)
            #expect(try h.reconcile().requeueAfter == 36892, "\(schedule)")
        }
        // A schedule that contains TZ is used verbatim even when timeZone is set too.
        let h = ACJHarness()
        h.createACJ(schedule: "TZ=Asia/Shanghai 0 3 * * *", timeZone: "America/New_York")
        #expect(try h.reconcile().requeueAfter == 36892)
    }

    @Test func withoutAZoneTheControllersLocalZoneIsUsed() throws {
        // D-A7: the simulator passes settings.timeZone; never the machine's zone.
        let shanghai = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        shanghai.createACJ(schedule: "0 3 * * *")
        #expect(try shanghai.reconcile().requeueAfter == 36892)
        let utc = ACJHarness()
        utc.createACJ(schedule: "0 3 * * *")
        #expect(try utc.reconcile().requeueAfter == 65692)
        // The timeZone field wins over the local zone.
        let field = ACJHarness(localTimeZone: TimeZone(identifier: "Asia/Shanghai")!)
        field.createACJ(schedule: "0 3 * * *", timeZone: "UTC")
        #expect(try field.reconcile().requeueAfter == 65692)
    }

    @Test func anUnloadableTimeZoneIsIgnored() throws {
        let h = ACJHarness()
        h.createACJ(schedule: "0 3 * * *", timeZone: "Mars/Olympus_Mons")
        #expect(try h.reconcile().requeueAfter == 65692)
        #expect(h.recorder.count("InvalidSchedule") == 0)
    }
}

@Suite struct AdvancedCronJobInvalidScheduleTests {
    @Test func impossibleScheduleIsReportedWithoutChildOrRequeue() throws {
        let h = ACJHarness()
        h.createACJ(schedule: "0 0 30 2 *")
        #expect(try h.reconcile() == .done)
        #expect(h.childNames().isEmpty)
        let w = try #require(h.recorder.records("InvalidSchedule").first)
        #expect(w.type == "Warning")
        #expect(w.message == "unparseable schedule or no fire time within 5 years")
        #expect(h.recorder.count("TooManyMissedTimes") == 0)
        #expect(h.status().type == "BroadcastJob")
        // Updating the schedule resumes it.
        h.updateACJ { $0.spec.schedule = "*/5 * * * *" }
        #expect(try h.reconcile().requeueAfter == 292)
    }

    @Test func unparseableScheduleIsReportedTheSameWay() throws {
        for schedule in ["every five minutes", "", "TZ=UTC"] {
            let h = ACJHarness()
            h.createACJ(schedule: schedule)
            h.set("2022-03-24T09:00:00Z")
            #expect(try h.reconcile() == .done)
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

    @Test func conflictsAreRetriedWithAFreshRead() throws {
        let h = ACJHarness()
        h.createACJ()
        let c = Conflicts(4)
        h.cluster.failWrite = c.hook
        h.set("2022-03-24T08:50:00Z")
        #expect(try h.reconcile().requeueAfter == 300)
        #expect(c.attempts == 6)  // 5 for the first write (4 conflicts), 1 after the create
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
        #expect(h.status().type == "BroadcastJob")
    }

    @Test func fiveConflictsFailTheReconcile() throws {
        let h = ACJHarness()
        h.createACJ()
        let c = Conflicts(5)
        h.cluster.failWrite = c.hook
        h.set("2022-03-24T08:50:00Z")
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(c.attempts == 5)
        #expect(h.childNames().isEmpty)  // the reconcile stopped at the status write
        #expect(h.status().type == nil)
    }

    @Test func otherErrorsAreNotRetried() throws {
        let h = ACJHarness()
        h.createACJ()
        var attempts = 0
        h.cluster.failWrite = { verb, _ in
            guard verb == "updateStatus" else { return nil }
            attempts += 1
            return APIError(code: 503, reason: .serviceUnavailable, message: "unavailable")
        }
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(attempts == 1)
    }

    @Test func aLostPostCreateWriteIsAnErrorButTheSlotIsNotRunTwice() throws {
        let h = ACJHarness()
        h.createACJ()
        var writes = 0
        h.cluster.failWrite = { verb, o in
            guard verb == "updateStatus", case .advancedCronJob = o else { return nil }
            writes += 1
            return writes == 2 ? APIError(code: 500, reason: .internalError, message: "boom") : nil
        }
        h.set("2022-03-24T08:50:00Z")
        #expect(throws: APIError.self) { try h.reconcile() }
        #expect(h.childNames() == ["acj-test-1648111800"])
        // The retry sees the child's scheduled-at annotation.
        h.set("2022-03-24T08:50:00.005Z")
        #expect(try h.reconcile().requeueAfter == 299.995)
        #expect(h.childNames() == ["acj-test-1648111800"])
        #expect(h.status().lastScheduleTime == ACJHarness.t("2022-03-24T08:50:00Z"))
    }
}

@Suite struct AdvancedCronJobSawCompletedTests {
    @Test func recordedOncePerChildWithItsOutcome() throws {
        let h = ACJHarness()
        h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:52:00Z")
        h.finish("acj-test-1648111800", "Failed")
        try h.reconcile()
        try h.reconcile()
        #expect(h.recorder.messages("SawCompletedJob") == ["Saw completed job: acj-test-1648111800, status: Failed"])
        #expect(h.recorder.records("SawCompletedJob").first?.type == "Normal")
    }

    @Test func notRecordedForAChildNeverSeenActive() throws {
        let h = ACJHarness()
        h.createACJ()
        h.createChild(scheduled: "2022-03-24T08:40:00Z", finished: "Complete", startTime: "2022-03-24T08:40:01Z")
        try h.reconcile()
        #expect(h.recorder.count("SawCompletedJob") == 0)
    }

    @Test func aRestartedControllerUsesThePersistedActiveList() throws {
        let h = ACJHarness()
        h.createACJ()
        h.set("2022-03-24T08:50:00Z")
        try h.reconcile()
        h.set("2022-03-24T08:52:00Z")
        h.finish("acj-test-1648111800")
        h.cluster.sync()
        let restarted = AdvancedCronJobController(client: h.cluster, cache: h.cluster.cache, clock: h.clock, recorder: h.recorder,
                                                  queue: WorkQueue(clock: h.clock), localTimeZone: ACJHarness.utc)
        #expect(try restarted.reconcile("default/acj-test").requeueAfter == 180)
        #expect(h.recorder.count("SawCompletedJob") == 1)
    }
}
