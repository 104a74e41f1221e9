import Foundation
import Engine
import OrderedCollections

/// The discovery documents kubectl reads before anything else, built from ``KubeResources``:
///
/// | path | document |
/// |---|---|
/// | `/version` | `version.Info` (``version()``) |
/// | `/api` | `APIVersions` (``apiVersions(serverAddress:)``), or the aggregated `APIGroupDiscoveryList` |
/// | `/apis` | `APIGroupList` (``apiGroupList()``), or the aggregated `APIGroupDiscoveryList` |
/// | `/apis/G` | `APIGroup` (``apiGroup(_:)``) |
/// | `/api/v1`, `/apis/G/V` | `APIResourceList` (``apiResourceList(group:version:)``) |
///
/// Both discovery forms are served: kubectl 1.26+ asks for aggregated discovery first
/// (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…,application/json`);
/// ``negotiate(accept:)`` picks the aggregated v2 document when the Accept header lists it, else
/// the plain one, and ``aggregatedContentType`` is the Content-Type to answer it with (client-go
/// reads the response's Content-Type to tell the two apart). One aggregated request replaces the
/// per-group requests of the plain form. v2beta1 alone is answered with the plain form.
///
/// Every document is a ``JSONValue`` with keys in a fixed order: the same bytes on every run.
public enum KubeDiscovery {
    /// The Content-Type of an aggregated discovery answer.
    public static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// Which discovery form a request asked for.
    public enum Form: Sendable, Equatable { case plain, aggregated }

