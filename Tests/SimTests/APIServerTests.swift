import Foundation
import Testing
@testable import Sim
import Engine

/// A Kubernetes object from YAML text, as a scenario manifest would give it.
func object(_ yaml: String) -> APIObject {
    let docs = try! parseYAMLDocuments(yaml, file: "fixture.yaml")
    return try! APIObject.decode(manifest: docs[0].json())
}

/// The error a throwing call raised, if any.
func apiError<T>(_ body: () throws -> T) -> APIError? {
    do {
        _ = try body()
        return nil
    } catch let e as APIError {
        return e
    } catch {
        Issue.record("not an APIError: \(error)")
        return nil
    }
}

/// The fake API server on its own: a kernel, seeded streams and a store.
@Suite struct APIServerTests {
    static let t0 = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!

    final class World {
        let kernel = Kernel(start: APIServerTests.t0)
        let rng: RandomStreams
        let server: APIServer
        var changes: [APIServer.Change] = []
        init(seed: UInt64 = 1) {
            rng = RandomStreams(seed: seed)
            server = APIServer(kernel: kernel, rng: rng)
            server.observers.append { [unowned self] c in changes.append(c) }
        }
        var now: Timestamp { kernel.now }
    }

    static func bcj(_ name: String, parallelism: Int = 2, extraMeta: String = "") -> APIObject {
        object("""
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata:
          name: \(name)
          \(extraMeta)
        spec:
          parallelism: \(parallelism)
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: busybox}]
        """)
    }

    static func pod(_ name: String? = nil, generateName: String? = nil, nodeName: String? = nil) -> APIObject {
        var meta = ""
        if let name { meta += "  name: \(name)\n" }
        if let generateName { meta += "  generateName: \(generateName)\n" }
        return object("""
        apiVersion: v1
        kind: Pod
        metadata:
        \(meta)spec:
        \(nodeName.map { "  nodeName: \($0)\n" } ?? "")  restartPolicy: Never
          containers: [{name: c, image: busybox}]
        """)
    }

    // MARK: resourceVersion, uid, names

    @Test func resourceVersionIncreasesWithEveryWrite() throws {
        let w = World()
        let a = try w.server.create(Self.bcj("a"), actor: .scenario)
        let b = try w.server.create(Self.pod("p"), actor: .scenario)
        var a2 = a
        a2.metadata.labels = ["x": "y"]
        let a3 = try w.server.update(a2, subresource: .main, actor: .scenario)
        try w.server.delete(.pod, namespace: "default", name: "p", uid: nil, actor: .scenario)
        let rvs = [a, b, a3].map { Int($0.metadata.resourceVersion!)! } + [Int(w.changes.last!.object.metadata.resourceVersion!)!]
        #expect(rvs == [1, 2, 3, 4])
        #expect(w.server.resourceVersion == 4)
        #expect(w.changes.map(\.verb) == ["create", "create", "update", "delete"])
    }

    @Test func createFillsUIDNamespaceCreationTimeAndGeneration() throws {
        let w = World()
        w.kernel.run(until: Self.t0.adding(seconds: 3))
        let o = try w.server.create(Self.bcj("a"), actor: .scenario)
        #expect(o.metadata.namespace == "default")
        #expect(o.metadata.creationTimestamp == Self.t0.adding(seconds: 3))
        #expect(o.metadata.generation == 1)
        let uid = try #require(o.metadata.uid)
        #expect(uid.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$", options: .regularExpression) != nil)
        // A fixture uid is kept.
        let fixed = try w.server.create(Self.bcj("b", extraMeta: "uid: 11111111-2222-4333-8444-555555555555"), actor: .scenario)
        #expect(fixed.metadata.uid == "11111111-2222-4333-8444-555555555555")
        // Same seed, same uids.
        let w2 = World()
        #expect(try w2.server.create(Self.bcj("a"), actor: .scenario).metadata.uid == uid)
    }

