import Foundation

/// OpenKruise's AdvancedCronJob controller (`pkg/controller/advancedcronjob`), as
/// shared/reference/advancedcronjob.md section 2 describes it, with this project's Decisions D-A1..D-A10.
///
/// On every reconcile of an AdvancedCronJob (ACJ) it:
/// 1. lists the children of the template's kind (batch/v1 `Job` for `jobTemplate`, apps.kruise.io/v1beta1
///    `BroadcastJob` otherwise) controlled by this ACJ, classifies them, and writes `status.type`,
///    `status.active` (rebuilt from the unfinished children) and `status.lastScheduleTime` (D-A1: persisted,
///    never moved backward; the maximum of the stored value and the children's `apps.kruise.io/scheduled-at`);
/// 2. prunes finished children beyond the history limits (failed first, then succeeded, oldest start first);
/// 3. stops when paused (no requeue);
/// 4. searches the missed start times from `max(lastScheduleTime or creationTimestamp, now − startingDeadlineSeconds)`
///    to `now`, and runs only the latest (D-A2: more than 100 is a warning, not a terminal state);
/// 5. applies the concurrency policy (Allow, Forbid, Replace), creates the child `<name>-<unix seconds>`, and
///    persists `lastScheduleTime` (D-A1);
/// 6. asks to come back exactly at the next fire time (D-A5: `next(now) − now`, no padding).
///
/// Events are recorded with upstream CronJob v2's reasons and messages (D-A6). Status writes are retried on
/// conflict, up to 5 tries (D-A9). A schedule that cannot be parsed or has no fire time within five years gets a
/// Warning `InvalidSchedule` and no requeue (D-A8).
///
/// - Complexity: a reconcile lists the ACJ's children through the `controllerName` index (O(k log k) for k
///   children) and calls the cron `next` once per missed slot, at most 101 times; beyond that the latest missed
///   slot is found by a doubling search back from `now` (O(log gap) calls).
public final class AdvancedCronJobController: Reconciler {
    public let name = "advancedcronjob-controller"

    /// The annotation holding a child's scheduled time, RFC 3339 at whole seconds with the offset of the
    /// controller's local zone (D-A7), as Go's `Format(time.RFC3339)` writes a time in `time.Local`.
    public static let annotationScheduledAt = "apps.kruise.io/scheduled-at"
    /// More missed start times than this is reported with `TooManyMissedTimes` (D-A2).
    public static let maxMissedStartTimes = 100

    /// D-A6 and D-A8 messages.
    public enum Message {
        public static let invalidSchedule = "unparseable schedule or no fire time within 5 years"
        public static let tooManyMissedTimes =
            "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
        public static let jobAlreadyActive =
            "Not starting job because prior execution is running and concurrency policy is Forbid"
        public static func created(_ name: String) -> String { "Created job \(name)" }
        public static func deleted(_ name: String) -> String { "Deleted job \(name)" }
        public static func sawCompleted(_ name: String, _ type: String) -> String {
            "Saw completed job: \(name), status: \(type)"
        }
        public static func missSchedule(_ time: Timestamp) -> String {
            "Missed scheduled time to start a job: \(time.rfc3339)"
        }
        public static func failedCreate(_ error: Error) -> String { "Error creating job: \(error)" }
        public static func unexpectedJob(_ name: String) -> String {
            "Saw a job that the controller did not create or forgot: \(name)"
        }
    }

    let client: Client
    let cache: InformerCache
    let clock: Clock
    let recorder: EventRecorder
    public let queue: WorkQueue
    /// The controller manager's local zone (D-A7): the zone of a schedule with neither `timeZone` nor a
    /// `TZ=`/`CRON_TZ=` prefix.
    public let localTimeZone: TimeZone
    /// A deliberate defect (mutation testing): `rerun-deleted-children` is the one this controller honours.
    public var mutant: Mutant?

    /// Per ACJ key: the uid and the names of the children this controller last saw (or made) active, so that
    /// `SawCompletedJob` is recorded once per child. Lost on restart; then the persisted `status.active` serves.
    private var lastSeenActive: [String: (uid: String, names: Set<String>)] = [:]

