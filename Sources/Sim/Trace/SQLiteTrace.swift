import Foundation
import CSQLite
import Engine

/// Writes a run to SQLite (`--trace FILE`) in the layout docs/trace-schema.md describes:
/// the run, every write (an object's first version whole, later versions as the sections that
/// changed), refused writes, events, pod lifecycle intervals, node samples, job status changes,
/// cron slots, reconciles, checks and invariants.
///
/// Rows are inserted in the order things happen, through prepared statements, in one
/// transaction. Nothing depends on the wall clock, so the same run gives the same bytes.
/// It is built in a temporary file next to the target and renamed over it by `finish()`, so a run
/// that fails or is killed leaves any previous trace at that path intact (see ``AtomicFile``).
public final class SQLiteTrace: TraceSink {
    private var db: OpaquePointer?
    private var stmts: [OpaquePointer?] = Array(repeating: nil, count: Table.allCases.count)
    private var seq: Int64 = 0
    let scenario: Scenario
    let start: Timestamp
    /// The target path, and the temporary file the trace is built in until `finish()`.
    public let path: String
    private let temporary: String
    /// Set when `finish()` could not complete the file (it is then not at `path`).
    public private(set) var finishError: String?

    public struct TraceError: Error, CustomStringConvertible { public let description: String }

    enum Table: Int, CaseIterable {
        case run, write, failedWrite, event, pod, nodeSample, jobStatus, cronSlot, reconcile, check, invariant, violation, actionError
    }

    public init(path: String, scenario: Scenario) throws {
        self.scenario = scenario
        start = scenario.start
        now = scenario.start
        self.path = path
        temporary = AtomicFile.temporaryPath(for: path)
        guard sqlite3_open(temporary, &db) == SQLITE_OK else {
            sqlite3_close(db)
            unlink(temporary)
            throw TraceError(description: "cannot open \(path)")
        }
        // 64 KiB pages: a large run's rows and object texts are appended with far fewer pages and
        // overflow pages to allocate and write (BENCHMARKS.md, "Trace"); a small trace starts at
        // one page per table.
        try exec("PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA user_version=\(TraceSchema.version);")
        try exec(TraceSchema.ddl)
        try exec("BEGIN;")
        for t in Table.allCases {
            var st: OpaquePointer?
            let sql = Self.insertSQL(t)
            guard sqlite3_prepare_v2(db, sql, -1, &st, nil) == SQLITE_OK, let st else {
                throw TraceError(description: "cannot prepare \(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
            stmts[t.rawValue] = st
        }
    }

    static func insertSQL(_ t: Table) -> String {
        func ins(_ table: String, _ n: Int) -> String { "INSERT INTO \(table) VALUES (\(Array(repeating: "?", count: n).joined(separator: ",")))" }
        switch t {
        case .run: return ins("run", 16)
        case .write: return ins("writes", 13)
        case .failedWrite: return ins("failed_writes", 12)
        case .event: return ins("events", 10)
        case .pod: return ins("pods", 16)
        case .nodeSample: return ins("node_samples", 12)
        case .jobStatus: return ins("job_status", 11)
        case .cronSlot: return ins("cron_slots", 6)
        case .reconcile: return ins("reconciles", 9)
        case .check: return ins("checks", 7)
        case .invariant: return ins("invariants", 3)
        case .violation: return ins("violations", 9)
        case .actionError: return ins("action_errors", 6)
        }
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw TraceError(description: String(cString: sqlite3_errmsg(db)))
        }
    }

    // MARK: Binding

    private enum Value {
        case text(String), int(Int64), real(Double), null
    }

    /// The text values of the row being inserted, back to back, and where each one is: SQLite reads
    /// them in place (no copy per value) while the statement steps.
    private var textBytes: [UInt8] = []
    private var textSpans: [(parameter: Int32, start: Int, count: Int)] = []

    private func insert(_ t: Table, _ values: [Value]) {
        guard let s = stmts[t.rawValue] else { return }
        textBytes.removeAll(keepingCapacity: true)
        textSpans.removeAll(keepingCapacity: true)
        for (i, v) in values.enumerated() {
            let n = Int32(i + 1)
            switch v {
            case .text(var x):
                x.withUTF8 { b in  // the bytes as one buffer: a copy, not a walk of the UTF-8 view
                    textSpans.append((n, textBytes.count, b.count))
                    textBytes.append(contentsOf: b)
                }
            case .int(let x): sqlite3_bind_int64(s, n, x)
            case .real(let x): sqlite3_bind_double(s, n, x)
            case .null: sqlite3_bind_null(s, n)
            }
        }
        textBytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
            for span in textSpans { _ = csqlite_bind_text_static(s, span.parameter, base.map { $0 + span.start }, Int32(span.count)) }
            sqlite3_step(s)
            // Let go of the bytes before the buffer is reused; every column is bound again before the next step.
            sqlite3_reset(s)
        }
    }

