import Foundation

/// A value that writes its own compact JSON: the bytes ``CompactJSON/text(_:)`` gives through its
/// `Encodable` conformance (keys sorted, `nil` fields left out, times as RFC 3339 strings), without
/// the encoder's containers. For what the trace writes on most writes: every object's metadata, a
/// pod's and a node's spec, a pod's, a node's and a BroadcastJob's status (alone, or inside a whole
/// object), and whole pods and nodes. `ManifestTextTests` checks
/// them against the `Encodable` output and the value tree for every object every bundled scenario
/// writes.
///
/// Each conformance lists its members in sorted key order; a field added to one of these types
/// must be added here too (the test above fails until it is).
protocol CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8])
}

/// Writes one JSON object's members, in the order given (the callers give them sorted by key).
struct CompactJSONObject {
    private var members = 0

    static func write(to out: inout [UInt8], _ body: (inout CompactJSONObject, inout [UInt8]) -> Void) {
        var o = CompactJSONObject()
        out.append(UInt8(ascii: "{"))
        body(&o, &out)
        out.append(UInt8(ascii: "}"))
    }

    fileprivate mutating func keyed(_ k: StaticString, _ out: inout [UInt8]) {
        if members > 0 { out.append(UInt8(ascii: ",")) }
        members += 1
        out.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ k: StaticString, _ v: String?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        CompactJSON.writeString(v, to: &out)
    }
    mutating func int<I: BinaryInteger>(_ k: StaticString, _ v: I?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        guard let x = Int64(exactly: v) else { out.append(contentsOf: String(v).utf8); return }
        // The decimal digits, least significant first, then turned around: no String per number.
        if x < 0 { out.append(UInt8(ascii: "-")) }
        var m = x.magnitude
        let first = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(m % 10))
            m /= 10
        } while m > 0
        out[first...].reverse()
    }
    /// A `[String: String]`, its keys sorted (as the encoder sorts a dictionary's).
    mutating func strings(_ k: StaticString, _ v: [String: String]?, _ out: inout [UInt8]) { map(k, v, { $0 }, &out) }
    /// A `ResourceList`, its names sorted, each quantity as its text.
    mutating func resources(_ k: StaticString, _ v: ResourceList?, _ out: inout [UInt8]) { map(k, v, \.text, &out) }
    mutating func strings(_ k: StaticString, _ v: [String]?, _ out: inout [UInt8]) {
        list(k, v, { CompactJSON.writeString($0, to: &$1) }, &out)
    }
    mutating func bool(_ k: StaticString, _ v: Bool?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        out.append(contentsOf: (v ? "true" : "false").utf8)
    }
    mutating func time(_ k: StaticString, _ v: Timestamp?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        CompactJSON.writeString(v.rfc3339, to: &out)
    }
    mutating func object<T: CompactJSONWritable>(_ k: StaticString, _ v: T?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        v.writeCompactJSON(to: &out)
    }
    mutating func array<T: CompactJSONWritable>(_ k: StaticString, _ v: [T]?, _ out: inout [UInt8]) {
        list(k, v, { $0.writeCompactJSON(to: &$1) }, &out)
    }

    /// A dictionary with string values, its keys sorted.
    private mutating func map<V>(_ k: StaticString, _ v: [String: V]?, _ text: (V) -> String, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        out.append(UInt8(ascii: "{"))
        for (i, name) in v.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CompactJSON.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            CompactJSON.writeString(text(v[name]!), to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private mutating func list<E>(_ k: StaticString, _ v: [E]?, _ write: (E, inout [UInt8]) -> Void, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        out.append(UInt8(ascii: "["))
        for (i, e) in v.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(e, &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension PodStatus: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.array("conditions", conditions, &out)
            o.array("containerStatuses", containerStatuses, &out)
            o.string("hostIP", hostIP, &out)
            o.array("initContainerStatuses", initContainerStatuses, &out)
            o.string("message", message, &out)
            o.string("phase", phase, &out)
            o.string("reason", reason, &out)
            o.time("startTime", startTime, &out)
        }
    }
}

extension Condition: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.time("lastHeartbeatTime", lastHeartbeatTime, &out)
            o.time("lastProbeTime", lastProbeTime, &out)
            o.time("lastTransitionTime", lastTransitionTime, &out)
            o.string("message", message, &out)
            o.string("reason", reason, &out)
            o.string("status", status, &out)
            o.string("type", type, &out)
        }
    }
}

