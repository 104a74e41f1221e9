import Foundation

/// Why a node does not fit a pod: the predicate that failed, with its reason as the
/// Kubernetes scheduler words it.
public enum FitFailure: Hashable, Sendable, CustomStringConvertible {
    case nodeName
    case nodeAffinity
    case untoleratedTaint(Taint)
    case unschedulable
    case tooManyPods
    case insufficient(String)

    public var description: String {
        switch self {
        case .nodeName: return "node(s) didn't match the requested node name"
        case .nodeAffinity: return "node(s) didn't match Pod's node affinity/selector"
        case .untoleratedTaint(let t): return "node(s) had untolerated taint {\(t.key): \(t.value ?? "")}"
        case .unschedulable: return "node(s) were unschedulable"
        case .tooManyPods: return "Too many pods"
        case .insufficient(let r): return "Insufficient \(r)"
        }
    }
}

/// The node-fitness predicates of kruise `checkNodeFitness` (reference/broadcastjob.md 3.3), in
/// their order; the first failure decides.
public enum NodeFitness {
    public static let unschedulableTaint = Taint(key: "node.kubernetes.io/unschedulable", effect: Taint.noSchedule)
    /// The taint effects predicate 3 looks at (built once: a set literal per check cost a hashed build).
    static let schedulingEffects: Set<String> = [Taint.noSchedule, Taint.noExecute]
    static let noExecuteOnly: Set<String> = [Taint.noExecute]

    /// Checks `pod` against `node` alone. `podsOnNode` (used by the scheduler, not by BroadcastJob)
    /// adds the requests of pods already there to the resource check.
    /// `ignoringNodeName` skips predicate 1, for a mock pod whose nodeName is the node itself
    /// (so the template need not be copied to set it). `ignoringNoScheduleTaints` is the
    /// `ignore-taints` mutant (NoExecute taints still count).
    public static func check(_ pod: PodSpec, podMeta: ObjectMeta? = nil, node: Node, requestedOnNode: ResourceUsage? = nil,
                             ignoringNodeName: Bool = false, ignoringNoScheduleTaints: Bool = false) -> FitFailure? {
        // 1. NodeName
        if !ignoringNodeName, let n = pod.nodeName, !n.isEmpty, n != node.name { return .nodeName }
        // 2. nodeSelector + required node affinity
        if !matchesNodeSelectorAndAffinity(pod, node: node) { return .nodeAffinity }
        // 3. taints (NoSchedule, NoExecute)
        if let t = firstUntoleratedTaint(node.taints, tolerations: pod.tolerations ?? [],
                                         effects: ignoringNoScheduleTaints ? noExecuteOnly : schedulingEffects) {
            return .untoleratedTaint(t)
        }
        // 4. unschedulable
        if node.unschedulable, !(pod.tolerations ?? []).contains(where: { $0.tolerates(unschedulableTaint) }) {
            return .unschedulable
        }
        // 5. resources
        return fitsResources(pod, node: node, requested: requestedOnNode ?? ResourceUsage())
    }

    public static func fits(_ pod: PodSpec, node: Node) -> Bool { check(pod, node: node) == nil }

    /// The first taint with one of `effects` that no toleration tolerates.
    public static func firstUntoleratedTaint(_ taints: [Taint], tolerations: [Toleration], effects: Set<String>) -> Taint? {
        for t in taints where effects.contains(t.effect) {
            if !tolerations.contains(where: { $0.tolerates(t) }) { return t }
        }
        return nil
    }

    /// `nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`.
    public static func matchesNodeSelectorAndAffinity(_ pod: PodSpec, node: Node) -> Bool {
        let labels = node.metadata.labels ?? [:]
        if let sel = pod.nodeSelector {
            for (k, v) in sel where labels[k] != v { return false }
        }
        if let req = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution {
            return req.nodeSelectorTerms.contains { termMatches($0, node: node, labels: labels) }
        }
        return true
    }

    static func termMatches(_ term: NodeSelectorTerm, node: Node, labels: [String: String]) -> Bool {
        let exprs = term.matchExpressions ?? []
        let fields = term.matchFields ?? []
        if exprs.isEmpty && fields.isEmpty { return false }
        for e in exprs {
            guard let ok = requirementMatches(e, value: labels[e.key]), ok else { return false }
        }
        for f in fields {
            guard f.key == "metadata.name", f.operator == "In" || f.operator == "NotIn", (f.values ?? []).count == 1 else { return false }
            let isIn = f.values![0] == node.name
            if (f.operator == "In") != isIn { return false }
        }
        return true
    }

