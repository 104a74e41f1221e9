import Foundation
import Testing
@testable import Sim
@testable import Engine

/// The trace schema (docs/trace-schema.md): questions answered with SQL, and byte-identical files.
@Suite struct TraceTests {
    /// The bundled scenario the trace tests read (the article's two-worker image cleanup).
    static var seedImageCleanup: String {
        repositoryRoot.appendingPathComponent("scenarios/seed-image-cleanup.yaml").path
    }

    /// Runs seed-image-cleanup with a trace in `dir` and opens it.
    static func trace(in dir: URL, name: String = "t.sqlite") throws -> (TraceFile, String) {
        let path = dir.appendingPathComponent(name).path
        let r = ScenarioRunner.run(file: seedImageCleanup, trace: path)
        #expect(r.passed, "\(r.error?.description ?? "")")
        return (try TraceFile(path: path), path)
    }

    @Test func sameSeedGivesTheSameBytes() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, a) = try Self.trace(in: dir, name: "a.sqlite")
        let (_, b) = try Self.trace(in: dir, name: "b.sqlite")
        let da = try Data(contentsOf: URL(fileURLWithPath: a)), db = try Data(contentsOf: URL(fileURLWithPath: b))
        #expect(da.count > 4096)
        #expect(da == db)
    }

    @Test func runRowAndSchemaVersion() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try Self.trace(in: dir)
        #expect(try t.rows("PRAGMA user_version") == [[String(TraceSchema.version)]])
        let run = try t.rows("SELECT scenario, seed, start, duration_seconds, result, version, length(digest) FROM run")
        #expect(run == [["seed-image-cleanup", "1", "2022-03-24T08:45:08Z", "780.0", "passed", KruiseSimVersion.current, "16"]])
    }

    @Test func podsPerNode() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try Self.trace(in: dir)
        // Two runs (08:50 and 08:55), one cleaner pod per worker each; none on the tainted control plane.
        let perNode = try t.rows("SELECT node, count(*) FROM pods GROUP BY node ORDER BY node")
        #expect(perNode == [["worker1", "2"], ["worker2", "2"]])
        // At 08:50:10 (302 s in) each worker runs one pod, and the view says so.
        let at = try t.rows("""
            SELECT node, pods FROM node_samples s WHERE seq = (SELECT max(seq) FROM node_samples
              WHERE node = s.node AND offset_seconds <= 302) ORDER BY node
            """)
        #expect(at.map { $0[0] ?? "" } == ["kind-control-plane", "worker1", "worker2"])
        #expect(at.map { $0[1] ?? "" } == ["0", "1", "1"])
        // Disk use on a worker falls when its cleaner finishes (84% → about 59%).
        let disk = try t.rows("SELECT DISTINCT disk_used * 100 / disk_capacity FROM node_samples WHERE node = 'worker1' AND disk_used IS NOT NULL ORDER BY seq")
        #expect(disk == [["83"], ["58"]])
    }

    @Test func jobPhaseAtAnInstant() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try Self.trace(in: dir)
        func phase(_ offset: Double) throws -> String? {
            try t.rows("""
                SELECT phase FROM job_phases WHERE kind = 'BroadcastJob' AND name = 'acj-test-1648111800'
                  AND from_offset <= \(offset) AND (until_offset IS NULL OR until_offset > \(offset))
                """).first?.first ?? nil
        }
        #expect(try phase(100) == nil)  // before the 08:50 slot
        #expect(try phase(302) == "running")
        #expect(try phase(330) == "completed")
        #expect(try phase(500) == "Deleted")  // TTL 90s after completion
        #expect(try t.rows("SELECT count(*) FROM cron_slots WHERE name = 'acj-test'") == [["2"]])
    }

    @Test func whichReconcileCreatedAPod() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try Self.trace(in: dir)
        let rows = try t.rows("""
            SELECT p.name, r.controller, r.key, r.writes FROM pods p JOIN reconciles r ON r.id = p.created_by_reconcile ORDER BY p.id
            """)
        #expect(rows.count == 4)
        for r in rows {
            #expect(r[1] == "broadcastjob-controller")
            #expect(r[2].map { r[0]!.hasPrefix($0.replacingOccurrences(of: "default/", with: "")) } == true)
            #expect(Int(r[3] ?? "") ?? 0 >= 2)  // both pods (and the status) in one reconcile
        }
        // The write rows carry the same reconcile.
        let w = try t.rows("SELECT count(*) FROM writes w JOIN pods p ON w.reconcile = p.created_by_reconcile AND w.name = p.name WHERE w.verb = 'create'")
        #expect(w == [["4"]])
    }

    @Test func failedWritesChecksAndInvariants() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (t, _) = try Self.trace(in: dir)
        // Status updates that lost a race are refused with 409 and kept.
        let conflicts = try t.rows("SELECT DISTINCT code, reason FROM failed_writes")
        #expect(conflicts == [["409", "Conflict"]])
        #expect(try t.rows("SELECT count(*), sum(passed) FROM checks") == [["15", "15"]])
        #expect(try t.rows("SELECT count(*) FROM invariants WHERE violations = 0") == [[String(Scenario.invariantNames.count)]])
        // Later versions are stored as the sections that changed; the first version whole.
        let enc = try t.rows("SELECT encoding, count(*) FROM writes GROUP BY encoding ORDER BY encoding")
        #expect(enc.map { $0[0] ?? "" } == ["full", "sections"])
        let firsts = try t.rows("SELECT count(*) FROM writes WHERE type = 'ADDED' AND encoding <> 'full'")
        #expect(firsts == [["0"]])
    }

    @Test func aRejectedTimelineWriteIsAFailedWrite() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = """
            name: rejected
            description: A timeline delete of an object that does not exist.
            duration: 1m
            nodes: [{namePrefix: n, count: 1}]
            timeline:
              - {at: 10s, delete: bcj/nothing}
            """
        let file = dir.appendingPathComponent("rejected.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("r.sqlite").path
        _ = ScenarioRunner.run(file: file.path, trace: path)
        let t = try TraceFile(path: path)
        let rows = try t.rows("SELECT offset_seconds, actor, verb, kind, name, code FROM failed_writes")
        #expect(rows == [["10.0", "scenario", "delete", "BroadcastJob", "nothing", "404"]])
        #expect(try t.rows("SELECT kind, message FROM action_errors") == [["timeline action", #"delete: broadcastjobs.apps.kruise.io "nothing" not found"#]])
    }

    @Test func readerRefusesOtherFiles() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.sqlite")
        try "not a database".write(to: junk, atomically: true, encoding: .utf8)
        #expect(throws: TraceFile.ReadError.self) { try TraceFile(path: junk.path) }
        #expect(throws: TraceFile.ReadError.self) { try TraceFile(path: dir.appendingPathComponent("none.sqlite").path) }
    }
}

