import Foundation

/// A Kubernetes API error: an HTTP code, a `metav1.StatusReason` and a message.
public struct APIError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case notFound = "NotFound"
        case alreadyExists = "AlreadyExists"
        case conflict = "Conflict"
        case invalid = "Invalid"
        case badRequest = "BadRequest"
        case timeout = "Timeout"
        case internalError = "InternalError"
        case serviceUnavailable = "ServiceUnavailable"
        case tooManyRequests = "TooManyRequests"
        case forbidden = "Forbidden"
        /// `StatusReasonUnknown` (""): e.g. a validating webhook's denial that names no reason.
        case unknown = ""
    }
    public var code: Int
    public var reason: Reason
    public var message: String
    /// The field errors behind an Invalid error (a Status body's `details.causes`); empty otherwise.
    public var causes: [FieldError] = []
    public init(code: Int, reason: Reason, message: String, causes: [FieldError] = []) {
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes
    }
    public var description: String { message }

    public static func notFound(_ resource: String, _ name: String) -> APIError {
        APIError(code: 404, reason: .notFound, message: "\(resource) \"\(name)\" not found")
    }
    public static func alreadyExists(_ resource: String, _ name: String) -> APIError {
        APIError(code: 409, reason: .alreadyExists, message: "\(resource) \"\(name)\" already exists")
    }
    public static func conflict(_ resource: String, _ name: String) -> APIError {
        APIError(code: 409, reason: .conflict, message: "Operation cannot be fulfilled on \(resource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again")
    }
    public static func invalid(kind: String, name: String, causes: [FieldError]) -> APIError {
        let list = causes.map { $0.description }
        let body = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: .invalid, message: "\(kind).\(kindGroupSuffix(kind)) \"\(name)\" is invalid: \(body)", causes: causes)
    }
    static func kindGroupSuffix(_ kind: String) -> String {
        switch kind {
        case "BroadcastJob", "AdvancedCronJob": return "apps.kruise.io"
        case "Job": return "batch"
        default: return ""
        }
    }

    public var isNotFound: Bool { reason == .notFound }
    public var isConflict: Bool { reason == .conflict }
    public var isAlreadyExists: Bool { reason == .alreadyExists }
    public var isTimeout: Bool { reason == .timeout }
}

/// A validation error at a field path (`field.Error`), rendered as Kubernetes does:
/// `spec.template.spec.restartPolicy: Invalid value: "Always": pod restartPolicy can only be Never or OnFailure`.
public struct FieldError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum ErrorType: String, Sendable {
        case invalid = "Invalid value"
        case required = "Required value"
        case forbidden = "Forbidden"
        case notSupported = "Unsupported value"
        case duplicate = "Duplicate value"
        case tooLong = "Too long"
    }
    public var type: ErrorType
    public var field: String
    public var badValue: String?
    public var detail: String
    public init(_ type: ErrorType, field: String, value: String? = nil, _ detail: String) {
        self.type = type
        self.field = field
        self.badValue = value
        self.detail = detail
    }
    public var description: String {
        var s = "\(field): \(type.rawValue)"
        if let v = badValue { s += ": \(v)" }
        if !detail.isEmpty { s += ": \(detail)" }
        return s
    }
}

/// How controllers write to (and, when they must bypass their cache, read from) the API server.
///
/// Reads normally come from an ``InformerCache``; `get` here is a live read, used by retries.
/// Every call may fail with an ``APIError``. Calls are `async`: a call returns when the server
/// has applied it (a real client waits for the response; a simulated one for the virtual
/// instant its write takes effect).
public protocol Client: AnyObject {
    func get<T: Resource>(_ type: T.Type, namespace: String, name: String) async throws(APIError) -> T
    /// Creates the object; the returned value carries the server-set name (from generateName), uid and resourceVersion.
    func create<T: Resource>(_ object: T) async throws(APIError) -> T
    /// Replaces spec and metadata (not status); fails with Conflict on a stale resourceVersion.
    func update<T: Resource>(_ object: T) async throws(APIError) -> T
    /// Replaces status only; fails with Conflict on a stale resourceVersion.
    func updateStatus<T: Resource>(_ object: T) async throws(APIError) -> T
    /// Deletes the object (background propagation); `uid` is an optional precondition.
    func delete<T: Resource>(_ type: T.Type, namespace: String, name: String, uid: String?) async throws(APIError)
    /// Binds a pod to a node (the `pods/binding` subresource): sets `spec.nodeName` once.
    func bind(namespace: String, name: String, uid: String?, nodeName: String) async throws(APIError)
}

/// What one attempt of ``Client/retryOnConflict(_:attempts:_:)`` did.
public enum ConflictRetryStep<R> {
    /// Written; retrying stops with this result.
    case written(R)
    /// Nothing needs writing (any more); retrying stops and returns nil.
    case skip
    /// Stop retrying: the conflict that led to this attempt stands and is thrown
    /// (on the first attempt, when there was none yet, nil is returned).
    case abandon
}

