import Foundation

/// `batchv1.JobCondition` / kruise `JobCondition`.
public struct JobCondition: Codable, Hashable, Sendable {
    public var type: String
    public var status: String
    public var lastProbeTime: Timestamp?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?
    /// Both times are `time` at whole seconds, as a `metav1.Time` is stored.
    public init(type: String, status: String, time: Timestamp, reason: String?, message: String?) {
        self.type = type
        self.status = status
        self.lastProbeTime = time.wholeSeconds
        self.lastTransitionTime = time.wholeSeconds
        self.reason = reason
        self.message = message
    }
}

public struct LabelSelector: Codable, Hashable, Sendable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [JSONValue]?
    public init(matchLabels: [String: String]? = nil) { self.matchLabels = matchLabels }
}

public struct JobSpec: Codable, Hashable, Sendable {
    public var parallelism: Int32?
    public var completions: Int32?
    public var activeDeadlineSeconds: Int64?
    public var backoffLimit: Int32?
    public var selector: LabelSelector?
    public var manualSelector: Bool?
    public var template: PodTemplateSpec
    public var ttlSecondsAfterFinished: Int32?
    public var completionMode: String?
    public var suspend: Bool?
    public init(template: PodTemplateSpec) { self.template = template }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parallelism = try c.decodeIfPresent(Int32.self, forKey: .parallelism)
        completions = try c.decodeIfPresent(Int32.self, forKey: .completions)
        activeDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .activeDeadlineSeconds)
        backoffLimit = try c.decodeIfPresent(Int32.self, forKey: .backoffLimit)
        selector = try c.decodeIfPresent(LabelSelector.self, forKey: .selector)
        manualSelector = try c.decodeIfPresent(Bool.self, forKey: .manualSelector)
        template = try c.decodeIfPresent(PodTemplateSpec.self, forKey: .template) ?? PodTemplateSpec(spec: PodSpec())
        ttlSecondsAfterFinished = try c.decodeIfPresent(Int32.self, forKey: .ttlSecondsAfterFinished)
        completionMode = try c.decodeIfPresent(String.self, forKey: .completionMode)
        suspend = try c.decodeIfPresent(Bool.self, forKey: .suspend)
    }
}

public struct JobStatus: Codable, Hashable, Sendable {
    public var conditions: [JobCondition]?
    public var startTime: Timestamp?
    public var completionTime: Timestamp?
    public var active: Int32?
    public var succeeded: Int32?
    public var failed: Int32?
    public var ready: Int32?
    public init() {}
}

/// `batch/v1 Job`, the native baseline.
public struct Job: KubeObject, Hashable {
    public static let kind = "Job"
    public static let defaultAPIVersion = "batch/v1"
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: JobSpec
    public var status: JobStatus?
    public var unknownFields: JSONValue?
    public init(metadata: ObjectMeta, spec: JobSpec) {
        self.apiVersion = Self.defaultAPIVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
    }

    /// Complete or Failed condition with status True.
    public var finishedCondition: JobCondition? {
        status?.conditions?.first(where: { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" })
    }
}

public struct JobTemplateSpec: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta?
    public var spec: JobSpec
}
