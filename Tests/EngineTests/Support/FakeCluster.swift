import Foundation
@testable import Engine

/// A settable clock.
final class TestClock: Clock {
    var now: Timestamp
    init(_ t: Timestamp = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!) { now = t }
    func advance(_ seconds: Double) { now = now.adding(seconds: seconds) }
}

/// Records every event.
final class TestRecorder: EventRecorder {
    struct Record: Equatable { var object: String; var type: String; var reason: String; var message: String }
    var records: [Record] = []
    func event(_ object: ObjectReference, type: String, reason: String, message: String) {
        records.append(Record(object: object.name ?? "", type: type, reason: reason, message: message))
    }
    func reasons() -> [String] { records.map(\.reason) }
    func count(_ reason: String) -> Int { records.filter { $0.reason == reason }.count }
    func messages(_ reason: String) -> [String] { records.filter { $0.reason == reason }.map(\.message) }
}

/// An in-memory API server for engine unit tests. Writes land at once in `store`; watch events
/// reach the informer cache only when the test calls `sync()`, so tests control cache lag.
/// Failures can be injected per verb.
final class FakeCluster: Client {
    let clock: TestClock
    let cache = InformerCache()
    let recorder = TestRecorder()
    private(set) var store: [KnownKind: [String: APIObject]] = [:]
    private var pending: [(WatchEventType, APIObject)] = []
    private var rv = 0
    private var uidSeq = 0
    private var nameSeq = 0
    /// Return an error to make a write fail.
    var failWrite: ((_ verb: String, _ object: APIObject) -> APIError?)?
    var writes: [String] = []

    init(clock: TestClock = TestClock()) { self.clock = clock }

    // MARK: fixtures

    @discardableResult
    func createNode(_ name: String, labels: [String: String] = [:], taints: [Taint] = [], unschedulable: Bool = false,
                    allocatable: ResourceList = ["cpu": Quantity(4), "memory": Quantity(parsing: "16Gi")!, "pods": Quantity(110)]) async -> Node {
        var n = Node(metadata: ObjectMeta(name: name, labels: labels), spec: NodeSpec(unschedulable: unschedulable ? true : nil, taints: taints.isEmpty ? nil : taints),
                     status: NodeStatus(capacity: allocatable, allocatable: allocatable, conditions: [Condition(type: "Ready", status: "True")]))
        n.metadata.namespace = nil
        return try! await create(n)
    }

    @discardableResult
    func createJob(_ name: String, restartPolicy: String = "Never", completion: CompletionPolicy? = CompletionPolicy(type: "Always"),
                   parallelism: IntOrString? = nil, failurePolicy: FailurePolicy? = nil, paused: Bool? = nil,
                   nodeSelector: [String: String]? = nil, tolerations: [Toleration]? = nil, requests: ResourceList? = nil) async -> BroadcastJob {
        var c = Container(name: "c", image: "busybox")
        if let requests { c.resources = ResourceRequirements(requests: requests) }
        var spec = PodSpec(containers: [c], restartPolicy: restartPolicy)
        spec.nodeSelector = nodeSelector
        spec.tolerations = tolerations
        var bs = BroadcastJobSpec(template: PodTemplateSpec(spec: spec))
        bs.completionPolicy = completion
        bs.parallelism = parallelism
        bs.failurePolicy = failurePolicy ?? FailurePolicy(type: "FailFast")
        bs.paused = paused
        return try! await create(BroadcastJob(metadata: ObjectMeta(name: name, namespace: "default"), spec: bs))
    }

    /// Sets a pod's phase (and optionally restarts) as a kubelet would.
    func setPod(_ pod: Pod, phase: String, restarts: Int32 = 0) async {
        var p = get(pod)!
        var st = p.status ?? PodStatus()
        st.phase = phase
        st.containerStatuses = [ContainerStatus(name: "c", restartCount: restarts)]
        p.status = st
        _ = try! await updateStatus(p)
    }

    func get(_ pod: Pod) -> Pod? { store[.pod]?[pod.key].flatMap(Pod.unwrap) }
    func job(_ name: String) -> BroadcastJob? { store[.broadcastJob]?["default/\(name)"].flatMap(BroadcastJob.unwrap) }
    func pods(of job: BroadcastJob? = nil) -> [Pod] {
        (store[.pod] ?? [:]).values.compactMap(Pod.unwrap)
            .filter { job == nil || $0.metadata.controllerRef?.uid == job!.uid }
            .sorted { $0.name < $1.name }
    }

    /// Delivers every pending watch event to the cache.
    func sync() {
        let p = pending
        pending = []
        for (t, o) in p { cache.apply(t, o) }
    }

    // MARK: Client

    private func key(_ kind: KnownKind, _ ns: String, _ name: String) -> String { kind.namespaced ? "\(ns)/\(name)" : name }

    /// Every live read, as `Kind/namespace/name`.
    var reads: [String] = []

    func get<T: Resource>(_ type: T.Type, namespace: String, name: String) async throws(APIError) -> T {
        reads.append("\(T.kind)/\(namespace)/\(name)")
        guard let o = store[T.knownKind]?[key(T.knownKind, namespace, name)], let t = T.unwrap(o) else {
            throw .notFound(T.kind.lowercased() + "s", name)
        }
        return t
    }

