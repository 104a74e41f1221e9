import Foundation

/// kube-controller-manager's Job controller (`pkg/controller/job`, batch/v1, NonIndexed completion
/// mode) together with the TTL-after-finished controller (`pkg/controller/ttlafterfinished`): the
/// native baseline the seed article compares BroadcastJob against.
///
/// What it guarantees, as upstream does:
/// - A Job's pods are those whose controller owner reference is the Job (kind Job, group batch, uid).
///   New pods come from the template with generateName `<job>-` and no nodeName: the default
///   scheduler places them, so several may land on one node.
/// - At most `min(parallelism, completions − succeeded)` pods are active (`parallelism` when
///   `completions` is nil, until the first success). Pod creations go out in slow-start batches
///   (1, 2, 4, …, at most 500 per sync); too many active pods are deleted, least advanced first.
/// - Scale expectations keyed by the Job's key hold back creations and deletions until the cache
///   has seen the previous ones, so cache lag never creates extra pods.
/// - Pod finishes are counted once, by pod UID, and stay counted when the pod object is removed (the
///   role upstream's `batch.kubernetes.io/job-tracking` finalizer plays): a Failed pod, or a pod
///   being deleted (or removed) before it succeeded, is a failure. Replacements for failed pods wait
///   the pod-failure back-off (10 s doubling, at most 6 min, counted from the last failure).
/// - Failed with `BackoffLimitExceeded` when failures exceed `backoffLimit` (default 6), or, for
///   restartPolicy OnFailure, when the container restarts of the Pending and Running pods reach it;
///   Failed with `DeadlineExceeded` once `activeDeadlineSeconds` have passed since `status.startTime`.
///   A failed Job's active pods are deleted (and counted as failed).
/// - Complete (reason `CompletionsReached`) with `completionTime` once enough pods succeeded and
///   none is active; `suspend` deletes the active pods and sets the `Suspended` condition;
///   resuming resets `startTime`.
/// - A finished Job with `ttlSecondsAfterFinished` is deleted that long after the finish
///   condition's `lastTransitionTime`, after a live read confirms it is still expired.
///
/// Time-bound wake-ups (the deadline, the back-off, the TTL expiry) are added to the queue at the
/// exact instant from inside the reconcile, as upstream's `AddAfter` does; the returned
/// ``ReconcileResult`` carries the same delay.
///
/// - Complexity: a reconcile is O(p log p) for the job's p pods (an index lookup, no scan).
public final class JobController: Reconciler {
    public let name = "job-controller"

    /// Upstream `DefaultJobPodFailureBackOff`.
    public static let podFailureBackoff: Double = 10
    /// Upstream `MaxJobPodFailureBackOff`.
    public static let maxPodFailureBackoff: Double = 360
    /// Upstream `MaxPodCreateDeletePerSync`.
    public static let maxPodCreateDeletePerSync = 500

    public static let reasonCompletionsReached = "CompletionsReached"
    public static let reasonBackoffLimitExceeded = "BackoffLimitExceeded"
    public static let reasonDeadlineExceeded = "DeadlineExceeded"
    public static let messageCompletionsReached = "Reached expected number of succeeded pods"
    public static let messageBackoffLimitExceeded = "Job has reached the specified backoff limit"
    public static let messageDeadlineExceeded = "Job was active longer than specified deadline"

    let client: Client
    let cache: InformerCache
    let clock: Clock
    let recorder: EventRecorder
    public let queue: WorkQueue
    public let expectations: ScaleExpectations
    /// Pod events and Job status updates reach the queue this much later, so bursts coalesce into
    /// one sync (upstream `syncJobBatchPeriod`, 1 s). Job creation and spec changes are immediate.
    public var syncBatchPeriod: Double = 1

    /// What this controller has counted for one Job (by Job UID).
    private struct PodTracking {
        var succeeded: Int
        var failed: Int
        /// UIDs of pods already counted as succeeded or failed.
        var counted: Set<String>
        /// The pod-failure back-off record.
        var failuresAfterLastSuccess = 0
        var lastFailureTime: Timestamp?
    }
    private var tracking: [String: PodTracking] = [:]
    /// The last state of pods removed from the cache before a sync counted them, by Job UID.
    private var removedPods: [String: [Pod]] = [:]

