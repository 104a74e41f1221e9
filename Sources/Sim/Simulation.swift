import Foundation
import Engine
import OrderedCollections

/// One run of one scenario: the kernel, the fake API server, the virtual nodes, the controller
/// manager and scheduler, the timeline, and the checks.
///
/// Single-threaded and deterministic: the same scenario and seed give the same run, byte for byte.
public final class Simulation {
    public let scenario: Scenario
    let kernel: Kernel
    let rng: RandomStreams
    let server: APIServer
    let events = EventLog()
    var settings: Settings
    /// The faults in force: `settings.faults` (the scenario's, then each timeline `faults`) over the
    /// scenario's fault profile, if any.
    private(set) var faults: FaultSettings
    /// Injects the faults that happen at instants (crashes, stalls, node losses, kills, fills, watch drops).
    private(set) lazy var injector = FaultInjector(sim: self)
    private(set) var kubelets = StringTable<Kubelet>()
    /// Nodes whose kubelet is stopped (nodeDown, or ready: false).
    private(set) var stoppedKubelets = StringSet()
    private(set) var controllerManager: ControllerManager!
    private(set) var scheduler: SchedulerComponent!
    var checker: Checker!
    /// Node heartbeats as the node lifecycle controller reads them: each kubelet's lease renewals.
    private(set) lazy var heartbeats = KubeletLeases(sim: self)
    /// Reconciles that returned an error, grouped by controller, key and message (a controller
    /// failing on every retry for the whole run makes one group, not a line per retry).
    private var reconcileErrors = OrderedDictionary<ReconcileErrorKey, ReconcileErrors>()
    /// The message of each controller and key's latest reconcile error (whether a reconcile
    /// returned without one since, the controller host knows).
    private var lastReconcileError: [ControllerKey: String] = [:]
    private struct ControllerKey: Hashable {
        var controller: String
        var key: String
    }
    private struct ReconcileErrorKey: Hashable {
        var controller: String
        var key: String
        var message: String
    }
    public private(set) var digest = Digest()
    /// When set, gets every record of the digest as it is added (`run --check-determinism`).
    public var journal: DigestJournal?
    var trace: TraceSink?
    /// When set, every controller's reconciles and queue depths are recorded here (`kruise-sim bench`).
    var reconcileStats: ReconcileStats?
    /// A human-readable story of the run (timeline actions, job phase changes, node changes).
    public private(set) var story: [(time: Timestamp, text: String)] = []

    /// The engine defect this run has on (`--mutant`), or nil for the faithful engine.
    public let mutant: Mutant?

    public init(scenario: Scenario, trace: TraceSink? = nil, mutant: Mutant? = nil) {
        self.scenario = scenario
        self.mutant = mutant
        self.settings = scenario.settings
        self.faults = scenario.settings.faults.layered(over: scenario.faultProfile?.settings ?? FaultSettings())
        self.trace = trace
        kernel = Kernel(start: scenario.start)
        rng = RandomStreams(seed: scenario.seed)
        server = APIServer(kernel: kernel, rng: rng)
        server.admissionOptions = AdmissionOptions(defaultTolerationSeconds: Int64(scenario.settings.podEvictionTimeout))
        server.kubeletRunsPod = { [unowned self] pod in
            guard let n = pod.spec.nodeName, let k = kubelets[n] else { return false }
            return k.runs(pod) || k.up
        }
    }

    /// A reconcile returned `error` (the controller host re-queues the key with back-off).
    func reconcileFailed(_ controller: String, _ key: String, _ error: Error) {
        let message = (error as? APIError)?.message ?? "\(error)"
        let k = ReconcileErrorKey(controller: controller, key: key, message: message)
        let now = kernel.now
        reconcileErrors[k, default: ReconcileErrors(controller: controller, key: key, message: message, count: 0, first: now, last: now)].count += 1
        reconcileErrors[k]!.last = now
        lastReconcileError[ControllerKey(controller: controller, key: key)] = message
    }

    /// The groups of reconcile errors, each saying whether its key was still failing with it at the end.
    private var finishedReconcileErrors: [ReconcileErrors] {
        reconcileErrors.values.map { g in
            var g = g
            g.stillFailing = controllerManager.host.isFailing(g.controller, g.key)
                && lastReconcileError[ControllerKey(controller: g.controller, key: g.key)] == g.message
            return g
        }
    }

    /// The most story lines one run keeps: they are held to the end (for the report), so a scenario
    /// that makes objects without end (an `@every 1s` AdvancedCronJob for ten years) would otherwise
    /// grow until the process is killed. At the limit the run stops and `historyLimitReached` says
    /// why. Kubernetes events are not held (``EventLog``), so they need no limit.
    public var historyLimit = 10_000_000
    /// Why the run stopped before its end, when it reached `historyLimit`.
    public private(set) var historyLimitReached: String?

