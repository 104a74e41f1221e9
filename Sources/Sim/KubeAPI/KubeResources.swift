import Foundation
import Engine

/// One resource the simulated API server serves, as discovery describes it
/// (`metav1.APIResource`): where it lives (group, versions), what it is called (kind, plural,
/// singular, short names), whether it is namespaced, which verbs and subresources it has, and the
/// categories it belongs to (`kubectl get all` lists the resources in category `all`).
///
/// The values are the upstream ones: core kinds as kube-apiserver registers them, BroadcastJob
/// and AdvancedCronJob as OpenKruise's CRDs declare them (`config/crd/bases`).
public struct KubeResource: Sendable, Hashable {
    /// API group; `""` for the core group (`/api/v1`).
    public var group: String
    /// Served versions, preferred (storage) version first.
    public var versions: [String]
    public var kind: String
    public var listKind: String
    /// The path segment: `pods`, `broadcastjobs`.
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var namespaced: Bool
    /// The verbs in discovery order (core: sorted; CRDs: the apiextensions server's order).
    public var verbs: [String]
    public var categories: [String]
    /// Subresources with their verbs (`status`: get, patch, update).
    public var subresources: [String]
    /// The engine's kind for the objects, nil for a resource the engine does not store (Namespace).
    public var knownKind: KnownKind?

    /// The preferred version.
    public var preferredVersion: String { versions[0] }
    /// `v1`, `batch/v1`, `apps.kruise.io/v1beta1`.
    public func groupVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `pods`, `jobs.batch`, `broadcastjobs.apps.kruise.io`: how Status messages name the resource.
    public var groupResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// Whether objects are Custom Resources (served by apiextensions: JSON merge patch, no strategic merge).
    public var isCustomResource: Bool { group == KruiseAPI.group }
    /// The URL path of the collection: `/api/v1/namespaces/NS/pods`, `/apis/batch/v1/jobs`.
    public func collectionPath(version: String? = nil, namespace: String?) -> String {
        let gv = group.isEmpty ? "/api/\(version ?? preferredVersion)" : "/apis/\(group)/\(version ?? preferredVersion)"
        if namespaced, let ns = namespace { return "\(gv)/namespaces/\(ns)/\(plural)" }
        return "\(gv)/\(plural)"
    }
    /// The URL path of one object.
    public func objectPath(version: String? = nil, namespace: String?, name: String) -> String {
        collectionPath(version: version, namespace: namespace) + "/" + name
    }
}

