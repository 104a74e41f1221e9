import Foundation

/// Scale expectations (kruise `ScaleExpectations`): what a controller has asked the API server to
/// create or delete and has not yet seen in its cache.
///
/// Keyed by controller key, then action, holding the awaited items (node names for BroadcastJob).
/// Unlike kruise, expectations expire (Decision D-B6): once unsatisfied for `timeout`, they are
/// dropped and the reconcile proceeds, as kube-controller-manager's ControllerExpectations do.
public final class ScaleExpectations {
    public enum Action: Sendable { case create, delete }
    private struct Entry {
        var creates: [String: Int] = [:]
        var deletes: [String: Int] = [:]
        var firstUnsatisfied: Timestamp?
        var isEmpty: Bool { creates.isEmpty && deletes.isEmpty }
    }
    private var entries: [String: Entry] = [:]
    private let clock: Clock
    public let timeout: Double

    public init(clock: Clock, timeout: Double = 300) {
        self.clock = clock
        self.timeout = timeout
    }

    public func expect(_ key: String, _ action: Action, _ item: String) {
        var e = entries[key] ?? Entry()
        switch action {
        case .create: e.creates[item, default: 0] += 1
        case .delete: e.deletes[item, default: 0] += 1
        }
        entries[key] = e
    }

    public func observe(_ key: String, _ action: Action, _ item: String) {
        guard var e = entries[key] else { return }
        switch action {
        case .create:
            if let n = e.creates[item] { e.creates[item] = n > 1 ? n - 1 : nil }
        case .delete:
            if let n = e.deletes[item] { e.deletes[item] = n > 1 ? n - 1 : nil }
        }
        if e.isEmpty { entries[key] = nil } else { entries[key] = e }
    }

    public enum Satisfaction: Equatable, Sendable {
        case satisfied
        /// Unsatisfied; come back after this many seconds (when they would expire).
        case unsatisfied(retryAfter: Double)
        /// Unsatisfied for longer than the timeout: dropped, and the reconcile proceeds.
        case expired
    }

    /// `SatisfiedExpectations`, with expiry. The unsatisfied duration counts from the first call
    /// that found the key unsatisfied.
    public func check(_ key: String) -> Satisfaction {
        guard var e = entries[key], !e.isEmpty else { return .satisfied }
        let now = clock.now
        guard let first = e.firstUnsatisfied else {
            e.firstUnsatisfied = now
            entries[key] = e
            return .unsatisfied(retryAfter: timeout)
        }
        let waited = now.seconds(since: first)
        if waited >= timeout {
            entries[key] = nil
            return .expired
        }
        return .unsatisfied(retryAfter: timeout - waited)
    }

    public func delete(_ key: String) { entries[key] = nil }
    public func deleteAll() { entries.removeAll() }
    public var pendingKeys: Int { entries.count }
}
