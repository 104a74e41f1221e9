import Testing
@testable import Engine

@Suite struct WorkQueueTests {
    @Test func addsAreDeduplicated() async {
        let q = WorkQueue(clock: TestClock())
        q.add("a")
        q.add("b")
        q.add("a")
        #expect(q.readyCount == 2)
        #expect(q.get() == "a")
        #expect(q.get() == "b")
        #expect(q.get() == nil)
    }

    @Test func aKeyIsNeverGivenToTwoWorkers() async {
        let q = WorkQueue(clock: TestClock())
        q.add("a")
        #expect(q.get() == "a")
        #expect(q.isProcessingAny)
        q.add("a")
        q.add("a")
        #expect(q.readyCount == 0)
        #expect(q.get() == nil)
        q.done("a")
        #expect(q.readyCount == 1)
        #expect(q.get() == "a")
        q.done("a")
        #expect(q.get() == nil)
        #expect(!q.isProcessingAny)
    }

    @Test func doneWithoutANewAddDoesNotRequeue() async {
        let q = WorkQueue(clock: TestClock())
        q.add("a")
        _ = q.get()
        q.done("a")
        #expect(q.readyCount == 0)
    }

    @Test func delayedAddWaitsForItsTime() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        q.add("a", after: 10)
        #expect(q.readyCount == 0)
        #expect(q.nextDelayedTime == c.now.adding(seconds: 10))
        c.advance(9.999)
        q.promoteDelayed()
        #expect(q.readyCount == 0)
        c.advance(0.001)
        q.promoteDelayed()
        #expect(q.get() == "a")
        #expect(q.nextDelayedTime == nil)
    }

    @Test func theEarliestDelayedAddWins() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        q.add("a", after: 10)
        q.add("a", after: 5)
        q.add("a", after: 20)
        #expect(q.nextDelayedTime == c.now.adding(seconds: 5))
        c.advance(5)
        q.promoteDelayed()
        #expect(q.get() == "a")
        q.done("a")
        c.advance(100)
        q.promoteDelayed()
        #expect(q.readyCount == 0)  // the later, superseded adds do not fire
        #expect(q.nextDelayedTime == nil)
    }

    @Test func nonPositiveDelayAddsAtOnce() async {
        let q = WorkQueue(clock: TestClock())
        q.add("a", after: 0)
        q.add("b", after: -1)
        #expect(q.readyCount == 2)
    }

    @Test func delayedAddOfAQueuedKeyDoesNotDuplicateIt() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        q.add("a")
        q.add("a", after: 1)
        c.advance(1)
        q.promoteDelayed()
        #expect(q.readyCount == 1)
    }

    @Test func rateLimitedBackOffDoublesFrom5msAndIsCappedAt1000s() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        #expect(q.addRateLimited("a") == 0.005)
        #expect(q.addRateLimited("a") == 0.01)
        #expect(q.addRateLimited("a") == 0.02)
        #expect(q.addRateLimited("a") == 0.04)
        #expect(q.numRequeues("a") == 4)
        for _ in 0..<14 { q.addRateLimited("a") }
        #expect(q.addRateLimited("a") == 1000)  // 0.005 * 2^18 > 1000
        #expect(q.addRateLimited("a") == 1000)
        // Per key.
        #expect(q.addRateLimited("b") == 0.005)
        q.forget("a")
        #expect(q.numRequeues("a") == 0)
        #expect(q.addRateLimited("a") == 0.005)
    }

    @Test func rateLimitedAddFiresAfterItsDelay() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        q.addRateLimited("a")
        #expect(q.readyCount == 0)
        c.advance(0.005)
        q.promoteDelayed()
        #expect(q.get() == "a")
    }

    @Test func resetDropsEverything() async {
        let c = TestClock()
        let q = WorkQueue(clock: c)
        q.add("a")
        q.add("b", after: 3)
        q.addRateLimited("c")
        q.reset()
        #expect(q.readyCount == 0)
        #expect(q.nextDelayedTime == nil)
        #expect(q.numRequeues("c") == 0)
    }
}