    @Test func generateNameAddsAFiveCharacterSuffixFromTheKubernetesAlphabet() throws {
        let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")
        func names(seed: UInt64) throws -> [String] {
            let w = World(seed: seed)
            return try (0..<30).map { _ in
                try w.server.create(Self.pod(generateName: "hello-"), actor: .scenario).metadata.name!
            }
        }
        let a = try names(seed: 9)
        for n in a {
            #expect(n.hasPrefix("hello-"))
            let suffix = n.dropFirst("hello-".count)
            #expect(suffix.count == 5)
            #expect(suffix.allSatisfy { alphabet.contains($0) }, "\(n)")
        }
        #expect(Set(a).count == 30)
        #expect(try names(seed: 9) == a)
        #expect(try names(seed: 10) != a)
    }

    @Test func noNameAndNoGenerateNameIsInvalid() {
        let w = World()
        var p = Self.pod("x")
        p.metadata.name = nil
        let e = apiError { try w.server.create(p, actor: .scenario) }
        #expect(e?.reason == .invalid)
        #expect(e?.message.contains("name or generateName is required") == true)
    }

    // MARK: Errors

    @Test func staleResourceVersionIsAConflict() throws {
        let w = World()
        let v1 = try w.server.create(Self.bcj("a"), actor: .scenario)
        var fresh = v1
        fresh.metadata.labels = ["k": "1"]
        let v2 = try w.server.update(fresh, subresource: .main, actor: .controllerManager)
        var stale = v1
        stale.metadata.labels = ["k": "2"]
        let e = apiError { try w.server.update(stale, subresource: .main, actor: .controllerManager) }
        #expect(e?.code == 409)
        #expect(e?.reason == .conflict)
        #expect(e?.message == "Operation cannot be fulfilled on broadcastjobs.apps.kruise.io \"a\": the object has been modified; please apply your changes to the latest version and try again")
        // The stale write changed nothing.
        #expect(w.server.get(.broadcastJob, "default", "a") == v2)
        // Status writes are checked too.
        let es = apiError { try w.server.update(stale, subresource: .status, actor: .controllerManager) }
        #expect(es?.reason == .conflict)
    }

    @Test func alreadyExistsAndNotFoundCarryTheirReasonsAndMessages() throws {
        let w = World()
        try w.server.create(Self.bcj("a"), actor: .scenario)
        let dup = apiError { try w.server.create(Self.bcj("a"), actor: .scenario) }
        #expect(dup?.code == 409)
        #expect(dup?.reason == .alreadyExists)
        #expect(dup?.message == "broadcastjobs.apps.kruise.io \"a\" already exists")

        let missingDelete = apiError { try w.server.delete(.pod, namespace: "default", name: "nope", uid: nil, actor: .scenario) }
        #expect(missingDelete?.code == 404)
        #expect(missingDelete?.reason == .notFound)
        #expect(missingDelete?.message == "pods \"nope\" not found")

        let missingUpdate = apiError { try w.server.update(Self.bcj("ghost"), subresource: .main, actor: .scenario) }
        #expect(missingUpdate?.reason == .notFound)
        #expect(missingUpdate?.message == "broadcastjobs.apps.kruise.io \"ghost\" not found")

        let missingBind = apiError { try w.server.bind(namespace: "default", name: "nope", uid: nil, nodeName: "n1", actor: .scheduler) }
        #expect(missingBind?.reason == .notFound)
        #expect(missingBind?.message == "pods \"nope\" not found")
    }

    @Test func deleteWithAWrongUIDPreconditionIsAConflict() throws {
        let w = World()
        try w.server.create(Self.bcj("a"), actor: .scenario)
        let e = apiError { try w.server.delete(.broadcastJob, namespace: "default", name: "a", uid: "other", actor: .controllerManager) }
        #expect(e?.reason == .conflict)
        #expect(e?.message.contains("Precondition failed: UID in precondition: other") == true)
        #expect(w.server.get(.broadcastJob, "default", "a") != nil)
    }

