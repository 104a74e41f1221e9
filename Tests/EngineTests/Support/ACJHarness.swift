import Foundation
@testable import Engine

/// An AdvancedCronJob controller wired to a fake cluster, with fixtures in kruise's `createJob` style.
///
/// Time starts at 2022-03-24T08:45:08Z unless told otherwise. `reconcile` syncs the cache first;
/// `run(until:)` plays a controller manager: it reconciles queued keys, honours requeue-after and
/// rate-limited retries, and jumps the clock to the next delayed key.
final class ACJHarness {
    enum TemplateKind { case broadcastJob, job }

    static let utc = TimeZone(identifier: "UTC")!

    let cluster: FakeCluster
    let queue: WorkQueue
    let controller: AdvancedCronJobController
    var clock: TestClock { cluster.clock }
    var recorder: TestRecorder { cluster.recorder }
    /// Every reconcile `run(until:)` made: the time and the result (nil requeue, or "error").
    var log: [(time: String, result: String)] = []

    init(at time: String = "2022-03-24T08:45:08Z", localTimeZone: TimeZone = ACJHarness.utc) {
        cluster = FakeCluster(clock: TestClock(Self.t(time)))
        queue = WorkQueue(clock: cluster.clock)
        controller = AdvancedCronJobController(client: cluster, cache: cluster.cache, clock: cluster.clock,
                                               recorder: cluster.recorder, queue: queue, localTimeZone: localTimeZone)
    }

    static func t(_ s: String) -> Timestamp { Timestamp(rfc3339: s)! }

    func set(_ time: String) { clock.now = Self.t(time) }

    // MARK: fixtures

    static func podTemplate() -> PodTemplateSpec {
        PodTemplateSpec(spec: PodSpec(containers: [Container(name: "c", image: "busybox")], restartPolicy: "Never"))
    }