@Suite struct RuntimeExpectationsTests {
    @Test func satisfiedWhenEveryExpectationIsObserved() async {
        let c = TestClock()
        let e = ScaleExpectations(clock: c)
        #expect(e.check("ns/j") == .satisfied)
        e.expect("ns/j", .create, "a")
        e.expect("ns/j", .delete, "b")
        #expect(e.check("ns/j") == .unsatisfied(retryAfter: 300))
        e.observe("ns/j", .create, "a")
        #expect(e.check("ns/j") == .unsatisfied(retryAfter: 300))
        e.observe("ns/j", .create, "b")  // wrong action: still waiting
        #expect(e.pendingKeys == 1)
        e.observe("ns/j", .delete, "b")
        #expect(e.check("ns/j") == .satisfied)
        #expect(e.pendingKeys == 0)
    }

    @Test func waitIsMeasuredFromTheFirstUnsatisfiedCheck() async {
        let c = TestClock()
        let e = ScaleExpectations(clock: c)
        e.expect("k", .create, "a")
        c.advance(100)  // time before the first check does not count
        #expect(e.check("k") == .unsatisfied(retryAfter: 300))
        c.advance(120)
        #expect(e.check("k") == .unsatisfied(retryAfter: 180))
    }

    @Test func expectationsExpireAfterTheTimeout() async {
        // D-B6
        let c = TestClock()
        let e = ScaleExpectations(clock: c, timeout: 60)
        e.expect("k", .create, "a")
        #expect(e.check("k") == .unsatisfied(retryAfter: 60))
        c.advance(60)
        #expect(e.check("k") == .expired)
        #expect(e.check("k") == .satisfied)
        #expect(e.pendingKeys == 0)
    }

    @Test func aNewRoundStartsAFreshTimer() async {
        let c = TestClock()
        let e = ScaleExpectations(clock: c)
        e.expect("k", .create, "a")
        _ = e.check("k")
        c.advance(200)
        e.observe("k", .create, "a")
        #expect(e.check("k") == .satisfied)
        e.expect("k", .create, "b")
        #expect(e.check("k") == .unsatisfied(retryAfter: 300))
    }

    @Test func keysAreIndependentAndCanBeDeleted() async {
        let c = TestClock()
        let e = ScaleExpectations(clock: c)
        e.expect("k1", .create, "a")
        e.expect("k2", .create, "a")
        e.observe("k1", .create, "a")
        #expect(e.check("k1") == .satisfied)
        #expect(e.check("k2") != .satisfied)
        e.delete("k2")
        #expect(e.check("k2") == .satisfied)
        e.expect("k3", .create, "x")
        e.deleteAll()
        #expect(e.pendingKeys == 0)
    }

    @Test func observingSomethingNeverExpectedIsHarmless() async {
        let e = ScaleExpectations(clock: TestClock())
        e.observe("k", .create, "a")
        #expect(e.check("k") == .satisfied)
        e.expect("k", .create, "a")
        e.expect("k", .create, "a")
        e.observe("k", .create, "a")
        #expect(e.check("k") != .satisfied)
        e.observe("k", .create, "a")
        #expect(e.check("k") == .satisfied)
    }
}

private func pod(_ name: String, ns: String = "default", node: String? = nil, pinned: String? = nil,
                 owner: OwnerReference? = nil, extraOwners: [OwnerReference] = []) -> Pod {
    var meta = ObjectMeta(name: name, namespace: ns)
    meta.uid = "uid-\(ns)-\(name)"
    let owners = (owner.map { [$0] } ?? []) + extraOwners
    if !owners.isEmpty { meta.ownerReferences = owners }
    var spec = PodSpec(containers: [Container(name: "c")])
    spec.nodeName = node
    if let pinned {
        spec.affinity = Affinity(nodeAffinity: NodeAffinity(required: NodeSelector(nodeSelectorTerms: [
            NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [pinned])])
        ])))
    }
    return Pod(metadata: meta, spec: spec)
}

private let jobRef = OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "j", uid: "job-uid", controller: true)
private let otherRef = OwnerReference(apiVersion: "v1", kind: "Node", name: "n", uid: "node-uid", controller: false)

