import Foundation
import Testing
@testable import Sim
import Engine

/// The story a user reads with `-v`: dates on long runs, whole offsets, and the events that
/// explain an outcome told once each.
@Suite struct StoryTests {
    static func text(_ o: RunOutcome) -> String {
        TextReport.renderOne(ScenarioReport(file: "t.yaml", outcome: o, error: nil, wallSeconds: 0), verbose: true)
    }

    static func storyLines(_ o: RunOutcome) -> [String] {
        let t = text(o)
        guard let r = t.range(of: "  what happened:\n") else { return [] }
        return t[r.upperBound...].split(separator: "\n").map(String.init)
    }

    static let nightly = """
    name: three-nights
    duration: 72h
    nodes: [{namePrefix: n, count: 2}]
    images:
      cleaner: {run: 20s}
    manifests:
      - apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata: {name: nightly}
        spec:
          schedule: "0 3 * * *"
          template:
            broadcastJobTemplate:
              spec:
                template:
                  spec:
                    restartPolicy: Never
                    containers: [{name: c, image: cleaner}]
                completionPolicy: {type: Always, ttlSecondsAfterFinished: 600}
    """

    @Test func aRunSpanningDaysShowsTheDateOnEveryLine() throws {
        let o = try runScenario(Self.nightly)
        let lines = Self.storyLines(o)
        #expect(lines.contains { $0.hasPrefix("    2024-01-01 00:00:00 +0s") && $0.contains("AdvancedCronJob nightly created") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("    2024-01-03 03:00:00 +51h") && $0.contains("BroadcastJob nightly-1704250800 created by AdvancedCronJob nightly") }, "\(lines)")
        #expect(lines.contains { $0.contains("BroadcastJob nightly-1704250800 deleted: ttlSecondsAfterFinished (600s) passed") }, "\(lines)")
        // One run in three days: no line is told twice.
        let texts = lines.map { String($0.dropFirst(4 + 20)) }
        #expect(Set(texts).count == texts.count, "\(lines)")
    }

    @Test func offsetsAreNeverCut() throws {
        let o = try runScenario(Self.nightly)
        let text = Self.text(o)
        for (t, _) in o.story {
            let off = "+" + formatSeconds(t.seconds(since: o.scenario.start))
            #expect(text.contains(" \(off) "), "offset \(off) missing or cut in\n\(text)")
        }
    }

    @Test func aSkippedSlotIsToldOnceWithHowOftenItRecurred() throws {
        let o = try runScenario("""
        name: forbid
        duration: 20m
        nodes: [{name: n1}]
        images:
          slow: {run: 7m}
        manifests:
          - apiVersion: apps.kruise.io/v1alpha1
            kind: AdvancedCronJob
            metadata: {name: backup}
            spec:
              schedule: "*/5 * * * *"
              concurrencyPolicy: Forbid
              template:
                broadcastJobTemplate:
                  spec:
                    template:
                      spec:
                        restartPolicy: Never
                        containers: [{name: c, image: slow}]
        """)
        let lines = Self.storyLines(o).filter { $0.contains("JobAlreadyActive") }
        #expect(lines.count == 1, "\(Self.storyLines(o))")
        #expect(lines.first?.contains("AdvancedCronJob backup: JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid (×") == true, "\(lines)")
    }

    @Test func restartsDiskPressureAndTimelineAppliesAreToldOnce() throws {
        let o = try runScenario("""
        name: explained
        duration: 3m
        nodes:
          - name: full
            disk: {capacity: 100Gi, used: 95Gi}
        images:
          crash: {run: 2s, exitCode: 1}
        timeline:
          - at: 10s
            apply:
              apiVersion: apps.kruise.io/v1alpha1
              kind: BroadcastJob
              metadata: {name: crashy}
              spec:
                template:
                  spec:
                    restartPolicy: OnFailure
                    tolerations: [{key: node.kubernetes.io/disk-pressure, operator: Exists}]
                    containers: [{name: c, image: crash}]
                failurePolicy: {type: Continue}
        """)
        let lines = Self.storyLines(o)
        #expect(lines.contains { $0.contains("node full tainted node.kubernetes.io/disk-pressure:NoSchedule by its kubelet (DiskPressure: kubelet has disk pressure)") }, "\(lines)")
        #expect(lines.filter { $0.contains("crashy") && $0.contains("created") }.count == 1, "\(lines)")
        #expect(lines.contains { $0.contains("BroadcastJob crashy created (timeline apply)") }, "\(lines)")
        #expect(lines.contains { $0.contains("container c exited 1, restart 1 in 10s (restartPolicy OnFailure)") }, "\(lines)")
        #expect(lines.contains { $0.contains("container c exited 1, restart 2 in 20s") }, "\(lines)")
    }

    @Test func aFailedRunSaysWhatFailedBesideFail() throws {
        let o = try runScenario("""
        name: bad-action
        duration: 30s
        nodes: [{name: n1}]
        timeline:
          - {at: 5s, delete: bcj/nothing}
        """)
        let first = Self.text(o).split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("FAIL  bad-action"), "\(first)")
        #expect(first.hasSuffix("(0/0 checks, invariants held, 1 timeline action failed, seed 1)"), "\(first)")
    }

    @Test func aMissingFileSaysNoSuchFile() {
        let r = ScenarioRunner.run(file: "/nonexistent/dir/scenario.yaml")
        #expect(r.error?.description == "/nonexistent/dir/scenario.yaml: no such file")
    }

    @Test func aDirectoryMayHoldManifestFilesWhichAreSkippedWithAReason() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "name: s\nduration: 1m\nmanifestFiles: [bcj.yaml]\n".write(toFile: dir.appendingPathComponent("s.yaml").path, atomically: true, encoding: .utf8)
        try "# a cleaner\napiVersion: apps.kruise.io/v1alpha1\nkind: BroadcastJob\nmetadata: {name: x}\n".write(
            toFile: dir.appendingPathComponent("bcj.yaml").path, atomically: true, encoding: .utf8)
        let (files, skipped) = ScenarioRunner.expandNoting([dir.path])
        #expect(files == [dir.appendingPathComponent("s.yaml").path])
        #expect(skipped.map(\.file) == [dir.appendingPathComponent("bcj.yaml").path])
        #expect(skipped.first?.reason.contains("kind BroadcastJob") == true)
    }
}
