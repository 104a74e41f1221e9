import Foundation
import Engine

/// What `kubectl get`, `kubectl describe` and `kubectl events` would print about the objects of
/// a trace at one virtual instant (`kruise-sim get`, `describe`, `events`).
public enum KubectlViews {
    public struct UsageError: Error, CustomStringConvertible { public let description: String }

    /// The kinds the trace views show (events are shown by `events`, not `get`).
    static let viewedKinds: [KnownKind] = [.broadcastJob, .advancedCronJob, .pod, .node, .job]

    /// The kind a kubectl resource name stands for (``KubeResources/lookup(_:)``: plural, singular,
    /// short name, with or without the group); a usage error with a did-you-mean otherwise.
    public static func kind(_ name: String) throws -> KnownKind {
        if let k = KubeResources.lookup(name)?.knownKind, viewedKinds.contains(k) { return k }
        let all = viewedKinds.map { KubeResources.resource(for: $0) }.flatMap { [$0.singular, $0.plural] + $0.shortNames }
        var msg = "error: the server doesn't have a resource type \"\(name)\" (known: broadcastjobs (bcj), advancedcronjobs (acj), pods (po), nodes (no), jobs)"
        if let s = suggestion(name.lowercased(), all) { msg += "; did you mean \"\(s)\"?" }
        throw UsageError(description: msg)
    }

