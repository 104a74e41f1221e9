import Foundation
import Engine

/// Who made a write, for faults, charging and the trace.
public enum Actor: String, Sendable {
    case scenario, controllerManager = "controller-manager", scheduler, kubelet
    /// A client outside the simulation: `kruise-sim serve`'s HTTP clients (kubectl).
    case user
}

/// The fake API server: a store keyed by kind and namespace/name, with resourceVersions,
/// uid and generateName suffixes from the seeded generator, optimistic concurrency, admission
/// from the Engine, finalizers and graceful pod deletion, status as a separate subresource,
/// and watch fan-out to every registered watcher after its delay.
///
/// A write takes effect when it is called, at the kernel's current instant: clients call it at
/// the instant their request is applied (after their token bucket and API latency), so the
/// store, the change feed and watch delivery never see a write before it happens.
public final class APIServer {
    let kernel: Kernel
    let rng: RandomStreams
    public var admissionOptions = AdmissionOptions()
    /// One table per kind, at the kind's ``KnownKind/order``.
    private var store = [StringTable<APIObject>](repeating: StringTable(), count: KnownKind.allCases.count)
    public private(set) var resourceVersion: Int64 = 0
    private var watchers: [Watcher] = []
    /// Synchronous observers of every committed change (checks, trace, digest).
    var observers: [(_ change: Change) -> Void] = []
    /// Decides whether a running kubelet will confirm a pod's deletion (else the pod goes at once).
    var kubeletRunsPod: (Pod) -> Bool = { _ in false }
    /// When set, counts every client call by component (`kruise-sim bench`).
    var callTally: CallTally?

    public struct Change: Sendable {
        public var time: Timestamp
        public var actor: Actor
        public var verb: String
        public var type: WatchEventType
        public var old: APIObject?
        public var object: APIObject
        /// The traced reconcile whose client made this write (nil outside a traced reconcile).
        public var reconcile: Int64? = nil
    }

    /// A write the server (or a client's injected fault) refused: the trace's failed writes.
    public struct FailedWrite: Sendable {
        public var time: Timestamp
        public var actor: Actor
        public var verb: String
        public var kind: KnownKind
        public var namespace: String
        public var name: String
        public var error: APIError
        public var reconcile: Int64?
    }

    /// Observers of refused writes (the trace); nil costs nothing.
    var onFailedWrite: ((FailedWrite) -> Void)?
    /// The traced reconcile whose request is being applied now (set by `SimClient`).
    var activeReconcile: Int64?

    /// Tells the observers of a refused write (admission, conflict, not found, injected fault).
    func writeFailed(_ actor: Actor, _ verb: String, _ kind: KnownKind, _ namespace: String?, _ name: String?, _ error: APIError) {
        guard let f = onFailedWrite else { return }
        f(FailedWrite(time: kernel.now, actor: actor, verb: verb, kind: kind, namespace: kind.namespaced ? (namespace ?? "default") : "",
                      name: name ?? "", error: error, reconcile: activeReconcile))
    }

    /// A server with an empty store whose watch deliveries are events on `kernel` and whose
    /// uids and generated names come from `rng`. Public for the micro-benchmarks package
    /// (`Benchmarks/`), which drives a server without a whole simulation.
    public init(kernel: Kernel, rng: RandomStreams) {
        self.kernel = kernel
        self.rng = rng
    }

    // MARK: Watches

