import ArgumentParser
import Engine
import Foundation
import Sim

/// `kruise-sim explore`: a seed sweep over worker processes (docs/explore.md).
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run a scenario under every seed of a range, on all cores, and group the failing seeds by what failed.",
        discussion: """
        --seeds A..B includes both ends (1..200 is 200 seeds). --shard I/N runs only the seeds S with (S - A) mod N = I, \
        so N machines (e.g. a Kubernetes Indexed Job) share one sweep. Each failing group prints the command that replays it. \
        See docs/explore.md. Exit status: 0 when no seed failed, 1 when one did, 2 for invalid input.
        """)

    @Argument(help: "The scenario file.") var file: String
    @Option(parsing: .unconditional, help: "The seeds, A..B with both ends included, or one seed.") var seeds: String
    @Option(parsing: .unconditional, help: "Worker processes at once (default: the active processor count; 1 runs the seeds in this process).") var jobs: String?
    @Option(parsing: .unconditional, help: "Run shard I of N: the seeds S with (S - A) mod N = I (I from 0 to N-1).") var shard: String?
    @Option(help: "Run the engine with this deliberate defect (see `kruise-sim mutants`).") var mutant: String?
    @Option(help: "Layer a fault profile under the scenario's faults: \(FaultProfile.allCases.map(\.rawValue).joined(separator: ", ")) (docs/faults.md). Under a profile other than none only invariants are judged.")
    var faults: String?
    @Flag(help: "Stop at the first (lowest) failing seed.") var failFast = false
    @Flag(help: "Print one JSON object.") var json = false

    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("kruise-sim explore: \(message)\n".utf8))
        return ExitCode(2)
    }

    func run() throws {
        let mutant = try parseMutantOption(self.mutant, command: "kruise-sim explore")
        let faults = try parseFaultsOption(self.faults, command: "kruise-sim explore")
        let range: SeedRange
        let shard: Shard
        do {
            range = try SeedRange(parsing: seeds)
            shard = try parseShard(self.shard)
        } catch {
            throw fail(error.description)
        }
        var jobCount = ProcessInfo.processInfo.activeProcessorCount
        if let jobs {
            guard let n = Int(jobs), (1...256).contains(n) else { throw fail("--jobs must be an integer from 1 to 256, got \"\(jobs)\"") }
            jobCount = n
        }
        let request = ExploreRequest(file: file, seeds: range, shard: shard, mutant: mutant, faults: faults, jobs: jobCount, failFast: failFast)
        let scenario: Scenario
        do {
            scenario = try Explorer.load(request)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let result = Explorer.explore(request, scenario: scenario, executable: executablePath(), progress: json ? nil : ExploreProgress.forTerminal())
        print(json ? ExploreReport.json(result) : ExploreReport.text(result), terminator: "")
        if !result.passed { throw ExitCode(1) }
    }

    func parseShard(_ text: String?) throws(ExploreInputError) -> Shard {
        guard let text else { return .whole }
        return try Shard(parsing: text)
    }
}

/// The running executable, for worker processes: /proc/self/exe where there is one, else
/// argv[0] resolved against the working directory and PATH.
func executablePath() -> String? {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    let arg0 = CommandLine.arguments[0]
    if arg0.contains("/") {
        return arg0.hasPrefix("/") ? arg0 : FileManager.default.currentDirectoryPath + "/" + arg0
    }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let p = "\(dir)/\(arg0)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// `kruise-sim explore-worker`: runs a batch of seeds for `explore` and prints one JSON line per
/// seed. Not for people: `explore` starts it.
struct ExploreWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explore-worker", shouldDisplay: false)

    @Argument var file: String
    @Option var seedList: String
    @Option var mutant: String?
    @Option var faults: String?
    @Flag var failFast = false

    func run() throws {
        let mutant = try parseMutantOption(self.mutant, command: "kruise-sim explore-worker")
        let faults = try parseFaultsOption(self.faults, command: "kruise-sim explore-worker")
        var seeds: [UInt64] = []
        for part in seedList.split(separator: ",") {
            guard let s = UInt64(part) else {
                FileHandle.standardError.write(Data("kruise-sim explore-worker: bad seed \"\(part)\"\n".utf8))
                throw ExitCode(2)
            }
            seeds.append(s)
        }
        let scenario: Scenario
        do {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            scenario = try ScenarioLoader.load(text: text, file: file)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        Explorer.runSeeds(scenario, seeds: seeds, mutant: mutant, faults: faults, failFast: failFast) { r in
            if var data = try? encoder.encode(r) {
                data.append(UInt8(ascii: "\n"))
                FileHandle.standardOutput.write(data)
            }
        }
    }
}

/// `kruise-sim shrink`: cuts a failing run down to a small scenario that fails the same way.
struct Shrink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Reduce a failing run to a small scenario that still fails the same way, and write it as a scenario file.",
        discussion: """
        Keeps the run's first failure (or the one --keep names) and greedily removes what it does not need: \
        a shorter duration, fewer nodes, timeline actions, other checks, manifests, settings. The result has the seed \
        fixed and a description of what it reproduces. See docs/explore.md. \
        Exit status: 0 written, 1 the shrunk file could not be written, 2 invalid input (including a run that passes).
        """)

    @Argument(help: "The scenario file.") var file: String
    @Option(parsing: .unconditional, help: "The seed whose run fails.") var seed: String
    @Option(help: "Run the engine with this deliberate defect (see `kruise-sim mutants`).") var mutant: String?
    @Option(help: "The fault profile the failing run was under (as explore's --faults).") var faults: String?
    @Option(help: "Keep the failure whose name contains this text (e.g. onePodPerNode, or FILE:LINE of a check); default: the first failure.") var keep: String?
    @Option(name: .shortAndLong, help: "The scenario file to write.") var output: String
    @Option(parsing: .unconditional, help: "At most this many candidate runs (1 to 100000).") var maxRuns: String = "400"

    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("kruise-sim shrink: \(message)\n".utf8))
        return ExitCode(2)
    }

    func run() throws {
        let mutant = try parseMutantOption(self.mutant, command: "kruise-sim shrink")
        let faults = try parseFaultsOption(self.faults, command: "kruise-sim shrink")
        guard let s = UInt64(seed) else { throw fail("--seed must be an integer from 0 to \(UInt64.max), got \"\(seed)\"") }
        guard let limit = Int(maxRuns), (1...100_000).contains(limit) else { throw fail("--max-runs must be an integer from 1 to 100000, got \"\(maxRuns)\"") }
        guard FileManager.default.fileExists(atPath: file) else { throw fail("\(file): no such file") }
        let request = ShrinkRequest(file: file, seed: s, mutant: mutant, faults: faults, keep: keep, output: output, maxRuns: limit)
        let result: ShrinkResult
        do {
            result = try Shrinker(request) { print($0) }.shrink()
        } catch let e as ShrinkError {
            throw fail(e.description)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            try AtomicFile.write(result.yaml, to: output)
        } catch {
            FileHandle.standardError.write(Data("kruise-sim shrink: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("shrunk in \(result.runs) runs: \(result.before) → \(result.after)")
        if let p = result.passesWithoutMutant {
            print("without the mutant the shrunk scenario \(p ? "passes" : "fails too")")
        }
        var replay = ["kruise-sim", "run", output]
        if let f = result.replayFaults { replay += ["--faults", f.rawValue] }
        if let mutant { replay += ["--mutant", mutant.name] }
        print("wrote \(output); replay: \(replay.map(shellQuoted).joined(separator: " "))")
    }
}
