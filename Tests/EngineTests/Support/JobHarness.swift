import Foundation
@testable import Engine

// Fixtures for the native Job controller and node lifecycle controller tests.

extension FakeCluster {
    /// A batch/v1 Job as the API server stores it after admission (defaults; the job-name and
    /// controller-uid labels on the template).
    @discardableResult
    func createNativeJob(_ name: String, parallelism: Int32? = nil, completions: Int32? = nil, backoffLimit: Int32? = nil,
                         activeDeadlineSeconds: Int64? = nil, ttl: Int32? = nil, suspend: Bool? = nil,
                         restartPolicy: String = "Never") async -> Job {
        var spec = JobSpec(template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": name]),
                                                     spec: PodSpec(containers: [Container(name: "c", image: "busybox")], restartPolicy: restartPolicy)))
        spec.parallelism = parallelism
        spec.completions = completions
        spec.backoffLimit = backoffLimit
        spec.activeDeadlineSeconds = activeDeadlineSeconds
        spec.ttlSecondsAfterFinished = ttl
        spec.suspend = suspend
        var job = Job(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)
        job.metadata.uid = "job-uid-\(name)"
        JobAdmission.setDefaults(&job)
        JobAdmission.generateSelector(&job)
        return try! await create(job)
    }

    func nativeJob(_ name: String) async -> Job? { try? await get(Job.self, namespace: "default", name: name) }

    /// The pods in the store whose controller is `job`, by name.
    func nativeJobPods(_ job: Job) -> [Pod] { pods(of: nil).filter { $0.metadata.controllerRef?.uid == job.uid } }

    /// A pod owned by `job` as the controller would have created it.
    @discardableResult
    func createNativeJobPod(_ job: Job, name: String, node: String? = nil, phase: String = PodPhase.running,
                            restarts: Int32 = 0, ready: Bool = false) async -> Pod {
        var meta = ObjectMeta(name: name, namespace: job.namespace, labels: job.spec.template.metadata?.labels)
        meta.ownerReferences = [job.ownerReference()]
        var spec = job.spec.template.spec
        spec.nodeName = node
        var st = PodStatus(phase: phase)
        st.containerStatuses = [ContainerStatus(name: "c", restartCount: restarts)]
        if ready { st.conditions = [Condition(type: "Ready", status: "True")] }
        return try! await create(Pod(metadata: meta, spec: spec, status: st))
    }

    /// A kubelet's status write: the phase, with the container terminated now when the phase is terminal.
    func setPodPhase(_ pod: Pod, _ phase: String, restarts: Int32 = 0, ready: Bool? = nil) async {
        var p = get(pod)!
        var st = p.status ?? PodStatus()
        st.phase = phase
        var cs = ContainerStatus(name: "c", restartCount: restarts)
        if phase == PodPhase.succeeded || phase == PodPhase.failed {
            cs.state = ContainerState(terminated: .init(exitCode: phase == PodPhase.succeeded ? 0 : 1, finishedAt: clock.now))
        }
        st.containerStatuses = [cs]
        if let ready { st.conditions = [Condition(type: "Ready", status: ready ? "True" : "False", lastTransitionTime: clock.now)] }
        p.status = st
        _ = try! await updateStatus(p)
    }

    /// Changes a native Job's spec as a user would.
    func updateNativeJob(_ name: String, _ change: (inout Job) -> Void) async {
        var j = await nativeJob(name)!
        change(&j)
        _ = try! await update(j)
    }
}

/// A native Job controller wired to a fake cluster.
final class JobHarness {
    let cluster = FakeCluster()
    let queue: WorkQueue
    let controller: JobController
    var clock: TestClock { cluster.clock }
    var recorder: TestRecorder { cluster.recorder }

    init() {
        queue = WorkQueue(clock: cluster.clock)
        controller = JobController(client: cluster, cache: cluster.cache, clock: cluster.clock, recorder: cluster.recorder, queue: queue)
    }

    /// Syncs the cache and reconciles one job.
    @discardableResult
    func reconcile(_ name: String) async throws -> ReconcileResult {
        cluster.sync()
        return try await controller.reconcile("default/\(name)")
    }

    func status(_ name: String) async -> JobStatus { await cluster.nativeJob(name)?.status ?? JobStatus() }
    func condition(_ name: String, _ type: String) async -> JobCondition? { await status(name).conditions?.first { $0.type == type } }
    func pods(_ name: String) async -> [Pod] { await cluster.nativeJob(name).map(cluster.nativeJobPods) ?? [] }
    func activePods(_ name: String) async -> [Pod] { await pods(name).filter(\.isActive) }
}

/// Lease renewals set by the test.
final class FakeHeartbeats: NodeHeartbeats {
    var renewed: [String: Timestamp] = [:]
    func lastRenewTime(node: String) -> Timestamp? { renewed[node] }
}

/// Runs one reconciler's queue against a fake cluster in virtual time, as the controller manager
/// does: the cache is synced before every reconcile, `requeueAfter` re-adds, errors back off.
final class ControllerRunner {
    let cluster: FakeCluster
    let queue: WorkQueue
    let reconciler: Reconciler
    private(set) var reconciled: [String] = []
    private(set) var errors: [String] = []

    init(cluster: FakeCluster, queue: WorkQueue, reconciler: Reconciler) {
        self.cluster = cluster
        self.queue = queue
        self.reconciler = reconciler
    }

    /// Processes every key ready now (and those its reconciles make ready).
    func drain() async {
        var guardCount = 0
        while guardCount < 10_000 {
            guardCount += 1
            cluster.sync()
            queue.promoteDelayed()
            guard let key = queue.get() else { return }
            reconciled.append(key)
            do {
                let r = try await reconciler.reconcile(key)
                queue.done(key)
                queue.forget(key)
                if let after = r.requeueAfter { queue.add(key, after: after) }
            } catch {
                queue.done(key)
                errors.append("\(key): \(error)")
                queue.addRateLimited(key)
            }
        }
    }

    /// Advances the clock to `seconds` after `origin`, stopping at every queued wake-up on the way.
    func run(until seconds: Double, from origin: Timestamp) async {
        let end = origin.adding(seconds: seconds)
        await drain()
        while let next = queue.nextDelayedTime, next <= end {
            if next > cluster.clock.now { cluster.clock.now = next }
            await drain()
        }
        if end > cluster.clock.now { cluster.clock.now = end }
        await drain()
    }
}
