import Foundation
import Testing
@testable import Sim
import Engine
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Text, JSON and JUnit reports, and the SQLite trace.
@Suite struct ReportTests {
    /// Pods run 20s: the job is still running at 10s, so the second check fails.
    static let failing = """
    name: report-demo
    description: A scenario with one failing check. It is used by the report tests.
    duration: 1m
    nodes: [{namePrefix: n, count: 2}]
    images:
      busybox: {run: 20s}
    manifests:
      - apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata: {name: hello}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: busybox}]
    expect:
      - {at: 5s, object: bcj/hello, fields: {status.desired: 2}}
      - at: 10s
        object: bcj/hello
        fields:
          status.desired: 2
          status.phase: completed
    """

    static let passing = """
    name: all-good
    duration: 30s
    nodes: [{name: n1}]
    expect:
      - {at: 10s, count: node, is: 1}
    """

    /// Writes `text` to a file in `dir` and returns its path.
    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Text

    @Test func textReportNamesTheFailedCheckWithExpectedAndActual() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Self.failing, "failing.yaml", in: dir)
        let r = ScenarioRunner.run(file: path)
        #expect(r.outcome != nil)
        #expect(!r.passed)
        let text = TextReport.render([r], verbose: false)
        let at = position(of: "at: 10s", in: Self.failing)
        #expect(text.hasPrefix("FAIL  report-demo  1m simulated in "), "\(text)")
        #expect(text.contains("(1/2 checks, invariants held, seed 1)"), "\(text)")
        #expect(text.contains("  scenario: A scenario with one failing check.\n"), "\(text)")
        #expect(text.contains("  \(path):\(at.line):\(at.column): at +10s: FAILED object BroadcastJob/default/hello\n"), "\(text)")
        #expect(text.contains("    ok   status.desired: expected 2, got 2\n"), "\(text)")
        #expect(text.contains("    FAIL status.phase: expected \"completed\", got \"running\"\n"), "\(text)")
        // The passing check is not listed; the story is.
        let passingAt = position(of: "{at: 5s", in: Self.failing)
        #expect(!text.contains("\(path):\(passingAt.line):\(passingAt.column)"), "\(text)")
        #expect(text.contains("  what happened:\n"), "\(text)")
        #expect(text.hasSuffix("0 passed, 1 failed\n"), "\(text)")
    }

    @Test func textReportOfAPassingScenarioIsOneLine() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = ScenarioRunner.run(file: try Self.write(Self.passing, "ok.yaml", in: dir))
        #expect(r.passed)
        let text = TextReport.render([r], verbose: false)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.hasPrefix("PASS  all-good  30s simulated in ") == true)
        #expect(lines.first?.contains("(1/1 checks, invariants held, seed 1)") == true)
        #expect(lines.last == "1 passed, 0 failed")
    }

    @Test func textReportOfAnInvalidScenarioQuotesTheError() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write("duration: 5 minutes\n", "bad.yaml", in: dir)
        let r = ScenarioRunner.run(file: path)
        #expect(r.outcome == nil)
        #expect(r.error?.line == 1 && r.error?.column == 11)
        let text = TextReport.render([r], verbose: false)
        #expect(text.hasPrefix("ERROR \(path)\n  \(path):1:11: duration: invalid duration \"5 minutes\""), "\(text)")
        #expect(text.hasSuffix("0 passed, 0 failed, 1 invalid\n"), "\(text)")
    }

    @Test func textReportListsViolationsWithTimeAndObjects() throws {
        let o = try runScenario("""
        name: crowded
        duration: 10s
        nodes: [{name: n1}]
        images:
          loop: {run: forever}
        manifests:
        \(InvariantTests.pausedJob())
        \(InvariantTests.ownedPod("a", node: "n1"))\(InvariantTests.ownedPod("b", node: "n1"))
        """)
        let text = TextReport.render([ScenarioReport(file: "crowded.yaml", outcome: o, error: nil, wallSeconds: 0)], verbose: false)
        #expect(text.contains("(0/0 checks, 1 invariant violation (onePodPerNode), seed 1)"), "\(text)")
        #expect(text.contains("  invariant onePodPerNode violated at +0s (2024-01-01T00:00:00Z): BroadcastJob owner has 2 running pods on node n1: a, b\n"), "\(text)")
        #expect(text.contains("    objects: "), "\(text)")
    }

    @Test func textReportListsFailedTimelineActions() throws {
        let yaml = """
        name: bad-action
        duration: 30s
        nodes: [{name: n1}]
        timeline:
          - {at: 5s, delete: bcj/nothing}
        """
        let o = try runScenario(yaml, file: "bad-action.yaml")
        let text = TextReport.render([ScenarioReport(file: "bad-action.yaml", outcome: o, error: nil, wallSeconds: 0)], verbose: false)
        let at = position(of: "{at: 5s", in: yaml)
        #expect(text.contains("  bad-action.yaml:\(at.line):\(at.column): at +5s: timeline action failed: delete: broadcastjobs.apps.kruise.io \"nothing\" not found\n"), "\(text)")
    }

    /// A timeline apply of an object that exists updates it, as kubectl apply does, even when the
    /// manifest leaves the namespace out (it is the default one).
    @Test func aTimelineApplyUpdatesANamespacedObjectWithoutANamespace() throws {
        let o = try runScenario("""
        name: reapply
        duration: 1m
        nodes: [{name: n1}]
        timeline:
          - at: 10s
            apply: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n1, containers: [{name: c, image: busybox}]}}
          - at: 20s
            apply: {apiVersion: v1, kind: Pod, metadata: {name: p, labels: {tier: second}}, spec: {nodeName: n1, containers: [{name: c, image: busybox}]}}
        expect:
          - {at: 30s, object: pod/p, fields: {metadata.labels.tier: second}}
        """)
        #expect(o.actionErrors.isEmpty, "\(o.actionErrors.map(\.message))")
        #expect(o.passed)
    }

    /// A node the API server refuses (its name taken) fails the timeline action; the node that
    /// has the name keeps its kubelet.
    @Test func addingANodeWhoseNameIsTakenFailsTheAction() throws {
        let yaml = """
        name: dup-add
        duration: 1m
        nodes: [{name: n1}]
        timeline:
          - {at: 10s, addNodes: {name: n2}}
          - {at: 20s, addNodes: {namePrefix: n, count: 3}}
        expect:
          - {at: 1m, count: node, is: 3}
        """
        let o = try runScenario(yaml, file: "dup-add.yaml")
        #expect(!o.passed)
        let at = position(of: "{at: 20s", in: yaml)
        let text = TextReport.render([ScenarioReport(file: "dup-add.yaml", outcome: o, error: nil, wallSeconds: 0)], verbose: false)
        #expect(text.contains("  dup-add.yaml:\(at.line):\(at.column): at +20s: timeline action failed: addNodes: node n1: nodes \"n1\" already exists; node n2: nodes \"n2\" already exists\n"), "\(text)")
        #expect(o.checks.allSatisfy { $0.passed }, "n3 was still added: \(o.checks)")
    }

    /// A BroadcastJob whose parallelism is not a number or a percentage: upstream's webhook lets it
    /// in and every reconcile fails on it, so no pod is ever made. The run has no check to fail,
    /// but its report must not hide why nothing happened.
    static let failingReconciles = """
    name: bad-parallelism
    duration: 10m
    nodes: [{namePrefix: w, count: 2}]
    manifests:
      - apiVersion: apps.kruise.io/v1alpha1
        kind: BroadcastJob
        metadata: {name: b}
        spec:
          parallelism: two
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: busybox}]
    """

    @Test func textReportTellsOfAReconcileStillFailingAtTheEnd() throws {
        let o = try runScenario(Self.failingReconciles)
        let g = try #require(o.reconcileErrors.first)
        #expect(o.reconcileErrors.count == 1)
        #expect(g.controller == "broadcastjob-controller" && g.key == "default/b" && g.stillFailing)
        #expect(g.count > 5 && g.first < g.last, "retried with back-off through the run: \(g)")
        #expect(g.message.contains("string is not a percentage"), "\(g.message)")
        let r = ScenarioReport(file: "bad.yaml", outcome: o, error: nil, wallSeconds: 0)
        let text = TextReport.render([r], verbose: false)
        #expect(text.contains("\n  still failing at the end, retried with back-off: broadcastjob-controller default/b: \(g.count) times from +"), "\(text)")
        let verbose = TextReport.render([r], verbose: true)
        #expect(verbose.contains("  reconcile errors: \(g.count) (each key re-queued with back-off and reconciled again):\n"), "\(verbose)")
        #expect(verbose.contains("string is not a percentage (still failing at the end)\n"), "\(verbose)")
    }

    /// The HTML report tells the same reconcile errors from the trace, the still-failing key in red.
    @Test func htmlReportTellsTheReconcileErrorsTheRunHad() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Self.failingReconciles, "bad.yaml", in: dir)
        let trace = dir.appendingPathComponent("t.sqlite").path
        let r = ScenarioRunner.run(file: path, trace: trace)
        let g = try #require(r.outcome?.reconcileErrors.first)
        let html = try HTMLReport.render(try TraceFile(path: trace))
        #expect(html.contains("<h2>Reconcile errors (\(g.count))</h2>"), "\(html)")
        #expect(html.contains("<tr class=\"bad\"><td>broadcastjob-controller</td><td>default/b</td><td>\(g.count)</td><td>+5ms</td>"), "\(html)")
        #expect(html.contains("<b>still failing at the end:</b> invalid value for IntOrString"), "\(html)")
        #expect(html.contains("<a href=\"#reconcile-errors\">"))
        // The two idle nodes' disk lines coincide: the legend says the second is under the first's.
        #expect(html.contains("w2: 10.0% → 10.0% (the same line as w1)"), "\(html)")
        // A run without any has no such section.
        let ok = dir.appendingPathComponent("ok.sqlite").path
        _ = ScenarioRunner.run(file: try Self.write(Self.passing, "ok.yaml", in: dir), trace: ok)
        #expect(!(try HTMLReport.render(try TraceFile(path: ok))).contains("Reconcile errors"))
    }

    /// A run stopped early (`serve` on Ctrl-C) is drawn to where it stopped, not to its planned end.
    @Test func htmlReportOfARunStoppedEarlyEndsWhereItStopped() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try ScenarioLoader.load(text: Self.failing, file: "stopped.yaml")
        let path = dir.appendingPathComponent("stopped.sqlite").path
        let sink = try SQLiteTrace(path: path, scenario: s)
        let sim = Simulation(scenario: s, trace: sink)
        sim.start()
        sim.advance(to: s.start.adding(seconds: 40))
        _ = sim.finish(interrupted: true)
        let html = try HTMLReport.render(try TraceFile(path: path))
        #expect(html.contains("(40s of 1m: stopped early)"), "\(html.prefix(1500))")
        #expect(html.contains(">+40s</text>") && !html.contains(">+1m</text>"), "the axis ends at +40s")
    }

    /// Errors a retry got past (injected API errors here) are told with -v, not in the one-line report.
    @Test func reconcileErrorsARetryGotPastAreToldOnlyWithVerbose() throws {
        let o = try runScenario("""
        name: flaky-api
        duration: 3m
        settings: {faults: {errorRate: 1.0}}
        nodes: [{namePrefix: w, count: 2}]
        timeline:
          - {at: 20s, faults: {errorRate: 0}}
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: BroadcastJob
            metadata: {name: b}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: busybox}]
        expect:
          - {at: 3m, object: bcj/b, fields: {status.phase: completed}}
        """)
        #expect(o.passed)
        #expect(!o.reconcileErrors.isEmpty && o.reconcileErrors.allSatisfy { !$0.stillFailing }, "\(o.reconcileErrors)")
        let r = ScenarioReport(file: "flaky.yaml", outcome: o, error: nil, wallSeconds: 0)
        #expect(TextReport.render([r], verbose: false).split(separator: "\n").count == 2)
        #expect(TextReport.render([r], verbose: true).contains("  reconcile errors: "))
    }

    /// A long story without -v keeps its first and last 20 lines; the line between says how many
    /// were left out and has no time of its own (it had the run's end, out of order).
    @Test func aCutStoryMarksTheCutWithoutATime() throws {
        let o = try runScenario(CronSlotTests.yaml(timeline: "  []", invariant: "expect: [{at: 10m, absent: acj/tick}]", duration: "30m"))
        #expect(!o.passed && o.story.count > 40)
        let text = TextReport.render([ScenarioReport(file: "long.yaml", outcome: o, error: nil, wallSeconds: 0)], verbose: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let cut = try #require(lines.firstIndex { $0.contains("… \(o.story.count - 40) more lines (-v shows them all) …") })
        #expect(lines[cut].hasPrefix("    " + String(repeating: " ", count: 8) + " "), "\(lines[cut])")
        #expect(lines[cut - 1].hasPrefix("    00:") && lines[cut + 1].hasPrefix("    00:"), "\(lines[(cut - 1)...(cut + 1)])")
    }

    // MARK: JSON

    @Test func jsonReportHasTheDigestAndParses() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let failing = ScenarioRunner.run(file: try Self.write(Self.failing, "failing.yaml", in: dir))
        let passing = ScenarioRunner.run(file: try Self.write(Self.passing, "ok.yaml", in: dir))
        let invalid = ScenarioRunner.run(file: try Self.write("nodes: []\n", "invalid.yaml", in: dir))
        let text = JSONReport.render([failing, passing, invalid])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(root["passed"] as? Int == 1)
        // An invalid file is counted as invalid, as the text summary does, not as failed.
        #expect(root["failed"] as? Int == 1)
        #expect(root["invalid"] as? Int == 1)
        let scenarios = try #require(root["scenarios"] as? [[String: Any]])
        #expect(scenarios.count == 3)
        let f = scenarios[0]
        #expect(f["name"] as? String == "report-demo")
        #expect(f["passed"] as? Bool == false)
        let digest = try #require(f["digest"] as? String)
        #expect(digest.count == 16 && digest.allSatisfy { $0.isHexDigit })
        #expect(digest == failing.outcome?.digest)
        #expect(f["seed"] as? Int == 1)
        let checks = try #require(f["checks"] as? [[String: Any]])
        #expect(checks.count == 2)
        #expect(checks.map { $0["passed"] as? Bool } == [true, false])
        #expect((checks[1]["location"] as? String)?.hasSuffix("failing.yaml:\(position(of: "at: 10s", in: Self.failing).line):5") == true)
        #expect((checks[1]["details"] as? [String])?.contains("FAIL status.phase: expected \"completed\", got \"running\"") == true)
        #expect((f["violations"] as? [Any])?.isEmpty == true)
        #expect(scenarios[1]["passed"] as? Bool == true)
        #expect(scenarios[2]["passed"] as? Bool == false)
        #expect((scenarios[2]["error"] as? String)?.contains("invalid.yaml:1:1: missing required key \"duration\"") == true)
        #expect(scenarios[2]["digest"] == nil)
        #expect(scenarios.map { $0["status"] as? String } == ["failed", "passed", "invalid"])
        let loc = try #require(scenarios[2]["errorLocation"] as? [String: Any])
        #expect(loc["line"] as? Int == 1 && loc["column"] as? Int == 1)
    }

    @Test func jsonDigestIsTheSameForTheSameRunAndDiffersForAnotherSeed() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Self.failing, "failing.yaml", in: dir)
        func digest(_ seed: UInt64?) throws -> String? {
            let root = try JSONSerialization.jsonObject(with: Data(JSONReport.render([ScenarioRunner.run(file: path, seed: seed)]).utf8)) as? [String: Any]
            return ((root?["scenarios"] as? [[String: Any]])?.first?["digest"]) as? String
        }
        let a = try digest(nil), b = try digest(nil)
        #expect(a != nil && a == b)
        #expect(try digest(2) != a)
    }

    @Test
    func jsonReportKeepsItsKeyOrder() throws {
        let o = try runScenario(Self.failing, file: "failing.yaml")
        let r = ScenarioReport(file: "failing.yaml", outcome: o, error: nil, wallSeconds: 0)
        let texts = Set((0..<10).map { _ in JSONReport.render([r]) })
        #expect(texts.count == 1)
        // Keys in the order Reports.swift writes them, so the same outcome renders to the same bytes.
        let text = try #require(texts.first)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let scenario = try #require((root["scenarios"] as? [[String: Any]])?.first)
        #expect(Set(scenario.keys).isSuperset(of: ["file", "name", "passed", "seed", "digest", "checks"]))
        let topKeys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { String($0.split(separator: ":")[0]).trimmingCharacters(in: .whitespaces) }
        #expect(topKeys == ["\"scenarios\"", "\"passed\"", "\"failed\"", "\"invalid\""], "\(topKeys)")
    }

    // MARK: JUnit

    @Test func junitReportHasATestcasePerCheckAndInvariant() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let failing = ScenarioRunner.run(file: try Self.write(Self.failing, "failing.yaml", in: dir))
        let passing = ScenarioRunner.run(file: try Self.write(Self.passing, "ok.yaml", in: dir))
        let invalid = ScenarioRunner.run(file: try Self.write("duration: soon\n", "invalid.yaml", in: dir))
        let xml = JUnitReport.render([failing, passing, invalid])
        let invariants = Scenario.invariantNames.count
        // failing: 2 checks + the invariants; passing: 1 check + the invariants; invalid: one errored case.
        let tests = 2 + invariants + 1 + invariants + 1
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
        #expect(xml.contains("<testsuites name=\"kruise-sim\" tests=\"\(tests)\" failures=\"1\" errors=\"1\">"), "\(xml)")
        #expect(xml.contains("<testsuite name=\"report-demo\" file=\"\(dir.path)/failing.yaml\" tests=\"\(2 + invariants)\" failures=\"1\" errors=\"0\""), "\(xml)")
        #expect(xml.contains("<testsuite name=\"all-good\""), "\(xml)")
        let at = position(of: "at: 10s", in: Self.failing)
        #expect(xml.contains("name=\"check at \(dir.path)/failing.yaml:\(at.line):\(at.column): at +10s object BroadcastJob/default/hello\""), "\(xml)")
        #expect(xml.contains("name=\"invariant onePodPerNode\""), "\(xml)")
        // The failure is the failed field, expected and actual, not the run's summary.
        #expect(xml.contains("<failure message=\"status.phase: expected &quot;completed&quot;, got &quot;running&quot;\">"), "\(xml)")
        #expect(!xml.contains("passed, "), "\(xml)")
        #expect(xml.contains("<error message=\"\(dir.path)/invalid.yaml:1:11: duration: invalid duration"), "\(xml)")
        #expect(xml.components(separatedBy: "<testcase ").count == tests + 1)
        // Well-formed XML.
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    // MARK: SQLite trace

    @Test func traceOfTheSameScenarioTwiceIsByteIdentical() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Self.failing, "failing.yaml", in: dir)
        let t1 = dir.appendingPathComponent("one.sqlite").path
        let t2 = dir.appendingPathComponent("two.sqlite").path
        let t3 = dir.appendingPathComponent("three.sqlite").path
        let r1 = ScenarioRunner.run(file: path, trace: t1)
        let r2 = ScenarioRunner.run(file: path, trace: t2)
        let r3 = ScenarioRunner.run(file: path, seed: 5, trace: t3)
        #expect(r1.outcome != nil && r2.outcome != nil && r3.outcome != nil)
        let a = try Data(contentsOf: URL(fileURLWithPath: t1))
        let b = try Data(contentsOf: URL(fileURLWithPath: t2))
        let c = try Data(contentsOf: URL(fileURLWithPath: t3))
        #expect(a.count > 4096)
        #expect(a.prefix(16) == Data("SQLite format 3\0".utf8))
        #expect(a == b)
        #expect(a != c)
        // Writing over an existing trace gives the same bytes again.
        _ = ScenarioRunner.run(file: path, trace: t1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: t1)) == b)
    }

    @Test func traceObjectsAreJSONWithKeysInStoredOrder() throws {
        let v: JSONValue = .object([
            "z": .string("quote \" backslash \\ newline \n tab \t bell \u{07} slash / é"),
            "a": .array([.int(-3), .double(1.5), .double(2), .bool(true), .null]),
            "m": .object(["y": .int(1), "b": .int(2)]),
        ])
        let text = SQLiteTrace.json(v)
        #expect(text == #"{"z":"quote \" backslash \\ newline \n tab \t bell \u0007 slash / é","a":[-3,1.5,2,true,null],"m":{"y":1,"b":2}}"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["z"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} slash / é")
        // A manifest renders the same way every time.
        let pod = try APIServerTests.pod("p", nodeName: "n1").manifest()
        #expect(Set((0..<20).map { _ in SQLiteTrace.json(pod) }).count == 1)
    }

    @Test func traceThatCannotBeWrittenIsAnError() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.write(Self.passing, "ok.yaml", in: dir)
        let r = ScenarioRunner.run(file: path, trace: dir.appendingPathComponent("no/such/dir/t.sqlite").path)
        #expect(r.outcome == nil)
        #expect(r.error?.message.hasPrefix("cannot write trace") == true, "\(r.error?.description ?? "")")
    }
}
