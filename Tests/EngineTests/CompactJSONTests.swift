import Foundation
import Testing
@testable import Engine

/// The trace and `manifestJSONText()` write objects through ``CompactJSON``; its text must be
/// what `JSONEncoder` (sorted keys, unescaped slashes) and the value tree write.
@Suite struct CompactJSONTests {
    struct Inner: Codable, Equatable { var z: Int?; var a: [String]; var m: [String: Int] }
    struct Outer: Codable, Equatable {
        var name: String
        var flag: Bool
        var count: Int64
        var ratio: Double
        var whole: Double
        var nothing: String?
        var inner: Inner
        var list: [Inner]
        var labels: [String: String]
    }

    static let sample = Outer(
        name: "a \"quoted\" back\\slash/slash\ttab\nline\u{1}ctl é ✓", flag: true, count: -9_223_372_036_854_775_807,
        ratio: 0.25, whole: 3, nothing: nil,
        inner: Inner(z: 7, a: ["x", ""], m: ["b": 1, "a10": 2, "a9": 3, "B": 4, "_u": 5, "a": 6]),
        list: [Inner(z: nil, a: [], m: [:])],
        labels: ["kubernetes.io/hostname": "n1", "Zone": "a", "app": "cleaner", "app.kubernetes.io/name": "x", "é": "y", "10": "z", "9": "w"])

    static func foundation<T: Encodable>(_ v: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        #expect(try CompactJSON.text(Self.sample) == Self.foundation(Self.sample))
    }

    @Test func writesWhatTheValueTreeWrites() throws {
        #expect(try CompactJSON.text(Self.sample) == JSONValue(encoding: Self.sample).jsonText())
    }

    @Test func roundTrips() throws {
        let text = try CompactJSON.text(Self.sample)
        #expect(try JSONDecoder().decode(Outer.self, from: Data(text.utf8)) == Self.sample)
    }

    @Test func rejectsANonFiniteDouble() {
        #expect(throws: EncodingError.self) { try CompactJSON.text([Double.nan]) }
    }
}