    public init(client: Client, cache: InformerCache, clock: Clock, recorder: EventRecorder, queue: WorkQueue,
                localTimeZone: TimeZone) {
        self.client = client
        self.cache = cache
        self.clock = clock
        self.recorder = recorder
        self.queue = queue
        self.localTimeZone = localTimeZone
        registerHandlers()
    }

    // MARK: - Event handlers

    private func registerHandlers() {
        // Every ACJ event, unfiltered (the controller's own status writes retrigger it; a no-op write has no event).
        cache.advancedCronJobs.addHandler { [unowned self] _, _, acj in queue.add(acj.key) }
        // D-A4: create and update of a child Job or BroadcastJob enqueue its controlling ACJ; deletes are dropped
        // (openkruise/kruise#2218).
        cache.broadcastJobs.addHandler { [unowned self] type, old, job in
            enqueueOwner(type, old: old?.metadata, new: job.metadata, namespace: job.namespace)
        }
        cache.jobs.addHandler { [unowned self] type, old, job in
            enqueueOwner(type, old: old?.metadata, new: job.metadata, namespace: job.namespace)
        }
    }

    private func enqueueOwner(_ type: WatchEventType, old: ObjectMeta?, new: ObjectMeta, namespace: String) {
        guard type != .deleted else { return }
        if let old, let owner = Self.controllingCronJob(old) { queue.add("\(namespace)/\(owner.name)") }
        if let owner = Self.controllingCronJob(new) { queue.add("\(namespace)/\(owner.name)") }
    }

    /// The controller owner reference when it points at an AdvancedCronJob (group apps.kruise.io).
    static func controllingCronJob(_ meta: ObjectMeta) -> OwnerReference? {
        guard let ref = meta.controllerRef, ref.kind == AdvancedCronJob.kind, ref.isInGroup(KruiseAPI.group) else {
            return nil
        }
        return ref
    }

    // MARK: - Children

    enum ChildKind {
        case job
        case broadcastJob

        /// `FindTemplateKind`: jobTemplate, else BroadcastJob (imageListPullJob templates are rejected at
        /// admission, D-A10).
        init(_ acj: AdvancedCronJob) {
            self = acj.spec.template.jobTemplate != nil ? .job : .broadcastJob
        }

        var statusType: String {
            switch self {
            case .job: return "Job"
            case .broadcastJob: return "BroadcastJob"
            }
        }
    }

    /// What the controller needs to know of one child, whatever its kind.
    struct Child {
        var name: String
        var reference: ObjectReference
        /// `Complete` or `Failed`: the first such condition with status True; nil while active.
        var finished: String?
        var scheduledAt: Timestamp?
        var startTime: Timestamp?

