import Foundation
import Testing
import PropertyBased
import Yams
@testable import Sim
import Engine

/// A structure-aware fuzzer for what users write: scenario files, the manifests in them,
/// Kubernetes quantities, Go durations and cron specs.
///
/// Scenario cases start from the bundled scenarios (valid files) and change values *inside* them —
/// a duration becomes `-1s` or `9999999999h`, a count becomes `2147483648`, a cron field `*/0`, a map
/// becomes a list, a key loses a letter — then load the result and, when it loads and is small, run
/// it. The property: loading gives a `Scenario` or a positioned `ScenarioError`, never a trap, a hang or
/// another error; a run ends. Each case is derived from one 64-bit seed that propertyCheck draws (and
/// prints with any failure); the case being tried is also written to `kruise-sim-fuzz-case.yaml` in
/// the temporary directory first, so that a crash (which kills the test process) leaves it behind.
/// `KRUISE_SIM_FUZZ_STEPS` the most changes per case (default 3). `KRUISE_SIM_FUZZ_CASES` sets the number of scenario cases (default 120, a few seconds; the
/// quantity and duration checks try 25 times as many values, the cron check 12 times).
@Suite struct FuzzTests {
    static let scenarioDirectory: String = {
        repositoryRoot.appendingPathComponent("scenarios").path
    }()