/// The registry of every resource `kruise-sim serve` answers for, with look-ups by URL path
/// segment, by kind and by any name kubectl accepts (plural, singular, short name, `plural.group`).
///
/// Order is fixed (core, then batch, then apps.kruise.io), so every document built from it is the
/// same bytes on every run. Lookups are linear over a handful of entries.
public enum KubeResources {
    private static let coreVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    /// apiextensions-apiserver's verbs for a custom resource, in its order.
    private static let crdVerbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]

    /// Every served resource. Namespaces are read-only: the simulator stores none and accepts
    /// objects in any namespace (``namespaces(objectNamespaces:created:)`` lists the ones in use).
    public static let all: [KubeResource] = [
        KubeResource(group: "", versions: ["v1"], kind: "Event", listKind: "EventList", plural: "events", singular: "event",
                     shortNames: ["ev"], namespaced: true, verbs: coreVerbs, categories: [], subresources: [], knownKind: .event),
        KubeResource(group: "", versions: ["v1"], kind: "Namespace", listKind: "NamespaceList", plural: "namespaces", singular: "namespace",
                     shortNames: ["ns"], namespaced: false, verbs: ["get", "list", "watch"],
                     categories: [], subresources: [], knownKind: nil),
        KubeResource(group: "", versions: ["v1"], kind: "Node", listKind: "NodeList", plural: "nodes", singular: "node",
                     shortNames: ["no"], namespaced: false, verbs: coreVerbs, categories: [], subresources: ["status"], knownKind: .node),
        KubeResource(group: "", versions: ["v1"], kind: "Pod", listKind: "PodList", plural: "pods", singular: "pod",
                     shortNames: ["po"], namespaced: true, verbs: coreVerbs, categories: ["all"], subresources: ["status"], knownKind: .pod),
        KubeResource(group: "batch", versions: ["v1"], kind: "Job", listKind: "JobList", plural: "jobs", singular: "job",
                     shortNames: [], namespaced: true, verbs: coreVerbs, categories: ["all"], subresources: ["status"], knownKind: .job),
        KubeResource(group: KruiseAPI.group, versions: ["v1beta1", "v1alpha1"], kind: "AdvancedCronJob", listKind: "AdvancedCronJobList",
                     plural: "advancedcronjobs", singular: "advancedcronjob", shortNames: ["acj"], namespaced: true, verbs: crdVerbs,
                     categories: [], subresources: ["status"], knownKind: .advancedCronJob),
        KubeResource(group: KruiseAPI.group, versions: ["v1beta1", "v1alpha1"], kind: "BroadcastJob", listKind: "BroadcastJobList",
                     plural: "broadcastjobs", singular: "broadcastjob", shortNames: ["bcj"], namespaced: true, verbs: crdVerbs,
                     categories: [], subresources: ["status"], knownKind: .broadcastJob),
    ]

    /// The API groups other than core, each with its versions (preferred first), in discovery order.
    public static let groups: [(name: String, versions: [String])] = {
        var out: [(name: String, versions: [String])] = []
        for r in all where !r.group.isEmpty {
            if let i = out.firstIndex(where: { $0.name == r.group }) {
                for v in r.versions where !out[i].versions.contains(v) { out[i].versions.append(v) }
            } else {
                out.append((r.group, r.versions))
            }
        }
        return out
    }()

    /// The resources served at one group/version (`""`, `v1` for the core group), in discovery order.
    public static func resources(group: String, version: String) -> [KubeResource] {
        all.filter { $0.group == group && $0.versions.contains(version) }
    }

    /// Whether `group`/`version` is served at all (`/apis/G/V` answers 404 otherwise).
    public static func serves(group: String, version: String) -> Bool { !resources(group: group, version: version).isEmpty }

    /// The resource at a URL path segment (`/apis/batch/v1/jobs` → group `batch`, version `v1`, `jobs`).
    public static func resource(group: String, version: String, plural: String) -> KubeResource? {
        all.first { $0.group == group && $0.plural == plural && $0.versions.contains(version) }
    }

    /// The resource of an engine kind.
    public static func resource(for kind: KnownKind) -> KubeResource {
        all.first { $0.knownKind == kind }!
    }

    /// The resource of a manifest's `apiVersion` and `kind`, if served.
    public static func resource(apiVersion: String, kind: String) -> KubeResource? {
        let (group, version) = splitAPIVersion(apiVersion)
        return all.first { $0.group == group && $0.kind == kind && $0.versions.contains(version) }
    }

    /// The resource any name kubectl accepts stands for, case-insensitively: plural, singular, kind,
    /// short name, or any of those followed by `.group` (`jobs.batch`, `bcj.apps.kruise.io`).
    public static func lookup(_ name: String) -> KubeResource? {
        let n = name.lowercased()
        for r in all {
            let names = [r.plural, r.singular, r.kind.lowercased()] + r.shortNames
            if names.contains(n) { return r }
            if !r.group.isEmpty, names.contains(where: { n == "\($0).\(r.group)" }) { return r }
        }
        return nil
    }

    /// The resources in a category (`all`), as `kubectl get all` expands it.
    public static func category(_ name: String) -> [KubeResource] { all.filter { $0.categories.contains(name) } }

    /// `("apps.kruise.io", "v1beta1")` from `apps.kruise.io/v1beta1`, `("", "v1")` from `v1`.
    public static func splitAPIVersion(_ apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.firstIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    /// The namespaces the simulated cluster has: the four every cluster starts with, plus any
    /// other that `objectNamespaces` names (objects may be created in any namespace: the simulator
    /// has no NamespaceLifecycle admission), sorted, each `Active` and created at `created`.
    public static func namespaces(objectNamespaces: [String], created: Timestamp) -> [JSONValue] {
        let names = Set(["default", "kube-node-lease", "kube-public", "kube-system"]).union(objectNamespaces.filter { !$0.isEmpty }).sorted()
        return names.map { namespace($0, created: created) }
    }

    /// One `v1 Namespace`, `Active`, with the `kubernetes.io/metadata.name` label the API server sets.
    public static func namespace(_ name: String, created: Timestamp) -> JSONValue {
        .object([
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": .object([
                "creationTimestamp": .string(created.wholeSeconds.rfc3339),
                "labels": .object(["kubernetes.io/metadata.name": .string(name)]),
                "name": .string(name),
                "resourceVersion": "1",
                "uid": .string(namespaceUID(name)),
            ]),
            "spec": .object(["finalizers": .array(["kubernetes"])]),
            "status": .object(["phase": "Active"]),
        ])
    }

    /// A stable uid for a namespace, derived from its name (FNV-1a, laid out as a UUID): namespaces
    /// are not stored objects, so their uid must not draw from the simulation's generator.
    static func namespaceUID(_ name: String) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x8422_2325_cbf2_9ce4
        for b in name.utf8 {
            h1 = (h1 ^ UInt64(b)) &* 0x100_0000_01b3
            h2 = (h2 ^ UInt64(b)) &* 0x100_0000_01b3 &+ 1
        }
        let hex = String(format: "%016llx%016llx", h1, h2)
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }
}

/// Literals for building documents (`"v1"`, `["get", "list"]`, `true`, `1`) without spelling out each case.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}
