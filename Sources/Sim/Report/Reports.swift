import Foundation
import Engine

/// A scenario's outcome with its wall time (wall time is reported, never used in the run).
public struct ScenarioReport: Sendable {
    public var file: String
    public var outcome: RunOutcome?
    public var error: ScenarioError?
    public var wallSeconds: Double

    public var passed: Bool { outcome?.passed ?? false }
}

public enum TextReport {
    /// One line per scenario; for a failure, each failed check or invariant with its context.
    public static func render(_ reports: [ScenarioReport], verbose: Bool) -> String {
        var out = ""
        for r in reports {
            guard let o = r.outcome else {
                out += "ERROR \(r.file)\n  \(r.error?.description ?? "unknown error")\n"
                continue
            }
            let s = o.scenario
            let status = o.passed ? "PASS" : "FAIL"
            let checks = o.checks.count
            let failedChecks = o.checks.filter { !$0.passed }.count
            out += "\(status)  \(s.name)  \(formatSeconds(s.duration)) simulated in \(String(format: "%.2f", r.wallSeconds))s wall  "
            out += "(\(checks - failedChecks)/\(checks) checks, \(o.violations.isEmpty ? "invariants held" : "\(o.violations.count) invariant violation(s)"), seed \(s.seed))\n"
            if !o.passed || verbose {
                if verbose || !o.passed {
                    if !s.description.isEmpty && !o.passed { out += "  scenario: \(firstSentence(s.description))\n" }
                }
                for e in o.actionErrors {
                    out += "  \(e.location): at \(offset(e.time, s)): timeline action failed: \(e.message)\n"
                }
                for v in o.violations {
                    out += "  invariant \(v.invariant) violated at \(offset(v.time, s)) (\(v.time)): \(v.message)\n"
                    if !v.objects.isEmpty { out += "    objects: \(v.objects.joined(separator: ", "))\n" }
                }
                for c in o.checks where !c.passed || verbose {
                    out += "  \(c.location): at \(offset(c.time, s)): \(c.passed ? "ok" : "FAILED") \(c.subject)\n"
                    for d in c.details { out += "    \(d)\n" }
                }
                if !o.passed || verbose {
                    out += "  what happened:\n"
                    let lines = o.story
                    let shown = lines.count > 40 ? Array(lines.prefix(20)) + [(o.endTime, "… \(lines.count - 40) more …")] + Array(lines.suffix(20)) : lines
                    for (t, text) in shown { out += "    \(clock(t)) \(offset(t, s).padding(toLength: 9, withPad: " ", startingAt: 0)) \(text)\n" }
                }
            }
        }
        let passed = reports.filter(\.passed).count
        let errors = reports.filter { $0.outcome == nil }.count
        out += "\(passed) passed, \(reports.count - passed - errors) failed\(errors > 0 ? ", \(errors) invalid" : "")\n"
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

    static func offset(_ t: Timestamp, _ s: Scenario) -> String {
        "+" + formatSeconds(max(0, t.seconds(since: s.start)))
    }
}

public enum JSONReport {
    public static func render(_ reports: [ScenarioReport]) -> String {
        var arr: [JSONValue] = []
        for r in reports {
            var o: [(String, JSONValue)] = [("file", .string(r.file))]
            if let out = r.outcome {
                let s = out.scenario
                o += [
                    ("name", .string(s.name)), ("passed", .bool(out.passed)), ("seed", .int(Int64(bitPattern: s.seed))),
                    ("simulatedSeconds", .double(s.duration)), ("wallSeconds", .double((r.wallSeconds * 1000).rounded() / 1000)),
                    ("digest", .string(out.digest)), ("kernelEvents", .int(Int64(out.events))), ("apiWrites", .int(out.writes)),
                    ("reconciles", .int(Int64(out.reconciles))),
                    ("checks", .array(out.checks.map { c in
                        .object(["location": .string(c.location.description), "time": .string(c.time.rfc3339), "subject": .string(c.subject),
                                 "passed": .bool(c.passed), "details": .array(c.details.map { .string($0) })])
                    })),
                    ("violations", .array(out.violations.map { v in
                        .object(["invariant": .string(v.invariant), "time": .string(v.time.rfc3339), "message": .string(v.message),
                                 "objects": .array(v.objects.map { .string($0) })])
                    })),
                    ("actionErrors", .array(out.actionErrors.map { e in
                        .object(["location": .string(e.location.description), "time": .string(e.time.rfc3339), "message": .string(e.message)])
                    })),
                ]
            } else {
                o += [("passed", .bool(false)), ("error", .string(r.error?.description ?? ""))]
            }
            arr.append(.object(.init(uniqueKeysWithValues: o)))
        }
        let passed = reports.filter(\.passed).count
        let root: JSONValue = .object(["scenarios": .array(arr), "passed": .int(Int64(passed)), "failed": .int(Int64(reports.count - passed))])
        return root.jsonText(pretty: true) + "\n"
    }
}

public enum JUnitReport {
    public static func render(_ reports: [ScenarioReport]) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let failures = reports.filter { !$0.passed && $0.outcome != nil }.count
        let errors = reports.filter { $0.outcome == nil }.count
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"kruise-sim\" tests=\"\(reports.count)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        x += "  <testsuite name=\"scenarios\" tests=\"\(reports.count)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
        for r in reports {
            let name = r.outcome?.scenario.name ?? r.file
            x += "    <testcase classname=\"kruise-sim\" name=\"\(esc(name))\" file=\"\(esc(r.file))\" time=\"\(String(format: "%.3f", r.wallSeconds))\""
            if let o = r.outcome, o.passed {
                x += "/>\n"
            } else if let o = r.outcome {
                let text = TextReport.render([r], verbose: false)
                let n = o.checks.filter { !$0.passed }.count + o.violations.count + o.actionErrors.count
                x += ">\n      <failure message=\"\(n) check(s) or invariant(s) failed\">\(esc(text))</failure>\n    </testcase>\n"
            } else {
                x += ">\n      <error message=\"\(esc(r.error?.description ?? ""))\"/>\n    </testcase>\n"
            }
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}

/// Runs scenario files and directories.
public enum ScenarioRunner {
    /// Expands directories into their `*.yaml`/`*.yml` files (sorted), keeping file arguments as given.
    public static func expand(_ paths: [String]) -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                let items = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
                for f in items.sorted() where f.hasSuffix(".yaml") || f.hasSuffix(".yml") {
                    out.append((p as NSString).appendingPathComponent(f))
                }
            } else {
                out.append(p)
            }
        }
        return out
    }

    /// Loads and runs one file. Wall time is measured around the run only for the report.
    public static func run(file: String, seed: UInt64? = nil, trace: String? = nil) -> ScenarioReport {
        let startWall = DispatchTime.now().uptimeNanoseconds
        do {
            let s = try ScenarioLoader.load(path: file, seedOverride: seed)
            var sink: SQLiteTrace?
            if let trace {
                do { sink = try SQLiteTrace(path: trace, scenario: s) } catch {
                    return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: trace, line: 1, column: 1, message: "cannot write trace: \(error)"), wallSeconds: 0)
                }
            }
            let outcome = Simulation(scenario: s, trace: sink).run()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - startWall) / 1e9
            return ScenarioReport(file: file, outcome: outcome, error: nil, wallSeconds: wall)
        } catch let e as ScenarioError {
            return ScenarioReport(file: file, outcome: nil, error: e, wallSeconds: 0)
        } catch {
            return ScenarioReport(file: file, outcome: nil, error: ScenarioError(file: file, line: 1, column: 1, message: "\(error)"), wallSeconds: 0)
        }
    }
}