    /// The form to answer `/api` or `/apis` with, from the request's Accept header (nil: plain).
    public static func negotiate(accept: String?) -> Form {
        guard let accept else { return .plain }
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=APIGroupDiscoveryList") && params.contains("g=apidiscovery.k8s.io") && params.contains("v=v2") {
                return .aggregated
            }
        }
        return .plain
    }

    /// The Kubernetes release the simulated API server speaks (its discovery, printers and OpenAPI
    /// follow it).
    public static let kubernetesMajor = "1", kubernetesMinor = "32"

    /// `/version`: kube-apiserver's `version.Info`, with `gitVersion` saying it is kruise-sim
    /// (`v1.32.0+kruise-sim.0.6.0`); a build date and commit that do not change between runs.
    public static func version() -> JSONValue {
        .object([
            "major": .string(kubernetesMajor),
            "minor": .string(kubernetesMinor),
            "gitVersion": .string("v\(kubernetesMajor).\(kubernetesMinor).0+kruise-sim.\(KruiseSimVersion.current)"),
            "gitCommit": .string(String(repeating: "0", count: 40)),
            "gitTreeState": "clean",
            "buildDate": "1970-01-01T00:00:00Z",
            "goVersion": "kruise-sim (Swift)",
            "compiler": "swiftc",
            "platform": .string(platform),
        ])
    }

    private static var platform: String {
        #if os(Linux)
        let os = "linux"
        #else
        let os = "darwin"
        #endif
        #if arch(arm64)
        return "\(os)/arm64"
        #else
        return "\(os)/amd64"
        #endif
    }

    /// `/api`: the core group's versions. `serverAddress` is `host:port` as the client reached it.
    public static func apiVersions(serverAddress: String) -> JSONValue {
        .object([
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [.object(["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)])],
        ])
    }

    private static func groupVersionEntry(_ group: String, _ version: String) -> JSONValue {
        .object(["groupVersion": .string("\(group)/\(version)"), "version": .string(version)])
    }

    private static func groupBody(_ g: (name: String, versions: [String])) -> OrderedDictionary<String, JSONValue> {
        ["name": .string(g.name),
         "versions": .array(g.versions.map { groupVersionEntry(g.name, $0) }),
         "preferredVersion": groupVersionEntry(g.name, g.versions[0])]
    }

    /// `/apis`: every named group with its versions and preferred version.
    public static func apiGroupList() -> JSONValue {
        .object([
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": .array(KubeResources.groups.map { .object(groupBody($0)) }),
        ])
    }

    /// `/apis/G`: one group, or nil when it is not served (404).
    public static func apiGroup(_ name: String) -> JSONValue? {
        guard let g = KubeResources.groups.first(where: { $0.name == name }) else { return nil }
        var o: OrderedDictionary<String, JSONValue> = ["kind": "APIGroup", "apiVersion": "v1"]
        for (k, v) in groupBody(g) { o[k] = v }
        return .object(o)
    }

    private static func subresourceVerbs(_ sub: String) -> [String] { sub == "status" ? ["get", "patch", "update"] : ["get"] }

    /// `/api/v1` or `/apis/G/V`: the resources and subresources of one group version, or nil when
    /// that group version is not served (404).
    public static func apiResourceList(group: String, version: String) -> JSONValue? {
        let rs = KubeResources.resources(group: group, version: version)
        guard !rs.isEmpty else { return nil }
        var items: [JSONValue] = []
        for r in rs {
            var o: OrderedDictionary<String, JSONValue> = [
                "name": .string(r.plural), "singularName": .string(r.singular), "namespaced": .bool(r.namespaced),
                "kind": .string(r.kind), "verbs": .array(r.verbs.map { .string($0) }),
            ]
            if !r.shortNames.isEmpty { o["shortNames"] = .array(r.shortNames.map { .string($0) }) }
            if !r.categories.isEmpty { o["categories"] = .array(r.categories.map { .string($0) }) }
            items.append(.object(o))
            for sub in r.subresources {
                items.append(.object([
                    "name": .string("\(r.plural)/\(sub)"), "singularName": "", "namespaced": .bool(r.namespaced),
                    "kind": .string(r.kind), "verbs": .array(subresourceVerbs(sub).map { .string($0) }),
                ]))
            }
        }
        var doc: OrderedDictionary<String, JSONValue> = ["kind": "APIResourceList"]
        if !group.isEmpty { doc["apiVersion"] = "v1" }
        doc["groupVersion"] = .string(group.isEmpty ? version : "\(group)/\(version)")
        doc["resources"] = .array(items)
        return .object(doc)
    }

    // MARK: Aggregated discovery (apidiscovery.k8s.io/v2)

    private static func responseKind(_ r: KubeResource, _ version: String) -> JSONValue {
        .object(["group": .string(r.group), "version": .string(version), "kind": .string(r.kind)])
    }

    private static func discoveryVersion(group: String, version: String) -> JSONValue {
        let resources: [JSONValue] = KubeResources.resources(group: group, version: version).map { r in
            var o: OrderedDictionary<String, JSONValue> = [
                "resource": .string(r.plural),
                "responseKind": responseKind(r, version),
                "scope": .string(r.namespaced ? "Namespaced" : "Cluster"),
                "singularResource": .string(r.singular),
                "verbs": .array(r.verbs.map { .string($0) }),
            ]
            if !r.shortNames.isEmpty { o["shortNames"] = .array(r.shortNames.map { .string($0) }) }
            if !r.categories.isEmpty { o["categories"] = .array(r.categories.map { .string($0) }) }
            if !r.subresources.isEmpty {
                o["subresources"] = .array(r.subresources.map { sub in
                    .object(["subresource": .string(sub), "responseKind": responseKind(r, version),
                             "verbs": .array(subresourceVerbs(sub).map { .string($0) })])
                })
            }
            return .object(o)
        }
        return .object(["version": .string(version), "resources": .array(resources), "freshness": "Current"])
    }

    /// The aggregated `APIGroupDiscoveryList` for `/api` (`core: true`: the core group, unnamed)
    /// or `/apis` (every named group, versions preferred first).
    public static func aggregated(core: Bool) -> JSONValue {
        let items: [JSONValue]
        if core {
            items = [.object(["metadata": .object(["creationTimestamp": .null]), "versions": [discoveryVersion(group: "", version: "v1")]])]
        } else {
            items = KubeResources.groups.map { g in
                .object(["metadata": .object(["name": .string(g.name), "creationTimestamp": .null]),
                         "versions": .array(g.versions.map { discoveryVersion(group: g.name, version: $0) })])
            }
        }
        return .object(["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                        "metadata": .object([:]), "items": .array(items)])
    }
}
