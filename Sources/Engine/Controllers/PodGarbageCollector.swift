import Foundation

/// Pod GC (kube-controller-manager `podgc`): pods bound to a node that no longer exists are
/// force-deleted once the node has been gone for `orphanGracePeriod` (40 s).
///
/// Node deletion enqueues the node's pods after the grace period; the reconcile confirms with a
/// live read that the node is still absent before deleting.
public final class PodGarbageCollector: Reconciler {
    public let name = "pod-garbage-collector"
    let client: Client
    let cache: InformerCache
    public let queue: WorkQueue
    public var orphanGracePeriod: Double

    public init(client: Client, cache: InformerCache, queue: WorkQueue, orphanGracePeriod: Double = 40) {
        self.client = client
        self.cache = cache
        self.queue = queue
        self.orphanGracePeriod = orphanGracePeriod
        cache.nodes.addHandler { [unowned self] type, _, node in
            guard type == .deleted else { return }
            for p in cache.pods.list(index: InformerCache.byNode, value: node.name) {
                queue.add(p.key, after: self.orphanGracePeriod)
            }
        }
        cache.pods.addHandler { [unowned self] type, _, pod in
            // A pod bound to a node the cache has never seen (or no longer has).
            guard type != .deleted, let n = pod.spec.nodeName, !n.isEmpty, cache.nodes.get(n) == nil else { return }
            queue.add(pod.key, after: self.orphanGracePeriod)
        }
    }

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        guard let pod = cache.pods.get(key), let node = pod.spec.nodeName, !node.isEmpty else { return .done }
        if cache.nodes.get(node) != nil { return .done }
        do {
            _ = try await client.get(Node.self, namespace: "", name: node)
            return .done  // the node exists after all
        } catch {
            if !error.isNotFound { throw error }
        }
        do {
            try await client.delete(Pod.self, namespace: pod.namespace, name: pod.name, uid: pod.uid)
        } catch {
            if !error.isNotFound { throw error }
        }
        return .done
    }
}
