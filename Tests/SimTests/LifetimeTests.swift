import Foundation
import Testing
@testable import Sim

/// A finished simulation must be freed: benchmarks and `kruise-sim run DIR` run many in one
/// process, and a retain cycle would keep every cluster in memory.
@Suite struct LifetimeTests {
    @Test func finishedSimulationIsFreed() throws {
        let yaml = """
        duration: 2m
        nodes: [{namePrefix: n, count: 3}]
        images: {busybox: {run: 10s}}
        manifests:
          - apiVersion: apps.kruise.io/v1beta1
            kind: BroadcastJob
            metadata: {name: j}
            spec:
              template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
          - apiVersion: apps.kruise.io/v1beta1
            kind: AdvancedCronJob
            metadata: {name: a}
            spec:
              schedule: "* * * * *"
              template:
                broadcastJobTemplate:
                  spec:
                    template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
        timeline:
          - {at: 30s, restartControllers: true}
          - {at: 40s, nodeDown: n2}
        """
        weak var weakSim: Simulation?
        weak var weakKernel: Kernel?
        do {
            let s = try ScenarioLoader.load(text: yaml, file: "lifetime.yaml")
            let sim = Simulation(scenario: s)
            _ = sim.run()
            weakSim = sim
            weakKernel = sim.kernel
        }
        #expect(weakSim == nil, "the Simulation is still referenced after its run")
        #expect(weakKernel == nil, "the Kernel is still referenced after its run")
    }
}
