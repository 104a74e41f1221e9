import Foundation
import Engine

/// The workloads of `kruise-sim bench`, generated in code (no scenario file).
public enum BenchWorkload: String, CaseIterable, Sendable {
    /// N nodes, one BroadcastJob, pods run 30s..60s; pods created bound (`bindPodsBy: nodeName`)
    /// by an unthrottled kruise-manager client. Ends when the job completes.
    case broadcast
    /// N nodes, an every-5-minute AdvancedCronJob whose BroadcastJob (TTL 90s) runs a 20s
    /// cleaner, for 24 virtual hours, with the default client rates.
    case cronDay = "cron-day"
    /// N nodes, a completionPolicy Never BroadcastJob whose pods run forever; every second for a
    /// virtual hour one node joins and the oldest node is deleted. Default client rates.
    case churn
    /// The cost of one BroadcastJob reconcile on an N-node cluster where every node has its
    /// running pod (a resync): the cluster is built, then the job's key is reconciled K times.
    case reconcile

    /// What a pod lifecycle is for this workload (the `podLifecycles` figure).
    var lifecycle: Lifecycle {
        switch self {
        case .broadcast, .cronDay: return .finished
        case .churn: return .deleted
        case .reconcile: return .running
        }
    }

    enum Lifecycle { case finished, deleted, running }

    /// Where the rollout ends: every pod of the job finished, or every node present at the start
    /// has a running pod (or is gone).
    var rolloutTarget: String {
        switch self {
        case .broadcast, .cronDay: return "first pod created → last pod of the job finished"
        case .churn, .reconcile: return "first pod created → every node present at the start has its pod running (or is deleted)"
        }
    }

    static let jobName = "wide"

    /// The workload name closest to a misspelt one, if any is close.
    public static func suggestion(for name: String) -> String? { Sim.suggestion(name, allCases.map(\.rawValue)) }

    /// The scenario for `nodes` nodes and `seed`.
    func scenario(nodes: Int, seed: UInt64) throws -> Scenario {
        let file = "<bench \(rawValue)>"
        var s = try ScenarioLoader.load(text: yaml(nodes: nodes), file: file, seedOverride: seed)
        if self == .churn {
            // One node joins and the oldest leaves every second, for an hour: 3,600 of each.
            guard let base = s.nodes.first else { return s }
            var victims = s.nodes.flatMap(\.names)
            var next = 0
            for i in 1...3600 {
                let at = TimeSpec.offset(Double(i))
                let loc = SourceLocation(file: file, line: 0, column: 0)
                var entry = base
                entry.names = ["c\(i)"]
                s.timeline.append(TimelineEntry(at: at, action: .addNodes(entry), location: loc))
                victims.append("c\(i)")
                s.timeline.append(TimelineEntry(at: at, action: .deleteNode(victims[next]), location: loc))
                next += 1
            }
        }
        return s
    }

    func yaml(nodes n: Int) -> String {
        let job = BenchWorkload.jobName
        switch self {
        case .broadcast:
            return """
            name: bench-broadcast
            duration: 6h
            settings: {clientQPS: 1000000, clientBurst: 1000000, bindPodsBy: nodeName}
            nodes:
              - {namePrefix: n, count: \(n)}
            images:
              t: {run: 30s..60s}
            manifests:
              - apiVersion: apps.kruise.io/v1beta1
                kind: BroadcastJob
                metadata: {name: \(job)}
                spec:
                  template:
                    spec: {restartPolicy: Never, containers: [{name: t, image: t}]}

            """
        case .cronDay:
            return """
            name: bench-cron-day
            duration: 24h
            nodes:
              - {namePrefix: w, count: \(n)}
            images:
              cleaner: {run: 20s}
            manifests:
              - apiVersion: apps.kruise.io/v1alpha1
                kind: AdvancedCronJob
                metadata: {name: acj}
                spec:
                  schedule: "*/5 * * * *"
                  template:
                    broadcastJobTemplate:
                      spec:
                        completionPolicy: {type: Always, ttlSecondsAfterFinished: 90}
                        template:
                          spec: {restartPolicy: OnFailure, containers: [{name: c, image: cleaner}]}

            """
        case .churn, .reconcile:
            let settings = self == .reconcile ? "settings: {clientQPS: 1000000, clientBurst: 1000000, bindPodsBy: nodeName}\n" : ""
            return """
            name: bench-\(rawValue)
            duration: \(self == .churn ? "1h" : "6h")
            \(settings)nodes:
              - {namePrefix: n, count: \(n)}
            images:
              agent: {run: forever}
            manifests:
              - apiVersion: apps.kruise.io/v1beta1
                kind: BroadcastJob
                metadata: {name: \(job)}
                spec:
                  completionPolicy: {type: Never}
                  template:
                    spec: {restartPolicy: Never, containers: [{name: a, image: agent}]}

            """
        }
    }
}
