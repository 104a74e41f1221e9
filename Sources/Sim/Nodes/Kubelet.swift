import Foundation
import Engine

/// A virtual node's kubelet and container runtime.
///
/// It sees the pods bound to its node through a watch, pulls images (serialized, at the node's
/// bandwidth, sizes added to disk), runs containers as the scenario's image table says,
/// restarts them per restartPolicy with back-off (10 s doubling to 5 m), writes pod status and
/// phase, confirms pod deletions, and tracks disk use: DiskPressure and the
/// `node.kubernetes.io/disk-pressure:NoSchedule` taint below 10% free.
///
/// While the kubelet is down (`nodeDown`), containers keep running but nothing is written and
/// watch events wait; `nodeUp` resynchronises from the API server.
public final class Kubelet {
    public let nodeName: String
    let kernel: Kernel
    let server: APIServer
    let client: SimClient
    let catalog: ImageResolver
    let rng: RandomStreams
    let bandwidth: Double  // bytes per second
    /// Called after every container exit with the pieces of a line for the run's digest (joined,
    /// they are the line; the digest hashes them one after another rather than build it).
    var log: (_ pieces: [String]) -> Void = { _ in }
    /// Adds a line to the run's story.
    var tell: (String) -> Void = { _ in }
    /// Called whenever the disk use changes (the trace's node samples); nil costs nothing.
    var onDiskChanged: ((Kubelet) -> Void)?

    public private(set) var up = true
    public private(set) var diskCapacity: Int64
    public private(set) var nonImageUsed: Int64
    /// Images on the node: normalized name → size.
    public private(set) var images: [String: Int64] = [:]
    public private(set) var diskPressure = false
    private var pullFreeAt: Timestamp
    private var pods = StringTable<PodRuntime>()
    private var buffered: [(WatchEventType, Pod)] = []

    final class ContainerRuntime {
        let name: String
        let image: String
        var state: ContainerState = ContainerState(waiting: .init(reason: "ContainerCreating"))
        var lastState: ContainerState?
        var restartCount: Int32 = 0
        var token: UInt64 = 0
        var exited = false
        var exitCode: Int32 = 0
        var startedOnce = false
        init(name: String, image: String) {
            self.name = name
            self.image = image
        }
        var running: Bool { state.running != nil }
    }

    final class PodRuntime {
        var pod: Pod
        var containers: [ContainerRuntime]
        var phase: String = PodPhase.pending
        var startTime: Timestamp?
        var stopped = false
        var statusWritePending = false
        init(pod: Pod) {
            self.pod = pod
            self.containers = pod.spec.containers.map { ContainerRuntime(name: $0.name, image: $0.image ?? "") }
        }
        var key: String { pod.key }
    }

    init(nodeName: String, kernel: Kernel, server: APIServer, client: SimClient, catalog: ImageResolver, rng: RandomStreams,
         bandwidth: Double, diskCapacity: Int64, diskUsed: Int64, images: [String: Int64]) {
        self.nodeName = nodeName
        self.kernel = kernel
        self.server = server
        self.client = client
        self.catalog = catalog
        self.rng = rng
        self.bandwidth = bandwidth
        self.diskCapacity = diskCapacity
        self.nonImageUsed = diskUsed
        self.images = images
        self.pullFreeAt = kernel.now
        // A node can start under pressure; the first node status write reports it.
        self.diskPressure = Double(diskCapacity) - Double(images.values.reduce(diskUsed, Self.saturatingAdd)) < Double(diskCapacity) * 0.10
    }

    // MARK: Views

