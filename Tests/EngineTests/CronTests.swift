import Foundation
import Testing
@testable import Engine

/// robfig/cron v3.0.1 `ParseStandard` + `SpecSchedule.Next` + `ConstantDelaySchedule` (advancedcronjob.md §2.6, §3)
/// and Go `time.ParseDuration`.
@Suite struct CronTests {
    // MARK: Helpers

    static let utc = TimeZone(identifier: "UTC")!

    static func zone(_ id: String) -> TimeZone { TimeZone(identifier: id)! }

    static func parse(_ spec: String, _ zone: TimeZone = utc) throws -> CronSchedule {
        try CronSchedule.parse(spec, defaultZone: zone)
    }

    /// The parse error text, or nil when the spec parses.
    static func parseError(_ spec: String, _ zone: TimeZone = utc) -> String? {
        do {
            _ = try CronSchedule.parse(spec, defaultZone: zone)
            return nil
        } catch {
            return error.message
        }
    }

    static func specFields(_ spec: String) throws -> CronSpecSchedule {
        guard case .spec(let s) = try parse(spec) else {
            Issue.record("\(spec) is not a SpecSchedule")
            throw CronParseError("not a spec")
        }
        return s
    }

    static func bits(_ values: [Int], star: Bool = false) -> UInt64 {
        var b: UInt64 = star ? 1 << 63 : 0
        for v in values { b |= 1 << UInt64(v) }
        return b
    }

