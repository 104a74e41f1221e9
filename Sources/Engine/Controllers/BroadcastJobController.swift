import Foundation

/// Settings of the BroadcastJob controller (kruise-manager flags).
public struct BroadcastJobControllerOptions: Sendable {
    /// `--assign-bcj-pods-by-scheduler`: pods carry a required `metadata.name` node-affinity term
    /// and the scheduler binds them; when false, pods are created with `spec.nodeName`.
    public var assignPodsByScheduler: Bool = true
    /// A deliberate defect (mutation testing), or nil for the faithful controller.
    public var mutant: Mutant?
    public init(assignPodsByScheduler: Bool = true, mutant: Mutant? = nil) {
        self.assignPodsByScheduler = assignPodsByScheduler
        self.mutant = mutant
    }
}

/// OpenKruise's BroadcastJob controller (`pkg/controller/broadcastjob`), step for step as
/// shared/reference/broadcastjob.md section 3 describes, with this project's Decisions D-B1..D-B8.
///
/// One pod per node that fits the template; completion when every desired node's pod has ended;
/// parallelism with slow-start batches; active deadline; TTL; paused; failure policies.
public final class BroadcastJobController: Reconciler {
    public let name = "broadcastjob-controller"

    public static let labelJobName = "broadcastjob-name"
    public static let labelControllerUID = "broadcastjob-controller-uid"
    /// Annotation in which Pause (D-B4) records the failed pods it has already acted on: their
    /// UIDs, sorted and comma-separated. A failed pod not listed is a new failure and pauses again,
    /// even when the number of failed pods did not grow (an acknowledged one may have been removed).
    public static let annotationPausedFailures = "broadcastjob.kruise.io/pause-acknowledged-failures"

    let client: Client
    let cache: InformerCache
    let clock: Clock
    let recorder: EventRecorder
    public let expectations: ScaleExpectations
    public let queue: WorkQueue
    public var options: BroadcastJobControllerOptions

    public init(client: Client, cache: InformerCache, clock: Clock, recorder: EventRecorder, queue: WorkQueue,
                expectationTimeout: Double = 300, options: BroadcastJobControllerOptions = .init()) {
        self.client = client
        self.cache = cache
        self.clock = clock
        self.recorder = recorder
        self.queue = queue
        self.options = options
        self.expectations = ScaleExpectations(clock: clock, timeout: expectationTimeout, itemsAreSets: true)
        registerHandlers()
    }

    // MARK: - Event handlers (broadcastjob_event_handler.go)

    private func registerHandlers() {
        cache.broadcastJobs.addHandler { [unowned self] type, _, job in
            if type == .deleted {
                mockFitMemo[job.uid] = nil
                views[job.uid] = nil
                labeledMeta[job.uid] = nil
            }
            queue.add(job.key)
        }
        // Keep the per-job views current (before the handlers below enqueue).
        cache.pods.addHandler { [unowned self] type, old, pod in
            guard !views.isEmpty else { return }
            let before = old ?? (type == .deleted ? pod : nil)
            let after: Pod? = type == .deleted ? nil : pod
            let oldUID = before?.metadata.controllerUID
            let newUID = after?.metadata.controllerUID
            if let u = oldUID, let v = views[u] { v.podChanged(old: before, new: newUID == u ? after : nil) }
            if let u = newUID, u != oldUID, let v = views[u] { v.podChanged(old: nil, new: after) }
        }
        cache.nodes.addHandler { [unowned self] _, _, node in
            for v in views.values { v.nodeChanged(node.name) }
        }
        cache.pods.addHandler { [unowned self] type, old, pod in
            switch type {
            case .added:
                if pod.metadata.deletionTimestamp != nil {
                    podDeleted(pod)
                } else if let owner = Self.jobOwner(pod) {
                    let key = jobKey(pod.namespace, owner)
                    expectations.observe(key, .create, pod.spec.assignedNode)
                    queue.add(key)
                }
            case .modified:
                // Pods keep their owner: the old owner is looked at only when it differs.
                let owner = Self.jobOwner(pod)
                if let o = old, o.metadata.ownerReferences != pod.metadata.ownerReferences, let was = Self.jobOwner(o) {
                    queue.add(jobKey(o.namespace, was))
                }
                if let owner { queue.add(jobKey(pod.namespace, owner)) }
            case .deleted:
                podFitMemo[pod.uid] = nil
                podDeleted(pod)
            }
        }
        cache.nodes.addHandler { [unowned self] type, old, node in
            switch type {
            case .added:
                for job in cache.broadcastJobs.list() where mockPodFits(job, node) {
                    queue.add(job.key)
                }
            case .modified:
                guard let old, !Self.nodeUpdateIgnorable(old, node) else { return }
                for job in cache.broadcastJobs.list() where mockPodFits(job, old) != mockPodFits(job, node) {
                    queue.add(job.key)
                }
            case .deleted:
                // D-B7: node deletion enqueues the jobs that had a pod on that node.
                var keys = Set<String>()
                for pod in cache.pods.list(index: InformerCache.byAssignedNode, value: node.name) {
                    if let owner = Self.jobOwner(pod) { keys.insert(jobKey(pod.namespace, owner)) }
                }
                for k in keys.sorted() { queue.add(k) }
            }
        }
    }