    /// The bundled scenarios, parsed; the 2,000-node rollout is left out (each run would take seconds).
    static let seeds: [(file: String, tree: FuzzYAML)] = {
        ScenarioRunner.expand([scenarioDirectory]).filter { !$0.hasSuffix("rollout-2000-nodes.yaml") }.compactMap { path -> (file: String, tree: FuzzYAML)? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), let node = try? Yams.compose(yaml: text) else { return nil }
            return ((path as NSString).lastPathComponent, FuzzYAML(node))
        }
    }()

    /// Changes per scenario case: 1 to this (`KRUISE_SIM_FUZZ_STEPS`, default 3).
    static var maxSteps: Int { ProcessInfo.processInfo.environment["KRUISE_SIM_FUZZ_STEPS"].flatMap(Int.init).map { max($0, 1) } ?? 3 }

    static var scenarioCases: Int { ProcessInfo.processInfo.environment["KRUISE_SIM_FUZZ_CASES"].flatMap(Int.init) ?? 120 }

    static let caseFile = (NSTemporaryDirectory() as NSString).appendingPathComponent("kruise-sim-fuzz-case.yaml")

    /// What one case did: `error` (a ScenarioError), `pass`/`fail` (ran), `skipped` (loaded, too big to run here).
    enum Outcome: String { case error, pass, fail, skipped }

    /// Loads (and, when small, runs) one YAML text. Records an issue for anything but a ScenarioError.
    static func attempt(_ yaml: String, seed: UInt64, watchdog: Watchdog) -> Outcome {
        try? yaml.write(toFile: caseFile, atomically: false, encoding: .utf8)
        watchdog.arm("case \(seed) (\(caseFile))")
        defer { watchdog.disarm() }
        let scenario: Scenario
        do {
            scenario = try ScenarioLoader.load(text: yaml, file: "fuzz.yaml")
        } catch let e as ScenarioError {
            #expect(!e.message.isEmpty, "case \(seed): an empty error message")
            #expect(e.line >= 1 && e.column >= 1 || e.message.contains("file"), "case \(seed): error without a position: \(e)")
            return .error
        } catch {
            Issue.record("case \(seed): not a ScenarioError: \(error)\n\(yaml)")
            return .error
        }
        // Runs are kept small so that a slow but finite case is not taken for a hang.
        let nodes = scenario.nodes.reduce(0) { $0 + $1.names.count }
        guard nodes <= 100, scenario.duration <= 2 * 3600 else { return .skipped }
        let sim = Simulation(scenario: scenario)
        sim.historyLimit = 20_000
        let out = sim.run()
        if sim.historyLimitReached != nil { return .skipped }
        return out.passed ? .pass : .fail
    }

    @Test func mutatedScenariosLoadOrFailWithAPositionedError() async throws {
        try #require(Self.seeds.count > 20, "the bundled scenarios should parse as YAML")
        let watchdog = Watchdog(limit: 60)
        var outcomes: [Outcome: Int] = [:]
        await propertyCheck(count: Self.scenarioCases, input: Gen.uint64()) { seed in
            var rng = FuzzRNG(seed: seed)
            let base = Self.seeds[rng.below(Self.seeds.count)]
            var tree = base.tree
            let steps = 1 + rng.below(Self.maxSteps)
            var applied: [String] = []
            for _ in 0..<steps { applied.append(tree.mutate(&rng)) }
            let yaml = tree.emit()
            let o = Self.attempt(yaml, seed: seed, watchdog: watchdog)
            outcomes[o, default: 0] += 1
            _ = applied
        }
        if ProcessInfo.processInfo.environment["KRUISE_SIM_FUZZ_CASES"] != nil {
            print("fuzz outcomes: " + [Outcome.error, .pass, .fail, .skipped].map { "\($0.rawValue) \(outcomes[$0] ?? 0)" }.joined(separator: ", "))
        }
        // The mutations are not all rejected: some still load and run (they reach the engine).
        #expect((outcomes[.error] ?? 0) > 0, "\(outcomes)")
        #expect((outcomes[.pass] ?? 0) + (outcomes[.fail] ?? 0) > 0, "\(outcomes)")
    }

    /// The emitter itself: every bundled scenario, re-emitted unchanged, loads to the same scenario.
    @Test func unmutatedSeedsRoundTrip() throws {
        for (file, tree) in Self.seeds {
            let text = tree.emit()
            let original = try ScenarioLoader.load(path: (Self.scenarioDirectory as NSString).appendingPathComponent(file))
            let again = try ScenarioLoader.load(text: text, file: file)
            #expect(again.duration == original.duration && again.timeline.count == original.timeline.count, "\(file)")
        }
    }

    // MARK: Quantities, durations, cron specs

    @Test func quantitiesParseOrNotWithoutATrap() async {
        await propertyCheck(count: 25 * Self.scenarioCases, input: Gen.uint64()) { seed in
            var rng = FuzzRNG(seed: seed)
            let s = FuzzValues.quantity(&rng)
            if let q = Quantity(parsing: s) {
                // Parsing is a function of the text, and adding zero keeps it.
                #expect(Quantity(parsing: s) == q, "\(s)")
                #expect(q + .zero == q, "\(s)")
            }
            _ = Quantity(parsing: s, allowByteUnits: true)
        }
    }

    @Test func durationsParseOrNotWithoutATrap() async {
        await propertyCheck(count: 25 * Self.scenarioCases, input: Gen.uint64()) { seed in
            var rng = FuzzRNG(seed: seed)
            let s = FuzzValues.duration(&rng)
            if let n = try? parseGoDurationNanoseconds(s) {
                let seconds = try? parseGoDurationSeconds(s)
                #expect(seconds != nil, "\(s)")
                if s.hasPrefix("-") { #expect(n <= 0, "\(s)") } else { #expect(n >= 0, "\(s)") }
            }
        }
    }

    @Test func cronSpecsParseOrNotAndNextEnds() async {
        let utc = TimeZone(identifier: "UTC")!
        let watchdog = Watchdog(limit: 30)
        await propertyCheck(count: 12 * Self.scenarioCases, input: Gen.uint64()) { seed in
            var rng = FuzzRNG(seed: seed)
            let spec = FuzzValues.cron(&rng)
            watchdog.arm("cron spec \(spec)")
            defer { watchdog.disarm() }
            guard let schedule = try? CronSchedule.parse(spec, defaultZone: utc) else { return }
            let start: Int64 = [1_704_067_200, 0, -62_135_596_800, 9_223_372_036][rng.below(4)]
            var t = start
            for _ in 0..<3 {
                guard let next = schedule.next(afterUnixSeconds: t) else { break }
                #expect(next > t, "\(spec): next(\(t)) = \(next)")
                t = next
            }
        }
    }
}

/// Aborts the test process when one case runs longer than `limit` wall seconds, naming the case:
/// a hang would otherwise stall CI with no hint of the input.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = 0
    private var label = ""
    let limit: Double

    init(limit: Double) { self.limit = limit }

    func arm(_ what: String) {
        lock.lock()
        generation += 1
        let g = generation
        label = what
        lock.unlock()
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [self] in
            lock.lock()
            let stuck = generation == g
            let l = label
            lock.unlock()
            if stuck { fatalError("fuzz: \(l) ran longer than \(limit)s: a hang") }
        }
    }

    func disarm() {
        lock.lock()
        generation += 1
        lock.unlock()
    }
}

