import Foundation
import Testing
@testable import Sim
import Engine

/// Nothing a user writes crashes the simulator: every numeric field of a scenario and of both kinds'
/// manifests, fed boundary values, either loads and runs (pass or fail) or is a positioned ScenarioError.
/// Runs in-process, so a trap would kill the test runner.
@Suite struct BoundaryValueTests {
    /// A small scenario; `${name}` marks each numeric field, replaced by its default unless under test.
    static let template = """
    duration: ${duration}
    seed: ${seed}
    settings:
      apiLatency: ${apiLatency}
      watchDelay: ${watchDelay}
      clientQPS: ${clientQPS}
      clientBurst: ${clientBurst}
      workers: ${workers}
      expectationTimeout: ${expectationTimeout}
      nodeMonitorGracePeriod: ${nodeMonitorGracePeriod}
      podEvictionTimeout: ${podEvictionTimeout}
      imagePullBandwidth: ${imagePullBandwidth}
      faults: {errorRate: ${errorRate}, conflictRate: ${conflictRate}, watchDelay: ${faultWatchDelay}}
    nodes:
      - namePrefix: n
        count: ${nodeCount}
        allocatable: {cpu: ${cpu}, memory: ${memory}, pods: ${pods}}
        disk: {capacity: ${diskCapacity}, used: ${diskUsed}}
        images:
          - {namePrefix: pre, count: ${imageCount}, size: ${imageSize}}
    images:
      work: {size: ${size}, run: ${run}, exitCode: ${exitCode}, failureRate: ${failureRate}, effects: [{fillDisk: ${fillEffect}}, {freeDisk: ${freeEffect}}]}
    manifests:
      - apiVersion: apps.kruise.io/v1beta1
        kind: BroadcastJob
        metadata: {name: b}
        spec:
          parallelism: ${parallelism}
          completionPolicy: {type: Always, activeDeadlineSeconds: ${activeDeadlineSeconds}, ttlSecondsAfterFinished: ${ttlSecondsAfterFinished}}
          failurePolicy: {type: Continue, restartLimit: ${restartLimit}}
          template:
            spec:
              restartPolicy: OnFailure
              terminationGracePeriodSeconds: ${terminationGracePeriodSeconds}
              activeDeadlineSeconds: ${podActiveDeadlineSeconds}
              tolerations: [{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: ${tolerationSeconds}}]
              containers:
                - name: c
                  image: work
                  resources: {requests: {cpu: ${requestCPU}, memory: ${requestMemory}}}
      - apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata: {name: a}
        spec:
          schedule: "${minute} ${hour} ${dom} ${month} ${dow}"
          startingDeadlineSeconds: ${startingDeadlineSeconds}
          successfulJobsHistoryLimit: ${successfulJobsHistoryLimit}
          failedJobsHistoryLimit: ${failedJobsHistoryLimit}
          template:
            broadcastJobTemplate:
              spec:
                parallelism: ${templateParallelism}
                completionPolicy: {type: Always, activeDeadlineSeconds: ${templateActiveDeadlineSeconds}}
                template:
                  spec: {restartPolicy: Never, containers: [{name: c, image: work}]}
      - apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata: {name: every}
        spec:
          schedule: "${everySchedule}"
          template:
            jobTemplate:
              spec:
                completions: ${jobCompletions}
                parallelism: ${jobParallelism}
                backoffLimit: ${jobBackoffLimit}
                activeDeadlineSeconds: ${jobActiveDeadlineSeconds}
                ttlSecondsAfterFinished: ${jobTTL}
                template:
                  spec: {restartPolicy: Never, containers: [{name: c, image: work}]}
    timeline:
      - {at: ${timelineAt}, fillDisk: {node: n1, size: ${fillSize}}}
      - {at: 1s, freeDisk: {node: n1, size: ${freeSize}}}
      - {at: 2s, addNodes: {namePrefix: x, count: ${addCount}}}
    expect:
      - {at: ${expectAt}, count: pod, is: {gte: ${expectCount}}}
    """