    private func checkHistoryLimit() {
        guard historyLimitReached == nil, story.count >= historyLimit else { return }
        historyLimitReached = "the run stopped at +\(formatSeconds(kernel.now.seconds(since: scenario.start))) of \(formatSeconds(scenario.duration)): "
            + "it had told \(story.count) story lines, and a run keeps at most "
            + "\(historyLimit) (they are held in memory to the end); simulate a shorter duration, or fewer or less frequent jobs"
        kernel.stopRequested = true
    }

    func tell(_ text: String) {
        story.append((kernel.now, text))
        checkHistoryLimit()
        digest.text("story "); digest.decimal(kernel.now.nanos); digest.text(" "); digest.text(text); digest.endRecord()
        journal?.record(digest, kernel.now, "story: \(text)")
    }

    /// Story lines that stand for a repeated event: the line's index, by event identity, and how
    /// often and until when it recurred (Kubernetes aggregates repeated events the same way).
    private var eventLines: [String: Int] = [:]
    private var repeats: [Int: (count: Int, last: Timestamp)] = [:]

    /// The story with each repeated event's line saying how often it recurred.
    var finishedStory: [(time: Timestamp, text: String)] {
        var out = story
        for (i, r) in repeats {
            out[i].text += " (×\(r.count), last at +\(formatSeconds(r.last.seconds(since: scenario.start))))"
        }
        return out
    }

    /// The delay of one watch delivery (`settings.watchDelay`, or the faults override).
    func watchDelay() -> Double {
        (faults.watchDelay ?? settings.watchDelay).draw(rng, "watch")
    }

    /// The largest watch delay in force (for the invariants' reaction bound).
    var maxWatchDelay: Double {
        max(settings.watchDelay.high, faults.watchDelay?.high ?? 0, scenario.settings.watchDelay.high)
    }

    /// Replaces `settings.faults` (a timeline `faults` entry); the profile still fills what it leaves out.
    func setFaults(_ f: FaultSettings) {
        settings.faults = f
        faults = f.layered(over: scenario.faultProfile?.settings ?? FaultSettings())
        injector.arm()
    }

    // MARK: Running

    /// Runs the scenario to its end and returns the outcome.
    public func run() -> RunOutcome {
        start()
        advance(to: end)
        return finish()
    }

    /// The scenario's end instant (start + duration).
    public var end: Timestamp { scenario.start.adding(seconds: scenario.duration) }
    /// The virtual instant the run has reached.
    public var now: Timestamp { kernel.now }
    /// The next scheduled event's instant, if any.
    public var nextEventTime: Timestamp? { kernel.nextTime }
    /// Whether the run stopped early (history limit) and cannot advance further.
    public var stopped: Bool { kernel.stopRequested }
    private var setupErrors: [(SourceLocation, String)] = []

    /// Every write, as the API server applies it: into the digest, the checks, the trace and the story.
    private func observed(_ change: APIServer.Change) {
        // Binary fields into the running hash: no string is built per write.
        digest.field(change.time.nanos)
        digest.field(change.actor.rawValue)
        digest.field(change.verb)
        digest.field(change.object.kind.rawValue)
        digest.field(change.object.metadata.namespace ?? "")
        digest.field(change.object.metadata.name ?? "")
        digest.field(change.object.metadata.resourceVersion ?? "")
        digest.endRecord()
        if let j = journal {
            let m = change.object.metadata
            j.record(digest, change.time, "\(change.verb) \(change.object.kind.rawValue)/\(m.namespace.map { "\($0)/" } ?? "")\(m.name ?? "") by \(change.actor.rawValue) (resourceVersion \(m.resourceVersion ?? ""))")
        }
        checker.observe(change)
        trace?.change(change)
        storyOf(change)
        onChange?(change)
    }

    /// Every event a component records: into the checks, the digest, the trace and the story.
    private func recorded(_ e: RecordedEvent) {
        checker.recorded(e)
        // The bytes of "event <nanos> <component> <kind>/<ns>/<name> <type> <reason> <message>",
        // hashed piece by piece instead of building the line.
        digest.text("event ")
        digest.decimal(e.time.nanos)
        digest.text(" "); digest.text(e.component)
        digest.text(" "); digest.text(e.kind)
        digest.text("/"); digest.text(e.namespace)
        digest.text("/"); digest.text(e.name)
        digest.text(" "); digest.text(e.type)
        digest.text(" "); digest.text(e.reason)
        digest.text(" "); digest.text(e.message)
        digest.endRecord()
        journal?.record(digest, e.time, "event \(e.type) \(e.reason) on \(e.kind)/\(e.namespace)/\(e.name) from \(e.component): \(e.message)")
        trace?.event(e)
        storyOf(e)
        onEvent?(e)
    }