    public var diskUsed: Int64 { images.values.reduce(nonImageUsed, Self.saturatingAdd) }
    /// Disk sums saturate instead of trapping (sizes are bounded at load, but fills add up over a run).
    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, o) = a.addingReportingOverflow(b)
        return o ? (b < 0 ? Int64.min : Int64.max) : v
    }
    public var diskUsedPercent: Double { diskCapacity > 0 ? Double(diskUsed) * 100 / Double(diskCapacity) : 0 }
    public var imageCount: Int { images.count }
    /// Pods bound here that are not terminal.
    public var activePodCount: Int { pods.values.filter { !$0.stopped && $0.phase != PodPhase.succeeded && $0.phase != PodPhase.failed }.count }
    func runs(_ pod: Pod) -> Bool { pods[pod.key] != nil }
    /// Whether a pod here has a running container (one `killPod` would kill).
    func hasRunningContainer(_ podKey: String) -> Bool {
        guard let rt = pods[podKey], !rt.stopped else { return false }
        return rt.containers.contains { $0.running }
    }

    // MARK: Watch

    func handle(_ type: WatchEventType, _ pod: Pod) {
        guard up else { buffered.append((type, pod)); return }
        switch type {
        case .added, .modified:
            if let rt = pods[pod.key] {
                rt.pod = pod
                if pod.metadata.deletionTimestamp != nil { stopAndConfirm(rt) }
            } else if pod.spec.nodeName == nodeName {
                admit(pod)
            }
        case .deleted:
            if let rt = pods.removeValue(forKey: pod.key) { stopContainers(rt) }
        }
    }

    private func admit(_ pod: Pod) {
        let rt = PodRuntime(pod: pod)
        pods[pod.key] = rt
        if pod.metadata.deletionTimestamp != nil { stopAndConfirm(rt); return }
        // A manifest that carries status: adopt it as it is. A pod already running keeps its
        // containers and their restart counts: nothing restarts, and only a container that
        // starts again later counts a restart.
        if let st = pod.status, let phase = st.phase {
            rt.phase = phase
            rt.startTime = st.startTime ?? kernel.now
            var derived = false
            for c in rt.containers {
                guard let cs = st.containerStatuses?.first(where: { $0.name == c.name }) else { continue }
                c.restartCount = cs.restartCount
                c.lastState = cs.lastState
                if let s = cs.state, s.running != nil || s.terminated != nil || s.waiting != nil {
                    c.state = s
                } else if phase == PodPhase.running {
                    // A status entry without a state in a Running pod: the container is running
                    // (since the pod started, as far as anyone can tell).
                    c.state = ContainerState(running: .init(startedAt: rt.startTime))
                    derived = true
                }
                c.startedOnce = c.restartCount > 0 || c.state.running != nil || c.state.terminated != nil || cs.lastState?.terminated != nil
            }
            if phase == PodPhase.succeeded || phase == PodPhase.failed { return }
            if derived { writeStatus(rt) }
            for c in rt.containers where c.running { scheduleExit(rt, c) }
            for c in rt.containers where !c.running && c.state.terminated == nil { pullAndStart(rt, c) }
            return
        }
        rt.startTime = kernel.now
        writeStatus(rt)
        for c in rt.containers { pullAndStart(rt, c) }
    }

    // MARK: Containers

    private func pullAndStart(_ rt: PodRuntime, _ c: ContainerRuntime) {
        let spec = rt.pod.spec.containers.first { $0.name == c.name }
        let policy = spec?.imagePullPolicy ?? "IfNotPresent"
        let ref = catalog.normalize(c.image)
        let present = images[ref] != nil
        if policy == "Never" && !present {
            c.state = ContainerState(waiting: .init(reason: "ErrImageNeverPull", message: "Container image \"\(c.image)\" is not present with pull policy of Never"))
            writeStatus(rt)
            return
        }
        // A present image needs no download (Always only re-checks the manifest; layers are cached).
        let size = catalog.behavior(for: c.image).size
        let pullTime = present ? 0 : (bandwidth > 0 ? Double(size) / bandwidth : 0)
        let start = max(pullFreeAt, kernel.now)
        let done = start.adding(seconds: pullTime)
        if pullTime > 0 { pullFreeAt = done }
        c.token += 1
        let token = c.token
        kernel.schedule(at: done) { [weak self, weak rt] in
            guard let self, let rt, !rt.stopped, c.token == token else { return }
            if self.images[ref] == nil {
                self.images[ref] = size
                self.diskChanged()
            }
            self.start(rt, c)
        }
    }

    private func start(_ rt: PodRuntime, _ c: ContainerRuntime) {
        if c.startedOnce { c.restartCount += 1 }
        c.startedOnce = true
        c.exited = false
        c.state = ContainerState(running: .init(startedAt: kernel.now))
        if rt.phase == PodPhase.pending { rt.phase = PodPhase.running }
        writeStatus(rt)
        scheduleExit(rt, c)
    }

    private func scheduleExit(_ rt: PodRuntime, _ c: ContainerRuntime) {
        let b = catalog.behavior(for: c.image)
        guard case .duration(let d) = b.run else { return }
        let seconds = d.draw(rng, "run")
        var code = b.exitCode
        if b.failureRate > 0, rng.unit("failures") < b.failureRate { code = 1 }
        c.token += 1
        let token = c.token
        kernel.schedule(after: seconds) { [weak self, weak rt] in
            guard let self, let rt, !rt.stopped, c.token == token, c.running else { return }
            self.exit(rt, c, code: code)
        }
    }

    /// Ends a running container with `code`, applies its effects, then restarts or settles the pod.
    private func exit(_ rt: PodRuntime, _ c: ContainerRuntime, code: Int32) {
        let startedAt = c.state.running?.startedAt
        c.token += 1
        c.exited = true
        c.exitCode = code
        c.state = ContainerState(terminated: .init(exitCode: code, reason: code == 0 ? "Completed" : "Error", startedAt: startedAt, finishedAt: kernel.now))
        if code == 0 { applyEffects(catalog.behavior(for: c.image).effects, by: rt, container: c) }
        log(["container ", rt.pod.namespace, "/", rt.pod.name, "/", c.name, " on ", nodeName, " exited ", String(code)])
        let policy = rt.pod.spec.restartPolicy ?? "Always"
        let restart = policy == "Always" || (policy == "OnFailure" && code != 0)
        if restart {
            let delay = min(10 * pow(2, Double(c.restartCount)), 300)
            c.lastState = c.state
            c.state = ContainerState(waiting: .init(reason: "CrashLoopBackOff", message: "back-off \(formatSeconds(delay)) restarting failed container=\(c.name) pod=\(rt.pod.name)"))
            tell("\(rt.pod.name) on \(nodeName): container \(c.name) exited \(code), restart \(c.restartCount + 1) in \(formatSeconds(delay)) (restartPolicy \(policy))")
            let token = c.token
            kernel.schedule(after: delay) { [weak self, weak rt] in
                guard let self, let rt, !rt.stopped, c.token == token else { return }
                self.start(rt, c)
            }
        } else if rt.containers.allSatisfy({ $0.exited }) {
            rt.phase = rt.containers.allSatisfy({ $0.exitCode == 0 }) ? PodPhase.succeeded : PodPhase.failed
            if rt.phase == PodPhase.failed {
                let failed = rt.containers.filter { $0.exitCode != 0 }.map { "\($0.name) exited \($0.exitCode)" }
                tell("\(rt.pod.name) on \(nodeName) failed: \(failed.joined(separator: ", "))")
            }
        }
        writeStatus(rt)
    }

    /// Stops a pod's containers at once (its deletion was asked for).
    func stopPod(_ podKey: String) {
        if let rt = pods[podKey], !rt.stopped { stopContainers(rt) }
    }

    /// `killPod`: running containers exit with code 1 now.
    /// `before` runs first when there is a container to kill (so the story tells the kill
    /// before the exits and restarts it causes).
    func kill(_ podKey: String, before: () -> Void = {}) -> Bool {
        guard let rt = pods[podKey], !rt.stopped, rt.containers.contains(where: { $0.running }) else { return false }
        before()
        for c in rt.containers where c.running { exit(rt, c, code: 1) }
        return true
    }

    /// Applies a container's effects as it exits 0. Images in use are those of running
    /// containers, and the exiting container's own (it is still running when its script acts).
    private func applyEffects(_ effects: [ImageBehavior.Effect], by rt: PodRuntime, container: ContainerRuntime) {
        guard !effects.isEmpty else { return }
        let before = diskUsedPercent
        var deleted = 0
        for e in effects {
            switch e {
            case .deleteImages(let match, let keepInUse):
                let glob = ImageRef.normalizeGlob(match)
                var inUse = Set<String>()
                if keepInUse {
                    inUse.insert(catalog.normalize(container.image))
                    for p in pods.values where !p.stopped {
                        for c in p.containers where c.running { inUse.insert(catalog.normalize(c.image)) }
                    }
                }
                for name in images.keys.sorted() where ImageRef.globMatch(glob, name) && !inUse.contains(name) {
                    images[name] = nil
                    deleted += 1
                }
            case .freeDisk(let n):
                nonImageUsed = max(0, Self.saturatingAdd(nonImageUsed, -n))
            case .fillDisk(let n):
                nonImageUsed = Self.saturatingAdd(nonImageUsed, n)
            }
        }
        diskChanged()
        tell("\(rt.pod.name) on \(nodeName) finished\(deleted > 0 ? ", deleted \(deleted) image\(deleted == 1 ? "" : "s")" : ""): disk \(String(format: "%.0f", before))% → \(String(format: "%.0f", diskUsedPercent))% used")
    }

    // MARK: Deletion

    private func stopContainers(_ rt: PodRuntime) {
        rt.stopped = true
        for c in rt.containers { c.token += 1 }
    }

    private func stopAndConfirm(_ rt: PodRuntime) {
        if !rt.stopped { stopContainers(rt) }
        guard up else { return }
        client.confirmPodDeletion(namespace: rt.pod.namespace, name: rt.pod.name, uid: rt.pod.uid) { [weak self, weak rt] error in
            guard let self, let rt, self.pods[rt.key] === rt else { return }
            if error == nil || error!.isNotFound { self.pods[rt.key] = nil; return }
            self.kernel.schedule(after: 1) { [weak self, weak rt] in
                guard let self, let rt, self.pods[rt.key] === rt else { return }
                self.stopAndConfirm(rt)
            }
        }
    }

    // MARK: Status

    func podStatus(_ rt: PodRuntime) -> PodStatus {
        var st = PodStatus(phase: rt.phase)
        st.startTime = rt.startTime
        st.hostIP = nil
        let ready = rt.containers.allSatisfy { $0.running }
        st.conditions = [
            Condition(type: "PodScheduled", status: "True"),
            Condition(type: "Ready", status: ready && rt.phase == PodPhase.running ? "True" : "False"),
        ]
        st.containerStatuses = rt.containers.map { c in
            var cs = ContainerStatus(name: c.name, image: c.image, restartCount: c.restartCount, state: c.state)
            cs.lastState = c.lastState
            cs.ready = c.running
            cs.started = c.running
            return cs
        }
        return st
    }

    private func writeStatus(_ rt: PodRuntime) {
        guard up, !rt.stopped else { return }
        var p = rt.pod
        p.status = podStatus(rt)
        client.patchStatus(.pod(p)) { [weak self, weak rt] error in
            guard let self, let rt, let error, !error.isNotFound else { return }
            // Retried shortly with whatever the state is then (status manager resync).
            guard !rt.statusWritePending else { return }
            rt.statusWritePending = true
            self.kernel.schedule(after: 1) { [weak self, weak rt] in
                guard let self, let rt else { return }
                rt.statusWritePending = false
                self.writeStatus(rt)
            }
        }
    }

    // MARK: Disk

    func changeDisk(fill: Int64) {
        nonImageUsed = max(0, Self.saturatingAdd(nonImageUsed, fill))
        diskChanged()
    }

    private func diskChanged() {
        onDiskChanged?(self)
        let free = diskCapacity - diskUsed
        let pressure = Double(free) < Double(diskCapacity) * 0.10
        guard pressure != diskPressure else { return }
        diskPressure = pressure
        writeNodeConditions()
    }

    static let diskPressureTaint = Taint(key: "node.kubernetes.io/disk-pressure", effect: Taint.noSchedule)

    /// Writes Ready and DiskPressure conditions and the disk-pressure taint.
    /// Writes the node's Ready and DiskPressure conditions, and the disk-pressure taint, as they
    /// stand when the write is applied: a latency from now, or at once for a node the scenario
    /// creates (it starts in the state its disk implies).
    func writeNodeConditions(immediate: Bool = false) {
        guard up else { return }
        if immediate { applyNodeConditions() } else { client.send({ [weak self] () throws(APIError) in self?.applyNodeConditions() }) }
    }

    private func applyNodeConditions() {
        guard up, case .node(var node)? = server.get(.node, "", nodeName) else { return }
        let now = kernel.now
        func set(_ type: String, _ status: String, _ reason: String, _ message: String) {
            var conds = node.status?.conditions ?? []
            if let i = conds.firstIndex(where: { $0.type == type }) {
                if conds[i].status != status { conds[i].lastTransitionTime = now }
                conds[i].status = status
                conds[i].reason = reason
                conds[i].message = message
                conds[i].lastHeartbeatTime = now
            } else {
                var c = Condition(type: type, status: status, lastTransitionTime: now, reason: reason, message: message)
                c.lastHeartbeatTime = now
                conds.append(c)
            }
            if node.status == nil { node.status = NodeStatus() }
            node.status!.conditions = conds
        }
        set("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        set("DiskPressure", diskPressure ? "True" : "False", diskPressure ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
            diskPressure ? "kubelet has disk pressure" : "kubelet has no disk pressure")
        _ = try? server.update(.node(node), subresource: .status, actor: .kubelet, ignoreResourceVersion: true)
        // Taint by condition.
        guard case .node(var fresh)? = server.get(.node, "", nodeName) else { return }
        var taints = fresh.spec?.taints ?? []
        let has = taints.contains { $0.key == Self.diskPressureTaint.key && $0.effect == Taint.noSchedule }
        if diskPressure && !has {
            var t = Self.diskPressureTaint
            t.timeAdded = now
            taints.append(t)
        } else if !diskPressure && has {
            taints.removeAll { $0.key == Self.diskPressureTaint.key }
        } else {
            return
        }
        if fresh.spec == nil { fresh.spec = NodeSpec() }
        fresh.spec!.taints = taints.isEmpty ? nil : taints
        _ = try? server.update(.node(fresh), subresource: .main, actor: .kubelet)
    }

    // MARK: Up / down

    func stop() {
        guard up else { return }
        up = false
        stoppedAt = kernel.now
    }

    /// When the kubelet last renewed its node lease. A running kubelet renews every 10 s; the
    /// simulator does not write each renewal but answers as if it had (the last 10 s tick).
    public private(set) var stoppedAt: Timestamp?
    public var lastLeaseRenewal: Timestamp {
        let now = up ? kernel.now : (stoppedAt ?? kernel.now)
        let tick: Int64 = 10_000_000_000
        let start = kernel.clock.start.nanos
        return Timestamp(nanos: start + (now.nanos - start) / tick * tick)
    }

    func resume() {
        guard !up else { return }
        up = true
        let events = buffered
        buffered = []
        // Resync: what the API server has for this node now.
        let bound = Set(server.list(Pod.self).filter { $0.spec.nodeName == nodeName }.map(\.key))
        for (t, p) in events { handle(t, p) }
        for key in pods.keys.sorted() where !bound.contains(key) {
            if let rt = pods.removeValue(forKey: key) { stopContainers(rt) }
        }
        for p in server.list(Pod.self) where p.spec.nodeName == nodeName {
            if let rt = pods[p.key] {
                rt.pod = p
                if p.metadata.deletionTimestamp != nil { stopAndConfirm(rt) } else { writeStatus(rt) }
            } else {
                handle(.added, p)
            }
        }
        writeNodeConditions()
    }
}
