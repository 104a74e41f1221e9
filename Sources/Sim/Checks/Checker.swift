import Foundation
import Engine

/// The result of one `expect` entry.
public struct CheckResult: Sendable {
    public var location: SourceLocation
    public var time: Timestamp
    public var subject: String
    public var passed: Bool
    /// One line per field: what was expected and what was found.
    public var details: [String]
}

/// An invariant that did not hold.
public struct Violation: Sendable {
    public var invariant: String
    /// When it was first seen.
    public var time: Timestamp
    public var message: String
    public var objects: [String]
    /// For a violation that persisted over several checks (statusConsistent): the last check
    /// that still saw it, and how many checks did. A persisting violation is reported once.
    public var until: Timestamp? = nil
    public var checks: Int = 1
}

/// Watches invariants after every batch of events and evaluates expectations at their times.
///
/// Invariants are maintained incrementally from the API server's change feed, so a check
/// after each batch costs what changed, not the size of the cluster.
final class Checker {
    unowned let sim: Simulation
    var results: [CheckResult] = []
    var violations: [Violation] = []
    /// Invariants set to `violated` that were violated.
    var demandedViolations: Set<String> = []
    var actionErrors: [ActionError] = []
    private var reported = StringSet()

    // onePodPerNode: owner uid → node → live pod names
    private var livePods = StringTable<StringTable<KeySet>>()
    private var ownerNames = StringTable<String>()
    private var crowded = StringSet()  // "uid|node"
    // deadline / ttl / restart-limit tracking
    // Job key → its deadline (start + activeDeadlineSeconds) or its TTL expiry (completion +
    // ttlSecondsAfterFinished), for jobs that have one; nothing can be late before that instant,
    // so afterBatch looks a job up only once it has passed.
    private var deadlineJobs = StringTable<Timestamp>()
    private var ttlJobs = StringTable<Timestamp>()
    private var overLimit = StringTable<Timestamp>()  // pod key → first seen over the limit
    // Keys of FailFast BroadcastJobs whose restartLimit is negative (not validated upstream):
    // only under those can a pod that never restarted be over its limit.
    private var negativeLimitJobs = StringSet()
    private var dueExpectations: [Int64: [Expectation]] = [:]

    /// The scenario's invariant modes, read once (the scenario is fixed for the run).
    private let modes: [String: InvariantMode]

    init(sim: Simulation) {
        self.sim = sim
        modes = sim.scenario.invariants
    }

    private func mode(of invariant: String) -> InvariantMode { modes[invariant] ?? .on }

    private func active(_ name: String) -> Bool { mode(of: name) != .off }

    /// The reaction bound R for N writes, with the allowance of the faults in force (docs/faults.md).
    func reactionBound(writes n: Int) -> Double {
        1 + 2 * sim.maxWatchDelay + Double(n) / sim.settings.clientQPS + sim.faults.allowance(maxWatchDelay: sim.maxWatchDelay)
    }

    /// Reports a violation once per key; returns its index in `violations` when it was added
    /// (not when the scenario demands the violation).
    @discardableResult
    private func violate(_ invariant: String, once key: String, _ message: String, objects: [String]) -> Int? {
        guard active(invariant), !reported.contains(invariant + "|" + key) else { return nil }
        reported.insert(invariant + "|" + key)
        if mode(of: invariant) == .violated {
            demandedViolations.insert(invariant)
            sim.tell("invariant \(invariant) violated, as the scenario demands: \(message)")
            return nil
        }
        violations.append(Violation(invariant: invariant, time: sim.kernel.now, message: message, objects: objects))
        sim.tell("INVARIANT \(invariant) VIOLATED: \(message)")
        return violations.count - 1
    }

    // MARK: Change feed

