import Foundation

// robfig/cron v3.0.1 `ParseStandard` (= `NewParser(Minute|Hour|Dom|Month|Dow|Descriptor).Parse`), reproduced
// literally: same grammar, same order of checks, same error texts. See advancedcronjob.md §3.1–3.3.
//
// Go works on bytes; Swift `String`/`Character` comparisons use grapheme clusters and canonical equivalence,
// so everything here works on Unicode scalars or UTF-8 bytes instead.

enum CronParser {
    struct Bounds {
        let min: Int
        let max: Int
        let names: [[UInt8]: Int]?
    }

    static let seconds = Bounds(min: 0, max: 59, names: nil)
    static let minutes = Bounds(min: 0, max: 59, names: nil)
    static let hours = Bounds(min: 0, max: 23, names: nil)
    static let dom = Bounds(min: 1, max: 31, names: nil)
    static let months = Bounds(min: 1, max: 12, names: names([
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ], first: 1))
    static let dow = Bounds(min: 0, max: 6, names: names(["sun", "mon", "tue", "wed", "thu", "fri", "sat"], first: 0))

    private static func names(_ list: [String], first: Int) -> [[UInt8]: Int] {
        var m: [[UInt8]: Int] = [:]
        for (i, n) in list.enumerated() { m[Array(n.utf8)] = first + i }
        return m
    }

    /// Set when a field was `*` or `?` (and not restricted by a step > 1).
    static let starBit: UInt64 = 1 << 63

    static let tzPanicMessage = "invalid cron schedule: runtime error: slice bounds out of range [:-1]"

    // MARK: Parse

    static func parse(_ spec: String, defaultZone: TimeZone) throws(CronParseError) -> CronSchedule {
        if spec.utf8.isEmpty { throw CronParseError("empty spec string") }

        var scalars = Array(spec.unicodeScalars)
        var zone = defaultZone
        if spec.utf8.starts(with: "TZ=".utf8) || spec.utf8.starts(with: "CRON_TZ=".utf8) {
            // i := strings.Index(spec, " "); eq := strings.Index(spec, "=")
            guard let i = scalars.firstIndex(of: " ") else {
                // spec[eq+1:i] with i == -1: Go panics; the kruise webhook's recover() reports this text.
                throw CronParseError(tzPanicMessage)
            }
            let eq = scalars.firstIndex(of: "=")!  // present: the prefix has one, and it precedes any space
            let name = string(scalars[(eq + 1)..<i])
            switch GoLocation.load(name, local: defaultZone) {
            case .success(let z): zone = z
            case .failure(let e): throw CronParseError("provided bad location \(name): \(e.message)")
            }
            scalars = trimSpace(scalars[i...])
        }

        // Descriptors (`@daily`, `@every 5m`, ...): exact, case-sensitive match of the (possibly untrimmed) rest.
        if scalars.first == "@" {
            return try parseDescriptor(string(scalars[...]), zone: zone)
        }

        let fields = goFields(scalars)
        if fields.count != 5 {
            throw CronParseError("expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]")
        }
        // Seconds are fixed to "0" by ParseStandard; fields are parsed in order and the first error wins.
        let sched = CronSpecSchedule(
            second: try getField("0", seconds),
            minute: try getField(fields[0], minutes),
            hour: try getField(fields[1], hours),
            dom: try getField(fields[2], dom),
            month: try getField(fields[3], months),
            dow: try getField(fields[4], dow),
            zone: zone)
        return .spec(sched)
    }

    // MARK: Descriptors

    static func parseDescriptor(_ d: String, zone: TimeZone) throws(CronParseError) -> CronSchedule {
        let bytes = Array(d.utf8)
        func equals(_ s: String) -> Bool { bytes.elementsEqual(s.utf8) }
        let one: UInt64 = 1
        if equals("@yearly") || equals("@annually") {
            return .spec(CronSpecSchedule(second: one << 0, minute: one << 0, hour: one << 0, dom: one << 1,
                                          month: one << 1, dow: all(dow), zone: zone))
        }
        if equals("@monthly") {
            return .spec(CronSpecSchedule(second: one << 0, minute: one << 0, hour: one << 0, dom: one << 1,
                                          month: all(months), dow: all(dow), zone: zone))
        }
        if equals("@weekly") {
            return .spec(CronSpecSchedule(second: one << 0, minute: one << 0, hour: one << 0, dom: all(dom),
                                          month: all(months), dow: one << 0, zone: zone))
        }
        if equals("@daily") || equals("@midnight") {
            return .spec(CronSpecSchedule(second: one << 0, minute: one << 0, hour: one << 0, dom: all(dom),
                                          month: all(months), dow: all(dow), zone: zone))
        }
        if equals("@hourly") {
            return .spec(CronSpecSchedule(second: one << 0, minute: one << 0, hour: all(hours), dom: all(dom),
                                          month: all(months), dow: all(dow), zone: zone))
        }
        let every = Array("@every ".utf8)
        if bytes.starts(with: every) {
            let durationText = String(decoding: bytes[every.count...], as: UTF8.self)
            let nanos: Int64
            do {
                nanos = try parseGoDurationNanoseconds(durationText)
            } catch {
                throw CronParseError("failed to parse duration \(d): \(error.message)")
            }
            return .constantDelay(seconds: everyDelaySeconds(nanos))
        }
        throw CronParseError("unrecognized descriptor: \(d)")
    }

