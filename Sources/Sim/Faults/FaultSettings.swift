import Foundation
import Engine

/// A size or a uniform range of sizes (`5Gi..20Gi`), in bytes.
public struct SizeSpec: Hashable, Sendable, CustomStringConvertible {
    public var low: Int64
    public var high: Int64
    public init(_ b: Int64) { low = b; high = b }
    public init(low: Int64, high: Int64) { self.low = low; self.high = high }
    public var description: String { high > low ? "\(formatBytes(low))..\(formatBytes(high))" : formatBytes(low) }
    func draw(_ rng: RandomStreams, _ purpose: String) -> Int64 {
        high > low ? low + Int64(Double(high - low) * rng.unit(purpose)) : low
    }
}

/// Injected faults (`settings.faults`, timeline `faults`, `--faults PROFILE`; docs/faults.md).
///
/// Every key is optional: a key left out is filled in by the fault profile layered under the
/// scenario (``FaultProfile``), and is otherwise off. Every draw comes from a seeded stream of its
/// own (`faults…`), so turning a fault on never shifts the draws of anything else.
public struct FaultSettings: Sendable, Equatable {
    /// Component writes that fail with 500 Internal Server Error.
    public var errorRate: Double?
    /// Component requests answered 429 Too Many Requests with a `Retry-After` of ``retryAfter``;
    /// the client waits that long and sends the request again (client-go's `rest` retry).
    public var throttleRate: Double?
    public var retryAfter: DurationSpec?
    /// Updates that fail with 409 Conflict.
    public var conflictRate: Double?
    /// Replaces `settings.watchDelay` while in force.
    public var watchDelay: DurationSpec?
    /// Mean interval between informer watch disconnects (each followed by a relist).
    public var watchDisconnectEvery: DurationSpec?
    /// Mean interval between controller-manager crashes, and how long the manager is down after each.
    public var controllerCrashEvery: DurationSpec?
    public var controllerDowntime: DurationSpec?
    /// Mean interval between kubelet stalls, and how long each lasts.
    public var kubeletStallEvery: DurationSpec?
    public var kubeletStallFor: DurationSpec?
    /// Mean interval between node losses (the kubelet unreachable, the node NotReady), and how long each lasts.
    public var nodeLossEvery: DurationSpec?
    public var nodeLossFor: DurationSpec?
    /// Mean interval between pod kills (a random running pod's containers exit 1).
    public var podKillEvery: DurationSpec?
    /// Mean interval between disk-fill bursts, their size, and when the burst is freed again (unset: never).
    public var diskFillEvery: DurationSpec?
    public var diskFillSize: SizeSpec?
    public var diskFillFor: DurationSpec?

    public init(errorRate: Double? = nil, conflictRate: Double? = nil, watchDelay: DurationSpec? = nil) {
        self.errorRate = errorRate
        self.conflictRate = conflictRate
        self.watchDelay = watchDelay
    }

    /// The keys of `settings.faults`, as the scenario file spells them.
    public static let keys = ["errorRate", "throttleRate", "retryAfter", "conflictRate", "watchDelay", "watchDisconnectEvery",
                              "controllerCrashEvery", "controllerDowntime", "kubeletStallEvery", "kubeletStallFor", "nodeLossEvery", "nodeLossFor",
                              "podKillEvery", "diskFillEvery", "diskFillSize", "diskFillFor"]

    /// What a stall, a node loss and a disk fill take when the settings name only how often they come.
    public static let defaultRetryAfter = DurationSpec(1)
    /// A crashed manager's replacement leads once the old leader lease expires (controller-runtime's
    /// `LeaseDuration` is 15 s), or sooner when the crashed process restarts and takes it back.
    public static let defaultControllerDowntime = DurationSpec(low: 1, high: 15)
    public static let defaultKubeletStallFor = DurationSpec(low: 10, high: 60)
    public static let defaultNodeLossFor = DurationSpec(low: 60, high: 300)
    public static let defaultDiskFillSize = SizeSpec(low: 5 << 30, high: 20 << 30)