    func observe(_ c: APIServer.Change) {
        switch c.object {
        case .pod(let p):
            podChanged(old: c.old.flatMap(Pod.unwrap), new: p, deleted: c.type == .deleted)
            if c.type == .deleted {
                // A Terminating pod of a BroadcastJob goes: its controller sees that a watch delay later.
                if terminatingSince.removeValue(forKey: p.key) != nil, let ref = p.metadata.controllerRef, ref.kind == BroadcastJob.kind {
                    terminatedAt[ref.uid] = c.time
                }
            }
            else if p.metadata.deletionTimestamp != nil, c.old.flatMap(Pod.unwrap)?.metadata.deletionTimestamp == nil { terminatingSince[p.key] = c.time }
        case .broadcastJob(let j):
            let key = j.key
            if c.type != .deleted, j.spec.failurePolicy?.type == "FailFast", (j.spec.failurePolicy?.restartLimit ?? 0) < 0 {
                negativeLimitJobs.insert(key)
            } else {
                negativeLimitJobs.remove(key)
            }
            if c.type == .deleted {
                deadlineJobs[key] = nil; ttlJobs[key] = nil
            } else {
                scheduleDueChecks(old: c.old.flatMap(BroadcastJob.unwrap), new: j)
                if let ads = j.spec.completionPolicy?.activeDeadlineSeconds, j.completionPolicyType != "Never", let start = j.status?.startTime {
                    deadlineJobs[key] = start.adding(seconds: Double(ads))
                } else {
                    deadlineJobs[key] = nil
                }
                if let ttl = j.spec.completionPolicy?.ttlSecondsAfterFinished, j.isFinished, let done = j.status?.completionTime {
                    ttlJobs[key] = done.adding(seconds: Double(max(ttl, 0)))
                } else {
                    ttlJobs[key] = nil
                }
            }
            ownerNames[j.uid] = "BroadcastJob \(j.name)"
        case .job(let j):
            ownerNames[j.uid] = "Job \(j.name)"
            if c.type == .added, active("cronOnTime") { checkCronChild(meta: j.metadata, kind: "Job") }
        case .advancedCronJob(let a):
            if c.type != .deleted, active("cronOnTime") { watchSlots(a) }
        default:
            break
        }
        if case .broadcastJob(let j) = c.object, c.type == .added, active("cronOnTime") { checkCronChild(meta: j.metadata, kind: "BroadcastJob") }
    }

    /// Invariants with a time limit must be judged when the limit passes even if nothing else
    /// happens then: wake the kernel just after each bound (and again for N-write bounds).
    private func scheduleDueChecks(old: BroadcastJob?, new j: BroadcastJob) {
        func wake(at t: Timestamp) {
            let base = reactionBound(writes: 0)
            sim.kernel.schedule(at: t.adding(seconds: base + 0.001)) {}
            sim.kernel.schedule(at: t.adding(seconds: base + Double(max(1, Int(j.status?.desired ?? 1))) / sim.settings.clientQPS + 0.001)) {}
        }
        if let start = j.status?.startTime, old?.status?.startTime != start, let ads = j.spec.completionPolicy?.activeDeadlineSeconds {
            wake(at: start.adding(seconds: Double(ads)))
        }
        if let done = j.status?.completionTime, old?.status?.completionTime != done, let ttl = j.spec.completionPolicy?.ttlSecondsAfterFinished {
            wake(at: done.adding(seconds: Double(max(ttl, 0))))
        }
    }

    private func counted(_ p: Pod) -> (uid: String, node: String)? {
        // The pod's own fields before its owner: a finished or unbound pod reads no owner.
        guard let node = p.spec.nodeName, !node.isEmpty, !p.isTerminal, p.metadata.deletionTimestamp == nil,
              let uid = p.metadata.withControllerRef({ $0.kind == BroadcastJob.kind || $0.kind == Job.kind ? $0.uid : nil }) else { return nil }
        return (uid, node)
    }

    private func podChanged(old: Pod?, new: Pod, deleted: Bool) {
        let was = old.flatMap(counted), now = deleted ? nil : counted(new)
        if let c = was, let n = now, c == n {
            // Still counted for the same job and node (most updates): the set is unchanged.
            if (livePods[c.uid]?[c.node]?.count ?? 0) >= 2 { crowded.insert("\(c.uid)|\(c.node)") }
        } else {
            countedChanged(old: old, was: was, new: new, now: now)
        }
        podFitAndRestartChecks(old: old, new: new, deleted: deleted)
    }

    private func countedChanged(old: Pod?, was: (uid: String, node: String)?, new: Pod, now: (uid: String, node: String)?) {
        // Each in one lookup of the job's entry and one of the node's. Empty entries go, or a
        // day of jobs would keep one per job and node.
        if let o = old, let c = was {
            func remove(_ byNode: inout StringTable<KeySet>?) {
                guard byNode != nil else { return }
                KeySet.remove(o.key, from: &byNode![c.node])
                if byNode!.isEmpty { byNode = nil }
            }
            remove(&livePods[c.uid])
        }
        if let c = now {
            if KeySet.insert(new.key, into: &livePods[c.uid, default: [:]][c.node, default: KeySet()]) >= 2 { crowded.insert("\(c.uid)|\(c.node)") }
        }
    }

