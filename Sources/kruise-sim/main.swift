import ArgumentParser
import Engine
import Foundation
import Sim

@main
struct KruiseSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kruise-sim",
        abstract: "Deterministic simulator for OpenKruise BroadcastJob and AdvancedCronJob node maintenance.",
        discussion: "Exit status: 0 success, 1 a check or invariant failed, 2 invalid input or usage.",
        version: KruiseSimVersion.current,
        subcommands: [Run.self, ServeCommand.self, Cron.self, Bench.self, Mutants.self, Explore.self, Shrink.self, ExploreWorker.self] + traceCommands
    )

    /// As ArgumentParser's own `main`, but a usage error (unknown option, missing argument)
    /// exits 2 like every other invalid input, not 64.
    static func main() {
        // The process ends right after its last run: leave that simulation to the exit.
        ExitTeardown.enabled = true
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenario files (or every *.yaml in a directory) in virtual time.",
        discussion: "Exit status: 0 when every check and invariant holds, 1 when one failed, 2 for invalid input.")

    @Argument(help: "Scenario files or directories.") var paths: [String]
    @Option(parsing: .unconditional, help: "Override every scenario's seed.") var seed: UInt64?
    @Flag(help: "Print machine-readable results (with a digest of each run's event history).") var json = false
    @Option(help: "Write JUnit XML to this file.") var junit: String?
    @Option(help: "Write the run to this SQLite file (one scenario only).") var trace: String?
    @Flag(name: .shortAndLong, help: "Print only the summary line.") var quiet = false
    @Flag(name: .shortAndLong, help: "Show every check and the story of passing runs too.") var verbose = false
    @Option(help: "Run the engine with this deliberate defect (see `kruise-sim mutants`).") var mutant: String?
    @Option(help: "Layer a fault profile under each scenario's faults: \(FaultProfile.allCases.map(\.rawValue).joined(separator: ", ")) (docs/faults.md). Under a profile other than none only invariants are judged.")
    var faults: String?
    @Flag(help: "Run each scenario twice in this process; fail, naming the first event where the histories diverge, when the digests differ.")
    var checkDeterminism = false

    func run() throws {
        let mutant = try parseMutantOption(self.mutant, command: "kruise-sim run")
        let faults = try parseFaultsOption(self.faults, command: "kruise-sim run")
        let (files, skipped) = ScenarioRunner.expandNoting(paths)
        if !quiet && !json {
            for (f, reason) in skipped { FileHandle.standardError.write(Data("kruise-sim: skipped \(f): \(reason)\n".utf8)) }
        }
        if files.isEmpty {
            FileHandle.standardError.write(Data("kruise-sim: no scenario files in \(paths.joined(separator: " "))\n".utf8))
            throw ExitCode(2)
        }
        if trace != nil && checkDeterminism {
            FileHandle.standardError.write(Data("kruise-sim: --trace and --check-determinism cannot be combined (run the scenario once with --trace)\n".utf8))
            throw ExitCode(2)
        }
        if trace != nil && files.count > 1 {
            FileHandle.standardError.write(Data("kruise-sim: --trace takes one scenario, got \(files.count)\n".utf8))
            throw ExitCode(2)
        }
        if let mutant, !quiet && !json {
            FileHandle.standardError.write(Data("kruise-sim: engine mutant \(mutant.name) is on: \(mutant.summary)\n".utf8))
        }
        var reports: [ScenarioReport] = []
        let progress = ProgressLine.forTerminal(label: "kruise-sim run")
        for f in files {
            let r = checkDeterminism
                ? DeterminismCheck.run(file: f, seed: seed, mutant: mutant, faults: faults)
                : ScenarioRunner.run(file: f, seed: seed, trace: trace, progress: progress, mutant: mutant, faults: faults)
            reports.append(r)
            if !json && !quiet {
                print(TextReport.renderOne(r, verbose: verbose), terminator: "")
            }
        }
        if json {
            print(JSONReport.render(reports), terminator: "")
        } else {
            print(TextReport.summary(reports))
        }
        if let junit {
            do {
                try AtomicFile.write(JUnitReport.render(reports), to: junit)
            } catch {
                FileHandle.standardError.write(Data("kruise-sim: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        for r in reports where r.outcome == nil && (json || quiet) {
            FileHandle.standardError.write(Data("\(r.error?.description ?? r.file)\n".utf8))
        }
        if reports.contains(where: { $0.outcome == nil }) { throw ExitCode(2) }
        if reports.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}

struct Cron: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Print the next fire times of a cron schedule (robfig/cron v3 standard grammar).",
        discussion: "A schedule that starts with '-' (\"-1 * * * *\") is read as the schedule, not as an option. Exit status: 0, 1 when no fire time exists within five years, 2 for an invalid schedule or option.")

    /// Captures the spec even when it starts with `-` (swift-argument-parser would take it for an option);
    /// the real options below are still recognized first.
    @Argument(parsing: .allUnrecognized, help: "The schedule, e.g. \"*/5 * * * *\", \"@hourly\", \"TZ=Asia/Shanghai 0 3 * * *\".") var spec: [String] = []
    @Option(help: "Start from this RFC 3339 time (the first fire time is strictly after it; default: now).") var from: String?
    @Option(help: "Time zone for a spec without TZ= (default UTC).") var timeZone: String?
    @Option(parsing: .unconditional, help: "How many fire times (1 to \(Cron.maxCount)).") var count: String = "1"

    static let maxCount = 100_000

    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("kruise-sim cron: \(message)\n".utf8))
        return ExitCode(2)
    }

    func run() throws {
        // `cron -- "-1 * * * *"` works too: the terminator is captured with the spec.
        var spec = self.spec
        if let i = spec.firstIndex(of: "--") { spec.remove(at: i) }
        guard spec.count == 1, let spec = spec.first else {
            throw fail(spec.isEmpty ? "missing the schedule, e.g. kruise-sim cron \"*/5 * * * *\" --from 2024-01-01T00:00:00Z --count 3"
                                    : "expected one schedule (quote it), got \(spec.count) arguments: \(spec.joined(separator: " "))")
        }
        guard let n = Int(count), (1...Self.maxCount).contains(n) else {
            throw fail("--count must be an integer from 1 to \(Self.maxCount), got \"\(count)\"")
        }
        var effective = spec
        if let tz = timeZone, !spec.hasPrefix("TZ=") && !spec.hasPrefix("CRON_TZ=") { effective = "TZ=\(tz) \(spec)" }
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule.parse(effective, defaultZone: TimeZone(identifier: "UTC")!)
        } catch {
            throw fail("\(error)")
        }
        // The schedule is checked before --from, so a bad spec is reported as robfig reports it.
        // Without --from the fire times are those after the current time (this command only
        // prints a schedule; nothing in a simulation reads the wall clock).
        let start: Timestamp
        if let from {
            if Timestamp.isOutOfRange(rfc3339: from) {
                throw fail("--from \"\(from)\" is out of range: expected an instant \(Timestamp.rangeDescription)")
            }
            guard let s = Timestamp(rfc3339: from) else {
                throw fail("--from must be an RFC 3339 time such as 2022-03-24T08:45:08Z, got \"\(from)\"")
            }
            start = s
        } else {
            // Whole seconds, as fire times are (the next one after is the same).
            start = Timestamp(unixSeconds: Timestamp(date: Date()).unixSeconds)
        }
        // Unix seconds, not Timestamp: a fire time may lie past 2262 (`@every 2562047h`).
        var t = start.unixSeconds
        for i in 0..<n {
            guard let next = schedule.next(afterUnixSeconds: t) else {
                let after = i == 0 ? start.rfc3339 : Timestamp.rfc3339(unixSeconds: t)
                FileHandle.standardError.write(Data("kruise-sim cron: no fire time within five years after \(after)\n".utf8))
                throw ExitCode(1)
            }
            print(Timestamp.rfc3339(unixSeconds: next))
            t = next
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a workload generated in code: broadcast, cron-day, churn or reconcile (see BENCHMARKS.md).",
        discussion: """
        broadcast: N nodes, one BroadcastJob, pods run 30s..60s, pods created bound by an unthrottled client; ends when the job completes.
        cron-day: N nodes, an every-5-minute AdvancedCronJob (BroadcastJob, TTL 90s) for 24 virtual hours.
        churn: N nodes, a completionPolicy Never BroadcastJob; a node joins and the oldest leaves every second for a virtual hour.
        reconcile: N nodes each running its pod; times --reconciles reconciles of the BroadcastJob.
        Exit status: 0, 1 when repeated runs gave different virtual figures, 2 for invalid usage.
        """)

    @Argument(help: "The workload: \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")).") var workload: String
    @Option(parsing: .unconditional, help: "Nodes (1 to \(Sim.Bench.nodeRange.upperBound)).") var nodes: String = "1000"
    @Option(parsing: .unconditional, help: "The seed.") var seed: String = "1"
    @Option(parsing: .unconditional, help: "Run this many times (1 to 100) and report the median wall figures.") var `repeat`: String = "1"
    @Option(parsing: .unconditional, help: "reconcile: how many reconciles to time per run (1 to 100000).") var reconciles: String?
    @Flag(help: "Print one JSON object.") var json = false

    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("kruise-sim bench: \(message)\n".utf8))
        return ExitCode(2)
    }

    func run() throws {
        guard let w = BenchWorkload(rawValue: workload) else {
            let names = BenchWorkload.allCases.map(\.rawValue)
            var msg = "unknown workload \"\(workload)\": expected one of \(names.joined(separator: ", "))"
            if let s = BenchWorkload.suggestion(for: workload) { msg += " (did you mean \"\(s)\"?)" }
            throw fail(msg)
        }
        guard let n = Int(nodes), Sim.Bench.nodeRange.contains(n) else {
            throw fail("--nodes must be an integer from 1 to \(Sim.Bench.nodeRange.upperBound), got \"\(nodes)\"")
        }
        guard let s = UInt64(seed) else { throw fail("--seed must be an integer from 0 to \(UInt64.max), got \"\(seed)\"") }
        guard let k = Int(self.repeat), (1...100).contains(k) else { throw fail("--repeat must be an integer from 1 to 100, got \"\(self.repeat)\"") }
        if reconciles != nil, w != .reconcile {
            throw fail("--reconciles applies to the reconcile workload only (\(w.rawValue) does not time single reconciles)")
        }
        let m: Int
        if let reconciles {
            guard let r = Int(reconciles), (1...100_000).contains(r) else {
                throw fail("--reconciles must be an integer from 1 to 100000, got \"\(reconciles)\"")
            }
            m = r
        } else {
            m = Sim.Bench.defaultMeasuredReconciles
        }
        let result: BenchResult
        do {
            result = try Sim.Bench.run(w, nodes: n, seed: s, repeats: k, measuredReconciles: m,
                                       progress: ProgressLine.forTerminal(label: "kruise-sim bench \(w.rawValue)"))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        print(json ? BenchReport.jsonText(result) : BenchReport.text(result), terminator: "")
        if result.virtualDiffered { throw ExitCode(1) }
    }
}
