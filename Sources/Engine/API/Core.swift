import Foundation

/// `corev1.Taint`.
public struct Taint: Codable, Hashable, Sendable {
    public var key: String
    public var value: String?
    public var effect: String
    public var timeAdded: Timestamp?
    public init(key: String, value: String? = nil, effect: String, timeAdded: Timestamp? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
    public static let noSchedule = "NoSchedule"
    public static let noExecute = "NoExecute"
    public static let preferNoSchedule = "PreferNoSchedule"
}

/// `corev1.Toleration`.
public struct Toleration: Codable, Hashable, Sendable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?
    public init(key: String? = nil, operator op: String? = nil, value: String? = nil, effect: String? = nil, tolerationSeconds: Int64? = nil) {
        self.key = key
        self.operator = op
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// `v1helper.TolerationsTolerateTaint` for one toleration.
    public func tolerates(_ taint: Taint) -> Bool {
        if let e = effect, !e.isEmpty, e != taint.effect { return false }
        if let k = key, !k.isEmpty, k != taint.key { return false }
        switch self.operator ?? "" {
        case "Exists": return true
        case "", "Equal": return (value ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}

/// `corev1.NodeSelectorRequirement`.
public struct NodeSelectorRequirement: Codable, Hashable, Sendable {
    public var key: String
    public var `operator`: String
    public var values: [String]?
    public init(key: String, operator op: String, values: [String]? = nil) {
        self.key = key
        self.operator = op
        self.values = values
    }
}

/// `corev1.NodeSelectorTerm`.
public struct NodeSelectorTerm: Codable, Hashable, Sendable {
    public var matchExpressions: [NodeSelectorRequirement]?
    public var matchFields: [NodeSelectorRequirement]?
    public init(matchExpressions: [NodeSelectorRequirement]? = nil, matchFields: [NodeSelectorRequirement]? = nil) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }
}

public struct NodeSelector: Codable, Hashable, Sendable {
    public var nodeSelectorTerms: [NodeSelectorTerm]
    public init(nodeSelectorTerms: [NodeSelectorTerm]) { self.nodeSelectorTerms = nodeSelectorTerms }
}

public struct PreferredSchedulingTerm: Codable, Hashable, Sendable {
    public var weight: Int32
    public var preference: NodeSelectorTerm
}

public struct NodeAffinity: Codable, Hashable, Sendable {
    public var requiredDuringSchedulingIgnoredDuringExecution: NodeSelector?
    public var preferredDuringSchedulingIgnoredDuringExecution: [PreferredSchedulingTerm]?
    public init(required: NodeSelector? = nil) { self.requiredDuringSchedulingIgnoredDuringExecution = required }
}

/// `corev1.Affinity`; pod (anti-)affinity is kept as written (not evaluated).
public struct Affinity: Codable, Hashable, Sendable {
    public var nodeAffinity: NodeAffinity?
    public var podAffinity: JSONValue?
    public var podAntiAffinity: JSONValue?
    public init(nodeAffinity: NodeAffinity? = nil) { self.nodeAffinity = nodeAffinity }
}

public struct EnvVar: Codable, Hashable, Sendable {
    public var name: String
    public var value: String?
    public var valueFrom: JSONValue?
    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

public struct VolumeMount: Codable, Hashable, Sendable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
    public var subPath: String?
}

public struct ResourceRequirements: Codable, Hashable, Sendable {
    public var requests: ResourceList?
    public var limits: ResourceList?
    public init(requests: ResourceList? = nil, limits: ResourceList? = nil) {
        self.requests = requests
        self.limits = limits
    }
}

/// `corev1.Container` (the fields the engine reads; others are kept through unknown fields).
public struct Container: Codable, Hashable, Sendable {
    public var name: String
    public var image: String?
    public var imagePullPolicy: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMount]?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var restartPolicy: String?  // sidecar init containers
    public init(name: String, image: String? = nil, imagePullPolicy: String? = nil) {
        self.name = name
        self.image = image
        self.imagePullPolicy = imagePullPolicy
    }
}

public struct Volume: Codable, Hashable, Sendable {
    public var name: String
    public var hostPath: HostPathVolumeSource?
    public var emptyDir: JSONValue?
    public var configMap: JSONValue?
    public var secret: JSONValue?
    public struct HostPathVolumeSource: Codable, Hashable, Sendable {
        public var path: String
        public var type: String?
    }
}

/// `corev1.PodSpec`.
public struct PodSpec: Codable, Hashable, Sendable {
    /// Copy-on-write storage: a pod's status write copies the pod, and with it its spec; with the
    /// fields behind one reference that copy is one reference count, not one per field.
    @usableFromInline final class Storage: @unchecked Sendable {  // mutated only when uniquely referenced
        var containers: [Container] = []
        var initContainers: [Container]?
        var volumes: [Volume]?
        var restartPolicy: String?
        var terminationGracePeriodSeconds: Int64?
        var activeDeadlineSeconds: Int64?
        var dnsPolicy: String?
        var nodeSelector: [String: String]?
        var serviceAccountName: String?
        var nodeName: String?
        var hostNetwork: Bool?
        var hostPID: Bool?
        var securityContext: JSONValue?
        var affinity: Affinity?
        var schedulerName: String?
        var tolerations: [Toleration]?
        var priorityClassName: String?
        var priority: Int32?
        var overhead: ResourceList?
        init() {}
        func copy() -> Storage {
            let c = Storage()
            c.containers = containers
            c.initContainers = initContainers
            c.volumes = volumes
            c.restartPolicy = restartPolicy
            c.terminationGracePeriodSeconds = terminationGracePeriodSeconds
            c.activeDeadlineSeconds = activeDeadlineSeconds
            c.dnsPolicy = dnsPolicy
            c.nodeSelector = nodeSelector
            c.serviceAccountName = serviceAccountName
            c.nodeName = nodeName
            c.hostNetwork = hostNetwork
            c.hostPID = hostPID
            c.securityContext = securityContext
            c.affinity = affinity
            c.schedulerName = schedulerName
            c.tolerations = tolerations
            c.priorityClassName = priorityClassName
            c.priority = priority
            c.overhead = overhead
            return c
        }
    }
    @usableFromInline var storage: Storage

    @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var containers: [Container] {
        _read { yield storage.containers }
        _modify { makeUnique(); yield &storage.containers }
    }
    public var initContainers: [Container]? {
        _read { yield storage.initContainers }
        _modify { makeUnique(); yield &storage.initContainers }
    }
    public var volumes: [Volume]? {
        _read { yield storage.volumes }
        _modify { makeUnique(); yield &storage.volumes }
    }
    public var restartPolicy: String? {
        _read { yield storage.restartPolicy }
        _modify { makeUnique(); yield &storage.restartPolicy }
    }
    public var terminationGracePeriodSeconds: Int64? {
        _read { yield storage.terminationGracePeriodSeconds }
        _modify { makeUnique(); yield &storage.terminationGracePeriodSeconds }
    }
    public var activeDeadlineSeconds: Int64? {
        _read { yield storage.activeDeadlineSeconds }
        _modify { makeUnique(); yield &storage.activeDeadlineSeconds }
    }
    public var dnsPolicy: String? {
        _read { yield storage.dnsPolicy }
        _modify { makeUnique(); yield &storage.dnsPolicy }
    }
    public var nodeSelector: [String: String]? {
        _read { yield storage.nodeSelector }
        _modify { makeUnique(); yield &storage.nodeSelector }
    }
    public var serviceAccountName: String? {
        _read { yield storage.serviceAccountName }
        _modify { makeUnique(); yield &storage.serviceAccountName }
    }
    public var nodeName: String? {
        _read { yield storage.nodeName }
        _modify { makeUnique(); yield &storage.nodeName }
    }
    public var hostNetwork: Bool? {
        _read { yield storage.hostNetwork }
        _modify { makeUnique(); yield &storage.hostNetwork }
    }
    public var hostPID: Bool? {
        _read { yield storage.hostPID }
        _modify { makeUnique(); yield &storage.hostPID }
    }
    public var securityContext: JSONValue? {
        _read { yield storage.securityContext }
        _modify { makeUnique(); yield &storage.securityContext }
    }
    public var affinity: Affinity? {
        _read { yield storage.affinity }
        _modify { makeUnique(); yield &storage.affinity }
    }
    public var schedulerName: String? {
        _read { yield storage.schedulerName }
        _modify { makeUnique(); yield &storage.schedulerName }
    }
    public var tolerations: [Toleration]? {
        _read { yield storage.tolerations }
        _modify { makeUnique(); yield &storage.tolerations }
    }
    public var priorityClassName: String? {
        _read { yield storage.priorityClassName }
        _modify { makeUnique(); yield &storage.priorityClassName }
    }
    public var priority: Int32? {
        _read { yield storage.priority }
        _modify { makeUnique(); yield &storage.priority }
    }
    public var overhead: ResourceList? {
        _read { yield storage.overhead }
        _modify { makeUnique(); yield &storage.overhead }
    }

    public init(containers: [Container] = [], restartPolicy: String? = nil) {
        storage = Storage()
        storage.containers = containers
        storage.restartPolicy = restartPolicy
    }

    enum CodingKeys: String, CodingKey { case containers, initContainers, volumes, restartPolicy, terminationGracePeriodSeconds, activeDeadlineSeconds, dnsPolicy, nodeSelector, serviceAccountName, nodeName, hostNetwork, hostPID, securityContext, affinity, schedulerName, tolerations, priorityClassName, priority, overhead }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        storage = Storage()
        storage.containers = try c.decodeIfPresent([Container].self, forKey: .containers) ?? []
        storage.initContainers = try c.decodeIfPresent([Container].self, forKey: .initContainers)
        storage.volumes = try c.decodeIfPresent([Volume].self, forKey: .volumes)
        storage.restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy)
        storage.terminationGracePeriodSeconds = try c.decodeIfPresent(Int64.self, forKey: .terminationGracePeriodSeconds)
        storage.activeDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .activeDeadlineSeconds)
        storage.dnsPolicy = try c.decodeIfPresent(String.self, forKey: .dnsPolicy)
        storage.nodeSelector = try c.decodeIfPresent([String: String].self, forKey: .nodeSelector)
        storage.serviceAccountName = try c.decodeIfPresent(String.self, forKey: .serviceAccountName)
        storage.nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        storage.hostNetwork = try c.decodeIfPresent(Bool.self, forKey: .hostNetwork)
        storage.hostPID = try c.decodeIfPresent(Bool.self, forKey: .hostPID)
        storage.securityContext = try c.decodeIfPresent(JSONValue.self, forKey: .securityContext)
        storage.affinity = try c.decodeIfPresent(Affinity.self, forKey: .affinity)
        storage.schedulerName = try c.decodeIfPresent(String.self, forKey: .schedulerName)
        storage.tolerations = try c.decodeIfPresent([Toleration].self, forKey: .tolerations)
        storage.priorityClassName = try c.decodeIfPresent(String.self, forKey: .priorityClassName)
        storage.priority = try c.decodeIfPresent(Int32.self, forKey: .priority)
        storage.overhead = try c.decodeIfPresent(ResourceList.self, forKey: .overhead)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(containers, forKey: .containers)
        try c.encodeIfPresent(initContainers, forKey: .initContainers)
        try c.encodeIfPresent(volumes, forKey: .volumes)
        try c.encodeIfPresent(restartPolicy, forKey: .restartPolicy)
        try c.encodeIfPresent(terminationGracePeriodSeconds, forKey: .terminationGracePeriodSeconds)
        try c.encodeIfPresent(activeDeadlineSeconds, forKey: .activeDeadlineSeconds)
        try c.encodeIfPresent(dnsPolicy, forKey: .dnsPolicy)
        try c.encodeIfPresent(nodeSelector, forKey: .nodeSelector)
        try c.encodeIfPresent(serviceAccountName, forKey: .serviceAccountName)
        try c.encodeIfPresent(nodeName, forKey: .nodeName)
        try c.encodeIfPresent(hostNetwork, forKey: .hostNetwork)
        try c.encodeIfPresent(hostPID, forKey: .hostPID)
        try c.encodeIfPresent(securityContext, forKey: .securityContext)
        try c.encodeIfPresent(affinity, forKey: .affinity)
        try c.encodeIfPresent(schedulerName, forKey: .schedulerName)
        try c.encodeIfPresent(tolerations, forKey: .tolerations)
        try c.encodeIfPresent(priorityClassName, forKey: .priorityClassName)
        try c.encodeIfPresent(priority, forKey: .priority)
        try c.encodeIfPresent(overhead, forKey: .overhead)
    }

    public static func == (a: PodSpec, b: PodSpec) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.containers == y.containers
            && x.initContainers == y.initContainers
            && x.volumes == y.volumes
            && x.restartPolicy == y.restartPolicy
            && x.terminationGracePeriodSeconds == y.terminationGracePeriodSeconds
            && x.activeDeadlineSeconds == y.activeDeadlineSeconds
            && x.dnsPolicy == y.dnsPolicy
            && x.nodeSelector == y.nodeSelector
            && x.serviceAccountName == y.serviceAccountName
            && x.nodeName == y.nodeName
            && x.hostNetwork == y.hostNetwork
            && x.hostPID == y.hostPID
            && x.securityContext == y.securityContext
            && x.affinity == y.affinity
            && x.schedulerName == y.schedulerName
            && x.tolerations == y.tolerations
            && x.priorityClassName == y.priorityClassName
            && x.priority == y.priority
            && x.overhead == y.overhead
    }

    public func hash(into h: inout Hasher) {
        h.combine(containers)
        h.combine(initContainers)
        h.combine(volumes)
        h.combine(restartPolicy)
        h.combine(terminationGracePeriodSeconds)
        h.combine(activeDeadlineSeconds)
        h.combine(dnsPolicy)
        h.combine(nodeSelector)
        h.combine(serviceAccountName)
        h.combine(nodeName)
        h.combine(hostNetwork)
        h.combine(hostPID)
        h.combine(securityContext)
        h.combine(affinity)
        h.combine(schedulerName)
        h.combine(tolerations)
        h.combine(priorityClassName)
        h.combine(priority)
        h.combine(overhead)
    }
}

