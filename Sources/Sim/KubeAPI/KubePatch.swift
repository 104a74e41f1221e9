import Foundation
import Engine
import OrderedCollections

/// A patch or request body the server cannot apply: ``status`` is the Status to answer with
/// (400 for a body that does not parse, 422 for a JSON patch operation that fails, 415 for a patch
/// type the resource does not take).
public struct KubePatchError: Error, Sendable, CustomStringConvertible {
    public let status: KubeStatus.Response
    public var description: String { status.body["message"]?.stringValue ?? "" }
    static func bad(_ m: String) -> KubePatchError { KubePatchError(status: KubeStatus.badRequest(m)) }
    static func unprocessable(_ m: String) -> KubePatchError {
        KubePatchError(status: KubeStatus.failure(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: \(m)"))
    }
}

/// Request bodies and the four patch types of `PATCH` (`kubectl patch --type`, `kubectl apply`,
/// `kubectl apply --server-side`), on ``JSONValue`` manifests (convert with
/// ``APIObject/decode(manifest:)`` and ``APIObject/manifest()``):
///
/// - `application/merge-patch+json`: RFC 7386 (``JSONValue/mergePatched(with:)``).
/// - `application/json-patch+json`: RFC 6902, every operation (add, remove, replace, move, copy,
///   test) with JSON pointers (`~0`, `~1`, `-`).
/// - `application/strategic-merge-patch+json` (core kinds only; custom resources answer 415 as
///   upstream): maps merge, `null` deletes, lists that upstream merges by a key merge by it (see
///   ``mergeKey(_:)``), `metadata.finalizers` merges as a set, other lists are replaced; the
///   directives `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>` and
///   `$deleteFromPrimitiveList/<list>`.
/// - `application/apply-patch+yaml` (server-side apply): see ``KubeApply``.
public enum KubePatch {
    /// The patch types, by Content-Type.
    public enum PatchType: String, Sendable, CaseIterable {
        case json = "application/json-patch+json"
        case merge = "application/merge-patch+json"
        case strategicMerge = "application/strategic-merge-patch+json"
        case apply = "application/apply-patch+yaml"

        /// The type of a Content-Type header (parameters such as `; charset=utf-8` ignored).
        public init?(contentType: String) {
            let base = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard let t = PatchType(rawValue: base) else { return nil }
            self = t
        }
    }

    /// A request body as a value: JSON, or YAML (`application/yaml`, `application/apply-patch+yaml`).
    public static func parseBody(_ data: Data, contentType: String?) throws(KubePatchError) -> JSONValue {
        let ct = contentType?.lowercased() ?? "application/json"
        if ct.contains("yaml") {
            let text = String(decoding: data, as: UTF8.self)
            let docs: [YNode]
            do { docs = try parseYAMLDocuments(text, file: "body") } catch { throw .bad("error decoding YAML: \(error)") }
            guard docs.count == 1 else { throw .bad("error decoding YAML: expected one document, found \(docs.count)") }
            return docs[0].json()
        }
        do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw .bad("error decoding JSON: the body is not valid JSON (\(String(describing: error).prefix(200)))")
        }
    }

    /// Applies a patch of `type` to `current`. `resource` decides whether a strategic merge patch
    /// is allowed (custom resources: 415). Server-side apply goes through ``KubeApply`` instead.
    public static func apply(_ type: PatchType, patch: JSONValue, to current: JSONValue, resource: KubeResource) throws(KubePatchError) -> JSONValue {
        switch type {
        case .merge:
            guard case .object = patch else { throw .bad("json: cannot unmarshal \(kindName(patch)) into Go value of type map[string]interface {}") }
            return current.mergePatched(with: patch)
        case .json:
            return try jsonPatch(current, patch)
        case .strategicMerge:
            guard !resource.isCustomResource else {
                throw KubePatchError(status: KubeStatus.failure(code: 415, reason: "UnsupportedMediaType",
                                                                message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"))
            }
            guard case .object = patch else { throw .bad("unable to find api field in struct \(resource.kind) for the json field \"\(patch.rendered)\"") }
            return try strategicMerge(current, patch, path: [])
        case .apply:
            throw .bad("an apply patch needs the field manager and the live object: use KubeApply.apply")
        }
    }

    /// JSON equality: numbers by value (`1` equals `1.0`), objects regardless of key order.
    static func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { sameJSON(v, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
        case (.int, .double), (.double, .int), (.int, .int), (.double, .double):
            return a.numberValue == b.numberValue
        default:
            return a == b
        }
    }

    /// A whole PATCH request in one call: the body (`patch`, raw bytes) read by its Content-Type
    /// and applied to `current` (nil: the object does not exist). A missing object is an error
    /// (404) except for server-side apply, which returns the object to create. `now` is the
    /// virtual instant (server-side apply's managed-fields time).
    public static func apply(contentType: String, patch: [UInt8], to current: JSONValue?, resource r: KubeResource, name: String,
                             fieldManager: String?, force: Bool, now: Timestamp) throws(KubePatchError) -> JSONValue {
        guard let type = PatchType(contentType: contentType) else {
            throw KubePatchError(status: KubeStatus.unsupportedMediaType(contentType))
        }
        let body = try parseBody(Data(patch), contentType: type == .apply ? "application/yaml" : "application/json")
        if type == .apply {
            return try KubeApply.apply(body, to: current, resource: r, fieldManager: fieldManager, now: now, force: force).object
        }
        guard let current else { throw KubePatchError(status: KubeStatus.notFound(r, name: name)) }
        return try apply(type, patch: body, to: current, resource: r)
    }

    static func kindName(_ v: JSONValue) -> String {
        switch v {
        case .array: return "array"
        case .string: return "string"
        case .int, .double: return "number"
        case .bool: return "bool"
        case .null: return "null"
        case .object: return "object"
        }
    }

    // MARK: JSON patch (RFC 6902)

    /// RFC 6902 on `doc`; the whole patch applies or nothing does.
    public static func jsonPatch(_ doc: JSONValue, _ patch: JSONValue) throws(KubePatchError) -> JSONValue {
        guard case .array(let ops) = patch else { throw .bad("json: cannot unmarshal \(kindName(patch)) into Go value of type jsonpatch.Patch") }
        var out = doc
        for (i, op) in ops.enumerated() {
            guard let name = op["op"]?.stringValue else { throw .bad("operation \(i) has no \"op\"") }
            guard let path = op["path"]?.stringValue else { throw .unprocessable("\(name) operation does not apply: doc is missing path: \"\"") }
            let tokens = try pointer(path)
            switch name {
            case "add":
                guard let v = op["value"] else { throw .unprocessable("add operation does not apply: missing value") }
                out = try set(out, tokens[...], v, insert: true, path: path)
            case "replace":
                guard let v = op["value"] else { throw .unprocessable("replace operation does not apply: missing value") }
                guard value(out, tokens[...]) != nil else { throw .unprocessable("replace operation does not apply: doc is missing key: \(path)") }
                out = try set(out, tokens[...], v, insert: false, path: path)
            case "remove":
                guard value(out, tokens[...]) != nil else { throw .unprocessable("remove operation does not apply: doc is missing path: \"\(path)\"") }
                out = try remove(out, tokens[...], path: path)
            case "move", "copy":
                guard let from = op["from"]?.stringValue else { throw .unprocessable("\(name) operation does not apply: missing from") }
                let ft = try pointer(from)
                guard let v = value(out, ft[...]) else { throw .unprocessable("\(name) operation does not apply: doc is missing from path: \"\(from)\"") }
                if name == "move" { out = try remove(out, ft[...], path: from) }
                out = try set(out, tokens[...], v, insert: true, path: path)
            case "test":
                let want = op["value"] ?? .null
                guard let have = value(out, tokens[...]), sameJSON(have, want) else {
                    throw .unprocessable("testing value \(path) failed: test failed")
                }
            default:
                throw .bad("Unexpected kind: \(name)")
            }
        }
        return out
    }

    /// A JSON pointer's reference tokens (`~1` is `/`, `~0` is `~`).
    static func pointer(_ p: String) throws(KubePatchError) -> [String] {
        if p.isEmpty { return [] }
        guard p.hasPrefix("/") else { throw .bad("JSON pointer must be empty or start with a \"/\": \(p)") }
        return p.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func value(_ v: JSONValue, _ t: ArraySlice<String>) -> JSONValue? {
        guard let first = t.first else { return v }
        switch v {
        case .object(let o): return o[first].flatMap { value($0, t.dropFirst()) }
        case .array(let a):
            guard let i = Int(first), i >= 0, i < a.count else { return nil }
            return value(a[i], t.dropFirst())
        default: return nil
        }
    }

    static func set(_ v: JSONValue, _ t: ArraySlice<String>, _ new: JSONValue, insert: Bool, path: String) throws(KubePatchError) -> JSONValue {
        guard let first = t.first else { return new }
        let last = t.count == 1
        switch v {
        case .object(var o):
            if last { o[first] = new } else {
                guard let child = o[first] else { throw .unprocessable("add operation does not apply: doc is missing path: \"\(path)\"") }
                o[first] = try set(child, t.dropFirst(), new, insert: insert, path: path)
            }
            return .object(o)
        case .array(var a):
            if last && insert {
                if first == "-" { a.append(new); return .array(a) }
                guard let i = Int(first), i >= 0, i <= a.count else { throw .unprocessable("add operation does not apply: index out of range: \(path)") }
                a.insert(new, at: i)
                return .array(a)
            }
            guard let i = Int(first), i >= 0, i < a.count else { throw .unprocessable("operation does not apply: index out of range: \(path)") }
            a[i] = last ? new : try set(a[i], t.dropFirst(), new, insert: insert, path: path)
            return .array(a)
        default:
            throw .unprocessable("add operation does not apply: doc is missing path: \"\(path)\"")
        }
    }

    static func remove(_ v: JSONValue, _ t: ArraySlice<String>, path: String) throws(KubePatchError) -> JSONValue {
        guard let first = t.first else { return .null }
        switch v {
        case .object(var o):
            if t.count == 1 { o.removeValue(forKey: first) } else if let c = o[first] { o[first] = try remove(c, t.dropFirst(), path: path) }
            return .object(o)
        case .array(var a):
            guard let i = Int(first), i >= 0, i < a.count else { throw .unprocessable("remove operation does not apply: index out of range: \(path)") }
            if t.count == 1 { a.remove(at: i) } else { a[i] = try remove(a[i], t.dropFirst(), path: path) }
            return .array(a)
        default:
            throw .unprocessable("remove operation does not apply: doc is missing path: \"\(path)\"")
        }
    }

    // MARK: Strategic merge patch

    /// The key a core-kind list is merged by in a strategic merge patch and in server-side apply
    /// (the `patchMergeKey` / `listMapKeys` of the upstream types), by the list's field name;
    /// nil for lists that are replaced whole (atomic), such as `tolerations`, `taints`, `args`.
    public static func mergeKey(_ field: String) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets", "resourceClaims", "schedulingGates": return "name"
        case "ports": return "containerPort"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "conditions", "addresses": return "type"
        case "ownerReferences": return "uid"
        case "hostAliases": return "ip"
        case "topologySpreadConstraints": return "topologyKey"
        default: return nil
        }
    }

    /// Primitive lists merged as sets (`patchStrategy: merge` on a list of strings).
    static func mergesAsSet(_ path: [String]) -> Bool { path == ["metadata", "finalizers"] }

    static func strategicMerge(_ current: JSONValue, _ patch: JSONValue, path: [String]) throws(KubePatchError) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        if p["$patch"]?.stringValue == "replace" {
            var o = p
            o.removeValue(forKey: "$patch")
            return .object(o)
        }
        if p["$patch"]?.stringValue == "delete" { return .null }
        var target: OrderedDictionary<String, JSONValue> = current.objectValue ?? [:]
        // $retainKeys: keys of the map not listed go.
        if let retain = p["$retainKeys"]?.arrayValue?.compactMap(\.stringValue) {
            for k in target.keys where !retain.contains(k) { target.removeValue(forKey: k) }
        }
        for (k, v) in p {
            if k == "$patch" || k == "$retainKeys" || k.hasPrefix("$setElementOrder/") { continue }
            if k.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(k.dropFirst("$deleteFromPrimitiveList/".count))
                let drop = v.arrayValue ?? []
                if case .array(let a)? = target[field] { target[field] = .array(a.filter { !drop.contains($0) }) }
                continue
            }
            if v.isNull { target.removeValue(forKey: k); continue }
            let childPath = path + [k]
            switch v {
            case .object:
                let merged = try strategicMerge(target[k] ?? .null, v, path: childPath)
                if merged.isNull { target.removeValue(forKey: k) } else { target[k] = merged }
            case .array(let items):
                target[k] = try mergeList(target[k]?.arrayValue ?? [], items, field: k, path: childPath,
                                          order: p["$setElementOrder/\(k)"]?.arrayValue)
            default:
                target[k] = v
            }
        }
        return .object(target)
    }