    @discardableResult
    func createACJ(_ name: String = "acj-test", schedule: String = "*/5 * * * *", kind: TemplateKind = .broadcastJob,
                   policy: String? = "Allow", startingDeadlineSeconds: Int64? = nil, paused: Bool? = nil,
                   timeZone: String? = nil, successfulLimit: Int32? = 3, failedLimit: Int32? = 1,
                   templateLabels: [String: String]? = ["app": "cron"],
                   templateAnnotations: [String: String]? = ["note": "from-template"]) async -> AdvancedCronJob {
        var meta = ObjectMeta(labels: templateLabels)
        meta.annotations = templateAnnotations
        var template = CronJobTemplate()
        switch kind {
        case .broadcastJob:
            var spec = BroadcastJobSpec(template: Self.podTemplate())
            spec.completionPolicy = CompletionPolicy(type: "Always")
            template.broadcastJobTemplate = BroadcastJobTemplateSpec(metadata: meta, spec: spec)
        case .job:
            var spec = JobSpec(template: Self.podTemplate())
            spec.backoffLimit = 2
            template.jobTemplate = JobTemplateSpec(metadata: meta, spec: spec)
        }
        var spec = AdvancedCronJobSpec(schedule: schedule, template: template)
        spec.concurrencyPolicy = policy
        spec.startingDeadlineSeconds = startingDeadlineSeconds
        spec.paused = paused
        spec.timeZone = timeZone
        spec.successfulJobsHistoryLimit = successfulLimit
        spec.failedJobsHistoryLimit = failedLimit
        return try! await cluster.create(AdvancedCronJob(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
    }

    func acj(_ name: String = "acj-test") async -> AdvancedCronJob {
        try! await cluster.get(AdvancedCronJob.self, namespace: "default", name: name)
    }
    func status(_ name: String = "acj-test") async -> AdvancedCronJobStatus { await acj(name).status ?? AdvancedCronJobStatus() }

    func updateACJ(_ name: String = "acj-test", _ change: (inout AdvancedCronJob) -> Void) async {
        var a = await acj(name)
        change(&a)
        _ = try! await cluster.update(a)
    }

    func bcj(_ name: String) async -> BroadcastJob? { try? await cluster.get(BroadcastJob.self, namespace: "default", name: name) }
    func batchJob(_ name: String) async -> Job? { try? await cluster.get(Job.self, namespace: "default", name: name) }

    /// Names of every BroadcastJob and Job in the store, sorted.
    func childNames() -> [String] {
        let b = (cluster.store[.broadcastJob] ?? [:]).values.compactMap(BroadcastJob.unwrap).map(\.name)
        let j = (cluster.store[.job] ?? [:]).values.compactMap(Job.unwrap).map(\.name)
        return (b + j).sorted()
    }

    /// The child name for a scheduled time.
    static func child(_ scheduled: String, of acj: String = "acj-test") -> String {
        "\(acj)-\(t(scheduled).unixSeconds)"
    }

    /// A child made as the controller makes it (owner reference, scheduled-at annotation), optionally finished.
    @discardableResult
    func createChild(of acjName: String = "acj-test", scheduled: String, finished: String? = nil, startTime: String? = nil,
                     kind: TemplateKind = .broadcastJob, name: String? = nil) async -> String {
        let owner = await acj(acjName)
        var meta = ObjectMeta(name: name ?? Self.child(scheduled, of: acjName), namespace: "default")
        meta.annotations = [AdvancedCronJobController.annotationScheduledAt: scheduled]
        meta.ownerReferences = [owner.ownerReference()]
        switch kind {
        case .broadcastJob:
            let j = try! await cluster.create(BroadcastJob(metadata: meta, spec: BroadcastJobSpec(template: Self.podTemplate())))
            await setChildStatus(j.name, kind: kind, finished: finished, startTime: startTime)
            return j.name
        case .job:
            let j = try! await cluster.create(Job(metadata: meta, spec: JobSpec(template: Self.podTemplate())))
            await setChildStatus(j.name, kind: kind, finished: finished, startTime: startTime)
            return j.name
        }
    }

    /// Sets a child's start time and, when `finished` is `Complete` or `Failed`, its finished condition.
    func setChildStatus(_ name: String, kind: TemplateKind = .broadcastJob, finished: String? = nil,
                        startTime: String? = nil) async {
        let conditions = finished.map { [JobCondition(type: $0, status: "True", time: clock.now, reason: $0, message: nil)] }
        switch kind {
        case .broadcastJob:
            var j = await bcj(name)!
            var st = j.status ?? BroadcastJobStatus()
            st.startTime = startTime.map(Self.t)
            st.conditions = conditions
            j.status = st
            _ = try! await cluster.updateStatus(j)
        case .job:
            var j = await batchJob(name)!
            var st = j.status ?? JobStatus()
            st.startTime = startTime.map(Self.t)
            st.conditions = conditions
            j.status = st
            _ = try! await cluster.updateStatus(j)
        }
    }

    func finish(_ name: String, _ type: String = "Complete", kind: TemplateKind = .broadcastJob) async {
        await setChildStatus(name, kind: kind, finished: type, startTime: clock.now.rfc3339)
    }

    func deleteChild(_ name: String, kind: TemplateKind = .broadcastJob) async {
        switch kind {
        case .broadcastJob: try! await cluster.delete(BroadcastJob.self, namespace: "default", name: name, uid: nil)
        case .job: try! await cluster.delete(Job.self, namespace: "default", name: name, uid: nil)
        }
    }

    // MARK: running

    /// Syncs the cache and reconciles one ACJ.
    @discardableResult
    func reconcile(_ name: String = "acj-test") async throws -> ReconcileResult {
        cluster.sync()
        return try await controller.reconcile("default/\(name)")
    }

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

    /// Plays the controller manager until `end` (inclusive): cache synced before each reconcile, results fed
    /// back to the queue, the clock jumped to the next delayed key. Returns the reconciles made.
    @discardableResult
    func run(until end: String, maxReconciles: Int = 10_000) async -> [(time: String, result: String)] {
        let stop = Self.t(end)
        var made: [(time: String, result: String)] = []
        for _ in 0..<maxReconciles {
            cluster.sync()
            queue.promoteDelayed()
            if let key = queue.get() {
                let result: String
                do {
                    let r = try await controller.reconcile(key)
                    if let after = r.requeueAfter {
                        queue.forget(key)
                        queue.add(key, after: after)
                        result = "\(after)"
                    } else {
                        queue.forget(key)
                        result = "done"
                    }
                } catch {
                    queue.addRateLimited(key)
                    result = "error"
                }
                queue.done(key)
                made.append((clock.now.rfc3339, result))
                continue
            }
            guard let next = queue.nextDelayedTime, next <= stop else { break }
            clock.now = next
        }
        if clock.now < stop { clock.now = stop }
        log += made
        return made
    }
}
