import Foundation

/// A watch notification.
public enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// A local cache of one kind, fed by a watch stream, with secondary indexes.
///
/// Reads hand out values (copy-on-write: no list is copied to answer a lookup by index).
/// Listing order is by key, so behaviour never depends on hashing order; each index value
/// keeps its sorted key list until its membership changes, so a status-only update (the
/// common case) costs no re-sort.
///
/// - Complexity: `apply` is O(number of indexes) when index values are unchanged; `get` O(1);
///   `list(index:value:)` O(k) for k matching objects, plus O(k log k) after a membership change.
public final class Informer<T: Resource> {
    public typealias Handler = (_ type: WatchEventType, _ old: T?, _ new: T) -> Void
    public typealias IndexFunc = (T) -> [String]

    /// The keys under one index value, with their sorted order cached. Most buckets hold one key
    /// (an object's uid, a node's one pod in a broadcast): it is held inline (``KeySet``), and
    /// the bucket lives in its index's table, not in an object of its own.
    struct Bucket {
        private var keys = KeySet()
        private var sorted: [String]?
        var count: Int { keys.count }
        var isEmpty: Bool { keys.isEmpty }

        mutating func insert(_ key: String) {
            if keys.insert(key) { sorted = nil }
        }

        mutating func remove(_ key: String) {
            if keys.remove(key) { sorted = nil }
        }

        mutating func sortedKeys() -> [String] {
            if let s = sorted { return s }
            let s = keys.sorted()
            sorted = s
            return s
        }
    }

    /// How an index derives its values: most yield at most one value, which is compared and
    /// stored without building an array on every update.
    enum IndexBy {
        case single((T) -> String?)
        case multi(IndexFunc)
        func values(_ o: T) -> [String] {
            switch self {
            case .single(let f): return f(o).map { [$0] } ?? []
            case .multi(let f): return f(o)
            }
        }
    }

    private var objects = StringTable<T>()
    /// Each index's name, function and buckets by value, in the order the indexes were added;
    /// `position` finds one by name for the lookups (not for the upkeep on every update): a scan
    /// of a handful of short names costs less than hashing the name.
    private var indexNames: [String] = []
    private var indexFuncs: [IndexBy] = []
    private var indexes: [StringTable<Bucket>] = []
    private var handlers: [Handler] = []
    private var sortedKeysCache: [String]?

    /// True when two versions of an object yield the same values under every index: an update
    /// between them skips the index upkeep (most updates are status writes, which change no
    /// indexed field). Set by whoever adds the indexes, beside them; it must compare every
    /// field an index reads. Nil: every update recomputes the index values.
    public var sameIndexInputs: ((T, T) -> Bool)?

    public init() {}

    public var count: Int { objects.count }

    /// Adds an index; must be called before objects arrive.
    public func addIndex(_ name: String, _ f: @escaping IndexFunc) { add(name, .multi(f)) }

    /// Adds an index under which each object has at most one value (nil: none).
    public func addIndex(_ name: String, single f: @escaping (T) -> String?) { add(name, .single(f)) }

    private func add(_ name: String, _ by: IndexBy) {
        precondition(!indexNames.contains(name), "index \(name) added twice")
        indexNames.append(name)
        indexFuncs.append(by)
        indexes.append(StringTable())
        for (k, o) in objects { for v in by.values(o) { insert(indexes.count - 1, v, k) } }
    }

    private func position(_ name: String) -> Int {
        guard let i = indexNames.firstIndex(of: name) else { preconditionFailure("informer of \(T.kind) has no index \(name)") }
        return i
    }

    /// Registers an event handler (informer `AddEventHandler`).
    public func addHandler(_ h: @escaping Handler) { handlers.append(h) }

    public func get(_ key: String) -> T? { objects[key] }
    public func get(namespace: String, name: String) -> T? {
        objects[T.namespaced ? "\(namespace)/\(name)" : name]
    }

    /// Every object, ordered by key.
    public func list() -> [T] {
        sortedKeys().map { objects[$0]! }
    }

