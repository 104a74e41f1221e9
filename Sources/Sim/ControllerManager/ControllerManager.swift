import Foundation
import Engine

/// The simulated kruise/kube controller manager: shared informers (listed at start, then fed
/// by a watch after `watchDelay`), the Engine's controllers, `workers` per controller, and one
/// client with the `clientQPS`/`clientBurst` token bucket and `apiLatency`.
/// `restart` loses queues, caches and expectations and rebuilds them from a fresh list.
final class ControllerManager {
    unowned let world: Simulation
    /// The clients of the two processes this manager stands for, kruise-manager (BroadcastJob,
    /// AdvancedCronJob) and kube-controller-manager (Job, garbage collection, node lifecycle);
    /// new ones (fresh token buckets) each time they start.
    private(set) var client: SimClient
    private(set) var kubeClient: SimClient
    let host: ControllerHost
    private(set) var running = false
    private(set) var cache = InformerCache()
    private var watcher: APIServer.Watcher?
    /// Intervals during which the manager was down (for cronOnTime).
    private(set) var downSince: Timestamp?
    private(set) var downIntervals: [(Timestamp, Timestamp)] = []
    private(set) var bcj: BroadcastJobController?

    init(world: Simulation) {
        self.world = world
        client = Self.makeClient(world, kube: false)
        kubeClient = Self.makeClient(world, kube: true)
        host = ControllerHost(kernel: world.kernel)
        host.onError = { [unowned world] controller, key, error in
            world.reconcileFailed(controller, key, error)
        }
    }

    static func makeClient(_ world: Simulation, kube: Bool) -> SimClient {
        let s = world.settings
        let c = SimClient(server: world.server, actor: .controllerManager,
                  bucket: TokenBucket(qps: kube ? s.kubeControllerManagerQPS : s.clientQPS, burst: kube ? s.kubeControllerManagerBurst : s.clientBurst,
                                      start: world.kernel.now),
                  latency: { [unowned world] in world.settings.apiLatency.draw(world.rng, "latency") },
                  faults: { [unowned world] in world.faults }, rng: world.rng)
        if kube { c.component = .kubeControllerManager }
        return c
    }

    func start() {
        guard !running else { return }
        running = true
        if client.killed { client = Self.makeClient(world, kube: false) }
        if kubeClient.killed { kubeClient = Self.makeClient(world, kube: true) }
        if let d = downSince { downIntervals.append((d, world.kernel.now)); downSince = nil }
        let kernel = world.kernel
        let s = world.settings
        cache = InformerCache()
        let recorder = SimRecorder(component: "controller-manager", log: world.events, clock: kernel.clock)
        let bq = WorkQueue(clock: kernel.clock)
        let b = BroadcastJobController(client: client, cache: cache, clock: kernel.clock, recorder: recorder, queue: bq,
                                       expectationTimeout: s.expectationTimeout,
                                       options: BroadcastJobControllerOptions(assignPodsByScheduler: s.bindPodsBy == "scheduler",
                                                                                     mutant: world.mutant))
        bcj = b
        host.add(b, queue: bq, workers: s.workers)
        let gq = WorkQueue(clock: kernel.clock)
        host.add(GarbageCollector(client: kubeClient, cache: cache, queue: gq), queue: gq, workers: max(s.workers, 20))
        let pq = WorkQueue(clock: kernel.clock)
        host.add(PodGarbageCollector(client: kubeClient, cache: cache, queue: pq), queue: pq, workers: 1)
        let aq = WorkQueue(clock: kernel.clock)
        let acj = AdvancedCronJobController(client: client, cache: cache, clock: kernel.clock, recorder: recorder, queue: aq,
                                            localTimeZone: TimeZone(identifier: s.timeZone) ?? TimeZone(identifier: "UTC")!)
        acj.mutant = world.mutant
        host.add(acj, queue: aq, workers: s.workers)
        let jq = WorkQueue(clock: kernel.clock)
        host.add(JobController(client: kubeClient, cache: cache, clock: kernel.clock, recorder: recorder, queue: jq,
                               expectationTimeout: s.expectationTimeout), queue: jq, workers: s.workers)
        let nq = WorkQueue(clock: kernel.clock)
        host.add(NodeLifecycleController(client: kubeClient, cache: cache, clock: kernel.clock, recorder: recorder, queue: nq,
                                         heartbeats: world.heartbeats, gracePeriod: s.nodeMonitorGracePeriod), queue: nq, workers: 1)
        // Initial list, then the watch.
        let server = world.server
        cache.nodes.replace(with: server.list(Node.self))
        cache.pods.replace(with: server.list(Pod.self))
        cache.jobs.replace(with: server.list(Job.self))
        cache.broadcastJobs.replace(with: server.list(BroadcastJob.self))
        cache.advancedCronJobs.replace(with: server.list(AdvancedCronJob.self))
        let w = APIServer.Watcher(name: "controller-manager", kinds: [.node, .pod, .job, .broadcastJob, .advancedCronJob],
                                  delay: { [unowned world] in world.watchDelay() }, start: kernel.now) { [unowned self] type, obj in
            self.cache.apply(type, obj)
        }
        w.relist = { [unowned self, kinds = w.kinds] objects in self.cache.relist(objects, kinds: kinds) }
        watcher = w
        server.addWatcher(w)
    }

