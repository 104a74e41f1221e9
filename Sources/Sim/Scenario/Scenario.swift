import Foundation
import Engine

/// Where something was written in a scenario file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var description: String { "\(file):\(line):\(column)" }
}

/// Control-plane knobs (`settings`).
public struct Settings: Sendable {
    public var apiLatency = DurationSpec(0.005)
    public var watchDelay = DurationSpec(0.010)
    /// kruise-manager's client (the BroadcastJob and AdvancedCronJob controllers): OpenKruise's defaults.
    public var clientQPS: Double = 30
    public var clientBurst: Double = 50
    /// kube-controller-manager's client (Job, garbage collection, pod GC, node lifecycle): its `--kube-api-qps`/`--kube-api-burst` defaults.
    public var kubeControllerManagerQPS: Double = 20
    public var kubeControllerManagerBurst: Double = 30
    /// kube-scheduler's client: its defaults.
    public var schedulerQPS: Double = 50
    public var schedulerBurst: Double = 100
    /// Each kubelet's client (`kubeAPIQPS`/`kubeAPIBurst` defaults).
    public var kubeletQPS: Double = 50
    public var kubeletBurst: Double = 100
    public var workers = 3
    public var bindPodsBy = "scheduler"
    public var expectationTimeout: Double = 300
    public var timeZone = "UTC"
    public var nodeMonitorGracePeriod: Double = 40
    public var podEvictionTimeout: Double = 300
    public var imagePullBandwidth: Double = 50_000_000
    public var faults = FaultSettings()
    /// Unknown fields in manifests: rejected (Strict), dropped with a warning (Warn) or dropped silently (Ignore).
    public var fieldValidation = FieldValidation.strict
    public init() {}
}

/// One node, or a group (`namePrefix` + `count`).
public struct NodeEntry: Sendable {
    public var names: [String] = []
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    public var taints: [Taint] = []
    public var unschedulable = false
    public var allocatable: ResourceList = ["cpu": Quantity(4), "memory": Quantity(parsing: "16Gi")!, "pods": Quantity(110)]
    public var diskCapacity: Int64 = 100 * 1 << 30
    public var diskUsed: Int64 = 10 * 1 << 30
    public var images: [(name: String, size: Int64)] = []
    public var ready = true
    public var location: SourceLocation
}

/// `Kind/name` or `Kind/namespace/name`.
public struct ObjectRef: Sendable, Equatable, CustomStringConvertible {
    public var kind: KnownKind
    public var namespace: String
    public var name: String
    public var description: String { kind.namespaced ? "\(kind.rawValue)/\(namespace)/\(name)" : "\(kind.rawValue)/\(name)" }
    public var key: String { kind.namespaced ? "\(namespace)/\(name)" : name }
}

/// When: an offset from the start, an instant, or the end.
public enum TimeSpec: Sendable, Equatable {
    case offset(Double)
    case instant(Timestamp)
    case end
}

public enum PodSelector: Sendable, Equatable {
    case ref(ObjectRef)
    /// The pods on `node` whose controller owner is `owner`.
    case nodeOwner(node: String, owner: ObjectRef)
}

public enum Action: Sendable {
    case apply(APIObject)
    case delete(ObjectRef)
    case patch(ObjectRef, JSONValue)
    case addNodes(NodeEntry)
    case deleteNode(String)
    case cordon(String), uncordon(String)
    case taint(node: String, Taint)
    case untaint(node: String, key: String)
    case label(node: String, labels: [String: String?])
    case nodeDown(String), nodeUp(String)
    case fillDisk(node: String, size: Int64), freeDisk(node: String, size: Int64)
    case killPod(PodSelector), deletePod(PodSelector)
    case restartControllers, stopControllers, startControllers
    case faults(FaultSettings)

