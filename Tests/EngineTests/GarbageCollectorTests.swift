import Testing
@testable import Engine

private final class GCHarness {
    let cluster = FakeCluster()
    let queue: WorkQueue
    let gc: GarbageCollector

    init() {
        queue = WorkQueue(clock: cluster.clock)
        gc = GarbageCollector(client: cluster, cache: cluster.cache, queue: queue)
    }

    /// Delivers pending watch events and runs the collector until its queue is empty.
    func run() async throws {
        cluster.sync()
        while let k = queue.get() {
            _ = try await gc.reconcile(k)
            queue.done(k)
            cluster.sync()
        }
    }

    func podNames() -> [String] { cluster.pods().map(\.name) }
}

@Suite struct GarbageCollectorTests {
    @Test func deletingABroadcastJobDeletesItsPods() async throws {
        let h = GCHarness()
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "a", name: "j-1")
        await h.cluster.createJobPod(job, node: "b", name: "j-2", phase: PodPhase.succeeded)
        await h.cluster.createPlainPod("unrelated")
        try await h.run()
        #expect(h.podNames() == ["j-1", "j-2", "unrelated"])
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "j", uid: job.uid)
        try await h.run()
        #expect(h.podNames() == ["unrelated"])
    }

    @Test func anAbsentOwnerIsReadOnceForAllItsDependents() async throws {
        let h = GCHarness()
        let job = await h.cluster.createJob("j")
        for i in 1...3 { await h.cluster.createJobPod(job, node: "n\(i)", name: "j-\(i)") }
        try await h.run()
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "j", uid: job.uid)
        h.cluster.reads = []
        try await h.run()
        #expect(h.podNames() == [])
        // Upstream's absentOwnerCache: the gone owner is read for the first dependent only.
        #expect(h.cluster.reads.filter { $0.hasPrefix("BroadcastJob/") } == ["BroadcastJob/default/j"])
        #expect(h.cluster.reads.filter { $0.hasPrefix("Pod/") }.count == 3)
    }

    @Test func theAbsentOwnerCacheDropsTheLeastRecentlyUsed() {
        var c = ReferenceCache<String>(capacity: 2)
        c.add("a")
        c.add("b")
        let aFound = c.has("a")  // a is now the most recent
        c.add("c")               // so b goes
        let found = [c.has("a"), c.has("b"), c.has("c")]
        #expect(aFound)
        #expect(found == [true, false, true])
        #expect(c.count == 2)
    }

    @Test func podWhoseOwnerStillExistsIsKept() async throws {
        let h = GCHarness()
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "a", name: "j-1")
        try await h.run()
        _ = try await h.gc.reconcile("Pod/default/j-1")
        #expect(h.podNames() == ["j-1"])
    }

    @Test func podWithAnotherLiveOwnerIsKept() async throws {
        let h = GCHarness()
        let gone = await h.cluster.createJob("gone")
        let kept = await h.cluster.createJob("kept")
        var meta = ObjectMeta(name: "shared", namespace: "default")
        meta.ownerReferences = [gone.ownerReference(), kept.ownerReference(controller: false)]
        _ = try await h.cluster.create(Pod(metadata: meta, spec: PodSpec()))
        try await h.run()
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "gone", uid: gone.uid)
        try await h.run()
        #expect(h.podNames() == ["shared"])
    }

    @Test func aLiveReadConfirmsTheOwnerIsGone() async throws {
        let h = GCHarness()
        let job = await h.cluster.createJob("j")
        await h.cluster.createJobPod(job, node: "a", name: "j-1")
        try await h.run()
        // The cache says the job is gone (a stale or wrong watch event), but the API server still has it.
        h.cluster.cache.broadcastJobs.apply(.deleted, job)
        #expect(h.queue.readyCount == 1)
        while let k = h.queue.get() {
            _ = try await h.gc.reconcile(k)
            h.queue.done(k)
        }
        #expect(h.podNames() == ["j-1"])
    }

    @Test func ownerRecreatedUnderTheSameNameDoesNotAdoptTheOldPods() async throws {
        let h = GCHarness()
        let old = await h.cluster.createJob("j")
        await h.cluster.createJobPod(old, node: "a", name: "j-1")
        try await h.run()
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "j", uid: old.uid)
        let new = await h.cluster.createJob("j")
        #expect(new.uid != old.uid)
        try await h.run()
        #expect(h.podNames() == [])
    }

    @Test func dependentCreatedAfterItsOwnerWasDeletedIsCollected() async throws {
        let h = GCHarness()
        let job = await h.cluster.createJob("j")
        try await h.run()
        try await h.cluster.delete(BroadcastJob.self, namespace: "default", name: "j", uid: job.uid)
        try await h.run()
        await h.cluster.createJobPod(job, node: "a", name: "late")
        try await h.run()
        #expect(h.podNames() == [])
    }

    @Test func ownerOfAnUnknownKindIsAssumedToExist() async throws {
        let h = GCHarness()
        var meta = ObjectMeta(name: "rs-pod", namespace: "default")
        meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs-uid", controller: true)]
        _ = try await h.cluster.create(Pod(metadata: meta, spec: PodSpec()))
        try await h.run()
        _ = try await h.gc.reconcile("Pod/default/rs-pod")
        #expect(h.podNames() == ["rs-pod"])
    }
}