    @Test func admissionRejectsAnInvalidCreate() throws {
        let w = World()
        let bad = object("""
        apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata: {name: always}
        spec:
          template:
            spec:
              restartPolicy: Always
              containers: [{name: c, image: busybox}]
        """)
        let e = apiError { try w.server.create(bad, actor: .scenario) }
        // The kruise webhook's denial, as the API server relays it: its code (500) and wording.
        #expect(e?.code == 500)
        #expect(e?.reason == .unknown)
        #expect(e?.message.hasPrefix("admission webhook \"vbroadcastjob.kb.io\" denied the request: ") == true)
        #expect(e?.message.contains("spec.template.spec.restartPolicy: Invalid value: \"Always\": pod restartPolicy can only be Never or OnFailure") == true)
        #expect(w.server.count(.broadcastJob) == 0)
        #expect(w.server.resourceVersion == 0)
        #expect(w.changes.isEmpty)
    }

    @Test func admissionDefaultsAreStored() throws {
        let w = World()
        let o = try w.server.create(Self.bcj("a"), actor: .scenario)
        guard case .broadcastJob(let j) = o else { Issue.record("not a BroadcastJob"); return }
        #expect(j.spec.completionPolicy?.type == "Always")
        #expect(j.spec.failurePolicy?.type == "FailFast")
    }

    // MARK: Subresources and generation

    @Test func statusUpdatesDoNotChangeSpecAndMainUpdatesDoNotChangeStatus() throws {
        let w = World()
        guard case .broadcastJob(var j) = try w.server.create(Self.bcj("a", parallelism: 2), actor: .scenario) else { return }
        // A status write that also tries to change the spec.
        var st = BroadcastJobStatus()
        st.active = 3
        st.desired = 3
        st.phase = "running"
        j.status = st
        j.spec.parallelism = .int(9)
        guard case .broadcastJob(let afterStatus) = try w.server.update(.broadcastJob(j), subresource: .status, actor: .controllerManager) else { return }
        #expect(afterStatus.status?.active == 3)
        #expect(afterStatus.status?.phase == "running")
        #expect(afterStatus.spec.parallelism == .int(2))
        #expect(afterStatus.metadata.generation == 1)

        // A main write that also tries to change the status.
        var m = afterStatus
        m.spec.parallelism = .int(5)
        var st2 = m.status!
        st2.active = 0
        st2.phase = "failed"
        m.status = st2
        guard case .broadcastJob(let afterMain) = try w.server.update(.broadcastJob(m), subresource: .main, actor: .controllerManager) else { return }
        #expect(afterMain.spec.parallelism == .int(5))
        #expect(afterMain.status?.active == 3)
        #expect(afterMain.status?.phase == "running")
    }

    @Test func generationBumpsOnSpecChangesOnly() throws {
        let w = World()
        guard case .broadcastJob(let j) = try w.server.create(Self.bcj("a"), actor: .scenario) else { return }
        var labelled = j
        labelled.metadata.labels = ["team": "x"]
        guard case .broadcastJob(let j2) = try w.server.update(.broadcastJob(labelled), subresource: .main, actor: .scenario) else { return }
        #expect(j2.metadata.generation == 1)
        #expect(j2.metadata.resourceVersion != j.metadata.resourceVersion)
        var paused = j2
        paused.spec.paused = true
        guard case .broadcastJob(let j3) = try w.server.update(.broadcastJob(paused), subresource: .main, actor: .scenario) else { return }
        #expect(j3.metadata.generation == 2)
        var st = j3
        var s = BroadcastJobStatus()
        s.active = 1
        st.status = s
        guard case .broadcastJob(let j4) = try w.server.update(.broadcastJob(st), subresource: .status, actor: .scenario) else { return }
        #expect(j4.metadata.generation == 2)
    }

    @Test func noOpUpdateWritesNothing() throws {
        let w = World()
        let o = try w.server.create(Self.bcj("a"), actor: .scenario)
        let before = w.server.resourceVersion
        let changes = w.changes.count
        let same = try w.server.update(o, subresource: .main, actor: .controllerManager)
        let sameStatus = try w.server.update(o, subresource: .status, actor: .controllerManager)
        #expect(same.metadata.resourceVersion == o.metadata.resourceVersion)
        #expect(sameStatus.metadata.resourceVersion == o.metadata.resourceVersion)
        #expect(w.server.resourceVersion == before)
        #expect(w.changes.count == changes)
    }

