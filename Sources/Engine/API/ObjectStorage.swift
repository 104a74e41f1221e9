import Foundation

/// The copy-on-write storage of a kind held behind one reference (``Pod``, ``Node``,
/// ``BroadcastJob``): copying such an object into a cache, a list or a watch event costs one
/// reference count, not one per field. The object mutates it only when uniquely referenced
/// (`isKnownUniquelyReferenced`), copying it first otherwise.
///
/// It keeps the object's ``KubeObject/key`` too, recomputed only when the name or namespace
/// changes (the object's `metadata` accessor calls ``refreshKey()`` after each change).
@usableFromInline final class ObjectStorage<Object: KubeObject, Spec, Status>: @unchecked Sendable {
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var spec: Spec
    var status: Status
    var unknownFields: JSONValue?
    private(set) var key: String
    private var keyFrom: (String?, String?)

    convenience init(apiVersion: String?, kind: String?, metadata: ObjectMeta, spec: Spec, status: Status, unknownFields: JSONValue?) {
        self.init(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields,
                  key: "", keyFrom: (nil, nil))
        refreshKey()
    }

    /// A copy keeps the key it was made with (the name and namespace are the same).
    func copy() -> ObjectStorage {
        ObjectStorage(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields,
                      key: key, keyFrom: keyFrom)
    }

    /// What an object's `status` setter does: the status set in place when `storage` is the
    /// object's alone, else in a copy made with it, the old status not copied (a status write
    /// replaces the whole status of a shared object: copying the old one first only to drop it
    /// costs a retain and a release of each of its strings and arrays).
    static func set(status: consuming Status, in storage: inout ObjectStorage) {
        if isKnownUniquelyReferenced(&storage) {
            storage.status = status
        } else {
            storage = storage.copy(status: status)
        }
    }

    private func copy(status: consuming Status) -> ObjectStorage {
        ObjectStorage(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields,
                      key: key, keyFrom: keyFrom)
    }

    private init(apiVersion: String?, kind: String?, metadata: ObjectMeta, spec: Spec, status: Status, unknownFields: JSONValue?,
                 key: String, keyFrom: (String?, String?)) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
        self.unknownFields = unknownFields
        self.key = key
        self.keyFrom = keyFrom
    }

    func refreshKey() {
        guard key.isEmpty || keyFrom.0 != metadata.namespace || keyFrom.1 != metadata.name else { return }
        keyFrom = (metadata.namespace, metadata.name)
        key = Object.namespaced ? "\(metadata.namespace ?? "")/\(metadata.name ?? "")" : metadata.name ?? ""
    }
}

extension ObjectStorage where Spec: Equatable, Status: Equatable {
    /// Compared in place. Through the objects' accessors from another module, `a.status ==
    /// b.status` copies each side's status out of its storage first (a status write compares
    /// statuses several times).
    func sameSpec(as other: ObjectStorage) -> Bool { self === other || spec == other.spec }
    func sameStatus(as other: ObjectStorage) -> Bool { self === other || status == other.status }
}

extension Pod {
    /// `spec == other.spec`, without copying either.
    public func sameSpec(as other: Pod) -> Bool { storage.sameSpec(as: other.storage) }
    /// `status == other.status`, without copying either.
    public func sameStatus(as other: Pod) -> Bool { storage.sameStatus(as: other.storage) }
}

extension Node {
    /// `spec == other.spec`, without copying either.
    public func sameSpec(as other: Node) -> Bool { storage.sameSpec(as: other.storage) }
    /// `status == other.status`, without copying either.
    public func sameStatus(as other: Node) -> Bool { storage.sameStatus(as: other.storage) }
}

extension BroadcastJob {
    /// `spec == other.spec`, without copying either.
    public func sameSpec(as other: BroadcastJob) -> Bool { storage.sameSpec(as: other.storage) }
    /// `status == other.status`, without copying either.
    public func sameStatus(as other: BroadcastJob) -> Bool { storage.sameStatus(as: other.storage) }
}