    private func podFitAndRestartChecks(old: Pod?, new: Pod, deleted: Bool) {
        // podsOnFitNodes: at binding (or creation with nodeName), the node must fit the job's template.
        // The binding test first: most writes are of pods bound before, and need no owner read.
        if !deleted, (old?.spec.nodeName ?? "").isEmpty, let node = new.spec.nodeName, !node.isEmpty,
           let ref = new.metadata.controllerRef, ref.kind == BroadcastJob.kind, active("podsOnFitNodes") {
            if case .broadcastJob(let job)? = sim.server.get(.broadcastJob, new.namespace, ref.name), job.uid == ref.uid {
                let assigned = new.spec.assignedNode
                if assigned != node {
                    violate("podsOnFitNodes", once: new.key, "pod \(new.name) of BroadcastJob \(job.name) was meant for node \(assigned) but is bound to \(node)", objects: ["Pod/\(new.namespace)/\(new.name)", "Node/\(node)"])
                } else if case .node(let n)? = sim.server.get(.node, "", node), var spec = Optional(job.spec.template.spec) {
                    spec.nodeName = node
                    // A binding is judged on the node as the scheduler saw it when it chose it: its
                    // cache lags the API server, as kube-scheduler's does, so a node tainted (say,
                    // unreachable) a moment before the binding can still be chosen.
                    let seen = old == nil ? nil : sim.scheduler?.scheduler.bindingDecidedOn[new.key]
                    if let why = NodeFitness.check(spec, node: n), seen.map({ NodeFitness.check(spec, node: $0) != nil }) ?? true {
                        violate("podsOnFitNodes", once: new.key, "pod \(new.name) of BroadcastJob \(job.name) is bound to node \(node), which does not fit the job's template: \(why)", objects: ["Pod/\(new.namespace)/\(new.name)", "Node/\(node)"])
                    }
                }
            }
        }
        // restartLimitHonored bookkeeping
        if deleted || new.isTerminal || new.metadata.deletionTimestamp != nil {
            if !overLimit.isEmpty { overLimit[new.key] = nil }
        } else if new.spec.restartPolicy == "OnFailure", new.totalRestarts > 0 || !negativeLimitJobs.isEmpty,
                let ref = new.metadata.controllerRef, ref.kind == BroadcastJob.kind,
                case .broadcastJob(let job)? = sim.server.get(.broadcastJob, new.namespace, ref.name),
                (job.spec.failurePolicy?.type ?? "") == "FailFast",
                new.totalRestarts > Int(job.spec.failurePolicy?.restartLimit ?? 0), overLimit[new.key] == nil {
            overLimit[new.key] = sim.kernel.now
            let n = Double(max(1, (livePods[ref.uid] ?? [:]).values.reduce(0) { $0 + $1.count }))
            sim.kernel.schedule(at: sim.kernel.now.adding(seconds: reactionBound(writes: 0) + n / sim.settings.clientQPS + 0.001)) {}
        }
    }

    private func checkCronChild(meta: ObjectMeta, kind: String) {
        guard let ref = meta.controllerRef, ref.kind == AdvancedCronJob.kind,
              let s = meta.annotations?["apps.kruise.io/scheduled-at"], let scheduled = Timestamp(rfc3339: s),
              let created = meta.creationTimestamp else { return }
        createdSlots.insert("\(ref.uid)@\(scheduled.unixSeconds)")
        // A slot already reported as missed is not reported again for being late.
        if reported.contains("cronOnTime|slot \(ref.uid)@\(scheduled.unixSeconds)") { return }
        let r = reactionBound(writes: 1) + sim.injector.crashDowntime(since: scheduled)
        let late = created.seconds(since: scheduled)
        if late > r && !sim.controllerManager.wasDown(at: scheduled) && !blockedByForbid(owner: ref, namespace: meta.namespace ?? "", scheduled: scheduled, child: meta.name ?? "") {
            violate("cronOnTime", once: "\(meta.namespace ?? "")/\(meta.name ?? "")",
                    "\(kind) \(meta.name ?? "") of AdvancedCronJob \(ref.name) was created at \(created), \(formatSeconds(late)) after its scheduled time \(scheduled) (bound \(formatSeconds(r)))",
                    objects: ["AdvancedCronJob/\(meta.namespace ?? "")/\(ref.name)", "\(kind)/\(meta.namespace ?? "")/\(meta.name ?? "")"])
        }
    }

    // MARK: cronOnTime: slots that never got a child

    /// Scheduled instants (uid@unix seconds) for which a child was created.
    private var createdSlots = StringSet()
    /// The slot each AdvancedCronJob (by uid) is being watched for.
    private var watchedSlot = StringTable<Int64>()

