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
        var creates = StringTable<Int>()
        var deletes = StringTable<Int>()
        var firstUnsatisfied: Timestamp?
        var isEmpty: Bool { creates.isEmpty && deletes.isEmpty }
    }
    private var entries = StringTable<Entry>()
    private let clock: Clock
    public let timeout: Double
    /// kruise keeps a *set* of items per action: expecting an item already awaited is a no-op and one
    /// observation clears it. Otherwise (kube's counting ControllerExpectations) each expect needs its own
    /// observation.
    public let itemsAreSets: Bool

    public init(clock: Clock, timeout: Double = 300, itemsAreSets: Bool = false) {
        self.clock = clock
        self.timeout = timeout
        self.itemsAreSets = itemsAreSets
    }

    /// - Complexity: O(1); entries are mutated in place (a read-modify-write of the entry
    ///   would copy its item table, making a broadcast to N nodes O(N²)).
    public func expect(_ key: String, _ action: Action, _ item: String) {
        let step = itemsAreSets ? 0 : 1
        switch action {
        case .create: entries[key, default: Entry()].creates[item, default: 1 - step] += step
        case .delete: entries[key, default: Entry()].deletes[item, default: 1 - step] += step
        }
    }

    public func observe(_ key: String, _ action: Action, _ item: String) {
        guard !entries.isEmpty else { return }
        Self.observe(&entries[key], action, item)  // one lookup: the entry is changed in place
    }

    private static func observe(_ entry: inout Entry?, _ action: Action, _ item: String) {
        guard entry != nil else { return }
        switch action {
        case .create: if let n = entry!.creates[item] { entry!.creates[item] = n > 1 ? n - 1 : nil }
        case .delete: if let n = entry!.deletes[item] { entry!.deletes[item] = n > 1 ? n - 1 : nil }
        }
        if entry!.isEmpty { entry = nil }
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
        guard let e = entries[key], !e.isEmpty else { return .satisfied }
        let now = clock.now
        guard let first = e.firstUnsatisfied else {
            entries[key]!.firstUnsatisfied = now
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
