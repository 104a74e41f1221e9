import Benchmark
import Engine
import Foundation
import Sim

// Micro-benchmarks of the simulator's hot paths, one path each, so that a regression shows in
// the function that caused it (the whole-simulation benchmarks are in SimBenchmarks). Inputs
// are built before `startMeasurement()` (or once, in `setup:`); only the path is measured.
// One iteration is one workload of the size in the name (`scalingFactor` .one).

// MARK: Kernel event queue

/// Schedules `count` events at times spread over one second in 1 ms steps (many events share
/// an instant, as writes and deliveries do), then runs them all.
func kernelScheduleThenRun(_ count: Int) -> UInt64 {
    let kernel = Kernel(start: t0)
    let fired = Counter()
    var x: UInt64 = 42
    for _ in 0..<count {
        let at = t0.adding(nanos: Int64(lcg(&x) % 1_000) * 1_000_000)
        kernel.schedule(at: at) { fired.value += 1 }
    }
    kernel.run(until: t0.adding(seconds: 10))
    precondition(fired.value == count)
    return kernel.eventsRun
}

/// `chains` event chains, each event scheduling its successor 1–64 ms later until `count`
/// events have run: inserts and pops interleaved on a queue of `chains` pending events, the
/// shape of a running simulation.
func kernelChains(_ count: Int, chains: Int) -> UInt64 {
    let kernel = Kernel(start: t0)
    let fired = Counter()
    var x: UInt64 = 7
    func step() {
        fired.value += 1
        guard fired.value + chains <= count else { return }
        kernel.schedule(at: kernel.now.adding(nanos: Int64(1 + lcg(&x) % 64) * 1_000_000)) { step() }
    }
    for c in 0..<chains { kernel.schedule(at: t0.adding(nanos: Int64(c))) { step() } }
    kernel.run(until: t0.adding(seconds: 1_000_000))
    precondition(fired.value == count)
    return kernel.eventsRun
}

// MARK: API server

/// A fresh server with `watchers` pod watchers (a simulation has three: the controller manager,
/// the scheduler and the kubelets), each counting its deliveries.
func serverWithWatchers(_ watchers: Int) -> (Kernel, APIServer, Counter) {
    let kernel = Kernel(start: t0)
    let server = APIServer(kernel: kernel, rng: RandomStreams(seed: 1))
    let delivered = Counter()
    for name in ["controller-manager", "scheduler", "kubelets"].prefix(watchers) {
        server.addWatcher(APIServer.Watcher(name: name, kinds: [.pod], delay: { 0.001 }, start: kernel.now) { _, _ in
            delivered.value += 1
        })
    }
    return (kernel, server, delivered)
}

/// Pods as a controller submits them: name, owner and labels, no uid or resourceVersion.
func podsToCreate(_ count: Int) -> [APIObject] {
    let job = makeJob("wide", uid: "job-uid")
    return (0..<count).map { i in
        var p = makeJobPod(i, job: job)
        p.metadata.uid = nil
        p.metadata.resourceVersion = nil
        p.metadata.generation = nil
        p.status = nil
        return .pod(p)
    }
}

/// Creates every pod at the kernel's instant, then delivers the watch events (3 per write).
func createAll(_ pods: [APIObject], on kernel: Kernel, _ server: APIServer) -> [APIObject] {
    var created: [APIObject] = []
    created.reserveCapacity(pods.count)
    for p in pods { created.append(try! server.create(p, actor: .controllerManager)) }
    kernel.run(until: kernel.now.adding(seconds: 1))
    return created
}

/// The status a kubelet writes once the pod runs.
func runningStatus(_ objects: [APIObject]) -> [APIObject] {
    objects.map { o in
        guard case .pod(var p) = o else { fatalError("not a pod") }
        var st = PodStatus(phase: PodPhase.running)
        st.containerStatuses = [ContainerStatus(name: "c", restartCount: 0)]
        p.status = st
        return .pod(p)
    }
}

// MARK: Informer

/// Two alternating generations of status updates for every pod of a cache, so each iteration
/// applies real (changed) MODIFIED events without rebuilding the cache.
final class InformerUpdates {
    let cache: InformerCache
    let generations: [[Pod]]
    var round = 0
    init(nodes: Int) {
        let job = makeJob("wide", uid: "job-uid")
        cache = makeCache(nodes: nodes, jobs: [job])
        generations = [1, 0].map { restarts in
            (0..<nodes).map { i in
                var p = makeJobPod(i, job: job)
                p.status!.containerStatuses = [ContainerStatus(name: "c", restartCount: Int32(restarts))]
                p.metadata.resourceVersion = String(200_000 + i)
                return p
            }
        }
    }
}

