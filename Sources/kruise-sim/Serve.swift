import ArgumentParser
import Dispatch
import Engine
import Foundation
import Serve
import Sim

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a scenario's cluster over the Kubernetes API, in sped-up virtual time, for kubectl.",
        discussion: """
            Virtual time passes --speed seconds per wall second (default 1; 0 pauses it). Plain HTTP, no \
            authentication: it binds to loopback unless --address says otherwise. Prints the server's URL \
            on stdout. Control endpoints: GET /kruise-sim/time, POST /kruise-sim/advance?by=30s (or \
            ?to=next), POST /kruise-sim/speed?x=60. Stops at the scenario's end or on Ctrl-C. Exit status: \
            0 when every check that came due held, 1 when one failed, 2 for invalid input. See docs/serve.md.
            """)

    @Argument(help: "The scenario file.") var scenario: String
    @Option(parsing: .unconditional, help: "TCP port (0 picks a free one).") var port: Int = 6443
    @Option(help: "Address to bind (loopback by default; anything else exposes an unauthenticated API).") var address: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Virtual seconds per wall second (0 pauses; advance with POST /kruise-sim/advance).") var speed: Double = 1
    @Option(help: "Write a kubeconfig for the server here.") var kubeconfig: String?
    @Option(help: "Write the run to this SQLite file when serving ends.") var trace: String?
    @Option(parsing: .unconditional, help: "Override the scenario's seed.") var seed: UInt64?

    func validate() throws {
        guard speed >= 0, speed.isFinite, speed <= 1_000_000 else {
            throw ValidationError("--speed \(speed): expected a number of virtual seconds per wall second from 0 (paused) to 1000000")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): expected 0 (any free port) to 65535") }
    }

    func run() throws {
        let log = { (s: String) in FileHandle.standardError.write(Data((s + "\n").utf8)) }
        func fail(_ message: String) -> ExitCode {
            log("kruise-sim: \(message)")
            return ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: scenario) else { throw fail("\(scenario): no such file") }
        let loaded: Scenario
        do { loaded = try ScenarioLoader.load(path: scenario, seedOverride: seed) } catch { throw fail("\(error)") }
        let session: ServeSession
        do {
            session = try ServeSession(scenario: loaded, address: address, port: port, speed: speed, kubeconfig: kubeconfig, trace: trace)
        } catch { throw fail(error.description) }
        log("kruise-sim: serving \(loaded.name) at \(session.url) (speed \(speed == 0 ? "0, paused" : "\(speed)×"), \(formatSeconds(loaded.duration)) of virtual time)")
        if let kubeconfig { log("kruise-sim: kubeconfig written to \(kubeconfig): export KUBECONFIG=\(kubeconfig)") }
        if !["127.0.0.1", "::1", "localhost"].contains(address) {
            log("kruise-sim: warning: \(address) is not a loopback address and this API has no authentication")
        }
        // The URL alone on stdout, for scripts that started the server on port 0.
        FileHandle.standardOutput.write(Data((session.url + "\n").utf8))

        // Ctrl-C and SIGTERM stop serving after the current step; the trace is finished.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { session.stop(sig == SIGINT ? "interrupted" : "terminated") }
            src.resume()
            sources.append(src)
        }
        defer { for s in sources { s.cancel() } }
        let (why, outcome): (String, RunOutcome)
        do { (why, outcome) = try session.run() } catch { throw fail(error.description) }
        log("kruise-sim: stopped at \(session.cluster.stamp(session.sim.now)): \(why)")
        let failed = outcome.checks.filter { !$0.passed }.count
        log("kruise-sim: \(plural(outcome.checks.count, "check")) came due, \(failed) failed; \(plural(outcome.violations.count, "invariant violation")); \(plural(Int(outcome.writes), "write")); digest \(outcome.digest)")
        // A controller that never got past an error says so here too (reconciles are not in the checks).
        for line in TextReport.reconcileErrorText(outcome, all: false).split(separator: "\n") {
            log("kruise-sim: " + line.trimmingCharacters(in: .whitespaces))
        }
        if let trace { log("kruise-sim: trace written to \(trace)") }
        if !outcome.passed { throw ExitCode(1) }
    }
}
