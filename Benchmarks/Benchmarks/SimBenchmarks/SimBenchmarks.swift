import Benchmark
import Engine
import Foundation
import Sim

/// Whole simulations of the workloads in `Benchmarks/scenarios/` (the files BENCHMARKS.md times
/// with `kruise-sim run`), so each workload is defined once. One iteration is one whole
/// simulation: load the scenario, build the cluster, run it.
let scenarios: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scenarios")

func load(_ name: String) -> Scenario {
    try! ScenarioLoader.load(path: scenarios.appendingPathComponent(name).path)
}

func run(_ s: Scenario) -> RunOutcome {
    let o = Simulation(scenario: s).run()
    precondition(o.passed, "benchmark scenario \(s.name) failed")
    return o
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
                                           maxDuration: .seconds(20), maxIterations: 5)
    for n in [1_000, 10_000] {
        let s = load("broadcast-\(n).yaml")
        Benchmark("broadcast to \(n) nodes", configuration: .init(thresholds: [.wallClock: .init(absolute: [.p90: n >= 10_000 ? 4_500_000_000 : 600_000_000])])) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(run(s)) }
        }
    }
    let cronDay = load("cron-day-20.yaml")
    Benchmark("one simulated day of a 5-minute AdvancedCronJob on 20 nodes") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(run(cronDay)) }
    }
}
