import Foundation
import Engine

/// One thing a run failed on, named so that the same failure under two seeds has the same `key`
/// (`explore` groups seeds by it, `shrink` keeps it).
public struct RunFailure: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// An invariant was violated (or one the scenario demands to be violated held).
        case invariant
        /// An `expect` check failed.
        case check
        /// A timeline action failed or a manifest was rejected.
        case action
        /// The run stopped before its end (a resource limit).
        case invalid
        /// The engine crashed (the worker process died).
        case crash
    }

    public var kind: Kind
    /// The grouping key: `invariant onePodPerNode`, `check FILE:LINE:COL object BroadcastJob/default/sweep`,
    /// `timeline action failed at FILE:LINE:COL`, …
    public var key: String
    /// Seconds after the scenario start when it was first seen (nil when unknown).
    public var offset: Double?
    /// The first message, for the report.
    public var message: String

    /// The invariant's name for an invariant failure.
    public var invariant: String? { kind == .invariant ? String(key.dropFirst("invariant ".count)) : nil }
}

/// What one seed of a sweep did.
public struct SeedResult: Codable, Sendable, Equatable {
    public var seed: UInt64
    /// Empty when the run passed.
    public var failures: [RunFailure]
    public var passed: Bool { failures.isEmpty }

    public init(seed: UInt64, failures: [RunFailure]) {
        self.seed = seed
        self.failures = failures
    }

    /// The failures of an outcome, one per key, in the order a reader checks them: invariants
    /// (by the time each was first violated), failed checks, failed actions.
    public init(seed: UInt64, outcome o: RunOutcome) {
        self.seed = seed
        self.failures = RunFailure.of(o)
    }
}

extension RunFailure {
    /// One failure per distinct key of `o`, invariants first, then checks and actions, each in
    /// the order the run met them.
    public static func of(_ o: RunOutcome) -> [RunFailure] {
        let s = o.scenario
        var out: [RunFailure] = []
        var seen = Set<String>()
        func add(_ f: RunFailure) {
            if seen.insert(f.key).inserted { out.append(f) }
        }
        for v in o.violations.sorted(by: { $0.time < $1.time }) {
            add(RunFailure(kind: .invariant, key: "invariant \(v.invariant)", offset: v.time.seconds(since: s.start), message: v.message))
        }
        // Under a fault profile only invariants and rejected manifests are judged (docs/faults.md).
        let judged = s.judgesTimedChecks
        for c in o.failedChecks where judged {
            let detail = c.details.first(where: { $0.hasPrefix("FAIL") }).map { String($0.dropFirst(5)) } ?? "failed"
            add(RunFailure(kind: .check, key: "check \(c.location) \(c.subject)", offset: c.time.seconds(since: s.start), message: detail))
        }
        for e in o.actionErrors where judged || e.kind == .manifest {
            let what = e.kind == .manifest ? "manifest rejected" : "timeline action failed"
            add(RunFailure(kind: .action, key: "\(what) at \(e.location)", offset: e.time.seconds(since: s.start), message: e.message))
        }
        return out
    }
}