    /// A label requirement; nil when the requirement cannot be parsed (then the term does not match).
    /// As `labels.NewRequirement`, every value must be a valid label value (so `Gt ["-1"]` is a parse error).
    static func requirementMatches(_ r: NodeSelectorRequirement, value: String?) -> Bool? {
        let values = r.values ?? []
        guard values.allSatisfy({ KubeValidation.isValidLabelValue($0).isEmpty }) else { return nil }
        switch r.operator {
        case "In":
            guard !values.isEmpty else { return nil }
            return value.map { values.contains($0) } ?? false
        case "NotIn":
            guard !values.isEmpty else { return nil }
            return value.map { !values.contains($0) } ?? true
        case "Exists":
            guard values.isEmpty else { return nil }
            return value != nil
        case "DoesNotExist":
            guard values.isEmpty else { return nil }
            return value == nil
        case "Gt", "Lt":
            guard values.count == 1, let bound = Int64(values[0]) else { return nil }
            guard let v = value, let n = Int64(v) else { return false }
            return r.operator == "Gt" ? n > bound : n < bound
        default:
            return nil
        }
    }

    /// `noderesources.Fits`: pods count, then each requested resource against allocatable minus `requested`.
    public static func fitsResources(_ pod: PodSpec, node: Node, requested: ResourceUsage) -> FitFailure? {
        let alloc = node.status?.allocatable ?? [:]
        let allowedPods = alloc["pods"]?.value ?? 0
        if Int64(requested.pods) + 1 > allowedPods { return .tooManyPods }
        let req = ResourceUsage.requests(of: pod)
        if req.isZero { return nil }
        for name in req.amounts.keys.sorted() {
            let want = req.amounts[name]!
            if want.nanos == 0 { continue }
            let have = alloc[name]?.nanos ?? 0
            if want.nanos > have - (requested.amounts[name]?.nanos ?? 0) { return .insufficient(name) }
        }
        return nil
    }
}

/// Summed resource requests (effective pod requests, k8s `resourcehelper.PodRequests`).
public struct ResourceUsage: Hashable, Sendable {
    public var amounts: [String: Quantity] = [:]
    public var pods: Int = 0
    public init() {}

    public var isZero: Bool { amounts.values.allSatisfy { $0.nanos == 0 } }

    public mutating func add(_ other: ResourceUsage) {
        for (k, v) in other.amounts { amounts[k] = (amounts[k] ?? .zero) + v }
        pods += other.pods
    }

    /// Effective requests of one pod (`resourcehelper.PodRequests`, sidecar-aware since Kubernetes 1.29): the
    /// regular containers plus the restartable init containers (`restartPolicy: Always`, sidecars, which keep
    /// running), or, if larger per resource, the peak while an init container runs (its requests plus those of
    /// the sidecars started before it); then the overhead.
    public static func requests(of spec: PodSpec) -> ResourceUsage {
        var sum: [String: Quantity] = [:]
        func add(_ list: [String: Quantity], to target: inout [String: Quantity]) {
            for (k, v) in list { target[k] = (target[k] ?? .zero) + v }
        }
        for c in spec.containers { add(c.resources?.requests ?? [:], to: &sum) }
        var sidecars: [String: Quantity] = [:]
        var initPeak: [String: Quantity] = [:]
        for c in spec.initContainers ?? [] {
            let own = c.resources?.requests ?? [:]
            var use: [String: Quantity]
            if c.restartPolicy == "Always" {
                add(own, to: &sum)
                add(own, to: &sidecars)
                use = sidecars
            } else {
                use = own
                add(sidecars, to: &use)
            }
            for (k, v) in use where initPeak[k].map({ v > $0 }) ?? true { initPeak[k] = v }
        }
        for (k, v) in initPeak where sum[k].map({ v > $0 }) ?? true { sum[k] = v }
        for (k, v) in spec.overhead ?? [:] { sum[k] = (sum[k] ?? .zero) + v }
        var u = ResourceUsage()
        u.amounts = sum
        u.pods = 1
        return u
    }
}

extension PodSpec {
    /// `getAssignedNode`: `nodeName`, else the first `metadata.name In [x]` (one value) matchField of any
    /// required node-selector term, in term order, else `""`.
    public var assignedNode: String {
        if let n = nodeName, !n.isEmpty { return n }
        for term in affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [] {
            for f in term.matchFields ?? [] where f.key == "metadata.name" && f.operator == "In" && (f.values ?? []).count == 1 {
                return f.values![0]
            }
        }
        return ""
    }
}
