import Foundation
import Engine
import OrderedCollections

/// `kruise-sim bench` output: a table, or one JSON object (`--json`).
public enum BenchReport {
    /// The JSON document's keys, in order (the smoke test checks each is present).
    public static let jsonKeys = [
        "workload", "nodes", "seed", "runs", "completed", "virtualDiffered",
        "wallSeconds", "wallSecondsPerRun", "virtualSeconds", "timeCompression",
        "podLifecycles", "podLifecyclesPerWallSecond", "reconciles", "reconcilesPerWallSecond",
        "apiWrites", "apiWritesPerWallSecond", "kernelEvents", "kernelEventsPerWallSecond", "peakMemoryBytes",
        "rolloutSeconds", "rolloutMaxSeconds", "rollouts", "podsAtEnd", "podsPeak", "apiRequestsPerSecond", "apiRequests",
        "reconcileLatencyP50Seconds", "reconcileLatencyP99Seconds", "peakQueueDepth", "controllers", "digest", "measuredReconcile",
    ]

    public static func json(_ r: BenchResult) -> JSONValue {
        let v = r.virtual
        func num(_ x: Double?) -> JSONValue { x.map { $0.isFinite ? .double(round6($0)) : .null } ?? .null }
        var o = OrderedDictionary<String, JSONValue>()
        o["workload"] = .string(r.workload.rawValue)
        o["nodes"] = .int(Int64(r.nodes))
        o["seed"] = .int(Int64(bitPattern: r.seed))
        o["runs"] = .int(Int64(r.runs.count))
        o["completed"] = .bool(v.completed)
        o["virtualDiffered"] = .bool(r.virtualDiffered)
        o["wallSeconds"] = num(r.wallSeconds)
        o["wallSecondsPerRun"] = .array(r.runs.map { num($0.wallSeconds) })
        o["virtualSeconds"] = num(v.virtualSeconds)
        o["timeCompression"] = num(r.timeCompression)
        o["podLifecycles"] = .int(Int64(v.podLifecycles))
        o["podLifecyclesPerWallSecond"] = num(r.perWall(Double(v.podLifecycles)))
        o["reconciles"] = .int(Int64(v.reconciles))
        o["reconcilesPerWallSecond"] = num(r.perWall(Double(v.reconciles)))
        o["apiWrites"] = .int(v.apiWrites)
        o["apiWritesPerWallSecond"] = num(r.perWall(Double(v.apiWrites)))
        o["kernelEvents"] = .int(Int64(clamping: v.kernelEvents))
        o["kernelEventsPerWallSecond"] = num(r.perWall(Double(v.kernelEvents)))
        o["peakMemoryBytes"] = r.peakMemoryBytes.map { .int($0) } ?? .null
        o["rolloutSeconds"] = num(v.rolloutMedian)
        o["rolloutMaxSeconds"] = num(v.rolloutMax)
        o["rollouts"] = .int(Int64(v.rollouts.count))
        o["podsAtEnd"] = .int(Int64(v.podsAtEnd))
        o["podsPeak"] = .int(Int64(v.podsPeak))
        o["apiRequestsPerSecond"] = .object(OrderedDictionary(uniqueKeysWithValues: ClientComponent.allCases.map { ($0.name, num(r.perVirtual(v.apiCalls($0)))) }))
        o["apiRequests"] = .object(OrderedDictionary(uniqueKeysWithValues: ClientComponent.allCases.map { ($0.name, JSONValue.int(Int64(v.apiCalls($0)))) }))
        o["reconcileLatencyP50Seconds"] = num(v.reconcileP50)
        o["reconcileLatencyP99Seconds"] = num(v.reconcileP99)
        o["peakQueueDepth"] = .int(Int64(v.peakQueueDepth))
        o["controllers"] = .object(OrderedDictionary(uniqueKeysWithValues: v.controllers.map { c in
            (c.name, JSONValue.object(["reconciles": .int(Int64(c.reconciles)), "latencyP50Seconds": num(c.p50), "latencyP99Seconds": num(c.p99),
                                       "peakQueueDepth": .int(Int64(c.peakQueueDepth))]))
        }))
        o["digest"] = .string(v.digest)
        if let m = v.measured {
            o["measuredReconcile"] = .object(["reconciles": .int(Int64(m.count)), "wallSecondsPerReconcile": num(r.secondsPerReconcile),
                                              "apiCallsPerReconcile": num(m.apiCallsPerReconcile), "apiWritesPerReconcile": num(m.apiWritesPerReconcile)])
        } else {
            o["measuredReconcile"] = .null
        }
        return .object(o)
    }

