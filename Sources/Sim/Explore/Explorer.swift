import Foundation
import Engine
import DequeModule

/// A seed sweep (`kruise-sim explore`): one scenario run under every seed of a range, each run
/// single-threaded and deterministic, the runs spread over worker processes.
public struct ExploreRequest: Sendable {
    /// The scenario file, as the user wrote it (the replay commands repeat it).
    public var file: String
    public var seeds: SeedRange
    public var shard: Shard
    public var mutant: Mutant?
    /// The fault profile layered under the scenario's faults (`--faults`).
    public var faults: FaultProfile?
    /// Worker processes at once; 1 runs every seed in this process.
    public var jobs: Int
    /// Stop at the first (lowest) failing seed of the shard.
    public var failFast: Bool

    public init(file: String, seeds: SeedRange, shard: Shard = .whole, mutant: Mutant? = nil, faults: FaultProfile? = nil,
                jobs: Int = 1, failFast: Bool = false) {
        self.faults = faults
        self.file = file
        self.seeds = seeds
        self.shard = shard
        self.mutant = mutant
        self.jobs = jobs
        self.failFast = failFast
    }

    /// `kruise-sim run FILE --seed S [--faults P] [--mutant M]`: the command that replays one seed.
    public func replayCommand(seed: UInt64) -> String {
        var args = ["kruise-sim", "run", file, "--seed", String(seed)]
        if let faults { args += ["--faults", faults.rawValue] }
        if let mutant { args += ["--mutant", mutant.name] }
        return args.map(shellQuoted).joined(separator: " ")
    }

    /// `kruise-sim shrink FILE --seed S [--faults P] [--mutant M] --keep WHAT -o NAME-seed-S.yaml`:
    /// the command that shrinks one seed's run keeping `failure`; nil for a crash or a stopped run.
    public func shrinkCommand(seed: UInt64, failure: RunFailure) -> String? {
        let keep: String
        switch failure.kind {
        case .invariant: keep = failure.invariant ?? failure.key
        case .check: keep = failure.key.split(separator: " ").dropFirst().first.map(String.init) ?? failure.key
        case .action: keep = failure.key.components(separatedBy: " at ").last ?? failure.key
        case .invalid, .crash: return nil
        }
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var args = ["kruise-sim", "shrink", file, "--seed", String(seed)]
        if let faults { args += ["--faults", faults.rawValue] }
        if let mutant { args += ["--mutant", mutant.name] }
        args += ["--keep", keep, "-o", "\(name)-seed-\(seed).yaml"]
        return args.map(shellQuoted).joined(separator: " ")
    }
}

