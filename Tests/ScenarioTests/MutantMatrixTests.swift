import Foundation
import Testing
import Sim
import Engine

/// Mutation testing of the bundled suite: every engine mutant is caught by at least one bundled
/// scenario (`kruise-sim run scenarios/ --mutant NAME` exits 1), and the scenario that
/// docs/mutants.md names as its catcher fails with the mutant for the reason the docs give.
/// (That every scenario passes on the faithful engine is `ScenarioTests.scenarioPasses`.)
@Suite struct MutantMatrixTests {
    /// The catcher of each mutant, and what its failure report must mention.
    static let catchers: [Mutant: (file: String, evidence: String)] = [
        .noExpectations: ("bcj-cache-lag.yaml", "onePodPerNode"),
        .deadlineNotRearmed: ("bcj-active-deadline.yaml", "deadlineHonored"),
        .createErrorsCountedActive: ("bcj-create-errors-status.yaml", "status.active: expected 0, got 1"),
        .rerunDeletedChildren: ("acj-ttl-no-rerun.yaml", "cronOnTime"),
        .restartLimitOffByOne: ("bcj-restart-limit-continue-pause.yaml", "statusConsistent"),
        .ignoreTaints: ("seed-image-cleanup.yaml", "podsOnFitNodes"),
    ]

    static func path(_ file: String) -> String { (ScenarioTests.directory as NSString).appendingPathComponent(file) }

    @Test func everyMutantHasACatcher() {
        #expect(Set(Self.catchers.keys) == Set(Mutant.allCases))
    }

    @Test(arguments: Mutant.allCases)
    func catcherFailsWithTheMutant(_ mutant: Mutant) throws {
        let (file, evidence) = try #require(Self.catchers[mutant])
        let report = ScenarioRunner.run(file: Self.path(file), mutant: mutant)
        #expect(report.error == nil, "\(report.error?.description ?? "")")
        #expect(!report.passed, "\(file) passes with mutant \(mutant.name): the suite would not catch it")
        let text = TextReport.render([report], verbose: false)
        #expect(text.contains(evidence), "\(file) with \(mutant.name) should fail on \(evidence):\n\(text)")
        // The same file passes without the mutant (so the failure is the mutant's doing).
        #expect(ScenarioRunner.run(file: Self.path(file)).passed)
    }

    /// docs/mutants.md lists every mutant with its catching scenario.
    @Test func docsNameEveryMutantAndItsCatcher() throws {
        let docs = URL(fileURLWithPath: ScenarioTests.directory).deletingLastPathComponent()
            .appendingPathComponent("docs/mutants.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for m in Mutant.allCases {
            let (file, _) = try #require(Self.catchers[m])
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(m.name)` ") }
            #expect(row?.contains(file.replacingOccurrences(of: ".yaml", with: "")) == true,
                    "docs/mutants.md needs a table row for \(m.name) naming \(file)")
        }
    }
}
