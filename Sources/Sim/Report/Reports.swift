import Foundation
import Engine
import OrderedCollections

/// A scenario's outcome with its wall time (wall time is reported, never used in the run).
public struct ScenarioReport: Sendable {
    public var file: String
    public var outcome: RunOutcome?
    public var error: ScenarioError?
    public var wallSeconds: Double
    /// `--check-determinism`: whether the scenario was run twice and compared, and, when the two
    /// histories differed, where (``DeterminismCheck``).
    public var determinismChecked = false
    public var nondeterminism: String?

    public var passed: Bool { (outcome?.passed ?? false) && nondeterminism == nil }
}

/// "1 check", "2 checks".
public func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

extension RunOutcome {
    public var failedChecks: [CheckResult] { checks.filter { !$0.passed } }

    /// What the run found, as the summary line and JUnit say it: "1/2 checks, invariants held",
    /// "2/2 checks, 1 invariant violation (onePodPerNode), 1 timeline action failed".
    public var findings: String {
        var parts = ["\(checks.count - failedChecks.count)/\(checks.count) checks\(scenario.judgesTimedChecks ? "" : " (not judged under --faults \(scenario.faultProfile!.rawValue))")"]
        if violations.isEmpty {
            parts.append("invariants held")
        } else {
            var names: [String] = []
            for v in violations where !names.contains(v.invariant) { names.append(v.invariant) }
            parts.append("\(plural(violations.count, "invariant violation")) (\(names.joined(separator: ", ")))")
        }
        for kind in [ActionError.Kind.manifest, .timelineAction] {
            let n = actionErrors.filter { $0.kind == kind }.count
            if n > 0 { parts.append(kind == .manifest ? "\(plural(n, "manifest")) rejected" : "\(plural(n, "timeline action")) failed") }
        }
        return parts.joined(separator: ", ")
    }

    /// One line (and its detail lines) per thing that failed, in the order a reader checks them.
    public func failureLines() -> [String] {
        let s = scenario
        var out: [String] = []
        // Under a fault profile, timed checks and timeline actions are told but not judged.
        let unjudged = s.judgesTimedChecks ? "" : "not judged under --faults \(s.faultProfile!.rawValue): "
        for e in actionErrors {
            out.append("\(e.location): at \(TextReport.offset(e.time, s)): \(e.kind == .manifest ? "" : unjudged)\(e.kind == .manifest ? "manifest rejected" : "timeline action failed"): \(e.message)")
        }
        for v in violations {
            let span = v.until.map { " until \(TextReport.offset($0, s)) (\(plural(v.checks, "check")))" } ?? ""
            out.append("invariant \(v.invariant) violated at \(TextReport.offset(v.time, s)) (\(v.time))\(span): \(v.message)")
            if !v.objects.isEmpty { out.append("  objects: \(v.objects.joined(separator: ", "))") }
        }
        for c in failedChecks {
            out.append("\(c.location): at \(TextReport.offset(c.time, s)): \(unjudged)FAILED \(c.subject)")
            out += c.details.map { "  " + $0 }
        }
        return out
    }
}

public enum TextReport {
    /// One line per scenario; for a failure, each failed check or invariant with its context.
    public static func render(_ reports: [ScenarioReport], verbose: Bool) -> String {
        var out = ""
        for r in reports {
            out += renderOne(r, verbose: verbose)
        }
        out += summary(reports) + "\n"
        return out
    }

    /// "3 passed, 1 failed, 1 invalid".
    public static func summary(_ reports: [ScenarioReport]) -> String {
        let passed = reports.filter(\.passed).count
        let invalid = reports.filter { $0.outcome == nil }.count
        return "\(passed) passed, \(reports.count - passed - invalid) failed\(invalid > 0 ? ", \(invalid) invalid" : "")"
    }