    private func nextSeq() -> Value {
        seq += 1
        return .int(seq)
    }
    /// An instant's RFC 3339 text; consecutive rows mostly share one instant, so the last is kept.
    private var lastTime: (Timestamp, Value)?
    private func time(_ t: Timestamp) -> Value {
        if let (u, v) = lastTime, u == t { return v }
        let v = Value.text(t.rfc3339)
        lastTime = (t, v)
        return v
    }
    private func off(_ t: Timestamp) -> Value { .real(t.seconds(since: start)) }
    private func off(_ t: Timestamp?) -> Value { t.map { .real($0.seconds(since: start)) } ?? .null }
    private func opt(_ s: String?) -> Value { s.map { .text($0) } ?? .null }
    private func opt(_ i: Int64?) -> Value { i.map { .int($0) } ?? .null }

    // MARK: Writes

    public func change(_ c: APIServer.Change) {
        now = c.time
        let m = c.object.metadata
        let (encoding, object) = objectColumn(c)
        insert(.write, [nextSeq(), time(c.time), off(c.time), .text(c.actor.rawValue), .text(c.verb), .text(c.type.rawValue),
                        .text(c.object.kind.rawValue), .text(m.namespace ?? ""), .text(m.name ?? ""), .text(m.resourceVersion ?? ""),
                        opt(c.reconcile), .text(encoding), .text(object)])
        if let r = c.reconcile { reconcileWrites[r, default: 0] += 1 }
        switch c.object {
        case .pod(let p): podChanged(c, p)
        case .node(let n): nodeChanged(c, n)
        case .broadcastJob(let j):
            jobStatus(c, .broadcastJob, j.metadata, c.type == .deleted ? "Deleted" : (j.status?.phase ?? ""),
                      desired: Int64(j.status?.desired ?? 0), active: Int64(j.status?.active ?? 0),
                      succeeded: Int64(j.status?.succeeded ?? 0), failed: Int64(j.status?.failed ?? 0))
        case .job(let j):
            let phase = c.type == .deleted ? "Deleted" : j.finishedCondition?.type
                ?? (j.spec.suspend == true ? "Suspended" : ((j.status?.active ?? 0) > 0 ? "Running" : "Pending"))
            jobStatus(c, .job, j.metadata, phase, desired: j.spec.completions.map(Int64.init), active: Int64(j.status?.active ?? 0),
                      succeeded: Int64(j.status?.succeeded ?? 0), failed: Int64(j.status?.failed ?? 0))
        case .advancedCronJob(let a):
            let active = Int64(a.status?.active?.count ?? 0)
            let phase = c.type == .deleted ? "Deleted" : (a.spec.paused == true ? "Paused" : (active > 0 ? "Active" : "Idle"))
            jobStatus(c, .advancedCronJob, a.metadata, phase, desired: nil, active: active, succeeded: nil, failed: nil)
            let last = a.status?.lastScheduleTime
            if c.type != .deleted, let last, last != lastSlot[a.metadata.uid ?? ""] {
                lastSlot[a.metadata.uid ?? ""] = last
                insert(.cronSlot, [nextSeq(), time(last), off(last), .text(a.metadata.namespace ?? ""), .text(a.metadata.name ?? ""),
                                   .text(a.spec.schedule)])
            }
        case .event: break
        }
    }