    /// Keys ordered; cached until the key set changes.
    public func sortedKeys() -> [String] {
        if let s = sortedKeysCache { return s }
        let s = objects.keys.sorted()
        sortedKeysCache = s
        return s
    }

    /// Objects whose index `name` yields `value`, ordered by key.
    public func list(index name: String, value: String) -> [T] {
        // In place: a bucket keeps its sorted keys for the next list.
        func sortedKeys(_ b: inout Bucket?) -> [String] { b?.sortedKeys() ?? [] }
        return sortedKeys(&indexes[position(name)][value]).map { objects[$0]! }
    }

    /// Number of objects under an index value, without building a list.
    public func count(index name: String, value: String) -> Int {
        indexes[position(name)][value]?.count ?? 0
    }

    /// Applies one watch event to the cache and notifies handlers.
    public func apply(_ type: WatchEventType, _ object: T) {
        let key = object.key
        switch type {
        case .added, .modified:
            let old = objects.updateValue(object, forKey: key)
            if old == nil { sortedKeysCache = nil }
            if let old, let same = sameIndexInputs, same(old, object) {} else { reindex(key, old: old, new: object) }
            let t: WatchEventType = old == nil ? .added : .modified
            for h in handlers { h(t, old, object) }
        case .deleted:
            let old = objects.removeValue(forKey: key)
            if let old {
                sortedKeysCache = nil
                reindex(key, old: old, new: nil)
            }
            for h in handlers { h(.deleted, old, object) }
        }
    }

    /// Replaces the whole content (initial list after a start or restart); handlers see adds.
    public func replace(with list: [T]) {
        objects.removeAll()
        for i in indexes.indices { indexes[i] = StringTable() }
        sortedKeysCache = nil
        for o in list { apply(.added, o) }
    }

    /// Brings the cache to `list` after a relist (client-go's reflector after a dropped watch, via
    /// `DeltaFIFO.Replace`): handlers see, in key order, an add for each listed object the cache
    /// did not have and an update for each it had (unchanged ones too, old and new equal, as
    /// upstream's `Replaced` deltas reach `OnUpdate`), then a delete (with the last state the
    /// cache had) for each object the list no longer has.
    public func relist(with list: [T]) {
        var listed = Set<String>()
        for o in list.sorted(by: { $0.key < $1.key }) {
            listed.insert(o.key)
            apply(.modified, o)
        }
        for key in sortedKeys() where !listed.contains(key) {
            if let gone = objects[key] { apply(.deleted, gone) }
        }
    }

    /// Moves `key` between index values only where its values changed.
    private func reindex(_ key: String, old: T?, new: T?) {
        for (i, index) in indexFuncs.enumerated() {
            switch index {
            case .single(let f):
                let before = old.flatMap(f), after = new.flatMap(f)
                if before == after { continue }
                if let b = before { remove(i, b, key) }
                if let a = after { insert(i, a, key) }
            case .multi(let f):
                let before = old.map(f) ?? []
                let after = new.map(f) ?? []
                if before == after { continue }
                for v in before where !after.contains(v) { remove(i, v, key) }
                for v in after where !before.contains(v) { insert(i, v, key) }
            }
        }
    }

    private func insert(_ index: Int, _ value: String, _ key: String) {
        // One lookup: the in-place access of the default subscript stores a new bucket for a new value.
        func add(_ b: inout Bucket) { b.insert(key) }
        add(&indexes[index][value, default: Bucket()])
    }

    private func remove(_ index: Int, _ value: String, _ key: String) {
        func take(_ b: inout Bucket?) {
            b?.remove(key)
            if b?.isEmpty == true { b = nil }
        }
        take(&indexes[index][value])
    }
}

/// The shared informers of one controller manager: one per kind, with the indexes the controllers use.
public final class InformerCache {
    public static let byControllerUID = "controllerUID"
    public static let byNode = "nodeName"
    public static let byControllerName = "controllerName"
    public static let byOwnerUID = "ownerUID"
    public static let byUID = "uid"
    public static let byAssignedNode = "assignedNode"