    /// A watch stream to one consumer. Deliveries never reorder within one watcher.
    /// Public (with its initializer and ``APIServer/addWatcher(_:)``) for the micro-benchmarks package.
    public final class Watcher {
        let name: String
        let kinds: Set<KnownKind>
        /// `kinds` as one bit per kind (``KnownKind/order``): tested on every write.
        private let kindBits: Int
        func watches(_ kind: KnownKind) -> Bool { kindBits & (1 << kind.order) != 0 }
        var delay: () -> Double
        var lastDelivery: Timestamp
        var active = true
        /// Deliveries scheduled and not yet made.
        var inFlight = 0
        let deliver: (WatchEventType, APIObject) -> Void
        /// An informer's relist after its watch dropped (``APIServer/disconnect(_:reconnectAfter:)``):
        /// gets every object of its kinds as the server holds them when the list is served. Nil for
        /// a watcher that is never disconnected.
        public var relist: (([APIObject]) -> Void)?
        /// False from a disconnect until the relist is served: changes meanwhile are not sent.
        public internal(set) var connected = true
        /// Bumped at each disconnect: deliveries of an earlier connection are dropped.
        var connection = 0
        /// When set (instead of `deliver`), each delivery also carries the object before the change.
        let deliverChange: ((WatchEventType, APIObject?, APIObject) -> Void)?
        /// A watcher of `kinds`: each change reaches `deliver` `delay()` seconds after the write's
        /// instant, never before an earlier delivery to the same watcher (nor before `start`).
        public convenience init(name: String, kinds: Set<KnownKind>, delay: @escaping () -> Double, start: Timestamp, deliver: @escaping (WatchEventType, APIObject) -> Void) {
            self.init(name: name, kinds: kinds, delay: delay, start: start, deliver: deliver, deliverChange: nil)
        }
        /// As above, each delivery with the object as it was before the change (nil for a create):
        /// a filtered watch tells an object entering or leaving its filter from one changing in it.
        public convenience init(name: String, kinds: Set<KnownKind>, delay: @escaping () -> Double, start: Timestamp,
                                deliverChange: @escaping (WatchEventType, APIObject?, APIObject) -> Void) {
            self.init(name: name, kinds: kinds, delay: delay, start: start, deliver: { _, _ in }, deliverChange: deliverChange)
        }
        private init(name: String, kinds: Set<KnownKind>, delay: @escaping () -> Double, start: Timestamp,
                     deliver: @escaping (WatchEventType, APIObject) -> Void, deliverChange: ((WatchEventType, APIObject?, APIObject) -> Void)?) {
            self.name = name
            self.kinds = kinds
            self.kindBits = kinds.reduce(0) { $0 | 1 << $1.order }
            self.delay = delay
            self.lastDelivery = start
            self.deliver = deliver
            self.deliverChange = deliverChange
        }
    }

    /// Registers a watcher: every later committed change of its kinds is delivered to it.
    public func addWatcher(_ w: Watcher) { watchers.append(w) }
    public func removeWatcher(_ w: Watcher) {
        w.active = false
        watchers.removeAll { $0 === w }
    }

    private func publish(_ change: Change) {
        var change = change
        change.reconcile = activeReconcile
        for o in observers { o(change) }
        // The watchers a change reaches at one instant get it in one kernel event, one after
        // another in registration order, each followed by the tasks it made runnable: the order
        // their own events had (consecutive, so nothing else can run between them), at one
        // closure and one queue entry per change instead of one per watcher.
        var due: [(watcher: Watcher, connection: Int)] = []
        due.reserveCapacity(watchers.count)  // one allocation, not one per watcher appended
        var dueAt = Timestamp.min
        for w in watchers where w.connected && w.watches(change.object.kind) {
            let t = max(w.lastDelivery, change.time.adding(seconds: w.delay()))
            w.lastDelivery = t
            w.inFlight += 1
            if t != dueAt, !due.isEmpty {
                deliver(change, to: due, at: dueAt)
                due = []
                due.reserveCapacity(watchers.count)
            }
            dueAt = t
            due.append((w, w.connection))
        }
        if !due.isEmpty { deliver(change, to: due, at: dueAt) }
    }

    private func deliver(_ change: Change, to due: [(watcher: Watcher, connection: Int)], at t: Timestamp) {
        let type = change.type, old = change.old, obj = change.object
        let executor = kernel.executor
        kernel.schedule(at: t) {
            for (i, (w, connection)) in due.enumerated() {
                if i > 0 { executor.drain() }
                guard w.active, w.connection == connection else { continue }
                w.inFlight -= 1
                if let d = w.deliverChange { d(type, old, obj) } else { w.deliver(type, obj) }
            }
        }
    }

    /// Watchers that can be disconnected (informers, which relist).
    var relistingWatchers: [Watcher] { watchers.filter { $0.relist != nil && $0.connected } }

    /// Drops a watch, as when its connection breaks or the server answers 410 Gone: what was in
    /// flight to it is lost, and changes are not sent until, `reconnectAfter` seconds later, the
    /// informer lists again (client-go's reflector) and gets the store as it is then, after the
    /// watch delay; the new watch starts from that list.
    func disconnect(_ w: Watcher, reconnectAfter gap: Double) {
        guard w.active, w.connected, w.relist != nil else { return }
        w.connected = false
        w.connection += 1
        w.inFlight = 1  // the relist to come
        kernel.schedule(after: gap) { [weak self, weak w] in
            guard let self, let w, w.active else { return }
            var objects: [APIObject] = []
            for kind in KnownKind.allCases where w.watches(kind) { objects += self.list(kind) }
            w.connected = true
            let t = self.kernel.now.adding(seconds: w.delay())
            w.lastDelivery = t
            let connection = w.connection
            self.kernel.schedule(at: t) { [weak w] in
                guard let w, w.active, w.connection == connection else { return }
                w.inFlight -= 1
                w.relist?(objects)
            }
        }
    }

