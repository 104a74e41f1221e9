import Foundation
import Engine
import OrderedCollections

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
                conditions = [.object(["type": "Completed", "status": "True", "reason": .string(p.phase), "message": "The pod has completed successfully."])]
            }
            return row(cells: cells, conditions: conditions, object: try rowObject(include, manifest: { try r.manifest(o, version: version) }))
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