    private func podDeleted(_ pod: Pod) {
        guard let owner = Self.jobOwner(pod) else { return }
        let key = jobKey(pod.namespace, owner)
        expectations.observe(key, .delete, pod.spec.assignedNode)
        queue.add(key)
    }

    /// A job's work-queue key, `namespace/name`, remembered for the last job asked about: every pod
    /// event formatted it afresh, and consecutive pod events are mostly one job's.
    private var lastJobKey: (namespace: String, name: String, key: String)?
    private func jobKey(_ namespace: String, _ name: String) -> String {
        if let last = lastJobKey, last.namespace == namespace, last.name == name { return last.key }
        let key = "\(namespace)/\(name)"
        lastJobKey = (namespace, name, key)
        return key
    }

    /// The name of the BroadcastJob controlling this pod (kind BroadcastJob, group apps.kruise.io), if any.
    static func jobOwner(_ pod: Pod) -> String? {
        guard let ref = pod.metadata.controllerRef, ref.kind == BroadcastJob.kind, ref.isInGroup(KruiseAPI.group) else { return nil }
        return ref.name
    }

    /// The node update is ignored when the set of True conditions is unchanged and nothing else
    /// but resourceVersion and conditions differs.
    static func nodeUpdateIgnorable(_ old: Node, _ new: Node) -> Bool {
        func trueConditions(_ n: Node) -> [String] {
            (n.status?.conditions ?? []).filter { $0.status == "True" }.map(\.type).sorted()
        }
        guard trueConditions(old) == trueConditions(new) else { return false }
        var a = old
        var b = new
        a.metadata.resourceVersion = nil
        b.metadata.resourceVersion = nil
        a.status?.conditions = nil
        b.status?.conditions = nil
        return a == b
    }

    /// Whether the job's mock pod (template spec bound to `node`) fits the node.
    func mockPodFits(_ job: BroadcastJob, _ node: Node) -> Bool {
        Self.mockPodFitFailure(job.spec.template.spec, node, mutant: options.mutant) == nil
    }

    /// `NewMockPod` + `checkNodeFitness`: the template with `nodeName` set to the node always
    /// passes the NodeName predicate, so it is skipped instead of copying the template.
    static func mockPodFitFailure(_ template: PodSpec, _ node: Node, mutant: Mutant? = nil) -> FitFailure? {
        NodeFitness.check(template, node: node, ignoringNodeName: true, ignoringNoScheduleTaints: mutant == .ignoreTaints)
    }

    // MARK: - Fitness memo

    /// Fitness results are pure functions of (template, node) and (pod spec, node); a reconcile
    /// re-checks every node, so they are memoized until the node's resourceVersion, the
    /// template, or the pod's generation changes. This keeps a reconcile of a job on N nodes
    /// at O(N) dictionary lookups instead of O(N) predicate evaluations.
    private var mockFitMemo = StringTable<(template: PodSpec, byNode: StringTable<(rv: String, fits: Bool)>)>()
    /// Incremental views of each job's pods and node roles, by job UID.
    private var views = StringTable<BroadcastJobView>()

    /// The job's view, built from the cache the first time it is needed.
    private func view(for job: BroadcastJob) -> BroadcastJobView {
        if let v = views[job.uid], v.name == job.name {
            if v.template != job.spec.template.spec { v.templateChanged(job.spec.template.spec) }
            return v
        }
        let v = BroadcastJobView(job: job)
        for p in cache.pods.list(index: InformerCache.byControllerUID, value: job.uid) { v.podChanged(old: nil, new: p) }
        views[job.uid] = v
        return v
    }
    private var podFitMemo = StringTable<(generation: Int64, nodeRV: String, fits: Bool)>()

