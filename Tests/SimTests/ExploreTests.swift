import Foundation
import Testing
@testable import Sim
import Engine

/// `kruise-sim explore` and `kruise-sim shrink`: sweeps find the seeds that fail, replay them,
/// and cut a failure down to a scenario a person can read.
@Suite struct ExploreTests {
    static let root = repositoryRoot
    static let cacheLag = root.appendingPathComponent("scenarios/bcj-cache-lag.yaml").path

    /// One node and a job whose container fails on about half the seeds: some seeds pass, some fail a check.
    static let coinFlip = """
        name: coin-flip
        duration: 2m
        nodes: [{namePrefix: n, count: 2}]
        images:
          flaky: {run: 10s, failureRate: 0.5}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: flip}
            spec:
              template:
                spec: {restartPolicy: Never, containers: [{name: c, image: flaky}]}
        expect:
          - {at: end, object: bcj/flip, fields: {status.succeeded: 2}}
        """

    static func writeTemp(_ text: String, name: String) throws -> (dir: URL, file: String) {
        let dir = try makeTempDir()
        let f = dir.appendingPathComponent(name)
        try text.write(to: f, atomically: true, encoding: .utf8)
        return (dir, f.path)
    }

    @Test func noExpectationsMutantIsFoundAndShrunkToAFewNodes() throws {
        let request = ExploreRequest(file: Self.cacheLag, seeds: try SeedRange(parsing: "1..200"), mutant: .noExpectations, jobs: 1, failFast: true)
        let scenario = try Explorer.load(request)
        let result = Explorer.explore(request, scenario: scenario, executable: nil)
        let seed = try #require(result.stoppedAt)
        #expect((1...200).contains(seed))
        let group = try #require(result.groups.first { $0.failure.invariant == "onePodPerNode" })
        #expect(group.seeds == [seed])
        #expect(ExploreReport.text(result).contains("replay: kruise-sim run \(Self.cacheLag) --seed \(seed) --mutant no-expectations"))

        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("dup-pods.yaml").path
        var log: [String] = []
        let shrunk = try Shrinker(ShrinkRequest(file: Self.cacheLag, seed: seed, mutant: .noExpectations, output: out)) { log.append($0) }.shrink()
        #expect(shrunk.target.key == "invariant onePodPerNode")
        #expect(shrunk.before.nodes == 200)
        #expect(shrunk.after.nodes <= 3)
        #expect(shrunk.after.duration < shrunk.before.duration)
        #expect(log.contains { $0.hasPrefix("nodes: group node from 200 to") })
        #expect(shrunk.passesWithoutMutant == true)
        try AtomicFile.write(shrunk.yaml, to: out)

        // The written file stands alone: the seed is in it, and it says what it reproduces.
        let s = try ScenarioLoader.load(path: out)
        #expect(s.seed == seed)
        #expect(s.description.contains("onePodPerNode") && s.description.contains("no-expectations") && s.description.contains("bcj-cache-lag.yaml"))
        let mutated = Simulation(scenario: s, mutant: .noExpectations).run()
        #expect(mutated.violations.contains { $0.invariant == "onePodPerNode" })
        expectPassed(Simulation(scenario: s).run())
    }

    @Test func shardsCoverTheRangeExactlyOnce() throws {
        for (range, n) in [("1..200", 7), ("5..5", 3), ("0..9", 10), ("10..12", 1), ("3..100", 4)] {
            let r = try SeedRange(parsing: range)
            var seen: [UInt64] = []
            for i in 0..<UInt64(n) {
                let shard = try Shard(parsing: "\(i)/\(n)")
                let seeds = shard.seeds(in: r)
                #expect(UInt64(seeds.count) == shard.count(in: r))
                #expect(seeds.allSatisfy { ($0 - r.first) % UInt64(n) == i })
                seen += seeds
            }
            #expect(seen.sorted() == Array(r.first...r.last), "\(range) in \(n) shards")
        }
    }

