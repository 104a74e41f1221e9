import Foundation

/// How the controller learns when each node's kubelet last renewed its lease (the node heartbeat).
public protocol NodeHeartbeats: AnyObject {
    func lastRenewTime(node: String) -> Timestamp?
    /// The nodes whose heartbeat may be older than `time`, when the source can tell without
    /// visiting every node (a lease store ordered by renew time can); nil means "ask each node".
    func nodesPossiblyNotRenewed(since time: Timestamp) -> [String]?
}

extension NodeHeartbeats {
    public func nodesPossiblyNotRenewed(since time: Timestamp) -> [String]? { nil }
}

/// kube-controller-manager's node lifecycle controller (`pkg/controller/nodelifecycle`, simplified)
/// with its NoExecute taint manager (`pkg/controller/tainteviction`).
///
/// Node health: every `monitorPeriod` the monitor checks each node (in name order). A node whose
/// last heartbeat is more than `gracePeriod` old gets its Ready condition (and the pressure
/// conditions it has) set to Unknown, reason `NodeStatusUnknown`, message "Kubelet stopped posting
/// node status.", its pods marked not ready, and a `NodeNotReady` event. The last heartbeat is the
/// latest of the lease renewal (``NodeHeartbeats``), the Ready condition's `lastHeartbeatTime`, and
/// the time this controller first saw the node (upstream starts a node's probe clock when it first
/// observes it, so a node that never heartbeats, or a controller that just restarted, gets a full
/// grace period).
///
/// Condition taints follow the Ready condition: Unknown → `node.kubernetes.io/unreachable`,
/// False → `node.kubernetes.io/not-ready`, each with effects NoSchedule and NoExecute (`timeAdded`
/// now); True (the kubelet posts it when it resumes) → neither, with a `NodeReady` event.
///
/// Taint-based eviction: a pod bound to a node with NoExecute taints is deleted at once when some
/// taint is not tolerated; when all are, at the earliest `taint.timeAdded + tolerationSeconds` of
/// the first toleration matching each taint (a toleration without `tolerationSeconds` tolerates
/// forever), with a `TaintManagerEviction` event. Terminal pods and pods being deleted are skipped.
///
/// Queue keys: `monitor`, `node/NAME`, `pod/NAMESPACE/NAME`. Wake-ups (the next monitor pass, an
/// eviction time) are added to the queue at the exact instant from inside the reconcile.
///
/// - Complexity: a monitor pass is O(n) in nodes, plus the pods of nodes whose health changes; a
///   pod key is O(taints × tolerations).
public final class NodeLifecycleController: Reconciler {
    public let name = "node-lifecycle-controller"

    public static let monitorKey = "monitor"
    public static let unreachableTaintKey = "node.kubernetes.io/unreachable"
    public static let notReadyTaintKey = "node.kubernetes.io/not-ready"
    public static let reasonNodeStatusUnknown = "NodeStatusUnknown"
    public static let messageNodeStatusUnknown = "Kubelet stopped posting node status."
    public static let reasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
    public static let messageNodeStatusNeverUpdated = "Kubelet never posted node status."
    /// Conditions set to Unknown along with Ready when the kubelet stops posting.
    static let pressureConditions = ["MemoryPressure", "DiskPressure", "PIDPressure"]

    let client: Client
    let cache: InformerCache
    let clock: Clock
    let recorder: EventRecorder
    public let queue: WorkQueue
    let heartbeats: NodeHeartbeats
    public let gracePeriod: Double
    public let monitorPeriod: Double

    /// When this controller first saw each node (the probe clock's start).
    private var firstSeen = StringTable<Timestamp>()
    /// When this controller first saw a NoExecute taint that has no `timeAdded` (node, key, value, effect).
    private var taintFirstSeen = StringTable<Timestamp>()

    public init(client: Client, cache: InformerCache, clock: Clock, recorder: EventRecorder, queue: WorkQueue,
                heartbeats: NodeHeartbeats, gracePeriod: Double = 40, monitorPeriod: Double = 5) {
        self.client = client
        self.cache = cache
        self.clock = clock
        self.recorder = recorder
        self.queue = queue
        self.heartbeats = heartbeats
        self.gracePeriod = gracePeriod
        self.monitorPeriod = monitorPeriod
        registerHandlers()
        queue.add(Self.monitorKey)
    }

