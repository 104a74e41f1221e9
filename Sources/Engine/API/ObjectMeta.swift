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
}

/// `metav1.ObjectMeta`: identity, labels and lifecycle of every API object.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Timestamp?
    public var deletionTimestamp: Timestamp?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }

    /// The name, or `""`.
    @inlinable public var nameOrEmpty: String { name ?? "" }
    /// The namespace, or `default`... for namespaced kinds; `""` for cluster-scoped ones is set by the caller.
    @inlinable public var namespaceOrEmpty: String { namespace ?? "" }

    /// The owner reference with `controller: true`, if any.
    public var controllerRef: OwnerReference? {
        ownerReferences?.first(where: { $0.controller == true })
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
    var order: Int { KnownKind.allCases.firstIndex(of: self)! }

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
