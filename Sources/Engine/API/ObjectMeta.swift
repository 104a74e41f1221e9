import Foundation

/// `metav1.OwnerReference`.
public struct OwnerReference: Codable, Hashable, Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// The API group (`apps.kruise.io` for `apps.kruise.io/v1beta1`, `""` for `v1`).
    public var group: String {
        guard let slash = apiVersion.utf8.firstIndex(of: UInt8(ascii: "/")) else { return "" }  // bytes: no grapheme breaking
        return String(apiVersion[..<slash])
    }

    /// Whether the API group is `group` (``group`` compared without building its string:
    /// controllers ask this of every pod event).
    public func isInGroup(_ group: String) -> Bool {
        KubeValidation.withBytes(apiVersion) { v in
            KubeValidation.withBytes(group) { g in
                // The group's length first, then its bytes at once (`elementsEqual` walks two
                // iterators a byte at a time).
                guard v.count > g.count, v[g.count] == UInt8(ascii: "/") else { return g.isEmpty && !v.contains(UInt8(ascii: "/")) }
                return g.isEmpty || (memcmp(v.baseAddress!, g.baseAddress!, g.count) == 0 && memchr(g.baseAddress!, 0x2F, g.count) == nil)
            }
        }
    }
}

/// `metav1.ObjectMeta`: identity, labels and lifecycle of every API object.
public struct ObjectMeta: Codable, Hashable, Sendable {
    /// Copy-on-write storage: every object, every copy of an object into a cache or a watch
    /// event, and every `metadata` read that outlives its access copies an `ObjectMeta`; with
    /// the fields behind one reference that is one reference count, not one per field.
    @usableFromInline final class Storage: @unchecked Sendable {  // mutated only when uniquely referenced
        var name: String?
        var generateName: String?
        var namespace: String?
        var uid: String?
        var resourceVersion: String?
        var generation: Int64?
        var creationTimestamp: Timestamp?
        var deletionTimestamp: Timestamp?
        var deletionGracePeriodSeconds: Int64?
        var labels: [String: String]?
        var annotations: [String: String]?
        var ownerReferences: [OwnerReference]?
        var finalizers: [String]?
        init() {}
        func copy() -> Storage {
            let c = Storage()
            c.name = name
            c.generateName = generateName
            c.namespace = namespace
            c.uid = uid
            c.resourceVersion = resourceVersion
            c.generation = generation
            c.creationTimestamp = creationTimestamp
            c.deletionTimestamp = deletionTimestamp
            c.deletionGracePeriodSeconds = deletionGracePeriodSeconds
            c.labels = labels
            c.annotations = annotations
            c.ownerReferences = ownerReferences
            c.finalizers = finalizers
            return c
        }
    }
    @usableFromInline var storage: Storage