    /// The lines of one scenario (no summary line).
    public static func renderOne(_ r: ScenarioReport, verbose: Bool) -> String {
        guard let o = r.outcome else {
            return "ERROR \(r.file)\n  \(r.error?.description ?? "unknown error")\n"
        }
        let s = o.scenario
        var out = "\(r.passed ? "PASS" : "FAIL")  \(s.name)  \(s.duration < 0.001 ? "\(Int64((s.duration * 1e9).rounded()))ns" : formatSeconds(s.duration)) simulated in \(String(format: "%.2f", r.wallSeconds))s wall  "
        out += "(\(o.findings), seed \(s.seed)\(s.faultProfile.map { ", faults \($0.rawValue)" } ?? ""))\n"
        if let n = r.nondeterminism { out += "  \(n)\n" } else if r.determinismChecked { out += "  deterministic: a second run gave the same digest \(o.digest)\n" }
        if o.passed && !verbose {
            // Under --faults: the timed checks that failed, told but not judged.
            for line in o.failureLines() { out += "  \(line)\n" }
            out += reconcileErrorText(o, all: false)
            return out
        }
        if !s.description.isEmpty && !o.passed { out += "  scenario: \(firstSentence(s.description))\n" }
        for line in o.failureLines() { out += "  \(line)\n" }
        if verbose {
            for c in o.checks where c.passed {
                out += "  \(c.location): at \(offset(c.time, s)): ok \(c.subject)\n"
                for d in c.details { out += "    \(d)\n" }
            }
        }
        out += reconcileErrorText(o, all: verbose)
        out += "  what happened:\n"
        out += storyText(o, full: verbose)
        return out
    }

    /// The reconciles that returned an error. By default only the keys whose last reconcile
    /// failed (no retry succeeded); with `all`, a line per controller, key and message. Nothing
    /// when there is nothing to tell.
    public static func reconcileErrorText(_ o: RunOutcome, all: Bool) -> String {
        let s = o.scenario
        func line(_ g: ReconcileErrors) -> String {
            let when = g.count == 1 ? "once at \(offset(g.first, s))" : "\(g.count) times from \(offset(g.first, s)) to \(offset(g.last, s))"
            return "\(g.controller) \(g.key): \(when): \(g.message)"
        }
        var out = ""
        if all, !o.reconcileErrors.isEmpty {
            let total = o.reconcileErrors.reduce(0) { $0 + $1.count }
            out += "  reconcile errors: \(total) (each key re-queued with back-off and reconciled again):\n"
            for g in o.reconcileErrors {
                out += "    \(line(g))\(g.stillFailing ? " (still failing at the end)" : "")\n"
            }
        } else {
            for g in o.reconcileErrors where g.stillFailing {
                out += "  still failing at the end, retried with back-off: \(line(g))\n"
            }
        }
        return out
    }

    /// The story, one line per happening: wall-clock time (with the date when the run spans more
    /// than one day), the offset from the start, and what happened. Without `full`, a long story
    /// keeps its first and last 20 lines.
    static func storyText(_ o: RunOutcome, full: Bool) -> String {
        let s = o.scenario
        let lines = o.story
        // The lines left out are told where they would be, without a time of their own.
        let shown: [(time: Timestamp?, text: String)] = !full && lines.count > 40
            ? lines.prefix(20).map { ($0.time, $0.text) } + [(nil, "… \(lines.count - 40) more lines (-v shows them all) …")]
                + lines.suffix(20).map { ($0.time, $0.text) }
            : lines.map { ($0.time, $0.text) }
        let spansDays = day(s.start) != day(o.endTime)
        let offsets = shown.map { $0.time.map { offset($0, s) } ?? "" }
        let width = offsets.map(\.count).max() ?? 0
        let clockWidth = spansDays ? 19 : 8
        var out = ""
        for (i, (t, text)) in shown.enumerated() {
            let when = t.map { spansDays ? "\(day($0)) \(clock($0))" : clock($0) } ?? String(repeating: " ", count: clockWidth)
            out += "    \(when) \(offsets[i].padding(toLength: width, withPad: " ", startingAt: 0))  \(text)\n"
        }
        return out
    }

    static func firstSentence(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if let dot = flat.range(of: ". ") { return String(flat[..<dot.lowerBound]) + "." }
        return flat
    }

    /// Wall-clock time of day in UTC (HH:MM:SS), as a log line would show it.
    static func clock(_ t: Timestamp) -> String {
        let r = t.rfc3339
        return String(r[r.index(r.startIndex, offsetBy: 11)..<r.index(r.startIndex, offsetBy: 19)])
    }

