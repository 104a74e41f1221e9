import Foundation

/// The default scheduler: binds pods that have no `spec.nodeName`.
///
/// Filter: the node-fitness predicates (``NodeFitness``) with the requests of pods already on the
/// node counted. Score: least allocated (mean free fraction of cpu and memory after placement);
/// ties go to the node whose name sorts first. A pod with a single required `metadata.name`
/// term (how BroadcastJob binds) is checked against that node only, so a broadcast to N nodes
/// costs O(N), not O(N²).
///
/// Pods that fit nowhere get a `FailedScheduling` event and wait until a node or pod change
/// (or a 60 s retry) gives them another chance.
public final class DefaultScheduler: Reconciler {
    public let name = "default-scheduler"
    let client: Client
    let cache: InformerCache
    let recorder: EventRecorder
    public let queue: WorkQueue
    /// Pods bound by this scheduler but not yet seen bound in the cache.
    private var assumed: [String: (node: String, usage: ResourceUsage)] = [:]
    private var assumedByNode: [String: ResourceUsage] = [:]
    /// Pods that fit nowhere, retried on cluster changes.
    private var unschedulable = Set<String>()
    public var retryUnschedulableAfter: Double = 60
    /// A deliberate defect (mutation testing): `ignore-taints` is the one the scheduler honours.
    public var mutant: Mutant?
    /// For each binding in flight, the node as this scheduler's cache had it when it chose it. The
    /// cache lags the API server (watch delay, a dropped watch's relist), as kube-scheduler's
    /// informers do, so a node tainted a moment ago can still be chosen; the simulator's
    /// `podsOnFitNodes` check judges a binding on this view.
    public private(set) var bindingDecidedOn: [String: Node] = [:]

    public init(client: Client, cache: InformerCache, recorder: EventRecorder, queue: WorkQueue) {
        self.client = client
        self.cache = cache
        self.recorder = recorder
        self.queue = queue
        cache.pods.addHandler { [unowned self] type, old, pod in
            switch type {
            case .added, .modified:
                if let n = pod.spec.nodeName, !n.isEmpty {
                    forget(pod.key)
                    if old?.spec.nodeName == nil || old?.spec.nodeName == "" { return }
                    if pod.isTerminal && !(old?.isTerminal ?? false) { flushUnschedulable() }
                } else if Self.responsible(pod) {
                    queue.add(pod.key)
                }
            case .deleted:
                forget(pod.key)
                unschedulable.remove(pod.key)
                if pod.spec.nodeName != nil { flushUnschedulable() }
            }
        }
        cache.nodes.addHandler { [unowned self] type, _, _ in
            if type != .deleted { flushUnschedulable() }
        }
    }

    static func responsible(_ pod: Pod) -> Bool {
        let s = pod.spec.schedulerName ?? "default-scheduler"
        return s == "default-scheduler" && pod.metadata.deletionTimestamp == nil && !pod.isTerminal
    }

    private func forget(_ key: String) {
        // Most pod events find nothing assumed: skip hashing the key then.
        guard !assumed.isEmpty, let a = assumed.removeValue(forKey: key) else { return }
        var u = assumedByNode[a.node] ?? ResourceUsage()
        u.pods -= a.usage.pods
        for (k, v) in a.usage.amounts { u.amounts[k] = (u.amounts[k] ?? .zero) - v }
        assumedByNode[a.node] = u.pods == 0 ? nil : u
    }

    private func flushUnschedulable() {
        guard !unschedulable.isEmpty else { return }
        for k in unschedulable.sorted() { queue.add(k) }
        unschedulable.removeAll()
    }

    /// Requests of the pods bound to `node` (non-terminal), plus pods assumed there.
    public func requested(on node: String) -> ResourceUsage {
        var u = assumedByNode[node] ?? ResourceUsage()
        for p in cache.pods.list(index: InformerCache.byNode, value: node) where !p.isTerminal {
            u.add(ResourceUsage.requests(of: p.spec))
        }
        return u
    }

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        guard let pod = cache.pods.get(key), (pod.spec.nodeName ?? "").isEmpty, Self.responsible(pod), assumed[key] == nil else {
            return .done
        }
        var candidates: [Node]
        if let only = Self.singleNodeName(pod.spec) {
            candidates = cache.nodes.get(only).map { [$0] } ?? []
        } else {
            candidates = cache.nodes.list()
        }
        var best: (node: Node, score: Double)?
        var reasons: [String: Int] = [:]
        for node in candidates {
            let used = requested(on: node.name)
            if let failure = NodeFitness.check(pod.spec, node: node, requestedOnNode: used,
                                                 ignoringNoScheduleTaints: mutant == .ignoreTaints) {
                reasons[failure.description, default: 0] += 1
                continue
            }
            let s = Self.leastAllocatedScore(pod.spec, node: node, used: used)
            if best == nil || s > best!.score { best = (node, s) }
        }
        guard let chosen = best else {
            let total = cache.nodes.count
            // As k8s FitError: "<count> <reason>" strings, sorted as strings.
            let detail = reasons.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
            let missing = total - candidates.count
            var msg = "0/\(total) nodes are available"
            if !detail.isEmpty { msg += ": \(detail)" }
            if missing > 0 && candidates.isEmpty { msg += detail.isEmpty ? ": \(missing) node(s) didn't match Pod's node affinity/selector" : "" }
            recorder.warning(pod, "FailedScheduling", msg + ".")
            unschedulable.insert(key)
            return ReconcileResult(requeueAfter: retryUnschedulableAfter)
        }
        bindingDecidedOn[key] = chosen.node
        defer { bindingDecidedOn[key] = nil }
        try await client.bind(namespace: pod.namespace, name: pod.name, uid: pod.uid, nodeName: chosen.node.name)
        let usage = ResourceUsage.requests(of: pod.spec)
        assumed[key] = (chosen.node.name, usage)
        var u = assumedByNode[chosen.node.name] ?? ResourceUsage()
        u.add(usage)
        assumedByNode[chosen.node.name] = u
        recorder.normal(pod, "Scheduled", "Successfully assigned \(pod.namespace)/\(pod.name) to \(chosen.node.name)")
        return .done
    }

    /// The node of a sole required `metadata.name In [x]` term, if that is how the pod is pinned.
    static func singleNodeName(_ spec: PodSpec) -> String? {
        guard let terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
              terms.count == 1 else { return nil }
        let n = spec.assignedNode
        return n.isEmpty ? nil : n
    }

    /// NodeResourcesLeastAllocated: the mean over cpu and memory of the free fraction after placement.
    static func leastAllocatedScore(_ pod: PodSpec, node: Node, used: ResourceUsage) -> Double {
        let req = ResourceUsage.requests(of: pod)
        let alloc = node.status?.allocatable ?? [:]
        var total = 0.0
        for r in ["cpu", "memory"] {
            let cap = alloc[r]?.doubleValue ?? 0
            guard cap > 0 else { continue }
            let want = (used.amounts[r]?.doubleValue ?? 0) + (req.amounts[r]?.doubleValue ?? 0)
            total += max(0, (cap - want) / cap)
        }
        return total / 2
    }
}
