import Foundation

/// The garbage collector: deletes dependents whose owners are all gone (background propagation).
///
/// Triggers: an owner's deletion enqueues its dependents (by the owner-UID index); a new
/// dependent whose owner is not in the cache is checked too (its owner may have been deleted
/// before it was created). Before deleting, the owner is confirmed absent with a live read, as
/// kube's garbage collector does, so cache lag never deletes a live object's dependents.
///
/// Keys are `Kind/namespace/name` of dependents.
public final class GarbageCollector: Reconciler {
    public let name = "garbage-collector"
    let client: Client
    let cache: InformerCache
    public let queue: WorkQueue

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
            let ns = ownerKind.namespaced ? parts[1] : ""
            do {
                let owner = try await client.getObject(kind: ownerKind, namespace: ns, name: ref.name)
                if owner.metadata.uid == ref.uid { return .done }  // an owner still exists
            } catch {
                if !error.isNotFound { throw error }
            }
        }
        do {
            try await client.delete(kind: kind, namespace: parts[1], name: parts[2], uid: meta.uid)
        } catch {
            if !error.isNotFound { throw error }
        }
        return .done
    }
}
