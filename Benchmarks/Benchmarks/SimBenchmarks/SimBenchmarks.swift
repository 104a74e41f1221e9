import Benchmark
import Engine
import Foundation
import Sim

/// A BroadcastJob to every node of an N-node cluster, run to completion in virtual time.
/// One iteration is one whole simulation: load the scenario, build the cluster, run it.
func broadcastScenario(nodes: Int) -> String {
    """
    name: broadcast-\(nodes)
    description: A broadcast to \(nodes) nodes, run to completion.
    duration: 10m
    settings: {clientQPS: 1000, clientBurst: 1000}
    nodes:
      - {namePrefix: n, count: \(nodes)}
    images:
      t: {run: 30s}
    manifests:
      - apiVersion: apps.kruise.io/v1beta1
        kind: BroadcastJob
        metadata: {name: wide}
        spec:
          template:
            spec: {restartPolicy: Never, containers: [{name: t, image: t}]}
    expect:
      - {at: end, object: bcj/wide, fields: {status.phase: completed, status.succeeded: \(nodes)}}
    """
}

/// An every-5-minute AdvancedCronJob over a simulated day on a small cluster: time compression.
let cronDay = """
    name: cron-day
    description: A simulated day of the seed article's AdvancedCronJob on 20 nodes.
    duration: 24h
    nodes:
      - {namePrefix: w, count: 20}
    images:
      cleaner: {run: 20s}
    manifests:
      - apiVersion: apps.kruise.io/v1alpha1
        kind: AdvancedCronJob
        metadata: {name: acj-test}
        spec:
          schedule: "*/5 * * * *"
          template:
            broadcastJobTemplate:
              spec:
                completionPolicy: {type: Always, ttlSecondsAfterFinished: 90}
                template:
                  spec: {restartPolicy: OnFailure, containers: [{name: c, image: cleaner}]}
    """

func run(_ yaml: String) -> RunOutcome {
    let s = try! ScenarioLoader.load(text: yaml, file: "bench.yaml")
    let o = Simulation(scenario: s).run()
    precondition(o.passed, "benchmark scenario failed")
    return o
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
                                           maxDuration: .seconds(20), maxIterations: 5)
    for n in [1_000, 10_000] {
        let yaml = broadcastScenario(nodes: n)
        Benchmark("broadcast to \(n) nodes", configuration: .init(thresholds: [.wallClock: .init(absolute: [.p90: n >= 10_000 ? 3_000_000_000 : 400_000_000])])) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(run(yaml)) }
        }
    }
    Benchmark("one simulated day of a 5-minute AdvancedCronJob on 20 nodes") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(run(cronDay)) }
    }
}