@Suite struct RuntimeInformerTests {
    @Test func podIndexes() async {
        let c = InformerCache()
        c.pods.apply(.added, pod("b", node: "n1", owner: jobRef, extraOwners: [otherRef]))
        c.pods.apply(.added, pod("a", pinned: "n1", owner: jobRef))
        c.pods.apply(.added, pod("c", ns: "other", node: "n2"))
        #expect(c.pods.list(index: InformerCache.byControllerUID, value: "job-uid").map(\.name) == ["a", "b"])
        #expect(c.pods.list(index: InformerCache.byOwnerUID, value: "node-uid").map(\.name) == ["b"])
        #expect(c.pods.list(index: InformerCache.byOwnerUID, value: "job-uid").map(\.name) == ["a", "b"])
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").map(\.name) == ["b"])
        #expect(c.pods.list(index: InformerCache.byAssignedNode, value: "n1").map(\.name) == ["a", "b"])
        #expect(c.pods.list(index: InformerCache.byUID, value: "uid-default-a").map(\.name) == ["a"])
        #expect(c.pods.count(index: InformerCache.byAssignedNode, value: "n1") == 2)
        #expect(c.pods.list(index: InformerCache.byNode, value: "nope").isEmpty)
    }

    /// An index value's keys through one, two, one and none (a bucket holds a single key alone).
    @Test func indexValueGrowsAndShrinks() async {
        let c = InformerCache()
        func onN1() -> [String] { c.pods.list(index: InformerCache.byNode, value: "n1").map(\.name) }
        c.pods.apply(.added, pod("y", node: "n1"))
        c.pods.apply(.modified, pod("y", node: "n1"))  // the same key again: still one
        #expect(onN1() == ["y"])
        c.pods.apply(.added, pod("x", node: "n1"))
        #expect(onN1() == ["x", "y"])
        #expect(c.pods.count(index: InformerCache.byNode, value: "n1") == 2)
        c.pods.apply(.deleted, pod("y", node: "n1"))
        #expect(onN1() == ["x"])
        c.pods.apply(.modified, pod("x", node: "n2"))  // moves to another value
        #expect(onN1().isEmpty)
        #expect(c.pods.count(index: InformerCache.byNode, value: "n1") == 0)
        #expect(c.pods.list(index: InformerCache.byNode, value: "n2").map(\.name) == ["x"])
        c.pods.apply(.added, pod("y", node: "n1"))
        #expect(onN1() == ["y"])
    }

    /// The key set behind index buckets and a BroadcastJob's pods per node: one key inline,
    /// more in a set, the same answers either way.
    @Test func keySetThroughNoneOneAndMany() {
        var s = KeySet()
        #expect(s.isEmpty && s.max() == nil && !s.remove("a"))
        #expect(s.insert("b") && !s.insert("b"))
        #expect(s.count == 1 && s.contains("b") && !s.contains("a") && s.max() == "b")
        #expect(s.insert("a") && s.insert("c") && !s.insert("a"))
        #expect(s.sorted() == ["a", "b", "c"] && s.max() == "c")
        #expect(s.remove("c") && !s.remove("c") && s.remove("a"))
        #expect(s.sorted() == ["b"] && s.count == 1 && s == s)
        #expect(s.remove("b") && s.isEmpty && s.sorted().isEmpty)
        #expect(s == KeySet())
        // A table's entry, updated in place: created by the first key, gone with the last.
        var table: [String: KeySet] = [:]
        #expect(KeySet.insert("p1", into: &table["n1", default: KeySet()]) == 1)
        #expect(KeySet.insert("p2", into: &table["n1", default: KeySet()]) == 2)
        #expect(KeySet.remove("p1", from: &table["n1"]) == 1 && table["n1"]?.sorted() == ["p2"])
        #expect(KeySet.remove("p2", from: &table["n1"]) == 0 && table.isEmpty)
        #expect(KeySet.remove("p2", from: &table["n1"]) == 0 && table.isEmpty)
    }

