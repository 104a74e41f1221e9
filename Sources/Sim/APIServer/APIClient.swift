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

/// The Engine's `Client` for one component of the simulated control plane.
///
/// Each call waits for a token from the component's bucket (if it has one), then takes
/// `latency`; at that instant the server applies it, and only then does anyone see it: the
/// store, watches, checks, the trace, and the caller, whose task resumes with the result.
/// Faults (from the shared settings) are drawn when a write is applied.
public final class SimClient: Client {
    let server: APIServer
    let actor: Actor
    let bucket: TokenBucket?
    let latency: () -> Double
    let faults: () -> FaultSettings
    let rng: RandomStreams
    public private(set) var calls: Int = 0
    /// The process these calls are counted for (`APIServer.callTally`, a bench figure).
    var component: ClientComponent
    /// Fire-and-forget writes (the kubelet's) are applied in the order they were sent.
    private var lastSend: Timestamp
    /// When the process that owns this client stopped (a controller-manager crash): requests
    /// already sent still reach the server; those still waiting for a token, and any made
    /// later, fail and are never applied.
    private(set) var killedAt: Timestamp?
    var killed: Bool { killedAt != nil }
    func kill() { killedAt = server.kernel.now }

    init(server: APIServer, actor: Actor, bucket: TokenBucket?, latency: @escaping () -> Double, faults: @escaping () -> FaultSettings, rng: RandomStreams) {
        self.server = server
        self.actor = actor
        self.bucket = bucket
        self.latency = latency
        self.faults = faults
        self.rng = rng
        self.lastSend = server.kernel.now
        self.component = ClientComponent(actor)
    }

    /// A call made now: when it gets its token (is sent) and when it takes effect (after the latency).
    private func charge() -> (sent: Timestamp, applied: Timestamp) {
        calls += 1
        server.callTally?.count(component)
        let now = server.kernel.now
        let go = bucket?.reserve(at: now) ?? now
        return (go, go.adding(seconds: latency()))
    }

    /// Runs `apply` at the call's instant and resumes the caller then. A request the server
    /// throttles (`faults.throttleRate`: 429 with `Retry-After`) is sent again after that wait and
    /// a new token, as client-go's `rest.Request` does, up to ``maxThrottleRetries`` times; then
    /// the caller gets the 429.
    ///
    /// Not generic over the result: the typed calls below unwrap the object (a generic `call`
    /// looked up the metadata of its `Result` and continuation types at run time, five lookups
    /// a call, none of them cached at the call site).
    private func call(_ kind: KnownKind, _ name: String, _ apply: @escaping () throws(APIError) -> APIObject?) async throws(APIError) -> APIObject? {
        if killed { throw Self.stopped }
        let (go, t) = charge()
        let kernel = server.kernel
        let reconcile = ReconcileContext.id
        let result: UncheckedSendable<Result<APIObject?, APIError>> = await withUnsafeContinuation { c in
            var retries = 0
            func attempt(sent: Timestamp) -> () -> Void {
                { [self] in
                    if let k = self.killedAt, sent > k { return c.resume(returning: UncheckedSendable(.failure(Self.stopped))) }
                    let f = faults()
                    if let rate = f.throttleRate, rate > 0, rng.unit("faults.throttle") < rate {
                        let wait = (f.retryAfter ?? FaultSettings.defaultRetryAfter).draw(rng, "faults.throttle")
                        let e = APIError(code: 429, reason: .tooManyRequests,
                                         message: "Too many requests, please try again later. (injected fault: throttleRate \(rate), Retry-After \(formatSeconds(wait)))")
                        server.activeReconcile = reconcile
                        server.writeFailed(actor, "injected", kind, nil, name, e)
                        server.activeReconcile = nil
                        if retries < Self.maxThrottleRetries {
                            retries += 1
                            // After the wait the request takes a token again (client-go's tryThrottle), at that instant.
                            kernel.schedule(after: wait) { [self] in
                                let again = bucket?.reserve(at: kernel.now) ?? kernel.now
                                kernel.schedule(at: again.adding(seconds: latency()), attempt(sent: again))
                            }
                            return
                        }
                        return c.resume(returning: UncheckedSendable(.failure(e)))
                    }
                    server.activeReconcile = reconcile
                    let r = Result { () throws(APIError) in try apply() }
                    server.activeReconcile = nil
                    c.resume(returning: UncheckedSendable(r))
                }
            }
            kernel.schedule(at: t, attempt(sent: go))
        }
        return try result.value.get()
    }

    /// client-go's `rest.Request` default `maxRetries`.
    static let maxThrottleRetries = 10

