import Foundation

/// Any object the engine models, as one value (for stores and watch streams that carry several kinds).
///
/// One word: `Pod`, `Node` and `BroadcastJob` hold their fields in copy-on-write storage, and the
/// other kinds' cases are `indirect` (boxed), so copying an `APIObject` into the store, a watch stream or a
/// change record is one reference count, not a copy of the largest kind's fields.
public enum APIObject: Hashable, Sendable {
    case node(Node)
    case pod(Pod)
    indirect case job(Job)
    case broadcastJob(BroadcastJob)
    indirect case advancedCronJob(AdvancedCronJob)
    indirect case event(Event)

    public var kind: KnownKind {
        switch self {
        case .node: return .node
        case .pod: return .pod
        case .job: return .job
        case .broadcastJob: return .broadcastJob
        case .advancedCronJob: return .advancedCronJob
        case .event: return .event
        }
    }

    public var metadata: ObjectMeta {
        get {
            switch self {
            case .node(let o): return o.metadata
            case .pod(let o): return o.metadata
            case .job(let o): return o.metadata
            case .broadcastJob(let o): return o.metadata
            case .advancedCronJob(let o): return o.metadata
            case .event(let o): return o.metadata
            }
        }
        set {
            switch self {
            case .node(var o): o.metadata = newValue; self = .node(o)
            case .pod(var o): o.metadata = newValue; self = .pod(o)
            case .job(var o): o.metadata = newValue; self = .job(o)
            case .broadcastJob(var o): o.metadata = newValue; self = .broadcastJob(o)
            case .advancedCronJob(var o): o.metadata = newValue; self = .advancedCronJob(o)
            case .event(var o): o.metadata = newValue; self = .event(o)
            }
        }
    }

    /// `namespace/name`, or `name` for nodes: the object's own key (pods, nodes and BroadcastJobs
    /// keep theirs in their storage instead of formatting it on every call).
    public var key: String {
        switch self {
        case .node(let o): return o.key
        case .pod(let o): return o.key
        case .job(let o): return o.key
        case .broadcastJob(let o): return o.key
        case .advancedCronJob(let o): return o.key
        case .event(let o): return o.key
        }
    }

    public func manifest() throws -> JSONValue {
        switch self {
        case .node(let o): return try o.manifest()
        case .pod(let o): return try o.manifest()
        case .job(let o): return try o.manifest()
        case .broadcastJob(let o): return try o.manifest()
        case .advancedCronJob(let o): return try o.manifest()
        case .event(let o): return try o.manifest()
        }
    }

    /// ``manifest()`` as compact JSON text (see ``KubeObject/manifestJSONText()``).
    public func manifestJSONText() throws -> String {
        switch self {
        case .node(let o): return try o.manifestJSONText()
        case .pod(let o): return try o.manifestJSONText()
        case .job(let o): return try o.manifestJSONText()
        case .broadcastJob(let o): return try o.manifestJSONText()
        case .advancedCronJob(let o): return try o.manifestJSONText()
        case .event(let o): return try o.manifestJSONText()
        }
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decodes a manifest by its `apiVersion` and `kind`.
    public static func decode(manifest raw: JSONValue) throws -> APIObject {
        guard let kindName = raw["kind"]?.stringValue else { throw DecodeError(description: "Object 'Kind' is missing") }
        let apiVersion = raw["apiVersion"]?.stringValue ?? ""
        guard let kind = KnownKind(rawValue: kindName) else {
            throw DecodeError(description: "no matches for kind \"\(kindName)\" in version \"\(apiVersion)\" (known kinds: Node, Pod, Job, BroadcastJob, AdvancedCronJob)")
        }
        func check<T: KubeObject>(_ t: T.Type) throws {
            guard T.acceptedAPIVersions.contains(apiVersion) else {
                throw DecodeError(description: "no matches for kind \"\(kindName)\" in version \"\(apiVersion)\" (expected apiVersion \(T.acceptedAPIVersions.joined(separator: " or ")))")
            }
        }
        switch kind {
        case .node: try check(Node.self); return .node(try Node.decodeManifest(raw))
        case .pod: try check(Pod.self); return .pod(try Pod.decodeManifest(raw))
        case .job: try check(Job.self); return .job(try Job.decodeManifest(raw))
        case .broadcastJob: try check(BroadcastJob.self); return .broadcastJob(try BroadcastJob.decodeManifest(raw))
        case .advancedCronJob: try check(AdvancedCronJob.self); return .advancedCronJob(try AdvancedCronJob.decodeManifest(raw))
        case .event: try check(Event.self); return .event(try Event.decodeManifest(raw))
        }
    }
}

/// Conversion between a concrete kind and ``APIObject``.
public protocol APIObjectConvertible {
    var wrapped: APIObject { get }
    static func unwrap(_ o: APIObject) -> Self?
    static var knownKind: KnownKind { get }
}

extension Node: APIObjectConvertible {
    public var wrapped: APIObject { .node(self) }
    public static func unwrap(_ o: APIObject) -> Node? { if case .node(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .node }
}
extension Pod: APIObjectConvertible {
    public var wrapped: APIObject { .pod(self) }
    public static func unwrap(_ o: APIObject) -> Pod? { if case .pod(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .pod }
}
extension Job: APIObjectConvertible {
    public var wrapped: APIObject { .job(self) }
    public static func unwrap(_ o: APIObject) -> Job? { if case .job(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .job }
}
extension BroadcastJob: APIObjectConvertible {
    public var wrapped: APIObject { .broadcastJob(self) }
    public static func unwrap(_ o: APIObject) -> BroadcastJob? { if case .broadcastJob(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .broadcastJob }
}
extension AdvancedCronJob: APIObjectConvertible {
    public var wrapped: APIObject { .advancedCronJob(self) }
    public static func unwrap(_ o: APIObject) -> AdvancedCronJob? { if case .advancedCronJob(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .advancedCronJob }
}
extension Event: APIObjectConvertible {
    public var wrapped: APIObject { .event(self) }
    public static func unwrap(_ o: APIObject) -> Event? { if case .event(let x) = o { return x } else { return nil } }
    public static var knownKind: KnownKind { .event }
}

/// An object the API server and controllers handle: a Kubernetes object that converts to ``APIObject``.
public typealias Resource = KubeObject & APIObjectConvertible & Hashable