    /// Defaults: a valid scenario that runs in a few milliseconds.
    static let defaults: [(String, String)] = [
        ("duration", "20s"), ("seed", "1"),
        ("apiLatency", "5ms"), ("watchDelay", "10ms"), ("clientQPS", "30"), ("clientBurst", "50"), ("workers", "3"),
        ("expectationTimeout", "5m"), ("nodeMonitorGracePeriod", "40s"), ("podEvictionTimeout", "300s"),
        ("imagePullBandwidth", "50MB"), ("errorRate", "0"), ("conflictRate", "0"), ("faultWatchDelay", "10ms"),
        ("nodeCount", "2"), ("cpu", "4"), ("memory", "8Gi"), ("pods", "110"), ("diskCapacity", "100Gi"), ("diskUsed", "10Gi"),
        ("imageCount", "2"), ("imageSize", "1Gi"),
        ("size", "50MB"), ("run", "3s"), ("exitCode", "0"), ("failureRate", "0"), ("fillEffect", "1Mi"), ("freeEffect", "1Mi"),
        ("parallelism", "1"), ("activeDeadlineSeconds", "600"), ("ttlSecondsAfterFinished", "60"), ("restartLimit", "1"),
        ("terminationGracePeriodSeconds", "30"), ("podActiveDeadlineSeconds", "600"), ("tolerationSeconds", "60"),
        ("requestCPU", "100m"), ("requestMemory", "64Mi"),
        ("minute", "*"), ("hour", "*"), ("dom", "*"), ("month", "*"), ("dow", "*"),
        ("startingDeadlineSeconds", "60"), ("successfulJobsHistoryLimit", "3"), ("failedJobsHistoryLimit", "1"),
        ("templateParallelism", "1"), ("templateActiveDeadlineSeconds", "600"),
        ("everySchedule", "@every 7s"), ("jobCompletions", "1"), ("jobParallelism", "1"), ("jobBackoffLimit", "2"),
        ("jobActiveDeadlineSeconds", "600"), ("jobTTL", "60"),
        ("timelineAt", "1s"), ("fillSize", "1Gi"), ("freeSize", "1Gi"), ("addCount", "1"),
        ("expectAt", "end"), ("expectCount", "0"),
    ]

    static let numbers = ["0", "-1", "2147483648", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
                          "1e309", "-1e309", "1e-300", ".nan"]
    static let quantities = ["1e100Ei", "99999999999999999999Gi", "999999999999999999999999999999Ei", "-1Ei"]
    static let durations = ["9999999999h", "2562047h47m16s", "-2562047h", "0s"]
    static let cronFields = ["59-0", "*/0", "1/9223372036854775807", "9223372036854775807", "-1", "0-59/2147483648"]
    static let schedules = ["@every 2100000h", "@every 2562047h47m16s", "@every 9999999999h", "1/9223372036854775807 * * * *",
                            "-1 * * * *", "@every 0s"]

    static func render(_ field: String, _ value: String) -> String {
        var text = template
        for (k, v) in defaults {
            var w = k == field ? value : v
            // A value YAML would not read as a plain scalar (an alias `*`, a comment, a flow indicator) is quoted,
            // except inside the (already quoted) cron schedule.
            let inSchedule = ["minute", "hour", "dom", "month", "dow", "everySchedule"].contains(k)
            if !inSchedule, w.contains(where: { "*&!|>%@`#,[]{}'\"".contains($0) }) || w.hasPrefix("- ") {
                w = "\"\(w)\""
            }
            text = text.replacingOccurrences(of: "${\(k)}", with: w)
        }
        return text
    }

    /// Loads and runs; the outcome is a pass/fail run or a ScenarioError. Returns what happened.
    static func attempt(_ field: String, _ value: String) -> String {
        let yaml = render(field, value)
        do {
            let s = try ScenarioLoader.load(text: yaml, file: "boundary.yaml")
            let out = Simulation(scenario: s).run()
            return out.passed ? "pass" : "fail"
        } catch let e as ScenarioError {
            return "error \(e.line):\(e.column): \(e.message)"
        } catch {
            Issue.record("\(field) = \(value): not a ScenarioError: \(error)")
            return "other"
        }
    }

    @Test func theTemplateItselfRunsAndPasses() {
        #expect(Self.attempt("", "") == "pass")
    }

    @Test func everyNumericFieldTakesEveryBoundaryValueWithoutATrap() {
        var outcomes: [String: Int] = [:]
        for (field, _) in Self.defaults {
            var values = Self.numbers + Self.quantities + Self.durations
            if ["minute", "hour", "dom", "month", "dow"].contains(field) { values = Self.cronFields + ["0", "-1", "2147483648"] }
            if field == "everySchedule" { values = Self.schedules }
            for v in values {
                let r = Self.attempt(field, v)
                outcomes[String(r.prefix(5)), default: 0] += 1
            }
        }
        // Both kinds of outcome occur: the sweep is not all rejections, nor all runs.
        #expect((outcomes["error"] ?? 0) > 0)
        #expect((outcomes["pass"] ?? 0) + (outcomes["fail"] ?? 0) > 0)
        #expect(outcomes["other"] == nil)
    }

    // MARK: The four crashes of issue 7, end to end

    static func scenario(_ body: String) -> String {
        "duration: 2m\nnodes:\n  - {namePrefix: n, count: 2}\nimages:\n  slow: {run: forever}\nmanifests:\n" + body
    }

