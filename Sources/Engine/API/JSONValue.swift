import Foundation
import OrderedCollections

/// A JSON (or YAML) value tree with insertion-ordered objects.
///
/// It is how the engine keeps what a typed model does not know: every API object
/// remembers the part of its manifest the model did not decode, and writes it back
/// unchanged (see ``KubeObject/unknownFields``).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(OrderedDictionary<String, JSONValue>)

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var objectValue: OrderedDictionary<String, JSONValue>? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value as a number, if it is one (or a string that reads as one).
    public var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// A short human-readable rendering (JSON-like, keys in order) for messages.
    public var rendered: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map { $0.renderedQuoted }.joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.map { "\($0.key): \($0.value.renderedQuoted)" }.joined(separator: ", ") + "}"
        }
    }
    public var renderedQuoted: String {
        if case .string(let s) = self { return "\"\(s)\"" }
        return rendered
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        let keyed = try decoder.container(keyedBy: AnyKey.self)
        var o = OrderedDictionary<String, JSONValue>()
        for k in keyed.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            o[k.stringValue] = try keyed.decode(JSONValue.self, forKey: k)
        }
        self = .object(o)
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (k, v) in o { try c.encode(v, forKey: AnyKey(k)) }
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension JSONValue {
    /// Encodes any Codable value into a value tree (keys sorted, so the result is deterministic).
    public init<T: Encodable>(encoding value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let data = try enc.encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes a Codable value from this tree.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let data = try JSONEncoder().encode(self)
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Serialized JSON text, keys in stored order: the same value always gives the same bytes
    /// (`JSONEncoder` does not keep a keyed container's order). `pretty` indents by two spaces.
    public func jsonText(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        func newline(_ level: Int) {
            guard pretty else { return }
            out += "\n" + String(repeating: " ", count: level * 2)
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 1e15 { out += String(Int64(d)) } else if d.isFinite { out += String(d) } else { out += "null" }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += "," }
                newline(indent + 1)
                e.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if !a.isEmpty { newline(indent) }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, e)) in o.enumerated() {
                if i > 0 { out += "," }
                newline(indent + 1)
                Self.writeString(k, to: &out)
                out += pretty ? ": " : ":"
                e.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if !o.isEmpty { newline(indent) }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// What `self` has that `known` lacks: keys absent from `known`, recursively; arrays by index.
    /// Scalars present on both sides belong to `known`. Returns nil when nothing is left over.
    public func residual(comparedTo known: JSONValue) -> JSONValue? {
        switch (self, known) {
        case (.object(let raw), .object(let k)):
            var out = OrderedDictionary<String, JSONValue>()
            for (key, value) in raw {
                if let kv = k[key] {
                    if let r = value.residual(comparedTo: kv) { out[key] = r }
                } else {
                    out[key] = value
                }
            }
            return out.isEmpty ? nil : .object(out)
        case (.array(let raw), .array(let k)):
            var out: [JSONValue] = []
            var any = false
            for (i, v) in raw.enumerated() {
                if i < k.count, let r = v.residual(comparedTo: k[i]) {
                    out.append(r); any = true
                } else {
                    out.append(.null)
                }
            }
            return any ? .array(out) : nil
        default:
            return nil
        }
    }

    /// Adds a residual (from ``residual(comparedTo:)``) back: keys `self` lacks are inserted.
    public func merging(residual: JSONValue) -> JSONValue {
        switch (self, residual) {
        case (.object(var o), .object(let r)):
            for (key, value) in r {
                if let existing = o[key] {
                    o[key] = existing.merging(residual: value)
                } else {
                    o[key] = value
                }
            }
            return .object(o)
        case (.array(var a), .array(let r)):
            for (i, v) in r.enumerated() where i < a.count && !v.isNull {
                a[i] = a[i].merging(residual: v)
            }
            return .array(a)
        default:
            return self
        }
    }

    /// RFC 7386 JSON merge patch.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var target: OrderedDictionary<String, JSONValue>
        if case .object(let o) = self { target = o } else { target = [:] }
        for (k, v) in p {
            if v.isNull {
                target.removeValue(forKey: k)
            } else {
                target[k] = (target[k] ?? .null).mergePatched(with: v)
            }
        }
        return .object(target)
    }
}
