import Foundation
import Engine

/// Follows the API server's change feed during a bench run: pod lifecycles, each job's rollout,
/// and the workload's goal (when the run can stop). Reads only virtual time.
final class BenchObserver {
    let workload: BenchWorkload
    /// Called once, when the workload has reached its goal (the run stops after the current instant).
    var onGoal: (() -> Void)?
    private(set) var goalReached = false

    private(set) var podLifecycles = 0
    /// Pods in the API server now, and the most there were at once: a cluster that cleans up
    /// slower than it creates (garbage collection at its client rate) keeps more and more.
    private(set) var podsStored = 0
    private(set) var podsStoredPeak = 0

    /// Per owning job (by uid): when its first pod was created, when its last pod finished, and
    /// how many of its pods have not finished yet.
    struct JobRollout {
        var firstCreated: Timestamp
        var lastFinished: Timestamp?
        var unfinished = 0
        var pods = 0
    }
    private(set) var jobs = StringTable<JobRollout>()
    private var jobOrder: [String] = []

    /// For the "running" target: nodes present at the start still waiting for a running pod.
    private var waiting: StringSet
    private(set) var firstPodCreated: Timestamp?
    private(set) var allStartNodesRunning: Timestamp?

    init(workload: BenchWorkload, startNodes: [String]) {
        self.workload = workload
        self.waiting = StringSet(startNodes)
    }

    func observe(_ c: APIServer.Change) {
        switch c.object {
        case .pod(let p):
            pod(c, p)
        case .node(let n) where c.type == .deleted:
            if waiting.remove(n.name) != nil { checkAllRunning(c.time) }
        case .broadcastJob(let j) where workload == .broadcast && c.type != .deleted:
            if j.status?.phase == BroadcastJobPhase.completed || j.status?.phase == BroadcastJobPhase.failed { reach() }
        default:
            break
        }
    }

    private func pod(_ c: APIServer.Change, _ p: Pod) {
        let owner = p.metadata.controllerUID ?? ""
        if c.type == .added {
            podsStored += 1
            podsStoredPeak = max(podsStoredPeak, podsStored)
            if firstPodCreated == nil { firstPodCreated = c.time }
            if jobs[owner] == nil {
                jobs[owner] = JobRollout(firstCreated: c.time)
                jobOrder.append(owner)
            }
            jobs[owner]!.unfinished += 1
            jobs[owner]!.pods += 1
        }
        if c.type == .deleted {
            podsStored -= 1
            if workload.lifecycle == .deleted { podLifecycles += 1 }
            return
        }
        let was = c.old.flatMap(Pod.unwrap)?.phase
        let now = p.phase
        guard was != now else { return }
        if now == PodPhase.running {
            if workload.lifecycle == .running { podLifecycles += 1 }
            if let n = p.spec.nodeName, waiting.remove(n) != nil { checkAllRunning(c.time) }
        }
        if p.isTerminal, !(c.old.flatMap(Pod.unwrap)?.isTerminal ?? false) {
            if workload.lifecycle == .finished { podLifecycles += 1 }
            if jobs[owner] != nil {
                jobs[owner]!.unfinished -= 1
                jobs[owner]!.lastFinished = c.time
            }
        }
    }

    private func checkAllRunning(_ t: Timestamp) {
        guard waiting.isEmpty, allStartNodesRunning == nil, firstPodCreated != nil else { return }
        allStartNodesRunning = t
        if workload == .reconcile { reach() }
    }

    private func reach() {
        guard !goalReached else { return }
        goalReached = true
        onGoal?()
    }

    /// Rollout durations in virtual seconds: one per job whose pods all finished (broadcast,
    /// cron-day), in creation order; or the one initial rollout to every start node (churn, reconcile).
    var rollouts: [Double] {
        switch workload {
        case .broadcast, .cronDay:
            return jobOrder.compactMap { uid in
                guard let j = jobs[uid], j.unfinished == 0, let end = j.lastFinished else { return nil }
                return end.seconds(since: j.firstCreated)
            }
        case .churn, .reconcile:
            guard let s = firstPodCreated, let e = allStartNodesRunning else { return [] }
            return [e.seconds(since: s)]
        }
    }
}