    static let stopped = APIError(code: 503, reason: .serviceUnavailable, message: "the client's process stopped before the request was sent")

    /// A write whose caller does not wait (a kubelet's): applied at its instant, after every
    /// write this client sent before; `done` gets the error, if any, then.
    func send(_ apply: @escaping () throws(APIError) -> Void, done: @escaping (APIError?) -> Void = { _ in }) {
        let t = max(charge().applied, lastSend)
        lastSend = t
        server.kernel.schedule(at: t) {
            do throws(APIError) { try apply(); done(nil) } catch { done(error) }
        }
    }

    private func injectFault(update: Bool, name: String, resource: String) throws(APIError) {
        let f = faults()
        if let rate = f.errorRate, rate > 0, rng.unit("faults") < rate {
            throw reported(APIError(code: 500, reason: .internalError, message: "Internal error occurred: injected fault (errorRate \(rate))"), name, resource)
        }
        if update, let rate = f.conflictRate, rate > 0, rng.unit("faults") < rate {
            throw reported(.conflict(resource, name), name, resource)
        }
    }

    /// An injected fault, told to the server's observers of refused writes (the trace) first.
    private func reported(_ e: APIError, _ name: String, _ resource: String) -> APIError {
        let kind = KnownKind.allCases.first { $0.rawValue.lowercased() + "s" == resource } ?? .pod
        server.writeFailed(actor, "injected", kind, nil, name, e)
        return e
    }

    public func get<T: Resource>(_ type: T.Type, namespace: String, name: String) async throws(APIError) -> T {
        T.unwrap(try await call(T.knownKind, name) { [server] () throws(APIError) in
            guard let o = server.get(T.knownKind, namespace, name), T.unwrap(o) != nil else {
                throw .notFound(T.kind.lowercased() + "s", name)
            }
            return o
        }!)!
    }

    public func create<T: Resource>(_ object: T) async throws(APIError) -> T {
        T.unwrap(try await call(T.knownKind, object.name) { () throws(APIError) in
            try self.injectFault(update: false, name: object.name, resource: T.kind.lowercased() + "s")
            return try self.server.create(object.wrapped, actor: self.actor)
        }!)!
    }

    public func update<T: Resource>(_ object: T) async throws(APIError) -> T {
        T.unwrap(try await call(T.knownKind, object.name) { () throws(APIError) in
            try self.injectFault(update: true, name: object.name, resource: T.kind.lowercased() + "s")
            return try self.server.update(object.wrapped, subresource: .main, actor: self.actor)
        }!)!
    }

    public func updateStatus<T: Resource>(_ object: T) async throws(APIError) -> T {
        T.unwrap(try await call(T.knownKind, object.name) { () throws(APIError) in
            try self.injectFault(update: true, name: object.name, resource: T.kind.lowercased() + "s")
            return try self.server.update(object.wrapped, subresource: .status, actor: self.actor)
        }!)!
    }

    public func delete<T: Resource>(_ type: T.Type, namespace: String, name: String, uid: String?) async throws(APIError) {
        _ = try await call(T.knownKind, name) { () throws(APIError) in
            try self.injectFault(update: false, name: name, resource: T.kind.lowercased() + "s")
            try self.server.delete(T.knownKind, namespace: namespace, name: name, uid: uid, actor: self.actor)
            return nil
        }
    }

    public func bind(namespace: String, name: String, uid: String?, nodeName: String) async throws(APIError) {
        _ = try await call(.pod, name) { () throws(APIError) in
            try self.injectFault(update: false, name: name, resource: "pods")
            try self.server.bind(namespace: namespace, name: name, uid: uid, nodeName: nodeName, actor: self.actor)
            return nil
        }
    }

    /// Kubelet-style status patch: no resourceVersion precondition (status manager patches).
    func patchStatus(_ object: APIObject, done: @escaping (APIError?) -> Void = { _ in }) {
        send({ () throws(APIError) in
            try self.injectFault(update: true, name: object.metadata.name ?? "", resource: object.kind.rawValue.lowercased() + "s")
            try self.server.update(object, subresource: .status, actor: self.actor, ignoreResourceVersion: true)
        }, done: done)
    }

    /// Kubelet's final delete of a pod it has stopped.
    func confirmPodDeletion(namespace: String, name: String, uid: String?, done: @escaping (APIError?) -> Void) {
        send({ () throws(APIError) in
            try self.injectFault(update: false, name: name, resource: "pods")
            try self.server.delete(.pod, namespace: namespace, name: name, uid: uid, actor: self.actor, force: true)
        }, done: done)
    }
}