    /// `kind/name` as `--for` and `describe` take it ("bcj/x", "pod/y").
    public static func reference(_ text: String) throws -> (KnownKind, String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw UsageError(description: "error: expected KIND/NAME such as bcj/my-job or pod/my-pod, got \"\(text)\"")
        }
        return (try kind(parts[0]), parts[1])
    }

    /// The resource as `-o name` writes it ("broadcastjob.apps.kruise.io", "pod").
    static func resourceName(_ k: KnownKind) -> String {
        let r = KubeResources.resource(for: k)
        return r.group.isEmpty ? r.singular : "\(r.singular).\(r.group)"
    }

    /// The resource as the API server names it in a NotFound message ("broadcastjobs.apps.kruise.io", "pods").
    public static func pluralResource(_ k: KnownKind) -> String { KubeResources.resource(for: k).groupResource }

    // MARK: get

    public enum Output: String, CaseIterable { case table = "", wide, yaml, json, name }

    /// The text `kubectl get` prints on stdout, and what it prints on stderr (no resources, not
    /// found); `found` is false when a named object does not exist (kubectl exits 1 then).
    public static func get(_ trace: TraceFile, kind: KnownKind, name: String?, namespace: String?, at t: Timestamp,
                           output: Output) throws -> (stdout: String, stderr: String, found: Bool) {
        var objs = try trace.objects(at: t, kind: kind)
        if kind.namespaced, let ns = namespace { objs = objs.filter { $0.metadata.namespace == ns } }
        objs.sort { ($0.metadata.namespace ?? "", $0.metadata.name ?? "") < ($1.metadata.namespace ?? "", $1.metadata.name ?? "") }
        if let name {
            objs = objs.filter { $0.metadata.name == name }
            if objs.isEmpty {
                return ("", "Error from server (NotFound): \(pluralResource(kind)) \"\(name)\" not found\n", false)
            }
        }
        if objs.isEmpty && (output == .table || output == .wide || output == .name) {
            let whereText = kind.namespaced ? (namespace.map { " in \($0) namespace" } ?? "") : ""
            return ("", "No resources found\(whereText).\n", true)
        }
        switch output {
        case .name:
            return (objs.map { "\(resourceName(kind))/\($0.metadata.name ?? "")\n" }.joined(), "", true)
        case .json, .yaml:
            let values = try objs.map { try $0.manifest() }
            let doc: JSONValue = name != nil && values.count == 1 ? values[0]
                : .object(["apiVersion": .string("v1"), "items": .array(values), "kind": .string("List"),
                           "metadata": .object(["resourceVersion": .string("")])])
            return (output == .json ? doc.jsonText(pretty: true) + "\n" : yaml(doc), "", true)
        case .table, .wide:
            let showNS = kind.namespaced && namespace == nil
            var rows = [header(kind, wide: output == .wide)]
            for o in objs { rows.append(row(o, at: t, wide: output == .wide)) }
            if showNS {
                rows[0].insert("NAMESPACE", at: 0)
                for i in 1..<rows.count { rows[i].insert(objs[i - 1].metadata.namespace ?? "", at: 0) }
            }
            return (table(rows), "", true)
        }
    }

    /// kubectl's column headers (``KubePrinters/columns(_:)`` upper-cased; priority-1 columns only when wide).
    static func header(_ k: KnownKind, wide: Bool) -> [String] {
        KubePrinters.columns(k).filter { wide || $0.priority == 0 }.map { $0.name.uppercased() }
    }

    static func age(_ since: Timestamp?, _ t: Timestamp) -> String { KubePrinters.age(since, t) }

    /// One object's row as kubectl prints it (``KubePrinters/cells(_:now:)``, rendered).
    static func row(_ o: APIObject, at t: Timestamp, wide: Bool) -> [String] {
        zip(KubePrinters.columns(o.kind), KubePrinters.cells(o, now: t)).filter { wide || $0.0.priority == 0 }.map { KubePrinters.render($0.1) }
    }

    /// Columns padded as kubectl's tabwriter pads them (three spaces between columns).
    static func table(_ rows: [[String]]) -> String {
        guard let n = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: n)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for r in rows {
            var line = ""
            for (i, c) in r.enumerated() {
                line += i == r.count - 1 ? c : c.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0)
            }
            out += line + "\n"
        }
        return out
    }

    // MARK: YAML

    /// A value as YAML (kubectl -o yaml layout: two-space indent, lists not indented under their key).
    public static func yaml(_ v: JSONValue) -> String {
        func scalar(_ v: JSONValue) -> String {
            switch v {
            case .null: return "null"
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            case .string(let s): return quote(s)
            case .array: return "[]"
            case .object: return "{}"
            }
        }
        func isBlock(_ v: JSONValue) -> Bool {
            switch v {
            case .object(let o): return !o.isEmpty
            case .array(let a): return !a.isEmpty
            default: return false
            }
        }
        func lines(_ v: JSONValue) -> [String] {
            switch v {
            case .object(let o) where !o.isEmpty:
                var out: [String] = []
                for (k, x) in o {
                    if !isBlock(x) { out.append("\(quote(k)): \(scalar(x))"); continue }
                    out.append("\(quote(k)):")
                    if case .object = x { out += lines(x).map { "  " + $0 } } else { out += lines(x) }
                }
                return out
            case .array(let a) where !a.isEmpty:
                var out: [String] = []
                for x in a {
                    if !isBlock(x) { out.append("- \(scalar(x))"); continue }
                    let l = lines(x)
                    out.append("- " + l[0])
                    out += l.dropFirst().map { "  " + $0 }
                }
                return out
            default:
                return [scalar(v)]
            }
        }
        return lines(v).map { $0 + "\n" }.joined()
    }

    static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:@+".unicodeScalars.contains($0) }
            && !s.contains(": ") && !s.hasSuffix(":") && s.first.map { $0.isLetter || $0 == "/" || $0 == "_" } == true
            && !["true", "false", "yes", "no", "on", "off", "null", "y", "n"].contains(s.lowercased())
        if plain { return s }
        return JSONValue.string(s).jsonText()
    }

    // MARK: describe

    /// `kubectl describe` for an object: its fields in kubectl's generic layout (Name, Namespace,
    /// Labels, Annotations, API Version, Kind, Metadata, Spec, Status) and its events.
    public static func describe(_ trace: TraceFile, kind: KnownKind, name: String, namespace: String, at t: Timestamp) throws -> String? {
        guard let o = try trace.objects(at: t, kind: kind).first(where: {
            $0.metadata.name == name && (!kind.namespaced || $0.metadata.namespace == namespace)
        }) else { return nil }
        guard case .object(let m) = try o.manifest() else { return nil }
        let meta = m["metadata"]?.objectValue ?? [:]
        var out = ""
        func field(_ k: String, _ v: String) { out += (k + ":").padding(toLength: max(14, k.count + 2), withPad: " ", startingAt: 0) + v + "\n" }
        field("Name", name)
        if kind.namespaced { field("Namespace", o.metadata.namespace ?? "") }
        func keyValues(_ title: String, _ d: [String: String]?) {
            let items = (d ?? [:]).keys.sorted().map { "\($0)=\(d![$0]!)" }
            field(title, items.first ?? "<none>")
            for i in items.dropFirst() { out += String(repeating: " ", count: 14) + i + "\n" }
        }
        keyValues("Labels", o.metadata.labels)
        keyValues("Annotations", o.metadata.annotations)
        field("API Version", m["apiVersion"]?.stringValue ?? "")
        field("Kind", m["kind"]?.stringValue ?? "")
        var rest = meta
        for k in ["name", "namespace", "labels", "annotations"] { rest.removeValue(forKey: k) }
        out += "Metadata:\n" + describeValue(.object(rest), indent: 2)
        for section in ["spec", "status"] {
            if let v = m[section] { out += section.prefix(1).uppercased() + section.dropFirst() + ":\n" + describeValue(v, indent: 2) }
        }
        let evs = try events(trace, kind: kind, name: name, namespace: kind.namespaced ? namespace : nil, until: t)
        if evs.isEmpty {
            out += "Events:                <none>\n"
        } else {
            out += "Events:\n"
            var rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
            for e in evs { rows.append([e.type, e.reason, e.interval(at: t), e.component, e.message]) }
            out += table(rows).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// kubectl's generic describe layout: "Title Case" keys, nested maps indented by two.
    static func describeValue(_ v: JSONValue, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = ""
        switch v {
        case .object(let o):
            for (k, x) in o {
                let title = titleCase(k)
                switch x {
                case .object(let c) where !c.isEmpty: out += "\(pad)\(title):\n" + describeValue(x, indent: indent + 2)
                case .array(let a) where !a.isEmpty: out += "\(pad)\(title):\n" + describeValue(x, indent: indent + 2)
                default: out += "\(pad)\(title):".padding(toLength: max(indent + 14, indent + title.count + 2), withPad: " ", startingAt: 0) + x.rendered + "\n"
                }
            }
        case .array(let a):
            for x in a {
                if case .object = x {
                    let body = describeValue(x, indent: indent + 2)
                    out += pad + "  " + body.dropFirst(indent + 2)
                } else {
                    out += "\(pad)\(x.rendered)\n"
                }
            }
        default:
            out += "\(pad)\(v.rendered)\n"
        }
        return out
    }

    /// "lastScheduleTime" → "Last Schedule Time", as kubectl's describe prints field names.
    static func titleCase(_ k: String) -> String {
        var out = ""
        var prevLower = false
        for ch in k {
            if ch.isUppercase && prevLower { out += " " }
            out += out.isEmpty ? ch.uppercased() : String(ch)
            prevLower = ch.isLowercase || ch.isNumber
        }
        return out
    }

    // MARK: events

    /// An Event as the API server would hold it: client-go's recorder (`EventCorrelator`) sends a
    /// repeat of an event (same source, object, type, reason and message) as an update of the
    /// first, its `count` raised and `lastTimestamp` moved, not as a new Event.
    public struct EventRow {
        public var time: Timestamp
        public var component: String, kind: String, namespace: String, name: String, type: String, reason: String, message: String
        public var count = 1
        public var lastTime: Timestamp

        /// kubectl's interval cell: the first time's age, or `LAST (xN over FIRST)` for a repeated event.
        func interval(at t: Timestamp) -> String {
            count > 1 ? "\(KubePrinters.age(lastTime, t)) (x\(count) over \(KubePrinters.age(time, t)))" : KubePrinters.age(time, t)
        }
    }

    /// The events recorded up to `t`, each repeat folded into its first, ordered by the time each
    /// was last seen (as kubectl sorts them).
    static func events(_ trace: TraceFile, kind: KnownKind?, name: String?, namespace: String?, until t: Timestamp) throws -> [EventRow] {
        var sql = "SELECT time, component, kind, namespace, name, type, reason, message FROM events WHERE offset_seconds <= CAST(? AS REAL)"
        var args = [String(trace.offset(of: t))]
        if let kind { sql += " AND kind = ?"; args.append(kind.rawValue) }
        if let name { sql += " AND name = ?"; args.append(name) }
        if let namespace { sql += " AND namespace = ?"; args.append(namespace) }
        var rows: [EventRow] = []
        var first: [[String]: Int] = [:]
        for r in try trace.rows(sql + " ORDER BY seq", args) {
            let time = Timestamp(rfc3339: r[0] ?? "") ?? trace.start
            let key = r[1...].map { $0 ?? "" }
            if let i = first[key] {
                rows[i].count += 1
                rows[i].lastTime = time
                continue
            }
            first[key] = rows.count
            rows.append(EventRow(time: time, component: r[1] ?? "", kind: r[2] ?? "", namespace: r[3] ?? "", name: r[4] ?? "",
                                 type: r[5] ?? "", reason: r[6] ?? "", message: r[7] ?? "", lastTime: time))
        }
        return rows.enumerated().sorted { ($0.element.lastTime, $0.offset) < ($1.element.lastTime, $1.offset) }.map(\.element)
    }

    /// `kubectl events` (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE), oldest first, up to `t`.
    public static func eventsTable(_ trace: TraceFile, for ref: (KnownKind, String)?, at t: Timestamp) throws -> String {
        let evs = try events(trace, kind: ref?.0, name: ref?.1, namespace: nil, until: t)
        if evs.isEmpty { return "" }
        var rows = [["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]]
        for e in evs { rows.append([e.interval(at: t), e.type, e.reason, "\(e.kind)/\(e.name)", e.message]) }
        return table(rows)
    }
}
