import Foundation
import Engine

/// Every record of a run's digest, with the running hash after it (`run --check-determinism`):
/// two runs of one scenario and seed must give the same records, so the first record whose
/// hash differs is where their histories diverged.
public final class DigestJournal {
    public struct Entry: Sendable, Equatable {
        /// The running digest after this record.
        public var hash: UInt64
        public var time: Timestamp
        /// What the record is: a write (verb, object, actor), an event, a story line, a kubelet log line.
        public var text: String
        public init(hash: UInt64, time: Timestamp, text: String) {
            self.hash = hash
            self.time = time
            self.text = text
        }
    }
    public private(set) var entries: [Entry] = []
    public init() {}
    func record(_ d: Digest, _ time: Timestamp, _ text: String) {
        entries.append(Entry(hash: d.value, time: time, text: text))
    }
}

/// Where two runs' histories first differ.
public struct Divergence: Sendable, Equatable {
    /// The index of the first record that differs (0-based).
    public var index: Int
    /// That record in each run; nil when that run had ended (it recorded fewer).
    public var first: DigestJournal.Entry?
    public var second: DigestJournal.Entry?

    /// "record 1234 at +1m30s (2024-01-01T00:01:30Z): run 1 has …; run 2 has …".
    public func describe(start: Timestamp) -> String {
        func what(_ e: DigestJournal.Entry?) -> String { e.map { "\"\($0.text)\"" } ?? "nothing (its history ended)" }
        let t = first?.time ?? second?.time ?? start
        return "first divergence at record \(index + 1), +\(formatSeconds(max(0, t.seconds(since: start)))) (\(t.rfc3339)): "
            + "run 1 has \(what(first)); run 2 has \(what(second))"
    }
}

public enum DeterminismCheck {
    /// The first record at which `a` and `b` differ, or nil when they are the same history.
    public static func firstDivergence(_ a: [DigestJournal.Entry], _ b: [DigestJournal.Entry]) -> Divergence? {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i].hash != b[i].hash || a[i].time != b[i].time {
            return Divergence(index: i, first: a[i], second: b[i])
        }
        if a.count == b.count { return nil }
        return Divergence(index: n, first: a.count > n ? a[n] : nil, second: b.count > n ? b[n] : nil)
    }

    /// Runs `file` twice in this process and compares the histories. The report is the first
    /// run's, with ``ScenarioReport/nondeterminism`` set when the second run differed.
    public static func run(file: String, seed: UInt64? = nil, mutant: Mutant? = nil, faults: FaultProfile? = nil) -> ScenarioReport {
        let j1 = DigestJournal(), j2 = DigestJournal()
        var first = ScenarioRunner.run(file: file, seed: seed, mutant: mutant, faults: faults, journal: j1)
        let second = ScenarioRunner.run(file: file, seed: seed, mutant: mutant, faults: faults, journal: j2)
        guard let o1 = first.outcome else { return first }
        guard let o2 = second.outcome else {
            first.nondeterminism = "the second run did not finish: \(second.error?.description ?? "unknown error")"
            return first
        }
        first.determinismChecked = true
        if let d = firstDivergence(j1.entries, j2.entries) {
            first.nondeterminism = "not deterministic: two runs gave digests \(o1.digest) and \(o2.digest); " + d.describe(start: o1.scenario.start)
        } else if o1.digest != o2.digest {
            first.nondeterminism = "not deterministic: two runs gave digests \(o1.digest) and \(o2.digest) over the same \(j1.entries.count) records"
        }
        return first
    }
}