// MARK: BroadcastJob reconcile

/// A cache of `nodes` nodes, each with the running pod of one BroadcastJob.
final class ReconcileFixture {
    let job = makeJob("wide", uid: "job-uid")
    let cache: InformerCache
    let client = ImmediateClient()
    let clock = FixedClock(t0.adding(seconds: 60))
    let recorder = CountingRecorder()
    init(nodes: Int) { cache = makeCache(nodes: nodes, jobs: [job]) }

    func controller() -> BroadcastJobController {
        BroadcastJobController(client: client, cache: cache, clock: clock, recorder: recorder, queue: WorkQueue(clock: clock))
    }
}

// MARK: Node fitness

/// The pod spec a BroadcastJob template carries in the fitness benchmarks: a node selector,
/// a toleration for a taint the nodes do not have, and requests.
func fitnessTemplate() -> PodSpec {
    var spec = podSpec()
    spec.nodeSelector = ["pool": "general"]
    spec.tolerations = [Toleration(key: "gpu", operator: "Exists", effect: Taint.noSchedule)]
    return spec
}

// MARK: Cron

/// Walks `count` consecutive fire times of `spec` from `start`; returns the last.
func cronWalk(_ spec: String, zone: TimeZone, from start: Date, count: Int) -> Date {
    let schedule = try! CronSchedule.parse(spec, defaultZone: zone)
    var t = start
    for _ in 0..<count { t = schedule.next(after: t)! }
    return t
}

let newYork = TimeZone(identifier: "America/New_York")!
let utc = TimeZone(identifier: "UTC")!
/// 2024-03-01T00:00:00Z: 10,000 five-minute steps (34.7 days) cross the 10 March DST change.
let cronStart = Date(timeIntervalSince1970: 1_709_251_200)

// MARK: Registration