    /// Follows an AdvancedCronJob's schedule: each fire time gets a check R after it. `@every`
    /// schedules are left to the lateness check (their grid moves with each reconcile).
    private func watchSlots(_ acj: AdvancedCronJob, after: Timestamp? = nil) {
        guard !acj.spec.schedule.hasPrefix("@every"), !acj.spec.schedule.contains("@every") else { return }
        let zone = TimeZone(identifier: sim.settings.timeZone) ?? TimeZone(identifier: "UTC")!
        let from = max(after ?? sim.kernel.now, acj.metadata.creationTimestamp ?? sim.kernel.now)
        guard let next = AdvancedCronJobController.nextRun(of: acj, after: from, localTimeZone: zone) else { return }
        if let w = watchedSlot[acj.uid], w <= next.unixSeconds, w > from.unixSeconds { return }
        watchedSlot[acj.uid] = next.unixSeconds
        let key = acj.key, uid = acj.uid
        sim.kernel.schedule(at: next.adding(seconds: reactionBound(writes: 1) + 0.001)) { [weak self] in
            self?.checkSlot(acjKey: key, uid: uid, slot: next)
        }
    }

    private func checkSlot(acjKey: String, uid: String, slot: Timestamp) {
        guard case .advancedCronJob(let acj)? = sim.server.get(.advancedCronJob, key: acjKey), acj.uid == uid,
              watchedSlot[uid] == slot.unixSeconds else { return }
        let created = createdSlots.contains("\(uid)@\(slot.unixSeconds)")
        // A crash since the slot left the controller that much less time: look again when the
        // bound, moved by its downtime, has passed (as deadlineHonored and ttlHonored do).
        let r = reactionBound(writes: 1) + sim.injector.crashDowntime(since: slot)
        if !created, sim.kernel.now <= slot.adding(seconds: r) {
            sim.kernel.schedule(at: slot.adding(seconds: r).adding(seconds: 0.001)) { [weak self] in
                self?.checkSlot(acjKey: acjKey, uid: uid, slot: slot)
            }
            return
        }
        watchedSlot[uid] = nil
        defer { watchSlots(acj, after: slot) }
        if created { return }
        if acj.spec.paused == true || sim.controllerManager.wasDown(at: slot) { return }
        let ref = OwnerReference(apiVersion: AdvancedCronJob.defaultAPIVersion, kind: AdvancedCronJob.kind, name: acj.name, uid: uid)
        if blockedByForbid(owner: ref, namespace: acj.namespace, scheduled: slot, child: "") { return }
        var message = "AdvancedCronJob \(acj.name) created no child for its scheduled time \(slot) within \(formatSeconds(r)) (expected \(acj.name)-\(slot.unixSeconds))"
        message += whyNoChild(acj, since: slot).map { ": \($0)" } ?? "; no Warning event on the AdvancedCronJob says why"
        violate("cronOnTime", once: "slot \(uid)@\(slot.unixSeconds)", message, objects: ["AdvancedCronJob/\(acjKey)"])
    }

    /// Why a slot got no child, as the controller told it: the latest Warning event recorded on
    /// the AdvancedCronJob since the slot (such as `FailedCreate` with the admission message
    /// that rejected the child), `REASON: MESSAGE`, with how many such events there were.
    func whyNoChild(_ acj: AdvancedCronJob, since slot: Timestamp) -> String? {
        let warnings = cronWarnings[acj.key] ?? []
        guard let latest = warnings.last else { return nil }
        let recent = warnings.filter { $0.time >= slot }
        let last = recent.last ?? latest
        let same = (recent.isEmpty ? warnings : recent).filter { $0.reason == last.reason }.count
        let what = "\(last.reason)\(same > 1 ? " (\(same) times)" : ""): \(last.message)"
        if !recent.isEmpty { return what }
        // The controller is waiting out the back-off of a failing retry: the cause is the last warning.
        return "no new Warning since the slot (the controller is backing off its retries); the last, at +\(formatSeconds(last.time.seconds(since: sim.scenario.start))): \(what)"
    }

    /// Under concurrencyPolicy Forbid a slot waits while an earlier child is still running:
    /// that late run is the policy, not a timing fault.
    private func blockedByForbid(owner: OwnerReference, namespace: String, scheduled: Timestamp, child: String) -> Bool {
        guard case .advancedCronJob(let acj)? = sim.server.get(.advancedCronJob, namespace, owner.name), acj.spec.concurrencyPolicy == "Forbid" else { return false }
        func blocks(_ meta: ObjectMeta, finishedAt: Timestamp?) -> Bool {
            guard meta.name != child, meta.controllerRef?.uid == owner.uid, let c = meta.creationTimestamp, c < scheduled else { return false }
            return finishedAt.map { $0 > scheduled } ?? true
        }
        for j in sim.server.list(BroadcastJob.self) where blocks(j.metadata, finishedAt: j.isFinished ? j.status?.completionTime : nil) { return true }
        for j in sim.server.list(Job.self) where blocks(j.metadata, finishedAt: j.finishedCondition == nil ? nil : (j.status?.completionTime ?? j.finishedCondition?.lastTransitionTime)) { return true }
        return false
    }