    /// Sets the run up at t = 0: nodes and manifests in the store, components started, the
    /// timeline and expectations scheduled. ``run()`` is `start()`, `advance(to: end)`, `finish()`;
    /// `kruise-sim serve` advances in steps that follow the wall clock instead.
    public func start() {
        checker = Checker(sim: self)
        // Each observer reaches the simulation once and does its work in a method: every
        // access through an unowned capture costs a check of the reference.
        server.observers.append { [unowned self] change in observed(change) }
        if let trace {
            server.onFailedWrite = { trace.failedWrite($0) }
        }
        events.onRecord = { [unowned self] e in recorded(e) }
        // t = 0: nodes and manifests are in the store before any component acts.
        for entry in scenario.nodes {
            for refused in createNodes(entry, startKubelets: false) { setupErrors.append((entry.location, refused)) }
        }
        for (obj, loc) in scenario.manifests {
            do { try server.create(obj, actor: .scenario) } catch { setupErrors.append((loc, error.message)) }
        }
        for entry in scenario.nodes { startKubelets(entry) }
        scheduler = SchedulerComponent(world: self)
        controllerManager = ControllerManager(world: self)
        scheduler.host.stats = reconcileStats
        controllerManager.host.stats = reconcileStats
        if let trace, trace.wantsReconciles {
            let tracer = ReconcileTracer { trace.reconcile(id: $0, controller: $1, key: $2, started: $3, finished: $4, result: $5) }
            scheduler.host.tracer = tracer
            controllerManager.host.tracer = tracer
        }
        controllerManager.start()
        injector.arm()
        // The timeline, in file order.
        for entry in scenario.timeline {
            let t = scenario.start.adding(seconds: scenario.offset(entry.at))
            kernel.schedule(at: t) { [unowned self] in perform(entry) }
        }
        checker.scheduleExpectations()
        kernel.afterBatch = { [unowned self] in
            scheduler.host.pump()
            controllerManager.host.pump()
            checker.afterBatch()
        }
        kernel.afterBatch?()  // components act at t = 0
    }

    /// Runs every event up to and including `t` (never past the scenario's end); the clock ends at `t`.
    public func advance(to t: Timestamp) {
        kernel.run(until: min(t, end))
    }

    /// Runs `action` as a kernel event at the current instant, with the batch's components and
    /// checks after it, and returns once it ran (a request from outside the simulation, such as
    /// `kruise-sim serve`'s clients).
    public func performNow(_ action: @escaping () -> Void) {
        kernel.schedule(at: kernel.now, action)
        kernel.run(until: kernel.now)
    }

    /// The API server every component writes through (`kruise-sim serve` applies its clients' requests here).
    public var api: APIServer { server }
    /// Every node's kubelet, by node name: disk and images as the kubelet counts them.
    public var nodeKubelets: [Kubelet] { kubelets.keys.sorted().map { kubelets[$0]! } }
    /// Called with every committed change, after the checks and the trace saw it (set before ``start()``).
    public var onChange: ((APIServer.Change) -> Void)?
    /// Called with every recorded Kubernetes event (set before ``start()``).
    public var onEvent: ((RecordedEvent) -> Void)?
    /// The delay of a watch delivery to a client outside the simulation: the scenario's watch delay,
    /// drawn from a stream of its own so outside watchers never shift the components' draws.
    public func userWatchDelay() -> Double {
        (settings.faults.watchDelay ?? settings.watchDelay).draw(rng, "user-watch")
    }

    /// The `expect` results evaluated so far, in the order they came due.
    public var checkResults: [CheckResult] { checker.results }
    /// The invariant violations seen so far.
    public var violationsSoFar: [Violation] { checker.violations }
    /// The timeline actions that failed so far.
    public var actionErrorsSoFar: [ActionError] { checker.actionErrors }

    /// Evaluates what is left, closes the trace and returns the outcome. `interrupted`: the run
    /// stopped before its end (`kruise-sim serve` on Ctrl-C), so the checks not yet due are not evaluated.
    public func finish(interrupted: Bool = false) -> RunOutcome {
        if interrupted { checker.dropPendingExpectations() }
        checker.finish()
        let outcome = RunOutcome(scenario: scenario, checks: checker.results, violations: checker.violations, demanded: checker.demandedViolations,
                          actionErrors: checker.actionErrors + setupErrors.map { ActionError(location: $0.0, time: scenario.start, message: $0.1, kind: .manifest) },
                          digest: digest.hex, events: kernel.eventsRun, writes: server.resourceVersion,
                          reconciles: controllerManager.host.totalReconciles, story: finishedStory, endTime: kernel.now,
                          reconcileErrors: finishedReconcileErrors)
        // A run stopped at the history limit did not finish: its trace is dropped (SQLiteTrace's temporary
        // file goes) and any previous trace at that path stays.
        if historyLimitReached == nil { trace?.finish(outcome) } else { trace?.abandon() }
        return outcome
    }