    func stop() {
        guard running else { return }
        running = false
        downSince = world.kernel.now
        if let w = watcher { world.server.removeWatcher(w) }
        watcher = nil
        host.clear()
        client.kill()
        kubeClient.kill()
        bcj = nil
    }

    func restart() {
        stop()
        start()
    }

    /// Nothing in flight to the manager's informers, no key queued or being reconciled.
    var isIdle: Bool {
        guard running, let w = watcher, w.inFlight == 0 else { return false }
        return host.hosted.allSatisfy { $0.busy == 0 && $0.queue.readyCount == 0 }
    }

    func wasDown(at t: Timestamp) -> Bool {
        if let d = downSince, t >= d { return true }
        return downIntervals.contains { t >= $0.0 && t <= $0.1 }
    }
}

/// The default scheduler as its own component: its own informers and client (QPS 50, burst 100,
/// as kube-scheduler), one pod at a time. It is not affected by `restartControllers`.
final class SchedulerComponent {
    /// Nodes, and pods by node: all the scheduler reads.
    let cache = InformerCache(only: [InformerCache.byNode])
    let client: SimClient
    let host: ControllerHost
    let scheduler: DefaultScheduler

    init(world: Simulation) {
        let kernel = world.kernel
        client = SimClient(server: world.server, actor: .scheduler, bucket: TokenBucket(qps: world.settings.schedulerQPS, burst: world.settings.schedulerBurst, start: kernel.now),
                           latency: { [unowned world] in world.settings.apiLatency.draw(world.rng, "latency") },
                           faults: { [unowned world] in world.faults }, rng: world.rng)
        host = ControllerHost(kernel: kernel)
        let q = WorkQueue(clock: kernel.clock)
        scheduler = DefaultScheduler(client: client, cache: cache, recorder: SimRecorder(component: "default-scheduler", log: world.events, clock: kernel.clock), queue: q)
        scheduler.mutant = world.mutant
        host.add(scheduler, queue: q, workers: 1)
        cache.nodes.replace(with: world.server.list(Node.self))
        cache.pods.replace(with: world.server.list(Pod.self))
        let w = APIServer.Watcher(name: "scheduler", kinds: [.node, .pod], delay: { [unowned world] in world.watchDelay() },
                                  start: kernel.now) { [unowned self] type, obj in self.cache.apply(type, obj) }
        w.relist = { [unowned self, kinds = w.kinds] objects in self.cache.relist(objects, kinds: kinds) }
        world.server.addWatcher(w)
    }
}