    static func date(_ iso: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: iso) { return d }
        return ISO8601DateFormatter().date(from: iso)!
    }

    static func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }

    /// The next `count` fire times (UTC RFC 3339), "nil" marking an exhausted search.
    static func nexts(_ spec: String, from: String, count: Int = 3, zone: TimeZone = utc) throws -> [String] {
        let s = try parse(spec, zone)
        var t = date(from)
        var out: [String] = []
        for _ in 0..<count {
            guard let n = s.next(after: t) else { out.append("nil"); break }
            out.append(iso(n))
            t = n
        }
        return out
    }

    /// Days of October 2024 (Oct 1 is a Tuesday) on which `spec` fires, evaluated in UTC.
    static func octoberDays(_ spec: String) throws -> [Int] {
        let s = try parse(spec)
        var t = date("2024-09-30T23:59:59Z")
        var days: [Int] = []
        while let n = s.next(after: t), n < date("2024-11-01T00:00:00Z") {
            days.append(Int(iso(n).dropFirst(8).prefix(2))!)
            t = n
        }
        return days
    }

    // MARK: 3.1 Pipeline

    @Test func emptySpec() async {
        #expect(Self.parseError("") == "empty spec string")
    }

    @Test(arguments: [
        (" ", "expected exactly 5 fields, found 0: []"),
        ("\t \n", "expected exactly 5 fields, found 0: []"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"),
        ("0 0 1 1 * 2024", "expected exactly 5 fields, found 6: [0 0 1 1 * 2024]"),
        ("tz=UTC * * * * *", "expected exactly 5 fields, found 6: [tz=UTC * * * * *]"),
        (" TZ=UTC * * * * *", "expected exactly 5 fields, found 6: [TZ=UTC * * * * *]"),
        (" @daily", "expected exactly 5 fields, found 1: [@daily]"),
        ("TZ=UTC ", "expected exactly 5 fields, found 0: []"),
        ("TZ=UTC  \t ", "expected exactly 5 fields, found 0: []"),
        ("*", "expected exactly 5 fields, found 1: [*]"),
    ])
    func fieldCount(spec: String, message: String) {
        #expect(Self.parseError(spec) == message)
    }

    @Test func whitespaceSeparatesFields() async throws {
        // Any run of Unicode white space separates fields; leading/trailing white space is ignored.
        let a = try Self.parse("  */5\t1  *\n* \u{00A0}MON ")
        let b = try Self.parse("*/5 1 * * MON")
        #expect(a == b)
    }

    @Test func tzPrefix() async throws {
        guard case .spec(let ny) = try Self.parse("TZ=America/New_York 30 2 * * *") else { Issue.record(); return }
        #expect(ny.zone.identifier == "America/New_York")
        guard case .spec(let sh) = try Self.parse("CRON_TZ=Asia/Shanghai 0 9 * * *") else { Issue.record(); return }
        #expect(sh.zone.identifier == "Asia/Shanghai")
        // The rest after the zone is trimmed.
        #expect(try Self.parse("TZ=Europe/London    0 9 * * *   ") == Self.parse("TZ=Europe/London 0 9 * * *"))
        // Without a prefix the default (controller-local) zone applies; TZ=Local means the same.
        let tokyo = Self.zone("Asia/Tokyo")
        guard case .spec(let d) = try Self.parse("0 9 * * *", tokyo) else { Issue.record(); return }
        #expect(d.zone == tokyo)
        guard case .spec(let l) = try Self.parse("TZ=Local 0 9 * * *", tokyo) else { Issue.record(); return }
        #expect(l.zone == tokyo)
        // An empty zone and "UTC" load UTC, whatever the default zone.
        for spec in ["TZ= 0 9 * * *", "TZ=UTC 0 9 * * *", "CRON_TZ= 0 9 * * *"] {
            guard case .spec(let u) = try Self.parse(spec, tokyo) else { Issue.record(); return }
            #expect(u.zone.secondsFromGMT(for: Self.date("2024-07-01T00:00:00Z")) == 0, "\(spec)")
            #expect(u.zone.secondsFromGMT(for: Self.date("2024-01-01T00:00:00Z")) == 0, "\(spec)")
        }
        // Only the first "=" counts; the zone is everything up to the first space.
        #expect(Self.parseError("CRON_TZ=Asia/Shanghai=x 0 9 * * *")
            == "provided bad location Asia/Shanghai=x: unknown time zone Asia/Shanghai=x")
    }

    @Test(arguments: [
        ("TZ=Foo/Bar * * * * *", "provided bad location Foo/Bar: unknown time zone Foo/Bar"),
        ("CRON_TZ=Mars/Olympus_Mons 0 0 * * *",
         "provided bad location Mars/Olympus_Mons: unknown time zone Mars/Olympus_Mons"),
        ("TZ=america/new_york 0 0 * * *",
         "provided bad location america/new_york: unknown time zone america/new_york"),
        ("TZ=GMT+1 0 0 * * *", "provided bad location GMT+1: unknown time zone GMT+1"),
        ("TZ=UTC\t* * * * *", "provided bad location UTC\t*: unknown time zone UTC\t*"),
        ("TZ=../etc/passwd * * * * *", "provided bad location ../etc/passwd: time: invalid location name"),
        ("TZ=/etc/localtime * * * * *", "provided bad location /etc/localtime: time: invalid location name"),
        ("TZ=America * * * * *", "provided bad location America: is a directory"),
        ("TZ=zone.tab * * * * *", "provided bad location zone.tab: malformed time zone information"),
        // No space after the zone: Go panics (slice bounds [:-1]); the webhook's recover() reports this.
        ("TZ=UTC", "invalid cron schedule: runtime error: slice bounds out of range [:-1]"),
        ("CRON_TZ=America/New_York", "invalid cron schedule: runtime error: slice bounds out of range [:-1]"),
        ("TZ=", "invalid cron schedule: runtime error: slice bounds out of range [:-1]"),
        ("TZ=UTC\t0\t0\t*\t*\t*", "invalid cron schedule: runtime error: slice bounds out of range [:-1]"),
    ])
    func badZones(spec: String, message: String) {
        #expect(Self.parseError(spec) == message)
    }

    @Test func tzSymlinkNamesLoad() async throws {
        // Go loads any zone file by name; names Foundation only knows through the link target still work.
        guard FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/posixrules"),
              FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/US/Eastern") else { return }
        guard case .spec(let s) = try Self.parse("TZ=posixrules 0 * * * *") else { Issue.record(); return }
        #expect(s.zone.secondsFromGMT(for: Self.date("2024-07-01T00:00:00Z")) == -4 * 3600)
        #expect(try Self.parse("TZ=US/Eastern 0 * * * *") != Self.parse("TZ=UTC 0 * * * *"))
    }

    // MARK: 3.2 Field grammar

    @Test func bitsPerField() async throws {
        let s = try Self.specFields("5 4 3 2 1")
        #expect(s.second == Self.bits([0]))
        #expect(s.minute == Self.bits([5]))
        #expect(s.hour == Self.bits([4]))
        #expect(s.dom == Self.bits([3]))
        #expect(s.month == Self.bits([2]))
        #expect(s.dow == Self.bits([1]))

        let all = try Self.specFields("* * * * *")
        #expect(all.minute == Self.bits(Array(0...59), star: true))
        #expect(all.hour == Self.bits(Array(0...23), star: true))
        #expect(all.dom == Self.bits(Array(1...31), star: true))
        #expect(all.month == Self.bits(Array(1...12), star: true))
        #expect(all.dow == Self.bits(Array(0...6), star: true))
    }

    @Test func questionMarkInEveryField() async throws {
        #expect(try Self.parse("? ? ? ? ?") == Self.parse("* * * * *"))
        #expect(try Self.specFields("?/15 * * * *").minute == Self.bits([0, 15, 30, 45]))
    }

    @Test func starBitRules() async throws {
        // */1 keeps the star bit; a step > 1 clears it; an explicit full range never has it.
        #expect(try Self.specFields("* * */1 * *").dom == Self.bits(Array(1...31), star: true))
        #expect(try Self.specFields("* * */2 * *").dom == Self.bits(Array(stride(from: 1, through: 31, by: 2))))
        #expect(try Self.specFields("* * 1-31 * *").dom == Self.bits(Array(1...31)))
        #expect(try Self.specFields("* * ? * *").dom == Self.bits(Array(1...31), star: true))
        // Anything after "*-" is ignored, as upstream (lowAndHigh[0] == "*" wins).
        #expect(try Self.specFields("*-5 * * * *").minute == Self.bits(Array(0...59), star: true))
        #expect(try Self.specFields("*-5/20 * * * *").minute == Self.bits([0, 20, 40]))
    }

    @Test func rangesStepsAndLists() async throws {
        #expect(try Self.specFields("1-5 * * * *").minute == Self.bits([1, 2, 3, 4, 5]))
        #expect(try Self.specFields("1-10/3 * * * *").minute == Self.bits([1, 4, 7, 10]))
        // "N/step" means "N-max/step".
        #expect(try Self.specFields("50/3 * * * *").minute == Self.bits([50, 53, 56, 59]))
        #expect(try Self.specFields("* 6-16/4 * * *").hour == Self.bits([6, 10, 14]))
        #expect(try Self.specFields("5 * * * *").minute == Self.bits([5]))
        #expect(try Self.specFields("0,15,30,45 * * * *").minute == Self.bits([0, 15, 30, 45]))
        #expect(try Self.specFields("1-3,10-12,30 * * * *").minute == Self.bits([1, 2, 3, 10, 11, 12, 30]))
        #expect(try Self.specFields("59 23 31 12 6").minute == Self.bits([59]))
    }

    @Test func emptyListItemsAreDropped() async throws {
        #expect(try Self.specFields("0,,30 * * * *").minute == Self.bits([0, 30]))
        #expect(try Self.specFields(",0 * * * *").minute == Self.bits([0]))
        #expect(try Self.specFields("0, * * * *").minute == Self.bits([0]))
        // A field of only commas has no bits at all: it parses, but never fires.
        #expect(try Self.specFields(", * * * *").minute == 0)
        #expect(try Self.nexts(", * * * *", from: "2024-01-01T00:00:00Z", count: 1) == ["nil"])
        #expect(try Self.nexts("0 0 , * *", from: "2024-01-01T00:00:00Z", count: 1) == ["nil"])
        // dom empty but dow restricted: OR semantics still fire on the dow.
        #expect(try Self.nexts("0 0 , * MON", from: "2024-01-01T00:00:00Z", count: 1) == ["2024-01-08T00:00:00Z"])
    }

    @Test func atoiNumbers() async throws {
        // strconv.Atoi: leading zeros and a leading "+" are fine.
        #expect(try Self.specFields("05 +5 007 +012 +0").minute == Self.bits([5]))
        #expect(try Self.specFields("05 +5 007 +012 +0").hour == Self.bits([5]))
        #expect(try Self.specFields("05 +5 007 +012 +0").dom == Self.bits([7]))
        #expect(try Self.specFields("05 +5 007 +012 +0").month == Self.bits([12]))
        #expect(try Self.specFields("05 +5 007 +012 +0").dow == Self.bits([0]))
        #expect(try Self.specFields("*/+5 * * * *").minute == Self.bits(Array(stride(from: 0, through: 59, by: 5))))
        // "-0" in a range is "" and "0", so an Atoi error; as a step it is zero (see fieldErrors).
        #expect(Self.parseError("* * * * -0") == "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax")
        #expect(try Self.specFields("0000000000000000005 * * * *").minute == Self.bits([5])) // Atoi slow path
        #expect(try Self.specFields("+000000000000000005 * * * *").minute == Self.bits([5]))
    }

    @Test func names() async throws {
        #expect(try Self.specFields("* * * JAN-MAR *").month == Self.bits([1, 2, 3]))
        #expect(try Self.specFields("* * * jan,Jun,DEC *").month == Self.bits([1, 6, 12]))
        #expect(try Self.specFields("* * * feb/3 *").month == Self.bits([2, 5, 8, 11]))
        #expect(try Self.specFields("* * * 1-Mar *").month == Self.bits([1, 2, 3]))
        #expect(try Self.specFields("* * * * MON-FRI").dow == Self.bits([1, 2, 3, 4, 5]))
        #expect(try Self.specFields("* * * * mon-fri").dow == Self.bits([1, 2, 3, 4, 5]))
        #expect(try Self.specFields("* * * * Mon/2").dow == Self.bits([1, 3, 5]))
        #expect(try Self.specFields("* * * * sun,SAT").dow == Self.bits([0, 6]))
        #expect(try Self.specFields("* * * * sUn-3").dow == Self.bits([0, 1, 2, 3]))
        // Go strings.ToLower maps U+0130 to "i" (and U+212A KELVIN SIGN to "k").
        #expect(try Self.specFields("* * * * FR\u{130}").dow == Self.bits([5]))
    }

    @Test(arguments: [
        // Range checks, in upstream order: below min, above max, start > end, step 0.
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* 24 * * *", "end of range (24) above maximum (23): 24"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("* * 32 * *", "end of range (32) above maximum (31): 32"),
        ("* * * 0 *", "beginning of range (0) below minimum (1): 0"),
        ("* * * 13 *", "end of range (13) above maximum (12): 13"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("* * * * 0-7", "end of range (7) above maximum (6): 0-7"),
        ("* * * * 1-7", "end of range (7) above maximum (6): 1-7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("* * * * MON-SUN", "beginning of range (1) beyond end of range (0): MON-SUN"),
        ("* * * DEC-JAN *", "beginning of range (12) beyond end of range (1): DEC-JAN"),
        ("60/5 * * * *", "beginning of range (60) beyond end of range (59): 60/5"),
        ("* * 0-40 * *", "beginning of range (0) below minimum (1): 0-40"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("15/0 * * * *", "step of range should be a positive number: 15/0"),
        ("1-5/0 * * * *", "step of range should be a positive number: 1-5/0"),
        ("*/-0 * * * *", "step of range should be a positive number: */-0"),
        ("70/0 * * * *", "beginning of range (70) beyond end of range (59): 70/0"),
        ("0-70/0 * * * *", "end of range (70) above maximum (59): 0-70/0"),
        ("1000000000000000000 * * * *",
         "end of range (1000000000000000000) above maximum (59): 1000000000000000000"),
        // Hyphens and slashes.
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1-2-3/5 * * * *", "too many hyphens: 1-2-3/5"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("a-b-c * * * *", "failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax"),
        ("1-x-3 * * * *", "too many hyphens: 1-x-3"),
        ("x/2/3 * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"),
        // Negative numbers: only reachable in a step; a bare "-1" splits into "" and "1".
        ("*/-1 * * * *", "negative number (-1) not allowed: -1"),
        ("*/-05 * * * *", "negative number (-5) not allowed: -05"),
        ("-1 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"),
        ("1- * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"),
        ("/5 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"),
        ("*/ * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"),
        // Atoi syntax and range errors.
        ("1.5 * * * *", "failed to parse int from 1.5: strconv.Atoi: parsing \"1.5\": invalid syntax"),
        ("0x10 * * * *", "failed to parse int from 0x10: strconv.Atoi: parsing \"0x10\": invalid syntax"),
        ("1_0 * * * *", "failed to parse int from 1_0: strconv.Atoi: parsing \"1_0\": invalid syntax"),
        ("+ * * * *", "failed to parse int from +: strconv.Atoi: parsing \"+\": invalid syntax"),
        ("++1 * * * *", "failed to parse int from ++1: strconv.Atoi: parsing \"++1\": invalid syntax"),
        ("99999999999999999999 * * * *",
         "failed to parse int from 99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range"),
        ("9223372036854775808 * * * *",
         "failed to parse int from 9223372036854775808: strconv.Atoi: parsing \"9223372036854775808\": value out of range"),
        ("99999999999999999999x * * * *",
         "failed to parse int from 99999999999999999999x: strconv.Atoi: parsing \"99999999999999999999x\": value out of range"),
        ("0000000000000000000x * * * *",
         "failed to parse int from 0000000000000000000x: strconv.Atoi: parsing \"0000000000000000000x\": invalid syntax"),
        ("*/-99999999999999999999 * * * *",
         "failed to parse int from -99999999999999999999: strconv.Atoi: parsing \"-99999999999999999999\": value out of range"),
        // Names only in month and dow, only as whole tokens; a step is always numeric.
        ("jan * * * *", "failed to parse int from jan: strconv.Atoi: parsing \"jan\": invalid syntax"),
        ("* * * * */MON", "failed to parse int from MON: strconv.Atoi: parsing \"MON\": invalid syntax"),
        ("* * * * MONDAY", "failed to parse int from MONDAY: strconv.Atoi: parsing \"MONDAY\": invalid syntax"),
        ("* * * * mon-fr", "failed to parse int from fr: strconv.Atoi: parsing \"fr\": invalid syntax"),
        ("* * * JANUARY *", "failed to parse int from JANUARY: strconv.Atoi: parsing \"JANUARY\": invalid syntax"),
        ("* * MON * *", "failed to parse int from MON: strconv.Atoi: parsing \"MON\": invalid syntax"),
        ("* * * * JAN", "failed to parse int from JAN: strconv.Atoi: parsing \"JAN\": invalid syntax"),
        // Not supported: L, W, #, LW, 5L, 15W, 1#2.
        ("0 0 L * *", "failed to parse int from L: strconv.Atoi: parsing \"L\": invalid syntax"),
        ("0 0 LW * *", "failed to parse int from LW: strconv.Atoi: parsing \"LW\": invalid syntax"),
        ("0 0 15W * *", "failed to parse int from 15W: strconv.Atoi: parsing \"15W\": invalid syntax"),
        ("0 0 * * 5L", "failed to parse int from 5L: strconv.Atoi: parsing \"5L\": invalid syntax"),
        ("0 0 * * 1#2", "failed to parse int from 1#2: strconv.Atoi: parsing \"1#2\": invalid syntax"),
        // The first error in field order wins (minute, hour, dom, month, dow).
        ("60 24 0 13 7", "end of range (60) above maximum (59): 60"),
        ("0 24 0 13 7", "end of range (24) above maximum (23): 24"),
        ("0 0 0 13 7", "beginning of range (0) below minimum (1): 0"),
        ("0 0 1 13 7", "end of range (13) above maximum (12): 13"),
        ("0 0 1 1 7", "end of range (7) above maximum (6): 7"),
        // Within a list, the first bad item wins and the error names that item only.
        ("0,5,61,x * * * *", "end of range (61) above maximum (59): 61"),
        // Go strconv.Quote escaping in the Atoi message.
        ("a\"b * * * *", "failed to parse int from a\"b: strconv.Atoi: parsing \"a\\\"b\": invalid syntax"),
        ("a\\b * * * *", "failed to parse int from a\\b: strconv.Atoi: parsing \"a\\\\b\": invalid syntax"),
        ("\u{1}é\u{AD} * * * *",
         "failed to parse int from \u{1}é\u{AD}: strconv.Atoi: parsing \"\\x01é\\u00ad\": invalid syntax"),
        ("\u{7F} * * * *", "failed to parse int from \u{7F}: strconv.Atoi: parsing \"\\x7f\": invalid syntax"),
        ("\u{E0001} * * * *",
         "failed to parse int from \u{E0001}: strconv.Atoi: parsing \"\\U000e0001\": invalid syntax"),
    ])
    func fieldErrors(spec: String, message: String) {
        #expect(Self.parseError(spec) == message)
    }

    // MARK: 3.3 Descriptors

    @Test func descriptors() async throws {
        let one: UInt64 = 1
        let yearly = try Self.specFields("@yearly")
        #expect(yearly == CronSpecSchedule(second: one, minute: one, hour: one, dom: Self.bits([1]), month: Self.bits([1]),
                                           dow: Self.bits(Array(0...6), star: true), zone: Self.utc))
        #expect(try Self.parse("@annually") == Self.parse("@yearly"))
        #expect(try Self.parse("@yearly") == Self.parse("0 0 1 1 *"))
        #expect(try Self.parse("@monthly") == Self.parse("0 0 1 * *"))
        #expect(try Self.parse("@weekly") == Self.parse("0 0 * * 0"))
        #expect(try Self.parse("@daily") == Self.parse("0 0 * * *"))
        #expect(try Self.parse("@midnight") == Self.parse("0 0 * * *"))
        #expect(try Self.parse("@hourly") == Self.parse("0 * * * *"))
        // The TZ prefix applies to descriptors, and the rest after it is trimmed.
        #expect(try Self.parse("TZ=Asia/Shanghai @daily ") == Self.parse("TZ=Asia/Shanghai 0 0 * * *"))
        #expect(try Self.nexts("@weekly", from: "2024-10-01T00:00:00Z", count: 2)
            == ["2024-10-06T00:00:00Z", "2024-10-13T00:00:00Z"])
        #expect(try Self.nexts("@monthly", from: "2024-10-01T00:00:00Z", count: 2)
            == ["2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z"])
        #expect(try Self.nexts("@yearly", from: "2024-10-01T00:00:00Z", count: 2)
            == ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        #expect(try Self.nexts("@hourly", from: "2024-10-01T00:00:00Z", count: 2)
            == ["2024-10-01T01:00:00Z", "2024-10-01T02:00:00Z"])
        #expect(try Self.nexts("TZ=Asia/Shanghai @daily", from: "2024-10-01T00:00:00Z", count: 2)
            == ["2024-10-01T16:00:00Z", "2024-10-02T16:00:00Z"])
    }

    @Test(arguments: [
        ("@every", "unrecognized descriptor: @every"),
        ("@reboot", "unrecognized descriptor: @reboot"),
        ("@DAILY", "unrecognized descriptor: @DAILY"),
        ("@Hourly", "unrecognized descriptor: @Hourly"),
        ("@daily ", "unrecognized descriptor: @daily "),
        ("@daily\t", "unrecognized descriptor: @daily\t"),
        ("@", "unrecognized descriptor: @"),
        ("@ daily", "unrecognized descriptor: @ daily"),
        ("@daily * * * *", "unrecognized descriptor: @daily * * * *"),
        ("@every\t5m", "unrecognized descriptor: @every\t5m"),
        ("@every ", "failed to parse duration @every : time: invalid duration \"\""),
        ("@every  5m", "failed to parse duration @every  5m: time: invalid duration \" 5m\""),
        ("@every 5m ", "failed to parse duration @every 5m : time: unknown unit \"m \" in duration \"5m \""),
        ("@every 1d", "failed to parse duration @every 1d: time: unknown unit \"d\" in duration \"1d\""),
        ("@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\""),
        ("@every 5M", "failed to parse duration @every 5M: time: unknown unit \"M\" in duration \"5M\""),
        ("@every 1h 30m", "failed to parse duration @every 1h 30m: time: unknown unit \"h \" in duration \"1h 30m\""),
        ("TZ=UTC @every", "unrecognized descriptor: @every"),
        ("TZ=UTC @every ", "unrecognized descriptor: @every"),
        ("TZ=UTC @bogus", "unrecognized descriptor: @bogus"),
    ])
    func descriptorErrors(spec: String, message: String) {
        #expect(Self.parseError(spec) == message)
    }

    @Test func everyDelays() async throws {
        #expect(try Self.parse("@every 1h30m") == .constantDelay(seconds: 5400))
        #expect(try Self.parse("@every 90s") == .constantDelay(seconds: 90))
        // Below one second (0 and negatives included) becomes one second; sub-second parts are truncated.
        #expect(try Self.parse("@every 500ms") == .constantDelay(seconds: 1))
        #expect(try Self.parse("@every 0") == .constantDelay(seconds: 1))
        #expect(try Self.parse("@every 0s") == .constantDelay(seconds: 1))
        #expect(try Self.parse("@every -5m") == .constantDelay(seconds: 1))
        #expect(try Self.parse("@every 1.9s") == .constantDelay(seconds: 1))
        #expect(try Self.parse("@every 2500ms") == .constantDelay(seconds: 2))
        #expect(try Self.parse("@every 1m0.999s") == .constantDelay(seconds: 60))
        // The zone is ignored.
        #expect(try Self.parse("TZ=Asia/Shanghai @every 5m") == .constantDelay(seconds: 300))
        #expect(Self.parseError("CRON_TZ=Bogus/Zone @every 5m")
            == "provided bad location Bogus/Zone: unknown time zone Bogus/Zone")
    }

    @Test func everyNext() async throws {
        // Next(t) = t + D − t.nanoseconds: keeps t's seconds phase (not minute-aligned), drops sub-seconds.
        #expect(try Self.nexts("@every 1h30m", from: "2022-03-24T08:45:08.7Z")
            == ["2022-03-24T10:15:08Z", "2022-03-24T11:45:08Z", "2022-03-24T13:15:08Z"])
        #expect(try Self.nexts("@every 90s", from: "2022-03-24T08:45:08Z", count: 2)
            == ["2022-03-24T08:46:38Z", "2022-03-24T08:48:08Z"])
        #expect(try Self.nexts("@every 100ms", from: "2022-03-24T08:45:08.250Z", count: 2)
            == ["2022-03-24T08:45:09Z", "2022-03-24T08:45:10Z"])
        // Across a DST change the delay stays absolute, whatever the zone.
        #expect(try Self.nexts("TZ=America/New_York @every 1h", from: "2024-03-10T06:30:00Z", count: 2)
            == ["2024-03-10T07:30:00Z", "2024-03-10T08:30:00Z"])
        let s = try Self.parse("@every 10s")
        #expect(s.next(afterUnixSeconds: 1_000) == 1_010)
    }

    // MARK: 3.4 Day-of-month vs day-of-week (October 2024: the 1st is a Tuesday)

    @Test(arguments: [
        ("0 0 1,15 * Sun", [1, 6, 13, 15, 20, 27]),                   // the 1st, the 15th, and Sundays
        ("0 0 */10 * Sun", [1, 6, 11, 13, 20, 21, 27, 31]),           // 1, 11, 21, 31 or Sundays
        ("0 0 */1 * MON", [7, 14, 21, 28]),                           // */1 keeps the star: Mondays only
        ("0 0 1-31 * MON", Array(1...31)),                            // 1-31 has no star: every day
        ("0 0 1 * 0-6", Array(1...31)),                               // every day
        ("0 0 ? * MON", [7, 14, 21, 28]),                             // Mondays only
        ("0 0 13 * 5", [4, 11, 13, 18, 25]),                          // the 13th or Fridays
        ("0 0 13 * *", [13]),                                         // dow star: AND
        ("0 0 * * 5", [4, 11, 18, 25]),                               // dom star: AND
        ("0 0 * * *", Array(1...31)),
        ("0 0 31 * SAT", [5, 12, 19, 26, 31]),
        ("0 0 */2 * */2", [1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 29,
                           31]),                                      // odd days or Sun/Tue/Thu/Sat
        ("0 0 ? * ?", Array(1...31)),
        ("@weekly", [6, 13, 20, 27]),
    ])
    func domDowTable(spec: String, days: [Int]) throws {
        #expect(try Self.octoberDays(spec) == days)
    }

    // MARK: 3.5 Next

    @Test func everyFiveMinutes() async throws {
        #expect(try Self.nexts("*/5 * * * *", from: "2022-03-24T08:45:08Z")
            == ["2022-03-24T08:50:00Z", "2022-03-24T08:55:00Z", "2022-03-24T09:00:00Z"])
    }

    @Test func strictlyAfterAndSubSecondRounding() async throws {
        let s = try Self.parse("* * * * *")
        #expect(s.next(after: Self.date("2022-03-24T08:46:00Z")) == Self.date("2022-03-24T08:47:00Z"))
        #expect(s.next(after: Self.date("2022-03-24T08:45:59.999Z")) == Self.date("2022-03-24T08:46:00Z"))
        #expect(s.next(after: Self.date("2022-03-24T08:45:08Z")) == Self.date("2022-03-24T08:46:00Z"))
        let five = try Self.parse("*/5 * * * *")
        #expect(five.next(after: Self.date("2022-03-24T08:49:59.5Z")) == Self.date("2022-03-24T08:50:00Z"))
        #expect(five.next(after: Self.date("2022-03-24T08:50:00.5Z")) == Self.date("2022-03-24T08:55:00Z"))
        #expect(five.next(afterUnixSeconds: 1_648_111_800) == 1_648_112_100) // 08:50:00 → 08:55:00
        // Before 1970 the same floor rule applies.
        #expect(five.next(after: Self.date("1969-12-31T23:59:59.5Z")) == Self.date("1970-01-01T00:00:00Z"))
    }

    @Test func simpleSchedules() async throws {
        #expect(try Self.nexts("30 6-16/4 * * 1-5", from: "2024-10-04T15:00:00Z", count: 4)
            == ["2024-10-07T06:30:00Z", "2024-10-07T10:30:00Z", "2024-10-07T14:30:00Z", "2024-10-08T06:30:00Z"])
        #expect(try Self.nexts("0 0 1 1 *", from: "2024-06-01T00:00:00Z", count: 2)
            == ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"])
        #expect(try Self.nexts("59 23 31 12 *", from: "2024-12-31T23:59:00Z", count: 1) == ["2025-12-31T23:59:00Z"])
        #expect(try Self.nexts("0 0 31 * *", from: "2024-01-31T00:00:00Z", count: 3)
            == ["2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z"])
        #expect(try Self.nexts("15 10 * 2 *", from: "2024-01-15T00:00:00Z", count: 1) == ["2024-02-01T10:15:00Z"])
        // Without a TZ prefix the default zone is used.
        #expect(try Self.nexts("0 9 * * *", from: "2024-03-10T00:00:00Z", count: 1,
                               zone: Self.zone("Asia/Shanghai")) == ["2024-03-10T01:00:00Z"])
        #expect(try Self.nexts("0 9 * * *", from: "2024-03-10T00:00:00Z", count: 1,
                               zone: Self.zone("America/New_York")) == ["2024-03-10T13:00:00Z"])
    }

    @Test func leapDayAndImpossibleSpecs() async throws {
        #expect(try Self.nexts("0 0 29 2 *", from: "2022-03-24T00:00:00Z")
            == ["2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        #expect(try Self.nexts("0 0 30 2 *", from: "2022-03-24T00:00:00Z", count: 1) == ["nil"])
        #expect(try Self.nexts("0 0 31 4,6,9,11 *", from: "2022-03-24T00:00:00Z", count: 1) == ["nil"])
        #expect(try Self.nexts("TZ=America/New_York 0 0 30 2 *", from: "2022-03-24T00:00:00Z", count: 1) == ["nil"])
        // From 2096-03-01 even Feb 29 is unsatisfiable: 2100 is not a leap year and 2104 is beyond the window.
        #expect(try Self.nexts("0 0 29 2 *", from: "2096-03-01T00:00:00Z", count: 1) == ["nil"])
        #expect(try Self.nexts("0 0 29 2 *", from: "2096-02-28T00:00:00Z", count: 2)
            == ["2096-02-29T00:00:00Z", "nil"])
        #expect(try Self.nexts("0 0 29 2 *", from: "2095-03-01T00:00:00Z", count: 1) == ["2096-02-29T00:00:00Z"])
        // dom and dow both restricted: OR, so any Monday in February also fires.
        #expect(try Self.nexts("0 0 29 2 MON", from: "2024-03-01T00:00:00Z", count: 2)
            == ["2025-02-03T00:00:00Z", "2025-02-10T00:00:00Z"])
        #expect(try Self.nexts("0 0 29 2 ?", from: "2024-03-01T00:00:00Z", count: 1) == ["2028-02-29T00:00:00Z"])
        #expect(try Self.nexts("0 0 1 1 *", from: "2024-12-31T23:59:59Z", count: 1) == ["2025-01-01T00:00:00Z"])
    }

    @Test func yearLimit() async throws {
        // yearLimit = year(t + 1s) + 5, inclusive: 2100 is not a leap year, 2104 is.
        #expect(try Self.nexts("0 0 29 2 *", from: "2099-03-01T00:00:00Z", count: 1) == ["2104-02-29T00:00:00Z"])
        #expect(try Self.nexts("0 0 29 2 *", from: "2098-12-31T23:59:59Z", count: 1) == ["2104-02-29T00:00:00Z"])
        #expect(try Self.nexts("0 0 29 2 *", from: "2098-12-31T23:59:58Z", count: 1) == ["nil"])
        #expect(try Self.nexts("0 0 29 2 *", from: "2098-12-31T23:59:58.999Z", count: 1) == ["nil"])
    }

    // MARK: DST (§2.6, §3.5) — America/New_York

    @Test func newYorkSpringForwardSkipsDaily0230() async throws {
        // 2024-03-10 02:00 EST → 03:00 EDT (07:00Z): no 02:30 that day; the next run is 02:30 EDT on the 11th.
        #expect(try Self.nexts("TZ=America/New_York 30 2 * * *", from: "2024-03-08T12:00:00Z")
            == ["2024-03-09T07:30:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"])
        #expect(try Self.nexts("TZ=America/New_York 0 2 * * *", from: "2024-03-10T00:00:00Z", count: 1)
            == ["2024-03-11T06:00:00Z"])
        // The same schedule with the zone as the default zone (no prefix).
        #expect(try Self.nexts("30 2 * * *", from: "2024-03-08T12:00:00Z", zone: Self.zone("America/New_York"))
            == ["2024-03-09T07:30:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"])
    }

    @Test func newYorkFallBackRunsDaily0130Twice() async throws {
        // 2024-11-03 02:00 EDT → 01:00 EST (06:00Z): 01:30 EDT (05:30Z) and 01:30 EST (06:30Z).
        #expect(try Self.nexts("TZ=America/New_York 30 1 * * *", from: "2024-11-02T12:00:00Z")
            == ["2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z"])
        // From inside the repeated hour (01:10 EST), the EST occurrence is next.
        #expect(try Self.nexts("TZ=America/New_York 30 1 * * *", from: "2024-11-03T06:10:00Z", count: 1)
            == ["2024-11-03T06:30:00Z"])
    }

    @Test func newYorkHourlyKeepsAbsoluteCadence() async throws {
        #expect(try Self.nexts("TZ=America/New_York 0 * * * *", from: "2024-03-10T05:30:00Z")
            == ["2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z", "2024-03-10T08:00:00Z"]) // 01:00 EST, 03:00 EDT, 04:00
        #expect(try Self.nexts("TZ=America/New_York 0 * * * *", from: "2024-11-03T04:30:00Z")
            == ["2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z", "2024-11-03T07:00:00Z"]) // 01:00 EDT, 01:00 EST, 02:00
        #expect(try Self.nexts("TZ=America/New_York */30 1-3 * * *", from: "2024-03-10T05:00:00Z", count: 5)
            == ["2024-03-10T06:00:00Z", "2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z",
                "2024-03-11T05:00:00Z"])
    }

    @Test func goDateNormalisationExamples() async {
        // §3.5: Go time.Date in a gap and in an overlap.
        let ny = CronNext.Zone(tz: Self.zone("America/New_York"), fixed: nil)
        #expect(ny.date(2024, 3, 10, 2, 30, 0) == Int64(Self.date("2024-03-10T06:30:00Z").timeIntervalSince1970))
        #expect(ny.date(2024, 11, 3, 1, 30, 0) == Int64(Self.date("2024-11-03T05:30:00Z").timeIntervalSince1970))
        let sp = CronNext.Zone(tz: Self.zone("America/Sao_Paulo"), fixed: nil)
        #expect(sp.date(2018, 11, 4, 0, 0, 0) == Int64(Self.date("2018-11-04T02:00:00Z").timeIntervalSince1970))
        // Go's rule is "offset at the wall time read as UTC, re-checked once", so east of UTC the gap resolves
        // forward and the overlap to the second instant (London 01:30 on 2024-10-27 → 01:30 GMT).
        let london = CronNext.Zone(tz: Self.zone("Europe/London"), fixed: nil)
        #expect(london.date(2024, 3, 31, 1, 30, 0) == Int64(Self.date("2024-03-31T01:30:00Z").timeIntervalSince1970))
        #expect(london.date(2024, 10, 27, 1, 30, 0) == Int64(Self.date("2024-10-27T01:30:00Z").timeIntervalSince1970))
        // Month/day overflow normalises like Go (Jan 32 → Feb 1; month 13 → January next year).
        let u = CronNext.Zone(tz: Self.utc, fixed: 0)
        #expect(u.date(2024, 1, 32, 0, 0, 0) == u.date(2024, 2, 1, 0, 0, 0))
        #expect(u.date(2024, 13, 1, 0, 0, 0) == u.date(2025, 1, 1, 0, 0, 0))
        #expect(u.date(2024, 0, 1, 0, 0, 0) == u.date(2023, 12, 1, 0, 0, 0))
    }

    // MARK: DST — Europe/London

    @Test func londonSpringForwardSkipsDaily0130() async throws {
        // 2024-03-31 01:00 GMT → 02:00 BST (01:00Z).
        #expect(try Self.nexts("TZ=Europe/London 30 1 * * *", from: "2024-03-29T12:00:00Z")
            == ["2024-03-30T01:30:00Z", "2024-04-01T00:30:00Z", "2024-04-02T00:30:00Z"])
    }

    @Test func londonFallBackRunsDaily0130Twice() async throws {
        // 2024-10-27 02:00 BST → 01:00 GMT (01:00Z).
        #expect(try Self.nexts("TZ=Europe/London 30 1 * * *", from: "2024-10-26T12:00:00Z")
            == ["2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-28T01:30:00Z"])
    }

    @Test func londonHourlyKeepsAbsoluteCadence() async throws {
        #expect(try Self.nexts("TZ=Europe/London 0 * * * *", from: "2024-10-26T23:30:00Z")
            == ["2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z"]) // 01:00 BST, 01:00 GMT, 02:00
        #expect(try Self.nexts("TZ=Europe/London 0 * * * *", from: "2024-03-30T23:30:00Z")
            == ["2024-03-31T00:00:00Z", "2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z"]) // 00:00 GMT, 02:00 BST, 03:00
        #expect(try Self.nexts("TZ=Europe/London 0 1,2 * * *", from: "2024-03-30T23:30:00Z")
            == ["2024-03-31T01:00:00Z", "2024-04-01T00:00:00Z", "2024-04-01T01:00:00Z"]) // 02:00 BST, then Apr 1
    }

    // MARK: DST — Asia/Shanghai (China observed DST 1986–1991)

    @Test func shanghaiSpringForwardSkipsDaily0230() async throws {
        // 1991-04-14 02:00 CST → 03:00 CDT (1991-04-13T18:00Z).
        #expect(try Self.nexts("TZ=Asia/Shanghai 30 2 * * *", from: "1991-04-12T12:00:00Z")
            == ["1991-04-12T18:30:00Z", "1991-04-14T17:30:00Z", "1991-04-15T17:30:00Z"])
    }

    @Test func shanghaiFallBackRunsDaily0130Twice() async throws {
        // 1991-09-15 02:00 CDT → 01:00 CST (1991-09-14T17:00Z).
        #expect(try Self.nexts("TZ=Asia/Shanghai 30 1 * * *", from: "1991-09-14T00:00:00Z")
            == ["1991-09-14T16:30:00Z", "1991-09-14T17:30:00Z", "1991-09-15T17:30:00Z"])
    }

    @Test func shanghaiHourlyAndToday() async throws {
        #expect(try Self.nexts("TZ=Asia/Shanghai 0 * * * *", from: "1991-04-13T16:30:00Z")
            == ["1991-04-13T17:00:00Z", "1991-04-13T18:00:00Z", "1991-04-13T19:00:00Z"]) // 01:00 CST, 03:00 CDT
        #expect(try Self.nexts("TZ=Asia/Shanghai 0 * * * *", from: "1991-09-14T15:30:00Z")
            == ["1991-09-14T16:00:00Z", "1991-09-14T17:00:00Z", "1991-09-14T18:00:00Z"]) // 01:00 CDT, 01:00 CST
        // No DST today: plain +08:00.
        #expect(try Self.nexts("CRON_TZ=Asia/Shanghai 30 2 * * *", from: "2024-03-09T12:00:00Z", count: 2)
            == ["2024-03-09T18:30:00Z", "2024-03-10T18:30:00Z"])
    }

    // MARK: DST — midnight gaps (day-loop hour correction, robfig#157)

    @Test func saoPauloMidnightGap() async throws {
        // 2018-11-04 00:00 −03 → 01:00 −02 (03:00Z): AddDate lands on 23:00 the day before; +1 h fixes it.
        #expect(try Self.nexts("TZ=America/Sao_Paulo 0 * 4 11 *", from: "2018-10-31T12:00:00Z", count: 1)
            == ["2018-11-04T03:00:00Z"])
        // A daily midnight job has no run on the 4th.
        #expect(try Self.nexts("TZ=America/Sao_Paulo 0 0 * * *", from: "2018-11-03T12:00:00Z", count: 2)
            == ["2018-11-05T02:00:00Z", "2018-11-06T02:00:00Z"])
    }

    @Test func beirutMidnightGapQuirk() async throws {
        // Asia/Beirut 2024-03-31 00:00 EET → 01:00 EEST (2024-03-30T22:00Z). Go's time.Date resolves midnight
        // forward to 01:00, robfig subtracts the hour (back to 23:00 on the 30th), the next AddDate jumps to
        // 23:00 on the 31st and +1 h reaches April 1: robfig never sees March 31 2024. Reproduced literally;
        // 2025-03-31 is found instead (00:00 EEST = 2025-03-30T21:00Z).
        #expect(try Self.nexts("TZ=Asia/Beirut 0 * 31 3 *", from: "2024-03-01T00:00:00Z", count: 1)
            == ["2025-03-30T21:00:00Z"])
    }

    // MARK: Cross-checks

    /// A straightforward scan (days, then hours, then minutes) of the wall-clock semantics in a zone with a
    /// constant offset, where robfig's `Next` has no DST effects: the first matching minute strictly after `t`.
    static func bruteNext(_ s: CronSpecSchedule, after t: Int64, offset: Int64, maxDays: Int) -> Int64? {
        let startMinute = Civil.floorDiv(t + offset, 60) + 1  // local minutes
        var day = Civil.floorDiv(startMinute * 60, 86400)
        for _ in 0..<maxDays {
            let (_, m, d) = Civil.civilFromDays(day)
            let wd = Int(Civil.floorMod(day + 4, 7))
            let w = CronNext.Wall(year: 0, month: m, day: d, hour: 0, minute: 0, second: 0, weekday: wd)
            if s.month & (1 << UInt64(m)) != 0 && CronNext.dayMatches(s, w) {
                for h in 0..<24 where s.hour & (1 << UInt64(h)) != 0 {
                    for mi in 0..<60 where s.minute & (1 << UInt64(mi)) != 0 {
                        let local = day * 86400 + Int64(h * 3600 + mi * 60)
                        if local >= startMinute * 60 { return local - offset }
                    }
                }
            }
            day += 1
        }
        return nil
    }

    @Test(arguments: [("UTC", Int64(0)), ("Asia/Kolkata", Int64(19800)), ("Etc/GMT+5", Int64(-18000))])
    func matchesBruteForceWithoutDST(zoneID: String, offset: Int64) async throws {
        var rng = SplitMix(seed: 0xC0FFEE &+ UInt64(bitPattern: offset))
        let minuteTokens = ["*", "*/5", "0", "30", "0,30", "15-45/10", "59", "*/7", "10-12", "?", "3/20"]
        let hourTokens = ["*", "0", "*/6", "9-17", "23", "2,14", "*/5", "12/3"]
        let domTokens = ["*", "1", "15", "31", "1-7", "*/10", "29", "?", "28-31", "13"]
        let monthTokens = ["*", "1", "2", "*/3", "JAN-MAR", "6,12", "feb", "4-9/2", "?"]
        let dowTokens = ["*", "MON-FRI", "0", "6", "SUN,SAT", "*/2", "?", "5", "mon/3"]
        for _ in 0..<200 {
            let spec = [minuteTokens, hourTokens, domTokens, monthTokens, dowTokens]
                .map { $0[Int(rng.next() % UInt64($0.count))] }.joined(separator: " ")
            guard case .spec(let s) = try Self.parse(spec, Self.zone(zoneID)) else { Issue.record(); return }
            var t = Int64(1_500_000_000) + Int64(rng.next() % 400_000_000)
            for _ in 0..<4 {
                let got = CronSchedule.spec(s).next(afterUnixSeconds: t)
                // Beyond the brute-force window (about six years) nothing is compared.
                guard let want = Self.bruteNext(s, after: t, offset: offset, maxDays: 2200) else { break }
                #expect(got == want, "\(spec) in \(zoneID) after \(t)")
                guard let got else { break }
                t = got + Int64(rng.next() % 3)
            }
        }
    }

    @Test func parserNeverCrashes() async {
        var rng = SplitMix(seed: 42)
        let pieces = ["*", "?", "-", "/", ",", " ", "\t", "0", "1", "5", "7", "12", "31", "60", "99", "MON", "jan",
                      "@", "@every", "@daily", "TZ=", "CRON_TZ=", "UTC", "Asia/Shanghai", "=", "L", "W", "#", "+",
                      "-1", "é", "\u{0}", "1h", "ms", ".", "99999999999999999999"]
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 12) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
            if let sched = try? CronSchedule.parse(s, defaultZone: Self.utc) {
                _ = sched.next(after: Self.date("2024-01-01T00:00:00Z"))
            }
        }
    }

    // MARK: Go time.ParseDuration

    @Test(arguments: [
        ("90s", 90.0), ("1h30m", 5400.0), ("250ms", 0.25), ("0", 0.0), ("-0", 0.0), ("+0", 0.0),
        ("0s", 0.0), ("+5m", 300.0), ("-1.5h", -5400.0), ("1.5h", 5400.0), (".5s", 0.5), ("5.s", 5.0),
        ("1h1m1s1ms1us1ns", 3661.001001001), ("1µs", 1e-6), ("1μs", 1e-6), ("1us", 1e-6), ("1ns", 1e-9),
        ("2h45m", 9900.0), ("1.000000001s", 1.000000001), ("100ms", 0.1), ("10m10m", 1200.0),
    ])
    func goDurations(text: String, seconds: Double) {
        #expect(parseGoDuration(text) == seconds)
    }

    @Test func goDurationNanosecondPrecision() async throws {
        #expect(try parseGoDurationNanoseconds("1.000000001s") == 1_000_000_001)
        #expect(try parseGoDurationNanoseconds("9223372036854775807ns") == Int64.max)
        #expect(try parseGoDurationNanoseconds("-9223372036854775808ns") == Int64.min)
        #expect(try parseGoDurationNanoseconds("2562047h") == 2_562_047 * 3_600_000_000_000)
        #expect(try parseGoDurationNanoseconds("0.1234567890123456789s") == 123_456_789)
        #expect(try parseGoDurationNanoseconds("1.5µs") == 1500)
        #expect(try parseGoDurationSeconds("1m30s") == 90)
    }

    @Test(arguments: [
        ("", "time: invalid duration \"\""),
        ("-", "time: invalid duration \"-\""),
        ("+", "time: invalid duration \"+\""),
        (" 5m", "time: invalid duration \" 5m\""),
        ("5m ", "time: unknown unit \"m \" in duration \"5m \""),
        (".", "time: invalid duration \".\""),
        (".s", "time: invalid duration \".s\""),
        ("-.s", "time: invalid duration \"-.s\""),
        ("s", "time: invalid duration \"s\""),
        ("1h-5m", "time: unknown unit \"h-\" in duration \"1h-5m\""),  // any non-[0-9.] run is the unit
        ("1h 5m", "time: unknown unit \"h \" in duration \"1h 5m\""),
        ("5", "time: missing unit in duration \"5\""),
        ("1.5", "time: missing unit in duration \"1.5\""),
        ("1h5", "time: missing unit in duration \"1h5\""),
        ("00", "time: missing unit in duration \"00\""),
        ("1d", "time: unknown unit \"d\" in duration \"1d\""),
        ("1w", "time: unknown unit \"w\" in duration \"1w\""),
        ("1H", "time: unknown unit \"H\" in duration \"1H\""),
        ("1sec", "time: unknown unit \"sec\" in duration \"1sec\""),
        ("1é", "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\""),
        ("1\"x", "time: unknown unit \"\\\"x\" in duration \"1\\\"x\""),
        ("9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""),
        ("2562048h", "time: invalid duration \"2562048h\""),
        ("99999999999999999999s", "time: invalid duration \"99999999999999999999s\""),
        ("5000000h5000000h", "time: invalid duration \"5000000h5000000h\""),
    ])
    func goDurationErrors(text: String, message: String) {
        #expect(throws: GoDurationError(message)) { try parseGoDurationNanoseconds(text) }
        #expect(parseGoDuration(text) == nil)
    }

    /// A tiny deterministic PRNG for the randomized cross-checks.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