    /// Step 3's template metadata, the job's two labels added, by job UID: kept while the job's
    /// name and template metadata are the ones it was made from (building it copied the label
    /// dictionary on every reconcile).
    private var labeledMeta = StringTable<(name: String, source: ObjectMeta?, labeled: ObjectMeta)>()

    private func labeledTemplateMetadata(_ job: BroadcastJob) -> ObjectMeta {
        let source = job.spec.template.metadata
        if let m = labeledMeta[job.uid], m.name == job.name, m.source == source { return m.labeled }
        var labeled = source ?? ObjectMeta()
        var labels = labeled.labels ?? [:]
        labels[Self.labelJobName] = job.name
        labels[Self.labelControllerUID] = job.uid
        labeled.labels = labels
        labeledMeta[job.uid] = (job.name, source, labeled)
        return labeled
    }

    private func mockFits(jobUID: String, template: PodSpec, node: Node) -> Bool {
        let rv = node.metadata.resourceVersion ?? ""
        if mockFitMemo[jobUID]?.template != template { mockFitMemo[jobUID] = (template, [:]) }
        if let hit = mockFitMemo[jobUID]!.byNode[node.name], hit.rv == rv { return hit.fits }
        let fits = Self.mockPodFitFailure(template, node, mutant: options.mutant) == nil
        mockFitMemo[jobUID]!.byNode[node.name] = (rv, fits)
        return fits
    }

    private func podFits(_ pod: Pod, node: Node) -> Bool {
        let rv = node.metadata.resourceVersion ?? ""
        let generation = pod.metadata.generation ?? 0
        if let hit = podFitMemo[pod.uid], hit.generation == generation, hit.nodeRV == rv { return hit.fits }
        let fits = NodeFitness.check(pod.spec, node: node, ignoringNoScheduleTaints: options.mutant == .ignoreTaints) == nil
        podFitMemo[pod.uid] = (generation, rv, fits)
        return fits
    }

    // MARK: - Reconcile (broadcastjob_controller.go)

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        let now = clock.now
        // 1. Get the job.
        guard var job = cache.broadcastJobs.get(key) else {
            expectations.delete(key)
            return .done
        }
        // 2. Expectations gate (D-B6: they expire and the reconcile proceeds). Mutant
        // no-expectations: the gate is open, as before kruise#449.
        if options.mutant != .noExpectations {
            switch expectations.check(key) {
            case .satisfied, .expired: break
            case .unsatisfied(let retryAfter): return ReconcileResult(requeueAfter: retryAfter)
            }
        }
        // 3. Labels on the template (in memory).
        job.spec.template.metadata = labeledTemplateMetadata(job)

        // 4. A finished job is only TTL-deleted, and a failed one's leftover pods deleted.
        if job.isFinished {
            // D-B11: pods a failed job could not delete when it failed (an API error) are deleted
            // now, the error returned for a retry with back-off; upstream only logs the error and
            // never deletes the failed job's pods again, so such a pod runs on.
            if job.status?.phase == BroadcastJobPhase.failed {
                let left = cache.pods.list(index: InformerCache.byControllerUID, value: job.uid)
                    .filter { !$0.isTerminal && $0.metadata.deletionTimestamp == nil }
                if !left.isEmpty, let err = await deletePods(job: job, pods: left).error, err.code != 404 { throw err }
            }
            if let ttl = job.spec.completionPolicy?.ttlSecondsAfterFinished, let done = job.status?.completionTime {
                let elapsed = now.seconds(since: done)
                if elapsed >= Double(ttl) {
                    do throws(APIError) {
                        try await client.delete(BroadcastJob.self, namespace: job.namespace, name: job.name, uid: job.uid)
                    } catch where error.code != 404 {
                        // D-B12: retried with back-off; upstream only logs a failed TTL delete, and
                        // the finished job then stays until something else enqueues it.
                        throw error
                    } catch {}
                    return .done
                }
                return ReconcileResult(requeueAfter: Double(ttl) - elapsed)
            }
            return .done
        }