extension Client {
    /// client-go `retry.RetryOnConflict` with a re-read: `attempt` runs on `current`, then after
    /// each Conflict on a fresh live read of the same object, up to `attempts` tries in all. Any
    /// other error, from a write or a re-read, is thrown at once; so is the last conflict.
    /// `isRetry` tells an attempt whether `base` is the re-read (a computed status may then need
    /// merging rather than overwriting).
    public func retryOnConflict<T: Resource, R>(_ current: T, attempts: Int = 5,
                                                _ attempt: (_ base: T, _ isRetry: Bool) async throws(APIError) -> ConflictRetryStep<R>) async throws(APIError) -> R? {
        var base = current
        var lastConflict: APIError?
        for tryNumber in 1...max(1, attempts) {
            let step: ConflictRetryStep<R>
            do {
                step = try await attempt(base, tryNumber > 1)
            } catch {
                guard error.isConflict, tryNumber < attempts else { throw error }
                lastConflict = error
                base = try await get(T.self, namespace: current.namespace, name: current.name)
                continue
            }
            switch step {
            case .written(let r): return r
            case .skip: return nil
            case .abandon:
                if let lastConflict { throw lastConflict }
                return nil
            }
        }
        return nil
    }

    /// Deletes an object of a kind known only at run time.
    public func delete(kind: KnownKind, namespace: String, name: String, uid: String?) async throws(APIError) {
        switch kind {
        case .node: try await delete(Node.self, namespace: namespace, name: name, uid: uid)
        case .pod: try await delete(Pod.self, namespace: namespace, name: name, uid: uid)
        case .job: try await delete(Job.self, namespace: namespace, name: name, uid: uid)
        case .broadcastJob: try await delete(BroadcastJob.self, namespace: namespace, name: name, uid: uid)
        case .advancedCronJob: try await delete(AdvancedCronJob.self, namespace: namespace, name: name, uid: uid)
        case .event: try await delete(Event.self, namespace: namespace, name: name, uid: uid)
        }
    }

    /// A live read of an object of a kind known only at run time.
    public func getObject(kind: KnownKind, namespace: String, name: String) async throws(APIError) -> APIObject {
        switch kind {
        case .node: return try await get(Node.self, namespace: namespace, name: name).wrapped
        case .pod: return try await get(Pod.self, namespace: namespace, name: name).wrapped
        case .job: return try await get(Job.self, namespace: namespace, name: name).wrapped
        case .broadcastJob: return try await get(BroadcastJob.self, namespace: namespace, name: name).wrapped
        case .advancedCronJob: return try await get(AdvancedCronJob.self, namespace: namespace, name: name).wrapped
        case .event: return try await get(Event.self, namespace: namespace, name: name).wrapped
        }
    }
}

/// The time as controllers see it. The simulator injects virtual time; nothing in Engine reads the wall clock.
public protocol Clock: AnyObject {
    var now: Timestamp { get }
}

/// Records Kubernetes events (`record.EventRecorder`).
public protocol EventRecorder: AnyObject {
    func event(_ object: ObjectReference, type: String, reason: String, message: String)
}

extension EventRecorder {
    public func normal<T: KubeObject>(_ object: T, _ reason: String, _ message: String) {
        event(object.objectReference, type: "Normal", reason: reason, message: message)
    }
    public func warning<T: KubeObject>(_ object: T, _ reason: String, _ message: String) {
        event(object.objectReference, type: "Warning", reason: reason, message: message)
    }
}

/// What a reconcile asks of its queue: nothing (forget the key), or come back after a delay.
/// A thrown error means a rate-limited retry, and `requeueAfter` is then ignored (as in controller-runtime).
public struct ReconcileResult: Equatable, Sendable {
    public var requeueAfter: Double?
    public init(requeueAfter: Double? = nil) {
        self.requeueAfter = (requeueAfter ?? 0) > 0 ? requeueAfter : nil
    }
    public static let done = ReconcileResult()
}

/// A level-based controller: `reconcile` reads the world for one key and moves it toward the spec.
public protocol Reconciler: AnyObject {
    /// The controller name, e.g. `broadcastjob-controller`.
    var name: String { get }
    func reconcile(_ key: String) async throws -> ReconcileResult
}

/// A value that may cross into a child task although its type is not `Sendable`. Controllers
/// run their tasks on one executor that runs one job at a time on one thread (the simulator's
/// kernel, or one a real deployment chooses), so nothing is touched from two threads at once.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}

/// Runs `body` on every element concurrently, one child task each (upstream's goroutines and
/// `wg.Wait()`), and returns the results in element order.
///
/// The child tasks run on the caller's task executor (the simulator's kernel, which interleaves
/// them at their suspension points). A caller without one (a unit test calling a reconcile
/// directly) gets the elements one after another instead: on the global concurrent executor the
/// children would touch the controller's state from several threads at once.
public func concurrentMap<Element, Result>(_ elements: [Element], _ body: @escaping (Element) async -> Result) async -> [Result] {
    if elements.count == 1 { return [await body(elements[0])] }
    if withUnsafeCurrentTask(body: { $0?.unownedTaskExecutor == nil }) {
        var out: [Result] = []
        out.reserveCapacity(elements.count)
        for e in elements { out.append(await body(e)) }
        return out
    }
    let work = UncheckedSendable(body)
    return await withTaskGroup(of: UncheckedSendable<(Int, Result)>.self) { group in
        for (i, e) in elements.enumerated() {
            let item = UncheckedSendable(e)
            group.addTask { UncheckedSendable((i, await work.value(item.value))) }
        }
        var out = [Result?](repeating: nil, count: elements.count)
        for await r in group { out[r.value.0] = r.value.1 }
        return out.map { $0! }
    }
}
