import Foundation

/// An instant, as nanoseconds since the Unix epoch. Serialized as RFC 3339 in UTC
/// (`2022-03-24T08:50:00Z`), with a fraction only when the instant has one.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanos: Int64

    public init(nanos: Int64) { self.nanos = nanos }
    public init(unixSeconds: Int64) { self.nanos = unixSeconds * 1_000_000_000 }
    public init(date: Date) { self.nanos = Int64((date.timeIntervalSince1970 * 1e9).rounded()) }

    public var unixSeconds: Int64 { nanos >= 0 ? nanos / 1_000_000_000 : -((-nanos + 999_999_999) / 1_000_000_000) }
    public var date: Date { Date(timeIntervalSince1970: Double(nanos) / 1e9) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanos < b.nanos }

    /// The instant `seconds` later (seconds may be fractional or negative).
    public func adding(seconds: Double) -> Timestamp {
        Timestamp(nanos: nanos + Int64((seconds * 1e9).rounded()))
    }
    /// Seconds from `other` to `self`.
    public func seconds(since other: Timestamp) -> Double {
        Double(nanos - other.nanos) / 1e9
    }

    public var description: String { rfc3339 }

    /// RFC 3339 in UTC; fractional seconds only when present.
    public var rfc3339: String {
        let secs = unixSeconds
        let frac = nanos - secs * 1_000_000_000
        let (y, m, d) = civilFromDays(Int64(floorDiv(secs, 86400)))
        let sod = secs - floorDiv(secs, 86400) * 86400
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, sod / 3600, (sod / 60) % 60, sod % 60)
        if frac != 0 {
            var f = String(format: "%09d", frac)
            while f.hasSuffix("0") { f.removeLast() }
            s += "." + f
        }
        return s + "Z"
    }

    /// Parses RFC 3339 (`2022-03-24T08:50:00Z`, `…+08:00`, fractional seconds allowed).
    public init?(rfc3339 s: String) {
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
        else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < u.count, u[i] == 46 {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(u[i] - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { frac *= 10 }
        }
        guard i < u.count else { return nil }
        var offset = 0
        if u[i] == 90 || u[i] == 122 {
            i += 1
        } else if u[i] == 43 || u[i] == 45 {
            guard let oh = num(i + 1, 2), u.count > i + 3, u[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let days = daysFromCivil(Int64(y), Int64(mo), Int64(d))
        let secs = days * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset)
        self.nanos = secs * 1_000_000_000 + frac
    }
}

extension Timestamp: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let t = Timestamp(rfc3339: s) else {
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