    // MARK: - Event handlers

    private func registerHandlers() {
        cache.nodes.addHandler { [unowned self] type, old, node in
            switch type {
            case .added:
                if firstSeen[node.name] == nil { firstSeen[node.name] = clock.now }
                noteAttention(node)
                queue.add(Self.nodeKey(node.name))
            case .modified:
                if firstSeen[node.name] == nil { firstSeen[node.name] = clock.now }
                noteAttention(node)
                guard let old else { queue.add(Self.nodeKey(node.name)); return }
                if old.condition("Ready")?.status != node.condition("Ready")?.status || old.taints != node.taints {
                    queue.add(Self.nodeKey(node.name))
                }
            case .deleted:
                firstSeen[node.name] = nil
                attention.remove(node.name)
                let prefix = node.name + "\u{0}"
                for k in taintFirstSeen.keys.filter({ $0.hasPrefix(prefix) }) { taintFirstSeen[k] = nil }
            }
        }
        cache.pods.addHandler { [unowned self] type, _, pod in
            guard type != .deleted, pod.isActive, let n = pod.spec.nodeName, !n.isEmpty,
                  let node = cache.nodes.get(n), node.taints.contains(where: { $0.effect == Taint.noExecute })
            else { return }
            queue.add(Self.podKey(pod))
        }
    }

    /// Nodes the monitor must look at on every pass whatever their heartbeat says: not Ready,
    /// carrying a condition taint, or with no heartbeat source to ask.
    private var attention = StringSet()

    private func noteAttention(_ node: Node) {
        let settled = node.condition("Ready")?.status == "True"
            && !(node.spec?.taints ?? []).contains { $0.key == Self.unreachableTaintKey || $0.key == Self.notReadyTaintKey }
            && heartbeats.lastRenewTime(node: node.name) != nil
        if settled { attention.remove(node.name) } else { attention.insert(node.name) }
    }

    static func nodeKey(_ name: String) -> String { "node/\(name)" }
    static func podKey(_ pod: Pod) -> String { "pod/\(pod.namespace)/\(pod.name)" }

