import Testing
@testable import Engine

@Suite struct BroadcastJobBasicsTests {
    @Test func createsOnePodPerFittingNodeAndSkipsTaintedControlPlane() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("worker1")
        await h.cluster.createNode("worker2")
        await h.cluster.createNode("master", taints: [Taint(key: "node-role.kubernetes.io/control-plane", effect: Taint.noSchedule)])
        let job = await h.cluster.createJob("hello")
        try await h.reconcile("hello")
        let pods = h.cluster.pods(of: job)
        #expect(pods.map { $0.spec.nodeName } == ["worker1", "worker2"])
        #expect(pods.allSatisfy { $0.metadata.generateName == "hello-" && $0.metadata.labels?["broadcastjob-name"] == "hello" })
        let st = h.cluster.job("hello")!.status!
        #expect(st.desired == 2)
        #expect(st.active == 2)
        #expect(st.phase == "running")
        #expect(h.recorder.count("SuccessfulCreate") == 2)
    }

    @Test func completesWhenEveryDesiredNodeHasAFinishedPod() async throws {
        let h = BCJHarness()
        await h.cluster.createNode("a")
        await h.cluster.createNode("b")
        let job = await h.cluster.createJob("j", completion: CompletionPolicy(type: "Always", ttlSecondsAfterFinished: 30))
        try await h.reconcile("j")
        for p in h.cluster.pods(of: job) { await h.cluster.setPod(p, phase: PodPhase.succeeded) }
        let r = try await h.reconcile("j")
        let st = h.cluster.job("j")!.status!
        #expect(st.phase == "completed")
        #expect(st.succeeded == 2)
        #expect(st.conditions?.last?.type == "Complete")
        #expect(st.conditions?.last?.message == "Job completed, 2 pods succeeded, 0 pods failed")
        #expect(r.requeueAfter == 31)
        #expect(h.recorder.messages("JobComplete") == ["Job default/j is completed, 2 pods succeeded, 0 pods failed"])
    }
}