        init<T: KubeObject>(_ object: T, conditions: [JobCondition]?, startTime: Timestamp?) {
            name = object.name
            reference = object.objectReference
            finished = conditions?.first(where: { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" })?.type
            scheduledAt = object.metadata.annotations?[AdvancedCronJobController.annotationScheduledAt]
                .flatMap { Timestamp(rfc3339: $0) }
            self.startTime = startTime
        }
    }

    /// The children of `kind` whose controller reference names this ACJ (kind, group and name, as upstream's
    /// `.metadata.controller` field index: the owner's uid is not compared, so the children of a deleted ACJ of
    /// the same name count until the garbage collector removes them), in name order.
    func children(of acj: AdvancedCronJob, kind: ChildKind) -> [Child] {
        let value = "\(acj.namespace)/\(AdvancedCronJob.kind)/\(acj.name)"
        func owned(_ meta: ObjectMeta) -> Bool {
            Self.controllingCronJob(meta)?.name == acj.name
        }
        switch kind {
        case .job:
            return cache.jobs.list(index: InformerCache.byControllerName, value: value)
                .filter { owned($0.metadata) }
                .map { Child($0, conditions: $0.status?.conditions, startTime: $0.status?.startTime) }
        case .broadcastJob:
            return cache.broadcastJobs.list(index: InformerCache.byControllerName, value: value)
                .filter { owned($0.metadata) }
                .map { Child($0, conditions: $0.status?.conditions, startTime: $0.status?.startTime) }
        }
    }

    // MARK: - Reconcile

    public func reconcile(_ key: String) async throws -> ReconcileResult {
        let now = clock.now
        // 1. Get the ACJ.
        guard var acj = cache.advancedCronJobs.get(key) else {
            lastSeenActive[key] = nil
            return .done
        }
        // 2. Template kind.
        let kind = ChildKind(acj)

        // 3. Children: classify; SawCompletedJob for those this controller saw active.
        let seen = previouslyActive(acj)
        var active: [Child] = []
        var succeeded: [Child] = []
        var failed: [Child] = []
        var lastScheduled = acj.status?.lastScheduleTime
        var lastScheduledChild: Timestamp?
        for child in children(of: acj, kind: kind) {
            if let s = child.scheduledAt {
                lastScheduled = Self.later(lastScheduled, s)
                lastScheduledChild = Self.later(lastScheduledChild, s)
            }
            switch child.finished {
            case nil:
                active.append(child)
                if !seen.contains(child.name) {
                    // CronJob v2: an unfinished child missing from status.active (created by someone else, or
                    // by this controller just before a crash that lost the status write).
                    recorder.warning(acj, "UnexpectedJob", Message.unexpectedJob(child.name))
                }
            case let type?:
                if type == "Complete" { succeeded.append(child) } else { failed.append(child) }
                if seen.contains(child.name) {
                    recorder.normal(acj, "SawCompletedJob", Message.sawCompleted(child.name, type))
                }
            }
        }

        // 4 + 5. Status, as the children were before this reconcile's deletions and creation. D-A1: the stored
        // lastScheduleTime only moves forward; D-A9: retried on conflict.
        var activeRefs = active.map(\.reference)
        acj = try await writeStatus(acj, type: kind.statusType, active: activeRefs, lastScheduleTime: lastScheduled)
        remember(acj, active: activeRefs)

        // 6. History, best effort: failed, then succeeded.
        await prune(acj, kind: kind, failed, limit: acj.spec.failedJobsHistoryLimit)
        await prune(acj, kind: kind, succeeded, limit: acj.spec.successfulJobsHistoryLimit)

        // 7. Paused: no new children and no requeue.
        if acj.spec.paused == true { return .done }

        // 8. The schedule (D-A7: the controller's zone unless the ACJ names one). D-A8: unparseable.
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule.parse(formatSchedule(acj.spec), defaultZone: localTimeZone)
        } catch {
            recorder.warning(acj, "InvalidSchedule", Message.invalidSchedule)
            return .done
        }

        // 9. Missed start times (D-A1: from the persisted lastScheduleTime; D-A2: more than 100 is a warning).
        // Mutant rerun-deleted-children: the search starts from the children's latest scheduled time
        // only, as before D-A1 (kruise#2213, #862): once they are deleted, the last slot runs again.
        let (scheduled, tooMany) = mutant == .rerunDeletedChildren
            ? mostRecentMissed(schedule, acj: acj, lastScheduleTime: lastScheduledChild, now: now)
            : mostRecentMissed(schedule, acj: acj, now: now)
        let nextFire = schedule.next(afterUnixSeconds: now.unixSeconds)
        var requeue = ReconcileResult.done
        if let nextFire {
            // D-A5: exactly at the next slot.
            requeue = ReconcileResult(requeueAfter: Self.secondsUntil(fire: nextFire, now: now))
        } else {
            // D-A8: no fire time within five years: reported, not looped on.
            recorder.warning(acj, "InvalidSchedule", Message.invalidSchedule)
        }
        if tooMany { recorder.warning(acj, "TooManyMissedTimes", Message.tooManyMissedTimes) }
        guard let scheduled else { return requeue }
        let scheduledTime = Timestamp(unixSeconds: scheduled)

        // 10. Too late: unreachable (the search starts at now − SDS), kept as upstream.
        if let sds = acj.spec.startingDeadlineSeconds, scheduledTime.adding(nanos: Self.goSeconds(sds)) < now {
            recorder.warning(acj, "MissSchedule", Message.missSchedule(scheduledTime))
            return requeue
        }

        // 11. Concurrency policy.
        switch acj.spec.concurrencyPolicy ?? "Allow" {
        case "Forbid" where !active.isEmpty:
            recorder.normal(acj, "JobAlreadyActive", Message.jobAlreadyActive)
            return requeue
        case "Replace":
            for child in active {
                do {
                    try await deleteChild(child, kind: kind, namespace: acj.namespace)
                    recorder.normal(acj, "SuccessfulDelete", Message.deleted(child.name))
                } catch let error as APIError where error.isNotFound {
                    // Already gone.
                }
                activeRefs.removeAll { $0.name == child.name }
            }
        default:
            break
        }

        // 12. Create the child for the scheduled time.
        let childName = Self.childName(acj.name, scheduled: scheduled)
        let createdRef: ObjectReference
        do {
            createdRef = try await createChild(acj, kind: kind, name: childName, scheduled: scheduledTime)
        } catch let error as APIError {
            // Upstream returns every create error (a rate-limited retry) and records nothing: the slot is not
            // claimed. An AlreadyExists (the name is taken, by an earlier run this cache does not show yet or by
            // someone else's object) is retried silently, as CronJob v2 does; any other error is reported with
            // CronJob v2's FailedCreate (D-A6), e.g. a child the BroadcastJob webhook rejects.
            if !error.isAlreadyExists {
                recorder.warning(acj, "FailedCreate", Message.failedCreate(error))
            }
            throw error
        }
        recorder.normal(acj, "SuccessfulCreate", Message.created(childName))
        activeRefs.append(createdRef)
        remember(acj, active: activeRefs)  // made here, so never "unexpected", even if the status write fails
        // D-A1: lastScheduleTime is persisted at creation.
        acj = try await writeStatus(acj, type: kind.statusType, active: activeRefs, lastScheduleTime: scheduledTime)
        remember(acj, active: activeRefs)
        return requeue
    }

