// Go `time.ParseDuration`, reproduced byte for byte (syntax, overflow rules and error texts).
//
//     [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+      units: ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h
//
// "0" (optionally signed) is the only unit-less value accepted. Errors carry Go's exact text, e.g.
// `time: invalid duration ""`, `time: missing unit in duration "1.5"`,
// `time: unknown unit "d" in duration "1d"`.

/// A Go `time.ParseDuration` error; `message` is Go's `err.Error()` text.
public struct GoDurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Parses a Go duration string (`90s`, `1h30m`, `250ms`, `-1.5h`, `0`) into nanoseconds, exactly like Go's
/// `time.ParseDuration`, throwing Go's error text on failure.
public func parseGoDurationNanoseconds(_ s: String) throws(GoDurationError) -> Int64 {
    try GoDurationParser.parse(s)
}

/// Parses a Go duration string into seconds (possibly fractional or negative); throws Go's error text.
public func parseGoDurationSeconds(_ s: String) throws(GoDurationError) -> Double {
    Double(try GoDurationParser.parse(s)) / 1e9
}

/// Parses a Go duration string (`90s`, `1h30m`, `250ms`) into seconds; nil when Go would reject it.
public func parseGoDuration(_ s: String) -> Double? {
    try? parseGoDurationSeconds(s)
}

enum GoDurationParser {
    static let unitNanos: [[UInt8]: UInt64] = [
        Array("ns".utf8): 1,
        Array("us".utf8): 1_000,
        Array("µs".utf8): 1_000, // U+00B5 micro sign
        Array("μs".utf8): 1_000, // U+03BC Greek small letter mu
        Array("ms".utf8): 1_000_000,
        Array("s".utf8): 1_000_000_000,
        Array("m".utf8): 60_000_000_000,
        Array("h".utf8): 3_600_000_000_000,
    ]

    static func parse(_ orig: String) throws(GoDurationError) -> Int64 {
        let b = Array(orig.utf8)
        var i = 0
        var d: UInt64 = 0
        var neg = false
        func invalid() -> GoDurationError { GoDurationError("time: invalid duration " + quote(b[...])) }

        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            neg = b[i] == UInt8(ascii: "-")
            i += 1
        }
        // Special case: if all that is left is "0", this is zero.
        if b.count - i == 1 && b[i] == UInt8(ascii: "0") { return 0 }
        if i == b.count { throw invalid() }

        let limit: UInt64 = 1 << 63
        while i < b.count {
            var v: UInt64 = 0
            var f: UInt64 = 0
            var scale: Double = 1

            // The next character must be [0-9.]
            let c0 = b[i]
            guard c0 == UInt8(ascii: ".") || isDigit(c0) else { throw invalid() }

            // Consume [0-9]* (leadingInt)
            let pl = i
            while i < b.count, isDigit(b[i]) {
                if v > limit / 10 { throw invalid() }
                v = v * 10 + UInt64(b[i] - 48)
                if v > limit { throw invalid() }
                i += 1
            }
            let pre = pl != i

            // Consume (\.[0-9]*)? (leadingFraction)
            var post = false
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                let fl = i
                var overflow = false
                while i < b.count, isDigit(b[i]) {
                    defer { i += 1 }
                    if overflow { continue }
                    if f > (limit - 1) / 10 { overflow = true; continue }
                    let y = f * 10 + UInt64(b[i] - 48)
                    if y > limit { overflow = true; continue }
                    f = y
                    scale *= 10
                }
                post = fl != i
            }
            if !pre && !post { throw invalid() } // no digits (e.g. ".s" or "-.s")

            // Consume unit.
            let ul = i
            while i < b.count, !(b[i] == UInt8(ascii: ".") || isDigit(b[i])) { i += 1 }
            if ul == i { throw GoDurationError("time: missing unit in duration " + quote(b[...])) }
            let u = Array(b[ul..<i])
            guard let unit = unitNanos[u] else {
                throw GoDurationError("time: unknown unit " + quote(b[ul..<i]) + " in duration " + quote(b[...]))
            }
            if v > limit / unit { throw invalid() }
            v *= unit
            if f > 0 {
                // float64 is needed to be nanosecond accurate for fractions of hours.
                v += UInt64(Double(f) * (Double(unit) / scale))
                if v > limit { throw invalid() }
            }
            d += v
            if d > limit { throw invalid() }
        }
        if neg { return d == limit ? Int64.min : -Int64(d) }
        if d > limit - 1 { throw invalid() }
        return Int64(d)
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// Go's `time.quote`: ASCII printable bytes as-is (with `"` and `\` escaped), every other byte
    /// (control characters and each byte of a non-ASCII rune) as `\xNN`.
    static func quote(_ s: ArraySlice<UInt8>) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(s.count + 2)
        for c in s {
            if c >= 0x80 || c < 0x20 {
                out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "x"))
                out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 0xF)])
            } else {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