    // MARK: After each batch

    func afterBatch() {
        let now = sim.kernel.now
        if !crowded.isEmpty, active("onePodPerNode") {
            for key in crowded.sorted() {
                let parts = key.split(separator: "|").map(String.init)
                let pods = (livePods[parts[0]]?[parts[1]] ?? KeySet()).sorted()
                if pods.count >= 2 {
                    violate("onePodPerNode", once: key, "\(ownerNames[parts[0]] ?? parts[0]) has \(pods.count) running pods on node \(parts[1]): \(pods.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", "))",
                            objects: pods.map { "Pod/\($0)" } + ["Node/\(parts[1])"])
                }
            }
        }
        if !crowded.isEmpty { crowded.removeAll() }
        if active("deadlineHonored"), deadlineJobs.values.contains(where: { now > $0 }) {
            for (key, at) in deadlineJobs.sorted(by: { $0.key < $1.key }) where now > at {
                guard case .broadcastJob(let j)? = sim.server.get(.broadcastJob, key: key), let start = j.status?.startTime,
                      let ads = j.spec.completionPolicy?.activeDeadlineSeconds else { continue }
                let deadline = start.adding(seconds: Double(ads))
                let down = sim.injector.crashDowntime(since: deadline)
                guard now > deadline.adding(seconds: reactionBound(writes: 0) + down) else { continue }
                let live = (livePods[j.uid] ?? [:]).values.flatMap { $0.sorted() }.sorted()
                if !live.isEmpty, now > deadline.adding(seconds: reactionBound(writes: live.count) + down), !waitsForDeletion(ownerUID: j.uid, now: now) {
                    violate("deadlineHonored", once: key, "BroadcastJob \(j.name) passed its activeDeadlineSeconds (\(ads)s from \(start)) but \(live.count) pod(s) still run: \(live.prefix(5).map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", "))",
                            objects: ["BroadcastJob/\(key)"] + live.prefix(5).map { "Pod/\($0)" })
                }
            }
        }
        if active("ttlHonored"), ttlJobs.values.contains(where: { now > $0 }) {
            for (key, at) in ttlJobs.sorted(by: { $0.key < $1.key }) where now > at {
                guard case .broadcastJob(let j)? = sim.server.get(.broadcastJob, key: key), j.isFinished, let done = j.status?.completionTime,
                      let ttl = j.spec.completionPolicy?.ttlSecondsAfterFinished else { continue }
                // A negative TTL is accepted upstream (no webhook or schema check) and means
                // "already past": the job is due for deletion when it finishes.
                let expiry = done.adding(seconds: Double(max(ttl, 0)))
                let due = expiry.adding(seconds: reactionBound(writes: 1) + sim.injector.crashDowntime(since: expiry))
                // Upstream's Reconcile returns on unsatisfied scale expectations before its TTL
                // check too, so a finished job that waits to see a pod deletion is not deleted.
                if now > due, !waitsForDeletion(ownerUID: j.uid, now: now) {
                    violate("ttlHonored", once: key, "BroadcastJob \(j.name) finished at \(done) with ttlSecondsAfterFinished \(ttl) but still exists at \(now)", objects: ["BroadcastJob/\(key)"])
                }
            }
        }
        if active("restartLimitHonored"), !overLimit.isEmpty {
            for (podKey, since) in overLimit.sorted(by: { $0.key < $1.key }) {
                guard case .pod(let p)? = sim.server.get(.pod, key: podKey), let ref = p.metadata.controllerRef else { continue }
                let n = (livePods[ref.uid] ?? [:]).values.reduce(0) { $0 + $1.count }
                if now > since.adding(seconds: reactionBound(writes: n) + sim.injector.crashDowntime(since: since)), !waitsForDeletion(ownerUID: ref.uid, now: now) {
                    violate("restartLimitHonored", once: podKey, "pod \(p.name) of FailFast BroadcastJob \(ref.name) exceeded its restartLimit at \(since) (\(p.totalRestarts) restarts) and still runs at \(now)",
                            objects: ["Pod/\(podKey)", "BroadcastJob/\(p.namespace)/\(ref.name)"])
                }
            }
        }
        if active("statusConsistent") {
            let next = sim.kernel.nextTime
            if (next == nil || next!.seconds(since: now) >= 1) && sim.controllerManager.isIdle { checkStatusConsistent() }
        }
        if !dueExpectations.isEmpty, let due = dueExpectations.removeValue(forKey: now.nanos) {
            for e in due { results.append(evaluate(e)) }
        }
    }