    public var name: String {
        switch self {
        case .apply: return "apply"
        case .delete: return "delete"
        case .patch: return "patch"
        case .addNodes: return "addNodes"
        case .deleteNode: return "deleteNode"
        case .cordon: return "cordon"
        case .uncordon: return "uncordon"
        case .taint: return "taint"
        case .untaint: return "untaint"
        case .label: return "label"
        case .nodeDown: return "nodeDown"
        case .nodeUp: return "nodeUp"
        case .fillDisk: return "fillDisk"
        case .freeDisk: return "freeDisk"
        case .killPod: return "killPod"
        case .deletePod: return "deletePod"
        case .restartControllers: return "restartControllers"
        case .stopControllers: return "stopControllers"
        case .startControllers: return "startControllers"
        case .faults: return "faults"
        }
    }
}

public struct TimelineEntry: Sendable {
    public var at: TimeSpec
    public var action: Action
    public var location: SourceLocation
}

/// A check's matcher: a plain value means equality.
public enum Matcher: Sendable, Equatable, CustomStringConvertible {
    case eq(JSONValue), ne(JSONValue), lt(JSONValue), lte(JSONValue), gt(JSONValue), gte(JSONValue)
    case isIn([JSONValue])
    case matches(String)
    case exists(Bool)
    /// Several comparisons that must all hold (`{gte: 58, lte: 60}`).
    case all([Matcher])

    public var description: String {
        switch self {
        case .all(let ms): return ms.map(\.description).joined(separator: " and ")
        case .eq(let v): return v.renderedQuoted
        case .ne(let v): return "≠ \(v.renderedQuoted)"
        case .lt(let v): return "< \(v.renderedQuoted)"
        case .lte(let v): return "≤ \(v.renderedQuoted)"
        case .gt(let v): return "> \(v.renderedQuoted)"
        case .gte(let v): return "≥ \(v.renderedQuoted)"
        case .isIn(let vs): return "one of \(JSONValue.array(vs).rendered)"
        case .matches(let r): return "matching /\(r)/"
        case .exists(let b): return b ? "present" : "absent"
        }
    }
}

public struct WhereClause: Sendable, Equatable {
    public var namespace: String?
    public var labels: [String: String] = [:]
    public var node: String?
    public var phase: String?
    public var owner: ObjectRef?
    public var namePrefix: String?
}

public enum ExpectSubject: Sendable {
    case object(ObjectRef, fields: [(path: String, matcher: Matcher)])
    case absent(ObjectRef)
    case count(KnownKind, where: WhereClause, is: Matcher)
    case node(String, fields: [(path: String, matcher: Matcher)])
    case events(reason: String, object: ObjectRef?, type: String?, is: Matcher)
}

public struct Expectation: Sendable {
    public var at: TimeSpec
    public var subject: ExpectSubject
    public var location: SourceLocation
}

public enum InvariantMode: String, Sendable, Equatable {
    case on, off, violated
}

/// A scenario file, loaded and checked.
public struct Scenario: Sendable {
    public var file: String
    public var name: String
    public var description: String = ""
    public var seed: UInt64 = 1
    public var start = Timestamp(rfc3339: "2024-01-01T00:00:00Z")!
    public var duration: Double = 0
    public var settings = Settings()
    public var nodes: [NodeEntry] = []
    public var images = ImageCatalog()
    public var manifests: [(object: APIObject, location: SourceLocation)] = []
    public var timeline: [TimelineEntry] = []
    public var invariants: [String: InvariantMode] = [:]
    public var expectations: [Expectation] = []
    /// What loading found but let pass (`settings.fieldValidation: Warn`), each `FILE:LINE:COLUMN: Warning: ...`.
    public var warnings: [ScenarioError] = []
    /// The fault profile layered under `settings.faults` (`--faults`; see ``layering(_:)``).
    public var faultProfile: FaultProfile?

    public static let invariantNames = ["onePodPerNode", "podsOnFitNodes", "deadlineHonored", "ttlHonored",
                                        "restartLimitHonored", "cronOnTime", "statusConsistent"]

    public func mode(of invariant: String) -> InvariantMode { invariants[invariant] ?? .on }

    /// Seconds from the start for a time spec.
    public func offset(_ t: TimeSpec) -> Double {
        switch t {
        case .offset(let s): return s
        case .instant(let i): return i.seconds(since: start)
        case .end: return duration
        }
    }
}