    @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var name: String? {
        _read { yield storage.name }
        _modify { makeUnique(); yield &storage.name }
    }
    public var generateName: String? {
        _read { yield storage.generateName }
        _modify { makeUnique(); yield &storage.generateName }
    }
    public var namespace: String? {
        _read { yield storage.namespace }
        _modify { makeUnique(); yield &storage.namespace }
    }
    public var uid: String? {
        _read { yield storage.uid }
        _modify { makeUnique(); yield &storage.uid }
    }
    public var resourceVersion: String? {
        _read { yield storage.resourceVersion }
        _modify { makeUnique(); yield &storage.resourceVersion }
    }
    public var generation: Int64? {
        _read { yield storage.generation }
        _modify { makeUnique(); yield &storage.generation }
    }
    public var creationTimestamp: Timestamp? {
        _read { yield storage.creationTimestamp }
        _modify { makeUnique(); yield &storage.creationTimestamp }
    }
    public var deletionTimestamp: Timestamp? {
        _read { yield storage.deletionTimestamp }
        _modify { makeUnique(); yield &storage.deletionTimestamp }
    }
    public var deletionGracePeriodSeconds: Int64? {
        _read { yield storage.deletionGracePeriodSeconds }
        _modify { makeUnique(); yield &storage.deletionGracePeriodSeconds }
    }
    public var labels: [String: String]? {
        _read { yield storage.labels }
        _modify { makeUnique(); yield &storage.labels }
    }
    public var annotations: [String: String]? {
        _read { yield storage.annotations }
        _modify { makeUnique(); yield &storage.annotations }
    }
    public var ownerReferences: [OwnerReference]? {
        _read { yield storage.ownerReferences }
        _modify { makeUnique(); yield &storage.ownerReferences }
    }
    public var finalizers: [String]? {
        _read { yield storage.finalizers }
        _modify { makeUnique(); yield &storage.finalizers }
    }

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil) {
        storage = Storage()
        storage.name = name
        storage.namespace = namespace
        storage.labels = labels
    }

    enum CodingKeys: String, CodingKey { case name, generateName, namespace, uid, resourceVersion, generation, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, labels, annotations, ownerReferences, finalizers }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        storage = Storage()
        storage.name = try c.decodeIfPresent(String.self, forKey: .name)
        storage.generateName = try c.decodeIfPresent(String.self, forKey: .generateName)
        storage.namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        storage.uid = try c.decodeIfPresent(String.self, forKey: .uid)
        storage.resourceVersion = try c.decodeIfPresent(String.self, forKey: .resourceVersion)
        storage.generation = try c.decodeIfPresent(Int64.self, forKey: .generation)
        storage.creationTimestamp = try c.decodeIfPresent(Timestamp.self, forKey: .creationTimestamp)
        storage.deletionTimestamp = try c.decodeIfPresent(Timestamp.self, forKey: .deletionTimestamp)
        storage.deletionGracePeriodSeconds = try c.decodeIfPresent(Int64.self, forKey: .deletionGracePeriodSeconds)
        storage.labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        storage.annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        storage.ownerReferences = try c.decodeIfPresent([OwnerReference].self, forKey: .ownerReferences)
        storage.finalizers = try c.decodeIfPresent([String].self, forKey: .finalizers)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(generateName, forKey: .generateName)
        try c.encodeIfPresent(namespace, forKey: .namespace)
        try c.encodeIfPresent(uid, forKey: .uid)
        try c.encodeIfPresent(resourceVersion, forKey: .resourceVersion)
        try c.encodeIfPresent(generation, forKey: .generation)
        try c.encodeIfPresent(creationTimestamp, forKey: .creationTimestamp)
        try c.encodeIfPresent(deletionTimestamp, forKey: .deletionTimestamp)
        try c.encodeIfPresent(deletionGracePeriodSeconds, forKey: .deletionGracePeriodSeconds)
        try c.encodeIfPresent(labels, forKey: .labels)
        try c.encodeIfPresent(annotations, forKey: .annotations)
        try c.encodeIfPresent(ownerReferences, forKey: .ownerReferences)
        try c.encodeIfPresent(finalizers, forKey: .finalizers)
    }

    public static func == (a: ObjectMeta, b: ObjectMeta) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.name == y.name
            && x.generateName == y.generateName
            && x.namespace == y.namespace
            && x.uid == y.uid
            && x.resourceVersion == y.resourceVersion
            && x.generation == y.generation
            && x.creationTimestamp == y.creationTimestamp
            && x.deletionTimestamp == y.deletionTimestamp
            && x.deletionGracePeriodSeconds == y.deletionGracePeriodSeconds
            && x.labels == y.labels
            && x.annotations == y.annotations
            && x.ownerReferences == y.ownerReferences
            && x.finalizers == y.finalizers
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(generateName)
        h.combine(namespace)
        h.combine(uid)
        h.combine(resourceVersion)
        h.combine(generation)
        h.combine(creationTimestamp)
        h.combine(deletionTimestamp)
        h.combine(deletionGracePeriodSeconds)
        h.combine(labels)
        h.combine(annotations)
        h.combine(ownerReferences)
        h.combine(finalizers)
    }

    /// The name, or `""`.
    @inlinable public var nameOrEmpty: String { name ?? "" }
    /// The namespace, or `default`... for namespaced kinds; `""` for cluster-scoped ones is set by the caller.
    @inlinable public var namespaceOrEmpty: String { namespace ?? "" }

    /// The owner reference with `controller: true`, if any.
    public var controllerRef: OwnerReference? {
        ownerReferences?.first(where: { $0.controller == true })
    }

    /// ``controllerRef``'s uid, without copying the rest of the reference (read on every pod
    /// event by the informers' index and the BroadcastJob controller).
    public var controllerUID: String? {
        guard let refs = ownerReferences, let i = refs.firstIndex(where: { $0.controller == true }) else { return nil }
        return refs[i].uid
    }

    /// `body` applied to ``controllerRef`` where it is stored, without a copy of the reference
    /// and its strings (the checker reads the kind and the uid of it on every pod write); nil
    /// when there is none. Where `body` captures context it is not inlined and the reference
    /// is copied after all: there ``controllerRef`` costs no more.
    public func withControllerRef<R>(_ body: (OwnerReference) -> R?) -> R? {
        guard let refs = ownerReferences, let i = refs.firstIndex(where: { $0.controller == true }) else { return nil }
        return body(refs[i])
    }

    public var isDeleting: Bool { deletionTimestamp != nil }
}