    // MARK: statusConsistent

    /// When each pod got its deletionTimestamp (pods that still exist).
    private var terminatingSince = StringTable<Timestamp>()
    /// When a Terminating pod of each BroadcastJob (by uid) last went.
    private var terminatedAt = StringTable<Timestamp>()
    /// Pods (namespace/name) the BroadcastJob controller deleted, from its SuccessfulDelete events.
    private var deletedByJobController = StringSet()
    /// An open statusConsistent violation per job key: it is reported once, with the time range
    /// over which the checks kept seeing it.
    private var inconsistent = StringTable<(index: Int?, since: Timestamp, message: String)>()

    // MARK: What the checks keep of the recorded events (the run does not hold them)

    /// Warning events on each AdvancedCronJob (by namespace/name), in order: why a slot got no child.
    private var cronWarnings: [String: [RecordedEvent]] = [:]
    /// For each `events` expectation's filter, how many recorded events matched it so far.
    private lazy var eventCounts: [(filter: EventFilter, count: Int)] = {
        var counts: [(filter: EventFilter, count: Int)] = []
        for e in sim.scenario.expectations {
            if case .events(let reason, let object, let type, _) = e.subject {
                let f = EventFilter(reason: reason, object: object, type: type)
                if !counts.contains(where: { $0.filter == f }) { counts.append((f, 0)) }
            }
        }
        return counts
    }()

    struct EventFilter: Equatable {
        var reason: String
        var object: ObjectRef?
        var type: String?
        func matches(_ ev: RecordedEvent) -> Bool {
            ev.reason == reason && (type == nil || ev.type == type!) &&
                (object == nil || (ev.kind == object!.kind.rawValue && ev.name == object!.name && (!object!.kind.namespaced || ev.namespace == object!.namespace)))
        }
    }

    /// Takes what the checks need from a recorded event, as it is recorded.
    func recorded(_ e: RecordedEvent) {
        if e.type == "Warning", e.kind == AdvancedCronJob.kind { cronWarnings["\(e.namespace)/\(e.name)", default: []].append(e) }
        if e.kind == BroadcastJob.kind, e.reason == "SuccessfulDelete", e.message.hasPrefix("Delete pod: ") {
            deletedByJobController.insert("\(e.namespace)/\(e.message.dropFirst("Delete pod: ".count))")
        }
        for i in eventCounts.indices where eventCounts[i].filter.matches(e) { eventCounts[i].count += 1 }
    }

    /// The pod whose deletion the job's controller is still waiting to observe, if any: a pod it
    /// deleted that still exists (Terminating; its kubelet has not confirmed, e.g. the node is
    /// down). Upstream's pod event handlers count a deletion only when the pod is gone (Update
    /// does not look at deletionTimestamp), so each reconcile returns early on the unsatisfied
    /// delete expectation and the status is not written, for up to the expectation timeout.
    private func awaitedDeletion(_ pods: [Pod], now: Timestamp) -> Pod? {
        let limit = sim.settings.expectationTimeout + reactionBound(writes: 1)
        return pods.filter {
            guard $0.metadata.deletionTimestamp != nil, let since = terminatingSince[$0.key] else { return false }
            return deletedByJobController.contains($0.key) && now.seconds(since: since) <= limit
        }.min { $0.key < $1.key }
    }

    /// Whether the BroadcastJob (by uid) is held by its scale expectations: a pod it deleted is
    /// still Terminating (its node is down), so every reconcile returns early until the deletion is
    /// seen or the expectation times out (D-B6, as upstream), and for R after the deletion is
    /// seen. deadlineHonored, ttlHonored and restartLimitHonored wait for that, as statusConsistent does.
    private func waitsForDeletion(ownerUID: String, now: Timestamp) -> Bool {
        // The awaited deletion was just seen: the controller gets R to act on it.
        if let t = terminatedAt[ownerUID], now <= t.adding(seconds: reactionBound(writes: 1)) { return true }
        let pods = sim.server.list(Pod.self).filter { $0.metadata.controllerRef?.uid == ownerUID }
        return awaitedDeletion(pods, now: now) != nil
    }

