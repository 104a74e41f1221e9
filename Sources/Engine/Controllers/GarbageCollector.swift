import Foundation

/// The garbage collector: deletes dependents whose owners are all gone (background propagation).
///
/// Triggers: an owner's deletion enqueues its dependents (by the owner-UID index); a new
/// dependent whose owner is not in the cache is checked too (its owner may have been deleted
/// before it was created). Before deleting, the owner is confirmed absent with a live read, as
/// kube's garbage collector does, so cache lag never deletes a live object's dependents.
///
/// An owner it found absent (not found, or another object under its name) is remembered, as
/// upstream's `absentOwnerCache` (500 owners, least recently used dropped first), so the other
/// dependents of a deleted owner are deleted without reading the owner again.
///
/// Keys are `Kind/namespace/name` of dependents.
public final class GarbageCollector: Reconciler {
    public let name = "garbage-collector"
    let client: Client
    let cache: InformerCache
    public let queue: WorkQueue
    private var absentOwners = ReferenceCache<OwnerKey>(capacity: 500)

    public init(client: Client, cache: InformerCache, queue: WorkQueue) {
        self.client = client
        self.cache = cache
        self.queue = queue
        watch(cache.pods)
        watch(cache.jobs)
        watch(cache.broadcastJobs)
        watch(cache.advancedCronJobs)
        watch(cache.nodes)
    }

    private func watch<T: Resource>(_ informer: Informer<T>) {
        informer.addHandler { [unowned self] type, _, obj in
            switch type {
            case .deleted:
                enqueueDependents(ofUID: obj.uid)
            case .added, .modified:
                guard let refs = obj.metadata.ownerReferences, !refs.isEmpty, obj.metadata.deletionTimestamp == nil else { return }
                if refs.contains(where: { !ownerCached($0) }) {
                    queue.add("\(T.kind)/\(obj.namespace)/\(obj.name)")
                }
            }
        }
    }

    private func enqueueDependents(ofUID uid: String) {
        guard !uid.isEmpty else { return }
        for p in cache.pods.list(index: InformerCache.byOwnerUID, value: uid) { queue.add("Pod/\(p.namespace)/\(p.name)") }
        for j in cache.jobs.list(index: InformerCache.byOwnerUID, value: uid) { queue.add("Job/\(j.namespace)/\(j.name)") }
        for b in cache.broadcastJobs.list(index: InformerCache.byOwnerUID, value: uid) { queue.add("BroadcastJob/\(b.namespace)/\(b.name)") }
    }

    private func ownerCached(_ ref: OwnerReference) -> Bool {
        switch ref.kind {
        case BroadcastJob.kind: return cache.broadcastJobs.count(index: InformerCache.byUID, value: ref.uid) > 0
        case Job.kind: return cache.jobs.count(index: InformerCache.byUID, value: ref.uid) > 0
        case AdvancedCronJob.kind: return cache.advancedCronJobs.count(index: InformerCache.byUID, value: ref.uid) > 0
        case Node.kind: return cache.nodes.count(index: InformerCache.byUID, value: ref.uid) > 0
        case Pod.kind: return cache.pods.count(index: InformerCache.byUID, value: ref.uid) > 0
        default: return true  // kinds this engine does not model are assumed to exist
        }
    }

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        let parts = key.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let kind = KnownKind(rawValue: parts[0]) else { return .done }
        let dependent: APIObject
        do {
            dependent = try await client.getObject(kind: kind, namespace: parts[1], name: parts[2])
        } catch {
            if error.isNotFound { return .done } else { throw error }
        }
        let meta = dependent.metadata
        guard meta.deletionTimestamp == nil, let refs = meta.ownerReferences, !refs.isEmpty else { return .done }
        for ref in refs {
            guard let ownerKind = KnownKind(rawValue: ref.kind) else { return .done }
            // isDangling: the cache is asked for the owner as cluster-scoped, then in the
            // dependent's namespace (the key an absent owner is recorded under).
            let clusterKey = OwnerKey(ref, namespace: ""), key = OwnerKey(ref, namespace: parts[1])
            if absentOwners.has(clusterKey) || absentOwners.has(key) { continue }
            let ns = ownerKind.namespaced ? parts[1] : ""
            do {
                let owner = try await client.getObject(kind: ownerKind, namespace: ns, name: ref.name)
                if owner.metadata.uid == ref.uid { return .done }  // an owner still exists
            } catch {
                if !error.isNotFound { throw error }
            }
            absentOwners.add(key)
        }
        do {
            try await client.delete(kind: kind, namespace: parts[1], name: parts[2], uid: meta.uid)
        } catch {
            if !error.isNotFound { throw error }
        }
        return .done
    }
}

/// client-go's `ReferenceCache` as the garbage collector uses it: a least-recently-used set of
/// owner references (coordinates and namespace); a lookup that finds one makes it the most recent.
struct ReferenceCache<Key: Hashable> {
    let capacity: Int
    private var lastUse: [Key: UInt64] = [:]
    private var tick: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func has(_ key: Key) -> Bool {
        guard lastUse[key] != nil else { return false }
        tick += 1
        lastUse[key] = tick
        return true
    }

    mutating func add(_ key: Key) {
        tick += 1
        lastUse[key] = tick
        // Ticks are unique, so the least recent entry is one entry, whatever the hashing order.
        if lastUse.count > capacity, let oldest = lastUse.min(by: { $0.value < $1.value })?.key {
            lastUse[oldest] = nil
        }
    }

    var count: Int { lastUse.count }
}

/// An owner reference's coordinates and a namespace: the absent-owner cache's key (fields, not a
/// string joined from them for every lookup).
struct OwnerKey: Hashable {
    let apiVersion: String, kind: String, name: String, uid: String, namespace: String
    init(_ ref: OwnerReference, namespace: String) {
        apiVersion = ref.apiVersion
        kind = ref.kind
        name = ref.name
        uid = ref.uid
        self.namespace = namespace
    }
}
