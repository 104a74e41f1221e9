import Foundation
import Engine
import OrderedCollections

/// How a manifest's unknown fields are handled, as kubectl's `--validate` flag (server-side
/// field validation): `Strict` (kubectl's default) rejects the manifest, `Warn` drops the fields
/// with a warning, `Ignore` drops them silently.
public enum FieldValidation: String, Sendable, CaseIterable {
    case strict = "Strict", warn = "Warn", ignore = "Ignore"
}

/// A field a manifest sets that its kind's schema does not have.
struct UnknownField: Equatable {
    enum Step: Equatable {
        case key(String)
        case index(Int)
    }
    var steps: [Step]
    /// The nearest field name the schema has there, if one is close.
    var suggestion: String?

    /// The path as the API server writes it: `spec.template.spec.containers[0].requests`.
    var path: String {
        var s = ""
        for st in steps {
            switch st {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }

    var message: String {
        var m = "unknown field \"\(path)\""
        if let s = suggestion { m += " (did you mean \"\(s)\"?)" }
        return m
    }
}

/// The field names the API server accepts for each kind (see ManifestSchema.swift, generated
/// from the Kubernetes API and OpenKruise's CRDs). Sub-trees a CRD preserves
/// (`x-kubernetes-preserve-unknown-fields`, such as a BroadcastJob's pod template) accept anything.
enum ManifestSchema {
    /// Type name → field name → type expression.
    static let types: [String: [String: String]] = {
        var out: [String: [String: String]] = [:]
        for line in ManifestSchemaData.types.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let name = parts.first else { continue }
            var fields: [String: String] = [:]
            for p in parts.dropFirst() {
                guard let colon = p.firstIndex(of: ":") else { continue }
                fields[String(p[..<colon])] = String(p[p.index(after: colon)...])
            }
            out[String(name)] = fields
        }
        return out
    }()

    /// The schema type of an object's root, by apiVersion and kind.
    static func rootType(of obj: APIObject) -> String? {
        switch obj.kind {
        case .node: return ManifestSchemaData.roots["Node"]
        case .pod: return ManifestSchemaData.roots["Pod"]
        case .job: return ManifestSchemaData.roots["Job"]
        case .event: return ManifestSchemaData.roots["Event"]
        case .broadcastJob, .advancedCronJob:
            let version = (try? obj.manifest())?["apiVersion"]?.stringValue ?? ""
            return ManifestSchemaData.roots["\(version)/\(obj.kind.rawValue)"]
        }
    }

    /// The unknown fields of a decoded manifest, in manifest order. Only what the engine did not
    /// decode (its ``KubeObject/unknownFields``) can be unknown; those parts are checked against
    /// the schema, since the engine models only the fields it reads.
    static func unknownFields(of obj: APIObject) -> [UnknownField] {
        guard let root = rootType(of: obj) else { return [] }
        guard let residual = obj.unknownFields else { return [] }
        var out: [UnknownField] = []
        walk(residual, type: root, steps: [], into: &out)
        return out
    }

    private static func walk(_ v: JSONValue, type t: String, steps: [UnknownField.Step], into out: inout [UnknownField]) {
        if t == "*" || t.hasPrefix("-") { return }  // preserved, or a scalar (`-s`, `-i`, …)
        if t.hasPrefix("[]") {
            guard case .array(let a) = v else { return }
            let inner = String(t.dropFirst(2))
            for (i, e) in a.enumerated() where !e.isNull { walk(e, type: inner, steps: steps + [.index(i)], into: &out) }
            return
        }
        if t.hasPrefix("{}") {
            guard case .object(let o) = v else { return }
            let inner = String(t.dropFirst(2))
            for (k, e) in o { walk(e, type: inner, steps: steps + [.key(k)], into: &out) }
            return
        }
        guard case .object(let o) = v, let fields = types[t] else { return }
        for (k, e) in o {
            if let ft = fields[k] {
                walk(e, type: ft, steps: steps + [.key(k)], into: &out)
            } else {
                out.append(UnknownField(steps: steps + [.key(k)], suggestion: suggestion(k, fields.keys.sorted())))
            }
        }
    }
}

extension JSONValue {
    /// A copy without the value at `steps` (the API server's pruning of an unknown field).
    func removing(_ steps: ArraySlice<UnknownField.Step>) -> JSONValue {
        guard let first = steps.first else { return self }
        switch (self, first) {
        case (.object(var o), .key(let k)):
            if steps.count == 1 { o.removeValue(forKey: k) } else if let child = o[k] { o[k] = child.removing(steps.dropFirst()) }
            return .object(o)
        case (.array(var a), .index(let i)) where i < a.count:
            if steps.count > 1 { a[i] = a[i].removing(steps.dropFirst()) }
            return .array(a)
        default:
            return self
        }
    }
}

extension YNode {
    /// The node of the key at `steps` (or the deepest node found on the way).
    func keyNode(_ steps: [UnknownField.Step]) -> YNode {
        var cur = self
        for (i, st) in steps.enumerated() {
            switch (cur.node, st) {
            case (.mapping(let m), .key(let k)):
                guard let pair = m.first(where: { $0.key.string == k }) else { return cur }
                if i == steps.count - 1 { return YNode(node: pair.key, file: file) }
                cur = YNode(node: pair.value, file: file)
            case (.sequence(let s), .index(let idx)) where idx < s.count:
                cur = YNode(node: s[idx], file: file)
            default:
                return cur
            }
        }
        return cur
    }
}