    /// `self`, with each key it leaves out taken from `base`.
    public func layered(over base: FaultSettings) -> FaultSettings {
        var o = self
        o.errorRate = errorRate ?? base.errorRate
        o.throttleRate = throttleRate ?? base.throttleRate
        o.retryAfter = retryAfter ?? base.retryAfter
        o.conflictRate = conflictRate ?? base.conflictRate
        o.watchDelay = watchDelay ?? base.watchDelay
        o.watchDisconnectEvery = watchDisconnectEvery ?? base.watchDisconnectEvery
        o.controllerCrashEvery = controllerCrashEvery ?? base.controllerCrashEvery
        o.controllerDowntime = controllerDowntime ?? base.controllerDowntime
        o.kubeletStallEvery = kubeletStallEvery ?? base.kubeletStallEvery
        o.kubeletStallFor = kubeletStallFor ?? base.kubeletStallFor
        o.nodeLossEvery = nodeLossEvery ?? base.nodeLossEvery
        o.nodeLossFor = nodeLossFor ?? base.nodeLossFor
        o.podKillEvery = podKillEvery ?? base.podKillEvery
        o.diskFillEvery = diskFillEvery ?? base.diskFillEvery
        o.diskFillSize = diskFillSize ?? base.diskFillSize
        o.diskFillFor = diskFillFor ?? base.diskFillFor
        return o
    }

    /// The keys that are set, `key=value`, in the order of ``keys`` (the story's "faults now" line).
    public var summary: String {
        var parts: [String] = []
        func add(_ k: String, _ v: CustomStringConvertible?) { if let v { parts.append("\(k)=\(v)") } }
        add("errorRate", errorRate); add("throttleRate", throttleRate); add("retryAfter", retryAfter)
        add("conflictRate", conflictRate); add("watchDelay", watchDelay); add("watchDisconnectEvery", watchDisconnectEvery)
        add("controllerCrashEvery", controllerCrashEvery); add("controllerDowntime", controllerDowntime)
        add("kubeletStallEvery", kubeletStallEvery)
        add("kubeletStallFor", kubeletStallFor); add("nodeLossEvery", nodeLossEvery); add("nodeLossFor", nodeLossFor)
        add("podKillEvery", podKillEvery); add("diskFillEvery", diskFillEvery); add("diskFillSize", diskFillSize)
        add("diskFillFor", diskFillFor)
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}

extension FaultSettings {
    /// How much longer than the fault-free reaction bound a controller may take to react while
    /// these faults are in force (the timed invariants' R grows by this; docs/faults.md):
    /// three throttled attempts in a row (`3 × retryAfter`), a second of retries with back-off
    /// after 500s and conflicts, a dropped watch's reconnect and relist (`1.6s` + the watch
    /// delay), and a second for a crashed controller manager to relist and requeue (its downtime
    /// itself is added by the checks, as for any time the manager is down).
    func allowance(maxWatchDelay: Double) -> Double {
        var a = 0.0
        if (throttleRate ?? 0) > 0 { a += 3 * (retryAfter ?? Self.defaultRetryAfter).high }
        if (errorRate ?? 0) > 0 || (conflictRate ?? 0) > 0 { a += 1 }
        if watchDisconnectEvery != nil { a += 1.6 + maxWatchDelay }
        if controllerCrashEvery != nil { a += 1 }
        return a
    }
}

extension DurationSpec {
    /// The time until the next occurrence of a fault whose mean interval this is: a single
    /// duration is the mean of an exponential draw (a Poisson process), a range is drawn uniformly.
    func drawInterval(_ rng: RandomStreams, _ purpose: String) -> Double {
        if isRange { return draw(rng, purpose) }
        guard low > 0 else { return .infinity }
        let u = rng.unit(purpose)
        return -low * Foundation.log(1 - u)
    }
}