    public init(client: Client, cache: InformerCache, clock: Clock, recorder: EventRecorder, queue: WorkQueue,
                expectationTimeout: Double = 300) {
        self.client = client
        self.cache = cache
        self.clock = clock
        self.recorder = recorder
        self.queue = queue
        self.expectations = ScaleExpectations(clock: clock, timeout: expectationTimeout)
        registerHandlers()
    }

    // MARK: - Event handlers

    private func registerHandlers() {
        cache.jobs.addHandler { [unowned self] type, old, job in
            switch type {
            case .added:
                queue.add(job.key)
            case .modified:
                if let old, old.spec == job.spec, old.metadata.deletionTimestamp == job.metadata.deletionTimestamp {
                    queue.add(job.key, after: syncBatchPeriod)
                } else {
                    queue.add(job.key)
                }
            case .deleted:
                forget(jobUID: job.uid)
                expectations.delete(job.key)
                queue.add(job.key)
            }
        }
        cache.pods.addHandler { [unowned self] type, old, pod in
            switch type {
            case .added:
                guard let job = controllingJob(pod) else { return }
                if pod.metadata.deletionTimestamp != nil {
                    expectations.observe(job.key, .delete, "")
                } else {
                    expectations.observe(job.key, .create, "")
                }
                queue.add(job.key, after: syncBatchPeriod)
            case .modified:
                if let old, let oldJob = controllingJob(old), old.metadata.controllerRef != pod.metadata.controllerRef {
                    queue.add(oldJob.key, after: syncBatchPeriod)
                }
                guard let job = controllingJob(pod) else { return }
                if pod.metadata.deletionTimestamp != nil && old?.metadata.deletionTimestamp == nil {
                    expectations.observe(job.key, .delete, "")
                }
                queue.add(job.key, after: syncBatchPeriod)
            case .deleted:
                let last = old ?? pod
                guard let job = controllingJob(last) else { return }
                if last.metadata.deletionTimestamp == nil {
                    expectations.observe(job.key, .delete, "")
                }
                if job.finishedCondition == nil && tracking[job.uid]?.counted.contains(last.uid) != true {
                    removedPods[job.uid, default: []].append(last)
                }
                queue.add(job.key, after: syncBatchPeriod)
            }
        }
    }

    /// The cached Job this pod's controller reference points at (kind Job, group batch, same uid).
    func controllingJob(_ pod: Pod) -> Job? {
        guard let ref = pod.metadata.controllerRef, ref.kind == Job.kind, ref.isInGroup("batch"),
              let job = cache.jobs.get(namespace: pod.namespace, name: ref.name), job.uid == ref.uid
        else { return nil }
        return job
    }

    private func forget(jobUID: String) {
        tracking[jobUID] = nil
        removedPods[jobUID] = nil
    }

    // MARK: - Reconcile (syncJob)

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        let now = clock.now
        guard var job = cache.jobs.get(key) else {
            expectations.delete(key)
            return .done
        }
        if let finished = job.finishedCondition {
            forget(jobUID: job.uid)
            return try await reconcileTTL(job, finished: finished, now: now)
        }
        var wakeAt: Timestamp?
        func wake(_ t: Timestamp) { if wakeAt == nil || t < wakeAt! { wakeAt = t } }

        // Expectations are checked before the pods are listed (a pod arriving in between only
        // defers the sync).
        let satisfied: Bool
        switch expectations.check(key) {
        case .satisfied, .expired: satisfied = true
        case .unsatisfied(let retryAfter):
            satisfied = false
            wake(now.adding(seconds: retryAfter))
        }