    /// The UTC date (YYYY-MM-DD).
    static func day(_ t: Timestamp) -> String { String(t.rfc3339.prefix(10)) }

    static func offset(_ t: Timestamp, _ s: Scenario) -> String {
        "+" + formatSeconds(max(0, t.seconds(since: s.start)))
    }
}

public enum JSONReport {
    /// The `--json` document (its schema is in docs/reports.md).
    public static func render(_ reports: [ScenarioReport]) -> String {
        var arr: [JSONValue] = []
        for r in reports {
            var o: [(String, JSONValue)] = [("file", .string(r.file))]
            if let out = r.outcome {
                let s = out.scenario
                o += [
                    ("name", .string(s.name)), ("status", .string(r.passed ? "passed" : "failed")), ("passed", .bool(r.passed)),
                    ("seed", .int(Int64(bitPattern: s.seed))), ("faults", s.faultProfile.map { .string($0.rawValue) } ?? .null),
                    ("simulatedSeconds", .double(s.duration)), ("wallSeconds", .double((r.wallSeconds * 1000).rounded() / 1000)),
                    ("digest", .string(out.digest)), ("kernelEvents", .int(Int64(clamping: out.events))), ("apiWrites", .int(out.writes)),
                    ("reconciles", .int(Int64(out.reconciles))),
                    ("checks", .array(out.checks.map { c in
                        .object(["location": .string(c.location.description), "time": .string(c.time.rfc3339), "subject": .string(c.subject),
                                 "passed": .bool(c.passed), "details": .array(c.details.map { .string($0) })])
                    })),
                    ("violations", .array(out.violations.map { v in
                        var fields: OrderedDictionary<String, JSONValue> = ["invariant": .string(v.invariant), "time": .string(v.time.rfc3339)]
                        if let u = v.until { fields["until"] = .string(u.rfc3339); fields["checks"] = .int(Int64(v.checks)) }
                        fields["message"] = .string(v.message)
                        fields["objects"] = .array(v.objects.map { .string($0) })
                        return .object(fields)
                    })),
                    ("actionErrors", .array(out.actionErrors.map { e in
                        .object(["location": .string(e.location.description), "time": .string(e.time.rfc3339), "kind": .string(e.kind.rawValue),
                                 "message": .string(e.message)])
                    })),
                    ("reconcileErrors", .array(out.reconcileErrors.map { g in
                        .object(["controller": .string(g.controller), "key": .string(g.key), "count": .int(Int64(g.count)),
                                 "first": .string(g.first.rfc3339), "last": .string(g.last.rfc3339), "stillFailing": .bool(g.stillFailing),
                                 "message": .string(g.message)])
                    })),
                ]
                if r.determinismChecked || r.nondeterminism != nil {
                    o.append(("deterministic", .bool(r.nondeterminism == nil)))
                    if let n = r.nondeterminism { o.append(("nondeterminism", .string(n))) }
                }
            } else {
                o += [("status", .string("invalid")), ("passed", .bool(false)), ("error", .string(r.error?.description ?? ""))]
                if let e = r.error {
                    o.append(("errorLocation", .object(["file": .string(e.file), "line": .int(Int64(e.line)), "column": .int(Int64(e.column)),
                                                        "message": .string(e.message)])))
                }
            }
            arr.append(.object(.init(uniqueKeysWithValues: o)))
        }
        let passed = reports.filter(\.passed).count
        let invalid = reports.filter { $0.outcome == nil }.count
        let root: JSONValue = .object(["scenarios": .array(arr), "passed": .int(Int64(passed)),
                                       "failed": .int(Int64(reports.count - passed - invalid)), "invalid": .int(Int64(invalid))])
        return root.jsonText(pretty: true) + "\n"
    }
}

