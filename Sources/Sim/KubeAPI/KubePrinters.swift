import Foundation
import Engine

/// One column of the table `kubectl get` prints (`metav1.TableColumnDefinition`). `priority` 0
/// columns are always shown; priority 1 columns only with `-o wide`.
public struct KubeColumn: Sendable, Hashable {
    public var name: String
    /// `string`, `integer`, `number`, `boolean` or `date` (CRD printer columns).
    public var type: String
    /// `name` for the object's name column, else empty.
    public var format: String
    public var description: String
    public var priority: Int

    public init(_ name: String, type: String = "string", format: String = "", priority: Int = 0, _ description: String) {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
    }

    /// The column as a Table's `columnDefinitions` entry.
    public var json: JSONValue {
        .object(["name": .string(name), "type": .string(type), "format": .string(format),
                 "description": .string(description), "priority": .int(Int64(priority))])
    }
}

/// The columns and cells kube-apiserver's printers (`pkg/printers/internalversion/printers.go`)
/// compute for the core kinds, and the apiextensions table convertor computes from the OpenKruise
/// CRDs' `additionalPrinterColumns` for BroadcastJob and AdvancedCronJob. Shared by the served
/// `as=Table` responses (``KubeTable``) and the trace views (`kruise-sim get`).
///
/// Cells are computed as the server does with `Wide: true` (every column, the client drops the
/// priority-1 ones without `-o wide`); ages are measured from a given virtual `now`. Cells are
/// strings, except CRD integer columns (numbers), event counts (numbers) and missing CRD values
/// (null), as upstream sends them.
///
/// Not modelled: init-container progress (`Init:0/1`), pod readiness gates and nominated nodes
/// (always `<none>`), node addresses and system info other than what a manifest carries.
public enum KubePrinters {
    static let nameDoc = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    static let ageDoc = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC."
    static let nameColumn = KubeColumn("Name", format: "name", nameDoc)
    static let ageColumn = KubeColumn("Age", ageDoc)

