import Foundation

/// Compact JSON text of an `Encodable` value with sorted keys and unescaped slashes: the bytes
/// `JSONEncoder` writes with `[.sortedKeys, .withoutEscapingSlashes]`, for the value types of this
/// engine (strings, integers, booleans, doubles, nested containers), without Foundation's boxing
/// of every value. The trace writes every object version through it, so it is on the hot path of
/// a traced run (BENCHMARKS.md, "Trace").
///
/// Keys are sorted as `JSONEncoder` sorts them on Linux (`String` order). Each key is expected once
/// per container, as the models and `Dictionary` encode them. Containers do not extend
/// `codingPath` (it would cost an array per value), so an error names no path.
public enum CompactJSON {
    public static func text<T: Encodable>(_ value: T) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        try write(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``text(_:)``'s bytes, appended to `out` (nothing is appended when it throws).
    public static func write<T: Encodable>(_ value: T, to out: inout [UInt8]) throws {
        if let w = value as? any CompactJSONWritable {
            w.writeCompactJSON(to: &out)
        } else {
            try writeEncoded(value, to: &out)
        }
    }

    private static func written(_ w: some CompactJSONWritable) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        w.writeCompactJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``text(_:)`` through the value's `Encodable` conformance, even for a ``CompactJSONWritable``
    /// (for tests that compare the two).
    public static func encoded<T: Encodable>(_ value: T) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        try writeEncoded(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func writeEncoded<T: Encodable>(_ value: T, to out: inout [UInt8]) throws {
        let encoder = Encoder_()
        try value.encode(to: encoder)
        (encoder.value ?? Node.object(ObjectBox())).write(to: &out)
    }

    // MARK: The value tree

    fileprivate final class ObjectBox {
        var entries: [(key: String, value: Node)] = []
        func set(_ key: String, _ value: Node) { entries.append((key, value)) }
    }
    fileprivate final class ArrayBox {
        var items: [Node] = []
    }

    fileprivate enum Node {
        case raw(String)  // a number, true, false or null, as written
        case string(String)
        case array(ArrayBox)
        case object(ObjectBox)

        func write(to out: inout [UInt8]) {
            switch self {
            case .raw(let s): out.append(contentsOf: s.utf8)
            case .string(let s): CompactJSON.writeString(s, to: &out)
            case .array(let a):
                out.append(UInt8(ascii: "["))
                for (i, e) in a.items.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    e.write(to: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .object(let o):
                out.append(UInt8(ascii: "{"))
                let sorted = o.entries.count < 2 ? o.entries : o.entries.sorted { $0.key < $1.key }
                for (i, e) in sorted.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    CompactJSON.writeString(e.key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    e.value.write(to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            // Most strings (names, keys, phases, times) need no escape: copy them whole.
            var clean = true
            for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                clean = false
                break
            }
            if clean {
                out.append(contentsOf: bytes)
            } else {
                for b in bytes {
                    switch b {
                    case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
                    case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
                    case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                    case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                    case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                    case 0..<0x20:
                        out.append(contentsOf: Array("\\u00".utf8))
                        out.append(hex[Int(b >> 4)])
                        out.append(hex[Int(b & 0xF)])
                    default: out.append(b)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    fileprivate static func number(_ d: Double) throws -> String {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: [], debugDescription: "Unable to encode Double.\(d) directly in JSON."))
        }
        // JSONEncoder writes an integral double without a fraction ("2", not "2.0").
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    // MARK: Encoder

    fileprivate final class Encoder_: Swift.Encoder {
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var value: Node?

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: ObjectBox
            if case .object(let b)? = value { box = b } else { box = ObjectBox(); value = .object(box) }
            return KeyedEncodingContainer(Keyed<Key>(box: box, codingPath: codingPath))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let b)? = value { box = b } else { box = ArrayBox(); value = .array(box) }
            return Unkeyed(box: box, codingPath: codingPath)
        }
        func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }
    }

    fileprivate static func node<T: Encodable>(_ v: T, path: [any CodingKey]) throws -> Node {
        // Comparing metadata is cheaper than trying a dynamic cast to each scalar type in turn;
        // most values that come here are structs, arrays and dictionaries.
        let t = T.self
        if t == String.self { return .string(v as! String) }
        if t == Bool.self { return .raw((v as! Bool) ? "true" : "false") }
        if t == Int.self { return .raw(String(v as! Int)) }
        if t == Int64.self { return .raw(String(v as! Int64)) }
        if t == Int32.self { return .raw(String(v as! Int32)) }
        if t == UInt64.self { return .raw(String(v as! UInt64)) }
        if t == Double.self { return .raw(try number(v as! Double)) }
        // The parts of every object with writers of their own (CompactJSONWriters.swift).
        if t == ObjectMeta.self { return .raw(written(v as! ObjectMeta)) }
        if t == PodStatus.self { return .raw(written(v as! PodStatus)) }
        if t == BroadcastJobStatus.self { return .raw(written(v as! BroadcastJobStatus)) }
        if t == NodeStatus.self { return .raw(written(v as! NodeStatus)) }
        if t == PodSpec.self { return .raw(written(v as! PodSpec)) }
        let e = Encoder_()
        e.codingPath = path
        try v.encode(to: e)
        return e.value ?? .object(ObjectBox())
    }

    fileprivate struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: ObjectBox
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .raw("null")) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { box.set(key.stringValue, .raw(value ? "true" : "false")) }
        mutating func encode(_ value: String, forKey key: Key) throws { box.set(key.stringValue, .string(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { box.set(key.stringValue, .raw(try number(value))) }
        mutating func encode(_ value: Float, forKey key: Key) throws { box.set(key.stringValue, .raw(try number(Double(value)))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { box.set(key.stringValue, .raw(String(value))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            box.set(key.stringValue, try node(value, path: codingPath))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let b = ObjectBox()
            box.set(key.stringValue, .object(b))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let b = ArrayBox()
            box.set(key.stringValue, .array(b))
            return Unkeyed(box: b, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Swift.Encoder { superEncoder(key: "super") }
        mutating func superEncoder(forKey key: Key) -> any Swift.Encoder { superEncoder(key: key.stringValue) }
        private func superEncoder(key: String) -> any Swift.Encoder {
            // The value is read back when the caller is done with it, as JSONEncoder's reference encoder does.
            let e = Encoder_()
            let b = ObjectBox()
            e.value = .object(b)
            box.set(key, .object(b))
            return e
        }
    }

    fileprivate struct Unkeyed: UnkeyedEncodingContainer {
        let box: ArrayBox
        var codingPath: [any CodingKey]
        var count: Int { box.items.count }

        mutating func encodeNil() throws { box.items.append(.raw("null")) }
        mutating func encode(_ value: Bool) throws { box.items.append(.raw(value ? "true" : "false")) }
        mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
        mutating func encode(_ value: Double) throws { box.items.append(.raw(try number(value))) }
        mutating func encode(_ value: Int) throws { box.items.append(.raw(String(value))) }
        mutating func encode(_ value: Int32) throws { box.items.append(.raw(String(value))) }
        mutating func encode(_ value: Int64) throws { box.items.append(.raw(String(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.items.append(try node(value, path: codingPath))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let b = ObjectBox()
            box.items.append(.object(b))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let b = ArrayBox()
            box.items.append(.array(b))
            return Unkeyed(box: b, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Swift.Encoder {
            let e = Encoder_()
            let b = ObjectBox()
            e.value = .object(b)
            box.items.append(.object(b))
            return e
        }
    }

    fileprivate struct Single: SingleValueEncodingContainer {
        let encoder: Encoder_
        var codingPath: [any CodingKey] { encoder.codingPath }
        mutating func encodeNil() throws { encoder.value = .raw("null") }
        mutating func encode(_ value: Bool) throws { encoder.value = .raw(value ? "true" : "false") }
        mutating func encode(_ value: String) throws { encoder.value = .string(value) }
        mutating func encode(_ value: Double) throws { encoder.value = .raw(try number(value)) }
        mutating func encode(_ value: Int) throws { encoder.value = .raw(String(value)) }
        mutating func encode(_ value: Int32) throws { encoder.value = .raw(String(value)) }
        mutating func encode(_ value: Int64) throws { encoder.value = .raw(String(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { encoder.value = try node(value, path: codingPath) }
    }
}
