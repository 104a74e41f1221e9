import Foundation
import Engine

/// A client-side token bucket (client-go `flowcontrol`): `qps` tokens a second, up to `burst`.
/// Reservations are made in virtual time and may lie in the future.
public final class TokenBucket {
    public let qps: Double
    public let burst: Double
    private var tokens: Double
    private var last: Timestamp
    public init(qps: Double, burst: Double, start: Timestamp) {
        self.qps = qps
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.last = start
    }
    /// The instant (≥ `t`) at which a call asked for at `t` may go.
    public func reserve(at t: Timestamp) -> Timestamp {
        guard qps > 0, qps.isFinite else { return t }
        let at = max(t, last)
        tokens = min(burst, tokens + at.seconds(since: last) * qps)
        last = at
        if tokens >= 1 {
            tokens -= 1
            return at
        }
        let wait = (1 - tokens) / qps
        tokens = 0
        last = at.adding(seconds: wait)
        return last
    }
}

/// Fault injection for component writes (`settings.faults`).
public struct FaultSettings: Sendable, Equatable {
    public var errorRate: Double = 0
    public var conflictRate: Double = 0
    public var watchDelay: DurationSpec?
    public init(errorRate: Double = 0, conflictRate: Double = 0, watchDelay: DurationSpec? = nil) {
        self.errorRate = errorRate
        self.conflictRate = conflictRate
        self.watchDelay = watchDelay
    }
}

/// The Engine's `Client` for one component of the simulated control plane.
///
/// Each call is charged: it waits for a token (if the component has a bucket), then takes
/// `latency`; its effect is timed at that instant. `cursor` walks forward through one
/// reconcile's calls, so the host knows when the worker is free again. Faults (from the
/// shared settings) hit writes.
public final class SimClient: Client {
    let server: APIServer
    let actor: Actor
    let bucket: TokenBucket?
    let latency: () -> Double
    let faults: () -> FaultSettings
    let rng: RandomStreams
    /// The virtual instant the current sequence of calls has reached.
    public var cursor: Timestamp
    public private(set) var calls: Int = 0

    init(server: APIServer, actor: Actor, bucket: TokenBucket?, latency: @escaping () -> Double, faults: @escaping () -> FaultSettings, rng: RandomStreams) {
        self.server = server
        self.actor = actor
        self.bucket = bucket
        self.latency = latency
        self.faults = faults
        self.rng = rng
        self.cursor = server.kernel.now
    }

    /// Starts a new sequence of calls now (a reconcile begins).
    func begin() { cursor = max(cursor, server.kernel.now) }

    private func charge() -> Timestamp {
        calls += 1
        let go = bucket?.reserve(at: cursor) ?? cursor
        cursor = go.adding(seconds: latency())
        return cursor
    }

    private func injectFault(update: Bool, name: String, resource: String) throws(APIError) {
        let f = faults()
        if f.errorRate > 0, rng.unit("faults") < f.errorRate {
            throw APIError(code: 500, reason: .internalError, message: "Internal error occurred: injected fault (errorRate \(f.errorRate))")
        }
        if update, f.conflictRate > 0, rng.unit("faults") < f.conflictRate {
            throw .conflict(resource, name)
        }
    }

    public func get<T: Resource>(_ type: T.Type, namespace: String, name: String) throws(APIError) -> T {
        _ = charge()
        guard let o = server.get(T.knownKind, namespace, name), let t = T.unwrap(o) else {
            throw .notFound(T.kind.lowercased() + "s", name)
        }
        return t
    }

    public func create<T: Resource>(_ object: T) throws(APIError) -> T {
        let t = charge()
        try injectFault(update: false, name: object.name, resource: T.kind.lowercased() + "s")
        let o = try server.create(object.wrapped, at: t, actor: actor)
        return T.unwrap(o)!
    }

    public func update<T: Resource>(_ object: T) throws(APIError) -> T {
        let t = charge()
        try injectFault(update: true, name: object.name, resource: T.kind.lowercased() + "s")
        return T.unwrap(try server.update(object.wrapped, subresource: .main, at: t, actor: actor))!
    }

    public func updateStatus<T: Resource>(_ object: T) throws(APIError) -> T {
        let t = charge()
        try injectFault(update: true, name: object.name, resource: T.kind.lowercased() + "s")
        return T.unwrap(try server.update(object.wrapped, subresource: .status, at: t, actor: actor))!
    }

    public func delete<T: Resource>(_ type: T.Type, namespace: String, name: String, uid: String?) throws(APIError) {
        let t = charge()
        try injectFault(update: false, name: name, resource: T.kind.lowercased() + "s")
        try server.delete(T.knownKind, namespace: namespace, name: name, uid: uid, at: t, actor: actor)
    }

    public func bind(namespace: String, name: String, uid: String?, nodeName: String) throws(APIError) {
        let t = charge()
        try injectFault(update: false, name: name, resource: "pods")
        try server.bind(namespace: namespace, name: name, uid: uid, nodeName: nodeName, at: t, actor: actor)
    }

    /// Kubelet-style status patch: no resourceVersion precondition (status manager patches).
    func patchStatus(_ object: APIObject) throws(APIError) {
        let t = charge()
        try injectFault(update: true, name: object.metadata.name ?? "", resource: object.kind.rawValue.lowercased() + "s")
        try server.update(object, subresource: .status, at: t, actor: actor, ignoreResourceVersion: true)
    }

    /// Kubelet's final delete of a pod it has stopped.
    func confirmPodDeletion(namespace: String, name: String, uid: String?) throws(APIError) {
        let t = charge()
        try injectFault(update: false, name: name, resource: "pods")
        try server.delete(.pod, namespace: namespace, name: name, uid: uid, at: t, actor: actor, force: true)
    }
}