    @Test func updateKeepsServerOwnedMetadata() throws {
        let w = World()
        let o = try w.server.create(Self.bcj("a"), actor: .scenario)
        var tampered = o
        tampered.metadata.uid = "forged"
        tampered.metadata.creationTimestamp = Self.t0.adding(seconds: -100)
        tampered.metadata.labels = ["x": "1"]
        let u = try w.server.update(tampered, subresource: .main, actor: .scenario)
        #expect(u.metadata.uid == o.metadata.uid)
        #expect(u.metadata.creationTimestamp == o.metadata.creationTimestamp)
        #expect(u.metadata.labels == ["x": "1"])
    }

    // MARK: Deletion

    @Test func finalizersKeepADeletedObjectUntilTheyAreRemoved() throws {
        let w = World()
        try w.server.create(Self.bcj("a", extraMeta: "finalizers: [example.com/hold]"), actor: .scenario)
        w.kernel.run(until: Self.t0.adding(seconds: 2))
        try w.server.delete(.broadcastJob, namespace: "default", name: "a", uid: nil, actor: .scenario)
        let deleting = try #require(w.server.get(.broadcastJob, "default", "a"))
        #expect(deleting.metadata.deletionTimestamp == Self.t0.adding(seconds: 2))
        #expect(w.changes.last?.type == .modified)
        // A second delete changes nothing.
        let rv = w.server.resourceVersion
        try w.server.delete(.broadcastJob, namespace: "default", name: "a", uid: nil, actor: .scenario)
        #expect(w.server.resourceVersion == rv)
        #expect(w.server.get(.broadcastJob, "default", "a") != nil)
        // A spec change does not clear the deletionTimestamp.
        var labelled = deleting
        labelled.metadata.labels = ["still": "here"]
        let l = try w.server.update(labelled, subresource: .main, actor: .scenario)
        #expect(l.metadata.deletionTimestamp != nil)
        // Removing the last finalizer removes the object.
        var released = l
        released.metadata.finalizers = []
        try w.server.update(released, subresource: .main, actor: .controllerManager)
        #expect(w.server.get(.broadcastJob, "default", "a") == nil)
        #expect(w.changes.last?.type == .deleted)
    }

    @Test func deleteWithoutFinalizersRemovesAtOnce() throws {
        let w = World()
        try w.server.create(Self.bcj("a"), actor: .scenario)
        try w.server.delete(.broadcastJob, namespace: "default", name: "a", uid: nil, actor: .scenario)
        #expect(w.server.get(.broadcastJob, "default", "a") == nil)
        #expect(w.changes.last?.type == .deleted)
        #expect(w.changes.last?.object.metadata.deletionTimestamp == w.now)
    }

    @Test func podAKubeletRunsIsDeletedGracefullyUntilConfirmed() throws {
        let w = World()
        w.server.kubeletRunsPod = { $0.spec.nodeName == "n1" }
        try w.server.create(Self.pod("p", nodeName: "n1"), actor: .scenario)
        try w.server.delete(.pod, namespace: "default", name: "p", uid: nil, actor: .controllerManager)
        let p = try #require(w.server.get(.pod, "default", "p"))
        #expect(p.metadata.deletionTimestamp == w.now)
        #expect(p.metadata.deletionGracePeriodSeconds == 0)
        // The kubelet's confirmation (a forced delete) removes it.
        try w.server.delete(.pod, namespace: "default", name: "p", uid: p.metadata.uid, actor: .kubelet, force: true)
        #expect(w.server.get(.pod, "default", "p") == nil)
    }

    // MARK: Binding

    @Test func bindSetsNodeNameOnce() throws {
        let w = World()
        let p = try w.server.create(Self.pod("p"), actor: .scenario)
        try w.server.bind(namespace: "default", name: "p", uid: p.metadata.uid, nodeName: "n1", actor: .scheduler)
        guard case .pod(let bound)? = w.server.get(.pod, "default", "p") else { Issue.record("pod missing"); return }
        #expect(bound.spec.nodeName == "n1")
        #expect(w.changes.last?.verb == "bind")
        let e = apiError { try w.server.bind(namespace: "default", name: "p", uid: nil, nodeName: "n2", actor: .scheduler) }
        #expect(e?.code == 409)
        #expect(e?.reason == .conflict)
        #expect(e?.message == "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\"")
        guard case .pod(let still)? = w.server.get(.pod, "default", "p") else { return }
        #expect(still.spec.nodeName == "n1")
    }

