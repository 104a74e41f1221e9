import Foundation
import Engine
import OrderedCollections

extension APIObject {
    /// What the object's manifest had that the engine does not model (``KubeObject/unknownFields``).
    var unknownFields: JSONValue? {
        switch self {
        case .pod(let x): return x.unknownFields
        case .node(let x): return x.unknownFields
        case .job(let x): return x.unknownFields
        case .broadcastJob(let x): return x.unknownFields
        case .advancedCronJob(let x): return x.unknownFields
        case .event(let x): return x.unknownFields
        }
    }
}

extension KubeResource {
    /// An object's manifest as served at `version` (nil: the preferred one): `apiVersion` says the
    /// version asked for. BroadcastJob and AdvancedCronJob have the same schema in v1alpha1 and
    /// v1beta1 (the CRDs convert with strategy None), so only `apiVersion` changes.
    public func manifest(_ o: APIObject, version: String? = nil) throws -> JSONValue {
        guard case .object(var m) = try o.manifest() else { return try o.manifest() }
        m["apiVersion"] = .string(groupVersion(version ?? preferredVersion))
        return .object(m)
    }
}

extension KubeResource {
    /// A list (`PodList`, `BroadcastJobList`) of `objects` served at `version`, with the list's
    /// resourceVersion (the store's, so a watch can resume from it).
    public func list(_ objects: [APIObject], version: String? = nil, resourceVersion: String) throws -> JSONValue {
        .object(["apiVersion": .string(groupVersion(version ?? preferredVersion)), "kind": .string(listKind),
                 "metadata": .object(["resourceVersion": .string(resourceVersion)]),
                 "items": .array(try objects.map { try manifest($0, version: version) })])
    }

    /// ``list(_:version:resourceVersion:)`` as JSON text, written without building a value tree
    /// for objects that need no conversion (``KubeObject/manifestJSONText()``): the same document
    /// (each item's keys sorted), at a fraction of the cost for long lists.
    public func listText(_ objects: [APIObject], version: String? = nil, resourceVersion: String) throws -> String {
        let gv = groupVersion(version ?? preferredVersion)
        var out = JSONValue.object(["apiVersion": .string(gv), "kind": .string(listKind),
                                    "metadata": .object(["resourceVersion": .string(resourceVersion)])]).jsonText()
        out.removeLast()
        out += ",\"items\":["
        for (i, o) in objects.enumerated() {
            if i > 0 { out += "," }
            out += storedAPIVersion(o) == gv ? try o.manifestJSONText() : try manifest(o, version: version).jsonText()
        }
        return out + "]}"
    }

    private func storedAPIVersion(_ o: APIObject) -> String {
        switch o {
        case .pod(let x): return x.apiVersion ?? Pod.defaultAPIVersion
        case .node(let x): return x.apiVersion ?? Node.defaultAPIVersion
        case .job(let x): return x.apiVersion ?? Job.defaultAPIVersion
        case .broadcastJob(let x): return x.apiVersion ?? BroadcastJob.defaultAPIVersion
        case .advancedCronJob(let x): return x.apiVersion ?? AdvancedCronJob.defaultAPIVersion
        case .event(let x): return x.apiVersion ?? Event.defaultAPIVersion
        }
    }

    /// One line of a watch stream (`{"type":"ADDED","object":{…}}`): `type` is ADDED, MODIFIED,
    /// DELETED, BOOKMARK or ERROR; `object` the object (or a Table, or a Status for ERROR).
    public static func watchEvent(_ type: String, _ object: JSONValue) -> JSONValue {
        .object(["type": .string(type), "object": object])
    }

    /// A BOOKMARK watch event at `resourceVersion` (`allowWatchBookmarks=true`): an object of the
    /// resource's kind with only `metadata.resourceVersion` set.
    public func bookmark(resourceVersion: String, version: String? = nil) -> JSONValue {
        Self.watchEvent("BOOKMARK", .object(["kind": .string(kind), "apiVersion": .string(groupVersion(version ?? preferredVersion)),
                                             "metadata": .object(["resourceVersion": .string(resourceVersion)])]))
    }
}