public struct PodTemplateSpec: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec
    public init(metadata: ObjectMeta? = nil, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata)
        spec = try c.decodeIfPresent(PodSpec.self, forKey: .spec) ?? PodSpec()
    }
}

public struct ContainerState: Codable, Hashable, Sendable {
    public struct Waiting: Codable, Hashable, Sendable {
        public var reason: String?
        public var message: String?
        public init(reason: String? = nil, message: String? = nil) {
            self.reason = reason
            self.message = message
        }
    }
    public struct Running: Codable, Hashable, Sendable {
        public var startedAt: Timestamp?
        public init(startedAt: Timestamp? = nil) { self.startedAt = startedAt }
    }
    public struct Terminated: Codable, Hashable, Sendable {
        public var exitCode: Int32
        public var reason: String?
        public var message: String?
        public var startedAt: Timestamp?
        public var finishedAt: Timestamp?
        public init(exitCode: Int32, reason: String? = nil, startedAt: Timestamp? = nil, finishedAt: Timestamp? = nil) {
            self.exitCode = exitCode
            self.reason = reason
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }
    public var waiting: Waiting?
    public var running: Running?
    public var terminated: Terminated?
    public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

public struct ContainerStatus: Codable, Hashable, Sendable {
    public var name: String
    public var image: String?
    public var ready: Bool?
    public var started: Bool?
    public var restartCount: Int32
    public var state: ContainerState?
    public var lastState: ContainerState?
    public init(name: String, image: String? = nil, restartCount: Int32 = 0, state: ContainerState? = nil) {
        self.name = name
        self.image = image
        self.restartCount = restartCount
        self.state = state
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        image = try c.decodeIfPresent(String.self, forKey: .image)
        ready = try c.decodeIfPresent(Bool.self, forKey: .ready)
        started = try c.decodeIfPresent(Bool.self, forKey: .started)
        restartCount = try c.decodeIfPresent(Int32.self, forKey: .restartCount) ?? 0
        state = try c.decodeIfPresent(ContainerState.self, forKey: .state)
        lastState = try c.decodeIfPresent(ContainerState.self, forKey: .lastState)
    }
}

/// A status condition of a pod or node.
public struct Condition: Codable, Hashable, Sendable {
    public var type: String
    public var status: String
    public var lastHeartbeatTime: Timestamp?
    public var lastProbeTime: Timestamp?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?
    public init(type: String, status: String, lastTransitionTime: Timestamp? = nil, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

public enum PodPhase {
    public static let pending = "Pending"
    public static let running = "Running"
    public static let succeeded = "Succeeded"
    public static let failed = "Failed"
    public static let unknown = "Unknown"
}

public struct PodStatus: Codable, Hashable, Sendable {
    public var phase: String?
    public var conditions: [Condition]?
    public var message: String?
    public var reason: String?
    public var hostIP: String?
    public var startTime: Timestamp?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    public init(phase: String? = nil) { self.phase = phase }
}

/// `corev1.Pod`.
public struct Pod: KubeObject, Hashable {
    public static let kind = "Pod"
    public static let defaultAPIVersion = "v1"

    /// Copy-on-write storage: copying a Pod (into a cache, a list, an event) costs one
    /// reference count, not one per field; a write copies only when the storage is shared.
    @usableFromInline typealias Storage = ObjectStorage<Pod, PodSpec, PodStatus?>
    @usableFromInline var storage: Storage

    @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var apiVersion: String? {
        _read { yield storage.apiVersion }
        _modify { makeUnique(); yield &storage.apiVersion }
    }
    public var kind: String? {
        _read { yield storage.kind }
        _modify { makeUnique(); yield &storage.kind }
    }
    public var metadata: ObjectMeta {
        _read { yield storage.metadata }
        _modify {
            makeUnique()
            defer { storage.refreshKey() }
            yield &storage.metadata
        }
    }
    public var key: String { storage.key }
    public var spec: PodSpec {
        _read { yield storage.spec }
        _modify { makeUnique(); yield &storage.spec }
    }
    public var status: PodStatus? {
        _read { yield storage.status }
        set { Storage.set(status: newValue, in: &storage) }
        _modify { makeUnique(); yield &storage.status }
    }
    public var unknownFields: JSONValue? {
        _read { yield storage.unknownFields }
        _modify { makeUnique(); yield &storage.unknownFields }
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status, unknownFields }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        let kind = try c.decodeIfPresent(String.self, forKey: .kind)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        let spec = try c.decode(PodSpec.self, forKey: .spec)
        let status = try c.decodeIfPresent(PodStatus.self, forKey: .status)
        let unknownFields = try c.decodeIfPresent(JSONValue.self, forKey: .unknownFields)
        storage = Storage(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(apiVersion, forKey: .apiVersion)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(spec, forKey: .spec)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(unknownFields, forKey: .unknownFields)
    }

    public static func == (a: Pod, b: Pod) -> Bool {
        a.storage === b.storage || (a.apiVersion == b.apiVersion && a.kind == b.kind && a.metadata == b.metadata && a.spec == b.spec && a.status == b.status && a.unknownFields == b.unknownFields)
    }

    public func hash(into h: inout Hasher) {
        h.combine(apiVersion)
        h.combine(kind)
        h.combine(metadata)
        h.combine(spec)
        h.combine(status)
        h.combine(unknownFields)
    }

    public init(metadata: ObjectMeta, spec: PodSpec, status: PodStatus? = nil) {
        storage = Storage(apiVersion: Self.defaultAPIVersion, kind: Self.kind, metadata: metadata, spec: spec, status: status, unknownFields: nil)
    }


    public var phase: String { status?.phase ?? PodPhase.pending }
    /// Succeeded or Failed.
    public var isTerminal: Bool { let p = phase; return p == PodPhase.succeeded || p == PodPhase.failed }
    /// `IsPodActive`: not terminal and not being deleted.
    public var isActive: Bool { !isTerminal && metadata.deletionTimestamp == nil }
    /// Sum of restartCount over init and regular container statuses.
    public var totalRestarts: Int {
        var n = 0
        for s in status?.initContainerStatuses ?? [] { n += Int(s.restartCount) }
        for s in status?.containerStatuses ?? [] { n += Int(s.restartCount) }
        return n
    }
}

public struct NodeSpec: Codable, Hashable, Sendable {
    public var unschedulable: Bool?
    public var taints: [Taint]?
    public var podCIDR: String?
    public var providerID: String?
    public init(unschedulable: Bool? = nil, taints: [Taint]? = nil) {
        self.unschedulable = unschedulable
        self.taints = taints
    }
}

public struct ContainerImage: Codable, Hashable, Sendable {
    public var names: [String]?
    public var sizeBytes: Int64?
    public init(names: [String], sizeBytes: Int64) {
        self.names = names
        self.sizeBytes = sizeBytes
    }
}

public struct NodeStatus: Codable, Hashable, Sendable {
    public var capacity: ResourceList?
    public var allocatable: ResourceList?
    public var conditions: [Condition]?
    public var images: [ContainerImage]?
    public var phase: String?
    public init(capacity: ResourceList? = nil, allocatable: ResourceList? = nil, conditions: [Condition]? = nil) {
        self.capacity = capacity
        self.allocatable = allocatable
        self.conditions = conditions
    }
}

/// `corev1.Node` (cluster-scoped).
public struct Node: KubeObject, Hashable {
    public static let kind = "Node"
    public static let defaultAPIVersion = "v1"
    public static var namespaced: Bool { false }
    /// Copy-on-write storage: copying a Node (into a cache, a list, an event) costs one
    /// reference count, not one per field; a write copies only when the storage is shared.
    @usableFromInline typealias Storage = ObjectStorage<Node, NodeSpec?, NodeStatus?>
    @usableFromInline var storage: Storage

    @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var apiVersion: String? {
        _read { yield storage.apiVersion }
        _modify { makeUnique(); yield &storage.apiVersion }
    }
    public var kind: String? {
        _read { yield storage.kind }
        _modify { makeUnique(); yield &storage.kind }
    }
    public var metadata: ObjectMeta {
        _read { yield storage.metadata }
        _modify {
            makeUnique()
            defer { storage.refreshKey() }
            yield &storage.metadata
        }
    }
    public var key: String { storage.key }
    public var spec: NodeSpec? {
        _read { yield storage.spec }
        _modify { makeUnique(); yield &storage.spec }
    }
    public var status: NodeStatus? {
        _read { yield storage.status }
        set { Storage.set(status: newValue, in: &storage) }
        _modify { makeUnique(); yield &storage.status }
    }
    public var unknownFields: JSONValue? {
        _read { yield storage.unknownFields }
        _modify { makeUnique(); yield &storage.unknownFields }
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status, unknownFields }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        let kind = try c.decodeIfPresent(String.self, forKey: .kind)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        let spec = try c.decodeIfPresent(NodeSpec.self, forKey: .spec)
        let status = try c.decodeIfPresent(NodeStatus.self, forKey: .status)
        let unknownFields = try c.decodeIfPresent(JSONValue.self, forKey: .unknownFields)
        storage = Storage(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(apiVersion, forKey: .apiVersion)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encode(metadata, forKey: .metadata)
        try c.encodeIfPresent(spec, forKey: .spec)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(unknownFields, forKey: .unknownFields)
    }

    public static func == (a: Node, b: Node) -> Bool {
        a.storage === b.storage || (a.apiVersion == b.apiVersion && a.kind == b.kind && a.metadata == b.metadata && a.spec == b.spec && a.status == b.status && a.unknownFields == b.unknownFields)
    }

    public func hash(into h: inout Hasher) {
        h.combine(apiVersion)
        h.combine(kind)
        h.combine(metadata)
        h.combine(spec)
        h.combine(status)
        h.combine(unknownFields)
    }

    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        storage = Storage(apiVersion: Self.defaultAPIVersion, kind: Self.kind, metadata: metadata, spec: spec, status: status, unknownFields: nil)
    }


    public var taints: [Taint] { spec?.taints ?? [] }
    public var unschedulable: Bool { spec?.unschedulable ?? false }
    public var labels: [String: String] { metadata.labels ?? [:] }
    public func condition(_ type: String) -> Condition? { status?.conditions?.first(where: { $0.type == type }) }
}

/// `corev1.Event` (no aggregation: every record is its own event).
public struct Event: KubeObject, Hashable {
    public static let kind = "Event"
    public static let defaultAPIVersion = "v1"
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String
    public var message: String
    public var type: String
    public var source: Source?
    public var firstTimestamp: Timestamp?
    public var lastTimestamp: Timestamp?
    public var count: Int32?
    public var unknownFields: JSONValue?
    public struct Source: Codable, Hashable, Sendable {
        public var component: String?
    }
    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String, message: String, type: String, component: String, time: Timestamp) {
        self.apiVersion = Self.defaultAPIVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = Source(component: component)
        self.firstTimestamp = time
        self.lastTimestamp = time
        self.count = 1
    }
}