    @Test func bindWithAWrongUIDIsAConflict() throws {
        let w = World()
        try w.server.create(Self.pod("p"), actor: .scenario)
        let e = apiError { try w.server.bind(namespace: "default", name: "p", uid: "stale-uid", nodeName: "n1", actor: .scheduler) }
        #expect(e?.reason == .conflict)
    }

    // MARK: Watches

    @Test func watchDeliversAfterTheWatchersDelay() throws {
        let w = World()
        var got: [(String, Double)] = []
        let watcher = APIServer.Watcher(name: "t", kinds: [.broadcastJob], delay: { 0.25 }, start: w.now) { type, obj in
            got.append(("\(type) \(obj.metadata.name!)", w.kernel.clock.elapsed))
        }
        w.server.addWatcher(watcher)
        try w.server.create(Self.bcj("a"), actor: .scenario)
        try w.server.create(Self.pod("p"), actor: .scenario)  // another kind: not delivered
        #expect(got.isEmpty)
        #expect(watcher.inFlight == 1)
        w.kernel.run(until: Self.t0.adding(seconds: 0.2))
        #expect(got.isEmpty)
        w.kernel.run(until: Self.t0.adding(seconds: 1))
        #expect(got.count == 1)
        #expect(got.first?.0 == "\(WatchEventType.added) a")
        #expect(got.first?.1 == 0.25)
        #expect(watcher.inFlight == 0)
    }

    @Test func watchDeliveryIsTimedFromTheWritesInstant() throws {
        let w = World()
        var at: [Double] = []
        w.server.addWatcher(APIServer.Watcher(name: "t", kinds: [.pod], delay: { 0.01 }, start: w.now) { _, _ in at.append(w.kernel.clock.elapsed) })
        // A write applied at 2s (after a token wait and latency) is seen 10ms after that.
        w.kernel.schedule(at: Self.t0.adding(seconds: 2)) { _ = try? w.server.create(Self.pod("p"), actor: .controllerManager) }
        w.kernel.run(until: Self.t0.adding(seconds: 5))
        #expect(at.count == 1)
        #expect(abs(at[0] - 2.01) < 1e-9)
    }

