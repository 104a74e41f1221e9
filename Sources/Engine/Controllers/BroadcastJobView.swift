import Foundation

/// What one BroadcastJob's reconcile needs to know about its pods and the nodes, kept up to
/// date from the informer events the controller already receives, so that a reconcile costs
/// what changed rather than the size of the cluster.
///
/// It holds exactly the inputs of reference/broadcastjob.md 3.1 steps 7–11: the job's pods
/// (controller owner reference and labels), their classification (step 10), the node → pod map
/// with "the later pod in list order wins" (step 8), and for every node its role in step 11
/// (not desired, desired without a pod, desired with an active or a finished pod, or its pod to
/// be deleted). Pod changes that can move a role (a pod added, removed, finished, being deleted
/// or with a new spec) mark their nodes dirty; node changes mark that node dirty in every
/// view; a template change marks all nodes dirty. `refresh` recomputes only dirty nodes.
///
/// - Complexity: building a view is O(pods + nodes), once per job per controller start; after
///   that a pod or node event is O(1) per view and a refresh is O(dirty nodes).
final class BroadcastJobView {
    enum NodeRole: Int, CaseIterable { case notDesired, noPod, activePod, donePod, deletePod }

    struct PodInfo {
        var name: String
        var uid: String
        var node: String
        var succeeded: Bool
        var failedPhase: Bool
        var deleting: Bool
        var onFailure: Bool
        var restarts: Int
        /// Non-terminal and not being deleted (classified active or restart-limit failed).
        var live: Bool { !succeeded && !failedPhase && !deleting }
    }

    let uid: String
    let name: String
    var template: PodSpec
    private(set) var pods = StringTable<PodInfo>()
    /// Pod keys per assigned node ("" for pods with none).
    private(set) var nodePods = StringTable<KeySet>()
    private(set) var duplicateNodes = StringSet()
    private(set) var succeeded = 0
    private(set) var failedPhase = 0
    private(set) var live = 0
    /// Live OnFailure pods with at least one restart: the only candidates for a restart limit >= 0.
    private(set) var restarting = StringSet()
    /// Live OnFailure pods, restarted or not: all of them are over a negative restart limit.
    private(set) var liveOnFailure = 0

    private(set) var roles = StringTable<NodeRole>()
    /// Nodes per role, by the role's raw value.
    private var roleCounts = [Int](repeating: 0, count: NodeRole.allCases.count)
    private var deleteNodes = StringSet()
    private var dirty = StringSet()
    private var allDirty = true

    init(job: BroadcastJob) {
        uid = job.uid
        name = job.name
        template = job.spec.template.spec
    }

    /// Whether a pod belongs to this job: controller owner reference kind and UID, and both labels.
    func owns(_ p: Pod) -> Bool {
        guard let ref = p.metadata.controllerRef, ref.kind == BroadcastJob.kind, ref.uid == uid else { return false }
        let l = p.metadata.labels ?? [:]
        return l[BroadcastJobController.labelJobName] == name && l[BroadcastJobController.labelControllerUID] == uid
    }

    // MARK: Pods

    func podChanged(old: Pod?, new: Pod?) {
        // The common case, a pod of this job changing in place (its status, say): only its counts move.
        // The view holds a pod only while the version it last saw was owned (it sees every
        // event of the pods that name this job), and `old` is that version: with the same
        // labels and owner references, `new` is owned too, without looking the labels up.
        if let old, let new, case let key = new.key, old.key == key, let was = pods[key],
           (old.metadata.labels == new.metadata.labels && old.metadata.ownerReferences == new.metadata.ownerReferences) || owns(new) {
            let info = Self.info(new)
            if info.node == was.node {
                count(was, key, -1)
                count(info, key, +1)
                pods[key] = info
                // A node's role (the `role` closure BroadcastJobController.reconcile passes to
                // `refresh`) reads of its pod only whether it is terminal or being deleted and
                // whether it fits (its spec and generation): a write that keeps those (a pod
                // starting to run, a restart counted) leaves the role as it was. A new read there
                // must be added here.
                if info.succeeded != was.succeeded || info.failedPhase != was.failedPhase || info.deleting != was.deleting
                    || old.spec != new.spec || old.metadata.generation != new.metadata.generation {
                    dirty.insert(info.node)
                }
                return
            }
        }
        if let old, pods[old.key] != nil { remove(old.key) }
        if let new, owns(new) { add(new) }
    }

    private static func info(_ p: Pod) -> PodInfo {
        let phase = p.phase
        return PodInfo(name: p.name, uid: p.uid, node: p.spec.assignedNode, succeeded: phase == PodPhase.succeeded,
                       failedPhase: phase == PodPhase.failed, deleting: p.metadata.deletionTimestamp != nil,
                       onFailure: p.spec.restartPolicy == "OnFailure", restarts: p.totalRestarts)
    }