/// Quotes a word for a POSIX shell when it needs it.
public func shellQuoted(_ s: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-=:,+@%")
    if !s.isEmpty && s.allSatisfy({ plain.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// What a sweep found. Everything but the wall time depends only on the request: seeds are
/// sorted, groups ordered by kind and key, never by which worker finished first.
public struct ExploreResult: Sendable {
    public var request: ExploreRequest
    /// Seeds whose run is part of the result (with `failFast`, those up to the first failure).
    public var seedsRun: UInt64
    /// The failing seeds, ascending.
    public var failing: [SeedResult]
    public var wallSeconds: Double
    /// With `failFast`: the seed the sweep stopped at.
    public var stoppedAt: UInt64?

    public var passed: Bool { failing.isEmpty }

    /// Seeds that failed on one key (an invariant, a check, a timeline action, a crash).
    public struct Group: Sendable {
        public var failure: RunFailure
        /// Ascending.
        public var seeds: [UInt64]
        /// The lowest seed's failure (when and what).
        public var firstSeed: UInt64 { seeds[0] }
    }

    /// One group per failure key, invariants first (in the order of `Scenario.invariantNames`),
    /// then checks, actions, invalid runs and crashes, each by key.
    public var groups: [Group] {
        var byKey: [String: Group] = [:]
        for r in failing {
            for f in r.failures {
                if byKey[f.key] == nil { byKey[f.key] = Group(failure: f, seeds: []) }
                byKey[f.key]!.seeds.append(r.seed)
            }
        }
        func rank(_ f: RunFailure) -> (Int, Int, String) {
            let kind = RunFailure.Kind.allCases.firstIndex(of: f.kind) ?? 0
            let inv = f.invariant.flatMap { Scenario.invariantNames.firstIndex(of: $0) } ?? 0
            return (kind, inv, f.key)
        }
        return byKey.values.sorted { rank($0.failure) < rank($1.failure) }
    }
}

/// Runs seed sweeps.
public enum Explorer {
    /// Runs `scenario` under `seed` (and the fault profile `faults`) in this process.
    public static func run(_ scenario: Scenario, seed: UInt64, mutant: Mutant?, faults: FaultProfile? = nil) -> SeedResult {
        var s = faults.map { scenario.layering($0) } ?? scenario
        s.seed = seed
        let sim = Simulation(scenario: s, mutant: mutant)
        let outcome = sim.run()
        if let why = sim.historyLimitReached {
            return SeedResult(seed: seed, failures: [RunFailure(kind: .invalid, key: "run stopped early: \(why)", offset: sim.kernel.now.seconds(since: s.start), message: why)])
        }
        return SeedResult(seed: seed, outcome: outcome)
    }

    /// Runs `seeds` in order in this process, handing each result to `emit`; with `failFast`
    /// stops after the first failing seed.
    public static func runSeeds(_ scenario: Scenario, seeds: [UInt64], mutant: Mutant?, faults: FaultProfile?, failFast: Bool,
                                emit: (SeedResult) -> Void) {
        for seed in seeds {
            let r = run(scenario, seed: seed, mutant: mutant, faults: faults)
            emit(r)
            if failFast && !r.passed { return }
        }
    }

    /// Loads the request's scenario: a load error is the user's (exit 2), before anything runs.
    public static func load(_ request: ExploreRequest) throws -> Scenario {
        guard FileManager.default.fileExists(atPath: request.file) else {
            throw ScenarioError(file: request.file, line: 0, column: 0, message: "no such file")
        }
        return try ScenarioLoader.load(path: request.file)
    }

    /// Runs the sweep. With `executable` (this program) and more than one job, seeds go in
    /// batches to worker processes (`executable explore-worker …`), `jobs` at a time; otherwise
    /// every seed runs here, one after another.
    public static func explore(_ request: ExploreRequest, scenario: Scenario, executable: String?, progress: ExploreProgress? = nil) -> ExploreResult {
        let started = monotonicNanos()
        let total = request.shard.count(in: request.seeds)
        let state = SweepState(request: request, total: total, progress: progress)
        if let executable, request.jobs > 1, total > 1 {
            state.runWorkers(executable: executable)
        } else {
            var k: UInt64 = 0
            while k < total {
                let seed = request.shard.seed(k, in: request.seeds)
                let r = run(scenario, seed: seed, mutant: request.mutant, faults: request.faults)
                state.record(r)
                if request.failFast && !r.passed { break }
                k += 1
            }
        }
        progress?.finish()
        return state.result(wallSeconds: Double(monotonicNanos() - started) / 1e9)
    }

    /// Seeds per worker process: about four batches per job, at most 25 seeds each.
    static func batchSize(total: UInt64, jobs: Int) -> UInt64 {
        max(1, min(25, total / UInt64(max(1, jobs) * 4)))
    }
}

/// The shared state of a sweep: the batches still to run, the failing seeds, and the worker
/// processes running. Touched by one thread per job slot, under a lock.
final class SweepState: @unchecked Sendable {
    let request: ExploreRequest
    let total: UInt64
    let progress: ExploreProgress?
    private let lock = NSLock()
    /// Batches of shard positions [from, to) to run before the next new one: the rest of a batch
    /// whose worker crashed.
    private var retry: Deque<Range<UInt64>> = []
    /// The next shard position no batch has taken yet, and the batch size.
    private var next: UInt64 = 0
    private var batch: UInt64 = 1
    private var failing: [UInt64: SeedResult] = [:]
    private var done: UInt64 = 0
    /// With failFast: the lowest failing seed so far.
    private var cutoff: UInt64?
    private var running: [Int: (process: Process, firstSeed: UInt64)] = [:]

    init(request: ExploreRequest, total: UInt64, progress: ExploreProgress?) {
        self.request = request
        self.total = total
        self.progress = progress
    }

    func record(_ r: SeedResult) {
        lock.lock()
        done += 1
        if !r.passed {
            failing[r.seed] = r
            if request.failFast && (cutoff.map { r.seed < $0 } ?? true) { cutoff = r.seed }
        }
        let (d, f) = (done, failing.count)
        // Workers beyond the new cutoff have nothing left to contribute.
        var stale: [Process] = []
        if let c = cutoff {
            for (_, w) in running where w.firstSeed > c { stale.append(w.process) }
        }
        lock.unlock()
        for p in stale where p.isRunning { p.terminate() }
        progress?.update(done: d, total: total, failing: f)
    }

    /// Runs the queue on `request.jobs` worker threads, each driving one process at a time.
    func runWorkers(executable: String) {
        batch = Explorer.batchSize(total: total, jobs: request.jobs)
        let group = DispatchGroup()
        for slot in 0..<request.jobs {
            group.enter()
            let t = Thread { [self] in
                while let batch = self.nextBatch() {
                    self.runBatch(batch, slot: slot, executable: executable)
                }
                group.leave()
            }
            t.stackSize = 1 << 20
            t.start()
        }
        group.wait()
    }

    private func nextBatch() -> Range<UInt64>? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            let b: Range<UInt64>
            if let r = retry.popFirst() {
                b = r
            } else if next < total {
                b = next..<(total - next > batch ? next + batch : total)
                next = b.upperBound
            } else {
                return nil
            }
            if let c = cutoff, request.shard.seed(b.lowerBound, in: request.seeds) > c { continue }
            return b
        }
    }

    private func runBatch(_ batch: Range<UInt64>, slot: Int, executable: String) {
        let seeds = batch.map { request.shard.seed($0, in: request.seeds) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        var args = ["explore-worker", request.file, "--seed-list", seeds.map(String.init).joined(separator: ",")]
        if let m = request.mutant { args += ["--mutant", m.name] }
        if let f = request.faults { args += ["--faults", f.rawValue] }
        if request.failFast { args.append("--fail-fast") }
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        let errPath = NSTemporaryDirectory() + "kruise-sim-explore-\(getpid())-\(slot).err"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { unlink(errPath) }
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardInput = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            for s in seeds {
                record(SeedResult(seed: s, failures: [RunFailure(kind: .crash, key: "worker could not start", offset: nil, message: "\(executable): \(error)")]))
            }
            return
        }
        lock.lock()
        running[slot] = (p, seeds[0])
        lock.unlock()
        var got = Set<UInt64>()
        var buffer = Data()
        let reader = out.fileHandleForReading
        let decoder = JSONDecoder()
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                if let r = try? decoder.decode(SeedResult.self, from: line) {
                    got.insert(r.seed)
                    record(r)
                }
            }
        }
        p.waitUntilExit()
        lock.lock()
        running[slot] = nil
        let cut = cutoff
        lock.unlock()
        let missing = seeds.filter { s in !got.contains(s) && (cut.map { s < $0 } ?? true) }
        guard let crashed = missing.first else { return }
        // The worker died on `crashed` (it runs its seeds in order): that seed is a finding; the
        // rest of the batch goes to a new worker.
        let why: String
        if p.terminationReason == .uncaughtSignal {
            why = "killed by signal \(p.terminationStatus)"
        } else {
            why = "exited with status \(p.terminationStatus)"
        }
        let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let fatal = errText.split(separator: "\n").first(where: { $0.contains("Fatal error") }).map(String.init)
        record(SeedResult(seed: crashed, failures: [RunFailure(kind: .crash, key: "engine crashed (\(fatal ?? why))", offset: nil,
                                                             message: errText.split(separator: "\n").suffix(3).joined(separator: " | "))]))
        let rest = missing.dropFirst()
        if let from = rest.first, let to = rest.last {
            let k0 = (from - request.seeds.first - request.shard.index) / request.shard.count
            let k1 = (to - request.seeds.first - request.shard.index) / request.shard.count + 1
            lock.lock()
            retry.append(k0..<k1)
            lock.unlock()
        }
    }

    func result(wallSeconds: Double) -> ExploreResult {
        lock.lock()
        defer { lock.unlock() }
        var seeds = failing.keys.sorted()
        var run = total
        if let c = cutoff {
            seeds = seeds.filter { $0 <= c }
            run = (c - request.seeds.first - request.shard.index) / request.shard.count + 1
        }
        return ExploreResult(request: request, seedsRun: run, failing: seeds.map { failing[$0]! }, wallSeconds: wallSeconds, stoppedAt: cutoff)
    }
}

/// One updating line on stderr while a sweep runs (seeds done, failing, seeds per second),
/// only when stderr is a terminal; cleared at the end.
public final class ExploreProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let started = monotonicNanos()
    private var lastDraw: UInt64 = 0
    private var shown = false
    private let write: (String) -> Void

    init(write: @escaping (String) -> Void) { self.write = write }

    /// A progress line on stderr if stderr is a terminal, else nil.
    public static func forTerminal() -> ExploreProgress? {
        guard isatty(2) != 0 else { return nil }
        return ExploreProgress { s in FileHandle.standardError.write(Data(s.utf8)) }
    }

    func update(done: UInt64, total: UInt64, failing: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = monotonicNanos()
        guard now - lastDraw >= 200_000_000 || done == total else { return }
        lastDraw = now
        shown = true
        let rate = Double(done) / max(1e-9, Double(now - started) / 1e9)
        write("\r\u{1B}[2Kexplore: \(done)/\(total) seeds, \(failing) failing, \(String(format: "%.1f", rate)) seeds/s")
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { write("\r\u{1B}[2K") }
        shown = false
    }
}
