import Foundation
import Engine
import OrderedCollections

/// Server-side apply (`kubectl apply --server-side`: `PATCH` with
/// `Content-Type: application/apply-patch+yaml` and `?fieldManager=kubectl`), as far as kubectl's
/// use of it needs:
///
/// - An apply to a missing object creates it from the applied configuration.
/// - An apply to an existing object merges the configuration into it: maps merge, lists that
///   upstream keys (``KubePatch/mergeKey(_:)``: containers by name, ports by containerPort, …)
///   merge element by element, other lists and scalars are replaced.
/// - Each apply manager's fields are recorded in `metadata.managedFields` (`operation: Apply`,
///   `fieldsType: FieldsV1`, the upstream `f:`/`k:` field set). A field the same manager applied
///   before and no longer applies is removed, unless another apply manager also owns it.
/// - Conflicts are between apply managers only: applying a different value to a field another
///   manager applied is a 409 Conflict (`Apply failed with 1 conflict: conflict with "other": .spec.x`)
///   unless `force` (`--force-conflicts`), which takes the field over.
///
/// Simplified (documented in docs/serve.md): writes that are not applies (create, update, patch,
/// and the controllers' writes) record no managed fields, so they never conflict with an apply
/// and an apply may overwrite what they set; `status` in an applied configuration is ignored
/// (the main resource's apply does not touch status).
public enum KubeApply {
    /// The merged (or new) object and whether it is new.
    public struct Result: Sendable {
        public var object: JSONValue
        public var created: Bool
    }

