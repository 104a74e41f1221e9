import Foundation
import Engine
import OrderedCollections

/// `metav1.Status` bodies: what the API server answers a failed request (and a delete) with, in
/// the shape client-go decodes into a `StatusError`, so kubectl prints them as it does for a real
/// cluster: `Error from server (NotFound): pods "x" not found`, `The Pod "x" is invalid: * spec…`
/// (from `details.causes`), `Error from server: admission webhook "…" denied the request: …` (a
/// webhook denial: no reason, the webhook's code).
///
/// Each builder returns the HTTP status code with the body; the body's `code` is the same number.
public enum KubeStatus {
    /// A Status body and the HTTP code to send it with.
    public struct Response: Sendable, Equatable {
        public var code: Int
        public var body: JSONValue
    }

    /// A failure body. `reason` nil leaves it out (`StatusReasonUnknown`); `details` nil too.
    public static func failure(code: Int, reason: String?, message: String, details: JSONValue? = nil) -> Response {
        var o: OrderedDictionary<String, JSONValue> = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]),
                                                       "status": "Failure", "message": .string(message)]
        if let reason, !reason.isEmpty { o["reason"] = .string(reason) }
        if let details { o["details"] = details }
        o["code"] = .int(Int64(code))
        return Response(code: code, body: .object(o))
    }

    private static func details(name: String?, resource: KubeResource?, kind: String? = nil, causes: [JSONValue] = [], uid: String? = nil,
                                retryAfter: Int? = nil) -> JSONValue {
        var d: OrderedDictionary<String, JSONValue> = [:]
        if let name, !name.isEmpty { d["name"] = .string(name) }
        if let resource, !resource.group.isEmpty { d["group"] = .string(resource.group) }
        if let k = kind ?? resource?.plural { d["kind"] = .string(k) }
        if let uid { d["uid"] = .string(uid) }
        if !causes.isEmpty { d["causes"] = .array(causes) }
        if let retryAfter { d["retryAfterSeconds"] = .int(Int64(retryAfter)) }
        return .object(d)
    }

    /// 404 NotFound: `pods "x" not found`, `broadcastjobs.apps.kruise.io "x" not found`.
    public static func notFound(_ r: KubeResource, name: String) -> Response {
        failure(code: 404, reason: "NotFound", message: "\(r.groupResource) \"\(name)\" not found", details: details(name: name, resource: r))
    }

    /// 404 NotFound for a path that names no served resource (the server's plain `404 page not found`
    /// is what kube-apiserver sends there; a Status body reads better in kubectl).
    public static func notFound(path: String) -> Response {
        failure(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: .object(["causes": [.object(["reason": "UnexpectedServerResponse", "message": .string("404 page not found: \(path)")])]]))
    }

    /// 409 AlreadyExists.
    public static func alreadyExists(_ r: KubeResource, name: String) -> Response {
        failure(code: 409, reason: "AlreadyExists", message: "\(r.groupResource) \"\(name)\" already exists", details: details(name: name, resource: r))
    }

    /// 409 Conflict: a stale resourceVersion (or `message` for another precondition).
    public static func conflict(_ r: KubeResource, name: String, message: String? = nil) -> Response {
        failure(code: 409, reason: "Conflict",
                message: message ?? "Operation cannot be fulfilled on \(r.groupResource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
                details: details(name: name, resource: r))
    }

    /// The `metav1.CauseType` of a field error.
    static func causeType(_ t: FieldError.ErrorType) -> String {
        switch t {
        case .invalid: return "FieldValueInvalid"
        case .required: return "FieldValueRequired"
        case .forbidden: return "FieldValueForbidden"
        case .notSupported: return "FieldValueNotSupported"
        case .duplicate: return "FieldValueDuplicate"
        case .tooLong: return "FieldValueTooLong"
        }
    }

    /// A field error as a `details.causes` entry: its type, its body (`Invalid value: "x": why`) and its field.
    static func cause(_ e: FieldError) -> JSONValue {
        var body = e.type.rawValue
        if let v = e.badValue { body += ": \(v)" }
        if !e.detail.isEmpty { body += ": \(e.detail)" }
        return .object(["reason": .string(causeType(e.type)), "message": .string(body), "field": .string(e.field)])
    }

    /// 422 Invalid, with one cause per field error: kubectl prints `The Kind "name" is invalid:`
    /// and the causes as `* field: message` lines.
    public static func invalid(_ r: KubeResource, name: String, message: String, causes: [FieldError]) -> Response {
        failure(code: 422, reason: "Invalid", message: message, details: details(name: name, resource: r, kind: r.kind, causes: causes.map(cause)))
    }

    /// 400 BadRequest (a malformed body, selector, patch or query parameter).
    public static func badRequest(_ message: String) -> Response { failure(code: 400, reason: "BadRequest", message: message) }

    /// 405 MethodNotAllowed (a verb the resource does not have).
    public static func methodNotAllowed(_ r: KubeResource?, verb: String) -> Response {
        failure(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                details: r.map { details(name: nil, resource: $0, causes: [.object(["message": .string("\(verb) is not supported on \($0.groupResource)")])]) })
    }

    /// 410 Expired: a watch or list from a resourceVersion older than the server keeps
    /// (`too old resource version: 5 (120)`); clients relist on it.
    public static func expired(requested: String, oldest: Int64) -> Response {
        failure(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
    }

    /// 429 TooManyRequests, with `details.retryAfterSeconds` (send it as `Retry-After` too).
    public static func tooManyRequests(retryAfterSeconds: Int = 1) -> Response {
        failure(code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
                details: details(name: nil, resource: nil, retryAfter: retryAfterSeconds))
    }

    /// 406 NotAcceptable (an Accept header the server cannot answer, e.g. protobuf only).
    public static func notAcceptable(_ message: String = "only the following media types are accepted: application/json, application/yaml") -> Response {
        failure(code: 406, reason: "NotAcceptable", message: message)
    }

    /// 415 UnsupportedMediaType (a request body the server cannot read, or a patch type it does not know).
    public static func unsupportedMediaType(_ contentType: String) -> Response {
        failure(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    /// 500 InternalError.
    public static func internalError(_ message: String) -> Response {
        failure(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)",
                details: .object(["causes": [.object(["message": .string(message)])]]))
    }

    /// A successful delete's body (`status: Success`, with the object's name, kind and uid), for
    /// deletes that answer with a Status rather than the object.
    public static func deleted(_ r: KubeResource, name: String, uid: String?) -> JSONValue {
        .object(["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                 "details": details(name: name, resource: r, uid: uid)])
    }

    /// The Status for an error of the simulated API server (``APIServer``) about object `name` of
    /// resource `r`. The server's messages are already upstream's; this adds the reason, the
    /// code and the details: causes for Invalid, nothing for a webhook denial (reason unknown).
    public static func from(_ e: APIError, resource r: KubeResource, name: String) -> Response {
        switch e.reason {
        case .notFound, .alreadyExists, .conflict:
            return failure(code: e.code, reason: e.reason.rawValue, message: e.message, details: details(name: name, resource: r))
        case .invalid:
            return failure(code: e.code, reason: "Invalid", message: e.message, details: details(name: name, resource: r, kind: r.kind, causes: e.causes.map(cause)))
        case .internalError:
            return failure(code: e.code, reason: "InternalError", message: e.message, details: .object(["causes": [.object(["message": .string(e.message)])]]))
        case .tooManyRequests:
            return failure(code: e.code, reason: e.reason.rawValue, message: e.message, details: details(name: nil, resource: nil, retryAfter: 1))
        case .unknown:
            return failure(code: e.code, reason: nil, message: e.message)
        case .badRequest, .timeout, .serviceUnavailable, .forbidden:
            return failure(code: e.code, reason: e.reason.rawValue, message: e.message, details: details(name: name, resource: r))
        }
    }
}