/// The fuzzer's seeded generator: one case per 64-bit seed, reproducible (PropertyBased's xoshiro256**).
struct FuzzRNG {
    var rng: Xoshiro
    init(seed: UInt64) { rng = Xoshiro(seed: (seed, ~seed, 0x9E37_79B9_7F4A_7C15, seed &* 31)) }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int.random(in: 0..<n, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

/// Interesting values by kind, and token-level generators for the small grammars.
enum FuzzValues {
    static let integers = ["0", "-1", "1", "2", "100000", "100001", "2147483647", "2147483648", "-2147483649",
                           "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
                           "10000000", "1e3", "1.5", "0x10", "0o17", "+7", "007"]
    static let floats = ["0.0", "-0.0", "1e309", "-1e309", ".inf", "-.inf", ".nan", "1e-300", "0.5", "1.0000000001", "3"]
    static let durations = ["0s", "-1s", "1ns", "0.5ms", "1h", "87600h", "87601h", "2562047h47m16.854775807s",
                            "2562047h47m16.854775808s", "9999999999h", "-2562047h", "1.5h30m", "1d", "1", "s", "", "1e3s",
                            "forever", "1m..2m", "2m..1m", "0s..0s", "5s..", "..5s", "-1s..1s", "1h..87601h", "1mm", "100y"]
    static let quantities = ["0", "1", "100m", "1Ei", "8Ei", "1e100Ei", "99999999999999999999Gi", "-5Gi", "1.5Gi",
                             "0.000000001", "1n", "1u", "1e-9", "1E", "1Pi", "1126000000000000000", "1KB", "1kb",
                             "50MB", "1Mi1", "Gi", ".5", "5.", "+1", "--1", "1e9223372036854775807"]
    static let crons = ["* * * * *", "*/0 * * * *", "*/5 * * * *", "59-0 * * * *", "60 * * * *", "0 0 31 2 *", "0 0 30 2 *",
                        "@every 0s", "@every 1s", "@every -1s", "@every 2562047h47m16s", "@every 9999999999h", "@hourly",
                        "@reboot", "@yearly", "TZ=Nowhere/City * * * * *", "CRON_TZ=Asia/Shanghai 0 3 * * *",
                        "1/9223372036854775807 * * * *", "0-59/2147483648 * * * *", "* * * * * *", "* * * *", "",
                        "? ? ? ? ?", "0 0 * * MON-FRI", "0 0 * JAN-DEC SUN", "0 0 L * *", "0 0 1,15 * 7", "-1 * * * *"]
    static let times = ["2024-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "2262-04-11T23:47:17Z", "9999-12-31T23:59:59Z",
                        "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+25:00", "2024-01-01", "end", "start"]
    static let strings = ["", " ", "~", "null", "true", "no", "a/b/c", "bcj/", "KIND/NAME/EXTRA/X", "é", "🚀", "x" + String(repeating: "y", count: 300),
                          "{}", "[]", "- a", "a: b", "#", "&anchor", "*alias", "!!binary", "%TAG", "\t", "\u{0}", "line\nbreak"]
    static let anything = integers + floats + durations + quantities + crons + times + strings

    /// A value of the same kind as `current`, or (sometimes) of any kind.
    static func replacement(for current: String, _ rng: inout FuzzRNG) -> String {
        if rng.chance(0.2) { return rng.pick(anything) }
        if Int64(current) != nil { return rng.chance(0.5) ? rng.pick(integers) : tweak(current, &rng) }
        if Double(current) != nil { return rng.pick(floats) }
        if current.contains("*") || current.hasPrefix("@") || current.contains("TZ=") { return cron(&rng) }
        if current.contains("T"), current.hasSuffix("Z") { return rng.pick(times) }
        if let last = current.last, "smh".contains(last), current.first?.isNumber == true { return duration(&rng) }
        if current.first?.isNumber == true { return quantity(&rng) }
        return rng.pick(strings + [current + "x", String(current.dropLast())])
    }

    /// An integer text near `current`: ±1, ×1000, negated, at the int32/int64 edges.
    static func tweak(_ current: String, _ rng: inout FuzzRNG) -> String {
        let n = Int64(current) ?? 0
        switch rng.below(5) {
        case 0: return String(n &+ 1)
        case 1: return String(n &- 1)
        case 2: return String(n.multipliedReportingOverflow(by: 1000).partialValue)
        case 3: return String(0 &- n)
        default: return String(Int64(Int32.max) + Int64(rng.below(3)))
        }
    }

    static func digits(_ rng: inout FuzzRNG, max: Int) -> String {
        String((0..<(1 + rng.below(max))).map { _ in Character(String(rng.below(10))) })
    }

    static func quantity(_ rng: inout FuzzRNG) -> String {
        if rng.chance(0.3) { return rng.pick(quantities) }
        var s = rng.pick(["", "", "-", "+"]) + digits(&rng, max: 25)
        if rng.chance(0.3) { s += "." + digits(&rng, max: 12) }
        if rng.chance(0.2) { s += rng.pick(["e", "E"]) + rng.pick(["", "-", "+"]) + digits(&rng, max: 4) }
        s += rng.pick(["", "m", "n", "u", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "KB", "MB", "GB", "B", "x"])
        return s
    }

    static func duration(_ rng: inout FuzzRNG) -> String {
        if rng.chance(0.3) { return rng.pick(durations) }
        var s = rng.pick(["", "", "-", "+"])
        for _ in 0..<(1 + rng.below(3)) {
            s += digits(&rng, max: 20)
            if rng.chance(0.2) { s += "." + digits(&rng, max: 10) }
            s += rng.pick(["ns", "us", "µs", "ms", "s", "m", "h", "d", ""])
        }
        if rng.chance(0.1) { s += ".." + duration(&rng) }
        return s
    }

    static func cronField(_ rng: inout FuzzRNG) -> String {
        let atoms = ["*", "?", "0", "59", "60", "23", "31", "12", "7", "-1", "MON", "sun", "JAN", "dec", "L", "W",
                     "9223372036854775807", "18446744073709551616", String(rng.below(100))]
        var f = rng.pick(atoms)
        if rng.chance(0.3) { f += "-" + rng.pick(atoms) }
        if rng.chance(0.3) { f += "/" + rng.pick(["0", "1", "2", "15", "2147483648", "9223372036854775807", "", "x"]) }
        if rng.chance(0.2) { f += "," + cronField(&rng) }
        return f
    }

    static func cron(_ rng: inout FuzzRNG) -> String {
        if rng.chance(0.3) { return rng.pick(crons) }
        if rng.chance(0.15) { return "@every " + duration(&rng) }
        let n = rng.pick([5, 5, 5, 6, 4, 7])
        var s = (0..<n).map { _ in cronField(&rng) }.joined(separator: " ")
        if rng.chance(0.15) { s = rng.pick(["TZ=UTC ", "TZ=Asia/Shanghai ", "CRON_TZ=America/New_York ", "TZ= ", "TZ=Bad "]) + s }
        return s
    }
}

/// A YAML tree the fuzzer can change and write back out. Scalars keep whether they were quoted
/// (a quoted `"0"` is a string, a plain `0` a number), so an unchanged tree loads as its source did.
enum FuzzYAML: Sendable {
    struct Entry: Sendable {
        var key: String
        var value: FuzzYAML
    }
    case scalar(String, quoted: Bool)
    case map([Entry])
    case seq([FuzzYAML])

    init(_ node: Yams.Node) {
        switch node {
        case .scalar(let s):
            self = .scalar(s.string, quoted: s.style != .plain)
        case .mapping(let m):
            self = .map(m.map { Entry(key: $0.key.string ?? "", value: FuzzYAML($0.value)) })
        case .sequence(let s):
            self = .seq(s.map { FuzzYAML($0) })
        case .alias:
            self = .scalar("", quoted: true)
        }
    }

    // MARK: Writing

    func emit() -> String { emit(indent: 0) }

    /// A JSON string is a YAML double-quoted scalar.
    private static func quote(_ s: String) -> String {
        let e = JSONEncoder()
        e.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try! e.encode(s), as: UTF8.self)
    }

    /// Plain when the text reads back as itself in YAML's plain style; quoted otherwise.
    private static func scalarText(_ s: String, quoted: Bool) -> String {
        if quoted || s.isEmpty { return quote(s) }
        let safe = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._/+-: ".unicodeScalars.contains($0) }
            && !s.contains(": ") && !s.hasSuffix(":") && !s.hasPrefix(" ") && !s.hasSuffix(" ") && !s.hasPrefix("-  ") && s != "-"
            && !s.hasPrefix("- ") && !s.hasPrefix(":")
        return safe ? s : quote(s)
    }

    private func emit(indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .scalar(let s, let q):
            return pad + Self.scalarText(s, quoted: q) + "\n"
        case .map(let entries):
            if entries.isEmpty { return pad + "{}\n" }
            return entries.map { e in
                let k = Self.quote(e.key)
                switch e.value {
                case .scalar(let s, let q): return pad + k + ": " + Self.scalarText(s, quoted: q) + "\n"
                case .map(let m) where m.isEmpty: return pad + k + ": {}\n"
                case .seq(let s) where s.isEmpty: return pad + k + ": []\n"
                default: return pad + k + ":\n" + e.value.emit(indent: indent + 2)
                }
            }.joined()
        case .seq(let items):
            if items.isEmpty { return pad + "[]\n" }
            return items.map { item in
                switch item {
                case .scalar(let s, let q): return pad + "- " + Self.scalarText(s, quoted: q) + "\n"
                case .map(let m) where m.isEmpty: return pad + "- {}\n"
                case .seq(let s) where s.isEmpty: return pad + "- []\n"
                default: return pad + "-\n" + item.emit(indent: indent + 2)
                }
            }.joined()
        }
    }