    /// `cron.Every`: below one second becomes one second; sub-second parts are truncated.
    static func everyDelaySeconds(_ nanos: Int64) -> Int64 {
        let d = nanos < 1_000_000_000 ? 1_000_000_000 : nanos
        return d / 1_000_000_000
    }

    // MARK: Fields

    /// A comma list; `strings.FieldsFunc` drops empty items.
    static func getField(_ field: String, _ r: Bounds) throws(CronParseError) -> UInt64 {
        var bits: UInt64 = 0
        for item in Array(field.utf8).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            bits |= try getRange(Array(item), r)
        }
        return bits
    }

    /// `number | number "-" number [ "/" number ]`, plus `*`/`?` and names.
    static func getRange(_ expr: [UInt8], _ r: Bounds) throws(CronParseError) -> UInt64 {
        let exprText = String(decoding: expr, as: UTF8.self)
        let rangeAndStep = expr.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let lowAndHigh = rangeAndStep[0].split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        let singleDigit = lowAndHigh.count == 1
        var start: Int
        var end: Int
        var step: Int
        var extra: UInt64 = 0

        let low = Array(lowAndHigh[0])
        if low == [UInt8(ascii: "*")] || low == [UInt8(ascii: "?")] {
            // Anything after a hyphen is ignored here (`*-5` is `*`), exactly as upstream.
            start = r.min
            end = r.max
            extra = starBit
        } else {
            start = try parseIntOrName(low, r.names)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try parseIntOrName(Array(lowAndHigh[1]), r.names)
            default: throw CronParseError("too many hyphens: \(exprText)")
            }
        }

        switch rangeAndStep.count {
        case 1:
            step = 1
        case 2:
            step = try mustParseInt(Array(rangeAndStep[1]))
            // Special handling: "N/step" means "N-max/step".
            if singleDigit { end = r.max }
            if step > 1 { extra = 0 }
        default:
            throw CronParseError("too many slashes: \(exprText)")
        }

        if start < r.min {
            throw CronParseError("beginning of range (\(start)) below minimum (\(r.min)): \(exprText)")
        }
        if end > r.max {
            throw CronParseError("end of range (\(end)) above maximum (\(r.max)): \(exprText)")
        }
        if start > end {
            throw CronParseError("beginning of range (\(start)) beyond end of range (\(end)): \(exprText)")
        }
        if step == 0 {
            throw CronParseError("step of range should be a positive number: \(exprText)")
        }
        return getBits(start, end, step) | extra
    }

    /// Go works on `uint` here: `min + step` cannot overflow (min ≤ 59, step ≤ Int64.max), so a huge step just
    /// ends the loop after `min` (`1/9223372036854775807` is minute 1). Callers pass 0 ≤ min ≤ max ≤ 59, step ≥ 1.
    static func getBits(_ min: Int, _ max: Int, _ step: Int) -> UInt64 {
        var bits: UInt64 = 0
        var i = UInt64(min)
        let hi = UInt64(max), by = UInt64(step)
        while i <= hi {
            bits |= 1 << i
            let (next, overflow) = i.addingReportingOverflow(by)
            if overflow { break }
            i = next
        }
        return bits
    }

    /// All bits within the bounds, plus the star bit.
    static func all(_ r: Bounds) -> UInt64 { getBits(r.min, r.max, 1) | starBit }

    static func parseIntOrName(_ expr: [UInt8], _ names: [[UInt8]: Int]?) throws(CronParseError) -> Int {
        if let names, let v = names[goToLower(expr)] { return v }
        return try mustParseInt(expr)
    }

    static func mustParseInt(_ expr: [UInt8]) throws(CronParseError) -> Int {
        let text = String(decoding: expr, as: UTF8.self)
        switch GoStrconv.atoi(expr) {
        case .failure(let e):
            throw CronParseError("failed to parse int from \(text): \(e.message)")
        case .success(let num):
            if num < 0 { throw CronParseError("negative number (\(num)) not allowed: \(text)") }
            return Int(num)
        }
    }

    /// Go `strings.ToLower`, as far as it can matter for matching the ASCII month/day names: ASCII letters,
    /// plus the two non-ASCII runes whose simple lowercase is ASCII (U+0130 → i, U+212A KELVIN SIGN → k).
    static func goToLower(_ expr: [UInt8]) -> [UInt8] {
        if expr.allSatisfy({ $0 < 0x80 }) {
            return expr.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 }
        }
        var out: [UInt8] = []
        for s in String(decoding: expr, as: UTF8.self).unicodeScalars {
            switch s.value {
            case 65...90: out.append(UInt8(s.value + 32))
            case 0x130: out.append(UInt8(ascii: "i"))
            case 0x212A: out.append(UInt8(ascii: "k"))
            default: out.append(contentsOf: String(s).utf8)
            }
        }
        return out
    }

    // MARK: Whitespace (Go unicode.IsSpace == the Unicode White_Space property)

    @inline(__always) static func isGoSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s == " " || (s.value >= 9 && s.value <= 13) }
        return s.properties.isWhitespace
    }

    /// `strings.Fields`.
    static func goFields(_ scalars: [Unicode.Scalar]) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for s in scalars {
            if isGoSpace(s) {
                if !cur.isEmpty { out.append(String(cur)); cur = String.UnicodeScalarView() }
            } else {
                cur.append(s)
            }
        }
        if !cur.isEmpty { out.append(String(cur)) }
        return out
    }

    /// `strings.TrimSpace`.
    static func trimSpace(_ s: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var lo = s.startIndex
        var hi = s.endIndex
        while lo < hi, isGoSpace(s[lo]) { lo += 1 }
        while hi > lo, isGoSpace(s[hi - 1]) { hi -= 1 }
        return Array(s[lo..<hi])
    }

    static func string(_ s: ArraySlice<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }
}

