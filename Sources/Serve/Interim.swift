import Foundation
import OrderedCollections
import Engine
import Sim

// Minimal stand-ins for the pure pieces of Sources/Sim/KubeAPI (branch i12-api) until they land:
// patches and OpenAPI documents. Deleted on merge.

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

enum KubeOpenAPI {
    static func document(path: [String]) -> JSONValue? { nil }
}