extension ContainerStatus: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("image", image, &out)
            o.object("lastState", lastState, &out)
            o.string("name", name, &out)
            o.bool("ready", ready, &out)
            o.int("restartCount", restartCount, &out)
            o.bool("started", started, &out)
            o.object("state", state, &out)
        }
    }
}

extension ContainerState: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.object("running", running, &out)
            o.object("terminated", terminated, &out)
            o.object("waiting", waiting, &out)
        }
    }
}

extension ContainerState.Waiting: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("message", message, &out)
            o.string("reason", reason, &out)
        }
    }
}

extension ContainerState.Running: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.time("startedAt", startedAt, &out)
        }
    }
}

extension ContainerState.Terminated: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.int("exitCode", exitCode, &out)
            o.time("finishedAt", finishedAt, &out)
            o.string("message", message, &out)
            o.string("reason", reason, &out)
            o.time("startedAt", startedAt, &out)
        }
    }
}

extension BroadcastJobStatus: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.int("active", active, &out)
            o.time("completionTime", completionTime, &out)
            o.array("conditions", conditions, &out)
            o.int("desired", desired, &out)
            o.int("failed", failed, &out)
            o.string("phase", phase, &out)
            o.time("startTime", startTime, &out)
            o.int("succeeded", succeeded, &out)
        }
    }
}

extension JobCondition: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.time("lastProbeTime", lastProbeTime, &out)
            o.time("lastTransitionTime", lastTransitionTime, &out)
            o.string("message", message, &out)
            o.string("reason", reason, &out)
            o.string("status", status, &out)
            o.string("type", type, &out)
        }
    }
}

extension ObjectMeta: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.strings("annotations", annotations, &out)
            o.time("creationTimestamp", creationTimestamp, &out)
            o.int("deletionGracePeriodSeconds", deletionGracePeriodSeconds, &out)
            o.time("deletionTimestamp", deletionTimestamp, &out)
            o.strings("finalizers", finalizers, &out)
            o.string("generateName", generateName, &out)
            o.int("generation", generation, &out)
            o.strings("labels", labels, &out)
            o.string("name", name, &out)
            o.string("namespace", namespace, &out)
            o.array("ownerReferences", ownerReferences, &out)
            o.string("resourceVersion", resourceVersion, &out)
            o.string("uid", uid, &out)
        }
    }
}

extension OwnerReference: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("apiVersion", apiVersion, &out)
            o.bool("blockOwnerDeletion", blockOwnerDeletion, &out)
            o.bool("controller", controller, &out)
            o.string("kind", kind, &out)
            o.string("name", name, &out)
            o.string("uid", uid, &out)
        }
    }
}

extension NodeStatus: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.resources("allocatable", allocatable, &out)
            o.resources("capacity", capacity, &out)
            o.array("conditions", conditions, &out)
            o.array("images", images, &out)
            o.string("phase", phase, &out)
        }
    }
}

extension ContainerImage: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.strings("names", names, &out)
            o.int("sizeBytes", sizeBytes, &out)
        }
    }
}

extension CompactJSONObject {
    /// A value kept as raw JSON (`JSONValue`), through its `Encodable` conformance.
    mutating func json(_ k: StaticString, _ v: JSONValue?, _ out: inout [UInt8]) {
        guard let v else { return }
        keyed(k, &out)
        out.append(contentsOf: ((try? CompactJSON.encoded(v)) ?? "null").utf8)
    }
}

extension PodSpec: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.int("activeDeadlineSeconds", activeDeadlineSeconds, &out)
            o.object("affinity", affinity, &out)
            o.array("containers", containers, &out)
            o.string("dnsPolicy", dnsPolicy, &out)
            o.bool("hostNetwork", hostNetwork, &out)
            o.bool("hostPID", hostPID, &out)
            o.array("initContainers", initContainers, &out)
            o.string("nodeName", nodeName, &out)
            o.strings("nodeSelector", nodeSelector, &out)
            o.resources("overhead", overhead, &out)
            o.int("priority", priority, &out)
            o.string("priorityClassName", priorityClassName, &out)
            o.string("restartPolicy", restartPolicy, &out)
            o.string("schedulerName", schedulerName, &out)
            o.json("securityContext", securityContext, &out)
            o.string("serviceAccountName", serviceAccountName, &out)
            o.int("terminationGracePeriodSeconds", terminationGracePeriodSeconds, &out)
            o.array("tolerations", tolerations, &out)
            o.array("volumes", volumes, &out)
        }
    }
}