    // MARK: - Schedule

    /// `formatSchedule` (§2.6): a schedule containing `TZ` is used verbatim; otherwise a loadable `timeZone` is
    /// prefixed as `TZ=<zone> `; an unloadable one is ignored.
    func formatSchedule(_ spec: AdvancedCronJobSpec) -> String {
        Self.formatSchedule(spec, localTimeZone: localTimeZone)
    }

    static func formatSchedule(_ spec: AdvancedCronJobSpec, localTimeZone: TimeZone) -> String {
        if spec.schedule.contains("TZ") { return spec.schedule }
        if let tz = spec.timeZone, case .success = GoLocation.load(tz, local: localTimeZone) {
            return "TZ=\(tz) \(spec.schedule)"
        }
        return spec.schedule
    }

    /// The first fire time of an AdvancedCronJob's schedule strictly after `time`, as this
    /// controller reads the schedule (time zone rules included); nil when it never fires.
    /// kruise logs it as "sleeping until next now … and next run …".
    /// A fire time past 2262 saturates at `Timestamp.max`; `nextRunSeconds` gives the exact second.
    public static func nextRun(of acj: AdvancedCronJob, after time: Timestamp, localTimeZone: TimeZone) -> Timestamp? {
        nextRunSeconds(of: acj, after: time, localTimeZone: localTimeZone).map { Timestamp(unixSeconds: $0) }
    }

    /// `nextRun` in Unix seconds, exact even past 2262 (`@every 2100000h`).
    public static func nextRunSeconds(of acj: AdvancedCronJob, after time: Timestamp, localTimeZone: TimeZone) -> Int64? {
        guard let schedule = try? CronSchedule.parse(formatSchedule(acj.spec, localTimeZone: localTimeZone), defaultZone: localTimeZone) else { return nil }
        return schedule.next(afterUnixSeconds: time.unixSeconds)
    }

