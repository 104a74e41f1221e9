import Foundation
import Engine

/// A dot-separated path with list selectors: `status.conditions[type=Complete].status`,
/// `spec.containers[0].image`, `metadata.annotations[apps.kruise.io/scheduled-at]`.
public struct FieldPath: Sendable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
        case select(key: String, value: String)
    }
    public let segments: [Segment]
    public let description: String

    public struct ParseError: Error, CustomStringConvertible { public let description: String }

    public static func parse(_ s: String) throws -> FieldPath {
        var segs: [Segment] = []
        var cur = ""
        var i = s.startIndex
        func flush() {
            if !cur.isEmpty { segs.append(.key(cur)); cur = "" }
        }
        while i < s.endIndex {
            let c = s[i]
            if c == "." {
                flush()
                i = s.index(after: i)
            } else if c == "[" {
                flush()
                guard let close = s[i...].firstIndex(of: "]") else { throw ParseError(description: "unclosed [") }
                let inner = String(s[s.index(after: i)..<close])
                guard !inner.isEmpty else { throw ParseError(description: "empty []") }
                if let n = Int(inner) {
                    segs.append(.index(n))
                } else if let eq = inner.firstIndex(of: "=") {
                    segs.append(.select(key: String(inner[..<eq]), value: String(inner[inner.index(after: eq)...])))
                } else {
                    segs.append(.key(inner))
                }
                i = s.index(after: close)
            } else {
                cur.append(c)
                i = s.index(after: i)
            }
        }
        flush()
        guard !segs.isEmpty else { throw ParseError(description: "empty path") }
        return FieldPath(segments: segs, description: s)
    }

    /// The value at this path, or nil when any step is missing.
    public func evaluate(_ root: JSONValue) -> JSONValue? {
        var cur = root
        for seg in segments {
            switch seg {
            case .key(let k):
                guard let v = cur[k] else { return nil }
                cur = v
            case .index(let n):
                guard let a = cur.arrayValue, n >= 0, n < a.count else { return nil }
                cur = a[n]
            case .select(let k, let v):
                guard let a = cur.arrayValue, let hit = a.first(where: { $0[k]?.rendered == v }) else { return nil }
                cur = hit
            }
        }
        return cur
    }
}

extension Matcher {
    /// Whether `actual` (nil: the field is missing) satisfies the matcher.
    public func matches(_ actual: JSONValue?) -> Bool {
        switch self {
        case .all(let ms): return ms.allSatisfy { $0.matches(actual) }
        case .exists(let want): return (actual != nil && !(actual!.isNull)) == want
        case .eq(let v): return actual.map { Self.equal($0, v) } ?? v.isNull
        case .ne(let v): return !(actual.map { Self.equal($0, v) } ?? v.isNull)
        case .isIn(let vs): return actual.map { a in vs.contains { Self.equal(a, $0) } } ?? false
        case .matches(let r):
            guard let a = actual, let re = try? NSRegularExpression(pattern: r) else { return false }
            let s = a.rendered
            return re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        case .lt(let v): return Self.order(actual, v).map { $0 < 0 } ?? false
        case .lte(let v): return Self.order(actual, v).map { $0 <= 0 } ?? false
        case .gt(let v): return Self.order(actual, v).map { $0 > 0 } ?? false
        case .gte(let v): return Self.order(actual, v).map { $0 >= 0 } ?? false
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        if let s = a.stringValue, let t = b.stringValue, let x = Timestamp(rfc3339: s), let y = Timestamp(rfc3339: t) { return x == y }
        if case .string(let s) = a, case .bool(let b) = b { return s == (b ? "true" : "false") }
        if case .bool(let x) = a, case .string(let t) = b { return t == (x ? "true" : "false") }
        return a == b || (a.stringValue != nil && a.stringValue == b.stringValue)
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// -1, 0, 1: numbers numerically, RFC 3339 times as instants, else strings.
    static func order(_ a: JSONValue?, _ b: JSONValue) -> Int? {
        guard let a else { return nil }
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        if let s = a.stringValue, let t = b.stringValue {
            if let x = Timestamp(rfc3339: s), let y = Timestamp(rfc3339: t) { return x < y ? -1 : (x > y ? 1 : 0) }
            return s < t ? -1 : (s > t ? 1 : 0)
        }
        return nil
    }
}