    @Test func aCronStepNearInt64MaxRunsAtMinuteOne() throws {
        let (sim, out) = try simulate(Self.scenario("""
          - apiVersion: apps.kruise.io/v1alpha1
            kind: AdvancedCronJob
            metadata: {name: a}
            spec:
              schedule: "1/9223372036854775807 * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template:
                      spec: {restartPolicy: Never, containers: [{name: c, image: slow}]}
        """))
        expectPassed(out)
        let children = sim.server.list(BroadcastJob.self).map(\.name)
        #expect(children == ["a-1704067260"])  // 2024-01-01T00:01:00Z
    }

    @Test func everyPast2262IsAdmittedAndWaits() throws {
        let (sim, out) = try simulate(Self.scenario("""
          - apiVersion: apps.kruise.io/v1alpha1
            kind: AdvancedCronJob
            metadata: {name: far}
            spec:
              schedule: "@every 2100000h"
              template:
                broadcastJobTemplate:
                  spec:
                    template:
                      spec: {restartPolicy: Never, containers: [{name: c, image: slow}]}
        """))
        expectPassed(out)
        #expect(sim.server.list(BroadcastJob.self).isEmpty)
        #expect(sim.server.list(AdvancedCronJob.self).count == 1)
    }

    @Test func aHugeActiveDeadlineWrapsAndFailsTheJobAtOnceAsUpstream() throws {
        let (sim, out) = try simulate(Self.scenario("""
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: b}
            spec:
              completionPolicy: {type: Always, activeDeadlineSeconds: 9999999999}
              template:
                spec: {restartPolicy: Never, containers: [{name: c, image: slow}]}

        """) + "expect:\n  - {at: 2s, object: bcj/b, fields: {status.phase: failed}}\n")
        expectPassed(out)
        #expect(sim.server.list(BroadcastJob.self).first?.status?.phase == "failed")
    }

    @Test func aTinyClientQPSIsARangeError() {
        let e = loadError("duration: 1m\nsettings:\n  clientQPS: 1e-300\n")
        #expect(e?.line == 3 && e?.column == 14)
        #expect(e?.message == "settings.clientQPS must be a number from 0.001 to 1000000, found a number (1e-300)")
        #expect(loadError("duration: 1m\nsettings:\n  clientQPS: 1e309\n")?.message.contains("from 0.001 to 1000000") == true)
    }

    @Test func absurdSizesAreRangeErrorsNotOutOfMemory() {
        let e = loadError("duration: 1m\nnodes:\n  - {namePrefix: n, count: 10000000000}\n")
        #expect(e?.message == "count must be an integer from 1 to 100000, found 10000000000")
        #expect(loadError("duration: 1m\nnodes:\n  - {namePrefix: n, count: 60000}\n  - {namePrefix: m, count: 60000}\n")?.message
            == "too many nodes: 120000; a scenario may define at most 100000 nodes in all (nodes and addNodes)")
        #expect(loadError("duration: 1m\nimages:\n  x: {size: 99999999999999999999Gi}\n")?.message
            == "size must be at most 1Pi (1125899906842624 bytes), found 99999999999999999999Gi")
        #expect(loadError("duration: 87601h\n")?.message == "duration must be more than 0s and at most 87600h, found 87601h")
        #expect(loadError("duration: 0s\n")?.message == "duration must be more than 0s and at most 87600h, found 0s")
        // A fraction of a byte is not rounded up to pass; an instant past the end is quoted as written.
        #expect(loadError("duration: 1m\nsettings: {imagePullBandwidth: 0.5}\n")?.message
            == "settings.imagePullBandwidth must be at least 1 byte per second, found a number (0.5)")
        #expect(loadError("duration: 1s\nexpect:\n  - {at: 1001ms, count: node, is: 0}\n")?.message == "at: 1001ms is outside the scenario (0 to 1s)")
        #expect(loadError("duration: 1m\nsettings: {faults: {podKillEvery: 5s..100000h}}\n")?.message
            == "settings.faults.podKillEvery must be from 1s to 87600h, found 5s..100000h")
        #expect(loadError("duration: 1m\nstart: 2262-04-11T23:47:00Z\n")?.message.contains("would end after 2262") == true)
        #expect(loadError("duration: 1m\nstart: 9999-01-01T00:00:00Z\n")?.message.contains("is out of range") == true)
        #expect(loadError("duration: 1m\nsettings:\n  workers: 2147483648\n")?.message == "settings.workers must be an integer from 1 to 1000, found 2147483648")
        #expect(loadError("duration: 1m\nmanifests:\n  - {apiVersion: v1, kind: Node, metadata: {name: a, generation: .nan}}\n")?.message
            == "metadata.generation: .nan is not a finite number (JSON has no infinity or NaN)")
        #expect(loadError("duration: 1m\nsettings:\n  apiLatency: -1s\n")?.message == "settings.apiLatency must be from 0s to 1h, found -1s")
    }
}