/// The trace written on its own thread (`TraceThread`): the same calls in the same order, the same bytes.
@Suite struct TraceThreadTests {
    /// Records what it is told; read only after `finish` or `abandon` returned.
    final class Recorder: TraceSink {
        var calls: [String] = []
        var wantsReconciles: Bool { true }
        func change(_ c: APIServer.Change) { calls.append("change \(c.object.metadata.name ?? "")") }
        func event(_ e: RecordedEvent) { calls.append("event \(e.reason)") }
        func failedWrite(_ f: APIServer.FailedWrite) { calls.append("failed \(f.name)") }
        func disk(node: String, used: Int64, capacity: Int64, at: Timestamp) { calls.append("disk \(node) \(used)") }
        func reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String) {
            calls.append("reconcile \(id)")
        }
        func finish() { calls.append("finish") }
        func abandon() { calls.append("abandon") }
    }

    /// 1,000 calls of every kind through batches of 3 with one batch waiting at most (the writer
    /// lags and the caller waits for it): all replayed, in order, then `finish`.
    @Test func replaysEveryCallInOrder() {
        let r = Recorder()
        let t = TraceThread(r, batchSize: 3, maxBatches: 1)
        #expect(t.wantsReconciles)
        let at = Timestamp(nanos: 0)
        var expected: [String] = []
        for i in 0..<1000 {
            switch i % 4 {
            case 0:
                let n = Node(metadata: ObjectMeta(name: "n\(i)"))
                t.change(APIServer.Change(time: at, actor: .kubelet, verb: "create", type: .added, old: nil, object: .node(n)))
                expected.append("change n\(i)")
            case 1:
                t.event(RecordedEvent(time: at, component: "c", kind: "Pod", namespace: "", name: "", type: "Normal", reason: "r\(i)", message: ""))
                expected.append("event r\(i)")
            case 2:
                t.disk(node: "n", used: Int64(i), capacity: 1, at: at)
                expected.append("disk n \(i)")
            default:
                t.reconcile(id: Int64(i), controller: "c", key: "k", started: at, finished: at, result: "ok")
                expected.append("reconcile \(i)")
            }
        }
        t.finish()
        #expect(r.calls == expected + ["finish"])
    }

    /// `abandon` drops what has not been written and abandons the sink: nothing comes after it.
    @Test func abandonStopsTheWriter() {
        let r = Recorder()
        let t = TraceThread(r, batchSize: 1000)
        for i in 0..<10 { t.disk(node: "n", used: Int64(i), capacity: 1, at: Timestamp(nanos: 0)) }
        t.abandon()
        #expect(r.calls == ["abandon"])  // the ten calls were still in the unfilled batch
    }

    /// A bundled scenario's trace written on the thread (small batches, so many hand-overs) is the
    /// file written inline, byte for byte.
    @Test func sameBytesAsInline() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try ScenarioLoader.load(path: TraceTests.seedImageCleanup)
        func write(_ name: String, threaded: Bool) throws -> Data {
            let path = dir.appendingPathComponent(name).path
            let sink = try SQLiteTrace(path: path, scenario: s)
            _ = Simulation(scenario: s, trace: threaded ? TraceThread(sink, batchSize: 5, maxBatches: 2) : sink).run()
            #expect(sink.finishError == nil)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let inline = try write("inline.sqlite", threaded: false)
        #expect(inline.count > 4096)
        #expect(try write("threaded.sqlite", threaded: true) == inline)
    }
}

/// The digit-by-digit RFC 3339 writer gives the text `String(format:)` gives.
@Suite struct TimestampTextTests {
    @Test func fastPathMatchesFormat() {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func reference(_ t: Timestamp) -> String {
            let frac = t.nanos - t.unixSeconds * 1_000_000_000
            return Timestamp.rfc3339ByFormat(unixSeconds: t.unixSeconds, fraction: frac)
        }
        for i in 0..<5000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            var n = Int64(bitPattern: x) / 4
            if i % 3 == 0 { n = n / 1_000_000 * 1_000_000 }  // whole milliseconds
            if i % 5 == 0 { n = n / 1_000_000_000 * 1_000_000_000 }  // whole seconds
            let t = Timestamp(nanos: n)
            #expect(t.rfc3339 == reference(t), "\(n)")
        }
        #expect(Timestamp(rfc3339: "2022-03-24T08:50:00.015Z")!.rfc3339 == "2022-03-24T08:50:00.015Z")
        #expect(Timestamp(rfc3339: "0001-01-01T00:00:00Z") == nil || Timestamp(rfc3339: "0001-01-01T00:00:00Z")!.rfc3339 == "0001-01-01T00:00:00Z")
    }
}
