import Foundation
import Testing
@testable import Sim
import Engine

/// Loads a scenario from YAML text and runs it.
func runScenario(_ yaml: String, file: String = "test.yaml", seed: UInt64? = nil) throws -> RunOutcome {
    let s = try ScenarioLoader.load(text: yaml, file: file, seedOverride: seed)
    return Simulation(scenario: s).run()
}

/// Loads and runs a scenario, keeping the simulation for inspection of its final state.
func simulate(_ yaml: String, file: String = "test.yaml") throws -> (Simulation, RunOutcome) {
    let s = try ScenarioLoader.load(text: yaml, file: file)
    let sim = Simulation(scenario: s)
    let out = sim.run()
    return (sim, out)
}

/// Records one issue per failed check (with its scenario line and details), per violation and
/// per failed timeline action; the count of checks must be `checks` when given.
func expectPassed(_ o: RunOutcome, checks: Int? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for c in o.checks where !c.passed {
        Issue.record("check at \(c.location) (\(c.subject)) failed at \(c.time):\n  \(c.details.joined(separator: "\n  "))", sourceLocation: sourceLocation)
    }
    for v in o.violations {
        Issue.record("invariant \(v.invariant) violated at \(v.time): \(v.message)", sourceLocation: sourceLocation)
    }
    for e in o.actionErrors {
        Issue.record("timeline action at \(e.location) failed: \(e.message)", sourceLocation: sourceLocation)
    }
    if let checks { #expect(o.checks.count == checks, sourceLocation: sourceLocation) }
    #expect(o.passed, sourceLocation: sourceLocation)
}

/// Loader error for a scenario text, if any.
func loadError(_ yaml: String, file: String = "bad.yaml") -> ScenarioError? {
    do {
        _ = try ScenarioLoader.load(text: yaml, file: file)
        return nil
    } catch let e as ScenarioError {
        return e
    } catch {
        Issue.record("not a ScenarioError: \(error)")
        return nil
    }
}

/// A fresh temporary directory.
func makeTempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simtests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// The repository's root (where `scenarios/` is).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The kruise-sim executable next to the test bundle (SwiftPM builds both).
func kruiseSimExecutable() -> String? {
    guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
    if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let p = candidate.appendingPathComponent("kruise-sim").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Runs the built kruise-sim with `args` in `directory` (default: the current one); returns its
/// exit status, stdout and stderr.
func runKruiseSim(_ args: [String], in directory: URL? = nil) throws -> (status: Int32, out: String, err: String) {
    let exe = try #require(kruiseSimExecutable(), "the kruise-sim executable is built next to the tests (swift build)")
    let p = Process()
    if let directory { p.currentDirectoryURL = directory }
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