    // MARK: - Reconcile

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        if key == Self.monitorKey { return await monitor() }
        if key.hasPrefix("node/") { return try await reconcileNode(String(key.dropFirst(5))) }
        if key.hasPrefix("pod/") { return try await reconcilePod(String(key.dropFirst(4))) }
        return .done
    }

    /// `monitorNodeHealth`: every node, in name order; a node whose update fails is retried on its
    /// own key with back-off, and the pass comes back after `monitorPeriod`.
    private func monitor() async -> ReconcileResult {
        let now = clock.now
        // Every node, as upstream; or, when the heartbeat source can say which heartbeats may be
        // stale, those plus the nodes needing attention (the others would be skipped below anyway).
        var keys = cache.nodes.sortedKeys()
        if let stale = heartbeats.nodesPossiblyNotRenewed(since: now.adding(seconds: -gracePeriod)) {
            keys = Set(attention).union(stale).sorted()
        }
        for key in keys {
            guard let node = cache.nodes.get(key) else { continue }
            // A node with a fresh heartbeat, Ready, and no condition taints needs nothing: the
            // check is read-only, so a healthy cluster costs no copies or writes.
            if isSettledHealthy(node, now: now) { continue }
            do {
                _ = try await syncNode(node)
            } catch {
                queue.addRateLimited(Self.nodeKey(node.name))
            }
        }
        queue.add(Self.monitorKey, after: monitorPeriod)
        return ReconcileResult(requeueAfter: monitorPeriod)
    }

    /// Ready, heard from within the grace period, and carrying no not-ready/unreachable taint:
    /// `syncNode` would change nothing.
    func isSettledHealthy(_ node: Node, now: Timestamp) -> Bool {
        guard node.condition("Ready")?.status == "True", now.seconds(since: lastHeartbeat(node)) <= gracePeriod else { return false }
        return !(node.spec?.taints ?? []).contains { $0.key == Self.unreachableTaintKey || $0.key == Self.notReadyTaintKey }
    }

    /// One node: health, condition taints, then its pods when it has NoExecute taints.
    private func reconcileNode(_ name: String) async throws -> ReconcileResult {
        guard let cached = cache.nodes.get(name) else { return .done }
        // A settled healthy node (the usual one: every node at start, every status heartbeat) is
        // one `syncNode` would leave as it is: the read-only check spares its two update attempts.
        let node = isSettledHealthy(cached, now: clock.now) ? cached : try await syncNode(cached)
        if node.taints.contains(where: { $0.effect == Taint.noExecute }) {
            for pod in cache.pods.list(index: InformerCache.byNode, value: name) where pod.isActive {
                queue.add(Self.podKey(pod))
            }
        }
        return .done
    }

    // MARK: - Node health

    /// The node's last sign of life: lease renewal, the Ready heartbeat, or first sight.
    func lastHeartbeat(_ node: Node) -> Timestamp {
        let seen: Timestamp
        if let s = firstSeen[node.name] {
            seen = s
        } else {
            seen = clock.now
            firstSeen[node.name] = seen
        }
        var last = seen
        if let renew = heartbeats.lastRenewTime(node: node.name), renew > last { last = renew }
        if let hb = node.condition("Ready")?.lastHeartbeatTime, hb > last { last = hb }
        return last
    }

    /// Marks the node Unknown when its heartbeat is older than the grace period, then makes its
    /// condition taints match its Ready condition. Returns the node as last written (or cached).
    @discardableResult
    private func syncNode(_ cached: Node) async throws -> Node {
        let now = clock.now
        var node = cached
        let wasReady = cached.condition("Ready")?.status == "True"
        var markedUnknown = false
        if let written = try await updateNode(cached, status: true, { n in
            guard now.seconds(since: self.lastHeartbeat(n)) > self.gracePeriod, n.condition("Ready")?.status != "Unknown" else { return false }
            Self.markUnknown(&n, now: now)
            return true
        }) {
            node = written
            markedUnknown = true
        }
        if markedUnknown && wasReady {
            recorder.normal(node, "NodeNotReady", "Node \(node.name) status is now: NodeNotReady")
            await markPodsNotReady(node.name, now: now)
        }
        var removedOnReady = false
        if let written = try await updateNode(node, status: false, { n in
            let before = n.taints
            Self.applyConditionTaints(&n, now: now)
            guard n.taints != before else { return false }
            removedOnReady = n.condition("Ready")?.status == "True"
            return true
        }) {
            node = written
            if removedOnReady {
                recorder.normal(node, "NodeReady", "Node \(node.name) status is now: NodeReady")
            }
        }
        return node
    }

    /// Ready (and each pressure condition present) to Unknown; the heartbeat time is kept.
    static func markUnknown(_ n: inout Node, now: Timestamp) {
        var status = n.status ?? NodeStatus()
        var conditions = status.conditions ?? []
        if let i = conditions.firstIndex(where: { $0.type == "Ready" }) {
            conditions[i].status = "Unknown"
            conditions[i].reason = reasonNodeStatusUnknown
            conditions[i].message = messageNodeStatusUnknown
            conditions[i].lastTransitionTime = now
        } else {
            var c = Condition(type: "Ready", status: "Unknown", lastTransitionTime: now, reason: reasonNodeStatusNeverUpdated,
                              message: messageNodeStatusNeverUpdated)
            c.lastHeartbeatTime = n.metadata.creationTimestamp
            conditions.append(c)
        }
        for i in conditions.indices where pressureConditions.contains(conditions[i].type) && conditions[i].status != "Unknown" {
            conditions[i].status = "Unknown"
            conditions[i].reason = reasonNodeStatusUnknown
            conditions[i].message = messageNodeStatusUnknown
            conditions[i].lastTransitionTime = now
        }
        status.conditions = conditions
        n.status = status
    }

    /// The condition taints the Ready condition calls for: unreachable (Unknown) or not-ready
    /// (False), NoSchedule and NoExecute; none when True or absent. Taints already right keep their
    /// `timeAdded`; other taints are untouched.
    static func applyConditionTaints(_ n: inout Node, now: Timestamp) {
        let wanted: String?
        switch n.condition("Ready")?.status {
        case "Unknown": wanted = unreachableTaintKey
        case "False": wanted = notReadyTaintKey
        default: wanted = nil
        }
        let managed = [unreachableTaintKey, notReadyTaintKey]
        let effects = [Taint.noSchedule, Taint.noExecute]
        var taints = n.taints.filter { t in
            !(managed.contains(t.key) && effects.contains(t.effect)) || t.key == wanted
        }
        if let wanted {
            for effect in effects where !taints.contains(where: { $0.key == wanted && $0.effect == effect }) {
                taints.append(Taint(key: wanted, effect: effect, timeAdded: now))
            }
        }
        guard taints != n.taints else { return }
        var spec = n.spec ?? NodeSpec()
        spec.taints = taints.isEmpty ? nil : taints
        n.spec = spec
    }

    /// Applies `change` to the node and writes it (status or spec), re-reading and re-applying on
    /// a conflict up to 5 tries. `change` returns false when nothing needs writing; the result is
    /// then nil.
    private func updateNode(_ cached: Node, status: Bool, _ change: (inout Node) -> Bool) async throws -> Node? {
        try await client.retryOnConflict(cached) { base, _ async throws(APIError) in
            var n = base
            guard change(&n) else { return .skip }
            return .written(status ? try await client.updateStatus(n) : try await client.update(n))
        }
    }

    /// `MarkPodsNotReady`: the Ready condition of the node's pods goes False. Failures are left to
    /// the kubelet, which rewrites pod status when it comes back.
    private func markPodsNotReady(_ nodeName: String, now: Timestamp) async {
        for pod in cache.pods.list(index: InformerCache.byNode, value: nodeName) where !pod.isTerminal {
            guard var conditions = pod.status?.conditions, let i = conditions.firstIndex(where: { $0.type == "Ready" }),
                  conditions[i].status != "False" else { continue }
            conditions[i].status = "False"
            conditions[i].lastTransitionTime = now
            var p = pod
            p.status!.conditions = conditions
            do {
                _ = try await client.updateStatus(p)
                recorder.warning(pod, "NodeNotReady", "Node is not ready")
            } catch {
                continue
            }
        }
    }

    // MARK: - Taint-based eviction

    /// The NoExecute taint manager for one pod: delete now, at the toleration's end, or never.
    private func reconcilePod(_ podKey: String) async throws -> ReconcileResult {
        let now = clock.now
        guard let pod = cache.pods.get(podKey), pod.isActive, let nodeName = pod.spec.nodeName, !nodeName.isEmpty,
              let node = cache.nodes.get(nodeName) else { return .done }
        guard let evictAt = evictionTime(pod: pod, node: node, now: now) else { return .done }
        if now < evictAt {
            let delay = evictAt.seconds(since: now)
            queue.add("pod/\(podKey)", after: delay)
            return ReconcileResult(requeueAfter: delay)
        }
        do {
            try await client.delete(Pod.self, namespace: pod.namespace, name: pod.name, uid: pod.uid)
        } catch {
            if error.isNotFound { return .done }
            throw error
        }
        recorder.normal(pod, "TaintManagerEviction", "Marking for deletion Pod \(pod.namespace)/\(pod.name)")
        return .done
    }

    /// When the pod must go because of the node's NoExecute taints: now if one is not tolerated,
    /// else the earliest `timeAdded + tolerationSeconds` over the taints (the first matching
    /// toleration of each); nil when there are none or every bounded toleration is forever.
    func evictionTime(pod: Pod, node: Node, now: Timestamp) -> Timestamp? {
        let taints = node.taints.filter { $0.effect == Taint.noExecute }
        guard !taints.isEmpty else { return nil }
        let tolerations = pod.spec.tolerations ?? []
        var earliest: Timestamp?
        for taint in taints {
            guard let toleration = tolerations.first(where: { $0.tolerates(taint) }) else { return now }
            guard let seconds = toleration.tolerationSeconds else { continue }
            if seconds <= 0 { return now }
            let added = taint.timeAdded ?? firstSeen(taint, on: node.name, now: now)
            let at = added.adding(seconds: Double(seconds))
            if earliest == nil || at < earliest! { earliest = at }
        }
        return earliest
    }

    private func firstSeen(_ taint: Taint, on node: String, now: Timestamp) -> Timestamp {
        let k = [node, taint.key, taint.value ?? "", taint.effect].joined(separator: "\u{0}")
        if let t = taintFirstSeen[k] { return t }
        taintFirstSeen[k] = now
        return now
    }
}
