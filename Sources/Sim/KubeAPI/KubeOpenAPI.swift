import Foundation
import Engine
import OrderedCollections

/// The OpenAPI documents kubectl reads, generated from the schema the scenario loader validates
/// manifests with (``ManifestSchema``: the Kubernetes API's types and the OpenKruise CRDs'
/// `openAPIV3Schema`), so the served schema and the server's strict field validation never
/// disagree:
///
/// - `/openapi/v3` (``v3Root()``): the group versions, each with a `serverRelativeURL` carrying a
///   content hash (kubectl caches by it).
/// - `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V` (``v3(group:version:)``): `components.schemas`
///   with each kind's root marked `x-kubernetes-group-version-kind` (what `kubectl explain` looks
///   up), fields typed (string, integer, number, boolean, date-time, int-or-string, arrays, maps,
///   preserved sub-trees), keyed lists marked with their merge keys; and `paths` whose PATCH
///   operations carry the GVK and the `fieldValidation` query parameter — kubectl's check that the
///   server validates fields itself, without which `kubectl apply` falls back to client-side
///   validation against `/openapi/v2` in protobuf.
/// - `/openapi/v2` (``v2()``): the same schemas as Swagger 2.0 JSON. kubectl asks for v2 only in
///   protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), which the simulator
///   does not produce; answer that Accept with 406 and kubectl uses v3 (apply, explain) or its
///   compiled-in types (client-side apply's strategic merge patch).
///
/// Not carried: field descriptions of core kinds (`kubectl explain` shows field names and types),
/// `required` lists, enum values.
public enum KubeOpenAPI {
    static var info: JSONValue {
        .object(["title": "Kubernetes", "version": KubeDiscovery.version()["gitVersion"] ?? "v1"])
    }

    // MARK: Schemas

    /// The component name of a core ManifestSchema type, in upstream's style so `kubectl explain`
    /// shows `<[]Container>`, `<ObjectMeta>`: `V1Container` → `io.k8s.api.core.v1.Container`,
    /// `V1ObjectMeta` → `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`, `CoreV1Event` → `io.k8s.api.core.v1.Event`.
    /// (The Python client's names do not say which group a type is in: every core and batch type
    /// is put under core.)
    static func componentName(_ type: String) -> String {
        if isCRDType(type) {
            // `apps.kruise.io/v1beta1/BroadcastJob` → `io.kruise.apps.v1beta1.BroadcastJob`, as apiextensions names CRD schemas.
            let parts = type.split(separator: "/").map(String.init)
            return (parts.count == 3 ? [groupPrefix(parts[0]), parts[1], parts[2]] : parts).joined(separator: ".")
        }
        var t = type
        if t.hasPrefix("CoreV1") { t = String(t.dropFirst(4)) }
        guard let v = t.firstIndex(where: { $0.isUppercase && $0 != "V" }), t.hasPrefix("V") else { return "io.k8s.api.core." + t }
        let version = t[t.index(after: t.startIndex)..<v].lowercased()
        let name = String(t[v...])
        let meta: Set<String> = ["ObjectMeta", "OwnerReference", "ManagedFieldsEntry", "LabelSelector", "LabelSelectorRequirement", "Time", "Condition"]
        if meta.contains(name) { return "io.k8s.apimachinery.pkg.apis.meta.v\(version).\(name)" }
        return "io.k8s.api.core.v\(version).\(name)"
    }

    /// A group as a reversed domain (`apps.kruise.io` → `io.kruise.apps`); core and batch as upstream names them.
    static func groupPrefix(_ group: String) -> String {
        if group.isEmpty { return "io.k8s.api.core" }
        if !group.contains(".") { return "io.k8s.api.\(group)" }
        return group.split(separator: ".").reversed().joined(separator: ".")
    }

    /// The component name of a resource's kind other than its root type (`Namespace`, `<Kind>List`).
    static func kindComponent(_ r: KubeResource, _ version: String, _ kind: String) -> String { "\(groupPrefix(r.group)).\(version).\(kind)" }

    /// Whether a ManifestSchema type comes from a CRD's schema (inlined, as the CRD declares it).
    static func isCRDType(_ t: String) -> Bool { t.contains("/") }