    /// The `object` column: the whole manifest for a first version (or one with fields the model
    /// does not know), else `sections`: the top-level sections (metadata, spec, status) that
    /// differ from the previous version, each whole; metadata counts as unchanged when only its
    /// resourceVersion moved (the row has it).
    private func objectColumn(_ c: APIServer.Change) -> (String, String) {
        func full() -> (String, String) { ("full", (try? c.object.manifestJSONText()) ?? "") }
        guard let old = c.old else { return full() }
        let s: String?
        switch (old, c.object) {
        case (.pod(let a), .pod(let b)):
            s = sections(a.unknownFields != nil || b.unknownFields != nil, a.metadata, b.metadata, a.spec, b.spec, a.status, b.status)
        case (.node(let a), .node(let b)):
            s = sections(a.unknownFields != nil || b.unknownFields != nil, a.metadata, b.metadata, a.spec, b.spec, a.status, b.status)
        case (.job(let a), .job(let b)):
            s = sections(a.unknownFields != nil || b.unknownFields != nil, a.metadata, b.metadata, a.spec, b.spec, a.status, b.status)
        case (.broadcastJob(let a), .broadcastJob(let b)):
            s = sections(a.unknownFields != nil || b.unknownFields != nil, a.metadata, b.metadata, a.spec, b.spec, a.status, b.status)
        case (.advancedCronJob(let a), .advancedCronJob(let b)):
            s = sections(a.unknownFields != nil || b.unknownFields != nil, a.metadata, b.metadata, a.spec, b.spec, a.status, b.status)
        default:
            s = nil
        }
        guard let s else { return full() }
        return ("sections", s)
    }