    // MARK: Reads

    public func get(_ kind: KnownKind, _ namespace: String, _ name: String) -> APIObject? {
        store[kind.order][kind.namespaced ? "\(namespace)/\(name)" : name]
    }
    public func get(_ kind: KnownKind, key: String) -> APIObject? { store[kind.order][key] }

    /// Every object of a kind, ordered by key.
    public func list(_ kind: KnownKind) -> [APIObject] {
        let m = store[kind.order]
        return m.keys.sorted().map { m[$0]! }
    }
    public func count(_ kind: KnownKind) -> Int { store[kind.order].count }
    public func list<T: Resource>(_ type: T.Type) -> [T] { list(T.knownKind).compactMap(T.unwrap) }

    // MARK: Writes

    /// Kubernetes' `utilrand` alphabet for generated name suffixes (no vowels, no 0, 1, 3), as bytes.
    private static let suffixAlphabet: [UInt8] = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    private func newUID() -> String {
        // 32 hex digits of two draws, laid out as a UUID with version 4 (digit 12 is "4").
        rng.draw("uids") { g in
            let a = g.next(), b = g.next()
            return String(unsafeUninitializedCapacity: 36) { buf in
                var i = 0
                for n in 0..<32 {
                    if n == 8 || n == 12 || n == 16 || n == 20 { buf[i] = UInt8(ascii: "-"); i += 1 }
                    let word = n < 16 ? a : b
                    let d = UInt8(truncatingIfNeeded: (word >> UInt64(60 - 4 * (n % 16))) & 0xF)
                    // The digit's ASCII: 0-9, then a-f (0x57 + 10 = "a").
                    buf[i] = n == 12 ? UInt8(ascii: "4") : d < 10 ? 0x30 + d : 0x57 + d
                    i += 1
                }
                return i
            }
        }
    }

    private func nameSuffix() -> String {
        rng.draw("names") { g in
            let alphabet = Self.suffixAlphabet
            return String(unsafeUninitializedCapacity: 5) { buf in
                for i in 0..<5 { buf[i] = alphabet[Int(g.next() % UInt64(alphabet.count))] }
                return 5
            }
        }
    }

    private func resourceName(_ kind: KnownKind) -> String {
        switch kind {
        case .node: return "nodes"
        case .pod: return "pods"
        case .job: return "jobs.batch"
        case .broadcastJob: return "broadcastjobs.apps.kruise.io"
        case .advancedCronJob: return "advancedcronjobs.apps.kruise.io"
        case .event: return "events"
        }
    }

    private func nextRV() -> String {
        resourceVersion += 1
        return String(resourceVersion)
    }

    /// Creates an object: generateName, uid, creationTimestamp, admission, AlreadyExists.
    @discardableResult
    public func create(_ object: APIObject, actor: Actor) throws(APIError) -> APIObject {
        do { return try applyCreate(object, actor: actor) } catch {
            writeFailed(actor, "create", object.kind, object.metadata.namespace, object.metadata.name ?? object.metadata.generateName, error)
            throw error
        }
    }

    private func applyCreate(_ object: APIObject, actor: Actor) throws(APIError) -> APIObject {
        let time = kernel.now
        var o = object
        var meta = o.metadata
        if o.kind.namespaced {
            if (meta.namespace ?? "").isEmpty { meta.namespace = "default" }
        } else {
            meta.namespace = nil
        }
        if meta.uid == nil || meta.uid!.isEmpty { meta.uid = newUID() }
        meta.creationTimestamp = time
        meta.deletionTimestamp = nil
        if let rv = meta.resourceVersion, !rv.isEmpty {
            // The storage layer's ErrResourceVersionSetOnCreate, passed on as an internal error.
            throw APIError(code: 500, reason: .internalError, message: "resourceVersion should not be set on objects to be created")
        }
        meta.generation = 1
        o.metadata = meta
        o = try Admission.admit(o, old: nil, options: admissionOptions)
        meta = o.metadata
        if (meta.name ?? "").isEmpty, let g = meta.generateName, !g.isEmpty {
            // A few retries on the (unlikely) clash, as the real server does.
            for _ in 0..<8 {
                let candidate = g + nameSuffix()
                if get(o.kind, meta.namespace ?? "", candidate) == nil { meta.name = candidate; break }
            }
        }
        guard let name = meta.name, !name.isEmpty else {
            throw APIError(code: 422, reason: .invalid, message: "\(o.kind.rawValue) \"\" is invalid: metadata.name: Required value: name or generateName is required")
        }
        let key = StringKey(o.kind.namespaced ? "\(meta.namespace!)/\(name)" : name)
        if store[o.kind.order][key] != nil { throw .alreadyExists(resourceName(o.kind), name) }
        meta.resourceVersion = nextRV()
        o.metadata = meta
        store[o.kind.order][key] = o
        publish(Change(time: time, actor: actor, verb: "create", type: .added, old: nil, object: o))
        return o
    }