/// `corev1.ObjectReference`, as used in events and AdvancedCronJob status.
public struct ObjectReference: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var resourceVersion: String?

    public init(apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil, resourceVersion: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// Every API object the engine models: a kind, metadata, and the part of its manifest the
/// model does not know (kept and written back unchanged).
public protocol KubeObject: Codable, Sendable {
    /// The Kubernetes kind, e.g. `BroadcastJob`.
    static var kind: String { get }
    /// The apiVersion written for new objects of this kind.
    static var defaultAPIVersion: String { get }
    /// The apiVersions that decode to this model.
    static var acceptedAPIVersions: [String] { get }
    /// Whether objects of this kind live in a namespace.
    static var namespaced: Bool { get }

    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
    /// `namespace/name`, or `name` for cluster-scoped objects (the store, cache and work-queue key).
    /// Pods and nodes keep theirs with their storage, computed when their metadata changes.
    var key: String { get }
    /// What the manifest had that the model does not decode; see ``JSONValue/residual(comparedTo:)``.
    var unknownFields: JSONValue? { get set }
}

extension KubeObject {
    public static var namespaced: Bool { true }
    public static var acceptedAPIVersions: [String] { [defaultAPIVersion] }

    public var name: String { metadata.name ?? "" }
    public var namespace: String { metadata.namespace ?? "" }
    public var uid: String { metadata.uid ?? "" }
    /// `namespace/name`, or `name` for cluster-scoped objects (the work-queue key).
    public var key: String { Self.namespaced ? "\(namespace)/\(name)" : name }

    /// Decodes a manifest, keeping what the model does not know in ``unknownFields``.
    public static func decodeManifest(_ raw: JSONValue) throws -> Self {
        var obj = try raw.decode(Self.self)
        obj.unknownFields = nil
        let known = try JSONValue(encoding: obj)
        obj.unknownFields = raw.residual(comparedTo: known)
        return obj
    }

    /// The object as a manifest value tree, unknown fields included.
    public func manifest() throws -> JSONValue {
        var copy = self
        copy.unknownFields = nil
        if copy.apiVersion == nil { copy.apiVersion = Self.defaultAPIVersion }
        if copy.kind == nil { copy.kind = Self.kind }
        let known = try JSONValue(encoding: copy)
        guard let residual = unknownFields else { return known }
        return known.merging(residual: residual)
    }

    /// ``manifest()`` as compact JSON text (`manifest().jsonText()`), written straight by
    /// ``CompactJSON`` when there are no unknown fields to merge: the same bytes, without building
    /// and re-reading a value tree.
    public func manifestJSONText() throws -> String {
        guard unknownFields == nil else { return try manifest().jsonText() }
        var copy = self
        if copy.apiVersion == nil { copy.apiVersion = Self.defaultAPIVersion }
        if copy.kind == nil { copy.kind = Self.kind }
        return try CompactJSON.text(copy)
    }

    /// A reference to this object (for events and status).
    public var objectReference: ObjectReference {
        ObjectReference(apiVersion: apiVersion ?? Self.defaultAPIVersion, kind: Self.kind, namespace: Self.namespaced ? namespace : nil,
                        name: name, uid: metadata.uid, resourceVersion: metadata.resourceVersion)
    }

    /// An owner reference pointing at this object.
    public func ownerReference(controller: Bool = true) -> OwnerReference {
        OwnerReference(apiVersion: Self.defaultAPIVersion, kind: Self.kind, name: name, uid: uid, controller: controller, blockOwnerDeletion: true)
    }
}

/// The kinds the engine knows, for dispatch on a manifest's `kind`.
public enum KnownKind: String, CaseIterable, Sendable, Hashable, Comparable {
    case node = "Node"
    case pod = "Pod"
    case job = "Job"
    case broadcastJob = "BroadcastJob"
    case advancedCronJob = "AdvancedCronJob"
    case event = "Event"

    public static func < (a: KnownKind, b: KnownKind) -> Bool { a.order < b.order }
    /// The declaration order (that of `allCases`).
    public var order: Int {
        switch self {
        case .node: 0
        case .pod: 1
        case .job: 2
        case .broadcastJob: 3
        case .advancedCronJob: 4
        case .event: 5
        }
    }
    // Equal and hashed by case: RawRepresentable's defaults would compare and hash the raw
    // string, on every store lookup and watch delivery of the API server.
    public static func == (a: KnownKind, b: KnownKind) -> Bool { a.order == b.order }
    public func hash(into h: inout Hasher) { h.combine(order) }

    /// Resolves a kind name, case-insensitively, including plurals and kubectl short names.
    public init?(lenient s: String) {
        switch s.lowercased() {
        case "node", "nodes", "no": self = .node
        case "pod", "pods", "po": self = .pod
        case "job", "jobs": self = .job
        case "broadcastjob", "broadcastjobs", "bcj": self = .broadcastJob
        case "advancedcronjob", "advancedcronjobs", "acj": self = .advancedCronJob
        case "event", "events", "ev": self = .event
        default: return nil
        }
    }

    public var namespaced: Bool { self != .node }
}