    private func sections<S: Encodable & Equatable, T: Encodable & Equatable>(
        _ unknown: Bool, _ am: ObjectMeta, _ bm: ObjectMeta, _ aSpec: S, _ bSpec: S, _ aStatus: T, _ bStatus: T
    ) -> String? {
        if unknown { return nil }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(512)
        func add<V: Encodable>(_ key: StaticString, _ v: V) -> Bool {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
            return (try? CompactJSON.write(v, to: &out)) != nil
        }
        var m = am
        m.resourceVersion = bm.resourceVersion
        if m != bm, !add("metadata", bm) { return nil }
        if aSpec != bSpec, !add("spec", bSpec) { return nil }
        if aStatus != bStatus, !add("status", bStatus) { return nil }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public func failedWrite(_ f: APIServer.FailedWrite) {
        insert(.failedWrite, [nextSeq(), time(f.time), off(f.time), .text(f.actor.rawValue), .text(f.verb), .text(f.kind.rawValue),
                              .text(f.namespace), .text(f.name), .int(Int64(f.error.code)), .text(f.error.reason.rawValue),
                              .text(f.error.message), opt(f.reconcile)])
    }

    public func event(_ e: RecordedEvent) {
        insert(.event, [nextSeq(), time(e.time), off(e.time), .text(e.component), .text(e.kind), .text(e.namespace),
                        .text(e.name), .text(e.type), .text(e.reason), .text(e.message)])
    }

    // MARK: Pods

    private struct PodRow {
        var id: Int64
        var namespace: String, name: String, uid: String
        var node: String?
        var ownerKind: String?, ownerName: String?
        var created: Timestamp
        var scheduled: Timestamp?, started: Timestamp?, finished: Timestamp?, deleting: Timestamp?
        var phase: String
        var restarts: Int64
        var reconcile: Int64?
        var counted: String?  // the node this pod is counted on in node samples
    }
    private var pods: [String: PodRow] = [:]  // by uid
    private var podIDs: Int64 = 0

    private func podChanged(_ c: APIServer.Change, _ p: Pod) {
        let uid = p.metadata.uid ?? "\(p.metadata.namespace ?? "")/\(p.metadata.name ?? "")"
        var row: PodRow
        if let r = pods[uid] {
            row = r
        } else {
            podIDs += 1
            let owner = p.metadata.controllerRef
            row = PodRow(id: podIDs, namespace: p.metadata.namespace ?? "", name: p.metadata.name ?? "", uid: uid, node: nil,
                         ownerKind: owner?.kind, ownerName: owner?.name, created: p.metadata.creationTimestamp ?? c.time,
                         phase: p.status?.phase ?? "Pending", restarts: 0, reconcile: c.reconcile)
        }
        if let n = p.spec.nodeName, !n.isEmpty, row.node == nil {
            row.node = n
            row.scheduled = c.time
        }
        let phase = p.status?.phase ?? "Pending"
        row.phase = phase
        if row.started == nil, phase == "Running" || (p.status?.containerStatuses ?? []).contains(where: { $0.state?.running != nil || $0.state?.terminated != nil }) {
            row.started = c.time
        }
        if row.finished == nil, phase == "Succeeded" || phase == "Failed" { row.finished = c.time }
        row.restarts = Int64((p.status?.containerStatuses ?? []).reduce(0) { $0 + Int($1.restartCount) })
        if row.deleting == nil, p.metadata.deletionTimestamp != nil { row.deleting = c.time }
        // Counted on its node while bound, not finished and not gone.
        let counts = c.type != .deleted && row.node != nil && row.finished == nil
        let countedOn = counts ? row.node : nil
        if countedOn != row.counted {
            if let was = row.counted { nodeState(was) { $0.pods -= 1 } }
            if let now = countedOn { nodeState(now) { $0.pods += 1 } }
            row.counted = countedOn
        }
        if c.type == .deleted {
            pods[uid] = nil
            writePod(row, deleted: c.time)
        } else {
            pods[uid] = row
        }
    }

    private func writePod(_ r: PodRow, deleted: Timestamp?) {
        insert(.pod, [.int(r.id), .text(r.namespace), .text(r.name), .text(r.uid), opt(r.node), opt(r.ownerKind), opt(r.ownerName),
                      off(r.created), off(r.scheduled), off(r.started), off(r.finished), off(r.deleting), off(deleted), .text(r.phase),
                      .int(r.restarts), opt(r.reconcile)])
    }

    // MARK: Nodes

    private struct NodeState: Equatable {
        var exists = false
        var diskUsed: Int64?
        var diskCapacity: Int64?
        var ready: String?
        var conditions = ""
        var taints = ""
        var unschedulable = false
        var pods: Int64 = 0
    }
    private var nodes: [String: NodeState] = [:]
    private var written: [String: NodeState] = [:]
    private var now: Timestamp

    private func nodeState(_ name: String, _ change: (inout NodeState) -> Void) {
        var s = nodes[name] ?? NodeState()
        change(&s)
        nodes[name] = s
        guard s != written[name] else { return }
        written[name] = s
        insert(.nodeSample, [nextSeq(), time(now), off(now), .text(name), .int(s.exists ? 1 : 0), opt(s.diskUsed), opt(s.diskCapacity),
                             opt(s.ready), .text(s.conditions), .text(s.taints), .int(s.unschedulable ? 1 : 0), .int(s.pods)])
    }

    private func nodeChanged(_ c: APIServer.Change, _ n: Node) {
        let conds = n.status?.conditions ?? []
        nodeState(n.metadata.name ?? "") { s in
            s.exists = c.type != .deleted
            s.ready = conds.first { $0.type == "Ready" }?.status
            s.conditions = conds.map { "\($0.type)=\($0.status)" }.joined(separator: ",")
            s.taints = n.taints.map { "\($0.key)\($0.value.map { "=\($0)" } ?? ""):\($0.effect)" }.joined(separator: ",")
            s.unschedulable = n.unschedulable
        }
    }

    public func disk(node: String, used: Int64, capacity: Int64, at: Timestamp) {
        now = at
        nodeState(node) { s in
            s.diskUsed = used
            s.diskCapacity = capacity
        }
    }

    // MARK: Jobs

    private var jobs: [String: [Value]] = [:]
    private var lastSlot: [String: Timestamp] = [:]

    private func jobStatus(_ c: APIServer.Change, _ kind: KnownKind, _ m: ObjectMeta, _ phase: String,
                           desired: Int64?, active: Int64?, succeeded: Int64?, failed: Int64?) {
        let key = "\(kind.rawValue)/\(m.uid ?? "")"
        let values: [Value] = [.text(kind.rawValue), .text(m.namespace ?? ""), .text(m.name ?? ""), .text(phase),
                               opt(desired), opt(active), opt(succeeded), opt(failed)]
        if let prev = jobs[key], prev.count == values.count, zip(prev, values).allSatisfy({ same($0, $1) }) { return }
        jobs[key] = c.type == .deleted ? nil : values
        insert(.jobStatus, [nextSeq(), time(c.time), off(c.time)] + values)
    }

    private func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.real(let x), .real(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    // MARK: Reconciles

    private var reconcileWrites: [Int64: Int64] = [:]
    public var wantsReconciles: Bool { true }

    public func reconcile(id: Int64, controller: String, key: String, started: Timestamp, finished: Timestamp, result: String) {
        let writes = reconcileWrites.removeValue(forKey: id) ?? 0
        insert(.reconcile, [.int(id), .text(controller), .text(key), time(started), off(started), off(finished),
                            .real(finished.seconds(since: started)), .text(result), .int(writes)])
    }

    /// Compact JSON with keys in the value's stored order.
    static func json(_ v: JSONValue) -> String { v.jsonText() }

    // MARK: The end

    public func finish(_ o: RunOutcome) {
        let s = o.scenario
        for r in pods.values.sorted(by: { $0.id < $1.id }) { writePod(r, deleted: nil) }
        pods = [:]
        for c in o.checks {
            insert(.check, [nextSeq(), time(c.time), off(c.time), .text(c.location.description), .text(c.subject),
                            .int(c.passed ? 1 : 0), .text(c.details.joined(separator: "\n"))])
        }
        for name in Scenario.invariantNames {
            let mode: String
            switch s.mode(of: name) {
            case .off: mode = "off"
            case .on: mode = "on"
            case .violated: mode = "expected-violated"
            }
            insert(.invariant, [.text(name), .text(mode), .int(Int64(o.violations.filter { $0.invariant == name }.count))])
        }
        for v in o.violations {
            insert(.violation, [nextSeq(), .text(v.invariant), time(v.time), off(v.time), off(v.until), .int(Int64(v.checks)),
                                .text(v.message), .text(v.objects.joined(separator: "\n")), .int(o.demanded.contains(v.invariant) ? 1 : 0)])
        }
        for e in o.actionErrors {
            insert(.actionError, [nextSeq(), time(e.time), off(e.time), .text(e.location.description), .text(e.kind.rawValue), .text(e.message)])
        }
        insert(.run, [.text(s.name), .text(s.file), .int(Int64(bitPattern: s.seed)), time(s.start), time(o.endTime),
                      .real(s.duration), .text(o.digest), .text(o.passed ? "passed" : "failed"), .int(o.passed ? 1 : 0),
                      .text(KruiseSimVersion.current), .int(Int64(clamping: o.events)), .int(o.writes), .int(Int64(o.reconciles)),
                      .int(Int64(o.checks.count)), .int(Int64(o.failedChecks.count)), .int(Int64(o.violations.count))])
        finish()
    }

    public func finish() {
        guard db != nil else { return }
        for s in stmts { sqlite3_finalize(s) }
        stmts = stmts.map { _ in nil }
        let committed = Result { try exec("COMMIT;") }
        sqlite3_close(db)
        db = nil
        do {
            try committed.get()
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            finishError = "cannot write trace \(path): \(error)"
        }
    }

    /// A trace whose run did not finish is dropped: the temporary file goes, the target is untouched.
    public func abandon() {
        for s in stmts { sqlite3_finalize(s) }
        stmts = stmts.map { _ in nil }
        if db != nil { sqlite3_close(db) }
        db = nil
        unlink(temporary)
    }

    deinit {
        if db != nil { abandon() }
    }
}