        let pods = cache.pods.list(index: InformerCache.byControllerUID, value: job.uid).filter { p in
            guard let ref = p.metadata.controllerRef else { return false }
            return ref.kind == Job.kind && ref.isInGroup("batch") && ref.uid == job.uid
        }
        let suspended = job.spec.suspend == true
        var t = countFinishedPods(job: job, pods: pods, now: now)
        let activePods = pods.filter(\.isActive)
        var active = activePods.count
        var ready = activePods.filter(Self.isReady).count
        let oldStatus = job.status ?? JobStatus()
        var status = oldStatus
        if status.startTime == nil && !suspended { status.startTime = now.wholeSeconds }  // metav1.Time

        // Failure: back-off limit, then the active deadline.
        let backoffLimit = Int(job.spec.backoffLimit ?? 6)
        var failure: (reason: String, message: String)?
        if t.failed > backoffLimit || Self.pastBackoffLimitOnFailure(job, pods: pods, backoffLimit: backoffLimit) {
            failure = (Self.reasonBackoffLimitExceeded, Self.messageBackoffLimitExceeded)
        } else if !suspended, let ads = job.spec.activeDeadlineSeconds, let start = status.startTime {
            let deadline = start.adding(seconds: Double(ads))
            if now >= deadline {
                failure = (Self.reasonDeadlineExceeded, Self.messageDeadlineExceeded)
            } else {
                wake(deadline)
            }
        }

        var finished: JobCondition?
        var reconcileError: APIError?
        var resetStartTime = false
        if let failure {
            // The failed job's active pods are deleted; each counts as a failure.
            let (deleted, err) = await deletePods(job: job, pods: activePods, expect: false)
            for p in deleted { t.counted.insert(p.uid) }
            t.failed += deleted.count
            active -= deleted.count
            ready -= deleted.filter(Self.isReady).count
            if let err {
                reconcileError = err
            } else if satisfied {
                // Pods this controller created but the cache has not shown yet would be left
                // running: the Job is declared failed once the cache has caught up.
                finished = JobCondition(type: "Failed", status: "True", time: now, reason: failure.reason, message: failure.message)
            }
        } else {
            var manageCalled = false
            if satisfied && job.metadata.deletionTimestamp == nil {
                manageCalled = true
                let r = await manageJob(job: job, activePods: activePods, tracking: &t, now: now)
                active = r.active
                ready -= r.deletedReady
                if let w = r.wakeAt { wake(w) }
                reconcileError = r.error
            }
            let complete: Bool
            if let completions = job.spec.completions {
                complete = t.succeeded >= Int(completions) && active == 0
            } else {
                complete = t.succeeded > 0 && active == 0
            }
            if complete {
                finished = JobCondition(type: "Complete", status: "True", time: now, reason: Self.reasonCompletionsReached,
                                        message: Self.messageCompletionsReached)
            } else if manageCalled {
                if suspended {
                    if Self.ensureCondition(&status, type: "Suspended", status: "True", reason: "JobSuspended", message: "Job suspended", now: now) {
                        recorder.normal(job, "Suspended", "Job suspended")
                    }
                } else if Self.ensureCondition(&status, type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed", now: now) {
                    recorder.normal(job, "Resumed", "Job resumed")
                    // ActiveDeadlineSeconds counts the time the Job is continuously active.
                    status.startTime = now.wholeSeconds
                    resetStartTime = true
                }
            }
        }