    public let nodes = Informer<Node>()
    public let pods = Informer<Pod>()
    public let jobs = Informer<Job>()
    public let broadcastJobs = Informer<BroadcastJob>()
    public let advancedCronJobs = Informer<AdvancedCronJob>()

    /// A cache with every index the controllers use, or with only the indexes named in `only`
    /// (the scheduler's, which needs pods by node): each index costs work on every update.
    public init(only: Set<String>? = nil) {
        func wanted(_ name: String) -> Bool { only?.contains(name) ?? true }
        func add<T>(_ informer: Informer<T>, _ name: String, single f: @escaping (T) -> String?) { if wanted(name) { informer.addIndex(name, single: f) } }
        func add<T>(_ informer: Informer<T>, _ name: String, _ f: @escaping (T) -> [String]) { if wanted(name) { informer.addIndex(name, f) } }
        add(pods, Self.byControllerUID, single: { $0.metadata.controllerUID })
        add(pods, Self.byNode, single: { $0.spec.nodeName })
        add(pods, Self.byAssignedNode, single: { p in let n = p.spec.assignedNode; return n.isEmpty ? nil : n })
        add(pods, Self.byOwnerUID) { p in (p.metadata.ownerReferences ?? []).map(\.uid) }
        add(jobs, Self.byOwnerUID) { j in (j.metadata.ownerReferences ?? []).map(\.uid) }
        add(broadcastJobs, Self.byOwnerUID) { j in (j.metadata.ownerReferences ?? []).map(\.uid) }
        add(jobs, Self.byUID, single: { $0.uid })
        add(broadcastJobs, Self.byUID, single: { $0.uid })
        add(advancedCronJobs, Self.byUID, single: { $0.uid })
        add(nodes, Self.byUID, single: { $0.uid })
        add(pods, Self.byUID, single: { $0.uid })
        add(jobs, Self.byControllerUID, single: { $0.metadata.controllerUID })
        add(jobs, Self.byControllerName, single: { j in j.metadata.controllerRef.map { "\(j.namespace)/\($0.kind)/\($0.name)" } })
        add(broadcastJobs, Self.byControllerName, single: { j in j.metadata.controllerRef.map { "\(j.namespace)/\($0.kind)/\($0.name)" } })
        // What the indexes above read (the namespace is part of the key, which an update keeps).
        pods.sameIndexInputs = { a, b in a.spec == b.spec && a.uid == b.uid && a.metadata.ownerReferences == b.metadata.ownerReferences }
        func sameOwners<T: KubeObject>(_ a: T, _ b: T) -> Bool { a.uid == b.uid && a.metadata.ownerReferences == b.metadata.ownerReferences }
        jobs.sameIndexInputs = sameOwners
        broadcastJobs.sameIndexInputs = sameOwners
        advancedCronJobs.sameIndexInputs = { a, b in a.uid == b.uid }
        nodes.sameIndexInputs = { a, b in a.uid == b.uid }
    }

    /// Brings every informer of `kinds` to a relisted `objects` (``Informer/relist(with:)``).
    public func relist(_ objects: [APIObject], kinds: Set<KnownKind>) {
        func of<T: Resource>(_ t: T.Type) -> [T] { objects.compactMap(T.unwrap) }
        if kinds.contains(.node) { nodes.relist(with: of(Node.self)) }
        if kinds.contains(.pod) { pods.relist(with: of(Pod.self)) }
        if kinds.contains(.job) { jobs.relist(with: of(Job.self)) }
        if kinds.contains(.broadcastJob) { broadcastJobs.relist(with: of(BroadcastJob.self)) }
        if kinds.contains(.advancedCronJob) { advancedCronJobs.relist(with: of(AdvancedCronJob.self)) }
    }

    /// Delivers a watch event of any kind to its informer.
    public func apply(_ type: WatchEventType, _ object: APIObject) {
        switch object {
        case .node(let o): nodes.apply(type, o)
        case .pod(let o): pods.apply(type, o)
        case .job(let o): jobs.apply(type, o)
        case .broadcastJob(let o): broadcastJobs.apply(type, o)
        case .advancedCronJob(let o): advancedCronJobs.apply(type, o)
        case .event: break
        }
    }
}