    public static func jsonText(_ r: BenchResult) -> String { json(r).jsonText(pretty: true) + "\n" }

    public static func text(_ r: BenchResult) -> String {
        let v = r.virtual
        var rows: [(String, String)] = []
        func row(_ k: String, _ x: String) { rows.append((k, x)) }
        row("wall", "\(fmt(r.wallSeconds)) s" + (r.runs.count > 1 ? " (median of \(r.runs.count) runs)" : ""))
        row("virtual", "\(formatSeconds(v.virtualSeconds)) (\(fmt(v.virtualSeconds)) s)\(v.completed ? "" : "  NOT COMPLETED")")
        row("time compression", "\(fmt(r.timeCompression))× (virtual / wall)")
        row("pod lifecycles", "\(group(v.podLifecycles))  (\(fmt(r.perWall(Double(v.podLifecycles)))) / wall s; \(lifecycleMeaning(r.workload)))")
        row("reconciles", "\(group(v.reconciles))  (\(fmt(r.perWall(Double(v.reconciles)))) / wall s)")
        row("API writes", "\(group(Int(v.apiWrites)))  (\(fmt(r.perWall(Double(v.apiWrites)))) / wall s)")
        row("kernel events", "\(group(Int(v.kernelEvents)))  (\(fmt(r.perWall(Double(v.kernelEvents)))) / wall s)")
        row("peak memory", r.peakMemoryBytes.map { "\(fmt(Double($0) / 1_048_576)) MiB" } ?? "unknown")
        if let m = v.measured {
            row("reconcile wall time", r.secondsPerReconcile.map { "\(fmt($0 * 1000)) ms per reconcile (median of \(m.count))" } ?? "-")
            row("  API calls / writes", "\(fmt(m.apiCallsPerReconcile)) / \(fmt(m.apiWritesPerReconcile)) per reconcile")
        }
        row("simulated cluster:", "")
        if let med = v.rolloutMedian {
            let what = v.rollouts.count > 1 ? "median of \(v.rollouts.count) jobs, max \(formatSeconds(v.rolloutMax!))" : r.workload.rolloutTarget
            row("  rollout", "\(formatSeconds(med)) virtual (\(what))")
        } else {
            row("  rollout", "not reached (\(r.workload.rolloutTarget))")
        }
        row("  pods in the API server", "\(group(v.podsAtEnd)) at the end, at most \(group(v.podsPeak)) at once")
        for c in ClientComponent.allCases {
            row("  API requests \(c.name)", "\(fmt(r.perVirtual(v.apiCalls(c)))) / virtual s  (\(group(v.apiCalls(c))) calls)")
        }
        row("  reconcile latency", "p50 \(dur(v.reconcileP50)), p99 \(dur(v.reconcileP99)) virtual (dequeue to return)")
        row("  queue depth peak", "\(v.peakQueueDepth)")
        for c in v.controllers where c.reconciles > 0 {
            row("    \(c.name)", "\(group(c.reconciles)) reconciles, p50 \(dur(c.p50)), p99 \(dur(c.p99)), queue peak \(c.peakQueueDepth)")
        }
        row("  digest", v.digest)
        let width = rows.map(\.0.count).max() ?? 0
        var out = "kruise-sim bench \(r.workload.rawValue): \(group(r.nodes)) nodes, seed \(r.seed)\n"
        for (k, x) in rows {
            out += x.isEmpty ? "  \(k)\n" : "  \(k.padding(toLength: width, withPad: " ", startingAt: 0))  \(x)\n"
        }
        if r.virtualDiffered { out += "WARNING: the virtual figures differed between runs with one seed (a determinism bug)\n" }
        return out
    }

    static func lifecycleMeaning(_ w: BenchWorkload) -> String {
        switch w.lifecycle {
        case .finished: return "pods that reached Succeeded or Failed"
        case .deleted: return "pods created and deleted"
        case .running: return "pods that reached Running"
        }
    }

    static func dur(_ s: Double?) -> String {
        guard let s else { return "-" }
        if s == 0 { return "0" }
        if s < 1 { return "\(fmt(s * 1000))ms" }
        return formatSeconds(s)
    }

    static func round6(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }

    /// Three significant digits, grouped thousands for large values.
    static func fmt(_ x: Double) -> String {
        guard x.isFinite else { return "∞" }
        if abs(x) >= 1000 { return group(Int(x.rounded())) }
        if abs(x) >= 100 { return String(format: "%.0f", x) }
        if abs(x) >= 10 { return String(format: "%.1f", x) }
        if abs(x) >= 1 { return String(format: "%.2f", x) }
        return String(format: "%.3g", x)
    }

    static func group(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