    static func mergeList(_ current: [JSONValue], _ patch: [JSONValue], field: String, path: [String], order: [JSONValue]?) throws(KubePatchError) -> JSONValue {
        // A `{$patch: replace}` element replaces the whole list with the other elements.
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return .array(patch.filter { $0["$patch"]?.stringValue != "replace" })
        }
        if mergesAsSet(path) {
            var out = current
            for v in patch where !out.contains(v) { out.append(v) }
            return .array(out)
        }
        guard let key = mergeKey(field), patch.allSatisfy({ $0.objectValue != nil }) else { return .array(patch) }
        var out = current
        for item in patch {
            guard let id = item[key] else { throw .bad("map: \(item.rendered) does not contain declared merge key: \(key)") }
            let idx = out.firstIndex { $0[key] == id }
            if item["$patch"]?.stringValue == "delete" {
                if let idx { out.remove(at: idx) }
                continue
            }
            if let idx { out[idx] = try strategicMerge(out[idx], item, path: path) } else { out.append(try strategicMerge(.null, item, path: path)) }
        }
        // $setElementOrder: the patch's order for the elements it names, the others after them.
        if let order {
            let ids = order.compactMap { $0[key] }
            let named = ids.compactMap { id in out.first { $0[key] == id } }
            let rest = out.filter { e in !ids.contains { $0 == e[key] } }
            out = named + rest
        }
        return .array(out)
    }
}