/// JUnit XML: one testsuite per scenario, one testcase per check, per invariant and per failed
/// timeline action or rejected manifest, so a CI system shows which one failed and why.
public enum JUnitReport {
    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "\t", "\n", "\r": o.unicodeScalars.append(ch)
            default:
                // XML 1.0 has no other control characters, even escaped.
                if ch.value < 0x20 || ch.value == 0xFFFE || ch.value == 0xFFFF { o += "\u{FFFD}" } else { o.unicodeScalars.append(ch) }
            }
        }
        return o
    }

    struct Case {
        var name: String
        var time: Double = 0
        var failure: (message: String, text: String)?
        var error: String?
        var skipped: String?
    }

    static func cases(_ r: ScenarioReport) -> [Case] {
        guard let o = r.outcome else {
            return [Case(name: "load", error: r.error?.description ?? "invalid scenario")]
        }
        let s = o.scenario
        var out: [Case] = []
        // Under --faults, timed checks and timeline actions are not judged: a failed one is skipped, with why.
        let unjudged = s.judgesTimedChecks ? nil : "not judged under --faults \(s.faultProfile!.rawValue)"
        for e in o.actionErrors {
            let what = e.kind == .manifest ? "manifest rejected" : "timeline action failed"
            var k = Case(name: "\(e.kind.rawValue) at \(e.location)",
                         failure: ("\(what): \(e.message)", "\(e.location): at \(TextReport.offset(e.time, s)): \(what): \(e.message)"))
            if let unjudged, e.kind == .timelineAction { k.skipped = "\(unjudged): \(what): \(e.message)"; k.failure = nil }
            out.append(k)
        }
        for c in o.checks {
            var k = Case(name: "check at \(c.location): at \(TextReport.offset(c.time, s)) \(c.subject)")
            if !c.passed {
                let failedFields = c.details.filter { $0.hasPrefix("FAIL") }
                k.failure = (failedFields.first.map { String($0.dropFirst(5)) } ?? "check failed",
                             (["\(c.location): at \(TextReport.offset(c.time, s)): FAILED \(c.subject)"] + c.details.map { "  " + $0 }).joined(separator: "\n"))
                if let unjudged { k.skipped = "\(unjudged): \(k.failure!.message)"; k.failure = nil }
            }
            out.append(k)
        }
        for name in Scenario.invariantNames {
            var k = Case(name: "invariant \(name)")
            let vs = o.violations.filter { $0.invariant == name }
            switch s.mode(of: name) {
            case .off: k.skipped = "turned off by the scenario"
            case .on, .violated:
                if let first = vs.first {
                    let text = vs.map { v in
                        "violated at \(TextReport.offset(v.time, s)) (\(v.time))\(v.until.map { " until \(TextReport.offset($0, s))" } ?? ""): \(v.message)" + (v.objects.isEmpty ? "" : "\n  objects: \(v.objects.joined(separator: ", "))")
                    }.joined(separator: "\n")
                    k.failure = (vs.count == 1 ? first.message : "\(plural(vs.count, "violation")), first: \(first.message)", text)
                }
            }
            out.append(k)
        }
        out[0].time = r.wallSeconds
        return out
    }

    public static func render(_ reports: [ScenarioReport]) -> String {
        let all = reports.map { ($0, cases($0)) }
        func count(_ cs: [Case], _ p: (Case) -> Bool) -> Int { cs.filter(p).count }
        let tests = all.reduce(0) { $0 + $1.1.count }
        let failures = all.reduce(0) { $0 + count($1.1) { $0.failure != nil } }
        let errors = all.reduce(0) { $0 + count($1.1) { $0.error != nil } }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"kruise-sim\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for (r, cs) in all {
            let name = r.outcome?.scenario.name ?? r.file
            x += "  <testsuite name=\"\(esc(name))\" file=\"\(esc(r.file))\" tests=\"\(cs.count)\" failures=\"\(count(cs) { $0.failure != nil })\" "
            x += "errors=\"\(count(cs) { $0.error != nil })\" skipped=\"\(count(cs) { $0.skipped != nil })\" time=\"\(String(format: "%.3f", r.wallSeconds))\">\n"
            for c in cs {
                x += "    <testcase classname=\"\(esc(name))\" name=\"\(esc(c.name))\" file=\"\(esc(r.file))\" time=\"\(String(format: "%.3f", c.time))\""
                if let f = c.failure {
                    x += ">\n      <failure message=\"\(esc(f.message))\">\(esc(f.text))</failure>\n    </testcase>\n"
                } else if let e = c.error {
                    x += ">\n      <error message=\"\(esc(e))\">\(esc(e))</error>\n    </testcase>\n"
                } else if let sk = c.skipped {
                    x += ">\n      <skipped message=\"\(esc(sk))\"/>\n    </testcase>\n"
                } else {
                    x += "/>\n"
                }
            }
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }
}