    func create<T: Resource>(_ object: T) async throws(APIError) -> T {
        var o = object
        if o.metadata.name == nil || o.metadata.name == "" {
            nameSeq += 1
            o.metadata.name = (o.metadata.generateName ?? "") + String(format: "%05d", nameSeq)
        }
        if T.namespaced && (o.metadata.namespace ?? "").isEmpty { o.metadata.namespace = "default" }
        if let e = failWrite?("create", o.wrapped) { throw e }
        let k = key(T.knownKind, o.namespace, o.name)
        if store[T.knownKind]?[k] != nil { throw .alreadyExists(T.kind.lowercased() + "s", o.name) }
        uidSeq += 1
        if o.metadata.uid == nil { o.metadata.uid = "uid-\(uidSeq)" }
        rv += 1
        o.metadata.resourceVersion = String(rv)
        o.metadata.creationTimestamp = clock.now
        store[T.knownKind, default: [:]][k] = o.wrapped
        pending.append((.added, o.wrapped))
        writes.append("create \(T.kind) \(o.name)")
        return o
    }

    private func replace<T: Resource>(_ object: T, verb: String, merge: (T, T) -> T) throws(APIError) -> T {
        let k = key(T.knownKind, object.namespace, object.name)
        guard let cur = store[T.knownKind]?[k].flatMap(T.unwrap) else { throw .notFound(T.kind.lowercased() + "s", object.name) }
        if let e = failWrite?(verb, object.wrapped) { throw e }
        if let want = object.metadata.resourceVersion, want != cur.metadata.resourceVersion {
            throw .conflict(T.kind.lowercased() + "s", object.name)
        }
        var n = merge(cur, object)
        if n == cur { return cur }
        rv += 1
        n.metadata.resourceVersion = String(rv)
        store[T.knownKind]![k] = n.wrapped
        pending.append((.modified, n.wrapped))
        writes.append("\(verb) \(T.kind) \(n.name)")
        return n
    }

    func update<T: Resource>(_ object: T) async throws(APIError) -> T {
        try replace(object, verb: "update") { cur, new in
            T.unwrap(new.wrapped.withStatus(cur.wrapped.statusValue))!
        }
    }

    func updateStatus<T: Resource>(_ object: T) async throws(APIError) -> T {
        try replace(object, verb: "updateStatus") { cur, new in
            T.unwrap(cur.wrapped.withStatus(new.wrapped.statusValue))!
        }
    }

    func delete<T: Resource>(_ type: T.Type, namespace: String, name: String, uid: String?) async throws(APIError) {
        let k = key(T.knownKind, namespace, name)
        guard let cur = store[T.knownKind]?[k] else { throw .notFound(T.kind.lowercased() + "s", name) }
        if let e = failWrite?("delete", cur) { throw e }
        store[T.knownKind]![k] = nil
        rv += 1
        pending.append((.deleted, cur))
        writes.append("delete \(T.kind) \(name)")
    }

    func bind(namespace: String, name: String, uid: String?, nodeName: String) async throws(APIError) {
        var p: Pod = try await get(Pod.self, namespace: namespace, name: name)
        p.spec.nodeName = nodeName
        _ = try replace(p, verb: "bind") { _, n in n }
    }
}

extension APIObject {
    /// The status part, as an opaque value (test helper).
    var statusValue: JSONValue? {
        switch self {
        case .pod(let o): return o.status.flatMap { try? JSONValue(encoding: $0) }
        case .node(let o): return o.status.flatMap { try? JSONValue(encoding: $0) }
        case .job(let o): return o.status.flatMap { try? JSONValue(encoding: $0) }
        case .broadcastJob(let o): return o.status.flatMap { try? JSONValue(encoding: $0) }
        case .advancedCronJob(let o): return o.status.flatMap { try? JSONValue(encoding: $0) }
        case .event: return nil
        }
    }
    func withStatus(_ s: JSONValue?) -> APIObject {
        switch self {
        case .pod(var o): o.status = try? s?.decode(PodStatus.self); return .pod(o)
        case .node(var o): o.status = try? s?.decode(NodeStatus.self); return .node(o)
        case .job(var o): o.status = try? s?.decode(JobStatus.self); return .job(o)
        case .broadcastJob(var o): o.status = try? s?.decode(BroadcastJobStatus.self); return .broadcastJob(o)
        case .advancedCronJob(var o): o.status = try? s?.decode(AdvancedCronJobStatus.self); return .advancedCronJob(o)
        case .event: return self
        }
    }
}

/// A BroadcastJob controller wired to a fake cluster.
final class BCJHarness {
    let cluster: FakeCluster
    let controller: BroadcastJobController
    let queue: WorkQueue
    var clock: TestClock { cluster.clock }
    var recorder: TestRecorder { cluster.recorder }

    init(scheduler: Bool = false) {
        cluster = FakeCluster()
        queue = WorkQueue(clock: cluster.clock)
        controller = BroadcastJobController(client: cluster, cache: cluster.cache, clock: cluster.clock, recorder: cluster.recorder, queue: queue,
                                            options: BroadcastJobControllerOptions(assignPodsByScheduler: scheduler))
    }

    /// Syncs the cache and reconciles one job.
    @discardableResult
    func reconcile(_ name: String) async throws -> ReconcileResult {
        cluster.sync()
        return try await controller.reconcile("default/\(name)")
    }
}