    private func checkStatusConsistent() {
        let now = sim.kernel.now
        let jobs = sim.server.list(BroadcastJob.self).filter { !($0.status?.phase ?? "").isEmpty && !$0.isFinished }
        // Open violations of jobs that finished or went away end here.
        let open = Set(jobs.map(\.key))
        for key in inconsistent.keys.sorted() where !open.contains(key) { closeInconsistent(key, at: now) }
        guard !jobs.isEmpty else { return }
        var podsByOwner: [String: [Pod]] = [:]
        for p in sim.server.list(Pod.self) {
            if let ref = p.metadata.controllerRef, ref.kind == BroadcastJob.kind { podsByOwner[ref.uid, default: []].append(p) }
        }
        for j in jobs {
            let st = j.status!
            var active = 0, succeeded = 0, failed = 0
            let limit = Int(j.spec.failurePolicy?.restartLimit ?? 0)
            let pods = podsByOwner[j.uid] ?? []
            for p in pods {
                switch p.phase {
                case PodPhase.succeeded: succeeded += 1
                case PodPhase.failed: failed += 1
                default:
                    guard p.metadata.deletionTimestamp == nil else { continue }
                    if p.spec.restartPolicy == "OnFailure" && p.totalRestarts > limit { failed += 1 } else { active += 1 }
                }
            }
            guard st.active != active || st.succeeded != succeeded || st.failed != failed else {
                closeInconsistent(j.key, at: now)
                continue
            }
            if awaitedDeletion(pods, now: now) != nil {
                // Not a fault: the controller waits for a deletion it asked for (see above).
                closeInconsistent(j.key, at: now)
                continue
            }
            let mismatch = "BroadcastJob \(j.name) status says active \(st.active), succeeded \(st.succeeded), failed \(st.failed) but its pods are active \(active), succeeded \(succeeded), failed \(failed) after 1s of quiet"
            if let cur = inconsistent[j.key] {
                // Still so: the one report grows its time range.
                if let i = cur.index {
                    violations[i].until = now
                    violations[i].checks += 1
                    violations[i].message = cur.message + "; still so at \(now) (\(violations[i].checks) checks since \(cur.since))"
                }
            } else {
                let i = violate("statusConsistent", once: "\(j.key)@\(now.nanos)", mismatch, objects: ["BroadcastJob/\(j.key)"])
                inconsistent[j.key] = (i, now, mismatch)
            }
        }
    }

    /// Ends an open statusConsistent violation: the story says when the status agreed again.
    private func closeInconsistent(_ key: String, at now: Timestamp) {
        guard let cur = inconsistent.removeValue(forKey: key) else { return }
        if let i = cur.index, violations[i].checks > 1 {
            sim.tell("statusConsistent: BroadcastJob \(key) no longer inconsistent at \(now) (since \(cur.since), \(violations[i].checks) checks)")
        }
    }

    // MARK: Expectations

    func scheduleExpectations() {
        for e in sim.scenario.expectations {
            let t = sim.scenario.start.adding(seconds: sim.scenario.offset(e.at))
            dueExpectations[t.nanos, default: []].append(e)
            sim.kernel.schedule(at: t) {}
        }
    }

    /// Forgets the expectations not yet due (a run stopped before its end).
    func dropPendingExpectations() { dueExpectations.removeAll() }

    func finish() {
        // Expectations whose instant had no batch (should not happen: each schedules one).
        for t in dueExpectations.keys.sorted() {
            for e in dueExpectations[t]! { results.append(evaluate(e)) }
        }
        dueExpectations.removeAll()
        for name in Scenario.invariantNames where mode(of: name) == .violated && !demandedViolations.contains(name) {
            violations.append(Violation(invariant: name, time: sim.kernel.now, message: "the scenario demands that \(name) is violated, but it held for the whole run", objects: []))
        }
    }

