import Foundation

// A from-scratch reproduction of robfig/cron v3.0.1 as used by the kruise AdvancedCronJob controller
// (advancedcronjob.md §2.6 and §3): `ParseStandard` with `TZ=`/`CRON_TZ=` prefixes and descriptors,
// `SpecSchedule.Next` (literally, including Go `time.Date` DST normalisation) and `ConstantDelaySchedule`.
//
// `next` works on Unix seconds and broken-down civil fields; the zone is consulted only through
// `TimeZone.secondsFromGMT(for:)` (instant → offset). No `Calendar`.

/// A cron parse error; `message` is robfig's (or, for a `TZ=` prefix without a space, the kruise webhook's
/// recovered-panic) error text.
public struct CronParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// robfig `SpecSchedule`: one bit set per field (bit 63 is the star bit), evaluated in `zone`.
public struct CronSpecSchedule: Sendable, Equatable {
    public let second: UInt64
    public let minute: UInt64
    public let hour: UInt64
    public let dom: UInt64
    public let month: UInt64
    public let dow: UInt64
    /// The schedule's zone: the `TZ=` zone, else the caller's default (controller-local) zone.
    public let zone: TimeZone
    /// The zone's constant offset when it never changes (UTC, Etc/GMT+5, ...): lets `next` skip the zone.
    let fixedOffset: Int64?

    public init(second: UInt64, minute: UInt64, hour: UInt64, dom: UInt64, month: UInt64, dow: UInt64,
                zone: TimeZone) {
        self.second = second
        self.minute = minute
        self.hour = hour
        self.dom = dom
        self.month = month
        self.dow = dow
        self.zone = zone
        if zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: -1e11)) == nil {
            fixedOffset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)))
        } else {
            fixedOffset = nil
        }
    }
}

/// A parsed AdvancedCronJob schedule: a robfig `SpecSchedule` or an `@every` `ConstantDelaySchedule`.
public enum CronSchedule: Sendable, Equatable {
    case spec(CronSpecSchedule)
    /// `@every D`: `next(t) = t + D − t.nanoseconds`; D in whole seconds, at least 1; ignores any zone.
    case constantDelay(seconds: Int64)

    /// Parses like robfig/cron v3 `ParseStandard`, with `TZ=`/`CRON_TZ=` prefixes. `defaultZone` is the zone used
    /// when the spec has no TZ prefix (robfig: the location of the input time; here the caller passes the
    /// controller's local zone). `TZ=Local` also means `defaultZone`.
    public static func parse(_ spec: String, defaultZone: TimeZone) throws(CronParseError) -> CronSchedule {
        try CronParser.parse(spec, defaultZone: defaultZone)
    }

    /// The first fire time strictly after `date`, or nil when none exists within the five-year search window
    /// (robfig returns the zero time).
    public func next(after date: Date) -> Date? {
        let x = date.timeIntervalSince1970
        guard x.isFinite, abs(x) < 1e15 else { return nil }
        guard let s = next(afterUnixSeconds: Int64(x.rounded(.down))) else { return nil }
        return Date(timeIntervalSince1970: Double(s))
    }

    /// The first fire time (Unix seconds) strictly after the instant `seconds + fraction` for any fraction in
    /// [0, 1): the whole-second part is all that matters (`t + 1s − nanos`). Nil when none within five years.
    public func next(afterUnixSeconds seconds: Int64) -> Int64? {
        switch self {
        case .constantDelay(let d):
            let (t, overflow) = seconds.addingReportingOverflow(d)
            return overflow ? nil : t
        case .spec(let s):
            return CronNext.next(s, afterUnixSeconds: seconds)
        }
    }
}

// MARK: - SpecSchedule.Next

enum CronNext {
    /// Broken-down wall-clock fields of an instant in the schedule's zone.
    struct Wall {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var weekday: Int
    }

    struct Zone {
        let tz: TimeZone
        let fixed: Int64?