/// `meta.k8s.io/v1 Table`: what the API server answers a get, list or watch that asked for
/// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get's human-readable output).
/// Columns and cells come from ``KubePrinters``; each row carries the object as asked by the
/// `includeObject` query parameter (``IncludeObject``): its metadata (`PartialObjectMetadata`,
/// the default, which kubectl reads for the NAMESPACE column and `--show-labels`), the whole
/// object, or nothing.
///
/// Ages are computed from the `now` the caller passes (the virtual clock), never the wall clock.
public enum KubeTable {
    /// `includeObject`.
    public enum IncludeObject: String, Sendable, CaseIterable {
        case none = "None", metadata = "Metadata", object = "Object"

        /// The query parameter's value (nil or empty: Metadata); an unknown value is an error.
        public init(query: String?) throws(KubeSelectorError) {
            guard let q = query, !q.isEmpty else { self = .metadata; return }
            guard let v = IncludeObject(rawValue: q) else {
                throw KubeSelectorError(message: "unrecognized includeObject value: \"\(q)\"")
            }
            self = v
        }
    }

    /// The Table version an Accept header asks for (`v1` or `v1beta1`, in the order listed), or nil
    /// when it does not ask for a Table.
    public static func requestedVersion(accept: String?) -> String? {
        guard let accept else { return nil }
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard params.contains("as=Table"), params.contains("g=meta.k8s.io") else { continue }
            if params.contains("v=v1") { return "v1" }
            if params.contains("v=v1beta1") { return "v1beta1" }
        }
        return nil
    }

    /// The Content-Type of a Table answer of `version`.
    public static func contentType(version: String = "v1") -> String { "application/json;as=Table;v=\(version);g=meta.k8s.io" }

    /// A Table of `objects` (a list, or one object for a get or a watch event), all of resource `r`.
    /// `resourceVersion` is the list's (or the object's); `noHeaders` leaves out the column
    /// definitions (watch events after the first); `version` is the resource version the objects
    /// are served at when `include` is `.object`.
    public static func table(_ r: KubeResource, objects: [APIObject], now: Timestamp, resourceVersion: String, include: IncludeObject = .metadata,
                             noHeaders: Bool = false, version: String? = nil, tableVersion: String = "v1") throws -> JSONValue {
        let rows: [JSONValue] = try objects.map { o in
            let cells = KubePrinters.cells(o, now: now)
            var conditions: [JSONValue] = []
            if case .pod(let p) = o, p.isTerminal {
                // printPod marks finished pods so clients can tell them apart.
                let message = p.phase == PodPhase.succeeded ? "The pod has completed successfully." : "The pod failed."
                conditions = [.object(["type": "Completed", "status": "True", "reason": .string(p.phase), "message": .string(message)])]
            }
            let object: JSONValue?
            switch include {
            case .none: object = nil
            case .metadata: object = try partialObjectMetadata(o)
            case .object: object = try r.manifest(o, version: version)
            }
            return row(cells: cells, conditions: conditions, object: object)
        }
        return document(r, rows: rows, resourceVersion: resourceVersion, noHeaders: noHeaders, tableVersion: tableVersion)
    }

    /// A Table of namespaces (``KubeResources/namespaces(objectNamespaces:created:)``).
    public static func namespaceTable(_ namespaces: [JSONValue], now: Timestamp, resourceVersion: String, include: IncludeObject = .metadata,
                                      noHeaders: Bool = false, tableVersion: String = "v1") throws -> JSONValue {
        let r = KubeResources.lookup("namespaces")!
        let rows = try namespaces.map { ns in
            row(cells: KubePrinters.namespaceCells(ns, now: now), conditions: [], object: try rowObject(include, manifest: { ns }))
        }
        return document(r, rows: rows, resourceVersion: resourceVersion, noHeaders: noHeaders, tableVersion: tableVersion)
    }

    /// A `PartialObjectMetadata` of a manifest (what `includeObject=Metadata` puts in each row).
    public static func partialObjectMetadata(_ manifest: JSONValue, version: String = "v1") -> JSONValue {
        .object(["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": manifest["metadata"] ?? .object([:])])
    }

    /// An object's `PartialObjectMetadata`, encoding only its metadata (a row of a long list costs
    /// its metadata, not its whole manifest); metadata fields the engine does not model (such as
    /// `managedFields`) are kept.
    public static func partialObjectMetadata(_ o: APIObject) throws -> JSONValue {
        var meta = metadataValue(o.metadata)
        if let extra = o.unknownFields?["metadata"] { meta = meta.merging(residual: extra) }
        return .object(["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta])
    }

    /// `ObjectMeta` as the value its Codable encoding gives (keys sorted, nil fields left out),
    /// built directly: a Table of thousands of rows pays no encoder round trip per row.
    static func metadataValue(_ m: ObjectMeta) -> JSONValue {
        func strings(_ d: [String: String]?) -> JSONValue? {
            guard let d else { return nil }
            var o = OrderedDictionary<String, JSONValue>()
            for k in d.keys.sorted() { o[k] = .string(d[k]!) }
            return .object(o)
        }
        var o = OrderedDictionary<String, JSONValue>()
        o["annotations"] = strings(m.annotations)
        o["creationTimestamp"] = m.creationTimestamp.map { .string($0.rfc3339) }
        o["deletionGracePeriodSeconds"] = m.deletionGracePeriodSeconds.map { .int($0) }
        o["deletionTimestamp"] = m.deletionTimestamp.map { .string($0.rfc3339) }
        o["finalizers"] = m.finalizers.map { .array($0.map { .string($0) }) }
        o["generateName"] = m.generateName.map { .string($0) }
        o["generation"] = m.generation.map { .int($0) }
        o["labels"] = strings(m.labels)
        o["name"] = m.name.map { .string($0) }
        o["namespace"] = m.namespace.map { .string($0) }
        o["ownerReferences"] = m.ownerReferences.map { refs in
            .array(refs.map { r in
                var x = OrderedDictionary<String, JSONValue>()
                x["apiVersion"] = .string(r.apiVersion)
                x["blockOwnerDeletion"] = r.blockOwnerDeletion.map { .bool($0) }
                x["controller"] = r.controller.map { .bool($0) }
                x["kind"] = .string(r.kind)
                x["name"] = .string(r.name)
                x["uid"] = .string(r.uid)
                return .object(x)
            })
        }
        o["resourceVersion"] = m.resourceVersion.map { .string($0) }
        o["uid"] = m.uid.map { .string($0) }
        return .object(o)
    }

    private static func rowObject(_ include: IncludeObject, manifest: () throws -> JSONValue) throws -> JSONValue? {
        switch include {
        case .none: return nil
        case .metadata: return partialObjectMetadata(try manifest())
        case .object: return try manifest()
        }
    }

    private static func row(cells: [JSONValue], conditions: [JSONValue], object: JSONValue?) -> JSONValue {
        var o: OrderedDictionary<String, JSONValue> = ["cells": .array(cells)]
        if !conditions.isEmpty { o["conditions"] = .array(conditions) }
        o["object"] = object ?? .null
        return .object(o)
    }

    private static func document(_ r: KubeResource, rows: [JSONValue], resourceVersion: String, noHeaders: Bool, tableVersion: String) -> JSONValue {
        var o: OrderedDictionary<String, JSONValue> = ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(tableVersion)"),
                                                       "metadata": .object(["resourceVersion": .string(resourceVersion)])]
        o["columnDefinitions"] = noHeaders ? .null : .array(KubePrinters.columns(r).map(\.json))
        o["rows"] = .array(rows)
        return .object(o)
    }
}