    // MARK: Changing

    /// Every path to a node, depth first (the root is the empty path).
    private func paths(_ prefix: [Int] = []) -> [[Int]] {
        var out = [prefix]
        switch self {
        case .scalar: break
        case .map(let m): for (i, e) in m.enumerated() { out += e.value.paths(prefix + [i]) }
        case .seq(let s): for (i, e) in s.enumerated() { out += e.paths(prefix + [i]) }
        }
        return out
    }

    private func at(_ path: [Int]) -> FuzzYAML {
        guard let i = path.first else { return self }
        switch self {
        case .scalar: return self
        case .map(let m): return m[i].value.at(Array(path.dropFirst()))
        case .seq(let s): return s[i].at(Array(path.dropFirst()))
        }
    }

    private mutating func update(_ path: [Int], _ f: (inout FuzzYAML) -> Void) {
        guard let i = path.first else { return f(&self) }
        let rest = Array(path.dropFirst())
        switch self {
        case .scalar: break
        case .map(var m): m[i].value.update(rest, f); self = .map(m)
        case .seq(var s): s[i].update(rest, f); self = .seq(s)
        }
    }

    /// Applies one random structure-aware change; returns what it did.
    mutating func mutate(_ rng: inout FuzzRNG) -> String {
        let all = paths()
        let scalars = all.filter { if case .scalar = at($0) { return true } else { return false } }
        let maps = all.filter { if case .map(let m) = at($0) { return !m.isEmpty } else { return false } }
        let seqs = all.filter { if case .seq(let s) = at($0) { return !s.isEmpty } else { return false } }
        switch rng.below(10) {
        case 0...4 where !scalars.isEmpty:
            let p = rng.pick(scalars)
            guard case .scalar(let old, _) = at(p) else { return "none" }
            let new = FuzzValues.replacement(for: old, &rng)
            update(p) { $0 = .scalar(new, quoted: false) }
            return "value \(p): \(old) -> \(new)"
        case 5 where !maps.isEmpty:
            let p = rng.pick(maps)
            var removed = ""
            update(p) { if case .map(var m) = $0 { removed = m.remove(at: rng.below(m.count)).key; $0 = .map(m) } }
            return "delete key \(removed) at \(p)"
        case 6 where !maps.isEmpty:
            let p = rng.pick(maps)
            var renamed = ""
            update(p) {
                guard case .map(var m) = $0 else { return }
                let i = rng.below(m.count)
                var k = Array(m[i].key)
                if !k.isEmpty { k.remove(at: rng.below(k.count)) }
                k.append(contentsOf: rng.chance(0.5) ? "" : "x")
                renamed = m[i].key + " -> " + String(k)
                m[i].key = String(k)
                $0 = .map(m)
            }
            return "rename key \(renamed)"
        case 7 where !seqs.isEmpty:
            let p = rng.pick(seqs)
            update(p) {
                guard case .seq(var s) = $0 else { return }
                let i = rng.below(s.count)
                if rng.chance(0.5) { s.insert(s[i], at: i) } else { s.remove(at: i) }
                $0 = .seq(s)
            }
            return "duplicate or drop a list item at \(p)"
        case 8:
            let p = rng.pick(all.filter { !$0.isEmpty })
            let replacement: FuzzYAML = rng.pick([.map([]), .seq([]), .scalar("~", quoted: false),
                                                  .seq([.scalar("1", quoted: false)]), .map([Entry(key: "x", value: .scalar("1", quoted: false))])])
            update(p) { $0 = replacement }
            return "change the type at \(p)"
        default:
            guard !maps.isEmpty else { return "none" }
            let p = rng.pick(maps)
            let key = rng.pick(["unknownField", "count", "at", "duration", "seed", "spec", "status", "metadata", "nodes"])
            update(p) { if case .map(var m) = $0 { m.append(Entry(key: key, value: .scalar(rng.pick(FuzzValues.anything), quoted: false))); $0 = .map(m) } }
            return "add key \(key) at \(p)"
        }
    }
}