// MARK: - strconv.Atoi

enum GoStrconv {
    struct NumError: Error { let message: String }

    /// Go `strconv.Atoi` on a 64-bit platform: fast path, then `ParseInt(s, 10, 0)`; errors read
    /// `strconv.Atoi: parsing "X": invalid syntax` or `... value out of range`.
    static func atoi(_ s0: [UInt8]) -> Result<Int64, NumError> {
        func syntax() -> NumError { NumError(message: "strconv.Atoi: parsing \(quote(s0)): invalid syntax") }
        func range() -> NumError { NumError(message: "strconv.Atoi: parsing \(quote(s0)): value out of range") }
        if s0.isEmpty { return .failure(syntax()) }
        var i = 0
        var neg = false
        if s0[0] == UInt8(ascii: "-") || s0[0] == UInt8(ascii: "+") {
            neg = s0[0] == UInt8(ascii: "-")
            i = 1
            if s0.count == 1 { return .failure(syntax()) }
        }
        if s0.count < 19 {
            // Fast path: no overflow possible.
            var n: Int64 = 0
            while i < s0.count {
                let c = s0[i] &- 48
                if c > 9 { return .failure(syntax()) }
                n = n * 10 + Int64(c)
                i += 1
            }
            return .success(neg ? -n : n)
        }
        // ParseUint(base 10, 64 bits): a range error is returned as soon as the value overflows, even when a
        // later byte is not a digit; then ParseInt checks the signed range.
        var un: UInt64 = 0
        var overflow = false
        while i < s0.count {
            let c = s0[i]
            let d: UInt8
            if c >= 48 && c <= 57 {
                d = c - 48
            } else {
                let lower = c | 0x20
                if lower >= 97 && lower <= 122 { d = lower - 97 + 10 } else { return .failure(syntax()) }
            }
            if d >= 10 { return .failure(syntax()) }
            if un >= UInt64.max / 10 + 1 { overflow = true; break }
            un *= 10
            let n1 = un &+ UInt64(d)
            if n1 < un { overflow = true; break }
            un = n1
            i += 1
        }
        if overflow { return .failure(range()) }
        let cutoff: UInt64 = 1 << 63
        if !neg && un >= cutoff { return .failure(range()) }
        if neg && un > cutoff { return .failure(range()) }
        if neg { return .success(un == cutoff ? Int64.min : -Int64(un)) }
        return .success(Int64(un))
    }

