import Foundation
import Engine

/// Injects the faults that happen at instants rather than on requests (docs/faults.md): informer
/// watch disconnects, controller-manager crashes, kubelet stalls, node losses, pod kills and
/// disk-fill bursts. Each kind is a renewal process: after each occurrence the next is drawn from
/// its `…Every` setting (a duration is the mean of an exponential draw, a range is drawn
/// uniformly), from a seeded stream of its own. A timeline `faults` entry re-arms every kind from
/// that instant; what a fault started (a stall, a node loss, a fill) still ends as drawn.
/// Every injected fault is told in the run's story, prefixed `fault:`.
final class FaultInjector {
    unowned let sim: Simulation
    /// Bumped at each re-arm: timers of earlier settings do nothing.
    private var generation = 0
    /// Nodes whose kubelet a stall or node loss stopped, and which will resume it; a timeline
    /// nodeDown, nodeUp or deleteNode of that node takes it over (the fault will not resume it).
    private var stoppedByFault = Set<String>()
    /// Whether a crash stopped the controller manager and will start it; a timeline
    /// stop/start/restartControllers takes it over.
    private var managerDownByFault = false
    /// When injected crashes had the controller manager down (the last one may still be open).
    private var crashes: [(from: Timestamp, to: Timestamp?)] = []

    /// Seconds the controller manager was down from injected crashes between `t` and now: the
    /// time-bounded invariants add it to their reaction bound (a crashed controller cannot react;
    /// a timeline stopControllers, by contrast, is what those invariants are there to catch).
    func crashDowntime(since t: Timestamp) -> Double {
        let now = sim.kernel.now
        var total = 0.0
        for c in crashes.reversed() {
            let end = c.to ?? now
            if end <= t { break }
            total += end.seconds(since: max(c.from, t))
        }
        return total
    }
    /// Counts per kind, for tests and the docs' sweep figures.
    private(set) var counts: [String: Int] = [:]

    init(sim: Simulation) { self.sim = sim }

    enum Kind: String, CaseIterable {
        case watchDisconnect, controllerCrash, kubeletStall, nodeLoss, podKill, diskFill
    }

    private func every(_ kind: Kind) -> DurationSpec? {
        let f = sim.faults
        switch kind {
        case .watchDisconnect: return f.watchDisconnectEvery
        case .controllerCrash: return f.controllerCrashEvery
        case .kubeletStall: return f.kubeletStallEvery
        case .nodeLoss: return f.nodeLossEvery
        case .podKill: return f.podKillEvery
        case .diskFill: return f.diskFillEvery
        }
    }

    /// (Re)starts every kind from now under the faults in force.
    func arm() {
        generation += 1
        for kind in Kind.allCases { schedule(kind) }
    }

    private func schedule(_ kind: Kind) {
        guard let spec = every(kind) else { return }
        let wait = spec.drawInterval(sim.rng, "faults.\(kind.rawValue)")
        guard wait.isFinite else { return }
        let end = sim.scenario.start.adding(seconds: sim.scenario.duration)
        let at = sim.kernel.now.adding(seconds: wait)
        guard at <= end else { return }
        let gen = generation
        sim.kernel.schedule(at: at) { [weak self] in
            guard let self, gen == self.generation else { return }
            self.fire(kind)
            self.schedule(kind)
        }
    }

    func scenarioTookOver(node: String) { stoppedByFault.remove(node) }
    func scenarioTookOverControllers() {
        managerDownByFault = false
        closeCrash()
    }

    private func closeCrash() {
        if let last = crashes.indices.last, crashes[last].to == nil { crashes[last].to = sim.kernel.now }
    }

    private func draw(_ kind: Kind, _ n: Int) -> Int {
        min(n - 1, Int(sim.rng.unit("faults.\(kind.rawValue)") * Double(n)))
    }