        @inline(__always) func offset(_ u: Int64) -> Int64 {
            if let fixed { return fixed }
            return Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(u))))
        }

        /// `t.In(loc)` broken down.
        @inline(__always) func wall(_ u: Int64) -> Wall {
            let local = u + offset(u)
            let days = Civil.floorDiv(local, 86400)
            let sod = Int(local - days * 86400)
            let (y, m, d) = Civil.civilFromDays(days)
            return Wall(year: Int(y), month: m, day: d, hour: sod / 3600, minute: (sod / 60) % 60, second: sod % 60,
                        weekday: Int(Civil.floorMod(days + 4, 7)))
        }

        /// Go `time.Date(y, m, d, h, mi, s, 0, loc)`: fields normalised, then the wall time taken as UTC (`unix`)
        /// is shifted by the offset in effect at `unix`; if the resulting instant lies outside that offset's
        /// period, the offset in effect at the resulting instant is used instead. In a spring-forward gap this
        /// gives 2024-03-10 02:30 New York → 01:30−05:00; in a fall-back overlap 01:30 → −04:00 (first instant).
        @inline(__always) func date(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Int64 {
            let m0 = Int64(m - 1)
            let year = Int64(y) + Civil.floorDiv(m0, 12)
            let month = Int(Civil.floorMod(m0, 12)) + 1
            let days = Civil.daysFromCivil(year, month, 1) + Int64(d - 1)
            let unix = days * 86400 + Int64(h) * 3600 + Int64(mi) * 60 + Int64(s)
            let off1 = offset(unix)
            if off1 == 0 { return unix }
            // Go re-looks-up only when unix − off1 is outside off1's period; when it is inside, the lookup at
            // unix − off1 returns off1 anyway, so one unconditional lookup is equivalent.
            return unix - offset(unix - off1)
        }
    }

    @inline(__always) static func bit(_ v: Int) -> UInt64 { 1 << UInt64(v) }

    @inline(__always) static func dayMatches(_ s: CronSpecSchedule, _ w: Wall) -> Bool {
        let domMatch = bit(w.day) & s.dom != 0
        let dowMatch = bit(w.weekday) & s.dow != 0
        if s.dom & CronParser.starBit != 0 || s.dow & CronParser.starBit != 0 {
            return domMatch && dowMatch
        }
        return domMatch || dowMatch
    }

    /// True when no instant can ever match (an empty field such as `,`), so the five-year search is pointless.
    static func isUnsatisfiable(_ s: CronSpecSchedule) -> Bool {
        let valueBits = ~CronParser.starBit
        if s.second & valueBits == 0 || s.minute & valueBits == 0 || s.hour & valueBits == 0
            || s.month & valueBits == 0 {
            return true
        }
        let domEmpty = s.dom & valueBits == 0
        let dowEmpty = s.dow & valueBits == 0
        if s.dom & CronParser.starBit != 0 || s.dow & CronParser.starBit != 0 { return domEmpty || dowEmpty }
        return domEmpty && dowEmpty
    }

    /// robfig `SpecSchedule.Next`, step for step (advancedcronjob.md §3.5).
    static func next(_ s: CronSpecSchedule, afterUnixSeconds start: Int64) -> Int64? {
        if isUnsatisfiable(s) { return nil }
        let zone = Zone(tz: s.zone, fixed: s.fixedOffset)

        // Start at the earliest possible time (the upcoming second): t + 1s − nanos.
        var t = start + 1
        var w = zone.wall(t)
        var added = false
        // If no time is found within five years, return zero (nil here).
        let yearLimit = w.year + 5
        // A guard against pathological zone data; never reached with real zones (5 years of minutes ≈ 2.7M).
        var budget = 50_000_000

        wrap: while true {
            if w.year > yearLimit { return nil }

            // Find the first applicable month. If it's this month, then do nothing.
            while bit(w.month) & s.month == 0 {
                budget -= 1; if budget < 0 { return nil }
                if !added {
                    added = true
                    t = zone.date(w.year, w.month, 1, 0, 0, 0)
                    w = zone.wall(t)
                }
                // t.AddDate(0, 1, 0)
                t = zone.date(w.year, w.month + 1, w.day, w.hour, w.minute, w.second)
                w = zone.wall(t)
                if w.month == 1 { continue wrap }
            }

            // Now get a day in that month; midnight may not exist (DST), hence the hour correction.
            while !dayMatches(s, w) {
                budget -= 1; if budget < 0 { return nil }
                if !added {
                    added = true
                    t = zone.date(w.year, w.month, w.day, 0, 0, 0)
                    w = zone.wall(t)
                }
                // t.AddDate(0, 0, 1)
                t = zone.date(w.year, w.month, w.day + 1, w.hour, w.minute, w.second)
                w = zone.wall(t)
                if w.hour != 0 {
                    if w.hour > 12 {
                        t += Int64(24 - w.hour) * 3600
                    } else {
                        t -= Int64(w.hour) * 3600
                    }
                    w = zone.wall(t)
                }
                if w.day == 1 { continue wrap }
            }

            while bit(w.hour) & s.hour == 0 {
                budget -= 1; if budget < 0 { return nil }
                if !added {
                    added = true
                    t = zone.date(w.year, w.month, w.day, w.hour, 0, 0)
                    w = zone.wall(t)
                }
                t += 3600  // absolute hour
                w = zone.wall(t)
                if w.hour == 0 { continue wrap }
            }

            while bit(w.minute) & s.minute == 0 {
                budget -= 1; if budget < 0 { return nil }
                if !added {
                    added = true
                    t = Civil.floorDiv(t, 60) * 60  // t.Truncate(time.Minute): absolute, not wall
                    w = zone.wall(t)
                }
                t += 60
                w = zone.wall(t)
                if w.minute == 0 { continue wrap }
            }

            while bit(w.second) & s.second == 0 {
                budget -= 1; if budget < 0 { return nil }
                // t.Truncate(time.Second) is a no-op: t is whole seconds.
                added = true
                t += 1
                w = zone.wall(t)
                if w.second == 0 { continue wrap }
            }

            return t
        }
    }
}

// MARK: - Civil-date arithmetic (proleptic Gregorian, days since 1970-01-01)

enum Civil {
    @inline(__always) static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    @inline(__always) static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// Howard Hinnant's `days_from_civil`.
    @inline(__always) static func daysFromCivil(_ y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Howard Hinnant's `civil_from_days`.
    @inline(__always) static func civilFromDays(_ z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
