import Foundation
import OrderedCollections
import Engine
import Sim

// Minimal stand-ins for the pure pieces of Sources/Sim/KubeAPI (branch i12-api) until they land:
// selectors, patches, Status bodies. Deleted on merge.

/// A list or watch request's filter: namespace, labelSelector and fieldSelector.
struct ObjectFilter {
    var namespace: String?
    var labels: [(key: String, op: String, values: [String])] = []
    var fields: [(path: String, equal: Bool, value: String)] = []

    init(namespace: String?, query: [String: String]) throws(APIError) {
        self.namespace = namespace
        if let s = query["labelSelector"], !s.isEmpty {
            for term in Self.splitTerms(s) {
                let t = term.trimmingCharacters(in: .whitespaces)
                if let r = t.range(of: " notin ") ?? t.range(of: " in ") {
                    let key = String(t[..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
                    let vals = t[r.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: " ()")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    labels.append((key, t.contains(" notin ") ? "notin" : "in", vals))
                } else if let r = t.range(of: "!=") {
                    labels.append((String(t[..<r.lowerBound]), "notin", [String(t[r.upperBound...])]))
                } else if let r = t.range(of: "==") ?? t.range(of: "=") {
                    labels.append((String(t[..<r.lowerBound]), "in", [String(t[r.upperBound...])]))
                } else if t.hasPrefix("!") {
                    labels.append((String(t.dropFirst()), "!", []))
                } else if !t.isEmpty {
                    labels.append((t, "exists", []))
                }
            }
        }
        if let s = query["fieldSelector"], !s.isEmpty {
            for t in s.split(separator: ",") {
                if let r = t.range(of: "!=") {
                    fields.append((String(t[..<r.lowerBound]), false, String(t[r.upperBound...])))
                } else if let r = t.range(of: "==") ?? t.range(of: "=") {
                    fields.append((String(t[..<r.lowerBound]), true, String(t[r.upperBound...])))
                } else {
                    throw APIError(code: 400, reason: .badRequest, message: "invalid field selector: '\(t)': expected field=value or field!=value")
                }
            }
        }
    }

    private static func splitTerms(_ s: String) -> [String] {
        var out: [String] = [], cur = "", depth = 0
        for c in s {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if c == ",", depth == 0 { out.append(cur); cur = "" } else { cur.append(c) }
        }
        out.append(cur)
        return out
    }

    func matches(_ o: APIObject) -> Bool {
        let m = o.metadata
        if let ns = namespace, o.kind.namespaced, (m.namespace ?? "") != ns { return false }
        let l = m.labels ?? [:]
        for s in labels {
            switch s.op {
            case "in": guard let v = l[s.key], s.values.contains(v) else { return false }
            case "notin": if let v = l[s.key], s.values.contains(v) { return false }
            case "!": if l[s.key] != nil { return false }
            default: if l[s.key] == nil { return false }
            }
        }
        if fields.isEmpty { return true }
        guard let j = try? o.manifest() else { return false }
        for f in fields {
            var v: JSONValue? = j
            for part in f.path.split(separator: ".") { v = v?[String(part)] }
            let s = v.map { $0.rendered } ?? ""
            // An event's involvedObject.uid is empty when the object had gone: it matches any uid.
            if f.path == "involvedObject.uid", s.isEmpty { continue }
            if (s == f.value) != f.equal { return false }
        }
        return true
    }
}

enum KubePatch {
    /// The object after a patch (JSON merge patch for every patch type: a stand-in).
    static func apply(contentType: String, patch: [UInt8], to current: JSONValue?, resource: KubeResource,
                      fieldManager: String?, force: Bool) throws(APIError) -> JSONValue {
        guard let p = try? JSONDecoder().decode(JSONValue.self, from: Data(patch)) else {
            throw APIError(code: 400, reason: .badRequest, message: "the patch is not JSON")
        }
        guard let current else {
            if contentType == "application/apply-patch+yaml" { return p }
            throw APIError.notFound(resource.groupResource, "")
        }
        return merge(current, p)
    }

    static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let po) = patch else { return patch }
        var t = target.objectValue ?? [:]
        for (k, v) in po {
            if v.isNull { t[k] = nil } else { t[k] = merge(t[k] ?? .null, v) }
        }
        return .object(t)
    }
}

enum KubeTable {
    static let available = false
    static func table(_ objects: [APIObject], resource: KubeResource, now: Timestamp, resourceVersion: String, includeObject: String?) throws -> JSONValue {
        throw APIError(code: 406, reason: .unknown, message: "Table output is not available yet")
    }
}

enum KubeOpenAPI {
    static func document(path: [String]) -> JSONValue? { nil }
}

enum StatusBody {
    static func failure(_ e: APIError) -> String {
        JSONValue.object(.init(uniqueKeysWithValues: [
            ("kind", .string("Status")), ("apiVersion", .string("v1")), ("metadata", .object([:])),
            ("status", .string("Failure")), ("message", .string(e.message)), ("reason", .string(e.reason.rawValue)),
            ("code", .int(Int64(e.code))),
        ])).jsonText()
    }
}
