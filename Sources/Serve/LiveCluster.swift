import Foundation
import OrderedCollections
import Engine
import Sim

/// A simulation served live: virtual time follows the wall clock at `speed` virtual seconds per
/// wall second (0 pauses it), and each HTTP request enters the kernel as an event at the virtual
/// instant it arrived.
///
/// Threads: the HTTP server's event loop only reads requests and writes responses; everything
/// that touches the simulation runs on the thread that called ``run()``, one request at a time,
/// between kernel events. So the simulation stays single-threaded: what the wall clock decides
/// is only *when* (in virtual time) a request arrives, as it is for a real API server.
public final class LiveCluster: @unchecked Sendable {
    public let sim: Simulation
    let api: KubeHandler
    /// Guards `queue`, `stopFlag` and wakes the simulation thread.
    private let cond = NSCondition()
    private var queue: [(request: HTTPRequest, responder: Responder, wall: UInt64)] = []
    private var stopFlag = false
    private var stopReason = ""

    /// The clock mapping: virtual = virtualBase + (wall − wallBase) × speed (simulation thread only).
    private(set) var speed: Double
    private var wallBase: UInt64
    private var virtualBase: Timestamp
    /// Where short log lines go (stderr by default).
    public var log: (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    private var checksReported = 0
    private var violationsReported = 0
    private var actionErrorsReported = 0
    private var lastProgressWall: UInt64 = 0
    private var lastProgressVirtual = 0.0

    public init(sim: Simulation, speed: Double) {
        self.sim = sim
        self.speed = speed
        wallBase = DispatchTime.now().uptimeNanoseconds
        virtualBase = sim.scenario.start
        api = KubeHandler(sim: sim)
        api.control = self
        sim.start()
    }

    /// Hands a request to the simulation thread (any thread may call it).
    public func submit(_ request: HTTPRequest, _ responder: Responder) {
        cond.lock()
        queue.append((request, responder, DispatchTime.now().uptimeNanoseconds))
        cond.signal()
        cond.unlock()
    }

    /// Asks ``run()`` to stop after the current step (any thread, e.g. a signal handler).
    public func stop(_ reason: String) {
        cond.lock()
        if !stopFlag { stopFlag = true; stopReason = reason }
        cond.signal()
        cond.unlock()
    }

    private func virtualTime(atWall w: UInt64) -> Timestamp {
        guard speed > 0, w > wallBase else { return virtualBase }
        return virtualBase.adding(seconds: Double(w - wallBase) / 1e9 * speed)
    }

    /// Moves virtual time on by `seconds` now (the control endpoint), whatever the speed.
    func jump(by seconds: Double) {
        let target = sim.now.adding(seconds: max(0, seconds))
        rebase(at: target)
        stepTo(target)
    }

    /// Sets the speed from now on (virtual time so far is kept).
    func setSpeed(_ s: Double) {
        rebase(at: sim.now)
        speed = s
    }

    private func rebase(at t: Timestamp) {
        wallBase = DispatchTime.now().uptimeNanoseconds
        virtualBase = t
    }

    /// Advances to `t` in slices of at most a virtual second, reporting checks as they come due,
    /// until there, asked to stop, or (`yieldToRequests`) a request is waiting, or `budget` wall
    /// seconds have passed.
    private func stepTo(_ t: Timestamp, yieldToRequests: Bool = false, budget: Double? = nil) {
        let target = min(t, sim.end)
        let began = DispatchTime.now().uptimeNanoseconds
        while sim.now < target && !sim.stopped {
            sim.advance(to: min(target, sim.now.adding(seconds: 1)))
            reportProgress()
            cond.lock()
            let interrupt = stopFlag || (yieldToRequests && !queue.isEmpty)
            cond.unlock()
            if interrupt { break }
            if let budget, Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 > budget { break }
        }
    }

    /// Wall seconds the simulation may fall behind the clock before the clock waits for it.
    static let maxLag = 0.5
    /// Whether the simulation has fallen behind since the last progress line.
    private var fellBehind = false

    /// Serves until the scenario's duration ends or ``stop(_:)`` is called; returns why it stopped.
    public func run() -> String {
        rebase(at: sim.now)
        while true {
            cond.lock()
            let jobs = queue
            queue.removeAll()
            let stopping = stopFlag
            cond.unlock()
            if stopping { break }
            for job in jobs {
                // A request is applied at the instant it arrived. When the simulation is behind
                // the clock (more work than the speed allows), it is applied once the simulation
                // has caught up or after 20 ms of trying, at the instant reached: an overloaded
                // simulation runs slower than --speed rather than answering late.
                let arrival = max(sim.now, min(virtualTime(atWall: job.wall), sim.end))
                if arrival > sim.now { stepTo(arrival, budget: 0.02) }
                if job.request.path.hasPrefix("/kruise-sim/") {
                    control(job.request, job.responder)
                } else {
                    // A request that arrived as the duration ended still gets its answer.
                    sim.performNow { [api] in api.handle(job.request, job.responder) }
                }
            }
            let wallNow = DispatchTime.now().uptimeNanoseconds
            stepTo(virtualTime(atWall: wallNow), yieldToRequests: true)
            reportProgress()
            // Behind by more than maxLag of wall time: the clock waits (virtual time restarts from
            // the instant reached), so it never races ahead later to catch up.
            if speed > 0, virtualTime(atWall: wallNow).seconds(since: sim.now) > Self.maxLag * speed {
                rebase(at: sim.now)
                fellBehind = true
            }
            if sim.stopped { return "the run stopped early" }
            if sim.now >= sim.end { return "the scenario's duration (\(formatSeconds(sim.scenario.duration))) ended" }
            cond.lock()
            if queue.isEmpty && !stopFlag {
                // Wake for the next request, or after a short tick to follow the clock.
                _ = cond.wait(until: Date(timeIntervalSinceNow: speed > 0 ? 0.005 : 0.25))
            }
            cond.unlock()
        }
        cond.lock()
        defer { cond.unlock() }
        return stopReason
    }

    /// Answers what is still queued with 503 (the server is stopping) and closes the watches.
    public func drain() {
        cond.lock()
        let jobs = queue
        queue.removeAll()
        cond.unlock()
        for job in jobs {
            job.responder.send(status: 503, json: KubeStatus.failure(code: 503, reason: "ServiceUnavailable", message: "kruise-sim is stopping").body.jsonText())
        }
        api.closeWatches()
    }

    /// New `expect` results, violations and failed timeline actions, one line each, and a progress
    /// line every few wall seconds.
    private func reportProgress() {
        let results = sim.checkResults
        while checksReported < results.count {
            let r = results[checksReported]
            checksReported += 1
            log("kruise-sim: [\(stamp(r.time))] expect \(r.passed ? "passed" : "FAILED"): \(r.subject) (\(r.location))" + (r.passed ? "" : r.details.map { "\n    \($0)" }.joined()))
        }
        let v = sim.violationsSoFar
        while violationsReported < v.count {
            let x = v[violationsReported]
            violationsReported += 1
            log("kruise-sim: [\(stamp(x.time))] invariant \(x.invariant) violated: \(x.message)")
        }
        let a = sim.actionErrorsSoFar
        while actionErrorsReported < a.count {
            let x = a[actionErrorsReported]
            actionErrorsReported += 1
            log("kruise-sim: [\(stamp(x.time))] \(x.location): \(x.message)")
        }
        let w = DispatchTime.now().uptimeNanoseconds
        if w - lastProgressWall > 10_000_000_000 {
            let elapsed = sim.now.seconds(since: sim.scenario.start)
            if lastProgressWall != 0 {
                let rate = (elapsed - lastProgressVirtual) / (Double(w - lastProgressWall) / 1e9)
                let behind = fellBehind ? String(format: "; behind the clock: %.0f× of the %g× asked", rate, speed) : ""
                log("kruise-sim: virtual time +\(formatSeconds(elapsed.rounded())) of \(formatSeconds(sim.scenario.duration)), \(sim.api.resourceVersion) writes\(behind)")
            }
            lastProgressWall = w
            lastProgressVirtual = elapsed
            fellBehind = false
        }
    }

    /// `/kruise-sim/...`: the clock's control endpoints (outside any kernel event: they move time).
    private func control(_ req: HTTPRequest, _ out: Responder) {
        func bad(_ code: Int, _ msg: String) {
            out.send(status: code, json: JSONValue.object(["error": .string(msg)]).jsonText())
        }
        switch (req.method, req.path) {
        case ("GET", "/kruise-sim/time"):
            out.send(status: 200, json: timeJSON())
        case ("POST", "/kruise-sim/advance"):
            if let by = req.query["by"] {
                guard let s = try? parseGoDurationSeconds(by), s >= 0 else {
                    return bad(400, "by=\(by): expected a duration such as 30s, 5m or 1h30m")
                }
                jump(by: s)
            } else if req.query["to"] == "next" {
                guard let next = sim.nextEventTime, next <= sim.end else { return bad(409, "no event is scheduled before the scenario's end") }
                jump(by: max(0, next.seconds(since: sim.now)))
            } else {
                return bad(400, "POST /kruise-sim/advance takes ?by=DURATION (e.g. 30s) or ?to=next")
            }
            log("kruise-sim: advanced to \(stamp(sim.now))")
            out.send(status: 200, json: timeJSON())
        case ("GET", "/kruise-sim/nodes"):
            out.send(status: 200, contentType: "text/plain; charset=utf-8", body: Array(nodesText().utf8))
        case ("POST", "/kruise-sim/speed"):
            guard let x = req.query["x"].flatMap(Double.init), x >= 0, x.isFinite else {
                return bad(400, "POST /kruise-sim/speed takes ?x=SPEED, virtual seconds per wall second (0 pauses)")
            }
            setSpeed(x)
            log("kruise-sim: speed \(x == 0 ? "0 (paused)" : "\(x)")")
            out.send(status: 200, json: timeJSON())
        default:
            bad(404, "kruise-sim control endpoints: GET /kruise-sim/time, GET /kruise-sim/nodes, POST /kruise-sim/advance?by=30s|?to=next, POST /kruise-sim/speed?x=60")
        }
    }

    /// What each node's kubelet holds (disk and images), which the API does not show: a table.
    func nodesText() -> String {
        func gib(_ b: Int64) -> String { String(format: "%.1fGi", Double(b) / Double(1 << 30)) }
        let pods = Dictionary(grouping: sim.api.list(Pod.self).filter { !$0.isTerminal }, by: { $0.spec.nodeName ?? "" })
        var rows = [["NAME", "KUBELET", "DISK-USED", "CAPACITY", "USED%", "IMAGES", "PODS"]]
        for k in sim.nodeKubelets {
            rows.append([k.nodeName, k.up ? "up" : "down", gib(k.diskUsed), gib(k.diskCapacity), String(format: "%.1f%%", k.diskUsedPercent),
                         String(k.images.count), String(pods[k.nodeName]?.count ?? 0)])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        let lines = rows.map { r in r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "   ").trimmingCharacters(in: .whitespaces) }
        return "virtual time \(sim.now.rfc3339) (\(stamp(sim.now)))\n" + lines.joined(separator: "\n") + "\n"
    }

    public func stamp(_ t: Timestamp) -> String { "+" + formatSeconds(t.seconds(since: sim.scenario.start)) }

    /// The control endpoints' view of the clock.
    func timeJSON() -> String {
        let elapsed = sim.now.seconds(since: sim.scenario.start)
        var o: [(String, JSONValue)] = [
            ("now", .string(sim.now.rfc3339)),
            ("elapsed", .string(formatSeconds(elapsed))),
            ("elapsedSeconds", .double(elapsed)),
            ("end", .string(sim.end.rfc3339)),
            ("speed", .double(speed)),
            ("paused", .bool(speed == 0)),
        ]
        if let n = sim.nextEventTime { o.append(("nextEvent", .string(n.rfc3339))) }
        return JSONValue.object(.init(uniqueKeysWithValues: o)).jsonText()
    }
}