    /// The tables keyed by ``StringKey`` answer as `[String: V]` and `Set<String>` do, through a
    /// seeded run of inserts, in-place updates, defaults and removals over keys of every length
    /// around the hash's eight-byte words (and keys that differ only in their last byte).
    @Test func stringTablesAnswerAsStandardOnes() {
        var rng = CronTests.SplitMix(seed: 7)
        let stems = ["", "a", "node-1", "default/", "default/cleaner-", "default/cleaner-abcde", "ns/ümlaut-pod", String(repeating: "x", count: 40)]
        let keys = stems.flatMap { s in (0..<6).map { s + String($0) } } + ["node-12345678", "node-12345679", "12345678", "12345679"]
        var table = StringTable<Int>(), dict: [String: Int] = [:]
        var set = StringSet(), reference = Set<String>()
        for step in 0..<4000 {
            let k = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 5 {
            case 0: #expect(table.updateValue(step, forKey: k) == dict.updateValue(step, forKey: k))
            case 1: table[k, default: 0] += 1; dict[k, default: 0] += 1
            case 2: #expect(table.removeValue(forKey: k) == dict.removeValue(forKey: k))
            case 3: table[k]? += 2; dict[k]? += 2
            default: #expect(table[k] == dict[k])
            }
            if step % 3 == 0 { #expect(set.insert(k).inserted == reference.insert(k).inserted) } else { #expect((set.remove(k) != nil) == (reference.remove(k) != nil)) }
            #expect(set.contains(k) == reference.contains(k))
        }
        #expect(table.count == dict.count && table.keys.sorted() == dict.keys.sorted())
        #expect(table.map { "\($0.key)=\($0.value)" }.sorted() == dict.map { "\($0.key)=\($0.value)" }.sorted())
        #expect(set.count == reference.count && set.sorted() == reference.sorted())
        // Equal keys hash alike; keys that differ only in their last byte are different keys.
        for a in keys { for b in keys { #expect((StringKey(a) == StringKey(b)) == (a == b)); if a == b { #expect(StringKey(a).hashValue == StringKey(b).hashValue) } } }
    }

    /// Objects are values though their fields live in shared storage: a whole new status (the
    /// setter, which does not copy the status it replaces) or a change in place leaves every
    /// other copy as it was, and the in-storage comparisons agree with `==`.
    @Test func aNewStatusChangesOnlyTheCopyItIsGivenTo() {
        let a = pod("a", node: "n1")
        var b = a
        b.status = PodStatus(phase: PodPhase.running)
        #expect(a.status == nil && b.phase == PodPhase.running)
        #expect(!a.sameStatus(as: b) && a.sameSpec(as: b) && a.sameStatus(as: a))
        var c = b
        c.status = PodStatus(phase: PodPhase.succeeded)  // c was shared with b
        c.status = PodStatus(phase: PodPhase.failed)  // and now is its own
        #expect(b.phase == PodPhase.running && c.phase == PodPhase.failed && !b.sameStatus(as: c))
        var d = c
        d.status?.phase = PodPhase.running  // in place, through the modify accessor
        #expect(c.phase == PodPhase.failed && d.sameStatus(as: b) && d.status == b.status)
        var n1 = Node(metadata: ObjectMeta(name: "n1"))
        let n2 = n1
        n1.status = NodeStatus()
        #expect(n2.status == nil && n1.status != nil && !n1.sameStatus(as: n2) && n1.sameSpec(as: n2))
        var j1 = BroadcastJob(metadata: ObjectMeta(name: "bj", namespace: "ns"), spec: BroadcastJobSpec(template: PodTemplateSpec(spec: PodSpec())))
        let j2 = j1
        j1.status = BroadcastJobStatus()
        #expect(j2.status == nil && j1.status == BroadcastJobStatus() && !j1.sameStatus(as: j2))
    }

    @Test func cacheWithOnlySomeIndexes() async {
        // The scheduler's cache keeps pods by node only.
        let c = InformerCache(only: [InformerCache.byNode])
        c.pods.apply(.added, pod("b", node: "n1", owner: jobRef))
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").map(\.name) == ["b"])
    }

    @Test func askingForAnIndexNotKeptIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            let c = InformerCache(only: [InformerCache.byNode])
            _ = c.pods.list(index: InformerCache.byUID, value: "x")
        }
    }

    @Test func updatesReindexAndDeletesUnindex() async {
        let c = InformerCache()
        c.pods.apply(.added, pod("a", pinned: "n1", owner: jobRef))
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").isEmpty)
        var bound = pod("a", pinned: "n1", owner: jobRef)
        bound.spec.nodeName = "n2"  // bound elsewhere: nodeName wins for the assigned node
        c.pods.apply(.modified, bound)
        #expect(c.pods.list(index: InformerCache.byNode, value: "n2").map(\.name) == ["a"])
        #expect(c.pods.list(index: InformerCache.byAssignedNode, value: "n1").isEmpty)
        #expect(c.pods.list(index: InformerCache.byAssignedNode, value: "n2").map(\.name) == ["a"])
        c.pods.apply(.deleted, bound)
        #expect(c.pods.count == 0)
        #expect(c.pods.count(index: InformerCache.byNode, value: "n2") == 0)
        #expect(c.pods.count(index: InformerCache.byControllerUID, value: "job-uid") == 0)
    }

    @Test func anUpdateThatChangesNoIndexedFieldKeepsTheIndexesAndOneThatDoesMovesThem() async {
        // Updates whose indexed fields are unchanged skip the index upkeep (sameIndexInputs):
        // a status write keeps the pod where it was; a new owner or uid with the same spec
        // storage must still move it.
        let c = InformerCache()
        let a = pod("a", node: "n1", owner: jobRef)
        c.pods.apply(.added, a)
        var running = a
        running.status = PodStatus(phase: PodPhase.running)
        running.metadata.resourceVersion = "7"
        c.pods.apply(.modified, running)
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").map(\.phase) == [PodPhase.running])
        #expect(c.pods.count(index: InformerCache.byControllerUID, value: "job-uid") == 1)
        var adopted = running
        adopted.metadata.ownerReferences = [otherRef]
        c.pods.apply(.modified, adopted)
        #expect(c.pods.count(index: InformerCache.byControllerUID, value: "job-uid") == 0)
        #expect(c.pods.list(index: InformerCache.byOwnerUID, value: "node-uid").map(\.name) == ["a"])
        var recreated = adopted
        recreated.metadata.uid = "uid-2"
        c.pods.apply(.modified, recreated)
        #expect(c.pods.count(index: InformerCache.byUID, value: "uid-default-a") == 0)
        #expect(c.pods.list(index: InformerCache.byUID, value: "uid-2").map(\.name) == ["a"])
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").map(\.name) == ["a"])
    }

    @Test func listIsOrderedByKeyWhateverTheArrivalOrder() async {
        let c = InformerCache()
        for n in ["n3", "n10", "n1", "n2"] {
            c.nodes.apply(.added, Node(metadata: ObjectMeta(name: n)))
        }
        #expect(c.nodes.list().map(\.name) == ["n1", "n10", "n2", "n3"])
        c.nodes.apply(.deleted, Node(metadata: ObjectMeta(name: "n10")))
        #expect(c.nodes.list().map(\.name) == ["n1", "n2", "n3"])
        c.nodes.apply(.added, Node(metadata: ObjectMeta(name: "n0")))
        #expect(c.nodes.list().map(\.name) == ["n0", "n1", "n2", "n3"])
        #expect(c.nodes.get("n2")?.name == "n2")
        #expect(c.pods.get(namespace: "default", name: "x") == nil)
    }

    @Test func handlersSeeAddedModifiedAndDeletedWithTheOldObject() async {
        let inf = Informer<Pod>()
        var seen: [(WatchEventType, String?, String?)] = []
        inf.addHandler { t, old, new in seen.append((t, old?.spec.nodeName, new.spec.nodeName)) }
        inf.apply(.added, pod("a"))
        inf.apply(.added, pod("a", node: "n1"))  // an add for a known key is a modification
        inf.apply(.modified, pod("a", node: "n2"))
        inf.apply(.deleted, pod("a", node: "n2"))
        #expect(seen.map(\.0) == [.added, .modified, .modified, .deleted])
        #expect(seen.map(\.1) == [nil, nil, "n1", "n2"])
        #expect(seen.map(\.2) == [nil, "n1", "n2", "n2"])
    }

    @Test func replaceSwapsTheWholeContent() async {
        let c = InformerCache()
        c.pods.apply(.added, pod("a", node: "n1", owner: jobRef))
        c.pods.apply(.added, pod("b", node: "n1", owner: jobRef))
        c.pods.replace(with: [pod("c", node: "n2", owner: jobRef)])
        #expect(c.pods.list().map(\.name) == ["c"])
        #expect(c.pods.list(index: InformerCache.byNode, value: "n1").isEmpty)
        #expect(c.pods.list(index: InformerCache.byControllerUID, value: "job-uid").map(\.name) == ["c"])
    }

    @Test func indexAddedLaterCoversExistingObjects() async {
        let inf = Informer<Pod>()
        inf.apply(.added, pod("a", node: "n1"))
        inf.addIndex("x") { [$0.spec.nodeName ?? ""] }
        #expect(inf.list(index: "x", value: "n1").map(\.name) == ["a"])
    }

    @Test func jobAndBroadcastJobIndexes() async {
        let c = InformerCache()
        var j = Job(metadata: ObjectMeta(name: "child", namespace: "ns"), spec: JobSpec(template: PodTemplateSpec(spec: PodSpec())))
        j.metadata.uid = "child-uid"
        j.metadata.ownerReferences = [OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "AdvancedCronJob", name: "cron", uid: "acj-uid", controller: true)]
        c.jobs.apply(.added, j)
        #expect(c.jobs.list(index: InformerCache.byControllerName, value: "ns/AdvancedCronJob/cron").map(\.name) == ["child"])
        #expect(c.jobs.list(index: InformerCache.byControllerUID, value: "acj-uid").map(\.name) == ["child"])
        #expect(c.jobs.count(index: InformerCache.byUID, value: "child-uid") == 1)
        var b = BroadcastJob(metadata: ObjectMeta(name: "bj", namespace: "ns"), spec: BroadcastJobSpec(template: PodTemplateSpec(spec: PodSpec())))
        b.metadata.uid = "bj-uid"
        b.metadata.ownerReferences = j.metadata.ownerReferences
        c.broadcastJobs.apply(.added, b)
        #expect(c.broadcastJobs.list(index: InformerCache.byControllerName, value: "ns/AdvancedCronJob/cron").map(\.name) == ["bj"])
        #expect(c.broadcastJobs.list(index: InformerCache.byOwnerUID, value: "acj-uid").map(\.name) == ["bj"])
        #expect(c.broadcastJobs.count(index: InformerCache.byUID, value: "bj-uid") == 1)
        c.apply(.deleted, .broadcastJob(b))
        #expect(c.broadcastJobs.count == 0)
    }
}