        status.active = Int32(max(active, 0))
        status.ready = Int32(max(ready, 0))
        status.succeeded = Int32(t.succeeded)
        status.failed = Int32(t.failed)
        if let finished {
            var conditions = status.conditions ?? []
            if let i = conditions.firstIndex(where: { $0.type == finished.type }) {
                conditions[i] = finished
            } else {
                conditions.append(finished)
            }
            status.conditions = conditions
            if finished.type == "Complete" { status.completionTime = now.wholeSeconds }
        }
        tracking[job.uid] = t
        if status != oldStatus {
            job.status = status
            try await writeStatus(job, old: oldStatus, resetStartTime: resetStartTime)
        }
        if let finished {
            forget(jobUID: job.uid)
            expectations.delete(key)
            if finished.type == "Complete" {
                if let c = job.spec.completions, t.succeeded > Int(c) {
                    recorder.warning(job, "TooManySucceededPods", "Too many succeeded pods running after completion count reached")
                }
                recorder.normal(job, "Completed", "Job completed")
            } else {
                recorder.warning(job, finished.reason ?? "", finished.message ?? "")
            }
            wakeAt = nil
            if let ttl = job.spec.ttlSecondsAfterFinished { wake(now.adding(seconds: Double(ttl))) }
        }
        if let reconcileError { throw reconcileError }
        return requeue(key, at: wakeAt, now: now)
    }

    /// Adds the key to the queue at `at` exactly (when given) and reports the same delay.
    private func requeue(_ key: String, at: Timestamp?, now: Timestamp) -> ReconcileResult {
        guard let at else { return .done }
        let delay = at.seconds(since: now)
        guard delay > 0 else {
            queue.add(key)
            return .done
        }
        queue.add(key, after: delay)
        return ReconcileResult(requeueAfter: delay)
    }

    // MARK: - Counting finished pods

    /// Counts pods that finished since the last sync (by UID, once), including pods that left the
    /// cache uncounted, and updates the back-off record.
    private func countFinishedPods(job: Job, pods: [Pod], now: Timestamp) -> PodTracking {
        let removed = removedPods.removeValue(forKey: job.uid) ?? []
        var t: PodTracking
        if let existing = tracking[job.uid] {
            t = existing
        } else {
            let st = job.status ?? JobStatus()
            let countedBefore = Int(st.succeeded ?? 0) + Int(st.failed ?? 0)
            t = PodTracking(succeeded: Int(st.succeeded ?? 0), failed: Int(st.failed ?? 0), counted: [])
            if countedBefore > 0 {
                // A restarted controller: the status already counts what it shows; the pods
                // present and finished are taken as counted in it.
                var s = 0, f = 0
                for p in pods {
                    if p.phase == PodPhase.succeeded { s += 1; t.counted.insert(p.uid) }
                    else if Self.isPodFailed(p) { f += 1; t.counted.insert(p.uid) }
                }
                t.succeeded = max(t.succeeded, s)
                t.failed = max(t.failed, f)
            }
        }
        var newSucceeded: [Pod] = []
        var newFailed: [Pod] = []
        for p in pods where !t.counted.contains(p.uid) {
            if p.phase == PodPhase.succeeded {
                newSucceeded.append(p)
            } else if Self.isPodFailed(p) {
                newFailed.append(p)
            }
        }
        let present = Set(pods.map(\.uid))
        var removedUIDs = Set<String>()
        for p in removed where !t.counted.contains(p.uid) && !present.contains(p.uid) {
            // Gone before it was counted: a failure unless it had succeeded.
            removedUIDs.insert(p.uid)
            if p.phase == PodPhase.succeeded { newSucceeded.append(p) } else { newFailed.append(p) }
        }
        for p in newSucceeded { t.counted.insert(p.uid) }
        for p in newFailed { t.counted.insert(p.uid) }
        t.succeeded += newSucceeded.count
        t.failed += newFailed.count

        // `newBackoffRecord`.
        func finished(_ p: Pod) -> Timestamp { Self.finishedTime(p, now: now, removed: removedUIDs.contains(p.uid)) }
        if newSucceeded.isEmpty {
            if !newFailed.isEmpty {
                t.failuresAfterLastSuccess += newFailed.count
                let last = newFailed.map(finished).max()!
                if t.lastFailureTime == nil || last > t.lastFailureTime! { t.lastFailureTime = last }
            }
        } else {
            let lastSuccess = newSucceeded.map(finished).max()!
            let after = newFailed.map(finished).filter { $0 > lastSuccess }
            t.failuresAfterLastSuccess = after.count
            t.lastFailureTime = after.max()
        }
        return t
    }

    /// `isPodFailed`: Failed, or being deleted before it succeeded.
    static func isPodFailed(_ pod: Pod) -> Bool {
        if pod.phase == PodPhase.failed { return true }
        return pod.metadata.deletionTimestamp != nil && pod.phase != PodPhase.succeeded
    }

    /// `getFinishedTime`: the latest container finish (when every container terminated), else the
    /// Ready=False transition, else the deletion timestamp, else (for a pod removed without one, which
    /// upstream's tracking finalizer would have held until now) the time it was counted, else the
    /// creation time.
    static func finishedTime(_ pod: Pod, now: Timestamp, removed: Bool = false) -> Timestamp {
        let statuses = pod.status?.containerStatuses ?? []
        if !statuses.isEmpty {
            var latest: Timestamp?
            var all = true
            for s in statuses {
                guard let f = s.state?.terminated?.finishedAt else { all = false; break }
                if latest == nil || f > latest! { latest = f }
            }
            if all, let latest { return latest }
        }
        if let c = pod.status?.conditions?.first(where: { $0.type == "Ready" && $0.status == "False" }), let t = c.lastTransitionTime {
            return t
        }
        if let d = pod.metadata.deletionTimestamp { return d }
        if removed { return now }
        return pod.metadata.creationTimestamp ?? now
    }

    /// `getRemainingTime` of the back-off record: seconds until a replacement may be created.
    private static func backoffRemaining(_ t: PodTracking, now: Timestamp) -> Double {
        guard t.failuresAfterLastSuccess > 0, let last = t.lastFailureTime else { return 0 }
        var backoff = podFailureBackoff
        var i = 1
        while i < t.failuresAfterLastSuccess {
            backoff *= 2
            if backoff >= maxPodFailureBackoff { backoff = maxPodFailureBackoff; break }
            i += 1
        }
        let elapsed = now.seconds(since: last)
        return backoff < elapsed ? 0 : backoff - elapsed
    }

    /// `pastBackoffLimitOnFailure`: for restartPolicy OnFailure, the container restarts of the
    /// Pending and Running pods reach the limit (any restart when the limit is 0).
    static func pastBackoffLimitOnFailure(_ job: Job, pods: [Pod], backoffLimit: Int) -> Bool {
        guard job.spec.template.spec.restartPolicy == "OnFailure" else { return false }
        var restarts = 0
        for p in pods where p.phase == PodPhase.running || p.phase == PodPhase.pending {
            restarts += p.totalRestarts
        }
        return backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit
    }

    static func isReady(_ pod: Pod) -> Bool {
        pod.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) ?? false
    }

    /// `ensureJobConditionStatus`: sets or updates the condition; a False condition is never added
    /// where none was. Returns whether anything changed.
    static func ensureCondition(_ status: inout JobStatus, type: String, status value: String, reason: String, message: String,
                                now: Timestamp) -> Bool {
        var conditions = status.conditions ?? []
        if let i = conditions.firstIndex(where: { $0.type == type }) {
            let c = conditions[i]
            guard c.status != value || c.reason != reason || c.message != message else { return false }
            conditions[i] = JobCondition(type: type, status: value, time: now, reason: reason, message: message)
        } else {
            guard value != "False" else { return false }
            conditions.append(JobCondition(type: type, status: value, time: now, reason: reason, message: message))
        }
        status.conditions = conditions
        return true
    }

    // MARK: - manageJob

    private struct ManageResult {
        var active: Int
        var deletedReady = 0
        var wakeAt: Timestamp?
        var error: APIError?
    }

    /// `manageJob`: deletes all active pods of a suspended job, deletes surplus pods, or creates the
    /// missing ones (after the failure back-off) in slow-start batches.
    private func manageJob(job: Job, activePods: [Pod], tracking t: inout PodTracking, now: Timestamp) async -> ManageResult {
        var active = activePods.count
        if job.spec.suspend == true {
            let (deleted, err) = await deletePods(job: job, pods: activePods.sorted(by: Self.removalOrder), expect: true)
            return ManageResult(active: active - deleted.count, deletedReady: deleted.filter(Self.isReady).count, error: err)
        }
        let parallelism = Int(job.spec.parallelism ?? 1)
        let wantActive: Int
        if let completions = job.spec.completions {
            wantActive = max(0, min(Int(completions) - t.succeeded, parallelism))
        } else {
            wantActive = t.succeeded > 0 ? active : parallelism
        }
        let rmAtLeast = max(active - wantActive, 0)
        if rmAtLeast > 0 {
            let surplus = Array(activePods.sorted(by: Self.removalOrder).prefix(min(rmAtLeast, Self.maxPodCreateDeletePerSync)))
            let (deleted, err) = await deletePods(job: job, pods: surplus, expect: true)
            return ManageResult(active: active - deleted.count, deletedReady: deleted.filter(Self.isReady).count, error: err)
        }
        var diff = wantActive - active
        guard diff > 0 else { return ManageResult(active: active) }
        let remaining = Self.backoffRemaining(t, now: now)
        if remaining > 0 {
            return ManageResult(active: active, wakeAt: now.adding(seconds: max(remaining, syncBatchPeriod)))
        }
        diff = min(diff, Self.maxPodCreateDeletePerSync)
        let key = job.key
        for _ in 0..<diff { expectations.expect(key, .create, "") }
        var firstError: APIError?
        var batch = min(diff, 1)
        while diff > 0 {
            // The batch's creates run concurrently (one goroutine each upstream, then `wg.Wait()`).
            let results: [APIError?] = await concurrentMap(Array(0..<batch)) { (_: Int) -> APIError? in
                do throws(APIError) {
                    let created = try await self.client.create(self.newPod(job: job))
                    self.recorder.normal(job, "SuccessfulCreate", "Created pod: \(created.name)")
                    return nil
                } catch {
                    self.expectations.observe(key, .create, "")
                    self.recorder.warning(job, "FailedCreate", "Error creating: \(error.message)")
                    return error
                }
            }
            var batchFailed = false
            for r in results {
                guard let error = r else { active += 1; continue }
                if firstError == nil { firstError = error }
                batchFailed = true
            }
            diff -= batch
            if batchFailed {
                // The pods never attempted are not expected.
                for _ in 0..<diff { expectations.observe(key, .create, "") }
                break
            }
            batch = min(2 * batch, diff)
        }
        return ManageResult(active: active, error: firstError)
    }

    /// A pod from the job's template: generateName `<job>-`, the template's labels, annotations and
    /// finalizers, the controller owner reference; no nodeName (the scheduler binds it).
    func newPod(job: Job) -> Pod {
        let t = job.spec.template
        var meta = ObjectMeta()
        meta.namespace = job.namespace
        meta.generateName = "\(job.name)-"
        meta.labels = t.metadata?.labels
        meta.annotations = t.metadata?.annotations
        meta.finalizers = t.metadata?.finalizers
        meta.ownerReferences = [job.ownerReference()]
        return Pod(metadata: meta, spec: t.spec)
    }

    /// `controller.ActivePods` order: unassigned before assigned, Pending before Unknown before
    /// Running, not ready before ready, more restarts first, newer first.
    static func removalOrder(_ a: Pod, _ b: Pod) -> Bool {
        let aUnassigned = (a.spec.nodeName ?? "").isEmpty, bUnassigned = (b.spec.nodeName ?? "").isEmpty
        if aUnassigned != bUnassigned { return aUnassigned }
        func phaseRank(_ p: Pod) -> Int {
            switch p.phase {
            case PodPhase.pending: return 0
            case PodPhase.unknown: return 1
            case PodPhase.running: return 2
            default: return 3
            }
        }
        if phaseRank(a) != phaseRank(b) { return phaseRank(a) < phaseRank(b) }
        let aReady = isReady(a), bReady = isReady(b)
        if aReady != bReady { return !aReady }
        if a.totalRestarts != b.totalRestarts { return a.totalRestarts > b.totalRestarts }
        let ac = a.metadata.creationTimestamp, bc = b.metadata.creationTimestamp
        if ac != bc {
            guard let ac else { return true }
            guard let bc else { return false }
            return ac > bc
        }
        return a.name < b.name
    }

    /// Deletes pods (a NotFound counts as deleted); with `expect`, each deletion is expected.
    /// Returns the pods deleted and the first error.
    private func deletePods(job: Job, pods: [Pod], expect: Bool) async -> (deleted: [Pod], error: APIError?) {
        let key = job.key
        if expect { for _ in pods { expectations.expect(key, .delete, "") } }
        // Concurrently, one task per pod, as upstream.
        let results: [APIError?] = await concurrentMap(pods) { (pod: Pod) -> APIError? in
            do throws(APIError) {
                try await self.client.delete(Pod.self, namespace: pod.namespace, name: pod.name, uid: pod.uid)
                self.recorder.normal(job, "SuccessfulDelete", "Deleted pod: \(pod.name)")
                return nil
            } catch {
                if expect { self.expectations.observe(key, .delete, "") }
                if error.isNotFound { return nil }
                self.recorder.warning(job, "FailedDelete", "Error deleting: \(error.message)")
                return error
            }
        }
        var deleted: [Pod] = []
        var firstError: APIError?
        for (pod, r) in zip(pods, results) {
            if let r { if firstError == nil { firstError = r } } else { deleted.append(pod) }
        }
        return (deleted, firstError)
    }

    // MARK: - Status

    /// Writes the status computed from `old` (the cached status). A conflict is retried on a fresh
    /// read, up to 5 tries, merging rather than overwriting what the fresh object already has: the
    /// counts are this sync's, `startTime` stays unless this sync reset it, and only the conditions
    /// this sync changed are applied. A Job that is gone, replaced, or finished meanwhile is left alone.
    private func writeStatus(_ job: Job, old: JobStatus, resetStartTime: Bool) async throws {
        let status = job.status ?? JobStatus()
        let changedConditions = (status.conditions ?? []).filter { !(old.conditions ?? []).contains($0) }
        let _: Job? = try await client.retryOnConflict(job) { base, isRetry async throws(APIError) in
            guard isRetry else { return .written(try await client.updateStatus(base)) }
            guard base.uid == job.uid, base.finishedCondition == nil else { return .skip }
            var fresh = base
            var merged = fresh.status ?? JobStatus()
            merged.active = status.active
            merged.ready = status.ready
            merged.succeeded = status.succeeded
            merged.failed = status.failed
            if resetStartTime || merged.startTime == nil { merged.startTime = status.startTime }
            if status.completionTime != nil { merged.completionTime = status.completionTime }
            var conditions = merged.conditions ?? []
            for c in changedConditions {
                if let i = conditions.firstIndex(where: { $0.type == c.type }) { conditions[i] = c } else { conditions.append(c) }
            }
            merged.conditions = conditions.isEmpty ? nil : conditions
            fresh.status = merged
            return .written(try await client.updateStatus(fresh))
        }
    }

    // MARK: - TTL after finished

    /// The ttlafterfinished controller: deletes a finished Job `ttlSecondsAfterFinished` after its
    /// finish condition's transition, after a live read confirms it is still expired; until
    /// then the key comes back exactly at the expiry.
    private func reconcileTTL(_ job: Job, finished: JobCondition, now: Timestamp) async throws -> ReconcileResult {
        guard job.metadata.deletionTimestamp == nil, let expireAt = Self.ttlExpiry(job) else { return .done }
        if now < expireAt { return requeue(job.key, at: expireAt, now: now) }
        // The cached Job may be stale: check the live object before deleting.
        let fresh: Job
        do {
            fresh = try await client.get(Job.self, namespace: job.namespace, name: job.name)
        } catch {
            if error.isNotFound { return .done }
            throw error
        }
        guard fresh.uid == job.uid, fresh.metadata.deletionTimestamp == nil, let freshExpiry = Self.ttlExpiry(fresh) else { return .done }
        if now < freshExpiry { return requeue(job.key, at: freshExpiry, now: now) }
        do {
            try await client.delete(Job.self, namespace: fresh.namespace, name: fresh.name, uid: fresh.uid)
        } catch {
            if !error.isNotFound { throw error }
        }
        return .done
    }

    /// When a finished Job with `ttlSecondsAfterFinished` expires, if it is finished and has one.
    static func ttlExpiry(_ job: Job) -> Timestamp? {
        guard let ttl = job.spec.ttlSecondsAfterFinished, let c = job.finishedCondition, let at = c.lastTransitionTime else { return nil }
        return at.adding(seconds: Double(ttl))
    }
}