/// Runs scenario files and directories.
public enum ScenarioRunner {
    /// Expands directories into their `*.yaml`/`*.yml` scenario files (sorted), keeping file
    /// arguments as given. A directory may also hold Kubernetes manifests (for a scenario's
    /// `manifestFiles`): those are skipped, and `skipped` names each with the reason.
    public static func expand(_ paths: [String]) -> [String] { expandNoting(paths).files }

    public static func expandNoting(_ paths: [String]) -> (files: [String], skipped: [(file: String, reason: String)]) {
        var out: [String] = []
        var skipped: [(String, String)] = []
        for p in paths {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                let items = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
                for f in items.sorted() where f.hasSuffix(".yaml") || f.hasSuffix(".yml") {
                    let path = (p as NSString).appendingPathComponent(f)
                    if let kind = manifestKind(path) {
                        skipped.append((path, "a Kubernetes manifest (kind \(kind)), not a scenario; a scenario applies it with `manifestFiles:`"))
                    } else {
                        out.append(path)
                    }
                }
            } else {
                out.append(p)
            }
        }
        return (out, skipped)
    }

    /// The `kind` of a file whose first YAML document is a Kubernetes object (top-level
    /// `apiVersion` and `kind`, no `duration`), or nil for anything else.
    static func manifestKind(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var keys: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("---") { if keys.isEmpty { continue } else { break } }
            guard let first = line.first, first != " ", first != "#", first != "-", let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            keys[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard keys["duration"] == nil, keys["apiVersion"] != nil, let kind = keys["kind"] else { return nil }
        return kind.isEmpty ? "?" : kind
    }

    /// Loads and runs one file. Wall time is measured around the run only for the report.
    /// `progress` (a terminal's progress line) follows the run and is cleared after it.
    /// `faults` layers a fault profile under the scenario's own faults (``Scenario/layering(_:)``).
    public static func run(file: String, seed: UInt64? = nil, trace: String? = nil, progress: ProgressLine? = nil,
                           mutant: Mutant? = nil, faults: FaultProfile? = nil, journal: DigestJournal? = nil) -> ScenarioReport {
        ExitTeardown.dropKept()
        let startWall = DispatchTime.now().uptimeNanoseconds
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: file, isDirectory: &isDir) {
            return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: file, line: 0, column: 0, message: "no such file"), wallSeconds: 0)
        }
        do {
            var s = try ScenarioLoader.load(path: file, seedOverride: seed)
            if let faults { s = s.layering(faults) }
            // The trace is written on a thread of its own (the second core), in the run's order.
            var sink: SQLiteTrace?
            if let trace {
                do { sink = try SQLiteTrace(path: trace, scenario: s) } catch {
                    return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: trace, line: 1, column: 1, message: "cannot write trace: \(error)"), wallSeconds: 0)
                }
            }
            let sim = Simulation(scenario: s, trace: sink.map { TraceThread($0) }, mutant: mutant)
            sim.journal = journal
            progress?.attach(sim)
            let outcome = sim.run()
            progress?.finish()
            if let why = sim.historyLimitReached {
                return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: file, line: 1, column: 1, message: why), wallSeconds: 0)
            }
            if let e = sink?.finishError {
                return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: trace ?? file, line: 1, column: 1, message: e), wallSeconds: 0)
            }
            // A traced run's sink is finished above; without one, nothing waits on the teardown.
            if sink == nil { ExitTeardown.keep(sim) }
            let wall = Double(DispatchTime.now().uptimeNanoseconds - startWall) / 1e9
            return ScenarioReport(file: file, outcome: outcome, error: nil, wallSeconds: wall)
        } catch let e as ScenarioError {
            return ScenarioReport(file: file, outcome: nil, error: e, wallSeconds: 0)
        } catch {
            return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: file, line: 1, column: 1, message: "\(error)"), wallSeconds: 0)
        }
    }
}