@Suite struct OwnerReferenceGroupTests {
    @Test func isInGroupAgreesWithTheGroupItNames() {
        // Controllers match owners by group without building it; the answer must be the same.
        let versions = ["apps.kruise.io/v1beta1", "apps.kruise.io/v1alpha1", "apps.kruise.io.evil/v1", "apps.kruise/v1",
                        "batch/v1", "batchx/v1", "v1", "", "/v1", "apps.kruise.io", "apps.kruise.io/", "a/b/c", "a/b"]
        let groups = ["apps.kruise.io", "batch", "", "apps.kruise", "v1", "a/b", "a"]
        for v in versions {
            let ref = OwnerReference(apiVersion: v, kind: "BroadcastJob", name: "j", uid: "u")
            for g in groups {
                #expect(ref.isInGroup(g) == (ref.group == g), "apiVersion \(v), group \(g)")
            }
        }
        #expect(OwnerReference(apiVersion: "apps.kruise.io/v1beta1", kind: "BroadcastJob", name: "j", uid: "u").isInGroup("apps.kruise.io"))
        #expect(!OwnerReference(apiVersion: "apps.kruise.io.evil/v1", kind: "BroadcastJob", name: "j", uid: "u").isInGroup("apps.kruise.io"))
    }
}

@Suite struct KnownKindTests {
    @Test func kindsSortInDeclarationOrderAndAreEqualOnlyToThemselves() {
        // Order, equality and hashing go by case (a switch), not by the raw string: the
        // switch must follow allCases.
        let all = KnownKind.allCases
        #expect(all.sorted() == all)
        for (i, a) in all.enumerated() {
            for (j, b) in all.enumerated() {
                #expect((a == b) == (i == j))
                #expect((a < b) == (i < j))
            }
        }
        #expect(Set(all).count == all.count)
        #expect(KnownKind(rawValue: "Pod") == .pod)
    }
}