    public enum Subresource { case main, status }

    /// Replaces an object's main resource (spec and metadata) or its status.
    @discardableResult
    public func update(_ object: APIObject, subresource: Subresource, actor: Actor, ignoreResourceVersion: Bool = false) throws(APIError) -> APIObject {
        do { return try applyUpdate(object, subresource: subresource, actor: actor, ignoreResourceVersion: ignoreResourceVersion) } catch {
            writeFailed(actor, subresource == .status ? "updateStatus" : "update", object.kind, object.metadata.namespace, object.metadata.name, error)
            throw error
        }
    }

    private func applyUpdate(_ object: APIObject, subresource: Subresource, actor: Actor, ignoreResourceVersion: Bool) throws(APIError) -> APIObject {
        let time = kernel.now
        let kind = object.kind
        let key = StringKey(object.key)
        let name = object.metadata.name ?? ""
        guard let current = store[kind.order][key] else { throw .notFound(resourceName(kind), name) }
        if !ignoreResourceVersion, let want = object.metadata.resourceVersion, !want.isEmpty, want != current.metadata.resourceVersion {
            throw .conflict(resourceName(kind), name)
        }
        var next: APIObject
        switch subresource {
        case .status:
            next = current.replacingStatus(from: object)
        case .main:
            var incoming = object.replacingStatus(from: current)
            var m = incoming.metadata
            let cm = current.metadata
            m.uid = cm.uid
            m.creationTimestamp = cm.creationTimestamp
            m.deletionTimestamp = cm.deletionTimestamp
            m.namespace = cm.namespace
            m.resourceVersion = cm.resourceVersion
            m.generation = cm.generation
            incoming.metadata = m
            next = try Admission.admit(incoming, old: current, options: admissionOptions).replacingStatus(from: current)
            if !next.sameSpec(as: current) {
                var mm = next.metadata
                mm.generation = (cm.generation ?? 1) + 1
                next.metadata = mm
            }
        }
        // A no-op write changes nothing and notifies no one. A status write changed nothing but the status.
        if subresource == .status ? next.sameStatus(as: current) : next == current { return current }
        var m = next.metadata
        m.resourceVersion = nextRV()
        next.metadata = m
        // Finalizers emptied on a deleting object: it goes now.
        if m.deletionTimestamp != nil && (m.finalizers ?? []).isEmpty && !(kind == .pod && kubeletRunsPodObject(next)) {
            store[kind.order][key] = nil
            publish(Change(time: time, actor: actor, verb: subresource == .status ? "updateStatus" : "update", type: .deleted, old: current, object: next))
            return next
        }
        store[kind.order][key] = next
        publish(Change(time: time, actor: actor, verb: subresource == .status ? "updateStatus" : "update", type: .modified, old: current, object: next))
        return next
    }

    private func kubeletRunsPodObject(_ o: APIObject) -> Bool {
        if case .pod(let p) = o { return kubeletRunsPod(p) }
        return false
    }

    /// Deletes an object. A pod that a running kubelet holds, or any object with finalizers,
    /// gets a deletionTimestamp and goes later; everything else goes at once. `force` removes
    /// a pod regardless (the kubelet's confirmation, or pod GC's force delete).
    public func delete(_ kind: KnownKind, namespace: String, name: String, uid: String?, actor: Actor, force: Bool = false) throws(APIError) {
        do { try applyDelete(kind, namespace: namespace, name: name, uid: uid, actor: actor, force: force) } catch {
            writeFailed(actor, "delete", kind, namespace, name, error)
            throw error
        }
    }

