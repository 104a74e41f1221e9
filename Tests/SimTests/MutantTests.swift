import Foundation
import Testing
@testable import Sim
import Engine

/// Engine mutants: named defects that `--mutant` turns on (docs/mutants.md).
@Suite struct MutantTests {
    @Test func namesAreKebabCaseAndSummariesOneLine() throws {
        #expect(Mutant.allCases.count == 6)
        for m in Mutant.allCases {
            #expect(m.name.allSatisfy { $0.isLowercase || $0 == "-" }, "\(m.name)")
            #expect(!m.summary.contains("\n") && m.summary.count < 120, "\(m.name)")
            #expect(try Mutant.named(m.name) == m)
        }
    }

    @Test func unknownNameSuggestsTheClosest() {
        #expect(throws: UnknownMutant(name: "no-expectation")) { try Mutant.named("no-expectation") }
        #expect(UnknownMutant(name: "no-expectation").description.contains("did you mean \"no-expectations\"?"))
        #expect(Mutant.suggestion(for: "taints") == "ignore-taints")
        #expect(Mutant.suggestion(for: "restart-limit") == "restart-limit-off-by-one")
        #expect(Mutant.suggestion(for: "zzz") == nil)
        #expect(UnknownMutant(name: "zzz").description.contains("expected one of no-expectations, deadline-not-rearmed"))
    }

    static let taintedWorker = """
        name: taints
        description: a BroadcastJob on a cluster whose node t is tainted NoSchedule and whose node x is tainted NoExecute
        duration: 1m
        nodes:
          - {name: ok}
          - {name: t, taints: [{key: dedicated, effect: NoSchedule}]}
          - {name: x, taints: [{key: gone, effect: NoExecute}]}
        images:
          task: {run: 10s}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: b}
            spec:
              template:
                spec: {restartPolicy: Never, containers: [{name: c, image: task}]}
        expect:
          - {at: end, count: pod, where: {owner: bcj/b}, is: 1}
        """

    @Test func ignoreTaintsPutsPodsOnNoScheduleNodesOnly() throws {
        let s = try ScenarioLoader.load(text: Self.taintedWorker, file: "taints.yaml")
        expectPassed(Simulation(scenario: s).run())
        let sim = Simulation(scenario: s, mutant: .ignoreTaints)
        let out = sim.run()
        #expect(!out.passed)
        let nodes = sim.server.list(Pod.self).map { $0.spec.nodeName ?? "" }.sorted()
        #expect(nodes == ["ok", "t"])  // NoExecute still keeps pods off x
        #expect(out.violations.contains { $0.invariant == "podsOnFitNodes" })
    }
}
