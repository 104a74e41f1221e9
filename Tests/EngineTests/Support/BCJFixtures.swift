import Foundation
import Testing
@testable import Engine

// Small fixtures for the BroadcastJob, scheduler and GC tests (kruise's createNode / createPod style).

extension FakeCluster {
    /// A pod owned by `job` (labels and controller ref as the controller would set them), bound to
    /// `node` by nodeName, or by the `metadata.name` affinity term when `pinned` is true.
    @discardableResult
    func createJobPod(_ job: BroadcastJob, node: String?, name: String, phase: String = PodPhase.running,
                      restartPolicy: String = "Never", restarts: Int32 = 0, pinned: Bool = false,
                      labels: [String: String]? = nil, ownerUID: String? = nil, controller: Bool = true) async -> Pod {
        var meta = ObjectMeta(name: name, namespace: job.namespace,
                              labels: labels ?? ["broadcastjob-name": job.name, "broadcastjob-controller-uid": job.uid])
        var ref = job.ownerReference()
        if let ownerUID { ref.uid = ownerUID }
        ref.controller = controller
        meta.ownerReferences = [ref]
        var spec = PodSpec(containers: [Container(name: "c", image: "busybox")], restartPolicy: restartPolicy)
        if let node {
            if pinned {
                spec.affinity = Affinity(nodeAffinity: NodeAffinity(required: NodeSelector(nodeSelectorTerms: [
                    NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [node])])
                ])))
            } else {
                spec.nodeName = node
            }
        }
        var st = PodStatus(phase: phase)
        st.containerStatuses = [ContainerStatus(name: "c", restartCount: restarts)]
        return try! await create(Pod(metadata: meta, spec: spec, status: st))
    }

    /// A plain pod (not owned by a BroadcastJob), optionally bound and requesting resources.
    @discardableResult
    func createPlainPod(_ name: String, node: String? = nil, requests: ResourceList? = nil, phase: String? = nil,
                        owner: OwnerReference? = nil) async -> Pod {
        var meta = ObjectMeta(name: name, namespace: "default")
        if let owner { meta.ownerReferences = [owner] }
        var c = Container(name: "c", image: "busybox")
        if let requests { c.resources = ResourceRequirements(requests: requests) }
        var spec = PodSpec(containers: [c], restartPolicy: "Never")
        spec.nodeName = node
        return try! await create(Pod(metadata: meta, spec: spec, status: phase.map { PodStatus(phase: $0) }))
    }

    func node(_ name: String) -> Node? { store[.node]?[name].flatMap(Node.unwrap) }

    /// Changes a node's spec or metadata as a user (kubectl) would.
    func updateNode(_ name: String, _ change: (inout Node) -> Void) async {
        var n = node(name)!
        change(&n)
        _ = try! await update(n)
    }

    /// Changes a node's status as its kubelet would.
    func updateNodeStatus(_ name: String, _ change: (inout Node) -> Void) async {
        var n = node(name)!
        change(&n)
        _ = try! await updateStatus(n)
    }

    func deleteNode(_ name: String) async { try! await delete(Node.self, namespace: "", name: name, uid: nil) }
    func deletePod(_ pod: Pod) async { try! await delete(Pod.self, namespace: pod.namespace, name: pod.name, uid: nil) }

    /// Marks a pod as being deleted (graceful deletion in progress).
    func markDeleting(_ pod: Pod) async {
        var p = get(pod)!
        p.metadata.deletionTimestamp = clock.now
        _ = try! await update(p)
    }

    /// Changes a job's spec as a user would.
    func updateJob(_ name: String, _ change: (inout BroadcastJob) -> Void) async {
        var j = job(name)!
        change(&j)
        _ = try! await update(j)
    }
}

extension BCJHarness {
    /// Syncs the cache and takes every ready key off the queue (each marked done).
    func drainQueue() -> [String] {
        cluster.sync()
        var keys: [String] = []
        while let k = queue.get() {
            keys.append(k)
            queue.done(k)
        }
        return keys
    }

    func status(_ name: String) -> BroadcastJobStatus { cluster.job(name)!.status ?? BroadcastJobStatus() }
}

extension TestRecorder {
    func records(_ reason: String) -> [Record] { records.filter { $0.reason == reason } }
}

extension FakeCluster {
    /// The job's pods, requiring at least `n` of them (a failed test, not a crash, when fewer exist).
    func pods(of job: BroadcastJob, atLeast n: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [Pod] {
        let p = pods(of: job)
        try #require(p.count >= n, "expected at least \(n) pods, found \(p.count)", sourceLocation: sourceLocation)
        return p
    }

    /// The job's `i`-th pod (by name).
    func pod(of job: BroadcastJob, _ i: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Pod {
        try pods(of: job, atLeast: i + 1, sourceLocation: sourceLocation)[i]
    }
}
