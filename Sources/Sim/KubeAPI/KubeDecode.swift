import Foundation
import Engine

/// A request body turned into an engine object, with server-side field validation (the
/// `fieldValidation` query parameter kubectl sends: `Strict` by default, `Warn` with
/// `--validate=warn`, `Ignore` with `--validate=false`), as kube-apiserver decodes a create,
/// update or patched object:
///
/// - `apiVersion`/`kind` must name the resource of the URL (400 otherwise);
/// - a value of the wrong type is 400 `Kind in version "v" cannot be handled as a Kind: …`;
/// - unknown fields (checked against the schema the scenario loader uses, ``ManifestSchema``)
///   are 400 `… strict decoding error: unknown field "spec.x", …` under Strict, dropped with one
///   warning each under Warn (send them as `Warning: 299 - "…"` headers), dropped silently under
///   Ignore. Without the parameter the server warns, as upstream.
public enum KubeDecode {
    /// The decoded object and the warnings to send with the answer.
    public struct Decoded: Sendable {
        public var object: APIObject
        public var warnings: [String]
    }

    /// The `fieldValidation` query parameter (nil: Warn, the server's default).
    public static func validation(query: String?) throws(KubeSelectorError) -> FieldValidation {
        guard let q = query, !q.isEmpty else { return .warn }
        guard let v = FieldValidation(rawValue: q) else {
            throw KubeSelectorError(message: "fieldValidation: Unsupported value: \"\(q)\": supported values: \"Ignore\", \"Strict\", \"Warn\"")
        }
        return v
    }

    /// Decodes `body` as an object of resource `r` served at `version`.
    public static func object(_ body: JSONValue, resource r: KubeResource, version: String, validation: FieldValidation) throws(KubePatchError) -> Decoded {
        guard case .object = body else { throw .bad("the body of the request must be a JSON or YAML object") }
        let expected = r.groupVersion(version)
        let prefix = "\(r.kind) in version \"\(version)\" cannot be handled as a \(r.kind)"
        if let v = body["apiVersion"]?.stringValue, v != expected, KubeResources.resource(apiVersion: v, kind: r.kind) != r {
            throw .bad("the API version in the data (\(v)) does not match the expected API version (\(expected))")
        }
        if let k = body["kind"]?.stringValue, k != r.kind {
            throw .bad("\(prefix): the kind in the data (\(k)) does not match the expected kind (\(r.kind))")
        }
        guard case .object(var o) = body else { throw .bad("the body of the request must be a JSON or YAML object") }
        if o["apiVersion"] == nil { o["apiVersion"] = .string(expected) }
        if o["kind"] == nil { o["kind"] = .string(r.kind) }
        var raw = JSONValue.object(o)
        func decode() throws(KubePatchError) -> APIObject {
            do { return try APIObject.decode(manifest: raw) } catch let e as DecodingError {
                throw .bad("\(prefix): \(describe(e))")
            } catch {
                throw .bad("\(prefix): \(error)")
            }
        }
        var obj = try decode()
        let unknown = ManifestSchema.unknownFields(of: obj)
        var warnings: [String] = []
        if !unknown.isEmpty {
            switch validation {
            case .strict:
                throw .bad("\(prefix): strict decoding error: " + unknown.map { "unknown field \"\($0.path)\"" }.joined(separator: ", "))
            case .warn, .ignore:
                for u in unknown {
                    if validation == .warn { warnings.append("unknown field \"\(u.path)\"") }
                    raw = raw.removing(u.steps[...])
                }
                obj = try decode()
            }
        }
        return Decoded(object: obj, warnings: warnings)
    }

    /// A decoding error as the path and what was wrong (`spec.parallelism: expected Int32, found a string`).
    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.filter { $0.stringValue != "unknownFields" }.reduce("") { s, k in
                if let i = k.intValue { return s + "[\(i)]" }
                return s.isEmpty ? k.stringValue : s + "." + k.stringValue
            }
        }
        switch e {
        case .typeMismatch(let t, let c): return "json: cannot unmarshal into field \(path(c)) of type \(t): \(c.debugDescription)"
        case .valueNotFound(let t, let c): return "json: missing value of type \(t) at \(path(c))"
        case .keyNotFound(let k, let c): return "json: missing required field \"\(k.stringValue)\" at \(path(c).isEmpty ? "the top level" : path(c))"
        case .dataCorrupted(let c): return "json: \(c.debugDescription) at \(path(c))"
        @unknown default: return "\(e)"
        }
    }
}
