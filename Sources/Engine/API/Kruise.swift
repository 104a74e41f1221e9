import Foundation

public enum KruiseAPI {
    public static let group = "apps.kruise.io"
    public static let v1alpha1 = "apps.kruise.io/v1alpha1"
    public static let v1beta1 = "apps.kruise.io/v1beta1"
}

public struct CompletionPolicy: Codable, Hashable, Sendable {
    public var type: String?
    public var activeDeadlineSeconds: Int64?
    public var ttlSecondsAfterFinished: Int32?
    public init(type: String? = nil, activeDeadlineSeconds: Int64? = nil, ttlSecondsAfterFinished: Int32? = nil) {
        self.type = type
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
    }
}

public struct FailurePolicy: Codable, Hashable, Sendable {
    public var type: String?
    public var restartLimit: Int32?
    public init(type: String? = nil, restartLimit: Int32? = nil) {
        self.type = type
        self.restartLimit = restartLimit
    }
}

public struct BroadcastJobSpec: Codable, Hashable, Sendable {
    public var parallelism: IntOrString?
    public var template: PodTemplateSpec
    public var completionPolicy: CompletionPolicy?
    public var paused: Bool?
    public var failurePolicy: FailurePolicy?
    public init(template: PodTemplateSpec) { self.template = template }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parallelism = try c.decodeIfPresent(IntOrString.self, forKey: .parallelism)
        template = try c.decodeIfPresent(PodTemplateSpec.self, forKey: .template) ?? PodTemplateSpec(spec: PodSpec())
        completionPolicy = try c.decodeIfPresent(CompletionPolicy.self, forKey: .completionPolicy)
        paused = try c.decodeIfPresent(Bool.self, forKey: .paused)
        failurePolicy = try c.decodeIfPresent(FailurePolicy.self, forKey: .failurePolicy)
    }
}

public enum BroadcastJobPhase {
    public static let running = "running"
    public static let paused = "paused"
    public static let completed = "completed"
    public static let failed = "failed"
}

public struct BroadcastJobStatus: Codable, Hashable, Sendable {
    public var conditions: [JobCondition]?
    public var startTime: Timestamp?
    public var completionTime: Timestamp?
    public var active: Int32
    public var succeeded: Int32
    public var failed: Int32
    public var desired: Int32
    public var phase: String?
    public init() {
        active = 0
        succeeded = 0
        failed = 0
        desired = 0
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditions = try c.decodeIfPresent([JobCondition].self, forKey: .conditions)
        startTime = try c.decodeIfPresent(Timestamp.self, forKey: .startTime)
        completionTime = try c.decodeIfPresent(Timestamp.self, forKey: .completionTime)
        active = try c.decodeIfPresent(Int32.self, forKey: .active) ?? 0
        succeeded = try c.decodeIfPresent(Int32.self, forKey: .succeeded) ?? 0
        failed = try c.decodeIfPresent(Int32.self, forKey: .failed) ?? 0
        desired = try c.decodeIfPresent(Int32.self, forKey: .desired) ?? 0
        phase = try c.decodeIfPresent(String.self, forKey: .phase)
    }
}

/// OpenKruise `BroadcastJob` (apps.kruise.io v1alpha1 and v1beta1 decode to this one model).
public struct BroadcastJob: KubeObject, Hashable {
    public static let kind = "BroadcastJob"
    public static let defaultAPIVersion = KruiseAPI.v1beta1
    public static let acceptedAPIVersions = [KruiseAPI.v1alpha1, KruiseAPI.v1beta1]

    /// Copy-on-write storage, as ``Pod``'s: a job is copied into the store, every informer and
    /// each watch delivery, and its status is written on most reconciles.
    @usableFromInline typealias Storage = ObjectStorage<BroadcastJob, BroadcastJobSpec, BroadcastJobStatus?>
    @usableFromInline var storage: Storage

