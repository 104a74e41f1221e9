import Engine
import Foundation
import Sim

// Deterministic fixtures for the hot-path micro-benchmarks: names, nodes, pods and jobs built
// in plain loops (no randomness, no wall clock), and the small fakes a controller needs.

let t0 = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!

/// `n-00042`: zero-padded so key order is index order.
func nodeName(_ i: Int) -> String {
    let digits = String(i)
    return "n-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
}

let allocatable: ResourceList = ["cpu": Quantity(4), "memory": Quantity(parsing: "16Gi")!, "pods": Quantity(110)]

/// A Ready node as a kubelet registers it. With `tainted`, every 10th node carries a
/// `dedicated=infra:NoSchedule` taint and every 20th lacks the `pool=general` label, so a
/// fitness check exercises the selector, taint and resource predicates and some nodes fail.
func makeNode(_ i: Int, tainted: Bool = false) -> Node {
    let name = nodeName(i)
    var labels = ["kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "zone-\(i % 3)"]
    if !(tainted && i % 20 == 7) { labels["pool"] = "general" }
    let taints = tainted && i % 10 == 3 ? [Taint(key: "dedicated", value: "infra", effect: Taint.noSchedule)] : nil
    var n = Node(metadata: ObjectMeta(name: name, labels: labels), spec: NodeSpec(taints: taints),
                 status: NodeStatus(capacity: allocatable, allocatable: allocatable, conditions: [Condition(type: "Ready", status: "True")]))
    n.metadata.namespace = nil
    n.metadata.uid = "node-uid-\(i)"
    n.metadata.resourceVersion = String(i + 1)
    return n
}

func makeNodes(_ count: Int, tainted: Bool = false) -> [Node] { (0..<count).map { makeNode($0, tainted: tainted) } }

/// The pod spec every fixture pod and job template uses (requests, as a real workload has).
func podSpec() -> PodSpec {
    var c = Container(name: "c", image: "busybox")
    c.resources = ResourceRequirements(requests: ["cpu": Quantity(milli: 100), "memory": Quantity(parsing: "128Mi")!])
    return PodSpec(containers: [c], restartPolicy: "Never")
}

/// A BroadcastJob as stored (uid and resourceVersion set), completion policy Always.
func makeJob(_ name: String, uid: String) -> BroadcastJob {
    var spec = BroadcastJobSpec(template: PodTemplateSpec(spec: podSpec()))
    spec.completionPolicy = CompletionPolicy(type: "Always")
    var job = BroadcastJob(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)
    job.metadata.uid = uid
    job.metadata.resourceVersion = "1"
    job.metadata.generation = 1
    return job
}

/// A running pod of `job` on node `i`, labelled and owned as the BroadcastJob controller makes it.
func makeJobPod(_ i: Int, job: BroadcastJob) -> Pod {
    var meta = ObjectMeta(name: "\(job.name)-\(i)", namespace: "default",
                          labels: [BroadcastJobController.labelJobName: job.name, BroadcastJobController.labelControllerUID: job.uid])
    meta.ownerReferences = [job.ownerReference()]
    meta.uid = "pod-uid-\(i)"
    meta.resourceVersion = String(100_000 + i)
    meta.generation = 1
    var spec = podSpec()
    spec.nodeName = nodeName(i)
    var st = PodStatus(phase: PodPhase.running)
    st.containerStatuses = [ContainerStatus(name: "c", restartCount: 0)]
    return Pod(metadata: meta, spec: spec, status: st)
}

/// An informer cache holding `nodes` nodes and one running pod per node; pod i belongs to
/// `jobs[i % jobs.count]`.
func makeCache(nodes: Int, jobs: [BroadcastJob]) -> InformerCache {
    let cache = InformerCache()
    for n in makeNodes(nodes) { cache.nodes.apply(.added, n) }
    for j in jobs { cache.broadcastJobs.apply(.added, j) }
    for i in 0..<nodes { cache.pods.apply(.added, makeJobPod(i, job: jobs[i % jobs.count])) }
    return cache
}

/// A clock that stands still (a reconcile reads it once).
final class FixedClock: Engine.Clock {
    var now: Timestamp
    init(_ t: Timestamp) { now = t }
}

/// Counts events and keeps nothing.
final class CountingRecorder: EventRecorder {
    var count = 0
    func event(_ object: ObjectReference, type: String, reason: String, message: String) { count += 1 }
}

/// A client whose calls return at once: writes echo the object, so a reconcile's cost is its own.
final class ImmediateClient: Client {
    var writes = 0
    func get<T: Resource>(_ type: T.Type, namespace: String, name: String) async throws(APIError) -> T {
        throw .notFound(T.knownKind.rawValue, name)
    }
    func create<T: Resource>(_ object: T) async throws(APIError) -> T { writes += 1; return object }
    func update<T: Resource>(_ object: T) async throws(APIError) -> T { writes += 1; return object }
    func updateStatus<T: Resource>(_ object: T) async throws(APIError) -> T { writes += 1; return object }
    func delete<T: Resource>(_ type: T.Type, namespace: String, name: String, uid: String?) async throws(APIError) { writes += 1 }
    func bind(namespace: String, name: String, uid: String?, nodeName: String) async throws(APIError) { writes += 1 }
}

/// A mutable counter shared with escaping closures (kernel actions, watch deliveries).
final class Counter {
    var value = 0
}

/// A linear congruential step: a cheap, deterministic spread of times.
@inline(__always) func lcg(_ x: inout UInt64) -> UInt64 {
    x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return x >> 33
}
