import Foundation
import Testing
@testable import Sim
import Engine

/// Absurd inputs get a clear error or a bounded run, never an out-of-memory kill; output files are
/// written whole or not at all.
@Suite struct ResourceLimitTests {
    @Test func nodesTimesImagesIsBounded() {
        let e = loadError("""
            duration: 1m
            nodes:
              - namePrefix: n
                count: 100000
                images: [{namePrefix: pre, count: 10000, size: 1Mi}]
            """)
        #expect(e?.line == 3)
        #expect(e?.message == "too many node images: 1000000000 (nodes times the images on each); a scenario may define at most 10000000 in all (nodes and addNodes)")
        // addNodes count toward the same total.
        let a = loadError("""
            duration: 1m
            nodes:
              - {namePrefix: n, count: 900, images: [{namePrefix: p, count: 10000, size: 1Mi}]}
            timeline:
              - {at: 1s, addNodes: {namePrefix: m, count: 200, images: [{namePrefix: p, count: 10000, size: 1Mi}]}}
            """)
        #expect(a?.line == 5)
        #expect(a?.message.hasPrefix("too many node images: 11000000") == true)
    }

    @Test func imagesOfOneNodeAreBoundedAcrossEntries() {
        let e = loadError("""
            duration: 1m
            nodes:
              - name: n
                images:
                  - {namePrefix: a, count: 10000, size: 1Mi}
                  - {namePrefix: b, count: 1, size: 1Mi}
            """)
        #expect(e?.line == 6)
        #expect(e?.message == "too many images on one node: 10001; a node entry may list at most 10000 in all")
    }

    static let everySecondForTenYears = """
        name: forever
        description: an AdvancedCronJob every second for ten years, which would grow without end
        duration: 87600h
        nodes:
          - {namePrefix: n, count: 2}
        images:
          t: {run: 1s}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: a}
            spec:
              schedule: "@every 1s"
              template:
                broadcastJobTemplate:
                  spec:
                    completionPolicy: {ttlSecondsAfterFinished: 0}
                    template:
                      spec: {restartPolicy: Never, containers: [{name: c, image: t}]}
        """

    @Test func aRunThatWouldGrowWithoutEndStopsAtTheHistoryLimit() throws {
        let s = try ScenarioLoader.load(text: Self.everySecondForTenYears, file: "forever.yaml")
        let sim = Simulation(scenario: s)
        sim.historyLimit = 500
        let out = sim.run()
        let why = try #require(sim.historyLimitReached)
        #expect(why.hasPrefix("the run stopped at +"))
        #expect(why.contains("a run keeps at most 500"))
        #expect(out.endTime.seconds(since: s.start) < 3600)  // stopped within the first virtual hour, not after ten years
    }

    // MARK: Atomic output files

    static func scratch() throws -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("kruise-sim-atomic-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func leftovers(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
    }

    @Test func aTraceIsBuiltAsideAndReplacesThePreviousOnlyWhenFinished() throws {
        let dir = try Self.scratch()
        let path = (dir as NSString).appendingPathComponent("run.sqlite")
        try "previous trace".write(toFile: path, atomically: false, encoding: .utf8)
        let s = try ScenarioLoader.load(text: "duration: 1m\nnodes: [{name: a}]\n", file: "t.yaml")
        // While a run writes, the previous file is untouched; a run that never finishes leaves it so.
        var sink: SQLiteTrace? = try SQLiteTrace(path: path, scenario: s)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous trace")
        #expect(try Self.leftovers(dir).count == 1)
        sink = nil
        _ = sink
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous trace")
        #expect(try Self.leftovers(dir).isEmpty)
        // A finished run replaces it whole.
        let scenario = (dir as NSString).appendingPathComponent("s.yaml")
        try "name: s\ndescription: one node for a minute, traced\nduration: 1m\nnodes: [{name: a}]\n".write(toFile: scenario, atomically: false, encoding: .utf8)
        let report = ScenarioRunner.run(file: scenario, trace: path)
        #expect(report.error == nil && report.passed)
        let head = try #require(FileHandle(forReadingAtPath: path)?.readData(ofLength: 15))
        #expect(String(decoding: head, as: UTF8.self) == "SQLite format 3")
        #expect(try Self.leftovers(dir).isEmpty)
    }

    @Test func aStoppedRunKeepsThePreviousTrace() throws {
        let dir = try Self.scratch()
        let path = (dir as NSString).appendingPathComponent("run.sqlite")
        try "previous trace".write(toFile: path, atomically: false, encoding: .utf8)
        let s = try ScenarioLoader.load(text: Self.everySecondForTenYears, file: "forever.yaml")
        do {
            let sim = Simulation(scenario: s, trace: try SQLiteTrace(path: path, scenario: s))
            sim.historyLimit = 200
            _ = sim.run()
            #expect(sim.historyLimitReached != nil)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous trace")
        #expect(try Self.leftovers(dir).isEmpty)
    }

    @Test func aTraceInAMissingDirectoryIsAnError() throws {
        let dir = try Self.scratch()
        let scenario = (dir as NSString).appendingPathComponent("s.yaml")
        try "name: s\ndescription: one node for a minute, traced\nduration: 1m\nnodes: [{name: a}]\n".write(toFile: scenario, atomically: false, encoding: .utf8)
        let report = ScenarioRunner.run(file: scenario, trace: (dir as NSString).appendingPathComponent("no/such/run.sqlite"))
        #expect(report.outcome == nil)
        #expect(report.error?.message.contains("cannot") == true)
    }

    @Test func atomicWritesReplaceWholeOrNotAtAll() throws {
        let dir = try Self.scratch()
        let path = (dir as NSString).appendingPathComponent("junit.xml")
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        // A target that cannot be replaced (a directory) is an error, and nothing is left behind.
        let sub = (dir as NSString).appendingPathComponent("sub")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        try "keep".write(toFile: (sub as NSString).appendingPathComponent("f"), atomically: false, encoding: .utf8)
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("x", to: sub) }
        #expect(try Self.leftovers(dir).isEmpty)
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("x", to: (dir as NSString).appendingPathComponent("none/f")) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
    }
}
