/// A set of keys that is usually one key: a node's pod, an index value's one object. One key is
/// held inline, without a `Set`'s storage (an allocation, and a hash of the key, per set);
/// the second key moves both into a `Set`, and the set goes back to one inline key when one is
/// left (so two key sets with the same keys are equal).
///
/// Iteration order is the `Set`'s, so callers that need an order sort (`sorted()`, `max()`).
public struct KeySet: Sendable, Equatable {
    private enum Storage: Sendable, Equatable {
        case empty
        case one(String)
        case many(StringSet)
    }
    private var storage = Storage.empty

    public init() {}

    public var count: Int {
        switch storage {
        case .empty: 0
        case .one: 1
        case .many(let s): s.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    public func contains(_ key: String) -> Bool {
        switch storage {
        case .empty: false
        case .one(let k): k == key
        case .many(let s): s.contains(key)
        }
    }

    /// Adds `key`; false when it was there already.
    @discardableResult
    public mutating func insert(_ key: String) -> Bool {
        switch storage {
        case .empty:
            storage = .one(key)
            return true
        case .one(let k):
            if k == key { return false }
            storage = .many([k, key])
            return true
        case .many(var s):
            storage = .empty  // `s` is then the set's only reference: inserted in place
            let inserted = s.insert(key).inserted
            storage = .many(s)
            return inserted
        }
    }

    /// Removes `key`; false when it was not there.
    @discardableResult
    public mutating func remove(_ key: String) -> Bool {
        switch storage {
        case .empty:
            return false
        case .one(let k):
            if k != key { return false }
            storage = .empty
            return true
        case .many(var s):
            storage = .empty
            let removed = s.remove(key) != nil
            storage = s.count > 1 ? .many(s) : s.first.map { .one($0) } ?? .empty
            return removed
        }
    }

    /// Adds `key` to a table's entry, updated in place (`&table[k, default: KeySet()]`: one
    /// lookup); the number of keys it then holds.
    public static func insert(_ key: String, into entry: inout KeySet) -> Int {
        entry.insert(key)
        return entry.count
    }

    /// Removes `key` from a table's entry, updated in place (`&table[k]`: one lookup), and the
    /// entry with its last key; the number of keys left.
    @discardableResult
    public static func remove(_ key: String, from entry: inout KeySet?) -> Int {
        entry?.remove(key)
        if entry?.isEmpty == true { entry = nil }
        return entry?.count ?? 0
    }

    /// The keys in ascending order.
    public func sorted() -> [String] {
        switch storage {
        case .empty: []
        case .one(let k): [k]
        case .many(let s): s.sorted()
        }
    }

    /// The greatest key.
    public func max() -> String? {
        switch storage {
        case .empty: nil
        case .one(let k): k
        case .many(let s): s.max()
        }
    }
}