    /// The ManifestSchema root type of a resource at a version (nil for Namespace, which has no
    /// schema there).
    static func rootType(_ r: KubeResource, version: String) -> String? {
        if r.isCustomResource { return ManifestSchemaData.roots["\(r.group)/\(version)/\(r.kind)"] }
        return r.knownKind == nil ? nil : ManifestSchemaData.roots[r.kind]
    }

    /// The schema of a ManifestSchema type expression; `field` is the field's name (its merge key).
    static func schema(_ t: String, field: String, ref: (String) -> String) -> JSONValue {
        switch t {
        case "-s": return .object(["type": "string"])
        case "-i": return .object(["type": "integer", "format": "int64"])
        case "-n": return .object(["type": "number", "format": "double"])
        case "-b": return .object(["type": "boolean"])
        case "-t": return .object(["type": "string", "format": "date-time"])
        case "-x": return .object(["x-kubernetes-int-or-string": true, "anyOf": [.object(["type": "integer"]), .object(["type": "string"])]])
        case "-": return .object([:])
        case "*": return .object(["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        default: break
        }
        if t.hasPrefix("[]") {
            var o: OrderedDictionary<String, JSONValue> = ["type": "array", "items": schema(String(t.dropFirst(2)), field: "", ref: ref)]
            if let key = KubePatch.mergeKey(field) {
                o["x-kubernetes-list-type"] = "map"
                o["x-kubernetes-list-map-keys"] = [.string(key)]
                o["x-kubernetes-patch-merge-key"] = .string(key)
                o["x-kubernetes-patch-strategy"] = "merge"
            } else {
                o["x-kubernetes-list-type"] = "atomic"
            }
            return .object(o)
        }
        if t.hasPrefix("{}") {
            return .object(["type": "object", "additionalProperties": schema(String(t.dropFirst(2)), field: "", ref: ref)])
        }
        if isCRDType(t) { return objectSchema(t, ref: ref) }
        return .object(["$ref": .string(ref(componentName(t)))])
    }

    /// A type's object schema: its fields, sorted, with the CRD's descriptions where it has them.
    static func objectSchema(_ t: String, ref: (String) -> String) -> JSONValue {
        let fields = ManifestSchema.types[t] ?? [:]
        var props = OrderedDictionary<String, JSONValue>()
        for k in fields.keys.sorted() {
            var p = schema(fields[k]!, field: k, ref: ref)
            if let d = descriptions[t + "\t" + k], case .object(var o) = p, o["$ref"] == nil {
                o["description"] = .string(d)
                p = .object(o)
            }
            props[k] = p
        }
        var o: OrderedDictionary<String, JSONValue> = [:]
        if let d = descriptions[t] { o["description"] = .string(d) }
        o["type"] = "object"
        o["properties"] = .object(props)
        return .object(o)
    }

    /// ``ManifestSchemaData/descriptions`` by `Type` or `Type<TAB>field`, escapes undone.
    static let descriptions: [String: String] = {
        var out: [String: String] = [:]
        for line in ManifestSchemaData.descriptions.split(separator: "\n") {
            guard let tab = line.lastIndex(of: "\t") else { continue }
            var text = ""
            var escaped = false
            for ch in line[line.index(after: tab)...] {
                if escaped { text.append(ch == "n" ? "\n" : ch); escaped = false } else if ch == "\\" { escaped = true } else { text.append(ch) }
            }
            out[String(line[..<tab])] = text
        }
        return out
    }()

    /// Every ManifestSchema type reachable from `roots`, sorted.
    static func reachable(_ roots: [String]) -> [String] {
        var seen = Set<String>()
        var stack = roots
        while let t = stack.popLast() {
            guard !seen.contains(t), let fields = ManifestSchema.types[t] else { continue }
            seen.insert(t)
            for expr in fields.values {
                let base = String(expr.drop(while: { $0 == "[" || $0 == "]" || $0 == "{" || $0 == "}" }))
                if ManifestSchema.types[base] != nil { stack.append(base) }
            }
        }
        return seen.sorted()
    }

    static let kindDescriptions: [String: String] = [
        "Pod": "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
        "Node": "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
        "Event": "Event is a report of an event somewhere in the cluster.",
        "Job": "Job represents the configuration of a single job.",
        "BroadcastJob": "BroadcastJob is the Schema for the broadcastjobs API",
        "AdvancedCronJob": "AdvancedCronJob is the Schema for the advancedcronjobs API",
        "Namespace": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    ]

    static func gvk(_ r: KubeResource, _ version: String, kind: String? = nil) -> JSONValue {
        .object(["group": .string(r.group), "kind": .string(kind ?? r.kind), "version": .string(version)])
    }

    /// The component schemas of one group version: every reachable type, each resource's root
    /// marked with its GVK, and a `<Kind>List` per resource.
    static func schemas(group: String, version: String, ref: (String) -> String) -> OrderedDictionary<String, JSONValue> {
        let resources = KubeResources.resources(group: group, version: version)
        var rootKinds: [String: [KubeResource]] = [:]
        for r in resources { if let t = rootType(r, version: version) { rootKinds[t, default: []].append(r) } }
        var out = OrderedDictionary<String, JSONValue>()
        for t in reachable(Array(rootKinds.keys)) where !isCRDType(t) || rootKinds[t] != nil {
            var o = objectSchema(t, ref: ref).objectValue ?? [:]
            if let rs = rootKinds[t] {
                if o["description"] == nil, let d = kindDescriptions[rs[0].kind] { o["description"] = .string(d) }
                o["x-kubernetes-group-version-kind"] = .array(rs.map { gvk($0, version) })
            }
            out[componentName(t)] = .object(o)
        }
        for r in resources {
            var item: JSONValue
            if let t = rootType(r, version: version) {
                item = .object(["$ref": .string(ref(componentName(t)))])
            } else {
                // Namespace: the fields the served namespaces have.
                let name = kindComponent(r, version, r.kind)
                out[name] = .object([
                    "type": "object", "description": .string(kindDescriptions["Namespace"]!),
                    "properties": .object([
                        "apiVersion": .object(["type": "string"]), "kind": .object(["type": "string"]),
                        "metadata": .object(["$ref": .string(ref(componentName("V1ObjectMeta")))]),
                        "spec": .object(["type": "object", "properties": .object(["finalizers": .object(["type": "array", "items": .object(["type": "string"])])])]),
                        "status": .object(["type": "object", "properties": .object(["phase": .object(["type": "string"])])]),
                    ]),
                    "x-kubernetes-group-version-kind": [gvk(r, version)],
                ])
                item = .object(["$ref": .string(ref(name))])
            }
            out[kindComponent(r, version, r.listKind)] = .object([
                "type": "object",
                "properties": .object([
                    "apiVersion": .object(["type": "string"]), "kind": .object(["type": "string"]),
                    "metadata": .object(["type": "object", "properties": .object(["resourceVersion": .object(["type": "string"]), "continue": .object(["type": "string"])])]),
                    "items": .object(["type": "array", "items": item]),
                ]),
                "x-kubernetes-group-version-kind": [gvk(r, version, kind: r.listKind)],
            ])
        }
        // ObjectMeta is reached from Namespace even when no other root is served.
        if out[componentName("V1ObjectMeta")] == nil {
            for t in reachable(["V1ObjectMeta"]) { out[componentName(t)] = objectSchema(t, ref: ref) }
        }
        return out
    }

    // MARK: Paths

    static func queryParam(_ name: String, _ type: String, _ description: String, v2: Bool) -> JSONValue {
        if v2 { return .object(["name": .string(name), "in": "query", "type": .string(type), "uniqueItems": true, "description": .string(description)]) }
        return .object(["name": .string(name), "in": "query", "description": .string(description), "schema": .object(["type": .string(type), "uniqueItems": true])])
    }

    static let fieldValidationDoc = "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."

    static func operation(_ action: String, _ r: KubeResource, _ version: String, subresource: String?, list: Bool, ref: (String) -> String, v2: Bool) -> JSONValue {
        let verb: String = ["get": list ? "list" : "read", "post": "create", "put": "replace", "patch": "patch", "delete": "delete"][action] ?? action
        let scope = r.namespaced ? "Namespaced" : ""
        let groupWord = r.group.isEmpty ? "Core" : r.group.split(separator: ".").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let opID = "\(verb)\(groupWord)\(version.prefix(1).uppercased() + version.dropFirst())\(scope)\(r.kind)\(subresource.map { $0.prefix(1).uppercased() + $0.dropFirst() } ?? "")"
        var params: [JSONValue] = []
        if action == "post" || action == "put" || action == "patch" {
            params.append(queryParam("dryRun", "string", "When present, indicates that modifications should not be persisted.", v2: v2))
            params.append(queryParam("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes.", v2: v2))
            params.append(queryParam("fieldValidation", "string", fieldValidationDoc, v2: v2))
        }
        if action == "patch" { params.append(queryParam("force", "boolean", "Force is going to \"force\" Apply requests.", v2: v2)) }
        if action == "get" && list {
            for (n, t) in [("labelSelector", "string"), ("fieldSelector", "string"), ("resourceVersion", "string"), ("watch", "boolean"),
                           ("allowWatchBookmarks", "boolean"), ("timeoutSeconds", "integer"), ("limit", "integer"), ("continue", "string")] {
                params.append(queryParam(n, t, "", v2: v2))
            }
        }
        let target: String
        if list { target = ref(kindComponent(r, version, r.listKind)) }
        else if let t = rootType(r, version: version) { target = ref(componentName(t)) }
        else { target = ref(kindComponent(r, version, r.kind)) }
        var o: OrderedDictionary<String, JSONValue> = ["operationId": .string(opID), "parameters": .array(params)]
        let body = JSONValue.object(["$ref": .string(target)])
        if action == "post" || action == "put" || action == "patch" {
            let types = action == "patch"
                ? ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"] + (r.isCustomResource ? [] : ["application/strategic-merge-patch+json"])
                : ["application/json", "application/yaml"]
            if v2 {
                o["consumes"] = .array(types.map { .string($0) })
                var ps = params
                ps.append(.object(["name": "body", "in": "body", "required": true, "schema": action == "patch" ? .object(["type": "object"]) : body]))
                o["parameters"] = .array(ps)
            } else {
                var content = OrderedDictionary<String, JSONValue>()
                for t in types { content[t] = .object(["schema": action == "patch" ? .object(["type": "object"]) : body]) }
                o["requestBody"] = .object(["content": .object(content), "required": true])
            }
        }
        let ok: JSONValue = v2 ? .object(["description": "OK", "schema": body])
            : .object(["description": "OK", "content": .object(["application/json": .object(["schema": body]), "application/yaml": .object(["schema": body])])])
        o["responses"] = .object(["200": ok, "401": .object(["description": "Unauthorized"])])
        o["x-kubernetes-action"] = .string(action == "get" ? (list ? "list" : "get") : action)
        o["x-kubernetes-group-version-kind"] = gvk(r, version)
        return .object(o)
    }

    static func paths(group: String, version: String, ref: (String) -> String, v2: Bool) -> OrderedDictionary<String, JSONValue> {
        var out = OrderedDictionary<String, JSONValue>()
        for r in KubeResources.resources(group: group, version: version) {
            let collection = r.collectionPath(version: version, namespace: r.namespaced ? "{namespace}" : nil)
            // Only the operations of the resource's verbs.
            func ops(_ actions: [(String, String)], list: Bool) -> JSONValue {
                var o = OrderedDictionary<String, JSONValue>()
                for (action, verb) in actions where r.verbs.contains(verb) {
                    o[action] = operation(action, r, version, subresource: nil, list: list && action == "get", ref: ref, v2: v2)
                }
                return .object(o)
            }
            out[collection] = ops([("get", "list"), ("post", "create")], list: true)
            out[collection + "/{name}"] = ops([("get", "get"), ("put", "update"), ("patch", "patch"), ("delete", "delete")], list: false)
            for sub in r.subresources {
                out[collection + "/{name}/\(sub)"] = .object([
                    "get": operation("get", r, version, subresource: sub, list: false, ref: ref, v2: v2),
                    "put": operation("put", r, version, subresource: sub, list: false, ref: ref, v2: v2),
                    "patch": operation("patch", r, version, subresource: sub, list: false, ref: ref, v2: v2),
                ])
            }
        }
        return out
    }

    // MARK: Documents

    /// The OpenAPI v3 document of one group version (`""`/`v1` for core), or nil when not served.
    public static func v3(group: String, version: String) -> JSONValue? {
        guard KubeResources.serves(group: group, version: version) else { return nil }
        let ref = { (n: String) in "#/components/schemas/" + n }
        return .object([
            "openapi": "3.0.0",
            "info": info,
            "paths": .object(paths(group: group, version: version, ref: ref, v2: false)),
            "components": .object(["schemas": .object(schemas(group: group, version: version, ref: ref))]),
        ])
    }

    /// The v3 path of a group version: `api/v1`, `apis/batch/v1`.
    static func v3Path(group: String, version: String) -> String { group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)" }

    /// Every served group version as (group, version), core first.
    static var groupVersions: [(String, String)] {
        [("", "v1")] + KubeResources.groups.flatMap { g in g.versions.map { (g.name, $0) } }
    }

    /// The v3 documents' texts, built once (the documents do not change while serving).
    static let v3Texts: [String: String] = {
        var out: [String: String] = [:]
        for (g, v) in groupVersions { out[v3Path(group: g, version: v)] = v3(group: g, version: v)?.jsonText() }
        return out
    }()

    /// The v3 document of `path` (`api/v1`, `apis/apps.kruise.io/v1beta1`, with or without a
    /// leading `/openapi/v3/`) as JSON text, or nil when not served.
    public static func v3Text(path: String) -> String? {
        var p = path
        if p.hasPrefix("/openapi/v3/") { p = String(p.dropFirst("/openapi/v3/".count)) }
        if let q = p.firstIndex(of: "?") { p = String(p[..<q]) }
        return v3Texts[p]
    }

    /// The document at `/openapi/` + `path` (`["v2"]`, `["v3"]`, `["v3", "apis", "apps.kruise.io", "v1beta1"]`)
    /// as JSON text, or nil when nothing is served there (404). The v3 documents are built once.
    public static func documentText(path: [String]) -> String? {
        switch path.first {
        case "v2" where path.count == 1: return v2Text
        case "v3" where path.count == 1: return v3Root().jsonText()
        case "v3": return v3Text(path: path.dropFirst().joined(separator: "/"))
        default: return nil
        }
    }

    static let v2Text: String = v2().jsonText()

    /// `/openapi/v3`: each group version's path with its content hash.
    public static func v3Root() -> JSONValue {
        var paths = OrderedDictionary<String, JSONValue>()
        for (g, v) in groupVersions {
            let p = v3Path(group: g, version: v)
            paths[p] = .object(["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(hash(v3Texts[p] ?? ""))")])
        }
        return .object(["paths": .object(paths)])
    }

    /// An FNV-1a hash of a document, as 32 upper-case hex digits (two 64-bit lanes).
    static func hash(_ s: String) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in s.utf8 {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9e37
        }
        return String(format: "%016llX%016llX", a, b)
    }

    /// `/openapi/v2` as Swagger 2.0 JSON: every group version's paths and schemas in one document.
    public static func v2() -> JSONValue {
        let ref = { (n: String) in "#/definitions/" + n }
        var paths = OrderedDictionary<String, JSONValue>()
        var defs = OrderedDictionary<String, JSONValue>()
        for (g, v) in groupVersions {
            for (k, x) in self.paths(group: g, version: v, ref: ref, v2: true) { paths[k] = x }
            for (k, x) in schemas(group: g, version: v, ref: ref) where defs[k] == nil { defs[k] = x }
        }
        return .object(["swagger": "2.0", "info": info, "paths": .object(paths), "definitions": .object(defs)])
    }

    /// The Accept values kubectl sends for `/openapi/v2`: protobuf only. The answer to give when an
    /// Accept header lists no JSON form (406, see ``KubeStatus/notAcceptable(_:)``).
    public static func v2AcceptsJSON(_ accept: String?) -> Bool {
        guard let accept, !accept.isEmpty else { return true }
        return accept.split(separator: ",").contains { e in
            let base = e.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return base == "application/json" || base == "*/*" || base == "application/*"
        }
    }
}