    // MARK: Nodes

    /// Creates the entry's nodes (and starts the kubelets of those created when `start`); returns
    /// what the API server said of each node it refused.
    func createNodes(_ entry: NodeEntry, startKubelets start: Bool) -> [String] {
        var refused: [String] = []
        var refusedNames: [String] = []
        for name in entry.names {
            // The labels every kubelet sets on its node, unless the scenario sets them.
            var labels = ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]
            for (k, v) in entry.labels { labels[k] = v }
            var node = Node(metadata: ObjectMeta(name: name, labels: labels),
                            spec: NodeSpec(unschedulable: entry.unschedulable ? true : nil, taints: entry.taints.isEmpty ? nil : entry.taints),
                            status: NodeStatus(capacity: entry.allocatable, allocatable: entry.allocatable, conditions: [
                                Condition(type: "Ready", status: entry.ready ? "True" : "False", lastTransitionTime: kernel.now,
                                          reason: entry.ready ? "KubeletReady" : "KubeletNotReady",
                                          message: entry.ready ? "kubelet is posting ready status" : "kubelet stopped posting node status"),
                                Condition(type: "DiskPressure", status: "False", lastTransitionTime: kernel.now, reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure"),
                            ]))
            node.metadata.annotations = entry.annotations.isEmpty ? nil : entry.annotations
            do {
                try server.create(.node(node), actor: .scenario)
            } catch {
                refused.append("node \(name): \(error.message)")
                refusedNames.append(name)
            }
        }
        if start {
            var created = entry
            if !refusedNames.isEmpty { created.names.removeAll { refusedNames.contains($0) } }
            startKubelets(created)
        }
        return refused
    }

    func startKubelets(_ entry: NodeEntry) {
        var images: [String: Int64] = [:]
        for i in entry.images { images[i.name] = i.size }
        for name in entry.names {
            let client = SimClient(server: server, actor: .kubelet,
                                   bucket: TokenBucket(qps: settings.kubeletQPS, burst: settings.kubeletBurst, start: kernel.now),
                                   latency: { [unowned self] in settings.apiLatency.draw(rng, "latency") },
                                   faults: { [unowned self] in faults }, rng: rng)
            let k = Kubelet(nodeName: name, kernel: kernel, server: server, client: client, catalog: imageResolver, rng: rng,
                            bandwidth: settings.imagePullBandwidth, diskCapacity: entry.diskCapacity, diskUsed: entry.diskUsed, images: images)
            k.log = { [unowned self] pieces in
                // The line's pieces hashed one after another: the bytes of the line, without building it.
                digest.decimal(kernel.now.nanos); digest.text(" ")
                for p in pieces { digest.text(p) }
                digest.endRecord()
                journal?.record(digest, kernel.now, "kubelet: " + pieces.joined())
            }
            k.tell = { [unowned self] line in tell(line) }
            if let trace {
                k.onDiskChanged = { [unowned self] k in trace.disk(node: k.nodeName, used: k.diskUsed, capacity: k.diskCapacity, at: kernel.now) }
                trace.disk(node: name, used: k.diskUsed, capacity: k.diskCapacity, at: kernel.now)
            }
            kubelets[name] = k
            if !entry.ready {
                k.stop()
                stoppedKubelets.insert(name)
            }
        }
        if kubeletRouter == nil {
            let w = APIServer.Watcher(name: "kubelets", kinds: [.pod], delay: { [unowned self] in watchDelay() }, start: kernel.now) { [unowned self] type, obj in
                guard case .pod(let p) = obj, let n = p.spec.nodeName, let k = kubelets[n] else { return }
                k.handle(type, p)
            }
            kubeletRouter = w
            server.addWatcher(w)
        }
        // Pods already bound to these nodes (manifests): each kubelet lists its own.
        let names = Set(entry.names)
        for p in server.list(Pod.self) where names.contains(p.spec.nodeName ?? "") {
            kubelets[p.spec.nodeName!]!.handle(.added, p)
        }
        for name in entry.names where kubelets[name]!.up { kubelets[name]!.writeNodeConditions(immediate: true) }
    }
    private var kubeletRouter: APIServer.Watcher?

    /// Stops a kubelet for an injected stall or node loss; false when it is not running.
    func stopKubelet(_ name: String) -> Bool {
        guard let k = kubelets[name], k.up else { return false }
        k.stop()
        stoppedKubelets.insert(name)
        return true
    }

    /// Resumes a kubelet an injected fault stopped.
    func resumeKubelet(_ name: String) {
        guard let k = kubelets[name], !k.up else { return }
        k.resume()
        stoppedKubelets.remove(name)
    }