    @Test func rangedDelaysNeverReorderOneWatchersStream() throws {
        let w = World(seed: 5)
        var got: [(name: String, time: Double)] = []
        let delay = DurationSpec(low: 0.001, high: 2)
        w.server.addWatcher(APIServer.Watcher(name: "t", kinds: [.pod], delay: { delay.draw(w.rng, "watch") }, start: w.now) { _, obj in
            got.append((obj.metadata.name!, w.kernel.clock.elapsed))
        })
        var order: [String] = []
        for i in 0..<50 {
            let name = "p\(i)"
            order.append(name)
            w.kernel.schedule(at: Self.t0.adding(seconds: Double(i) * 0.05)) { _ = try? w.server.create(Self.pod(name), actor: .scenario) }
        }
        w.kernel.run(until: Self.t0.adding(seconds: 10))
        #expect(got.map(\.name) == order)
        #expect(zip(got, got.dropFirst()).allSatisfy { $0.time <= $1.time })
        // Each delivery is at least its write time plus the smallest delay.
        for (i, g) in got.enumerated() { #expect(g.time >= Double(i) * 0.05 + 0.001 - 1e-9) }
        // The draws really were ranged (some deliveries were held back by earlier ones).
        let gaps = got.enumerated().map { $0.element.time - Double($0.offset) * 0.05 }
        #expect(gaps.max()! - gaps.min()! > 0.5)
    }

    /// The watchers a write reaches at one instant get it in registration order, and the tasks
    /// one watcher's handler starts run before the next watcher sees the write, as if each
    /// delivery were an event of its own; a watcher removed by an earlier one's handler at that
    /// instant gets nothing.
    @Test func watchersAtOneInstantSeeAWriteInTurnWithTheTasksEachStarted() throws {
        let w = World()
        // Appended to on the kernel's thread only (tasks run on its executor).
        final class Log: @unchecked Sendable { var lines: [String] = [] }
        let log = Log()
        let executor = w.kernel.executor
        let b = APIServer.Watcher(name: "b", kinds: [.pod], delay: { 0.01 }, start: w.now) { _, obj in log.lines.append("b \(obj.metadata.name!)") }
        w.server.addWatcher(APIServer.Watcher(name: "a", kinds: [.pod], delay: { 0.01 }, start: w.now) { _, obj in
            let name = obj.metadata.name!
            log.lines.append("a \(name)")
            Task(executorPreference: executor) { log.lines.append("a's task \(name)") }
            if name == "p2" { w.server.removeWatcher(b) }
        })
        w.server.addWatcher(b)
        w.server.addWatcher(APIServer.Watcher(name: "late", kinds: [.pod], delay: { 0.02 }, start: w.now) { _, obj in log.lines.append("late \(obj.metadata.name!)") })
        w.server.addWatcher(APIServer.Watcher(name: "c", kinds: [.pod], delay: { 0.01 }, start: w.now) { _, obj in log.lines.append("c \(obj.metadata.name!)") })
        try w.server.create(Self.pod("p1"), actor: .scenario)
        try w.server.create(Self.pod("p2"), actor: .scenario)
        w.kernel.run(until: Self.t0.adding(seconds: 1))
        #expect(log.lines == ["a p1", "a's task p1", "b p1", "c p1", "a p2", "a's task p2", "c p2", "late p1", "late p2"])
    }

    @Test func aRemovedWatcherGetsNothingMore() throws {
        let w = World()
        var n = 0
        let watcher = APIServer.Watcher(name: "t", kinds: [.pod], delay: { 1 }, start: w.now) { _, _ in n += 1 }
        w.server.addWatcher(watcher)
        try w.server.create(Self.pod("p1"), actor: .scenario)
        w.server.removeWatcher(watcher)
        try w.server.create(Self.pod("p2"), actor: .scenario)
        w.kernel.run(until: Self.t0.adding(seconds: 5))
        #expect(n == 0)
    }

    /// ARCHITECTURE "How time works": a throttled call's effect lands in the store at the charged
    /// time. Here the manager's token bucket (clientQPS 1) is held by 150 pod creations, so the
    /// cron child scheduled at 00:02:00 is applied at 00:02:36; at 00:02:25 it must not exist yet,
    /// and its creationTimestamp is the instant it appeared, never earlier.
    @Test func throttledWritesAreNotVisibleBeforeTheirChargedTime() throws {
        let o = try runScenario("""
        duration: 3m
        settings: {clientQPS: 1, clientBurst: 10}
        nodes: [{namePrefix: n, count: 150}]
        images:
          busybox: {run: forever}
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJob
            metadata: {name: wide}
            spec:
              template:
                spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
          - apiVersion: apps.kruise.io/v1alpha1
            kind: AdvancedCronJob
            metadata: {name: every-minute}
            spec:
              schedule: "* * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template:
                      spec: {restartPolicy: Never, nodeSelector: {none: none}, containers: [{name: c, image: busybox}]}
        invariants: {cronOnTime: false}
        expect:
          - {at: 2m25s, absent: bcj/every-minute-1704067320}
          - {at: 2m35s, absent: bcj/every-minute-1704067320}
          - {at: 2m40s, object: bcj/every-minute-1704067320, fields: {metadata.creationTimestamp: {gte: "2024-01-01T00:02:35Z", lte: "2024-01-01T00:02:40Z"}}}
        """)
        expectPassed(o, checks: 3)
    }

    @Test func listIsOrderedByKey() throws {
        let w = World()
        for name in ["c", "a", "b"] { try w.server.create(Self.bcj(name), actor: .scenario) }
        #expect(w.server.list(.broadcastJob).map { $0.metadata.name! } == ["a", "b", "c"])
        #expect(w.server.list(BroadcastJob.self).map(\.name) == ["a", "b", "c"])
    }
}