    @Test func shardedSweepsAddUpToTheWholeSweep() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip, name: "coin-flip.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let range = try SeedRange(parsing: "1..30")
        let whole = ExploreRequest(file: file, seeds: range)
        let scenario = try Explorer.load(whole)
        let all = Explorer.explore(whole, scenario: scenario, executable: nil)
        // The scenario fails on some seeds and passes on others.
        #expect(all.failing.count > 0 && all.failing.count < 30)
        var run: UInt64 = 0
        var failing: [UInt64] = []
        for i in 0..<3 {
            var q = whole
            q.shard = Shard(index: UInt64(i), count: 3)
            let part = Explorer.explore(q, scenario: scenario, executable: nil)
            run += part.seedsRun
            failing += part.failing.map(\.seed)
        }
        #expect(run == 30)
        #expect(failing.sorted() == all.failing.map(\.seed))
    }

    @Test func workerProcessesGiveTheSameResultAsOneProcess() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip, name: "coin-flip.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = ExploreRequest(file: file, seeds: try SeedRange(parsing: "1..30"))
        let local = Explorer.explore(q, scenario: try Explorer.load(q), executable: nil)
        let (status, out, _) = try runKruiseSim(["explore", file, "--seeds", "1..30", "--jobs", "3"])
        #expect(status == 1)
        // Everything but the timing line is the same text.
        func body(_ s: String) -> [String] { s.split(separator: "\n").map(String.init).filter { !$0.contains("seeds/s") } }
        #expect(body(out) == body(ExploreReport.text(local)))
        #expect(out.contains("check \(file):14:5 object BroadcastJob/default/flip"))
        // A replay command reproduces the failure it is printed under.
        let seed = try #require(local.failing.first?.seed)
        #expect(out.contains("replay: kruise-sim run \(file) --seed \(seed)\n"))
        let replay = try runKruiseSim(["run", file, "--seed", String(seed)])
        #expect(replay.status == 1)
        #expect(replay.out.contains("FAILED object BroadcastJob/default/flip"))
        // So does the printed shrink command, into a file that fails the same check.
        let shrinkLine = try #require(out.split(separator: "\n").first { $0.hasPrefix("  shrink: kruise-sim shrink ") })
        let args = shrinkLine.split(separator: " ").dropFirst(2).map(String.init)
        #expect(args == ["shrink", file, "--seed", String(seed), "--keep", "\(file):14:5", "-o", "coin-flip-seed-\(seed).yaml"])
        let shrunk = try runKruiseSim(args, in: dir)
        #expect(shrunk.status == 0, "\(shrunk.err)")
        let text = try String(contentsOf: dir.appendingPathComponent("coin-flip-seed-\(seed).yaml"), encoding: .utf8)
        #expect(try runScenario(text).failedChecks.map(\.subject) == ["object BroadcastJob/default/flip"])
    }

    @Test func explorePassesWhenNoSeedFails() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip.replacingOccurrences(of: "failureRate: 0.5", with: "failureRate: 0"), name: "steady.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, out, _) = try runKruiseSim(["explore", file, "--seeds", "1..6", "--jobs", "2", "--json"])
        #expect(status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        #expect(json?["seedsRun"] as? Int == 6)
        #expect(json?["failedSeeds"] as? Int == 0)
    }

    @Test func badInputExitsTwoWithTheReason() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip, name: "coin-flip.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.yaml").path
        try "duration: 1m\nnodes: [{namePrefix: n, cuont: 2}]\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["explore", file, "--seeds", "9..1"], "the range is empty"),
            (["explore", file, "--seeds", "1-9"], "expected A..B"),
            (["explore", file, "--seeds", "1..x"], "\"x\" is not a seed"),
            (["explore", file, "--seeds", "1..9", "--shard", "3/3"], "the index must be from 0 to 2"),
            (["explore", file, "--seeds", "1..9", "--shard", "0/0"], "N must be at least 1"),
            (["explore", file, "--seeds", "1..9", "--shard", "1"], "expected I/N"),
            (["explore", file, "--seeds", "1..9", "--jobs", "0"], "--jobs must be"),
            (["explore", file, "--seeds", "1..9", "--mutant", "no-expectation"], "did you mean \"no-expectations\"?"),
            (["explore", broken, "--seeds", "1..9"], "broken.yaml:2:25: unknown key \"cuont\""),
            (["explore", file, "--seeds", "1..9", "--faults", "defualt"], "did you mean \"default\"?"),
            (["shrink", file, "--seed", "1", "--faults", "hevy", "-o", dir.appendingPathComponent("o.yaml").path], "did you mean \"heavy\"?"),
            (["explore", dir.appendingPathComponent("missing.yaml").path, "--seeds", "1..9"], "no such file"),
            (["shrink", file, "--seed", "x", "-o", dir.appendingPathComponent("o.yaml").path], "--seed must be"),
            (["shrink", broken, "--seed", "1", "-o", dir.appendingPathComponent("o.yaml").path], "unknown key \"cuont\""),
            (["shrink", file, "--seed", "1", "--mutant", "taints", "-o", dir.appendingPathComponent("o.yaml").path], "did you mean \"ignore-taints\"?"),
        ]
        for (args, message) in cases {
            let (status, out, err) = try runKruiseSim(args)
            #expect(status == 2, "\(args)")
            #expect(err.contains(message), "\(args): \(err)")
            #expect(out.isEmpty, "\(args)")
        }
        #expect(throws: ExploreInputError.self) { try SeedRange(parsing: "0..18446744073709551615") }
    }

    @Test func shrinkingAPassingRunIsRefused() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip.replacingOccurrences(of: "failureRate: 0.5", with: "failureRate: 0"), name: "steady.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.yaml").path
        let (status, _, err) = try runKruiseSim(["shrink", file, "--seed", "3", "-o", out])
        #expect(status == 2)
        #expect(err.contains("passes under seed 3: nothing to shrink"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func shrinkKeepsAFailingCheckAndDropsTheRest() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip + "\n  - {at: end, count: pod, is: 2}\n  - {at: 30s, count: node, is: 2}\n", name: "coin-flip.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = ExploreRequest(file: file, seeds: try SeedRange(parsing: "1..30"), failFast: true)
        let seed = try #require(Explorer.explore(q, scenario: try Explorer.load(q), executable: nil).stoppedAt)
        let out = dir.appendingPathComponent("flip-fails.yaml").path
        let r = try Shrinker(ShrinkRequest(file: file, seed: seed, output: out)) { _ in }.shrink()
        #expect(r.target.kind == .check)
        #expect(r.after.checks == 1)
        #expect(r.after.nodes <= 2)
        try AtomicFile.write(r.yaml, to: out)
        let o = try runScenario(r.yaml, file: out)
        #expect(o.failedChecks.map(\.subject) == ["object BroadcastJob/default/flip"])
    }

    @Test func faultProfilesReachTheWorkersTheReplayAndTheShrunkFile() throws {
        let basics = Self.root.appendingPathComponent("scenarios/broadcast-basics.yaml").path
        // Worker processes under a profile give what one process gives, and the replay names the profile.
        let q = ExploreRequest(file: basics, seeds: try SeedRange(parsing: "1..24"), faults: .default)
        let local = Explorer.explore(q, scenario: try Explorer.load(q), executable: nil)
        let (status, out, _) = try runKruiseSim(["explore", basics, "--seeds", "1..24", "--faults", "default", "--jobs", "2"])
        #expect(status == (local.passed ? 0 : 1))
        func body(_ s: String) -> [String] { s.split(separator: "\n").map(String.init).filter { !$0.contains("seeds/s") } }
        #expect(body(out) == body(ExploreReport.text(local)))
        #expect(out.hasPrefix("explore \(basics): seeds 1..24, faults default\n"))
        #expect(q.replayCommand(seed: 7) == "kruise-sim run \(basics) --seed 7 --faults default")

        // A mutant's failure under faults: the shrunk file carries the faults it needs and replays without --faults.
        let lag = ExploreRequest(file: Self.cacheLag, seeds: try SeedRange(parsing: "1..200"), mutant: .noExpectations, faults: .default, failFast: true)
        let seed = try #require(Explorer.explore(lag, scenario: try Explorer.load(lag), executable: nil).stoppedAt)
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("lag-faults.yaml").path
        var log: [String] = []
        let r = try Shrinker(ShrinkRequest(file: Self.cacheLag, seed: seed, mutant: .noExpectations, faults: .default, output: file)) { log.append($0) }.shrink()
        #expect(r.replayFaults == nil)
        #expect(log.contains("faults: profile default written out in settings.faults"))
        #expect(r.after.nodes <= 3)
        try AtomicFile.write(r.yaml, to: file)
        let s = try ScenarioLoader.load(path: file)
        #expect(s.faultProfile == nil)
        let o = Simulation(scenario: s, mutant: .noExpectations).run()
        #expect(o.violations.contains { $0.invariant == "onePodPerNode" })
    }

    /// A worker that dies on one seed: that seed is reported as a crash, the rest of its batch is
    /// run by a new worker, and the sweep goes on.
    @Test func aWorkerThatDiesReportsItsSeedAsACrash() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip, name: "coin-flip.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A stand-in for the executable: `explore-worker FILE --seed-list a,b,c ...`; passes every
        // seed but 13, on which it dies after printing a fatal error, as a trapped engine would.
        let worker = dir.appendingPathComponent("worker.sh")
        try """
            #!/bin/sh
            for s in $(echo "$4" | tr , ' '); do
              if [ "$s" = 13 ]; then echo "Fatal error: boom at seed 13" >&2; kill -KILL $$; fi
              echo "{\\"failures\\":[],\\"seed\\":$s}"
            done
            """.write(to: worker, atomically: true, encoding: .utf8)
        #expect(chmod(worker.path, 0o755) == 0)
        let q = ExploreRequest(file: file, seeds: try SeedRange(parsing: "10..29"), jobs: 2)
        let r = Explorer.explore(q, scenario: try Explorer.load(q), executable: worker.path)
        #expect(r.seedsRun == 20)
        #expect(r.failing.map(\.seed) == [13])
        let g = try #require(r.groups.first)
        #expect(g.failure.kind == .crash)
        #expect(g.failure.key == "engine crashed (Fatal error: boom at seed 13)")
        #expect(ExploreReport.text(r).contains("replay: kruise-sim run \(file) --seed 13\n"))
    }

    @Test func keepChoosesWhichFailureToShrink() throws {
        let (dir, file) = try Self.writeTemp(Self.coinFlip + "\n  - {at: 1m, count: pod, is: 99}\n", name: "two-failures.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.yaml").path
        // Seed 1 fails both checks; the count check at 1m comes first.
        let first = try Shrinker(ShrinkRequest(file: file, seed: 1, output: out)) { _ in }.shrink()
        #expect(first.signature.count == 2)
        #expect(first.target.key == "check \(file):15:5 count Pod")
        let kept = try Shrinker(ShrinkRequest(file: file, seed: 1, keep: "object BroadcastJob", output: out)) { _ in }.shrink()
        #expect(kept.target.key == "check \(file):14:5 object BroadcastJob/default/flip")
        #expect(kept.after.checks == 1)
        let o = try runScenario(kept.yaml, file: out)
        #expect(o.failedChecks.map(\.subject) == ["object BroadcastJob/default/flip"])
        #expect(throws: ShrinkError.self) { try Shrinker(ShrinkRequest(file: file, seed: 1, keep: "onePodPerNode", output: out)) { _ in }.shrink() }
        // An empty shard runs nothing and passes.
        var q = ExploreRequest(file: file, seeds: try SeedRange(parsing: "1..2"))
        q.shard = try Shard(parsing: "3/4")
        let r = Explorer.explore(q, scenario: try Explorer.load(q), executable: nil)
        #expect(r.seedsRun == 0 && r.passed)
    }

    @Test func timelineActionsOnRemovedNodesGoWithThem() throws {
        let yaml = """
            duration: 1m
            nodes: [{namePrefix: n, count: 8}]
            timeline:
              - {at: 5s, cordon: n8}
              - {at: 6s, taint: {node: n7, key: k, effect: NoSchedule}}
            expect:
              - {at: 30s, count: node, is: 99}
            """
        let (dir, file) = try Self.writeTemp(yaml, name: "nodes.yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        var log: [String] = []
        let out = dir.appendingPathComponent("o.yaml").path
        let r = try Shrinker(ShrinkRequest(file: file, seed: 1, output: out)) { log.append($0) }.shrink()
        #expect(r.after.nodes == 0 && r.after.timeline == 0 && r.after.checks == 1)
        let step = try #require(log.firstIndex(of: "nodes: group n from 8 to 1 node"))
        #expect(log[step + 1].hasPrefix("  and removed timeline action"))
        #expect(log.contains("  and removed timeline action {at: 5s, cordon: n8} (it no longer loads)"), "\(log)")
        #expect(log.contains("  and removed timeline action {at: 6s, taint: {node: n7, key: k, effect: NoSchedule}} (it no longer loads)"), "\(log)")
        _ = try ScenarioLoader.load(text: r.yaml, file: out)
    }
}
