import Foundation
import Engine
import OrderedCollections

/// `kruise-sim report TRACE --perfetto OUT.json`: the Chrome trace-event format that
/// ui.perfetto.dev and chrome://tracing open. Process "nodes" has a track per node with a slice
/// per pod (start, else bind, to finish, else deletion, else the run's end: the trace's
/// `pod_placements`); process "controllers" a track per controller with a slice per reconcile;
/// process "cluster" instant events for cron slots, refused writes and timeline-action
/// failures. Timestamps are microseconds since the run's start.
public enum PerfettoReport {
    public static func render(_ trace: TraceFile) throws -> String {
        var events: [JSONValue] = []
        func meta(_ pid: Int, _ tid: Int?, _ name: String, _ value: String, sort: Int? = nil) {
            var o: OrderedDictionaryJSON = [("ph", .string("M")), ("pid", .int(Int64(pid)))]
            if let tid { o.append(("tid", .int(Int64(tid)))) }
            o.append(("name", .string(name)))
            o.append(("args", .object(sort.map { ["sort_index": .int(Int64($0))] } ?? ["name": .string(value)])))
            events.append(object(o))
        }
        func us(_ seconds: Double) -> JSONValue { .int(Int64((seconds * 1_000_000).rounded())) }
        let run = try trace.rows("SELECT scenario, seed, digest FROM run")[0]
        meta(1, nil, "process_name", "nodes")
        meta(2, nil, "process_name", "controllers")
        meta(3, nil, "process_name", "cluster")
        meta(1, nil, "process_sort_index", "", sort: 1)
        meta(2, nil, "process_sort_index", "", sort: 2)
        meta(3, nil, "process_sort_index", "", sort: 3)
        // Nodes, in name order, each its own thread.
        let nodes = try trace.rows("SELECT DISTINCT node FROM node_samples UNION SELECT DISTINCT node FROM pods WHERE node IS NOT NULL ORDER BY 1")
            .compactMap { $0[0] ?? nil }.sorted(by: HTMLReport.naturalOrder)
        var nodeTid: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            nodeTid[n] = i + 1
            meta(1, i + 1, "thread_name", n)
        }
        for p in try trace.rows("SELECT node, namespace, name, owner_kind, owner_name, phase, from_offset, to_offset FROM pod_placements") {
            guard let node = p[0], let tid = nodeTid[node] else { continue }
            let from = Double(p[6] ?? "") ?? 0, to = Double(p[7] ?? "") ?? from
            events.append(object([("name", .string(p[2] ?? "")), ("cat", .string("pod")), ("ph", .string("X")), ("pid", .int(1)),
                                  ("tid", .int(Int64(tid))), ("ts", us(from)), ("dur", us(max(0, to - from))),
                                  ("args", .object(["namespace": .string(p[1] ?? ""), "owner": .string(p[3].map { "\($0)/\(p[4] ?? "")" } ?? ""),
                                                    "phase": .string(p[5] ?? ""), "node": .string(node)]))]))
        }
        // Controllers.
        let controllers = try trace.rows("SELECT DISTINCT controller FROM reconciles ORDER BY 1").compactMap { $0[0] ?? nil }
        var ctrlTid: [String: Int] = [:]
        for (i, c) in controllers.enumerated() {
            ctrlTid[c] = i + 1
            meta(2, i + 1, "thread_name", c)
        }
        for r in try trace.rows("SELECT id, controller, key, offset_seconds, duration_seconds, result, writes FROM reconciles ORDER BY id") {
            guard let c = r[1], let tid = ctrlTid[c] else { continue }
            events.append(object([("name", .string(r[2] ?? "")), ("cat", .string("reconcile")), ("ph", .string("X")), ("pid", .int(2)),
                                  ("tid", .int(Int64(tid))), ("ts", us(Double(r[3] ?? "") ?? 0)), ("dur", us(Double(r[4] ?? "") ?? 0)),
                                  ("args", .object(["id": .int(Int64(r[0] ?? "") ?? 0), "result": .string(r[5] ?? ""),
                                                    "writes": .int(Int64(r[6] ?? "") ?? 0)]))]))
        }
        // Cluster-wide instants.
        meta(3, 1, "thread_name", "cron slots")
        meta(3, 2, "thread_name", "faults")
        for s in try trace.rows("SELECT namespace, name, offset_seconds, time, schedule FROM cron_slots ORDER BY seq") {
            events.append(object([("name", .string("cron slot \(s[1] ?? "")")), ("cat", .string("cron")), ("ph", .string("i")), ("s", .string("p")),
                                  ("pid", .int(3)), ("tid", .int(1)), ("ts", us(Double(s[2] ?? "") ?? 0)),
                                  ("args", .object(["advancedCronJob": .string("\(s[0] ?? "")/\(s[1] ?? "")"), "slot": .string(s[3] ?? ""),
                                                    "schedule": .string(s[4] ?? "")]))]))
        }
        for f in try trace.rows("SELECT offset_seconds, actor, verb, kind, namespace, name, code, message FROM failed_writes ORDER BY seq") {
            events.append(object([("name", .string("\(f[2] ?? "") \(f[3] ?? "")/\(f[5] ?? "") refused (\(f[6] ?? ""))")), ("cat", .string("fault")),
                                  ("ph", .string("i")), ("s", .string("p")), ("pid", .int(3)), ("tid", .int(2)), ("ts", us(Double(f[0] ?? "") ?? 0)),
                                  ("args", .object(["actor": .string(f[1] ?? ""), "namespace": .string(f[4] ?? ""), "message": .string(f[7] ?? "")]))]))
        }
        for a in try trace.rows("SELECT offset_seconds, location, message FROM action_errors ORDER BY seq") {
            events.append(object([("name", .string("timeline action failed")), ("cat", .string("fault")), ("ph", .string("i")), ("s", .string("g")),
                                  ("pid", .int(3)), ("tid", .int(2)), ("ts", us(Double(a[0] ?? "") ?? 0)),
                                  ("args", .object(["location": .string(a[1] ?? ""), "message": .string(a[2] ?? "")]))]))
        }
        let root = object([("traceEvents", .array(events)), ("displayTimeUnit", .string("ms")),
                           ("otherData", .object(["scenario": .string(run[0] ?? ""), "seed": .string(run[1] ?? ""), "digest": .string(run[2] ?? ""),
                                                  "start": .string(trace.start.rfc3339)]))])
        return root.jsonText() + "\n"
    }

    typealias OrderedDictionaryJSON = [(String, JSONValue)]

    static func object(_ pairs: OrderedDictionaryJSON) -> JSONValue {
        var o: [String: JSONValue] = [:]
        var keys: [String] = []
        for (k, v) in pairs { if o[k] == nil { keys.append(k) }; o[k] = v }
        return .object(.init(uniqueKeysWithValues: keys.map { ($0, o[$0]!) }))
    }
}