    /// `getNextSchedule` (§2.4) with D-A1 and D-A2: the latest fire time in (earliest, now], where earliest is
    /// `max(lastScheduleTime or creationTimestamp, now − startingDeadlineSeconds)`, and whether more than 100
    /// fire times were missed.
    func mostRecentMissed(_ schedule: CronSchedule, acj: AdvancedCronJob, now: Timestamp) -> (Int64?, Bool) {
        mostRecentMissed(schedule, acj: acj, lastScheduleTime: acj.status?.lastScheduleTime, now: now)
    }

    func mostRecentMissed(_ schedule: CronSchedule, acj: AdvancedCronJob, lastScheduleTime: Timestamp?, now: Timestamp) -> (Int64?, Bool) {
        var earliest = lastScheduleTime ?? acj.metadata.creationTimestamp ?? now
        if let sds = acj.spec.startingDeadlineSeconds {
            let deadline = now.adding(nanos: -1_000_000_000 &* sds)  // `-time.Second * time.Duration(sds)`, wrapping
            if deadline > earliest { earliest = deadline }
        }
        if earliest > now { return (nil, false) }
        let nowSeconds = now.unixSeconds  // fire times are whole seconds: t ≤ now ⇔ t ≤ floor(now)
        var latest: Int64?
        var starts = 0
        var t = schedule.next(afterUnixSeconds: earliest.unixSeconds)
        while let fire = t, fire <= nowSeconds {
            latest = fire
            starts += 1
            if starts > Self.maxMissedStartTimes {
                return (Self.latestFire(schedule, onOrBefore: nowSeconds, atLeast: fire), true)
            }
            t = schedule.next(afterUnixSeconds: fire)
        }
        return (latest, false)
    }

    /// The latest fire time ≤ `now`, given that `known` ≤ `now` is a fire time: what iterating `next` from `known`
    /// would end on, found without visiting every slot in between.
    static func latestFire(_ schedule: CronSchedule, onOrBefore now: Int64, atLeast known: Int64) -> Int64 {
        var start = known
        switch schedule {
        case .constantDelay(let d):
            // next(x) = x + d: the grid is anchored at `known`.
            return known + ((now - known) / d) * d
        case .spec:
            // Probe back from now, doubling, until a fire time ≤ now follows the probe.
            var back: Int64 = 64
            while now - back > known {
                if let t = schedule.next(afterUnixSeconds: now - back), t <= now {
                    start = max(t, known)
                    break
                }
                back *= 2
            }
        }
        var latest = start
        while let t = schedule.next(afterUnixSeconds: latest), t <= now { latest = t }
        return latest
    }

    // MARK: - Writes

    /// `<acj-name>-<scheduled unix seconds>`.
    static func childName(_ acjName: String, scheduled: Int64) -> String { "\(acjName)-\(scheduled)" }

    /// Builds and creates the child; returns its reference for `status.active`.
    private func createChild(_ acj: AdvancedCronJob, kind: ChildKind, name: String, scheduled: Timestamp) async throws
        -> ObjectReference
    {
        func meta(_ template: ObjectMeta?) -> ObjectMeta {
            var m = ObjectMeta(name: name, namespace: acj.namespace, labels: template?.labels)
            var annotations = template?.annotations ?? [:]
            annotations[Self.annotationScheduledAt] = scheduled.rfc3339(in: localTimeZone)
            m.annotations = annotations
            m.ownerReferences = [acj.ownerReference()]
            return m
        }
        switch kind {
        case .job:
            guard let template = acj.spec.template.jobTemplate else { throw TemplateMissing(acj: acj.key) }
            return try await client.create(Job(metadata: meta(template.metadata), spec: template.spec)).objectReference
        case .broadcastJob:
            guard let template = acj.spec.template.broadcastJobTemplate else { throw TemplateMissing(acj: acj.key) }
            return try await client.create(BroadcastJob(metadata: meta(template.metadata), spec: template.spec)).objectReference
        }
    }

    /// An ACJ without a jobTemplate or broadcastJobTemplate (admission normally rejects it).
    struct TemplateMissing: Error, CustomStringConvertible {
        var acj: String
        var description: String {
            "AdvancedCronJob \(acj): spec.template has neither jobTemplate nor broadcastJobTemplate"
        }
    }