    func evaluate(_ e: Expectation) -> CheckResult {
        let now = sim.kernel.now
        let server = sim.server
        func result(_ subject: String, _ passed: Bool, _ details: [String]) -> CheckResult {
            CheckResult(location: e.location, time: now, subject: subject, passed: passed, details: details)
        }
        func checkFields(_ value: JSONValue, _ fields: [(path: String, matcher: Matcher)]) -> (Bool, [String]) {
            var ok = true
            var lines: [String] = []
            for (path, m) in fields {
                let actual = (try? FieldPath.parse(path))?.evaluate(value)
                let pass = m.matches(actual)
                ok = ok && pass
                lines.append("\(pass ? "ok  " : "FAIL") \(path): expected \(m), got \(actual.map { $0.renderedQuoted } ?? "(missing)")")
            }
            return (ok, lines)
        }
        switch e.subject {
        case .object(let ref, let fields):
            guard let obj = server.get(ref.kind, ref.namespace, ref.name), let value = try? obj.manifest() else {
                return result("object \(ref)", false, ["FAIL \(ref) does not exist"])
            }
            let (ok, lines) = checkFields(value, fields)
            return result("object \(ref)", ok, lines)
        case .absent(let ref):
            let exists = server.get(ref.kind, ref.namespace, ref.name) != nil
            return result("absent \(ref)", !exists, [exists ? "FAIL \(ref) still exists" : "ok   \(ref) does not exist"])
        case .count(let kind, let w, let m):
            let n = server.list(kind).filter { matchesWhere($0, w) }.count
            let pass = m.matches(.int(Int64(n)))
            return result("count \(kind.rawValue)\(describe(w))", pass, ["\(pass ? "ok  " : "FAIL") expected \(m), got \(n)"])
        case .node(let name, let fields):
            guard case .node(let node)? = server.get(.node, "", name), var value = try? node.manifest() else {
                return result("node \(name)", false, ["FAIL node \(name) does not exist"])
            }
            if case .object(var o) = value {
                let k = sim.kubelets[name]
                o["diskUsedPercent"] = .double(((k?.diskUsedPercent ?? 0) * 10).rounded() / 10)
                o["diskUsed"] = .int(k?.diskUsed ?? 0)
                o["imageCount"] = .int(Int64(k?.imageCount ?? 0))
                o["ready"] = .bool(node.condition("Ready")?.status == "True")
                o["pods"] = .int(Int64(server.list(Pod.self).filter { $0.spec.nodeName == name && !$0.isTerminal }.count))
                value = .object(o)
            }
            let (ok, lines) = checkFields(value, fields)
            return result("node \(name)", ok, lines)
        case .events(let reason, let object, let type, let m):
            let filter = EventFilter(reason: reason, object: object, type: type)
            let n = eventCounts.first { $0.filter == filter }?.count ?? 0
            let pass = m.matches(.int(Int64(n)))
            var subject = "events reason=\(reason)"
            if let object { subject += " object=\(object)" }
            if let type { subject += " type=\(type)" }
            return result(subject, pass, ["\(pass ? "ok  " : "FAIL") expected \(m), got \(n)"])
        }
    }

    private func describe(_ w: WhereClause) -> String {
        var parts: [String] = []
        if let n = w.namespace { parts.append("namespace=\(n)") }
        for k in w.labels.keys.sorted() { parts.append("\(k)=\(w.labels[k]!)") }
        if let n = w.node { parts.append("node=\(n)") }
        if let p = w.phase { parts.append("phase=\(p)") }
        if let o = w.owner { parts.append("owner=\(o)") }
        if let p = w.namePrefix { parts.append("namePrefix=\(p)") }
        return parts.isEmpty ? "" : " where " + parts.joined(separator: ", ")
    }

    private func matchesWhere(_ o: APIObject, _ w: WhereClause) -> Bool {
        let m = o.metadata
        if let ns = w.namespace, (m.namespace ?? "") != ns { return false }
        for (k, v) in w.labels where m.labels?[k] != v { return false }
        if let p = w.namePrefix, !(m.name ?? "").hasPrefix(p) { return false }
        if let n = w.node {
            guard case .pod(let p) = o, p.spec.nodeName == n else { return false }
        }
        if let ph = w.phase {
            switch o {
            case .pod(let p): if p.phase != ph { return false }
            case .broadcastJob(let j): if (j.status?.phase ?? "") != ph { return false }
            default: return false
            }
        }
        if let owner = w.owner {
            guard let target = sim.server.get(owner.kind, owner.namespace, owner.name), let ref = m.controllerRef,
                  ref.uid == target.metadata.uid else { return false }
        }
        return true
    }
}

/// The reconciles of one controller for one key that returned one error message.
public struct ReconcileErrors: Sendable, Equatable {
    public var controller: String
    public var key: String
    public var message: String
    public var count: Int
    public var first: Timestamp
    public var last: Timestamp
    /// The key's last reconcile in the run returned this error: no retry succeeded.
    public var stillFailing = false
}

/// Everything a run produced that reports need.
public struct RunOutcome: Sendable {
    public var scenario: Scenario
    public var checks: [CheckResult]
    public var violations: [Violation]
    public var demanded: Set<String>
    public var actionErrors: [ActionError]
    public var digest: String
    public var events: UInt64
    public var writes: Int64
    public var reconciles: Int
    public var story: [(time: Timestamp, text: String)]
    public var endTime: Timestamp
    /// The reconciles that returned an error (each re-queued with back-off, as controller-runtime
    /// does), one group per controller, key and message, in the order they first happened.
    public var reconcileErrors: [ReconcileErrors] = []

    /// Every invariant held and every manifest was accepted; and, unless the run was under a fault
    /// profile (which judges invariants only, docs/faults.md), every timed check passed and every
    /// timeline action succeeded.
    public var passed: Bool {
        guard violations.isEmpty, !actionErrors.contains(where: { $0.kind == .manifest }) else { return false }
        return !scenario.judgesTimedChecks || (checks.allSatisfy(\.passed) && actionErrors.isEmpty)
    }
}