        var status = job.status ?? BroadcastJobStatus()
        let policyType = job.completionPolicyType
        // 5. Start time; D-B2: the deadline wake-up is re-armed on every reconcile, for completionPolicy
        // Always only (as upstream arms it; the deadline itself, step 16, applies to any type but Never).
        var requeueAfter: Double = 0
        if status.startTime == nil { status.startTime = now.wholeSeconds }  // metav1.Time: whole seconds
        // Mutant deadline-not-rearmed: no wake-up at the deadline (kruise#1409).
        if policyType == "Always", options.mutant != .deadlineNotRearmed, let ads = job.spec.completionPolicy?.activeDeadlineSeconds {
            // `time.Duration(ads) * time.Second`: Go's int64 multiply wraps (documented in docs/semantics.md).
            requeueAfter = status.startTime!.adding(nanos: ads &* 1_000_000_000).seconds(since: now)
        }
        // 6. Phase.
        if (status.phase ?? "").isEmpty { status.phase = BroadcastJobPhase.running }

        // 7. Pods owned by this job (controller ownerRef kind + UID, and the job's labels), kept
        // in an incremental view (see BroadcastJobView) rather than re-listed.
        let template = job.spec.template.spec
        let view = view(for: job)
        // 8. Node -> pod map; the later pod in list order wins, the others raise a warning.
        for (pod, node) in view.duplicates() {
            recorder.warning(job, "DuplicatePodCreatedOnSameNode", "Duplicated pod \(pod) found on same node \(node)")
        }
        // 10. Classify.
        // Mutant restart-limit-off-by-one: `restarts >= limit`, i.e. `restarts > limit - 1`.
        let restartLimit = Int(job.spec.failurePolicy?.restartLimit ?? 0) - (options.mutant == .restartLimitOffByOne ? 1 : 0)
        var (active, failed, succeeded) = view.counts(restartLimit: restartLimit)
        func restartFailed(_ p: BroadcastJobView.PodInfo) -> Bool { p.live && p.onFailure && p.restarts > restartLimit }
        // 9 + 11. Nodes to run on: each node's role, recomputed where something changed. What
        // the closure reads of a pod, BroadcastJobView.podChanged must mark the node dirty for.
        view.refresh(nodes: cache.nodes) { node, podKey in
            if let podKey, let pod = cache.pods.get(podKey) {
                // D-B5: only a pod that is still running is removed from a node that stopped fitting.
                if !podFits(pod, node: node) && pod.metadata.deletionTimestamp == nil && !pod.isTerminal { return .deletePod }
                return pod.isActive ? .activePod : .donePod
            }
            return mockFits(jobUID: job.uid, template: template, node: node) ? .noPod : .notDesired
        }
        let desiredCount = view.desired
        // 12. Counts.
        status.active = Int32(active)
        status.failed = Int32(failed)
        status.succeeded = Int32(succeeded)
        status.desired = Int32(desiredCount)

        // 13. A failed (Never) job only refreshes its counts, and (D-B11) deletes the pods it could
        // not delete when it failed; upstream only writes the status here.
        if status.phase == BroadcastJobPhase.failed {
            let left = view.podKeys(where: { $0.live }).compactMap { cache.pods.get($0) }
            var deleteError: APIError?
            if !left.isEmpty {
                let activeUIDs = Set(view.podKeys(where: { $0.live && !restartFailed($0) }).map { view.pods[$0]!.uid })
                let (deleted, err) = await deletePods(job: job, pods: left)
                status.active -= Int32(deleted.filter { activeUIDs.contains($0.uid) }.count)
                if let err, err.code != 404 { deleteError = err }
            }
            job.status = status
            try await writeStatus(job)
            if let deleteError { throw deleteError }
            return ReconcileResult(requeueAfter: requeueAfter)
        }
        // 14. Paused.
        if job.spec.paused == true && (status.phase == BroadcastJobPhase.running || status.phase == BroadcastJobPhase.paused) {
            status.phase = BroadcastJobPhase.paused
            job.status = status
            try await writeStatus(job)
            return ReconcileResult(requeueAfter: requeueAfter)
        }
        if job.spec.paused != true && status.phase == BroadcastJobPhase.paused {
            status.phase = BroadcastJobPhase.running
            try await recordUnpause(&job, status: status)
        }
        // 15. Failure policy.
        var jobFailed = false
        var failureReason = ""
        var failureMessage = ""
        if failed > 0 {
            switch job.spec.failurePolicy?.type ?? "" {
            case "Pause":
                // D-B4: persisted, once per transition, only for failures not already acted on.
                let acknowledged = Set((job.metadata.annotations?[Self.annotationPausedFailures] ?? "").split(separator: ",").map(String.init))
                let failedPodUIDs = view.podKeys(where: { $0.failedPhase || restartFailed($0) }).map { view.pods[$0]!.uid }
                if failedPodUIDs.contains(where: { !acknowledged.contains($0) }) {
                    return try await pauseForFailure(job: job, status: status, failedPodUIDs: failedPodUIDs, requeueAfter: requeueAfter)
                }
            case "FailFast":
                jobFailed = true
                failureReason = "failed pod is found"
                failureMessage = "failure policy is FailurePolicyTypeFailFast and failed pod is found"
                recorder.warning(job, failureReason, "\(failureMessage): \(succeeded) pods succeeded, \(failed) pods failed")
            default:
                break
            }
        }
        // 16. Active deadline.
        if !jobFailed, policyType != "Never", let ads = job.spec.completionPolicy?.activeDeadlineSeconds,
           let start = status.startTime, now.nanos(since: start) >= ads &* 1_000_000_000 {
            jobFailed = true
            failureReason = "DeadlineExceeded"
            failureMessage = "Job \(job.namespace)/\(job.name) was active longer than specified deadline"
        }

