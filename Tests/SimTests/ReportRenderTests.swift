import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Sim
import Engine

/// The HTML report rendered by headless Chromium, and the Perfetto export, of
/// scenarios/seed-image-cleanup.yaml.
@Suite struct ReportRenderTests {
    /// Debian's `chromium` (installed by .ci/run), or another Chromium on the PATH.
    static func chromium() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        return nil
    }

    /// Runs Chromium headless with `args` and returns its stdout.
    static func runChromium(_ exe: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func htmlReportRendersWithTheCleanerPodsAndTheDiskDrop() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try TraceTests.trace(in: dir)
        let html = try HTMLReport.render(t)
        // Self-contained: nothing is fetched.
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"))
        #expect(html.utf8.count < 200_000)
        let page = dir.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let exe = try #require(Self.chromium(), "headless Chromium is needed (Debian package chromium; .ci/run installs it)")
        // The DOM as Chromium built it (after the page's script ran).
        let dom = try Self.runChromium(exe, ["--dump-dom", page.absoluteString])
        #expect(dom.contains("<svg"))
        for worker in ["worker1", "worker2"] {
            // The cleaner pods of both runs on each worker, and none on the control plane.
            let pods = dom.components(separatedBy: "class=\"pod\" data-pod=\"acj-test-").dropFirst().filter { $0.prefix { $0 != ">" }.contains("data-node=\"\(worker)\"") }
            #expect(pods.count == 2, "\(worker)")
            // Disk use falls from about 84% to about 59% on each worker.
            #expect(dom.contains("class=\"disksum\" data-node=\"\(worker)\" data-from=\"83.9\" data-to=\"58.9\""))
        }
        #expect(!dom.contains("data-node=\"kind-control-plane\" data-phase"))
        #expect(dom.contains("class=\"disksum\" data-node=\"kind-control-plane\" data-from=\"83.9\" data-to=\"83.9\""))
        #expect(dom.components(separatedBy: "class=\"slot\"").count - 1 == 2)  // the 08:50 and 08:55 cron slots
        // A screenshot: a real PNG of a real size.
        let png = dir.appendingPathComponent("report.png")
        _ = try Self.runChromium(exe, ["--window-size=1300,1400", "--screenshot=\(png.path)", page.absoluteString])
        let bytes = try Data(contentsOf: png)
        #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(bytes.count > 20_000)
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1300 && height == 1400)
    }

    @Test func perfettoSlicesMatchThePodIntervals() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try TraceTests.trace(in: dir)
        let json = try PerfettoReport.render(t)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        // Thread names: node tracks and controller tracks.
        var threads: [String: String] = [:]
        for e in events where e["ph"] as? String == "M" && e["name"] as? String == "thread_name" {
            threads["\(e["pid"]!)/\(e["tid"]!)"] = (e["args"] as? [String: Any])?["name"] as? String
        }
        let podSlices = events.filter { $0["cat"] as? String == "pod" && $0["ph"] as? String == "X" }
        let got = podSlices.map { e -> String in
            let node = threads["\(e["pid"]!)/\(e["tid"]!)"] ?? "?"
            return "\(node) \(e["name"]!) \(e["ts"]!) \(e["dur"]!)"
        }.sorted()
        let want = try t.rows("SELECT node, name, from_offset, to_offset FROM pod_placements").map { r -> String in
            let from = Double(r[2]!)!, to = Double(r[3]!)!
            return "\(r[0]!) \(r[1]!) \(Int64((from * 1e6).rounded())) \(Int64(((to - from) * 1e6).rounded()))"
        }.sorted()
        #expect(got.count == 4)
        #expect(got == want)
        // Reconcile slices on controller tracks, cron slots and refused writes as instants.
        let reconciles = events.filter { $0["cat"] as? String == "reconcile" }
        #expect(reconciles.count == Int(try t.rows("SELECT count(*) FROM reconciles")[0][0] ?? "")!)
        #expect(Set(reconciles.map { threads["\($0["pid"]!)/\($0["tid"]!)"] ?? "" }).isSuperset(of: ["broadcastjob-controller", "advancedcronjob-controller"]))
        #expect(events.filter { $0["cat"] as? String == "cron" && $0["ph"] as? String == "i" }.count == 2)
        #expect(events.filter { $0["cat"] as? String == "fault" }.count == Int(try t.rows("SELECT count(*) FROM failed_writes")[0][0] ?? "")!)
    }
}

/// The JUnit file read back by an XML parser: one testsuite per scenario, one testcase per
/// check and per invariant, failures with expected and actual values.
@Suite struct JUnitStructureTests {
    final class Counter: NSObject, XMLParserDelegate {
        var suites: [(name: String, tests: Int, failures: Int, cases: Int, failed: Int)] = []
        var failureMessages: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String] = [:]) {
            switch name {
            case "testsuite": suites.append((a["name"] ?? "", Int(a["tests"] ?? "") ?? -1, Int(a["failures"] ?? "") ?? -1, 0, 0))
            case "testcase": suites[suites.count - 1].cases += 1
            case "failure":
                suites[suites.count - 1].failed += 1
                failureMessages.append(a["message"] ?? "")
            default: break
            }
        }
    }

    @Test func parsedJUnitHasASuitePerScenarioAndACasePerCheckAndInvariant() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = ScenarioRunner.run(file: TraceTests.seedImageCleanup)
        let failing = ScenarioRunner.run(file: try ReportTests.write(ReportTests.failing, "failing.yaml", in: dir))
        let xml = JUnitReport.render([good, failing])
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let invariants = Scenario.invariantNames.count
        #expect(counter.suites.map(\.name) == ["seed-image-cleanup", "report-demo"])
        let checks = [good.outcome!.checks.count, failing.outcome!.checks.count]
        #expect(checks[0] == 15)
        for (i, s) in counter.suites.enumerated() {
            #expect(s.cases == checks[i] + invariants)
            #expect(s.tests == s.cases)
            #expect(s.failures == s.failed)
        }
        #expect(counter.suites[0].failed == 0 && counter.suites[1].failed == 1)
        // The failure names the field, what was expected and what was found.
        #expect(counter.failureMessages == [#"status.phase: expected "completed", got "running""#])
    }
}