    /// The kubelets by node name, in name order.
    var kubeletsByName: [(name: String, kubelet: Kubelet)] { kubelets.keys.sorted().map { ($0, kubelets[$0]!) } }
    private lazy var imageResolver = ImageResolver(scenario.images)

    // MARK: Timeline

    private func perform(_ entry: TimelineEntry) {
        let now = kernel.now
        func fail(_ msg: String) {
            checker.actionErrors.append(ActionError(location: entry.location, time: now, message: "\(entry.action.name): \(msg)"))
            tell("\(entry.action.name) failed: \(msg)")
        }
        func updateNode(_ name: String, _ change: (inout Node) -> Void) {
            guard case .node(var n)? = server.get(.node, "", name) else { return fail("node \(name) does not exist") }
            change(&n)
            do { try server.update(.node(n), subresource: .main, actor: .scenario) } catch { fail(error.message) }
        }
        switch entry.action {
        case .apply(let obj):
            // The change feed already tells of the kinds it follows (storyOf).
            let followed: Set<KnownKind> = [.broadcastJob, .advancedCronJob, .job]
            func told(_ verb: String) { if !followed.contains(obj.kind) { tell("apply: \(verb) \(obj.kind.rawValue)/\(obj.metadata.name ?? "")") } }
            if let cur = server.get(obj.kind, obj.metadata.namespace ?? "default", obj.metadata.name ?? "") {
                var o = obj
                var m = o.metadata
                m.resourceVersion = cur.metadata.resourceVersion
                // As kubectl apply does: a manifest without a namespace is the default namespace's.
                if m.namespace == nil { m.namespace = cur.metadata.namespace }
                o.metadata = m
                do { try server.update(o, subresource: .main, actor: .scenario); told("updated") } catch { fail(error.message) }
            } else {
                do { try server.create(obj, actor: .scenario); told("created") } catch { fail(error.message) }
            }
        case .delete(let ref):
            do { try server.delete(ref.kind, namespace: ref.namespace, name: ref.name, uid: nil, actor: .scenario); tell("delete \(ref)") } catch { fail(error.message) }
        case .patch(let ref, let merge):
            guard let cur = server.get(ref.kind, ref.namespace, ref.name) else { return fail("\(ref) does not exist") }
            do {
                let patched = try cur.manifest().mergePatched(with: merge)
                var o = try APIObject.decode(manifest: patched)
                var m = o.metadata
                m.resourceVersion = cur.metadata.resourceVersion
                o.metadata = m
                try server.update(o, subresource: .main, actor: .scenario)
                tell("patch \(ref) with \(merge.rendered)")
            } catch let e as APIError { fail(e.message) } catch { fail("\(error)") }
        case .addNodes(let e):
            let refused = createNodes(e, startKubelets: true)
            if refused.isEmpty {
                tell("added node\(e.names.count > 1 ? "s" : "") \(summarize(e.names))")
            } else {
                fail(refused.joined(separator: "; "))
            }
        case .deleteNode(let name):
            do {
                try server.delete(.node, namespace: "", name: name, uid: nil, actor: .scenario)
                injector.scenarioTookOver(node: name)
                kubelets[name]?.stop()
                kubelets[name] = nil
                stoppedKubelets.remove(name)
                tell("deleted node \(name)")
            } catch { fail(error.message) }
        case .cordon(let n): updateNode(n) { $0.spec = { var s = $0.spec ?? NodeSpec(); s.unschedulable = true; return s }($0) }; tell("cordoned \(n)")
        case .uncordon(let n): updateNode(n) { $0.spec?.unschedulable = nil }; tell("uncordoned \(n)")
        case .taint(let n, let t):
            updateNode(n) { node in
                var s = node.spec ?? NodeSpec()
                var ts = s.taints ?? []
                ts.removeAll { $0.key == t.key && $0.effect == t.effect }
                var t2 = t
                t2.timeAdded = now
                ts.append(t2)
                s.taints = ts
                node.spec = s
            }
            tell("tainted \(n) with \(t.key)\(t.value.map { "=\($0)" } ?? ""):\(t.effect)")
        case .untaint(let n, let key):
            updateNode(n) { node in
                node.spec?.taints?.removeAll { $0.key == key }
                if node.spec?.taints?.isEmpty == true { node.spec?.taints = nil }
            }
            tell("removed taint \(key) from \(n)")
        case .label(let n, let labels):
            updateNode(n) { node in
                var l = node.metadata.labels ?? [:]
                for (k, v) in labels { l[k] = v }
                node.metadata.labels = l.isEmpty ? nil : l
            }
            tell("labelled \(n): \(labels.keys.sorted().map { "\($0)=\((labels[$0] ?? nil) ?? "(removed)")" }.joined(separator: ", "))")
        case .nodeDown(let n):
            guard let k = kubelets[n] else { return fail("node \(n) has no kubelet") }
            injector.scenarioTookOver(node: n)
            k.stop()
            stoppedKubelets.insert(n)
            tell("kubelet on \(n) stopped")
        case .nodeUp(let n):
            guard let k = kubelets[n] else { return fail("node \(n) has no kubelet") }
            injector.scenarioTookOver(node: n)
            k.resume()
            stoppedKubelets.remove(n)
            tell("kubelet on \(n) resumed")
        case .fillDisk(let n, let size):
            guard let k = kubelets[n] else { return fail("node \(n) has no kubelet") }
            k.changeDisk(fill: size)
            tell("filled \(formatBytes(size)) on \(n): disk \(String(format: "%.1f", k.diskUsedPercent))% used")
        case .freeDisk(let n, let size):
            guard let k = kubelets[n] else { return fail("node \(n) has no kubelet") }
            k.changeDisk(fill: -size)
            tell("freed \(formatBytes(size)) on \(n): disk \(String(format: "%.1f", k.diskUsedPercent))% used")
        case .killPod(let sel):
            let pods = resolve(sel)
            if pods.isEmpty { return fail("no pod matches \(sel)") }
            for p in pods {
                let killed = kubelets[p.spec.nodeName ?? ""]?.kill(p.key) { tell("killed containers of pod \(p.name) on \(p.spec.nodeName!)") } ?? false
                if !killed { fail("pod \(p.name) has no running container") }
            }
        case .deletePod(let sel):
            let pods = resolve(sel)
            if pods.isEmpty { return fail("no pod matches \(sel)") }
            for p in pods {
                kubelets[p.spec.nodeName ?? ""]?.stopPod(p.key)
                do { try server.delete(.pod, namespace: p.namespace, name: p.name, uid: nil, actor: .scenario); tell("deleted pod \(p.name)") } catch { fail(error.message) }
            }
        case .restartControllers:
            injector.scenarioTookOverControllers()
            controllerManager.restart()
            tell("controller manager restarted: queues, caches and expectations rebuilt from a fresh list")
        case .stopControllers:
            injector.scenarioTookOverControllers()
            controllerManager.stop()
            tell("controller manager stopped")
        case .startControllers:
            injector.scenarioTookOverControllers()
            controllerManager.start()
            tell("controller manager started")
        case .faults(let f):
            setFaults(f)
            tell("faults now \(faults.summary)")
        }
    }

