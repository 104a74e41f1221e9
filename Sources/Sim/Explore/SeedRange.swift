import Foundation

/// Bad input to `explore` or `shrink` (a seed range, a shard, a job count): the command exits 2.
public struct ExploreInputError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The seeds of a sweep: `A..B`, both ends included (`1..200` is 200 seeds), or one seed `A`.
public struct SeedRange: Sendable, Equatable, CustomStringConvertible {
    public var first: UInt64
    public var last: UInt64

    /// At most this many seeds in one sweep (a bound on a typo such as `1..1000000000000000`).
    public static let maxCount: UInt64 = 1_000_000_000_000

    public init(first: UInt64, last: UInt64) {
        self.first = first
        self.last = last
    }

    /// Parses `A..B` (inclusive) or a single seed `A`.
    public init(parsing text: String) throws(ExploreInputError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.components(separatedBy: "..")
        func seed(_ s: String) throws(ExploreInputError) -> UInt64 {
            guard let v = UInt64(s) else {
                throw ExploreInputError("--seeds \"\(text)\": \"\(s)\" is not a seed (an integer from 0 to \(UInt64.max)); expected A..B such as 1..1000, both ends included")
            }
            return v
        }
        switch parts.count {
        case 1:
            let v = try seed(parts[0])
            self.init(first: v, last: v)
        case 2:
            let a = try seed(parts[0]), b = try seed(parts[1])
            guard a <= b else {
                throw ExploreInputError("--seeds \"\(text)\": the range is empty (\(a) is after \(b)); expected A..B with A ≤ B, e.g. \(b)..\(a)")
            }
            guard b - a < Self.maxCount else {
                throw ExploreInputError("--seeds \"\(text)\": \(b - a == UInt64.max ? "more than \(Self.maxCount)" : "\(b - a + 1)") seeds; a sweep takes at most \(Self.maxCount) (split it with --shard or smaller ranges)")
            }
            self.init(first: a, last: b)
        default:
            throw ExploreInputError("--seeds \"\(text)\": expected A..B such as 1..1000 (both ends included) or one seed")
        }
    }

    public var count: UInt64 { last - first + 1 }
    public var description: String { first == last ? "\(first)" : "\(first)..\(last)" }
}

/// `--shard I/N`: the part of a sweep one machine runs. Shard I of N takes the seeds S of the
/// range with (S - A) mod N = I, so the N shards together run every seed exactly once.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: UInt64
    public var count: UInt64

    public static let whole = Shard(index: 0, count: 1)

    public init(index: UInt64, count: UInt64) {
        self.index = index
        self.count = count
    }

    public init(parsing text: String) throws(ExploreInputError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = UInt64(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw ExploreInputError("--shard \"\(text)\": expected I/N such as 0/4 (shard I of N, I from 0 to N-1)")
        }
        guard n >= 1 else { throw ExploreInputError("--shard \"\(text)\": N must be at least 1") }
        guard i < n else {
            throw ExploreInputError("--shard \"\(text)\": the index must be from 0 to \(n - 1) (shards are numbered from 0, as JOB_COMPLETION_INDEX is)")
        }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// How many seeds of `range` this shard runs.
    public func count(in range: SeedRange) -> UInt64 {
        let span = range.last - range.first
        return index > span ? 0 : (span - index) / count + 1
    }

    /// The k-th seed of `range` this shard runs (k from 0 to `count(in:) - 1`).
    public func seed(_ k: UInt64, in range: SeedRange) -> UInt64 { range.first + index + k * count }

    /// The seeds of `range` this shard runs, in order.
    public func seeds(in range: SeedRange) -> [UInt64] {
        (0..<count(in: range)).map { seed($0, in: range) }
    }
}
