import Foundation
import Testing
@testable import Sim

/// cronOnTime follows each AdvancedCronJob's schedule: a slot with no child within R is a
/// violation, unless the job was paused, the controller manager was down, or Forbid held it.
@Suite struct CronSlotTests {
    /// An every-minute AdvancedCronJob whose cleaner runs 5 s, on one node.
    static func yaml(timeline: String, invariant: String = "", duration: String = "4m") -> String {
        """
        duration: \(duration)
        nodes: [{name: n1}]
        images: {tick: {run: 5s}}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: tick}
            spec:
              schedule: "* * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template: {spec: {restartPolicy: Never, containers: [{name: t, image: tick}]}}
        timeline:
        \(timeline)
        \(invariant)
        """
    }

    func run(_ text: String) throws -> RunOutcome {
        Simulation(scenario: try ScenarioLoader.load(text: text, file: "cron-slot.yaml")).run()
    }

    @Test func aSlotWithNoChildIsReportedOnce() throws {
        // Every controller write fails from 1m30s to 2m30s: the 2m slot gets no child in time.
        let o = try run(Self.yaml(timeline: """
          - {at: 1m30s, faults: {errorRate: 1}}
          - {at: 2m30s, faults: {errorRate: 0}}
        """))
        let v = o.violations.filter { $0.invariant == "cronOnTime" }
        #expect(v.count == 1, "\(v.map(\.message))")
        #expect(v.first?.message.contains("created no child for its scheduled time 2024-01-01T00:02:00Z") == true, "\(v.first?.message ?? "")")
        #expect(v.first?.message.contains("tick-1704067320") == true)
        // Reported once the bound in force has passed: R with the second errorRate adds (2.05 s).
        #expect(v.first?.message.contains("within 2.05s") == true, "\(v.first?.message ?? "")")
        #expect(v.first.map { $0.time.seconds(since: o.scenario.start) } ?? 0 > 122.05)
        #expect(v.first.map { $0.time.seconds(since: o.scenario.start) } ?? 999 < 122.1)
    }

    @Test func pausedAndDownTimesAreExcused() throws {
        let o = try run(Self.yaml(timeline: """
          - {at: 50s, patch: {ref: acj/tick, merge: {spec: {paused: true}}}}
          - {at: 2m10s, stopControllers: true}
          - {at: 2m20s, patch: {ref: acj/tick, merge: {spec: {paused: false}}}}
          - {at: 3m30s, startControllers: true}
        """))
        #expect(o.violations.isEmpty, "\(o.violations.map(\.message))")
    }

    @Test func violatedModeDemandsIt() throws {
        let o = try run(Self.yaml(timeline: """
          - {at: 1m30s, faults: {errorRate: 1}}
          - {at: 2m30s, faults: {errorRate: 0}}
        """, invariant: "invariants: {cronOnTime: violated}"))
        #expect(o.passed)
    }

    @Test func aSlotWithNoChildSaysWhyFromTheWarningEventsOnTheJob() throws {
        // clientQPS 1: 100 pod creations hold the manager's client past the 1m slot, so the slot
        // has no child R after it (no write fails, so the controller records no Warning itself).
        // A FailedCreate Warning on the AdvancedCronJob, as the controller records when admission
        // rejects the child, is recorded here by hand just after the slot: the violation quotes it.
        let text = """
        duration: 2m
        settings: {clientQPS: 1, clientBurst: 10}
        nodes: [{namePrefix: n, count: 100}]
        images: {busybox: {run: forever}}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: wide}
            spec:
              template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: tick}
            spec:
              schedule: "* * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template: {spec: {restartPolicy: Never, nodeSelector: {none: none}, containers: [{name: t, image: busybox}]}}
        """
        let sim = Simulation(scenario: try ScenarioLoader.load(text: text, file: "cron-why.yaml"))
        let denied = "admission webhook \"vbroadcastjob.kb.io\" denied the request: spec.template.spec.restartPolicy: Unsupported value: \"Always\""
        func warn(at seconds: Double, _ reason: String, _ message: String) {
            sim.kernel.schedule(at: sim.scenario.start.adding(seconds: seconds)) {
                sim.events.record(RecordedEvent(time: sim.kernel.now, component: "test", kind: "AdvancedCronJob", namespace: "default",
                                                name: "tick", type: "Warning", reason: reason, message: message))
            }
        }
        warn(at: 30, "FailedCreate", "before the slot: not the reason")  // before the slot: not quoted
        warn(at: 60.2, "FailedCreate", denied)
        warn(at: 60.4, "FailedCreate", denied)
        let o = sim.run()
        let v = o.violations.filter { $0.invariant == "cronOnTime" && $0.message.contains("2024-01-01T00:01:00Z") }
        #expect(v.count == 1, "\(o.violations.map(\.message))")
        #expect(v.first?.message.hasSuffix("(expected tick-1704067260): FailedCreate (2 times): \(denied)") == true, "\(v.first?.message ?? "")")
    }
}