    private func resolve(_ sel: PodSelector) -> [Pod] {
        switch sel {
        case .ref(let r):
            return server.get(.pod, r.namespace, r.name).flatMap(Pod.unwrap).map { [$0] } ?? []
        case .nodeOwner(let node, let owner):
            guard let o = server.get(owner.kind, owner.namespace, owner.name) else { return [] }
            return server.list(Pod.self).filter { $0.spec.nodeName == node && $0.metadata.controllerRef?.uid == o.metadata.uid && $0.metadata.deletionTimestamp == nil }
        }
    }

    // MARK: Story

    private func storyOf(_ c: APIServer.Change) {
        switch (c.old, c.object) {
        case (.broadcastJob(let o)?, .broadcastJob(let n)) where c.type != .deleted:
            let op = o.status?.phase ?? "", np = n.status?.phase ?? ""
            if op != np, !np.isEmpty {
                let st = n.status!
                tell("BroadcastJob \(n.name) \(np): desired \(st.desired), active \(st.active), succeeded \(st.succeeded), failed \(st.failed)\(n.status?.conditions?.last.map { $0.message.map { " (\($0))" } ?? "" } ?? "")")
            }
        case (_, .broadcastJob(let n)) where c.type == .added:
            tell("BroadcastJob \(n.name) created\(createdBy(c, n.metadata))")
        case (_, .broadcastJob(let n)) where c.type == .deleted:
            let ttl = n.spec.completionPolicy?.ttlSecondsAfterFinished
            tell("BroadcastJob \(n.name) deleted\(deletedBecause(c, n.metadata, finishedAt: n.isFinished ? n.status?.completionTime : nil, ttl: ttl))")
        case (.job(let o)?, .job(let n)) where c.type != .deleted:
            if o.finishedCondition == nil, let f = n.finishedCondition { tell("Job \(n.name) \(f.type): \(f.message ?? "")") }
        case (_, .advancedCronJob(let n)) where c.type == .added:
            let zone = TimeZone(identifier: settings.timeZone) ?? TimeZone(identifier: "UTC")!
            let next = AdvancedCronJobController.nextRunSeconds(of: n, after: c.time, localTimeZone: zone)
            tell("AdvancedCronJob \(n.name) created\(createdBy(c, n.metadata)), schedule \"\(n.spec.schedule)\"\(n.spec.timeZone.map { " in \($0)" } ?? ""): next run \(next.map { Timestamp.rfc3339(unixSeconds: $0) } ?? "never")")
        case (_, .advancedCronJob(let n)) where c.type == .deleted && c.actor != .scenario:
            tell("AdvancedCronJob \(n.name) deleted")
        case (_, .job(let n)) where c.type == .added:
            tell("Job \(n.name) created\(createdBy(c, n.metadata))")
        case (_, .job(let n)) where c.type == .deleted:
            tell("Job \(n.name) deleted\(deletedBecause(c, n.metadata, finishedAt: n.finishedCondition != nil ? n.status?.completionTime : nil, ttl: n.spec.ttlSecondsAfterFinished.map { Int32(clamping: $0) }))")
        case (.node(let o)?, .node(let n)) where c.type != .deleted && c.actor != .scenario:
            // Taints that components add or remove (disk pressure, not-ready, unreachable); the
            // scenario's own taint actions are told by the timeline.
            func text(_ t: Taint) -> String { "\(t.key)\(t.value.map { "=\($0)" } ?? ""):\(t.effect)" }
            let before = Set((o.spec?.taints ?? []).map(text))
            let after = (n.spec?.taints ?? []).map(text)
            let who = c.actor == .kubelet ? "its kubelet" : "the \(c.actor.rawValue)"
            let why = n.status?.conditions?.filter { $0.status == "True" && $0.type != "Ready" }.map { "\($0.type): \($0.message ?? "")" } ?? []
            let ready = n.status?.conditions?.first { $0.type == "Ready" }
            let readyText = ready.map { $0.status == "True" ? [] : ["Ready \($0.status): \($0.message ?? "")"] } ?? []
            let reasons = (why + readyText).joined(separator: "; ")
            for t in after where !before.contains(t) {
                tell("node \(n.name) tainted \(t) by \(who)\(reasons.isEmpty ? "" : " (\(reasons))")")
            }
            let afterSet = Set(after)
            for t in (o.spec?.taints ?? []).map(text) where !afterSet.contains(t) {
                tell("node \(n.name): taint \(t) removed by \(who)")
            }
        default:
            break
        }
    }