    @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var apiVersion: String? {
        _read { yield storage.apiVersion }
        _modify { makeUnique(); yield &storage.apiVersion }
    }
    public var kind: String? {
        _read { yield storage.kind }
        _modify { makeUnique(); yield &storage.kind }
    }
    public var metadata: ObjectMeta {
        _read { yield storage.metadata }
        _modify {
            makeUnique()
            defer { storage.refreshKey() }
            yield &storage.metadata
        }
    }
    public var key: String { storage.key }
    public var spec: BroadcastJobSpec {
        _read { yield storage.spec }
        _modify { makeUnique(); yield &storage.spec }
    }
    public var status: BroadcastJobStatus? {
        _read { yield storage.status }
        set { Storage.set(status: newValue, in: &storage) }
        _modify { makeUnique(); yield &storage.status }
    }
    public var unknownFields: JSONValue? {
        _read { yield storage.unknownFields }
        _modify { makeUnique(); yield &storage.unknownFields }
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status, unknownFields }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        let kind = try c.decodeIfPresent(String.self, forKey: .kind)
        let metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        let spec = try c.decode(BroadcastJobSpec.self, forKey: .spec)
        let status = try c.decodeIfPresent(BroadcastJobStatus.self, forKey: .status)
        let unknownFields = try c.decodeIfPresent(JSONValue.self, forKey: .unknownFields)
        storage = Storage(apiVersion: apiVersion, kind: kind, metadata: metadata, spec: spec, status: status, unknownFields: unknownFields)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(apiVersion, forKey: .apiVersion)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(spec, forKey: .spec)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(unknownFields, forKey: .unknownFields)
    }

    public static func == (a: BroadcastJob, b: BroadcastJob) -> Bool {
        a.storage === b.storage || (a.apiVersion == b.apiVersion && a.kind == b.kind && a.metadata == b.metadata && a.spec == b.spec && a.status == b.status && a.unknownFields == b.unknownFields)
    }

    public func hash(into h: inout Hasher) {
        h.combine(apiVersion)
        h.combine(kind)
        h.combine(metadata)
        h.combine(spec)
        h.combine(status)
        h.combine(unknownFields)
    }

    public init(metadata: ObjectMeta, spec: BroadcastJobSpec) {
        storage = Storage(apiVersion: Self.defaultAPIVersion, kind: Self.kind, metadata: metadata, spec: spec, status: nil, unknownFields: nil)
    }

    public var completionPolicyType: String { spec.completionPolicy?.type ?? "" }

    /// `IsJobFinished`: completion policy is not Never and a Complete or Failed condition is True.
    public var isFinished: Bool {
        if completionPolicyType == "Never" { return false }
        return status?.conditions?.contains(where: { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }) ?? false
    }
}

public struct BroadcastJobTemplateSpec: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta?
    public var spec: BroadcastJobSpec
}

public struct CronJobTemplate: Codable, Hashable, Sendable {
    public var jobTemplate: JobTemplateSpec?
    public var broadcastJobTemplate: BroadcastJobTemplateSpec?
    public var imageListPullJobTemplate: JSONValue?
    public init(jobTemplate: JobTemplateSpec? = nil, broadcastJobTemplate: BroadcastJobTemplateSpec? = nil) {
        self.jobTemplate = jobTemplate
        self.broadcastJobTemplate = broadcastJobTemplate
    }
}

public struct AdvancedCronJobSpec: Codable, Hashable, Sendable {
    public var schedule: String
    public var timeZone: String?
    public var startingDeadlineSeconds: Int64?
    public var concurrencyPolicy: String?
    public var paused: Bool?
    public var successfulJobsHistoryLimit: Int32?
    public var failedJobsHistoryLimit: Int32?
    public var template: CronJobTemplate
    public init(schedule: String, template: CronJobTemplate) {
        self.schedule = schedule
        self.template = template
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schedule = try c.decodeIfPresent(String.self, forKey: .schedule) ?? ""
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone)
        startingDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .startingDeadlineSeconds)
        concurrencyPolicy = try c.decodeIfPresent(String.self, forKey: .concurrencyPolicy)
        paused = try c.decodeIfPresent(Bool.self, forKey: .paused)
        successfulJobsHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .successfulJobsHistoryLimit)
        failedJobsHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .failedJobsHistoryLimit)
        template = try c.decodeIfPresent(CronJobTemplate.self, forKey: .template) ?? CronJobTemplate()
    }
}

public struct AdvancedCronJobStatus: Codable, Hashable, Sendable {
    public var type: String?
    public var active: [ObjectReference]?
    public var lastScheduleTime: Timestamp?
    public init() {}
}

/// OpenKruise `AdvancedCronJob`.
public struct AdvancedCronJob: KubeObject, Hashable {
    public static let kind = "AdvancedCronJob"
    public static let defaultAPIVersion = KruiseAPI.v1beta1
    public static let acceptedAPIVersions = [KruiseAPI.v1alpha1, KruiseAPI.v1beta1]
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: AdvancedCronJobSpec
    public var status: AdvancedCronJobStatus?
    public var unknownFields: JSONValue?
    public init(metadata: ObjectMeta, spec: AdvancedCronJobSpec) {
        self.apiVersion = Self.defaultAPIVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
    }
}
