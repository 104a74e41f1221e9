import Foundation

/// Settings of the admission chain that a real cluster takes from API-server flags.
public struct AdmissionOptions: Sendable {
    /// DefaultTolerationSeconds admission plugin: pods get NoExecute tolerations for node.kubernetes.io/not-ready
    /// and node.kubernetes.io/unreachable (operator Exists) with this tolerationSeconds unless they already
    /// tolerate them.
    public var defaultTolerationSeconds: Int64 = 300

    public init(defaultTolerationSeconds: Int64 = 300) {
        self.defaultTolerationSeconds = defaultTolerationSeconds
    }
}

/// What the API server and the OpenKruise webhooks do to a create or an update of a main resource before it is
/// stored: defaulting (API-server defaults, mutating webhooks, the DefaultTolerationSeconds plugin), then
/// validation with the upstream messages and field paths.
///
/// Per kind:
/// - Pod: `SetDefaults_Pod`/`SetDefaults_PodSpec`, default tolerations; `ValidatePodCreate`, and on update the
///   pod-spec immutability rule (the simulator's binding may set `spec.nodeName` once).
/// - Job (batch/v1): `SetDefaults_Job`, the generated selector and labels on create; `ValidateJob`, and on update
///   `ValidateJobUpdate` (template, selector, completions immutable).
/// - BroadcastJob: `SetDefaultsBroadcastJob`; DNS-1123 subdomain name (API server), then the kruise webhook
///   (shared/reference/broadcastjob.md §1).
/// - AdvancedCronJob: `SetDefaultsAdvancedCronJob`; name and the `concurrencyPolicy` enum (API server), then the
///   kruise webhook including the update rule, D-A3 and D-A10 (shared/reference/advancedcronjob.md §1.1).
/// - Node: allocatable defaults to capacity; name and taints validated.
/// - Event: accepted as is.
///
/// Errors are collected in upstream order and reported together, identical messages once (`ToAggregate`). The API
/// server's own checks answer 422 `Kind.group "name" is invalid: ...`; a kruise validating webhook's rejection is
/// reported as the API server relays it (`ToStatusErr`): `admission webhook "<webhook>" denied the request: ...`
/// with the webhook's code (500 for BroadcastJob, 422 for AdvancedCronJob) and no reason.
/// Cost: linear in the size of the object, plus one encoding of the spec on updates that need an immutability
/// comparison.
public enum Admission {
    /// Defaults then validates `object` for a create (old == nil) or an update of the main resource (spec/metadata;
    /// old = stored object). Returns the admitted object, or throws an APIError whose message names every field error
    /// in upstream order: reason .invalid (422) for the API server's own checks, the webhook's denial (`WebhookDenial`)
    /// for a kruise validating webhook's.
    public static func admit(_ object: APIObject, old: APIObject?, options: AdmissionOptions) throws(APIError) -> APIObject {
        var obj = object
        var meta = obj.metadata
        let oldSameKind = old.flatMap { $0.kind == obj.kind ? $0 : nil }
        if obj.kind.namespaced {
            if (meta.namespace ?? "").isEmpty { meta.namespace = "default" }
        } else {
            meta.namespace = nil  // BeforeCreate/BeforeUpdate clear it for cluster-scoped kinds
        }
        if let oldMeta = oldSameKind?.metadata {
            // BeforeUpdate: an update without uid keeps the stored one; creationTimestamp cannot change.
            if (meta.uid ?? "").isEmpty { meta.uid = oldMeta.uid }
            if let created = oldMeta.creationTimestamp { meta.creationTimestamp = created }
        }
        obj.metadata = meta

        let admitted: APIObject
        let errors: [FieldError]
        var denial: WebhookDenial?
        switch obj {
        case .pod(let p):
            let (o, e) = PodValidation.admit(p, old: oldSameKind.flatMap(Pod.unwrap), options: options)
            (admitted, errors) = (.pod(o), e)
        case .job(let j):
            let (o, e) = JobAdmission.admit(j, old: oldSameKind.flatMap(Job.unwrap))
            (admitted, errors) = (.job(o), e)
        case .broadcastJob(let b):
            let (o, e, w) = BroadcastJobAdmission.admit(b, old: oldSameKind.flatMap(BroadcastJob.unwrap))
            (admitted, errors, denial) = (.broadcastJob(o), e, w)
        case .advancedCronJob(let a):
            let (o, e, w) = AdvancedCronJobAdmission.admit(a, old: oldSameKind.flatMap(AdvancedCronJob.unwrap))
            (admitted, errors, denial) = (.advancedCronJob(o), e, w)
        case .node(let n):
            let (o, e) = NodeAdmission.admit(n, old: oldSameKind.flatMap(Node.unwrap))
            (admitted, errors) = (.node(o), e)
        case .event:
            (admitted, errors) = (obj, [])
        }
        if errors.isEmpty { return admitted }
        if let denial { throw denial.error(causes: errors.dedupedByMessage()) }
        throw invalid(kind: admitted.kind, name: admitted.metadata.name ?? "", causes: errors.dedupedByMessage())
    }

    /// `errors.NewInvalid`: `Kind.group "name" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`; core kinds
    /// have no group suffix (`Pod "name" is invalid: ...`).
    static func invalid(kind: KnownKind, name: String, causes: [FieldError]) -> APIError {
        if APIError.kindGroupSuffix(kind.rawValue).isEmpty {
            let list = causes.map(\.description)
            let body = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
            return APIError(code: 422, reason: .invalid, message: "\(kind.rawValue) \"\(name)\" is invalid: \(body)", causes: causes)
        }
        return APIError.invalid(kind: kind.rawValue, name: name, causes: causes)
    }
}

/// A validating webhook that rejected a request, as the API server reports it (`webhook/errors.ToStatusErr`): the
/// webhook's code, an empty reason (`StatusReasonUnknown`) and
/// `admission webhook "<name>" denied the request: <aggregate>`.
struct WebhookDenial: Sendable {
    var name: String
    var code: Int

    /// `ToAggregate().Error()`: one message as is, several in brackets joined by ", ".
    func error(causes: [FieldError]) -> APIError {
        let list = causes.map(\.description)
        let body = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return APIError(code: code, reason: .unknown, message: "admission webhook \"\(name)\" denied the request: \(body)", causes: causes)
    }
}
