import Foundation
import Testing
@testable import Sim
import Engine

/// `kruise-sim get`, `describe` and `events` on the trace of scenarios/seed-image-cleanup.yaml.
@Suite struct KubectlViewTests {
    static func trace() throws -> (TraceFile, URL) {
        let dir = try makeTempDir()
        let (t, _) = try TraceTests.trace(in: dir)
        return (t, dir)
    }

    @Test func getAtThreeInstantsTellsTheStory() throws {
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Before the 08:50 slot: no BroadcastJob.
        let before = try KubectlViews.get(t, kind: .broadcastJob, name: nil, namespace: "default", at: try t.instant("4m"), output: .table)
        #expect(before.stdout == "")
        #expect(before.stderr == "No resources found in default namespace.\n")
        // At 08:50:10: the slot's job, both pods running.
        let during = try KubectlViews.get(t, kind: .broadcastJob, name: nil, namespace: "default", at: try t.instant("2022-03-24T08:50:10Z"), output: .table)
        #expect(during.stdout == """
            NAME                  DESIRED   ACTIVE   SUCCEEDED   FAILED   AGE
            acj-test-1648111800   2         2        0           0        9s

            """)
        // After its TTL (completed 08:50:20, TTL 90s) and before the next slot: none again.
        let after = try KubectlViews.get(t, kind: .broadcastJob, name: nil, namespace: "default", at: try t.instant("8m"), output: .table)
        #expect(after.stdout == "" && after.stderr.hasPrefix("No resources found"))
        // The pods at 08:50:10, -o wide with their nodes.
        let pods = try KubectlViews.get(t, kind: .pod, name: nil, namespace: "default", at: try t.instant("5m2s"), output: .wide).stdout
        let lines = pods.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("NAME") && lines[0].contains("NODE"))
        #expect(lines[1].contains("Running") && lines[1].contains("worker1"))
        #expect(lines[2].contains("Running") && lines[2].contains("worker2"))
        // Finished pods read Completed once their container ended.
        let done = try KubectlViews.get(t, kind: .pod, name: nil, namespace: "default", at: try t.instant("5m30s"), output: .table).stdout
        #expect(done.split(separator: "\n").dropFirst().allSatisfy { $0.contains("Completed") })
    }

    /// The trace knows the cluster only from its start to its end: an instant outside is refused
    /// (it would print nodes aged 5h for a 13-minute run, or nothing before the start).
    @Test func anInstantOutsideTheRunIsRefused() throws {
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try t.instant("0s") == t.start)
        #expect(try t.instant(t.end.rfc3339) == t.end)
        for at in ["5h", "2023-01-01T00:00:00Z"] {
            #expect {
                _ = try t.instant(at)
            } throws: { e in
                "\(e)".contains("--at \"\(at)\": outside the run, which went from \(t.start.rfc3339) (+0s) to \(t.end.rfc3339)")
            }
        }
    }

    @Test func getNodesAcjAndNames() throws {
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let nodes = try KubectlViews.get(t, kind: try KubectlViews.kind("no"), name: nil, namespace: "default", at: t.end, output: .table).stdout
        #expect(nodes.split(separator: "\n").map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
            "NAME STATUS ROLES", "kind-control-plane Ready master", "worker1 Ready <none>", "worker2 Ready <none>"])
        let acj = try KubectlViews.get(t, kind: try KubectlViews.kind("advancedcronjobs"), name: "acj-test", namespace: "default",
                                       at: try t.instant("5m30s"), output: .table).stdout
        #expect(acj == """
            NAME       SCHEDULE      TYPE           LASTSCHEDULETIME   AGE
            acj-test   */5 * * * *   BroadcastJob   38s                5m30s

            """)
        let names = try KubectlViews.get(t, kind: .broadcastJob, name: nil, namespace: "default", at: try t.instant("5m10s"), output: .name).stdout
        #expect(names == "broadcastjob.apps.kruise.io/acj-test-1648111800\n")
        let missing = try KubectlViews.get(t, kind: .broadcastJob, name: "nope", namespace: "default", at: t.end, output: .table)
        #expect(!missing.found && missing.stderr.contains("not found"))
        // -o json is the object as it was then (its resourceVersion then, status running).
        let json = try KubectlViews.get(t, kind: .broadcastJob, name: "acj-test-1648111800", namespace: "default",
                                        at: try t.instant("5m10s"), output: .json).stdout
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((obj["status"] as? [String: Any])?["phase"] as? String == "running")
        let yaml = try KubectlViews.get(t, kind: .broadcastJob, name: "acj-test-1648111800", namespace: "default",
                                        at: try t.instant("5m10s"), output: .yaml).stdout
        #expect(yaml.hasPrefix("apiVersion: apps.kruise.io/v1beta1\nkind: BroadcastJob\nmetadata:\n"))
        #expect(yaml.contains("\n  phase: running\n"))
    }

    @Test func kindNamesAndErrors() throws {
        for (n, k) in [("bcj", KnownKind.broadcastJob), ("broadcastjobs", .broadcastJob), ("acj", .advancedCronJob), ("po", .pod),
                       ("pods", .pod), ("no", .node), ("nodes", .node), ("jobs", .job), ("Pod", .pod)] {
            #expect(try KubectlViews.kind(n) == k)
        }
        #expect(throws: KubectlViews.UsageError.self) { try KubectlViews.kind("bjc") }
        do { _ = try KubectlViews.kind("bjc") } catch { #expect("\(error)".contains("did you mean \"bcj\"")) }
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TraceFile.ReadError.self) { try t.instant("five minutes") }
        #expect(try t.instant("5m") == t.start.adding(seconds: 300))
        #expect(try t.instant(nil) == t.end)
    }

    @Test func describeAndEvents() throws {
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = try #require(try KubectlViews.describe(t, kind: .broadcastJob, name: "acj-test-1648111800", namespace: "default", at: try t.instant("5m30s")))
        #expect(d.hasPrefix("Name:         acj-test-1648111800\nNamespace:    default\n"))
        #expect(d.contains("Kind:         BroadcastJob\n"))
        #expect(d.contains("Status:\n"))
        #expect(d.contains("  Phase:"))
        #expect(d.contains("Events:\n"))
        #expect(d.contains("SuccessfulCreate"))
        let ev = try KubectlViews.eventsTable(t, for: (.advancedCronJob, "acj-test"), at: t.end)
        #expect(ev.hasPrefix("LAST SEEN"))
        #expect(ev.contains("AdvancedCronJob/acj-test"))
        #expect(!ev.contains("BroadcastJob/acj-test-"))
        #expect(try KubectlViews.eventsTable(t, for: nil, at: t.start) == "")
    }

    /// The BroadcastJob controller records JobComplete twice for each run (a second reconcile
    /// from a stale cache, as upstream's): client-go's recorder sends the repeat as an update of
    /// the first Event, so kubectl shows one row with its count, as here.
    @Test func aRepeatedEventIsOneRowWithItsCount() throws {
        let (t, dir) = try Self.trace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recorded = try t.rows("SELECT count(*) FROM events WHERE reason = 'JobComplete' AND name = 'acj-test-1648111800'")[0][0]
        #expect(recorded == "2", "the trace keeps every record")
        let at = try t.instant("6m")  // the job completed at +5m12s; TTL deletes it at +6m42s
        let ev = try KubectlViews.eventsTable(t, for: (.broadcastJob, "acj-test-1648111800"), at: at)
        let rows = ev.split(separator: "\n").filter { $0.contains("JobComplete") }
        #expect(rows.count == 1, "\(ev)")
        #expect(rows.first?.hasPrefix("47s (x2 over 47s)") == true, "\(ev)")
        let d = try #require(try KubectlViews.describe(t, kind: .broadcastJob, name: "acj-test-1648111800", namespace: "default", at: at))
        #expect(d.components(separatedBy: "JobComplete").count == 2, "one row: \(d)")
        #expect(d.contains("47s (x2 over 47s)"), "\(d)")
    }

    @Test func humanDurationAsKubectl() {
        #expect(KubePrinters.humanDuration(9.9) == "9s")
        #expect(KubePrinters.humanDuration(119) == "119s")
        #expect(KubePrinters.humanDuration(330) == "5m30s")
        #expect(KubePrinters.humanDuration(600) == "10m")
        #expect(KubePrinters.humanDuration(3 * 3600 + 120) == "3h2m")
        #expect(KubePrinters.humanDuration(50 * 3600) == "2d2h")
    }
}
