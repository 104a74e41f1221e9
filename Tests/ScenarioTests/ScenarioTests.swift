import Foundation
import Testing
import Sim
import Engine

/// Every file in scenarios/ is a regression test: it must load and pass.
@Suite struct ScenarioTests {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scenarios").path
    }()

    static let files: [String] = ScenarioRunner.expand([directory]).map { ($0 as NSString).lastPathComponent }

    @Test(arguments: files)
    func scenarioPasses(_ file: String) {
        let report = ScenarioRunner.run(file: (Self.directory as NSString).appendingPathComponent(file))
        #expect(report.error == nil, "\(report.error?.description ?? "")")
        #expect(report.passed, "\(TextReport.render([report], verbose: false))")
    }

    /// Keeps the time of every change and event, in the order the trace gets them.
    final class Times: TraceSink {
        var rows: [(Timestamp, String)] = []
        func change(_ c: APIServer.Change) { rows.append((c.time, "\(c.actor.rawValue) \(c.verb) \(c.object.kind.rawValue) \(c.object.metadata.name ?? "")")) }
        func event(_ e: RecordedEvent) { rows.append((e.time, "event \(e.reason) \(e.name)")) }
        func finish() {}
    }

    /// A write is seen by nobody before the instant it is applied, so a trace never goes back in time.
    @Test(arguments: files)
    func traceTimesNeverDecrease(_ file: String) throws {
        let s = try ScenarioLoader.load(path: (Self.directory as NSString).appendingPathComponent(file))
        let times = Times()
        _ = Simulation(scenario: s, trace: times).run()
        #expect(!times.rows.isEmpty)
        for (a, b) in zip(times.rows, times.rows.dropFirst()) where b.0 < a.0 {
            Issue.record("\(file): \(b.1) at \(b.0) comes after \(a.1) at \(a.0)")
            break
        }
    }

    @Test func everyScenarioExplainsItself() throws {
        for f in Self.files {
            let s = try ScenarioLoader.load(path: (Self.directory as NSString).appendingPathComponent(f))
            #expect(s.description.count > 40, "\(f) needs a description a reader can learn from")
        }
    }
}

/// The trace writes each object's JSON text directly from the encoder; it must be the bytes the
/// value tree gives (`manifest().jsonText()`), for every object every scenario writes.
@Suite struct ManifestTextTests {
    final class Objects: TraceSink {
        var mismatches: [String] = []
        var checked = 0
        func change(_ c: APIServer.Change) {
            guard checked < 3000 else { return }  // every kind and write shape, without the big rollout's 10,000 pod writes
            checked += 1
            let direct = try? c.object.manifestJSONText()
            let tree = try? c.object.manifest().jsonText()
            if direct != tree, mismatches.count < 3 { mismatches.append("\(direct ?? "nil")\n  vs\n\(tree ?? "nil")") }
            // The statuses the trace writes with their own writers (CompactJSONWritable) give the
            // bytes their Encodable conformance gives.
            func same<T: Encodable>(_ v: T?) {
                guard let v else { return }
                let fast = try? CompactJSON.text(v), encoded = try? CompactJSON.encoded(v)
                if fast != encoded, mismatches.count < 3 { mismatches.append("\(fast ?? "nil")\n  vs (Encodable)\n\(encoded ?? "nil")") }
            }
            same(c.object.metadata)
            switch c.object {
            case .pod(let p): same(p.status); same(p.spec); same(p)
            case .broadcastJob(let j): same(j.status)
            case .node(let n): same(n.status); same(n.spec); same(n)
            default: break
            }
        }
        func event(_ e: RecordedEvent) {}
        func finish() {}
    }

    @Test(arguments: ScenarioTests.files)
    func directJSONTextIsTheValueTreesText(_ file: String) throws {
        let s = try ScenarioLoader.load(path: (ScenarioTests.directory as NSString).appendingPathComponent(file))
        let sink = Objects()
        _ = Simulation(scenario: s, trace: sink).run()
        #expect(sink.checked > 0)
        #expect(sink.mismatches.isEmpty, "\(sink.mismatches.joined(separator: "\n\n"))")
    }
}