extension Container: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.strings("args", args, &out)
            o.strings("command", command, &out)
            o.array("env", env, &out)
            o.string("image", image, &out)
            o.string("imagePullPolicy", imagePullPolicy, &out)
            o.string("name", name, &out)
            o.object("resources", resources, &out)
            o.string("restartPolicy", restartPolicy, &out)
            o.string("terminationMessagePath", terminationMessagePath, &out)
            o.string("terminationMessagePolicy", terminationMessagePolicy, &out)
            o.array("volumeMounts", volumeMounts, &out)
        }
    }
}

extension EnvVar: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("name", name, &out)
            o.string("value", value, &out)
            o.json("valueFrom", valueFrom, &out)
        }
    }
}

extension ResourceRequirements: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.resources("limits", limits, &out)
            o.resources("requests", requests, &out)
        }
    }
}

extension VolumeMount: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("mountPath", mountPath, &out)
            o.string("name", name, &out)
            o.bool("readOnly", readOnly, &out)
            o.string("subPath", subPath, &out)
        }
    }
}

extension Volume: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.json("configMap", configMap, &out)
            o.json("emptyDir", emptyDir, &out)
            o.object("hostPath", hostPath, &out)
            o.string("name", name, &out)
            o.json("secret", secret, &out)
        }
    }
}

extension Volume.HostPathVolumeSource: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("path", path, &out)
            o.string("type", type, &out)
        }
    }
}

extension Toleration: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("effect", effect, &out)
            o.string("key", key, &out)
            o.string("operator", self.operator, &out)
            o.int("tolerationSeconds", tolerationSeconds, &out)
            o.string("value", value, &out)
        }
    }
}

extension Affinity: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.object("nodeAffinity", nodeAffinity, &out)
            o.json("podAffinity", podAffinity, &out)
            o.json("podAntiAffinity", podAntiAffinity, &out)
        }
    }
}

extension NodeAffinity: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.array("preferredDuringSchedulingIgnoredDuringExecution", preferredDuringSchedulingIgnoredDuringExecution, &out)
            o.object("requiredDuringSchedulingIgnoredDuringExecution", requiredDuringSchedulingIgnoredDuringExecution, &out)
        }
    }
}

extension NodeSelector: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.array("nodeSelectorTerms", nodeSelectorTerms, &out)
        }
    }
}

extension NodeSelectorTerm: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.array("matchExpressions", matchExpressions, &out)
            o.array("matchFields", matchFields, &out)
        }
    }
}

extension NodeSelectorRequirement: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("key", key, &out)
            o.string("operator", self.operator, &out)
            o.strings("values", values, &out)
        }
    }
}

extension PreferredSchedulingTerm: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.object("preference", preference, &out)
            o.int("weight", weight, &out)
        }
    }
}

// Whole pods and nodes: the trace writes each one whole when it is created.

extension Pod: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.whole(apiVersion, kind, metadata, spec, status, unknownFields, &out)
    }
}

extension Node: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.whole(apiVersion, kind, metadata, spec, status, unknownFields, &out)
    }
}

extension CompactJSONObject {
    /// A whole object: its members in the order their keys sort.
    static func whole<S: CompactJSONWritable, T: CompactJSONWritable>(
        _ apiVersion: String?, _ kind: String?, _ metadata: ObjectMeta, _ spec: S?, _ status: T?, _ unknownFields: JSONValue?,
        _ out: inout [UInt8]
    ) {
        write(to: &out) { o, out in
            o.string("apiVersion", apiVersion, &out)
            o.string("kind", kind, &out)
            o.object("metadata", metadata, &out)
            o.object("spec", spec, &out)
            o.object("status", status, &out)
            o.json("unknownFields", unknownFields, &out)
        }
    }
}

extension NodeSpec: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("podCIDR", podCIDR, &out)
            o.string("providerID", providerID, &out)
            o.array("taints", taints, &out)
            o.bool("unschedulable", unschedulable, &out)
        }
    }
}

extension Taint: CompactJSONWritable {
    func writeCompactJSON(to out: inout [UInt8]) {
        CompactJSONObject.write(to: &out) { o, out in
            o.string("effect", effect, &out)
            o.string("key", key, &out)
            o.time("timeAdded", timeAdded, &out)
            o.string("value", value, &out)
        }
    }
}
