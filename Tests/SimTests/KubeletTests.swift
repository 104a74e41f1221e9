import Foundation
import Testing
@testable import Sim
import Engine

/// The virtual kubelet, seen the way a scenario sees it: pod status and node views at given times.
/// Pods here are bare Pod manifests bound with `spec.nodeName`, so no controller is involved.
@Suite struct KubeletTests {
    static func pod(_ name: String, node: String = "n1", image: String, restartPolicy: String = "Always", pullPolicy: String? = nil) -> String {
        """
          - apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              nodeName: \(node)
              restartPolicy: \(restartPolicy)
              containers: [{name: c, image: "\(image)"\(pullPolicy.map { ", imagePullPolicy: \($0)" } ?? "")}]

        """
    }

    // MARK: Image pulls

    @Test func imagePullTakesSizeOverBandwidth() throws {
        let o = try runScenario("""
        duration: 30s
        nodes: [{name: n1}]
        images:
          big:v1: {size: 500MB, run: forever}
        manifests:
        \(Self.pod("p", image: "big:v1"))
        expect:
          - {at: 9s, object: po/p, fields: {status.phase: Pending, "status.containerStatuses[0].state.waiting.reason": ContainerCreating}}
          - {at: 9s, node: n1, fields: {imageCount: 0}}
          - {at: 11s, object: po/p, fields: {status.phase: Running, "status.containerStatuses[0].state.running.startedAt": "2024-01-01T00:00:10Z"}}
          # 10Gi used at the start, plus the 500MB image.
          - {at: 11s, node: n1, fields: {imageCount: 1, diskUsed: 11237418240, diskUsedPercent: 10.5}}
        """)
        expectPassed(o, checks: 4)
    }

    @Test func pullsOnOneNodeAreSerializedAndBandwidthIsASetting() throws {
        let o = try runScenario("""
        duration: 30s
        settings: {imagePullBandwidth: 100MB}
        nodes: [{name: n1}, {name: n2}]
        images:
          a:v1: {size: 500MB, run: forever}
          b:v1: {size: 500MB, run: forever}
        manifests:
        \(Self.pod("pa", image: "a:v1"))\(Self.pod("pb", image: "b:v1"))\(Self.pod("other", node: "n2", image: "b:v1"))
        expect:
          # 500MB at 100MB/s: 5s; the second pull on n1 waits for the first.
          - {at: 4900ms, object: po/pa, fields: {status.phase: Pending}}
          - {at: 5100ms, object: po/pa, fields: {status.phase: Running}}
          - {at: 9900ms, object: po/pb, fields: {status.phase: Pending}}
          - {at: 10100ms, object: po/pb, fields: {status.phase: Running}}
          # n2 pulls on its own.
          - {at: 5100ms, object: po/other, fields: {status.phase: Running}}
        """)
        expectPassed(o, checks: 5)
    }

    @Test func ifNotPresentWithTheImagePresentStartsAtOnce() throws {
        let o = try runScenario("""
        duration: 30s
        nodes: [{name: n1, images: [{name: big:v1, size: 500MB}]}]
        images:
          big:v1: {size: 500MB, run: forever}
        manifests:
        \(Self.pod("p", image: "docker.io/library/big:v1", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 1s, object: po/p, fields: {status.phase: Running, "status.containerStatuses[0].state.running.startedAt": "2024-01-01T00:00:00Z"}}
          - {at: 1s, node: n1, fields: {imageCount: 1, diskUsed: 11237418240}}
        """)
        expectPassed(o, checks: 2)
    }

