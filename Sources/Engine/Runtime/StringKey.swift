/// A `String` as a table key, with its hash computed once, when the key is made.
///
/// A `[String: V]` lookup hashes the whole string with SipHash (a few hundred instructions for
/// a `namespace/name` key) and compares the probe with every occupied bucket it passes, each a
/// string comparison that reads the other key's storage. A `StringKey` hashes the bytes once
/// with a multiply-and-shift hash, hands the table that value mixed with the table's seed, and
/// compares the stored hashes before the strings, so a probe past another key costs one
/// integer comparison. Hash flooding is no concern here: the keys are the simulation's own
/// object names.
///
/// Two keys are equal when their hashes and their strings are: for the ASCII names Kubernetes
/// validates, exactly when their bytes are (as Go compares them). Ordering is the string's.
/// Iteration order of a table keyed by `StringKey` is no more an order than a `Dictionary`'s
/// ever is: callers sort.
@frozen public struct StringKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String
    @usableFromInline let hash: UInt64

    @inlinable public init(_ string: String) {
        self.string = string
        hash = Self.hash(string)
    }

    public var description: String { string }

    @inlinable public static func == (a: StringKey, b: StringKey) -> Bool { a.hash == b.hash && a.string == b.string }
    @inlinable public static func < (a: StringKey, b: StringKey) -> Bool { a.string < b.string }

    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// What `Dictionary` and `Set` call: the stored hash mixed with the table's seed (a table
    /// seeds by its storage, so copying one table's keys into another in its order does not
    /// cluster them).
    @inlinable public func _rawHashValue(seed: Int) -> Int {
        var h = hash ^ UInt64(UInt(bitPattern: seed))
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    @inlinable static func hash(_ s: String) -> UInt64 {
        if let h = s.utf8.withContiguousStorageIfAvailable({ hash(bytes: UnsafeRawBufferPointer($0)) }) { return h }
        var copy = s
        return copy.withUTF8 { hash(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Eight bytes at a time, each word multiplied in and folded down; the last word overlaps
    /// the one before it rather than reading past the end.
    @inlinable static func hash(bytes b: UnsafeRawBufferPointer) -> UInt64 {
        let n = b.count
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 &* UInt64(truncatingIfNeeded: n &+ 1)
        @inline(__always) func step(_ w: UInt64) {
            h = (h ^ w) &* 0xbf58_476d_1ce4_e5b9
            h ^= h >> 31
        }
        if n >= 8 {
            var i = 0
            while i &+ 8 < n {
                step(b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i &+= 8
            }
            step(b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
        } else {
            var tail: UInt64 = 0
            for i in 0..<n { tail |= UInt64(b[i]) << UInt64(truncatingIfNeeded: i &* 8) }
            step(tail)
        }
        return h
    }
}

/// A `[String: Value]` keyed by ``StringKey``: the same reads and writes, each hashing its key
/// once with the cheaper hash. For the simulation's own tables keyed by names, keys and uids.
@frozen public struct StringTable<Value>: Sequence, ExpressibleByDictionaryLiteral {
    @usableFromInline var base: [StringKey: Value]

    @inlinable public init() { base = [:] }
    @inlinable public init(dictionaryLiteral elements: (String, Value)...) {
        base = Dictionary(uniqueKeysWithValues: elements.map { (StringKey($0.0), $0.1) })
    }

    @inlinable public subscript(key: String) -> Value? {
        get { base[StringKey(key)] }
        _modify { yield &base[StringKey(key)] }
    }

    /// For a caller that reads and writes one key: hashed once, when the caller made it.
    @inlinable public subscript(key: StringKey) -> Value? {
        get { base[key] }
        _modify { yield &base[key] }
    }

    @inlinable public subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { base[StringKey(key), default: defaultValue()] }
        _modify { yield &base[StringKey(key), default: defaultValue()] }
    }

    @inlinable public var count: Int { base.count }
    @inlinable public var isEmpty: Bool { base.isEmpty }
    /// In no order: callers sort.
    @inlinable public var keys: LazyMapSequence<Dictionary<StringKey, Value>.Keys, String> { base.keys.lazy.map(\.string) }
    @inlinable public var values: Dictionary<StringKey, Value>.Values { base.values }

    @inlinable @discardableResult public mutating func removeValue(forKey key: String) -> Value? { base.removeValue(forKey: StringKey(key)) }
    @inlinable @discardableResult public mutating func updateValue(_ value: Value, forKey key: String) -> Value? {
        base.updateValue(value, forKey: StringKey(key))
    }
    @inlinable public mutating func removeAll(keepingCapacity keep: Bool = false) { base.removeAll(keepingCapacity: keep) }

    /// In no order: callers sort.
    @inlinable public func makeIterator() -> LazyMapSequence<[StringKey: Value], (key: String, value: Value)>.Iterator {
        base.lazy.map { (key: $0.key.string, value: $0.value) }.makeIterator()
    }
}

extension StringTable: Equatable where Value: Equatable {}
extension StringTable: Sendable where Value: Sendable {}

/// A `Set<String>` of ``StringKey``s: the same membership, each operation hashing once with the
/// cheaper hash.
@frozen public struct StringSet: Sequence, ExpressibleByArrayLiteral, Equatable, Sendable {
    @usableFromInline var base: Set<StringKey>

    @inlinable public init() { base = [] }
    @inlinable public init(arrayLiteral elements: String...) { base = Set(elements.map(StringKey.init)) }
    @inlinable public init<S: Sequence>(_ elements: S) where S.Element == String { base = Set(elements.map(StringKey.init)) }

    @inlinable public var count: Int { base.count }
    @inlinable public var isEmpty: Bool { base.isEmpty }
    /// Some member (no particular one), as `Set.first`.
    @inlinable public var first: String? { base.first?.string }
    @inlinable public func contains(_ s: String) -> Bool { base.contains(StringKey(s)) }
    @inlinable @discardableResult public mutating func insert(_ s: String) -> (inserted: Bool, memberAfterInsert: String) {
        let r = base.insert(StringKey(s))
        return (r.inserted, r.memberAfterInsert.string)
    }
    @inlinable @discardableResult public mutating func remove(_ s: String) -> String? { base.remove(StringKey(s))?.string }
    @inlinable public mutating func removeAll(keepingCapacity keep: Bool = false) { base.removeAll(keepingCapacity: keep) }

    /// In no order: callers sort.
    @inlinable public func makeIterator() -> LazyMapSequence<Set<StringKey>, String>.Iterator { base.lazy.map(\.string).makeIterator() }
}