    private func applyDelete(_ kind: KnownKind, namespace: String, name: String, uid: String?, actor: Actor, force: Bool) throws(APIError) {
        let time = kernel.now
        let key = StringKey(kind.namespaced ? "\(namespace)/\(name)" : name)
        guard let current = store[kind.order][key] else { throw .notFound(resourceName(kind), name) }
        if let uid, !uid.isEmpty, current.metadata.uid != uid {
            throw APIError(code: 409, reason: .conflict, message: "Operation cannot be fulfilled on \(resourceName(kind)) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.metadata.uid ?? "")")
        }
        let hasFinalizers = !(current.metadata.finalizers ?? []).isEmpty
        let graceful: Bool = {
            if force { return false }
            if case .pod(let p) = current { return kubeletRunsPod(p) }
            return false
        }()
        if hasFinalizers || graceful {
            if current.metadata.deletionTimestamp != nil { return }
            var next = current
            var m = next.metadata
            m.deletionTimestamp = time
            if kind == .pod { m.deletionGracePeriodSeconds = 0 }
            m.resourceVersion = nextRV()
            next.metadata = m
            store[kind.order][key] = next
            publish(Change(time: time, actor: actor, verb: "delete", type: .modified, old: current, object: next))
            return
        }
        store[kind.order][key] = nil
        var gone = current
        var m = gone.metadata
        if m.deletionTimestamp == nil { m.deletionTimestamp = time }
        m.resourceVersion = nextRV()
        gone.metadata = m
        publish(Change(time: time, actor: actor, verb: "delete", type: .deleted, old: current, object: gone))
    }

    /// The binding subresource: sets a pending pod's node once.
    public func bind(namespace: String, name: String, uid: String?, nodeName: String, actor: Actor) throws(APIError) {
        do { try applyBind(namespace: namespace, name: name, uid: uid, nodeName: nodeName, actor: actor) } catch {
            writeFailed(actor, "bind", .pod, namespace, name, error)
            throw error
        }
    }

    private func applyBind(namespace: String, name: String, uid: String?, nodeName: String, actor: Actor) throws(APIError) {
        let time = kernel.now
        guard case .pod(var pod)? = get(.pod, namespace, name) else { throw .notFound("pods", name) }
        if let uid, !uid.isEmpty, pod.uid != uid { throw .conflict("pods", name) }
        if let n = pod.spec.nodeName, !n.isEmpty {
            throw APIError(code: 409, reason: .conflict, message: "Operation cannot be fulfilled on pods/binding \"\(name)\": pod \(name) is already assigned to node \"\(n)\"")
        }
        if pod.metadata.deletionTimestamp != nil {
            throw APIError(code: 409, reason: .conflict, message: "Operation cannot be fulfilled on pods/binding \"\(name)\": pod \(name) is being deleted, cannot be assigned to a host")
        }
        let old = APIObject.pod(pod)
        pod.spec.nodeName = nodeName
        pod.metadata.resourceVersion = nextRV()
        store[KnownKind.pod.order][pod.key] = .pod(pod)
        publish(Change(time: time, actor: actor, verb: "bind", type: .modified, old: old, object: .pod(pod)))
    }
}

extension APIObject {
    /// `self` with the status of `other` (same kind).
    func replacingStatus(from other: APIObject) -> APIObject {
        switch (self, other) {
        case (.pod(var a), .pod(let b)): a.status = b.status; return .pod(a)
        case (.node(var a), .node(let b)): a.status = b.status; return .node(a)
        case (.job(var a), .job(let b)): a.status = b.status; return .job(a)
        case (.broadcastJob(var a), .broadcastJob(let b)): a.status = b.status; return .broadcastJob(a)
        case (.advancedCronJob(var a), .advancedCronJob(let b)): a.status = b.status; return .advancedCronJob(a)
        default: return self
        }
    }

    /// Whether the two have equal status (for ``replacingStatus(from:)``'s result and its source,
    /// equal status means equal objects).
    func sameStatus(as other: APIObject) -> Bool {
        switch (self, other) {
        case (.pod(let a), .pod(let b)): return a.sameStatus(as: b)
        case (.node(let a), .node(let b)): return a.sameStatus(as: b)
        case (.job(let a), .job(let b)): return a.status == b.status
        case (.broadcastJob(let a), .broadcastJob(let b)): return a.sameStatus(as: b)
        case (.advancedCronJob(let a), .advancedCronJob(let b)): return a.status == b.status
        default: return self == other
        }
    }

    func sameSpec(as other: APIObject) -> Bool {
        switch (self, other) {
        case (.pod(let a), .pod(let b)): return a.sameSpec(as: b)
        case (.node(let a), .node(let b)): return a.sameSpec(as: b)
        case (.job(let a), .job(let b)): return a.spec == b.spec
        case (.broadcastJob(let a), .broadcastJob(let b)): return a.sameSpec(as: b)
        case (.advancedCronJob(let a), .advancedCronJob(let b)): return a.spec == b.spec
        default: return true
        }
    }
}