    /// Go `strconv.Quote`.
    static func quote(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".unicodeScalars)
        var out = String.UnicodeScalarView()
        out.append("\"")
        func hexDigits(_ v: UInt32, _ n: Int) {
            for k in stride(from: (n - 1) * 4, through: 0, by: -4) { out.append(hex[Int((v >> UInt32(k)) & 0xF)]) }
        }
        for s in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if s == "\"" || s == "\\" { out.append("\\"); out.append(s); continue }
            if isPrint(s) { out.append(s); continue }
            switch s.value {
            case 7: out.append(contentsOf: "\\a".unicodeScalars)
            case 8: out.append(contentsOf: "\\b".unicodeScalars)
            case 12: out.append(contentsOf: "\\f".unicodeScalars)
            case 10: out.append(contentsOf: "\\n".unicodeScalars)
            case 13: out.append(contentsOf: "\\r".unicodeScalars)
            case 9: out.append(contentsOf: "\\t".unicodeScalars)
            case 11: out.append(contentsOf: "\\v".unicodeScalars)
            case let v where v < 0x20 || v == 0x7F:
                out.append(contentsOf: "\\x".unicodeScalars); hexDigits(v, 2)
            case let v where v < 0x10000:
                out.append(contentsOf: "\\u".unicodeScalars); hexDigits(v, 4)
            case let v:
                out.append(contentsOf: "\\U".unicodeScalars); hexDigits(v, 8)
            }
        }
        out.append("\"")
        return String(out)
    }

    /// Go `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrint(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value >= 0x20 && s.value < 0x7F }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark,
             .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }
}

// MARK: - time.LoadLocation

enum GoLocation {
    struct LoadError: Error { let message: String }

    static let zoneinfoDir = "/usr/share/zoneinfo"

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var map: [String: Result<TimeZone, LoadError>] = [:]
    }
    private static let cache = Cache()

    static let utc: TimeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0)!

    /// Go `time.LoadLocation(name)`: "" and "UTC" are UTC, "Local" is the caller's local zone, names with
    /// ".." or a leading slash are invalid, otherwise the zone file must exist in the system tz database.
    static func load(_ name: String, local: TimeZone) -> Result<TimeZone, LoadError> {
        if name.isEmpty || name.utf8.elementsEqual("UTC".utf8) { return .success(utc) }
        if name.utf8.elementsEqual("Local".utf8) { return .success(local) }
        cache.lock.lock()
        if let hit = cache.map[name] { cache.lock.unlock(); return hit }
        cache.lock.unlock()
        let r = loadUncached(name)
        cache.lock.lock()
        cache.map[name] = r
        cache.lock.unlock()
        return r
    }

    private static func loadUncached(_ name: String) -> Result<TimeZone, LoadError> {
        let b = Array(name.utf8)
        let containsDotDot = b.count >= 2 && (0..<(b.count - 1)).contains { b[$0] == 0x2E && b[$0 + 1] == 0x2E }
        if containsDotDot || b[0] == UInt8(ascii: "/") || b[0] == UInt8(ascii: "\\") {
            return .failure(LoadError(message: "time: invalid location name"))
        }
        let unknown = LoadError(message: "unknown time zone \(name)")
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: zoneinfoDir, isDirectory: &isDir), isDir.boolValue else {
            // No system tz database to consult: trust Foundation alone.
            if let tz = TimeZone(identifier: name) { return .success(tz) }
            return .failure(unknown)
        }
        let path = zoneinfoDir + "/" + name
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return .failure(unknown) }
        if isDir.boolValue { return .failure(LoadError(message: "is a directory")) }
        if let tz = TimeZone(identifier: name) { return .success(tz) }
        // Links Foundation does not know by this name (posixrules, localtime, posix/...): try the target.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if resolved.hasPrefix(zoneinfoDir + "/") {
            let rel = String(resolved.dropFirst(zoneinfoDir.count + 1))
            if let tz = TimeZone(identifier: rel) { return .success(tz) }
        }
        if name.hasPrefix("posix/"), let tz = TimeZone(identifier: String(name.dropFirst(6))) { return .success(tz) }
        if let h = fm.contents(atPath: path), !h.starts(with: Array("TZif".utf8)) {
            return .failure(LoadError(message: "malformed time zone information"))
        }
        return .failure(unknown)
    }
}