    private func fire(_ kind: Kind) {
        let f = sim.faults
        let stream = "faults.\(kind.rawValue)"
        switch kind {
        case .watchDisconnect:
            let ws = sim.server.relistingWatchers
            guard !ws.isEmpty else { return }
            let w = ws[draw(kind, ws.count)]
            // client-go's reflector backs off 800ms (with up to 100% jitter) before it lists again.
            let gap = 0.8 + 0.8 * sim.rng.unit(stream)
            sim.server.disconnect(w, reconnectAfter: gap)
            sim.tell("fault: the \(w.name) watch disconnected; its informers relist in \(formatSeconds(gap))")
        case .controllerCrash:
            guard sim.controllerManager.running else { return }
            let down = (f.controllerDowntime ?? FaultSettings.defaultControllerDowntime).draw(sim.rng, stream)
            sim.controllerManager.stop()
            managerDownByFault = true
            crashes.append((sim.kernel.now, nil))
            sim.tell("fault: the controller manager crashed; it is back in \(formatSeconds(down))")
            sim.kernel.schedule(after: down) { [weak self] in
                guard let self, self.managerDownByFault else { return }
                self.managerDownByFault = false
                self.closeCrash()
                self.sim.controllerManager.start()
                self.sim.tell("fault: the controller manager restarted: queues, caches and expectations rebuilt from a fresh list")
            }
        case .kubeletStall, .nodeLoss:
            let up = sim.kubeletsByName.filter { $0.kubelet.up }
            guard !up.isEmpty else { return }
            let name = up[draw(kind, up.count)].name
            let lasts = kind == .kubeletStall ? (f.kubeletStallFor ?? FaultSettings.defaultKubeletStallFor) : (f.nodeLossFor ?? FaultSettings.defaultNodeLossFor)
            let d = lasts.draw(sim.rng, stream)
            guard sim.stopKubelet(name) else { return }
            stoppedByFault.insert(name)
            sim.tell(kind == .kubeletStall ? "fault: the kubelet on \(name) stalled for \(formatSeconds(d))"
                                           : "fault: node \(name) lost (unreachable) for \(formatSeconds(d))")
            sim.kernel.schedule(after: d) { [weak self] in
                guard let self, self.stoppedByFault.remove(name) != nil else { return }
                self.sim.resumeKubelet(name)
                self.sim.tell(kind == .kubeletStall ? "fault: the kubelet on \(name) resumed" : "fault: node \(name) is back")
            }
        case .podKill:
            var candidates: [(Kubelet, Pod)] = []
            for p in sim.server.list(Pod.self) where p.metadata.deletionTimestamp == nil {
                guard let n = p.spec.nodeName, let k = sim.kubelets[n], k.up, k.hasRunningContainer(p.key) else { continue }
                candidates.append((k, p))
            }
            guard !candidates.isEmpty else { return }
            let (k, p) = candidates[draw(kind, candidates.count)]
            _ = k.kill(p.key) { sim.tell("fault: killed the containers of pod \(p.name) on \(k.nodeName)") }
        case .diskFill:
            let all = sim.kubeletsByName
            guard !all.isEmpty else { return }
            let (name, k) = all[draw(kind, all.count)]
            let size = (f.diskFillSize ?? FaultSettings.defaultDiskFillSize).draw(sim.rng, stream)
            k.changeDisk(fill: size)
            let freed = f.diskFillFor.map { $0.draw(sim.rng, stream) }
            sim.tell("fault: disk burst of \(formatBytes(size)) on \(name): disk \(String(format: "%.1f", k.diskUsedPercent))% used"
                     + (freed.map { "; freed in \(formatSeconds($0))" } ?? ""))
            if let freed {
                sim.kernel.schedule(after: freed) { [weak self, weak k] in
                    guard let self, let k, self.sim.kubelets[name] === k else { return }
                    k.changeDisk(fill: -size)
                    self.sim.tell("fault: disk burst on \(name) freed: disk \(String(format: "%.1f", k.diskUsedPercent))% used")
                }
            }
        }
        counts[kind.rawValue, default: 0] += 1
    }
}