    /// Adds (`by` +1) or takes away (-1) a pod's share of the classification counts.
    private func count(_ info: PodInfo, _ key: String, _ by: Int) {
        if info.succeeded { succeeded += by } else if info.failedPhase { failedPhase += by } else if !info.deleting { live += by }
        if info.live && info.onFailure {
            liveOnFailure += by
            if info.restarts > 0 {
                if by > 0 { restarting.insert(key) } else { restarting.remove(key) }
            }
        }
    }

    private func add(_ p: Pod) {
        let key = p.key
        if pods[key] != nil { remove(key) }
        let info = Self.info(p)
        pods[key] = info
        count(info, key, +1)
        if KeySet.insert(key, into: &nodePods[info.node, default: KeySet()]) > 1 { duplicateNodes.insert(info.node) }
        dirty.insert(info.node)
    }

    private func remove(_ key: String) {
        guard let info = pods.removeValue(forKey: key) else { return }
        count(info, key, -1)
        if KeySet.remove(key, from: &nodePods[info.node]) < 2, !duplicateNodes.isEmpty { duplicateNodes.remove(info.node) }
        dirty.insert(info.node)
    }

    // MARK: Classification (step 10)

    /// (active, failed, succeeded) for a restart limit.
    func counts(restartLimit: Int) -> (active: Int, failed: Int, succeeded: Int) {
        // `restarts > restartLimit`: with a negative limit (not validated upstream) even a pod that never
        // restarted is over it.
        let overLimit = restartLimit < 0
            ? liveOnFailure : restarting.reduce(0) { $0 + (pods[$1]!.restarts > restartLimit ? 1 : 0) }
        return (live - overLimit, failedPhase + overLimit, succeeded)
    }

    /// Keys of pods, in list order, matching a predicate (for the rare paths that need the pods).
    func podKeys(where f: (PodInfo) -> Bool) -> [String] {
        pods.filter { f($0.value) }.map(\.key).sorted()
    }

    /// Step 8's duplicate warnings, in pod list order: every pod after the first on its node.
    func duplicates() -> [(pod: String, node: String)] {
        var out: [(key: String, name: String, node: String)] = []
        for node in duplicateNodes {
            for key in nodePods[node]!.sorted().dropFirst() { out.append((key, pods[key]!.name, node)) }
        }
        return out.sorted { $0.key < $1.key }.map { ($0.name, $0.node) }
    }

    /// The pod step 8 maps to a node: the last of its pods in list order.
    func winner(on node: String) -> String? { nodePods[node]?.max() }

    // MARK: Nodes (step 11)

    func nodeChanged(_ name: String) { dirty.insert(name) }
    func templateChanged(_ t: PodSpec) {
        template = t
        allDirty = true
    }

    /// Recomputes the roles of dirty nodes (all of them after a template change or at first).
    func refresh(nodes: Informer<Node>, role: (Node, String?) -> NodeRole) {
        if allDirty {
            roles.removeAll(keepingCapacity: true)
            roleCounts = [Int](repeating: 0, count: NodeRole.allCases.count)
            deleteNodes.removeAll()
            for key in nodes.sortedKeys() { setRole(key, nodes.get(key).map { role($0, winner(on: key)) }) }
            allDirty = false
        } else {
            for key in dirty { setRole(key, nodes.get(key).map { role($0, winner(on: key)) }) }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    private func setRole(_ node: String, _ r: NodeRole?) {
        let old: NodeRole?
        if let r { old = roles.updateValue(r, forKey: node) } else { old = roles.removeValue(forKey: node) }
        guard old != r else { return }  // the common case: a pod changed, its node's role did not
        if let old { roleCounts[old.rawValue] -= 1 }
        if let r { roleCounts[r.rawValue] += 1 }
        if r == .deletePod { deleteNodes.insert(node) } else if old == .deletePod { deleteNodes.remove(node) }
    }

    func count(_ r: NodeRole) -> Int { roleCounts[r.rawValue] }
    var desired: Int { count(.noPod) + count(.activePod) + count(.donePod) }

    /// The first `limit` nodes without a pod, in node-list order.
    func restNodes(_ limit: Int, nodes: Informer<Node>) -> [Node] {
        guard limit > 0 else { return [] }
        var out: [Node] = []
        for key in nodes.sortedKeys() where roles[key] == .noPod {
            out.append(nodes.get(key)!)
            if out.count == limit { break }
        }
        return out
    }

    /// Nodes whose pod is to be deleted (step 11), in node-list order.
    func nodesToDeleteOn() -> [String] {
        deleteNodes.sorted()
    }
}