    /// Applies `config` (the request body) to `live` (nil: the object does not exist) for
    /// `fieldManager`, at virtual instant `now` (the managed-fields entry's time).
    public static func apply(_ config: JSONValue, to live: JSONValue?, resource r: KubeResource, fieldManager: String?, now: Timestamp,
                             force: Bool) throws(KubePatchError) -> Result {
        guard let manager = fieldManager, !manager.isEmpty else {
            throw .bad("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        }
        guard case .object(var cfg) = config else { throw .bad("error decoding YAML: the applied configuration is not a map") }
        guard let apiVersion = cfg["apiVersion"]?.stringValue, let kind = cfg["kind"]?.stringValue, kind == r.kind,
              KubeResources.resource(apiVersion: apiVersion, kind: kind) == r else {
            throw .bad("the applied configuration's apiVersion and kind must be those of \(r.groupResource) (\(r.groupVersion(r.preferredVersion)) \(r.kind)), got \(cfg["apiVersion"]?.rendered ?? "none") \(cfg["kind"]?.rendered ?? "none")")
        }
        guard let name = cfg["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw .bad("metadata.name: Required value: name is required for an applied configuration")
        }
        cfg.removeValue(forKey: "status")
        let applied = JSONValue.object(cfg)
        let newFields = fieldSet(applied)
        let entry = managedEntry(manager: manager, apiVersion: apiVersion, fields: newFields, now: now)

        guard let live, case .object(var liveObj) = live else {
            var created = cfg
            var meta = created["metadata"]?.objectValue ?? [:]
            meta["managedFields"] = .array([entry])
            created["metadata"] = .object(meta)
            return Result(object: .object(created), created: true)
        }

        // Other apply managers' fields, and this manager's previous ones.
        var others: [(manager: String, entry: JSONValue, fields: Set<[String]>)] = []
        var previous = Set<[String]>()
        for e in liveObj["metadata"]?["managedFields"]?.arrayValue ?? [] {
            let fields = fieldPaths(e["fieldsV1"] ?? .object([:]))
            if e["manager"]?.stringValue == manager && e["operation"]?.stringValue == "Apply" { previous = fields } else { others.append((e["manager"]?.stringValue ?? "", e, fields)) }
        }

        // Conflicts: a field another apply manager owns, set here to a different value.
        var conflicts: [(String, [String])] = []
        for o in others where o.entry["operation"]?.stringValue == "Apply" {
            for p in newFields.intersection(o.fields).sorted(by: { $0.lexicographicallyPrecedes($1) }) where p.last != "." {
                if let a = value(applied, p), let b = value(live, p), !KubePatch.sameJSON(a, b) { conflicts.append((o.manager, p)) }
            }
        }
        if !conflicts.isEmpty && !force {
            let list = conflicts.map { "conflict with \"\($0.0)\": \(dotted($0.1))" }
            let msg = conflicts.count == 1 ? "Apply failed with 1 conflict: \(list[0])" : "Apply failed with \(conflicts.count) conflicts: " + list.joined(separator: "\n")
            throw KubePatchError(status: KubeStatus.failure(code: 409, reason: "Conflict", message: msg,
                                                            details: .object(["causes": .array(conflicts.map { .object(["reason": "FieldManagerConflict", "message": .string("conflict with \"\($0.0)\"") , "field": .string(dotted($0.1))]) })])))
        }

        // Fields this manager no longer applies, and nobody else owns, go.
        let owned = others.reduce(into: Set<[String]>()) { $0.formUnion($1.fields) }
        var merged = JSONValue.object(liveObj)
        for p in previous.subtracting(newFields).subtracting(owned).sorted(by: { $0.count > $1.count }) {
            merged = removing(merged, p[...])
        }
        merged = merge(merged, applied, field: "")

        // Managed fields: this manager's entry replaced; forced conflicts leave the others' sets.
        let taken = Set(conflicts.map(\.1))
        var entries: [JSONValue] = []
        for o in others {
            if taken.isEmpty || o.entry["operation"]?.stringValue != "Apply" { entries.append(o.entry); continue }
            let kept = o.fields.subtracting(taken)
            if kept.isEmpty { continue }
            var e = o.entry.objectValue ?? [:]
            e["fieldsV1"] = fieldsV1(kept)
            entries.append(.object(e))
        }
        entries.append(entry)
        liveObj = merged.objectValue ?? [:]
        var meta = liveObj["metadata"]?.objectValue ?? [:]
        meta["managedFields"] = .array(entries)
        liveObj["metadata"] = .object(meta)
        return Result(object: .object(liveObj), created: false)
    }

    static func managedEntry(manager: String, apiVersion: String, fields: Set<[String]>, now: Timestamp) -> JSONValue {
        .object(["manager": .string(manager), "operation": "Apply", "apiVersion": .string(apiVersion),
                 "time": .string(now.wholeSeconds.rfc3339), "fieldsType": "FieldsV1", "fieldsV1": fieldsV1(fields)])
    }

    /// Metadata fields the server sets, never owned by an applier.
    static let serverMetadata: Set<String> = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                                              "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"]

    /// The leaf paths `config` sets, as `f:field` / `k:{"key":"value"}` steps (a keyed element also
    /// has its own path ending in `.`).
    public static func fieldSet(_ config: JSONValue) -> Set<[String]> {
        var out = Set<[String]>()
        func walk(_ v: JSONValue, _ path: [String], field: String) {
            switch v {
            case .object(let o) where !o.isEmpty:
                for (k, x) in o {
                    if path.isEmpty && (k == "apiVersion" || k == "kind" || k == "status") { continue }
                    if path == ["f:metadata"] && serverMetadata.contains(k) { continue }
                    walk(x, path + ["f:\(k)"], field: k)
                }
            case .array(let a) where !a.isEmpty:
                if let key = KubePatch.mergeKey(field), a.allSatisfy({ $0[key] != nil }) {
                    for e in a {
                        let elem = path + [elementStep(key, e[key]!)]
                        out.insert(elem + ["."])
                        walk(e, elem, field: "")
                    }
                } else {
                    out.insert(path)
                }
            default:
                if !path.isEmpty { out.insert(path) }
            }
        }
        walk(config, [], field: "")
        return out
    }

    static func elementStep(_ key: String, _ id: JSONValue) -> String { "k:" + JSONValue.object([key: id]).jsonText() }

    /// A field set as `fieldsV1` (nested maps, `{}` leaves).
    static func fieldsV1(_ paths: Set<[String]>) -> JSONValue {
        func build(_ ps: [[String]]) -> JSONValue {
            var o = OrderedDictionary<String, JSONValue>()
            let firsts = Set(ps.compactMap(\.first)).sorted()
            for f in firsts {
                let rest = ps.filter { $0.first == f }.map { Array($0.dropFirst()) }.filter { !$0.isEmpty }
                o[f] = build(rest)
            }
            return .object(o)
        }
        return build(Array(paths))
    }

    /// The leaf paths of a `fieldsV1` value.
    static func fieldPaths(_ v: JSONValue) -> Set<[String]> {
        var out = Set<[String]>()
        func walk(_ v: JSONValue, _ path: [String]) {
            guard case .object(let o) = v, !o.isEmpty else { if !path.isEmpty { out.insert(path) }; return }
            for (k, x) in o { walk(x, path + [k]) }
        }
        walk(v, [])
        return out
    }

    /// `.spec.template.spec.containers[name="c"].image`, as upstream prints a conflicting field.
    static func dotted(_ p: [String]) -> String {
        p.filter { $0 != "." }.map { step in
            if step.hasPrefix("f:") { return "." + step.dropFirst(2) }
            if step.hasPrefix("k:") {
                let body = String(step.dropFirst(2))
                if let data = body.data(using: .utf8), let v = try? JSONDecoder().decode(JSONValue.self, from: data), let (k, x) = v.objectValue?.elements.first {
                    return "[\(k)=\(x.renderedQuoted)]"
                }
                return "[\(body)]"
            }
            return step
        }.joined()
    }

    /// The value at a field-set path, if present.
    static func value(_ v: JSONValue, _ p: [String]) -> JSONValue? {
        var cur = v
        for step in p {
            if step == "." { return cur }
            if step.hasPrefix("f:") {
                guard let next = cur[String(step.dropFirst(2))] else { return nil }
                cur = next
            } else if step.hasPrefix("k:") {
                guard let (k, id) = elementKey(step), let e = cur.arrayValue?.first(where: { $0[k] == id }) else { return nil }
                cur = e
            } else {
                return nil
            }
        }
        return cur
    }

    static func elementKey(_ step: String) -> (String, JSONValue)? {
        guard let data = String(step.dropFirst(2)).data(using: .utf8),
              let v = try? JSONDecoder().decode(JSONValue.self, from: data), let first = v.objectValue?.elements.first else { return nil }
        return (first.key, first.value)
    }

    /// `v` without the field (or keyed element) at `p`.
    static func removing(_ v: JSONValue, _ p: ArraySlice<String>) -> JSONValue {
        guard let step = p.first else { return v }
        let rest = p.dropFirst()
        if step.hasPrefix("f:"), case .object(var o) = v {
            let k = String(step.dropFirst(2))
            if rest.isEmpty { o.removeValue(forKey: k) } else if let c = o[k] { o[k] = removing(c, rest) }
            return .object(o)
        }
        if step.hasPrefix("k:"), case .array(var a) = v, let (k, id) = elementKey(step), let i = a.firstIndex(where: { $0[k] == id }) {
            if rest.first == "." || rest.isEmpty { a.remove(at: i) } else { a[i] = removing(a[i], rest) }
            return .array(a)
        }
        return v
    }

    /// Apply's merge: maps recursively, keyed lists element by element, everything else replaced.
    static func merge(_ live: JSONValue, _ cfg: JSONValue, field: String) -> JSONValue {
        switch (live, cfg) {
        case (.object(var l), .object(let c)):
            for (k, v) in c { l[k] = merge(l[k] ?? .null, v, field: k) }
            return .object(l)
        case (.array(var l), .array(let c)):
            guard let key = KubePatch.mergeKey(field), c.allSatisfy({ $0[key] != nil }) else { return cfg }
            for e in c {
                if let i = l.firstIndex(where: { $0[key] == e[key] }) { l[i] = merge(l[i], e, field: "") } else { l.append(e) }
            }
            return .array(l)
        default:
            return cfg
        }
    }
}