    /// " by AdvancedCronJob x" for a child; " (timeline)" for the scenario's own apply after t = 0.
    private func createdBy(_ c: APIServer.Change, _ m: ObjectMeta) -> String {
        if let ref = m.controllerRef { return " by \(ref.kind) \(ref.name)" }
        return c.actor == .scenario && c.time > scenario.start ? " (timeline apply)" : ""
    }

    /// Why a job went: its TTL after finishing, its owner gone (garbage collection), or its
    /// controller (history limits, Replace: the controller's own event line says which).
    private func deletedBecause(_ c: APIServer.Change, _ m: ObjectMeta, finishedAt: Timestamp?, ttl: Int32?) -> String {
        if c.actor == .scenario { return " (timeline)" }
        if let f = finishedAt, let ttl, c.time.seconds(since: f) >= Double(ttl) {
            return ": ttlSecondsAfterFinished (\(ttl)s) passed since it finished at +\(formatSeconds(f.seconds(since: scenario.start)))"
        }
        if let ref = m.controllerRef {
            let ownerKind = KnownKind.allCases.first { $0.rawValue == ref.kind }
            if let k = ownerKind, server.get(k, m.namespace ?? "default", ref.name)?.metadata.uid != ref.uid {
                return " by the garbage collector: its owner \(ref.kind) \(ref.name) is gone"
            }
            if ref.kind == "AdvancedCronJob" {
                return " by AdvancedCronJob \(ref.name): " + (finishedAt != nil ? "it keeps only its history limit of finished children" : "concurrencyPolicy Replace")
            }
            return " by \(ref.kind) \(ref.name)"
        }
        return " by the \(c.actor.rawValue)"
    }

    /// Events that explain an outcome: every Warning, and the Normal ones that say why something
    /// did not happen or was removed. A repeat of the same event (object, reason, message) is not
    /// told again; its first line counts the repeats.
    /// Normal events worth a story line (Warnings always are).
    private static let storyReasons: Set<String> = ["JobAlreadyActive", "SuccessfulDelete", "TaintManagerEviction", "NodeNotReady", "NodeReady",
                                                    "Continue", "Suspended", "Resumed"]

    private func storyOf(_ e: RecordedEvent) {
        guard e.type == "Warning" || Self.storyReasons.contains(e.reason) else { return }
        // A job's failure is told by its phase line, with the same message.
        if e.kind == "BroadcastJob" || e.kind == "Job", ["DeadlineExceeded", "failed pod is found", "BackoffLimitExceeded"].contains(e.reason) { return }
        // A child deleted by its AdvancedCronJob is told by the deletion line ("by AdvancedCronJob x").
        if e.kind == "AdvancedCronJob", e.reason == "SuccessfulDelete" { return }
        let key = "\(e.kind)/\(e.namespace)/\(e.name)|\(e.type)|\(e.reason)|\(e.message)"
        if let i = eventLines[key] {
            repeats[i] = ((repeats[i]?.count ?? 1) + 1, e.time)
            return
        }
        eventLines[key] = story.count
        tell("\(e.kind) \(e.name): \(e.type == "Warning" ? "Warning " : "")\(e.reason): \(e.message)")
    }
}

