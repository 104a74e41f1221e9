import Foundation

/// An instant, as nanoseconds since the Unix epoch. Serialized as RFC 3339 in UTC
/// (`2022-03-24T08:50:00Z`), with a fraction only when the instant has one.
///
/// The representable range is that of Go's `UnixNano` (an Int64 of nanoseconds):
/// 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z. Arithmetic never traps: a result
/// past either end saturates at that end (`Timestamp.min` / `Timestamp.max`), which keeps every comparison
/// with an in-range instant (such as the simulated now) correct.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanos: Int64

    /// The earliest and latest representable instants.
    public static let min = Timestamp(nanos: Int64.min)
    public static let max = Timestamp(nanos: Int64.max)
    /// The representable range, for error messages.
    public static let rangeDescription = "between 1677-09-21T00:12:44Z and 2262-04-11T23:47:16Z"

    public init(nanos: Int64) { self.nanos = nanos }
    /// Saturates outside the representable range.
    public init(unixSeconds: Int64) {
        let (v, o) = unixSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        self.nanos = o ? (unixSeconds < 0 ? Int64.min : Int64.max) : v
    }
    /// Saturates outside the representable range; NaN is the epoch.
    public init(date: Date) { self.nanos = Self.clampedNanos(date.timeIntervalSince1970 * 1e9) }

    /// `seconds` in whole nanoseconds (rounded), clamped to Int64; NaN is 0.
    public static func clampedNanos(_ nanos: Double) -> Int64 {
        guard !nanos.isNaN else { return 0 }
        let r = nanos.rounded()
        if r >= 9.223372036854775807e18 { return Int64.max }
        if r <= -9.223372036854775808e18 { return Int64.min }
        return Int64(r)
    }

    /// Floor of the seconds since the epoch.
    public var unixSeconds: Int64 { floorDiv(nanos, 1_000_000_000) }
    public var date: Date { Date(timeIntervalSince1970: Double(nanos) / 1e9) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanos < b.nanos }

    /// The instant `seconds` later (seconds may be fractional or negative); saturates.
    public func adding(seconds: Double) -> Timestamp {
        let d = (seconds * 1e9).rounded()
        if d.isNaN { return self }
        if abs(d) < 9.2e18 { return adding(nanos: Int64(d)) }
        return Timestamp(nanos: Self.clampedNanos(Double(nanos) + d))  // far beyond either end
    }
    /// The instant `delta` nanoseconds later; saturates at `Timestamp.min` / `Timestamp.max`.
    public func adding(nanos delta: Int64) -> Timestamp {
        let (v, o) = nanos.addingReportingOverflow(delta)
        return Timestamp(nanos: o ? (delta < 0 ? Int64.min : Int64.max) : v)
    }
    /// Nanoseconds from `other` to `self`, saturating like Go's `Time.Sub`.
    public func nanos(since other: Timestamp) -> Int64 {
        let (d, o) = nanos.subtractingReportingOverflow(other.nanos)
        return o ? (nanos < other.nanos ? Int64.min : Int64.max) : d
    }
    /// Seconds from `other` to `self`.
    public func seconds(since other: Timestamp) -> Double {
        let (d, o) = nanos.subtractingReportingOverflow(other.nanos)
        return o ? (Double(nanos) - Double(other.nanos)) / 1e9 : Double(d) / 1e9
    }

    public var description: String { rfc3339 }

    /// RFC 3339 in UTC; fractional seconds only when present.
    public var rfc3339: String {
        let secs = unixSeconds
        let frac = nanos - (nanos / 1_000_000_000) * 1_000_000_000
        return Self.rfc3339(unixSeconds: secs, fraction: frac < 0 ? frac + 1_000_000_000 : frac)
    }

    /// RFC 3339 in UTC of `unixSeconds` plus `fraction` nanoseconds (0 ..< 1e9); works for any year that
    /// fits in Int64 seconds, including instants a `Timestamp` cannot hold (a fire time past 2262).
    public static func rfc3339(unixSeconds secs: Int64, fraction frac: Int64 = 0) -> String {
        let (y, m, d) = civilFromDays(floorDiv(secs, 86400))
        let sod = secs - floorDiv(secs, 86400) * 86400
        if (0...9999).contains(y) {
            // Digit by digit: the same text as the `String(format:)` below, several times faster
            // (every trace row and every encoded object time goes through here).
            return String(unsafeUninitializedCapacity: 30) { buf in
                var i = 0
                func put(_ v: Int64, _ width: Int) {
                    var v = v
                    for k in stride(from: width - 1, through: 0, by: -1) {
                        buf[i + k] = UInt8(ascii: "0") + UInt8(v % 10)
                        v /= 10
                    }
                    i += width
                }
                func sep(_ c: Unicode.Scalar) { buf[i] = UInt8(ascii: c); i += 1 }
                put(y, 4); sep("-"); put(m, 2); sep("-"); put(d, 2); sep("T")
                put(sod / 3600, 2); sep(":"); put((sod / 60) % 60, 2); sep(":"); put(sod % 60, 2)
                if frac != 0 {
                    var f = frac, digits = 9
                    while f % 10 == 0 { f /= 10; digits -= 1 }
                    sep(".")
                    put(f, digits)
                }
                sep("Z")
                return i
            }
        }
        return rfc3339ByFormat(unixSeconds: secs, fraction: frac)
    }

    /// The same text through `String(format:)`: years outside 0...9999, and the reference the
    /// digit-by-digit path is tested against.
    static func rfc3339ByFormat(unixSeconds secs: Int64, fraction frac: Int64) -> String {
        let (y, m, d) = civilFromDays(floorDiv(secs, 86400))
        let sod = secs - floorDiv(secs, 86400) * 86400
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, sod / 3600, (sod / 60) % 60, sod % 60)
        if frac != 0 {
            var f = String(format: "%09d", frac)
            while f.hasSuffix("0") { f.removeLast() }
            s += "." + f
        }
        return s + "Z"
    }

    /// Parses RFC 3339 (`2022-03-24T08:50:00Z`, `…+08:00`, fractional seconds allowed); nil for bad syntax or
    /// an instant outside the representable range (see `isOutOfRange(rfc3339:)`).
    public init?(rfc3339 s: String) {
        guard case .success(let t) = Self.parse(rfc3339: s) else { return nil }
        self = t
    }

    /// True when `s` is valid RFC 3339 syntax for an instant outside the representable range.
    public static func isOutOfRange(rfc3339 s: String) -> Bool {
        if case .failure(.outOfRange) = parse(rfc3339: s) { return true }
        return false
    }

    public enum ParseError: Error { case syntax, outOfRange }

    public static func parse(rfc3339 s: String) -> Result<Timestamp, ParseError> {
        let u = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= u.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard u.count >= 20, let y = num(0, 4), u[4] == 45, let mo = num(5, 2), u[7] == 45, let d = num(8, 2),
              u[10] == 84 || u[10] == 116 || u[10] == 32, let h = num(11, 2), u[13] == 58, let mi = num(14, 2), u[16] == 58,
              let sec = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return .failure(.syntax) }
        var i = 19
        var frac: Int64 = 0
        if i < u.count, u[i] == 46 {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(u[i] - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return .failure(.syntax) }
            for _ in digits..<9 { frac *= 10 }
        }
        guard i < u.count else { return .failure(.syntax) }
        var offset = 0
        if u[i] == 90 || u[i] == 122 {
            i += 1
        } else if u[i] == 43 || u[i] == 45 {
            guard let oh = num(i + 1, 2), u.count > i + 3, u[i + 3] == 58, let om = num(i + 4, 2) else { return .failure(.syntax) }
            offset = (oh * 3600 + om * 60) * (u[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return .failure(.syntax)
        }
        guard i == u.count else { return .failure(.syntax) }
        let days = daysFromCivil(Int64(y), Int64(mo), Int64(d))
        let secs = days * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset)
        let (whole, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = whole.addingReportingOverflow(frac)
        if o1 || o2 { return .failure(.outOfRange) }
        return .success(Timestamp(nanos: total))
    }
}

extension Timestamp: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let t = Timestamp(rfc3339: s) else {
            if Timestamp.isOutOfRange(rfc3339: s) {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "time \"\(s)\" is out of range: expected an instant \(Timestamp.rangeDescription)")
            }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an RFC 3339 time such as 2022-03-24T08:50:00Z, got \"\(s)\"")
        }
        self = t
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rfc3339)
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
public func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
    let y = m <= 2 ? y0 - 1 : y0
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
public func civilFromDays(_ z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = z0 + 719468
    let era = floorDiv(z, 146097)
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}