let benchmarks: @Sendable () -> Void = {
    // CPU time is left out: on Linux it counts in 10 ms ticks, too coarse for these. For
    // `baseline check`: allocation counts repeat to within a few dozen (the harness's own), so
    // they are the sharp signal: 100 more at the median is one more allocation per item in any
    // 10k-item benchmark. Wall time on a shared machine varies by tens of percent, so it only
    // flags a median 25% off.
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
                                           timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 50,
                                           thresholds: [.wallClock: .init(relative: [.p50: 25.0]),
                                                        .mallocCountTotal: .init(absolute: [.p50: 100])])

    Benchmark("kernel: schedule then run 100k events") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(kernelScheduleThenRun(100_000)) }
    }
    Benchmark("kernel: 100k events in 1k self-scheduling chains") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(kernelChains(100_000, chains: 1_000)) }
    }

    // With no watcher the store write alone (admission, uid, resourceVersion, store); with three,
    // plus the fan-out: one kernel event per watcher per write, scheduled and delivered.
    for watchers in [0, 3] {
        Benchmark("apiserver: create 10k pods, \(watchers) watchers") { benchmark in
            let inputs = benchmark.scaledIterations.map { _ in (serverWithWatchers(watchers), podsToCreate(10_000)) }
            benchmark.startMeasurement()
            for ((kernel, server, delivered), pods) in inputs {
                blackHole(createAll(pods, on: kernel, server))
                precondition(delivered.value == watchers * pods.count)
            }
            benchmark.stopMeasurement()
        }
        Benchmark("apiserver: update status of 10k pods, \(watchers) watchers") { benchmark in
            let inputs = benchmark.scaledIterations.map { _ in
                let (kernel, server, delivered) = serverWithWatchers(watchers)
                let created = createAll(podsToCreate(10_000), on: kernel, server)
                return (kernel, server, delivered, runningStatus(created))
            }
            benchmark.startMeasurement()
            for (kernel, server, delivered, updates) in inputs {
                for u in updates { blackHole(try! server.update(u, subresource: .status, actor: .kubelet)) }
                kernel.run(until: kernel.now.adding(seconds: 1))
                precondition(delivered.value == 2 * watchers * updates.count)
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("informer: 10k pods-by-node lookups, 10k-pod cache", closure: { benchmark, cache in
        let names = (0..<10_000).map(nodeName)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var found = 0
            for n in names { found += cache.pods.list(index: InformerCache.byNode, value: n).count }
            precondition(found == 10_000)
            blackHole(found)
        }
        benchmark.stopMeasurement()
    }, setup: { makeCache(nodes: 10_000, jobs: (0..<10).map { makeJob("job-\($0)", uid: "job-uid-\($0)") }) })

    Benchmark("informer: 100 pods-by-owner lookups of 1k pods, 10k-pod cache", closure: { benchmark, cache in
        let owners = (0..<10).map { "job-uid-\($0)" }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var found = 0
            for _ in 0..<10 {
                for o in owners { found += cache.pods.list(index: InformerCache.byControllerUID, value: o).count }
            }
            precondition(found == 100_000)
            blackHole(found)
        }
        benchmark.stopMeasurement()
    }, setup: { makeCache(nodes: 10_000, jobs: (0..<10).map { makeJob("job-\($0)", uid: "job-uid-\($0)") }) })

    Benchmark("informer: apply 10k pod status updates, 10k-pod cache", closure: { benchmark, state in
        for _ in benchmark.scaledIterations {
            let pods = state.generations[state.round % 2]
            state.round += 1
            benchmark.startMeasurement()
            for p in pods { state.cache.pods.apply(.modified, p) }
            benchmark.stopMeasurement()
        }
        blackHole(state.cache.pods.count)
    }, setup: { InformerUpdates(nodes: 10_000) })

    Benchmark("bcj reconcile: first pass, 10k nodes each with its pod", closure: { benchmark, fixture in
        for _ in benchmark.scaledIterations {
            // A new controller builds its view of the job from the cache. (Each registers handlers
            // on the shared cache; the cache is never written here, so they never run.)
            let controller = fixture.controller()
            benchmark.startMeasurement()
            let result = try! await controller.reconcile(fixture.job.key)
            benchmark.stopMeasurement()
            precondition(result.requeueAfter == nil && fixture.client.writes > 0)
            blackHole(result)
        }
    }, setup: { ReconcileFixture(nodes: 10_000) })

    // A steady-state pass allocates a few dozen times: 10 more is a regression.
    let fewAllocations = Benchmark.Configuration(thresholds: [.wallClock: .init(relative: [.p50: 25.0]),
                                                              .mallocCountTotal: .init(absolute: [.p50: 10])])
    Benchmark("bcj reconcile: after one pod changed, 10k nodes each with its pod", configuration: fewAllocations, closure: { (benchmark: Benchmark, state: (ReconcileFixture, BroadcastJobController)) async in
        let (fixture, controller) = state
        for _ in benchmark.scaledIterations {
            // A pod's restart count changes (outside the measurement): its node is dirty. One
            // status write per pass, so `writes` numbers the passes; the pod moves each pass.
            let pass = fixture.client.writes
            var pod = makeJobPod((pass * 7_919) % 10_000, job: fixture.job)
            pod.status!.containerStatuses = [ContainerStatus(name: "c", restartCount: Int32(pass % 2 + 1))]
            fixture.cache.pods.apply(.modified, pod)
            benchmark.startMeasurement()
            let result = try! await controller.reconcile(fixture.job.key)
            benchmark.stopMeasurement()
            blackHole(result)
        }
    }, setup: {
        let fixture = ReconcileFixture(nodes: 10_000)
        let controller = fixture.controller()
        _ = try await controller.reconcile(fixture.job.key)  // the view is built once, here
        return (fixture, controller)
    })

    Benchmark("fitness: BroadcastJob template against 10k nodes", closure: { benchmark, nodes in
        let template = fitnessTemplate()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var fit = 0
            for n in nodes where NodeFitness.check(template, node: n, ignoringNodeName: true) == nil { fit += 1 }
            precondition(fit == 8_500)  // 1 in 10 tainted, 1 in 20 without the label, none both
            blackHole(fit)
        }
        benchmark.stopMeasurement()
    }, setup: { makeNodes(10_000, tainted: true) })

    Benchmark("fitness: scheduler check with one pod's requests on each of 10k nodes", closure: { benchmark, nodes in
        let template = fitnessTemplate()
        let used = ResourceUsage.requests(of: podSpec())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var fit = 0
            for n in nodes where NodeFitness.check(template, node: n, requestedOnNode: used) == nil { fit += 1 }
            precondition(fit == 8_500)
            blackHole(fit)
        }
        benchmark.stopMeasurement()
    }, setup: { makeNodes(10_000, tainted: true) })

    Benchmark("cron: parse */5 and 10k next, UTC") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(cronWalk("*/5 * * * *", zone: utc, from: cronStart, count: 10_000)) }
    }
    Benchmark("cron: parse */5 and 10k next, America/New_York (crosses DST)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(cronWalk("*/5 * * * *", zone: newYork, from: cronStart, count: 10_000)) }
    }
    Benchmark("cron: parse 30 2 * * * and 1k next, America/New_York (skipped hour)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(cronWalk("30 2 * * *", zone: newYork, from: cronStart, count: 1_000)) }
    }
}