    /// The columns for a resource, in order (priority-1 columns included).
    public static func columns(_ r: KubeResource) -> [KubeColumn] {
        guard let k = r.knownKind else {
            return [nameColumn, KubeColumn("Status", "The status of the namespace"), ageColumn]
        }
        switch k {
        case .pod:
            return [nameColumn,
                    KubeColumn("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                    KubeColumn("Status", "The aggregate status of the containers in this pod."),
                    KubeColumn("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                    ageColumn,
                    KubeColumn("IP", priority: 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
                    KubeColumn("Node", priority: 1, "NodeName indicates in which node this pod is scheduled."),
                    KubeColumn("Nominated Node", priority: 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
                    KubeColumn("Readiness Gates", priority: 1, "If specified, all readiness gates will be evaluated for pod readiness.")]
        case .node:
            return [nameColumn, KubeColumn("Status", "The status of the node"), KubeColumn("Roles", "The roles of the node"), ageColumn,
                    KubeColumn("Version", "Kubelet Version reported by the node."),
                    KubeColumn("Internal-IP", priority: 1, "List of addresses reachable to the node."),
                    KubeColumn("External-IP", priority: 1, "List of addresses reachable to the node."),
                    KubeColumn("OS-Image", priority: 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
                    KubeColumn("Kernel-Version", priority: 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
                    KubeColumn("Container-Runtime", priority: 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).")]
        case .job:
            return [nameColumn, KubeColumn("Status", "Status of the job."),
                    KubeColumn("Completions", "The number of pods which reached phase Succeeded."),
                    KubeColumn("Duration", "Time required to complete the job."), ageColumn,
                    KubeColumn("Containers", priority: 1, "Names of each container in the template."),
                    KubeColumn("Images", priority: 1, "Images referenced by each container in the template."),
                    KubeColumn("Selector", priority: 1, "A label query over pods that should match the pod count.")]
        case .event:
            return [KubeColumn("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
                    KubeColumn("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
                    KubeColumn("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
                    KubeColumn("Object", "The object that this event is about."),
                    KubeColumn("Subobject", priority: 1, "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement."),
                    KubeColumn("Source", priority: 1, "The component reporting this event. Should be a short machine understandable string."),
                    KubeColumn("Message", "A human-readable description of the status of this operation."),
                    KubeColumn("First Seen", priority: 1, "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
                    KubeColumn("Count", priority: 1, "The number of times this event has occurred."),
                    KubeColumn("Name", format: "name", priority: 1, nameDoc)]
        case .broadcastJob:
            return [nameColumn,
                    KubeColumn("Desired", type: "integer", "The desired number of pods. This is typically equal to the number of nodes satisfied to run pods."),
                    KubeColumn("Active", type: "integer", "The number of actively running pods."),
                    KubeColumn("Succeeded", type: "integer", "The number of pods which reached phase Succeeded."),
                    KubeColumn("Failed", type: "integer", "The number of pods which reached phase Failed."),
                    KubeColumn("AGE", type: "date", ageDoc)]
        case .advancedCronJob:
            return [nameColumn,
                    KubeColumn("Schedule", "The schedule of advanced cron job."),
                    KubeColumn("Type", "Type of cron job."),
                    KubeColumn("LastScheduleTime", type: "date", "The last time at which job was scheduled."),
                    KubeColumn("AGE", type: "date", ageDoc)]
        }
    }

    /// The columns for an engine kind.
    public static func columns(_ k: KnownKind) -> [KubeColumn] { columns(KubeResources.resource(for: k)) }

    /// The cells of one object's row, one per column of ``columns(_:)``.
    public static func cells(_ o: APIObject, now: Timestamp) -> [JSONValue] {
        let name = JSONValue.string(o.metadata.name ?? "")
        let age = JSONValue.string(self.age(o.metadata.creationTimestamp, now))
        switch o {
        case .pod(let p):
            let c = podCells(p, now: now).map { JSONValue.string($0) }
            return [name] + c[0..<3] + [age] + c[3...]
        case .node(let n):
            let c = nodeCells(n)
            return [name, .string(c[0]), .string(c[1]), age] + c.dropFirst(2).map { .string($0) }
        case .job(let j):
            let c = jobCells(j, now: now)
            return [name, .string(c[0]), .string(c[1]), .string(c[2]), age] + c.dropFirst(3).map { .string($0) }
        case .event(let e):
            let first = e.firstTimestamp.map { self.age($0, now) } ?? "<unknown>"
            let last = e.lastTimestamp.map { self.age($0, now) } ?? first
            let ref = e.involvedObject
            let kind = (ref.kind ?? "").lowercased()
            let target = (ref.name ?? "").isEmpty ? kind : "\(kind)/\(ref.name!)"
            let fieldPath = e.unknownFields?["involvedObject"]?["fieldPath"]?.stringValue ?? ""
            var source = e.source?.component ?? ""
            if let host = e.unknownFields?["source"]?["host"]?.stringValue, !host.isEmpty { source += ", " + host }
            let count = e.count.map { $0 == 0 ? 1 : Int64($0) } ?? 1
            return [.string(last), .string(e.type), .string(e.reason), .string(target), .string(fieldPath), .string(source),
                    .string(e.message), .string(first), .int(count), name]
        case .broadcastJob(let b):
            guard let s = b.status else { return [name, .null, .null, .null, .null, age] }
            return [name, .int(Int64(s.desired)), .int(Int64(s.active)), .int(Int64(s.succeeded)), .int(Int64(s.failed)), age]
        case .advancedCronJob(let a):
            let last: JSONValue = a.status?.lastScheduleTime.map { .string(self.age($0, now)) } ?? .null
            let type: JSONValue = a.status?.type.map { .string($0) } ?? .null
            return [name, .string(a.spec.schedule), type, last, age]
        }
    }

    /// The cells of a `v1 Namespace` row (name, phase, age).
    public static func namespaceCells(_ ns: JSONValue, now: Timestamp) -> [JSONValue] {
        let created = ns["metadata"]?["creationTimestamp"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        return [ns["metadata"]?["name"] ?? "", ns["status"]?["phase"] ?? "Active", .string(age(created, now))]
    }

    /// `translateTimestampSince`: `<unknown>` for no timestamp, else the human duration since it.
    public static func age(_ since: Timestamp?, _ now: Timestamp) -> String {
        guard let since else { return "<unknown>" }
        return humanDuration(now.seconds(since: since))
    }

    /// Ready, Status, Restarts, then IP, Node, Nominated Node, Readiness Gates (printPod).
    static func podCells(_ p: Pod, now: Timestamp) -> [String] {
        let cs = p.status?.containerStatuses ?? []
        let ready = cs.filter { $0.ready == true && $0.state?.running != nil }.count
        var restarts = 0
        var lastRestart: Timestamp?
        for c in cs {
            restarts += Int(c.restartCount)
            if let f = c.lastState?.terminated?.finishedAt, lastRestart.map({ f > $0 }) ?? true { lastRestart = f }
        }
        var restartText = String(restarts)
        if restarts != 0, let l = lastRestart { restartText += " (\(age(l, now)) ago)" }
        let ip = p.unknownFields?["status"]?["podIP"]?.stringValue ?? ""
        return ["\(ready)/\(p.spec.containers.count)", podStatus(p), restartText,
                ip.isEmpty ? "<none>" : ip, p.spec.nodeName.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>", "<none>", "<none>"]
    }

    /// kubectl's pod STATUS: the phase, or the pod's reason, or the reason a container waits or
    /// ended (`ExitCode:N` when it gives none), Running again when a container still runs after
    /// another Completed, `Terminating` while a non-terminal pod is being deleted.
    public static func podStatus(_ p: Pod) -> String {
        let phase = p.status?.phase ?? ""
        var reason = phase
        if let r = p.status?.reason, !r.isEmpty { reason = r }
        var hasRunning = false
        for c in (p.status?.containerStatuses ?? []).reversed() {
            if let w = c.state?.waiting?.reason, !w.isEmpty {
                reason = w
            } else if let term = c.state?.terminated {
                if let r = term.reason, !r.isEmpty { reason = r } else { reason = "ExitCode:\(term.exitCode)" }
            } else if c.ready == true && c.state?.running != nil {
                hasRunning = true
            }
        }
        if reason == "Completed" && hasRunning {
            reason = p.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) == true ? "Running" : "NotReady"
        }
        if p.metadata.deletionTimestamp != nil {
            if p.status?.reason == "NodeLost" { reason = "Unknown" }
            else if phase != PodPhase.succeeded && phase != PodPhase.failed { reason = "Terminating" }
        }
        return reason.isEmpty ? PodPhase.pending : reason
    }

    /// Status, Roles, then Version, Internal-IP, External-IP, OS-Image, Kernel-Version, Container-Runtime (printNode).
    static func nodeCells(_ n: Node) -> [String] {
        var status: String
        if let ready = n.condition("Ready") {
            status = ready.status == "True" ? "Ready" : (ready.status == "False" ? "NotReady" : "Unknown")
        } else {
            status = "Unknown"
        }
        if n.unschedulable { status += ",SchedulingDisabled" }
        var roles = Set<String>()
        for (k, v) in n.labels {
            if k.hasPrefix("node-role.kubernetes.io/") { roles.insert(String(k.dropFirst("node-role.kubernetes.io/".count))) }
            else if k == "kubernetes.io/role", !v.isEmpty { roles.insert(v) }
        }
        let extra = n.unknownFields?["status"]
        let info = extra?["nodeInfo"]
        func address(_ type: String) -> String {
            let a = (extra?["addresses"]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }?["address"]?.stringValue
            return a ?? "<none>"
        }
        func field(_ k: String, _ missing: String) -> String { info?[k]?.stringValue ?? missing }
        return [status, roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ","), field("kubeletVersion", ""),
                address("InternalIP"), address("ExternalIP"), field("osImage", "<unknown>"), field("kernelVersion", "<unknown>"),
                field("containerRuntimeVersion", "<unknown>")]
    }

    /// Status, Completions, Duration, then Containers, Images, Selector (printJob).
    static func jobCells(_ j: Job, now: Timestamp) -> [String] {
        let conds = j.status?.conditions ?? []
        func has(_ t: String) -> Bool { conds.contains { $0.type == t && $0.status == "True" } }
        let status: String
        if has("Complete") { status = "Complete" }
        else if has("Failed") { status = "Failed" }
        else if j.metadata.deletionTimestamp != nil { status = "Terminating" }
        else if has("Suspended") { status = "Suspended" }
        else if has("FailureTarget") { status = "FailureTarget" }
        else if has("SuccessCriteriaMet") { status = "SuccessCriteriaMet" }
        else { status = "Running" }
        let succeeded = j.status?.succeeded ?? 0
        let completions: String
        if let c = j.spec.completions { completions = "\(succeeded)/\(c)" }
        else if let p = j.spec.parallelism, p > 1 { completions = "\(succeeded)/1 of \(p)" }
        else { completions = "\(succeeded)/1" }
        var duration = ""
        if let s = j.status?.startTime { duration = humanDuration((j.status?.completionTime ?? now).seconds(since: s)) }
        let c = j.spec.template.spec.containers
        let selector = j.spec.selector.map { LabelSelectorText.text($0) } ?? ""
        return [status, completions, duration, c.map(\.name).joined(separator: ","), c.map { $0.image ?? "" }.joined(separator: ","), selector]
    }

    /// apimachinery's `duration.HumanDuration`, as kubectl prints AGE.
    public static func humanDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s < -1 { return "<invalid>" }
        if s < 0 { return "0s" }
        if s < 120 { return "\(s)s" }
        let minutes = s / 60
        if minutes < 10 { return s % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(s % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = s / 3600
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 { let dy = (hours / 24) % 365; return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d" }
        return "\(hours / 24 / 365)y"
    }

    /// A cell as kubectl prints it: strings as they are, numbers in decimal, a missing value
    /// (a CRD column whose field is unset) as nothing.
    public static func render(_ cell: JSONValue) -> String {
        switch cell {
        case .null: return ""
        case .string(let s): return s
        default: return cell.rendered
        }
    }
}
