import Foundation

/// A value that writes its own compact JSON: the bytes ``CompactJSON/text(_:)`` gives through its
/// `Encodable` conformance (keys sorted, `nil` fields left out, times as RFC 3339 strings), without
/// the encoder's containers. For what the trace writes on most writes: every object's metadata, a
/// pod's, a node's and a BroadcastJob's status (alone, or inside a whole object). `ManifestTextTests` checks
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

    private mutating func key(_ k: StaticString, _ out: inout [UInt8]) {
        if members > 0 { out.append(UInt8(ascii: ",")) }
        members += 1
        out.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ k: StaticString, _ v: String?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        CompactJSON.writeString(v, to: &out)
    }
    mutating func int(_ k: StaticString, _ v: Int32?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: String(v).utf8)
    }
    mutating func int(_ k: StaticString, _ v: Int64?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: String(v).utf8)
    }
    /// A `[String: String]`, its keys sorted (as the encoder sorts a dictionary's).
    mutating func strings(_ k: StaticString, _ v: [String: String]?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(UInt8(ascii: "{"))
        for (i, name) in v.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CompactJSON.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            CompactJSON.writeString(v[name]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
    /// A `ResourceList`, its names sorted, each quantity as its text.
    mutating func resources(_ k: StaticString, _ v: ResourceList?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(UInt8(ascii: "{"))
        for (i, name) in v.keys.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CompactJSON.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            CompactJSON.writeString(v[name]!.text, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
    mutating func strings(_ k: StaticString, _ v: [String]?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(UInt8(ascii: "["))
        for (i, e) in v.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            CompactJSON.writeString(e, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
    mutating func bool(_ k: StaticString, _ v: Bool?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(contentsOf: (v ? "true" : "false").utf8)
    }
    mutating func time(_ k: StaticString, _ v: Timestamp?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        CompactJSON.writeString(v.rfc3339, to: &out)
    }
    mutating func object<T: CompactJSONWritable>(_ k: StaticString, _ v: T?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        v.writeCompactJSON(to: &out)
    }
    mutating func array<T: CompactJSONWritable>(_ k: StaticString, _ v: [T]?, _ out: inout [UInt8]) {
        guard let v else { return }
        key(k, &out)
        out.append(UInt8(ascii: "["))
        for (i, e) in v.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            e.writeCompactJSON(to: &out)
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