        var reconcileError: Error?
        if jobFailed {
            // 17 + D-B8: no pod of a failed job is left running.
            let nonTerminalPods = view.podKeys(where: { $0.live }).compactMap { cache.pods.get($0) }
            let activeUIDs = Set(view.podKeys(where: { $0.live && !restartFailed($0) }).map { view.pods[$0]!.uid })
            let (deleted, err) = await deletePods(job: job, pods: nonTerminalPods)
            active -= deleted.filter { activeUIDs.contains($0.uid) }.count
            if let err { reconcileError = err }
            status.phase = BroadcastJobPhase.failed
            requeueAfter = finish(&status, type: "Failed", message: failureMessage, job: job, now: now)
            recorder.warning(job, failureReason, "\(failureMessage): \(succeeded) pods succeeded, \(failed) pods failed")
        } else {
            // 18a. Pods on nodes that stopped fitting.
            let podsToDelete = view.nodesToDeleteOn().compactMap { view.winner(on: $0) }.compactMap { cache.pods.get($0) }
            if !podsToDelete.isEmpty {
                let activeUIDs = Set(view.podKeys(where: { $0.live && !restartFailed($0) }).map { view.pods[$0]!.uid })
                let (deleted, err) = await deletePods(job: job, pods: podsToDelete)
                active -= deleted.filter { activeUIDs.contains($0.uid) }.count
                if let err { reconcileError = err }
            }
            // 18b. Create the missing pods.
            let restCount = view.count(.noPod)
            if job.metadata.deletionTimestamp == nil && restCount > 0 {
                // The pods created before a failing batch stay counted (D-B1 drops only the failed ones).
                let created = await reconcilePods(job: job, restCount: restCount, restNodes: { view.restNodes($0, nodes: cache.nodes) },
                                            active: active, desired: desiredCount)
                active = created.active
                // As upstream, reconcilePods' result replaces a deletion error from 18a (`active, err =
                // r.reconcilePods(...)`): that error is then only logged, and the requeue stands.
                reconcileError = created.error
            }
            // 18c. Complete?
            // Every desired node (as computed before this pass's creations) has a pod, none active.
            if policyType != "Never" && desiredCount > 0 && restCount == 0 && view.count(.activePod) == 0 {
                status.phase = BroadcastJobPhase.completed
                requeueAfter = finish(&status, type: "Complete", message: "Job completed, \(succeeded) pods succeeded, \(failed) pods failed", job: job, now: now)
                recorder.normal(job, "JobComplete", "Job \(job.namespace)/\(job.name) is completed, \(succeeded) pods succeeded, \(failed) pods failed")
            }
        }
        // 19. Write the status.
        status.active = Int32(max(active, 0))
        status.failed = Int32(failed)
        job.status = status
        try await writeStatus(job)
        if let reconcileError { throw reconcileError }
        return ReconcileResult(requeueAfter: requeueAfter)
    }

    /// `isPodFailed`: an OnFailure pod whose restarts exceed the limit.
    static func isPodFailed(_ pod: Pod, restartLimit: Int) -> Bool {
        pod.spec.restartPolicy == "OnFailure" && pod.totalRestarts > restartLimit
    }

    /// `finishJob`: appends the condition, sets completionTime, returns the requeue (ttl+1 s, or 0).
    private func finish(_ status: inout BroadcastJobStatus, type: String, message: String, job: BroadcastJob, now: Timestamp) -> Double {
        var conditions = status.conditions ?? []
        conditions.append(JobCondition(type: type, status: "True", time: now, reason: type, message: message))
        status.conditions = conditions
        status.completionTime = now.wholeSeconds
        if let ttl = job.spec.completionPolicy?.ttlSecondsAfterFinished { return Double(ttl) + 1 }
        return 0
    }

    /// D-B4: Pause is written to the stored spec, with the failed pods it acted on. The `Paused`
    /// event marks the transition, so it is not recorded again when the stored job turns out to be
    /// paused already (a pass that ran on a cache older than our own pause).
    private func pauseForFailure(job: BroadcastJob, status: BroadcastJobStatus, failedPodUIDs: [String], requeueAfter: Double) async throws -> ReconcileResult {
        func paused(_ base: BroadcastJob) -> BroadcastJob {
            var f = base
            f.spec.paused = true
            var a = f.metadata.annotations ?? [:]
            var acknowledged = Set(failedPodUIDs)
            if base.spec.paused == true {
                acknowledged.formUnion((a[Self.annotationPausedFailures] ?? "").split(separator: ",").map(String.init))
            }
            a[Self.annotationPausedFailures] = acknowledged.sorted().joined(separator: ",")
            f.metadata.annotations = a
            return f
        }
        // The cached object, not `job`: its template carries labels added in memory only.
        var stored = cache.broadcastJobs.get(job.key) ?? job
        stored.metadata.resourceVersion = job.metadata.resourceVersion  // ours may be newer (recordUnpause)
        var wasPaused = false
        let written: BroadcastJob = try await client.retryOnConflict(stored) { base, isRetry async throws(APIError) in
            if isRetry { wasPaused = base.spec.paused == true }
            return .written(try await client.update(paused(base)))
        }!
        if !wasPaused {
            recorder.warning(job, "Paused", "job is paused, due to failed pod")
        }
        var withStatus = written
        withStatus.status = status
        withStatus.status!.phase = BroadcastJobPhase.paused
        try await writeStatus(withStatus)
        return ReconcileResult(requeueAfter: requeueAfter)
    }

    /// The unpause transition (phase paused -> running) is written at once, before pods are
    /// created, and the `Continue` event is recorded only if this pass made the transition. A pass
    /// that runs on a cache that has not yet seen the transition (its pod events arrived first)
    /// finds the stored phase already running and records nothing. On success, `job` carries the
    /// new resourceVersion so the pass's final status write does not conflict with its own write.
    private func recordUnpause(_ job: inout BroadcastJob, status: BroadcastJobStatus) async throws {
        var toWrite = job
        toWrite.status = status
        let written: BroadcastJob? = try await client.retryOnConflict(toWrite) { base, isRetry async throws(APIError) in
            guard isRetry else { return .written(try await client.updateStatus(base)) }
            // Already running in the store: another pass made the transition and recorded Continue.
            guard base.status?.phase == BroadcastJobPhase.paused else { return .skip }
            var f = base
            f.status = status
            if let start = base.status?.startTime { f.status?.startTime = start }
            return .written(try await client.updateStatus(f))
        }
        guard let written else { return }
        job.metadata.resourceVersion = written.metadata.resourceVersion
        recorder.normal(job, "Continue", "continue to process job")
    }

    /// D-B3: a status update that conflicts is retried (re-read, re-apply) up to 5 tries.
    ///
    /// A conflict means the status was computed from a cache older than the stored job, so the
    /// re-applied status keeps what must never go back: a `startTime` already set is kept, and a
    /// job the store already shows finished is not overwritten (its conditions and completionTime
    /// stand; the conflict is then returned, and the next pass starts from the newer cache).
    private func writeStatus(_ job: BroadcastJob) async throws {
        let status = job.status
        let _: BroadcastJob? = try await client.retryOnConflict(job) { base, isRetry async throws(APIError) in
            guard isRetry else { return .written(try await client.updateStatus(base)) }
            if base.isFinished { return .abandon }
            var f = base
            f.status = status
            if let start = base.status?.startTime { f.status?.startTime = start }
            return .written(try await client.updateStatus(f))
        }
    }

    // MARK: - Pods

    /// `reconcilePods`: creates pods for the first nodes without one, within parallelism, in
    /// slow-start batches. Returns the new active count, which counts every pod created even when
    /// a later creation failed (D-B1: failed creations are not active), and the first error.
    private func reconcilePods(job: BroadcastJob, restCount: Int, restNodes nodesFor: (Int) -> [Node], active: Int, desired: Int) async -> (active: Int, error: APIError?) {
        let parallelismValue = job.spec.parallelism ?? .int(Int32.max)
        let parallelism: Int
        do {
            parallelism = try parallelismValue.scaledValue(total: desired, roundUp: true)
        } catch {
            return (active, APIError(code: 400, reason: .badRequest, message: error.description))
        }
        var active = active
        if active > parallelism {
            recorder.warning(job, "TooManyActivePods", "Number of active pods exceed parallelism limit")
            return (active, nil)
        }
        if active == parallelism { return (active, nil) }
        let diff = min(parallelism - active, restCount)
        let restNodes = nodesFor(diff)
        let key = job.key
        var batch = 1
        var index = 0
        var firstError: APIError?
        while index < diff {
            let end = min(index + batch, diff)
            // One task per pod of the batch, as upstream's goroutines; the batch ends when all
            // have returned (`wg.Wait()`). Only the client's token bucket limits them.
            let results: [APIError?] = await concurrentMap(Array(restNodes[index..<end])) { (node: Node) -> APIError? in
                self.expectations.expect(key, .create, node.name)
                let pod = self.newPod(job: job, node: node.name)
                do throws(APIError) {
                    let created = try await self.client.create(pod)
                    self.recorder.normal(job, "SuccessfulCreate", "Created pod: \(created.name)")
                    return nil
                } catch {
                    self.expectations.observe(key, .create, node.name)
                    self.recorder.warning(job, "FailedCreate", "Error creating: \(error.message)")
                    return error
                }
            }
            var batchErrors = 0
            for r in results {
                guard let error = r else { active += 1; continue }
                // As upstream: a Timeout may still create the pod, so it is neither counted, nor
                // returned, nor a reason to stop the slow start.
                if error.isTimeout { continue }
                // Mutant create-errors-counted-active: the goroutine falls through to `active++` (kruise#2414).
                if options.mutant == .createErrorsCountedActive { active += 1 }
                batchErrors += 1
                if firstError == nil { firstError = error }
            }
            index = end
            if batchErrors > 0 { break }
            batch = min(batch * 2, diff - index)
            if batch == 0 { break }
        }
        return (active, firstError)
    }

    /// `createPod`'s pod: template labels, annotations, finalizers; generateName `<job>-`;
    /// the controller owner reference; bound by node affinity (scheduler mode) or nodeName.
    func newPod(job: BroadcastJob, node: String) -> Pod {
        let t = job.spec.template
        var meta = ObjectMeta()
        meta.namespace = job.namespace
        meta.generateName = "\(job.name)-"
        meta.labels = t.metadata?.labels
        meta.annotations = t.metadata?.annotations
        meta.finalizers = t.metadata?.finalizers
        meta.ownerReferences = [job.ownerReference()]
        var spec = t.spec
        if options.assignPodsByScheduler {
            var affinity = spec.affinity ?? Affinity()
            var na = affinity.nodeAffinity ?? NodeAffinity()
            na.requiredDuringSchedulingIgnoredDuringExecution = NodeSelector(nodeSelectorTerms: [
                NodeSelectorTerm(matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [node])])
            ])
            affinity.nodeAffinity = na
            spec.affinity = affinity
        } else {
            spec.nodeName = node
        }
        return Pod(metadata: meta, spec: spec)
    }

    /// `deleteJobPods`; returns the pods deleted and the first error.
    private func deletePods(job: BroadcastJob, pods: [Pod]) async -> (deleted: [Pod], error: APIError?) {
        let key = job.key
        // Concurrently, as upstream's goroutine per pod.
        let results: [APIError?] = await concurrentMap(pods) { (pod: Pod) -> APIError? in
            let node = pod.spec.assignedNode
            self.expectations.expect(key, .delete, node)
            do throws(APIError) {
                try await self.client.delete(Pod.self, namespace: pod.namespace, name: pod.name, uid: pod.uid)
                self.recorder.normal(job, "SuccessfulDelete", "Delete pod: \(pod.name)")
                return nil
            } catch {
                self.expectations.observe(key, .delete, node)
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
}
