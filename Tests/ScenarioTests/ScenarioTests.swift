import Foundation
import Testing
import Sim

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

    @Test func everyScenarioExplainsItself() throws {
        for f in Self.files {
            let s = try ScenarioLoader.load(path: (Self.directory as NSString).appendingPathComponent(f))
            #expect(s.description.count > 40, "\(f) needs a description a reader can learn from")
        }
    }
}