    @Test func neverWithTheImageAbsentStaysPending() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, images: [{name: here:v1, size: 1MB}]}]
        images:
          here:v1: {run: forever}
          absent:v1: {run: forever}
        manifests:
        \(Self.pod("p", image: "absent:v1", pullPolicy: "Never"))\(Self.pod("q", image: "here:v1", pullPolicy: "Never"))
        expect:
          - at: 1m
            object: po/p
            fields:
              status.phase: Pending
              "status.containerStatuses[0].state.waiting.reason": ErrImageNeverPull
              "status.containerStatuses[0].state.waiting.message": {matches: "is not present with pull policy of Never"}
          - {at: 1m, node: n1, fields: {imageCount: 1}}
          # With the image there, Never runs it.
          - {at: 1s, object: po/q, fields: {status.phase: Running}}
        """)
        expectPassed(o, checks: 3)
    }

    // MARK: Exits and restarts

    @Test func onFailureRestartsWithBackOff10s20s40s() throws {
        // The image is present: the container starts at 0 and exits with 1 after 1s each time.
        // Exits at 1s, 12s, 33s, 74s; restarts 10s, 20s, 40s later, at 11s, 32s, 73s.
        let o = try runScenario("""
        duration: 2m
        nodes: [{name: n1, images: [{name: crash:v1, size: 10MB}]}]
        images:
          crash:v1: {run: 1s, exitCode: 1}
        manifests:
        \(Self.pod("p", image: "crash:v1", restartPolicy: "OnFailure", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 500ms, object: po/p, fields: {status.phase: Running, "status.containerStatuses[0].restartCount": 0, "status.containerStatuses[0].state.running": {exists: true}}}
          - at: 5s
            object: po/p
            fields:
              status.phase: Running
              "status.containerStatuses[0].restartCount": 0
              "status.containerStatuses[0].state.waiting.reason": CrashLoopBackOff
              "status.containerStatuses[0].lastState.terminated.exitCode": 1
          - {at: 10900ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 0}}
          - {at: 11100ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 1, "status.containerStatuses[0].state.running.startedAt": "2024-01-01T00:00:11Z"}}
          - {at: 31900ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 1, "status.containerStatuses[0].state.waiting.reason": CrashLoopBackOff}}
          - {at: 32100ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 2, "status.containerStatuses[0].state.running": {exists: true}}}
          - {at: 72900ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 2}}
          - {at: 73100ms, object: po/p, fields: {"status.containerStatuses[0].restartCount": 3, status.phase: Running}}
        """)
        expectPassed(o, checks: 8)
    }

    @Test func neverFailsThePodOnExit1AndSucceedsOnExit0() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, images: [{name: fail:v1, size: 10MB}, {name: ok:v1, size: 10MB}]}]
        images:
          fail:v1: {run: 2s, exitCode: 1}
          ok:v1: {run: 2s}
        manifests:
        \(Self.pod("bad", image: "fail:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))\(Self.pod("good", image: "ok:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 1s, object: po/bad, fields: {status.phase: Running}}
          - at: 3s
            object: po/bad
            fields:
              status.phase: Failed
              "status.containerStatuses[0].state.terminated.exitCode": 1
              "status.containerStatuses[0].state.terminated.reason": Error
          - {at: 1m, object: po/bad, fields: {status.phase: Failed, "status.containerStatuses[0].restartCount": 0}}
          - at: 3s
            object: po/good
            fields:
              status.phase: Succeeded
              "status.containerStatuses[0].state.terminated.exitCode": 0
              "status.containerStatuses[0].state.terminated.reason": Completed
          - {at: 3s, node: n1, fields: {pods: 0}}
        """)
        expectPassed(o, checks: 5)
    }

    @Test func onFailureDoesNotRestartASuccessfulContainer() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, images: [{name: ok:v1, size: 10MB}]}]
        images:
          ok:v1: {run: 2s}
        manifests:
        \(Self.pod("p", image: "ok:v1", restartPolicy: "OnFailure", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 1m, object: po/p, fields: {status.phase: Succeeded, "status.containerStatuses[0].restartCount": 0}}
        """)
        expectPassed(o, checks: 1)
    }

    @Test func killPodExitsRunningContainersWith1() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, images: [{name: loop:v1, size: 10MB}]}]
        images:
          loop:v1: {run: forever}
        manifests:
        \(Self.pod("restarts", image: "loop:v1", restartPolicy: "OnFailure", pullPolicy: "IfNotPresent"))\(Self.pod("fails", image: "loop:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        timeline:
          - {at: 5s, killPod: {ref: po/restarts}}
          - {at: 5s, killPod: {ref: po/fails}}
        expect:
          - {at: 4s, object: po/restarts, fields: {status.phase: Running, "status.containerStatuses[0].state.running": {exists: true}}}
          - at: 5100ms
            object: po/restarts
            fields:
              "status.containerStatuses[0].state.waiting.reason": CrashLoopBackOff
              "status.containerStatuses[0].lastState.terminated.exitCode": 1
              "status.containerStatuses[0].restartCount": 0
          - {at: 15100ms, object: po/restarts, fields: {"status.containerStatuses[0].restartCount": 1, "status.containerStatuses[0].state.running": {exists: true}}}
          - {at: 5100ms, object: po/fails, fields: {status.phase: Failed, "status.containerStatuses[0].state.terminated.exitCode": 1}}
        """)
        expectPassed(o, checks: 4)
    }

    @Test func killPodOfAPodWithNothingRunningIsAnActionError() throws {
        let yaml = """
        duration: 30s
        nodes: [{name: n1, images: [{name: ok:v1, size: 10MB}]}]
        images:
          ok:v1: {run: 1s}
        manifests:
        \(Self.pod("p", image: "ok:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        timeline:
          - {at: 10s, killPod: {ref: po/p}}
        """
        let o = try runScenario(yaml)
        #expect(!o.passed)
        #expect(o.actionErrors.count == 1)
        #expect(o.actionErrors.first?.message.contains("has no running container") == true)
        #expect(o.actionErrors.first?.location.line == position(of: "killPod", in: yaml).line)
        #expect(o.actionErrors.first?.time == Timestamp(rfc3339: "2024-01-01T00:00:10Z"))
    }

    // MARK: Deletion

    @Test func deletePodStopsContainersAtOnceAndThePodGoesWhenTheKubeletConfirms() throws {
        // Each `work` container would fill 30GB of disk when it exits 0 at 5s. The pod on n1 is
        // deleted at 2s, so its container never gets there; the one on n2 does.
        let (sim, o) = try simulate("""
        duration: 30s
        nodes:
          - {name: n1, disk: {capacity: 100GB, used: 10GB}, images: [{name: work:v1, size: 1GB}]}
          - {name: n2, disk: {capacity: 100GB, used: 10GB}, images: [{name: work:v1, size: 1GB}]}
        images:
          work:v1: {run: 5s, effects: [{fillDisk: 30GB}]}
        manifests:
        \(Self.pod("p", image: "work:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))\(Self.pod("q", node: "n2", image: "work:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        timeline:
          - {at: 2s, deletePod: {ref: po/p}}
        expect:
          - {at: 2s, object: po/p, fields: {metadata.deletionTimestamp: "2024-01-01T00:00:02Z"}}
          - {at: 2100ms, absent: po/p}
          - {at: 10s, node: n1, fields: {diskUsed: 11000000000, pods: 0}}
          - {at: 10s, node: n2, fields: {diskUsed: 41000000000}}
        """)
        expectPassed(o, checks: 4)
        #expect(sim.kubelets["n1"]!.activePodCount == 0)
        #expect(sim.kubelets["n2"]!.diskUsed == 41_000_000_000)
    }

    @Test func deletingAPodOnADownNodeWaitsForTheKubelet() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, images: [{name: loop:v1, size: 10MB}]}]
        images:
          loop:v1: {run: forever}
        manifests:
        \(Self.pod("p", image: "loop:v1", pullPolicy: "IfNotPresent"))
        timeline:
          - {at: 5s, nodeDown: n1}
          - {at: 10s, delete: po/p}
          - {at: 30s, nodeUp: n1}
        expect:
          - {at: 20s, object: po/p, fields: {metadata.deletionTimestamp: {exists: true}}}
          - {at: 31s, absent: po/p}
        """)
        expectPassed(o, checks: 2)
    }

    // MARK: Disk

    @Test func deleteImagesKeepsTheImagesOfRunningContainers() throws {
        let o = try runScenario("""
        duration: 30s
        nodes:
          - name: n1
            disk: {capacity: 100GB, used: 20GB}
            images:
              - {name: old1:v1, size: 5GB}
              - {name: old2:v1, size: 5GB}
              - {name: keep:v1, size: 1GB}
              - {name: cleaner:v1, size: 1GB}
              - {name: quay.io/other/thing:v1, size: 1GB}
        images:
          keep:v1: {run: forever}
          cleaner:v1:
            run: 5s
            effects:
              - deleteImages: {match: "docker.io/library/*", keepInUse: true}
              - freeDisk: 10GB
        manifests:
        \(Self.pod("keeper", image: "keep:v1", pullPolicy: "IfNotPresent"))\(Self.pod("cleaner", image: "cleaner:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 4s, node: n1, fields: {imageCount: 5, diskUsed: 33000000000, diskUsedPercent: 33}}
          # keep:v1 runs, and cleaner:v1 is the image of the container whose script acts; quay.io/...
          # does not match. old1 and old2 go, and 10GB are freed.
          - {at: 6s, node: n1, fields: {imageCount: 3, diskUsed: 13000000000, diskUsedPercent: 13}}
        """)
        expectPassed(o, checks: 2)
    }

    @Test func deleteImagesWithoutKeepInUseRemovesRunningImagesToo() throws {
        let (sim, o) = try simulate("""
        duration: 30s
        nodes:
          - name: n1
            disk: {capacity: 100GB, used: 20GB}
            images: [{name: keep:v1, size: 1GB}, {name: cleaner:v1, size: 1GB}]
        images:
          keep:v1: {run: forever}
          cleaner:v1:
            run: 5s
            effects: [{deleteImages: {match: "docker.io/library/*", keepInUse: false}}, {fillDisk: 3GB}]
        manifests:
        \(Self.pod("keeper", image: "keep:v1", pullPolicy: "IfNotPresent"))\(Self.pod("cleaner", image: "cleaner:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        expect:
          - {at: 6s, node: n1, fields: {imageCount: 0, diskUsed: 23000000000}}
          - {at: 6s, object: po/keeper, fields: {status.phase: Running}}
        """)
        expectPassed(o, checks: 2)
        #expect(sim.kubelets["n1"]!.images.isEmpty)
    }

    @Test func aBareStarGlobMatchesEveryImage() throws {
        let (sim, o) = try simulate("""
        duration: 30s
        nodes:
          - name: n1
            images: [{name: minchou/cleaner:v1, size: 1GB}, {name: quay.io/x/y:v1, size: 1GB}, {name: busybox, size: 1GB}]
        images:
          minchou/cleaner:v1:
            run: 5s
            effects: [{deleteImages: {match: "*"}}]
        manifests:
        \(Self.pod("cleaner", image: "minchou/cleaner:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        expect:
          # Everything but the cleaner's own image (in use while its script runs).
          - {at: 6s, node: n1, fields: {imageCount: 1}}
        """)
        expectPassed(o, checks: 1)
        #expect(sim.kubelets["n1"]!.images.keys.sorted() == ["docker.io/minchou/cleaner:v1"])
    }

    @Test func diskPressureConditionAndTaintBelowTenPercentFree() throws {
        // 100GB disk, 85GB used: filling 6GB leaves 9% free (pressure); freeing 1GB leaves
        // exactly 10% free (no pressure: the threshold is below 10%).
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, disk: {capacity: 100GB, used: 85GB}}]
        timeline:
          - {at: 10s, fillDisk: {node: n1, size: 6GB}}
          - {at: 20s, freeDisk: {node: n1, size: 1GB}}
        expect:
          - {at: 5s, node: n1, fields: {diskUsedPercent: 85, "status.conditions[type=DiskPressure].status": "False", spec.taints: {exists: false}}}
          # The kubelet's status write lands one API latency (5ms) after the fill: not before.
          - {at: 10s, node: n1, fields: {diskUsedPercent: 91, "status.conditions[type=DiskPressure].status": "False", spec.taints: {exists: false}}}
          - at: 10.005s
            node: n1
            fields:
              diskUsedPercent: 91
              "status.conditions[type=DiskPressure].status": "True"
              "status.conditions[type=DiskPressure].reason": KubeletHasDiskPressure
              "spec.taints[key=node.kubernetes.io/disk-pressure].effect": NoSchedule
          - at: 20.005s
            node: n1
            fields:
              diskUsedPercent: 90
              "status.conditions[type=DiskPressure].status": "False"
              spec.taints: {exists: false}
              "status.conditions[type=Ready].status": "True"
        """)
        expectPassed(o, checks: 4)
    }

    @Test
    func aNodeThatStartsUnderPressureIsTaintedAtOnce() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: full, disk: {capacity: 100GB, used: 95GB}}]
        expect:
          - {at: 0s, node: full, fields: {"status.conditions[type=DiskPressure].status": "True", "spec.taints[key=node.kubernetes.io/disk-pressure].effect": NoSchedule}}
        """)
        expectPassed(o, checks: 1)
    }

    @Test func anImageEffectCanRelieveDiskPressure() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1, disk: {capacity: 100GB, used: 85GB}, images: [{name: cleaner:v1, size: 1GB}]}]
        images:
          cleaner:v1: {run: 5s, effects: [{freeDisk: 30GB}]}
        manifests:
        \(Self.pod("c", image: "cleaner:v1", restartPolicy: "Never", pullPolicy: "IfNotPresent"))
        timeline:
          - {at: 1s, fillDisk: {node: n1, size: 5GB}}
        expect:
          - {at: 2s, node: n1, fields: {diskUsedPercent: 91, "status.conditions[type=DiskPressure].status": "True"}}
          - {at: 6s, node: n1, fields: {diskUsedPercent: 61, "status.conditions[type=DiskPressure].status": "False", spec.taints: {exists: false}}}
        """)
        expectPassed(o, checks: 2)
    }

    // MARK: Pods that were already running

    static func runningPod(_ name: String, restartCount: Int, state: String?) -> String {
        """
          - apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              nodeName: n1
              restartPolicy: OnFailure
              containers: [{name: c, image: app}]
            status:
              phase: Running
              startTime: "2023-12-31T23:00:00Z"
              containerStatuses:
                - {name: c, image: app, restartCount: \(restartCount)\(state.map { ", state: \($0)" } ?? "")}

        """
    }

    @Test func aPodRunningAtTheStartKeepsItsContainerAndRestartCount() throws {
        // The manifest gives the container status without a state (as a fixture often does):
        // the container is taken as running since the pod started, and is not restarted.
        let o = try runScenario("""
        duration: 2m
        nodes: [{name: n1}]
        images:
          app: {run: forever}
        manifests:
        \(Self.runningPod("p", restartCount: 2, state: nil))
        expect:
          - at: 1m
            object: po/p
            fields:
              status.phase: Running
              "status.containerStatuses[0].restartCount": 2
              "status.containerStatuses[0].state.running.startedAt": "2023-12-31T23:00:00Z"
        """)
        expectPassed(o, checks: 1)
    }

    @Test func aRunningContainerAdoptedWithItsStateCountsOnlyLaterRestarts() throws {
        // It exits 1 after 10 s: the first restart after adoption makes the count 3, not 4.
        let o = try runScenario("""
        duration: 2m
        nodes: [{name: n1}]
        images:
          app: {run: 10s, exitCode: 1}
        manifests:
        \(Self.runningPod("p", restartCount: 2, state: "{running: {startedAt: \"2023-12-31T23:30:00Z\"}}"))
        expect:
          - {at: 5s, object: po/p, fields: {"status.containerStatuses[0].restartCount": 2}}
          # Exit at 10 s, back-off 10 s × 2^2 = 40 s: the restart comes at 50 s.
          - {at: 49s, object: po/p, fields: {"status.containerStatuses[0].restartCount": 2, "status.containerStatuses[0].state.waiting.reason": CrashLoopBackOff}}
          - {at: 51s, object: po/p, fields: {"status.containerStatuses[0].restartCount": 3, "status.containerStatuses[0].state.running.startedAt": {exists: true}}}
        """)
        expectPassed(o, checks: 3)
    }

    @Test func aPendingPodAdoptedWithoutStatesStartsWithoutCountingARestart() throws {
        let o = try runScenario("""
        duration: 1m
        nodes: [{name: n1}]
        images:
          app: {run: forever}
        manifests:
          - apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              nodeName: n1
              containers: [{name: c, image: app}]
            status:
              phase: Pending
              containerStatuses: [{name: c, image: app, restartCount: 0}]
        expect:
          - {at: 30s, object: po/p, fields: {status.phase: Running, "status.containerStatuses[0].restartCount": 0}}
        """)
        expectPassed(o, checks: 1)
    }
}