    private func deleteChild(_ child: Child, kind: ChildKind, namespace: String) async throws {
        switch kind {
        case .job: try await client.delete(Job.self, namespace: namespace, name: child.name, uid: nil)
        case .broadcastJob: try await client.delete(BroadcastJob.self, namespace: namespace, name: child.name, uid: nil)
        }
    }

    /// §2.3: deletes the oldest finished children beyond `limit` (nil start time first, ties by name).
    /// Best effort: errors are dropped.
    private func prune(_ acj: AdvancedCronJob, kind: ChildKind, _ group: [Child], limit: Int32?) async {
        guard let limit, group.count > Int(max(limit, 0)) else { return }
        let sorted = group.sorted { a, b in
            switch (a.startTime, b.startTime) {
            case (nil, nil): return a.name < b.name
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): return x != y ? x < y : a.name < b.name
            }
        }
        for child in sorted.prefix(group.count - Int(max(limit, 0))) {
            do {
                try await deleteChild(child, kind: kind, namespace: acj.namespace)
                recorder.normal(acj, "SuccessfulDelete", Message.deleted(child.name))
            } catch {
                // Logged upstream, never retried.
            }
        }
    }

    /// D-A9: writes the status, re-reading and re-applying on conflict, up to 5 tries; the error of the last try
    /// is thrown. `lastScheduleTime` never moves backward (D-A1). Returns the object as written.
    private func writeStatus(_ acj: AdvancedCronJob, type: String, active: [ObjectReference],
                             lastScheduleTime: Timestamp?) async throws -> AdvancedCronJob {
        func applied(_ base: AdvancedCronJob) -> AdvancedCronJob {
            var o = base
            var status = o.status ?? AdvancedCronJobStatus()
            status.type = type
            status.active = active.isEmpty ? nil : active
            status.lastScheduleTime = Self.later(status.lastScheduleTime, lastScheduleTime)
            o.status = status
            return o
        }
        return try await client.retryOnConflict(acj) { base, isRetry async throws(APIError) in
            if isRetry && base.uid != acj.uid { throw APIError.notFound("advancedcronjobs", acj.name) }
            return .written(try await client.updateStatus(applied(base)))
        }!
    }

    // MARK: - Helpers

    private func previouslyActive(_ acj: AdvancedCronJob) -> Set<String> {
        if let entry = lastSeenActive[acj.key], entry.uid == acj.uid { return entry.names }
        return Set((acj.status?.active ?? []).compactMap(\.name))
    }

    private func remember(_ acj: AdvancedCronJob, active: [ObjectReference]) {
        lastSeenActive[acj.key] = (acj.uid, Set(active.compactMap(\.name)))
    }

    static func later(_ a: Timestamp?, _ b: Timestamp?) -> Timestamp? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }

    /// `nextRun.Sub(now)` in seconds: Go's `Time.Sub` saturates at the largest `time.Duration`
    /// (2562047h47m16.854775807s), and a fire time can lie past 2262 (`@every 2100000h`), beyond Int64 nanoseconds.
    static func secondsUntil(fire: Int64, now: Timestamp) -> Double {
        let (fireNanos, overflow) = fire.multipliedReportingOverflow(by: 1_000_000_000)
        if !overflow {
            let (d, o) = fireNanos.subtractingReportingOverflow(now.nanos)
            if !o { return Double(d) / 1e9 }
        }
        let whole = Double(fire) - Double(now.unixSeconds)
        let ahead = whole - Double(now.nanos - Timestamp(unixSeconds: now.unixSeconds).nanos) / 1e9
        return min(ahead, 9_223_372_036.854775807)
    }

    /// `time.Second * time.Duration(seconds)` as Go computes it: an int64 multiply that wraps past about
    /// 292 years (a huge startingDeadlineSeconds wraps as upstream does; see docs/semantics.md).
    static func goSeconds(_ seconds: Int64) -> Int64 { seconds &* 1_000_000_000 }
}