/// The node leases (`kube-node-lease`) as the kubelets renew them. A deleted node has none.
final class KubeletLeases: NodeHeartbeats {
    unowned let sim: Simulation
    init(sim: Simulation) { self.sim = sim }
    func lastRenewTime(node: String) -> Timestamp? { sim.kubelets[node]?.lastLeaseRenewal }
    /// A running kubelet renews every 10 s, so only stopped kubelets can be stale (when the grace
    /// period is longer than the renew interval; otherwise every node is asked).
    func nodesPossiblyNotRenewed(since time: Timestamp) -> [String]? {
        guard sim.kernel.now.seconds(since: time) > 10 else { return nil }
        return sim.stoppedKubelets.sorted()
    }
}

/// A timeline action that failed, or a manifest the API server rejected at t = 0.
public struct ActionError: Sendable {
    public enum Kind: String, Sendable { case timelineAction = "timeline action", manifest }
    public var location: SourceLocation
    public var time: Timestamp
    public var message: String
    public var kind: Kind = .timelineAction
}

/// A running FNV-1a digest of the event history, fed field by field.
public struct Digest: Sendable {
    private var h: UInt64 = 0xcbf2_9ce4_8422_2325
    public private(set) var count = 0
    /// A field of the current record.
    mutating func field(_ field: String) {
        addBytes(field)
        h = (h ^ 0x1f) &* 0x100_0000_01b3  // field separator
    }
    mutating func field(_ v: Int64) {
        var x = UInt64(bitPattern: v)
        for _ in 0..<8 {
            h = (h ^ (x & 0xff)) &* 0x100_0000_01b3
            x >>= 8
        }
    }
    mutating func endRecord() {
        h = (h ^ 0x0a) &* 0x100_0000_01b3
        count += 1
    }
    private mutating func addBytes(_ s: String) {
        var s = s
        s.withUTF8 { for b in $0 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
    }
    /// Part of a text record: `text(a); text(b); endRecord()` hashes as one record of the text `a + b`.
    mutating func text(_ s: String) { addBytes(s) }
    /// Part of a text record: the decimal digits of `v`, as `text(String(v))` without the string.
    mutating func decimal(_ v: Int64) {
        if v < 0 { h = (h ^ UInt64(UInt8(ascii: "-"))) &* 0x100_0000_01b3 }
        let m = v.magnitude
        var p: UInt64 = 1
        while m / p >= 10 { p *= 10 }
        repeat {
            h = (h ^ (0x30 + (m / p) % 10)) &* 0x100_0000_01b3
            p /= 10
        } while p > 0
    }
    public var hex: String { String(format: "%016llx", h) }
    /// The hash so far.
    public var value: UInt64 { h }
}

func summarize(_ names: [String]) -> String {
    names.count <= 4 ? names.joined(separator: ", ") : "\(names[0]) … \(names[names.count - 1]) (\(names.count))"
}

func formatBytes(_ b: Int64) -> String {
    let d = Double(b)
    if d >= 1e9 { return String(format: "%.1fGB", d / 1e9) }
    if d >= 1e6 { return String(format: "%.1fMB", d / 1e6) }
    return "\(b)B"
}

/// Receives the run as it happens (the SQLite trace).
public protocol TraceSink: AnyObject {
    func change(_ c: APIServer.Change)
    func event(_ e: RecordedEvent)
    func finish()
    /// A write the server refused, or an injected fault.
    func failedWrite(_ f: APIServer.FailedWrite)
    /// A node's disk use as its kubelet counts it, at the kernel's instant.
    func disk(node: String, used: Int64, capacity: Int64, at: Timestamp)
    /// Whether the sink wants ``reconcile(id:controller:key:started:finished:result:)`` (and write attribution).
    var wantsReconciles: Bool { get }
    /// A reconcile that returned: its id (carried by its writes), controller, key and result.
    func reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String)
    /// The run's end, with its outcome (checks, invariants, digest); calls ``finish()`` by default.
    func finish(_ outcome: RunOutcome)
    /// The run stopped before its end: drop what was written (the default does nothing).
    func abandon()
}

extension TraceSink {
    public func failedWrite(_ f: APIServer.FailedWrite) {}
    public func disk(node: String, used: Int64, capacity: Int64, at: Timestamp) {}
    public var wantsReconciles: Bool { false }
    public func reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String) {}
    public func finish(_ outcome: RunOutcome) { finish() }
    public func abandon() {}
}
