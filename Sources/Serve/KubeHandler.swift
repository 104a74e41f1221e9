import Foundation
import DequeModule
import OrderedCollections
import NIOCore
import Engine
import Sim

/// Answers the Kubernetes API on the simulation's own API server: every call runs on the
/// simulation thread inside a kernel event (``LiveCluster``), as the client `user`, with the same
/// admission, resourceVersions and watch fan-out as the simulated components.
final class KubeHandler {
    let sim: Simulation
    weak var control: LiveCluster?

    /// Recent committed changes, oldest first, for watches that resume from a resourceVersion.
    private var history = Deque<(rv: Int64, type: WatchEventType, old: APIObject?, object: APIObject)>()
    /// The most changes kept for resuming watches: an older resourceVersion gets 410 Expired.
    var historyLimit = 20_000
    /// The oldest resourceVersion a watch can resume from (changes after it are all in `history`).
    private var resumableFrom: Int64 = 0
    private var watches: [WatchStream] = []
    /// Kubernetes events as v1 Event objects, in the order they were first recorded.
    private var eventObjects: [APIObject] = []
    /// Each event's place in `eventObjects` by what makes a repeat (client-go's `getEventKey`:
    /// source, involved object, type, reason, message), and the resourceVersion it was added at.
    private var eventIndex: [String: Int] = [:]
    private var eventAddedAt: [Int64] = []

    init(sim: Simulation) {
        self.sim = sim
        sim.onChange = { [unowned self] c in
            guard let rv = Int64(c.object.metadata.resourceVersion ?? "") else { return }
            // A deleted object's text is no longer listed; its DELETED events encode it again.
            if c.type == .deleted { encoded[c.object.kind.rawValue + "/" + c.object.key] = nil }
            history.append((rv, c.type, c.old, c.object))
            while history.count > historyLimit {
                let dropped = history.removeFirst()
                resumableFrom = dropped.rv
            }
        }
        sim.onEvent = { [unowned self] e in recordEvent(e) }
    }

    // MARK: Events

    private func recordEvent(_ e: RecordedEvent) {
        let index = eventObjects.count
        let kind = KnownKind(rawValue: e.kind)
        let involved = kind.flatMap { sim.api.get($0, e.namespace, e.name) }
        // A repeat is sent as an update of the first Event, its count raised (client-go's
        // EventCorrelator), so kubectl shows it once with "(x2 over …)".
        let key = [e.component, e.kind, e.namespace, e.name, involved?.metadata.uid ?? "", e.type, e.reason, e.message].joined(separator: "\u{0}")
        if let i = eventIndex[key], case .event(var ev) = eventObjects[i] {
            let old = eventObjects[i]
            ev.count = (ev.count ?? 1) + 1
            ev.lastTimestamp = e.time
            ev.metadata.resourceVersion = String(sim.api.resourceVersion)
            eventObjects[i] = .event(ev)
            for w in watches where w.kind == .event { w.deliver(.modified, old, eventObjects[i]) }
            return
        }
        eventIndex[key] = index
        eventAddedAt.append(sim.api.resourceVersion)
        let ns = e.namespace.isEmpty ? "default" : e.namespace
        var meta = ObjectMeta(name: "\(e.name).\(String(format: "%016x", UInt64(index) &+ 0x1800_0000_0000_0000))", namespace: ns)
        meta.uid = String(format: "00000000-0000-4000-8000-%012x", index)
        meta.resourceVersion = String(sim.api.resourceVersion)
        meta.creationTimestamp = e.time
        let apiVersion = kind.map { KubeResources.resource(for: $0) }.map { $0.groupVersion($0.preferredVersion) }
        let ref = ObjectReference(apiVersion: apiVersion, kind: e.kind, namespace: e.namespace.isEmpty ? nil : e.namespace,
                                  name: e.name, uid: involved?.metadata.uid, resourceVersion: nil)
        let obj = APIObject.event(Event(metadata: meta, involvedObject: ref, reason: e.reason, message: e.message, type: e.type, component: e.component, time: e.time))
        eventObjects.append(obj)
        for w in watches where w.kind == .event { w.deliver(.added, nil, obj) }
    }

    // MARK: Dispatch

    func handle(_ req: HTTPRequest, _ out: Responder) {
        watches.removeAll { $0.closed }
        let parts = req.path.split(separator: "/").map(String.init)
        do {
            switch (req.method, parts) {
            case ("GET", ["api"]):
                return try sendDiscovery(req, out, core: true)
            case ("GET", ["apis"]):
                return try sendDiscovery(req, out, core: false)
            case ("GET", ["api", "v1"]):
                return sendJSON(out, 200, KubeDiscovery.apiResourceList(group: "", version: "v1")!)
            case ("GET", let p) where p.count == 2 && p[0] == "apis":
                guard let g = KubeDiscovery.apiGroup(p[1]) else { throw StatusError(KubeStatus.notFound(path: req.path)) }
                return sendJSON(out, 200, g)
            case ("GET", let p) where p.count == 3 && p[0] == "apis":
                guard let l = KubeDiscovery.apiResourceList(group: p[1], version: p[2]) else { throw StatusError(KubeStatus.notFound(path: req.path)) }
                return sendJSON(out, 200, l)
            case ("GET", ["version"]):
                return sendJSON(out, 200, KubeDiscovery.version())
            case ("GET", ["healthz"]), ("GET", ["readyz"]), ("GET", ["livez"]):
                return out.send(status: 200, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8))
            case ("GET", let p) where p.first == "openapi":
                return try sendOpenAPI(req, out, Array(p.dropFirst()))
            default:
                break
            }
            guard let target = try resolve(parts) else { throw StatusError(KubeStatus.notFound(path: req.path)) }
            do { try serve(target, req, out) } catch let e as APIError {
                send(out, KubeStatus.from(e, resource: target.resource, name: target.name ?? ""))
            }
        } catch let e as StatusError {
            send(out, e.response)
        } catch let e as APIError {
            send(out, KubeStatus.failure(code: e.code, reason: e.reason.rawValue, message: e.message))
        } catch {
            send(out, KubeStatus.internalError("\(error)"))
        }
    }

    /// A resource path, parsed.
    struct Target {
        var resource: KubeResource
        var version: String
        var namespace: String?
        var name: String?
        var subresource: String?
        var apiVersion: String { resource.groupVersion(version) }
    }

    /// `/api/v1/...` or `/apis/G/V/...` into a target; nil when it names nothing served.
    private func resolve(_ p: [String]) throws(APIError) -> Target? {
        let group: String, version: String, rest: ArraySlice<String>
        if p.count >= 3, p[0] == "api" { (group, version, rest) = ("", p[1], p[2...]) }
        else if p.count >= 4, p[0] == "apis" { (group, version, rest) = (p[1], p[2], p[3...]) }
        else { return nil }
        var r = Array(rest)
        var namespace: String?
        if r.count >= 3, r[0] == "namespaces" {
            namespace = r[1]
            r.removeFirst(2)
        }
        guard let plural = r.first, let res = KubeResources.resource(group: group, version: version, plural: plural) else { return nil }
        if namespace != nil && !res.namespaced { return nil }
        let name = r.count > 1 ? r[1] : nil
        let sub = r.count > 2 ? r[2] : nil
        if r.count > 3 { return nil }
        if let sub, !res.subresources.contains(sub) { return nil }
        return Target(resource: res, version: version, namespace: namespace, name: name, subresource: sub)
    }

    private func serve(_ t: Target, _ req: HTTPRequest, _ out: Responder) throws {
        guard let kind = t.resource.knownKind else { return try serveNamespaces(t, req, out) }
        switch (req.method, t.name) {
        case ("GET", nil):
            if ["true", "1"].contains(req.query["watch"] ?? "") { return try startWatch(kind, t, req, out) }
            return try sendList(kind, t, req, out)
        case ("GET", let name?):
            if ["true", "1"].contains(req.query["watch"] ?? "") {
                var q = req
                q.query["fieldSelector"] = "metadata.name=\(name)"
                return try startWatch(kind, Target(resource: t.resource, version: t.version, namespace: t.namespace), q, out)
            }
            return sendObject(out, 200, try fetch(kind, t, name), t, req)
        case ("POST", nil):
            return try create(kind, t, req, out)
        case ("PUT", let name?):
            return try update(kind, t, name, req, out)
        case ("PATCH", let name?):
            return try patch(kind, t, name, req, out)
        case ("DELETE", let name?):
            return try delete(kind, t, name, req, out)
        default:
            throw StatusError(KubeStatus.methodNotAllowed(t.resource, verb: req.method))
        }
    }

    // MARK: Reads

    private func fetch(_ kind: KnownKind, _ t: Target, _ name: String) throws(APIError) -> APIObject {
        let ns = t.namespace ?? ""
        if kind == .event {
            if let e = eventObjects.first(where: { $0.metadata.name == name && $0.metadata.namespace == ns }) { return e }
        } else if let o = sim.api.get(kind, kind.namespaced ? ns : "", name) {
            return o
        }
        throw .notFound(t.resource.groupResource, name)
    }

    /// Objects of a kind in a namespace (all namespaces when nil), matching the request's selectors.
    private func matching(_ kind: KnownKind, _ t: Target, _ req: HTTPRequest) throws(StatusError) -> (objects: [APIObject], filter: ObjectFilter) {
        let filter = try ObjectFilter(t, query: req.query)
        let all = kind == .event ? eventObjects : sim.api.list(kind)
        return (all.filter { filter.matches($0) }, filter)
    }

    private func sendList(_ kind: KnownKind, _ t: Target, _ req: HTTPRequest, _ out: Responder) throws {
        let (objects, _) = try matching(kind, t, req)
        let rv = String(sim.api.resourceVersion)
        if let tv = KubeTable.requestedVersion(accept: req.header("Accept")) {
            let table = try KubeTable.table(t.resource, objects: objects, now: sim.now, resourceVersion: rv, include: includeObject(req), version: t.version, tableVersion: tv)
            return sendTable(out, 200, table, tv)
        }
        // The list's JSON written around each item's cached text (a list of 1,000 nodes would
        // otherwise encode 1,000 objects per request).
        var text = "{\"apiVersion\":\"\(t.apiVersion)\",\"kind\":\"\(t.resource.listKind)\",\"metadata\":{\"resourceVersion\":\"\(rv)\"},\"items\":["
        for (i, o) in objects.enumerated() {
            if i > 0 { text += "," }
            text += try objectText(o, t)
        }
        text += "]}"
        out.send(status: 200, json: text)
    }

    private func serveNamespaces(_ t: Target, _ req: HTTPRequest, _ out: Responder) throws {
        guard req.method == "GET" else {
            throw StatusError(KubeStatus.failure(code: 405, reason: "MethodNotAllowed", message: "kruise-sim serves namespaces read-only: objects may be created in any namespace without creating it first"))
        }
        var names = Set<String>()
        for k in KnownKind.allCases where k.namespaced {
            for o in sim.api.list(k) { names.insert(o.metadata.namespace ?? "") }
        }
        let all = KubeResources.namespaces(objectNamespaces: names.sorted(), created: sim.scenario.start)
        let rv = String(sim.api.resourceVersion)
        let tv = KubeTable.requestedVersion(accept: req.header("Accept"))
        if let name = t.name {
            guard let ns = all.first(where: { $0["metadata"]?["name"]?.stringValue == name }) else { throw StatusError(KubeStatus.notFound(t.resource, name: name)) }
            if let tv { return sendTable(out, 200, try KubeTable.namespaceTable([ns], now: sim.now, resourceVersion: rv, include: includeObject(req), tableVersion: tv), tv) }
            return sendJSON(out, 200, ns)
        }
        let field: FieldSelectorQuery
        do { field = try FieldSelectorQuery.parse(req.query["fieldSelector"] ?? "", for: t.resource) } catch { throw StatusError(KubeStatus.badRequest(error.message)) }
        let shown = all.filter { field.matches(namespace: $0) }
        if let tv { return sendTable(out, 200, try KubeTable.namespaceTable(shown, now: sim.now, resourceVersion: rv, include: includeObject(req), tableVersion: tv), tv) }
        sendJSON(out, 200, .object(["apiVersion": "v1", "kind": "NamespaceList",
                                    "metadata": .object(["resourceVersion": .string(rv)]), "items": .array(shown)]))
    }

    // MARK: Writes

    /// The request body, JSON or YAML.
    private func body(_ req: HTTPRequest) throws(StatusError) -> JSONValue {
        do { return try KubePatch.parseBody(Data(req.body), contentType: req.header("Content-Type")) } catch { throw StatusError(error.status) }
    }

    /// A body as the engine's object of the target's resource, in the target's namespace, with
    /// server-side field validation (`fieldValidation`); returns the warnings to send.
    private func decode(_ raw: JSONValue, _ t: Target, _ req: HTTPRequest) throws(StatusError) -> (object: APIObject, warnings: [String]) {
        var raw = raw
        if t.resource.namespaced, case .object(var o) = raw {
            var m = o["metadata"]?.objectValue ?? [:]
            let ns = m["namespace"]?.stringValue ?? ""
            if let want = t.namespace {
                if !ns.isEmpty, ns != want {
                    throw StatusError(KubeStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request"))
                }
                m["namespace"] = .string(want)
                o["metadata"] = .object(m)
                raw = .object(o)
            }
        }
        do {
            let validation = try KubeDecode.validation(query: req.query["fieldValidation"])
            let d = try KubeDecode.object(raw, resource: t.resource, version: t.version, validation: validation)
            return (d.object, d.warnings)
        } catch let e as KubeSelectorError {
            throw StatusError(KubeStatus.badRequest(e.message))
        } catch let e as KubePatchError {
            throw StatusError(e.status)
        } catch {
            throw StatusError(KubeStatus.badRequest("\(error)"))
        }
    }

    private func rejectDryRun(_ req: HTTPRequest) throws(StatusError) {
        if let d = req.query["dryRun"], !d.isEmpty {
            throw StatusError(KubeStatus.badRequest("kruise-sim does not support dryRun: every request it accepts is applied to the simulated cluster"))
        }
    }

    private func readOnlyEvents(_ kind: KnownKind) throws(StatusError) {
        if kind == .event {
            throw StatusError(KubeStatus.failure(code: 405, reason: "MethodNotAllowed", message: "kruise-sim serves events read-only: they are recorded by its components"))
        }
    }

    private func create(_ kind: KnownKind, _ t: Target, _ req: HTTPRequest, _ out: Responder) throws {
        try rejectDryRun(req)
        try readOnlyEvents(kind)
        let (obj, warnings) = try decode(body(req), t, req)
        let made = try sim.api.create(obj, actor: .user)
        sendObject(out, 201, made, t, req, warnings: warnings)
    }

    private func update(_ kind: KnownKind, _ t: Target, _ name: String, _ req: HTTPRequest, _ out: Responder) throws {
        try rejectDryRun(req)
        try readOnlyEvents(kind)
        let (obj, warnings) = try decode(body(req), t, req)
        guard obj.metadata.name == name else {
            throw StatusError(KubeStatus.badRequest("the name of the object (\(obj.metadata.name ?? "")) does not match the name on the URL (\(name))"))
        }
        _ = try fetch(kind, t, name)
        let done = try sim.api.update(obj, subresource: t.subresource == "status" ? .status : .main, actor: .user)
        sendObject(out, 200, done, t, req, warnings: warnings)
    }

    private func patch(_ kind: KnownKind, _ t: Target, _ name: String, _ req: HTTPRequest, _ out: Responder) throws {
        try rejectDryRun(req)
        try readOnlyEvents(kind)
        let contentType = req.header("Content-Type") ?? ""
        guard let type = KubePatch.PatchType(contentType: contentType) else { throw StatusError(KubeStatus.unsupportedMediaType(contentType)) }
        let patchBody = try body(req)
        let current: APIObject? = try? fetch(kind, t, name)
        let live = try current.map { try rendered($0, t) }
        let patched: JSONValue
        do {
            if type == .apply {
                // Server-side apply: creates what is missing.
                let r = try KubeApply.apply(patchBody, to: live, resource: t.resource, fieldManager: req.query["fieldManager"], now: sim.now,
                                            force: req.query["force"] == "true")
                if r.created {
                    let (obj, warnings) = try decode(r.object, t, req)
                    guard obj.metadata.name == name else {
                        throw StatusError(KubeStatus.badRequest("the name of the object (\(obj.metadata.name ?? "")) does not match the name on the URL (\(name))"))
                    }
                    let made = try sim.api.create(obj, actor: .user)
                    return sendObject(out, 201, made, t, req, warnings: warnings)
                }
                patched = r.object
            } else {
                guard let live else { throw StatusError(KubeStatus.notFound(t.resource, name: name)) }
                patched = try KubePatch.apply(type, patch: patchBody, to: live, resource: t.resource)
            }
        } catch let e as KubePatchError {
            throw StatusError(e.status)
        }
        var (obj, warnings) = try decode(patched, t, req)
        guard let current else { throw StatusError(KubeStatus.notFound(t.resource, name: name)) }
        if obj.metadata.resourceVersion == nil || obj.metadata.resourceVersion == "" {
            obj.metadata.resourceVersion = current.metadata.resourceVersion
        }
        let done = try sim.api.update(obj, subresource: t.subresource == "status" ? .status : .main, actor: .user)
        sendObject(out, 200, done, t, req, warnings: warnings)
    }

    private func delete(_ kind: KnownKind, _ t: Target, _ name: String, _ req: HTTPRequest, _ out: Responder) throws {
        try rejectDryRun(req)
        try readOnlyEvents(kind)
        var policy = req.query["propagationPolicy"]
        var uid: String?
        if !req.body.isEmpty, let opts = try? JSONDecoder().decode(JSONValue.self, from: Data(req.body)) {
            if let p = opts["propagationPolicy"]?.stringValue { policy = p }
            if opts["orphanDependents"] == .bool(true) { policy = "Orphan" }
            uid = opts["preconditions"]?["uid"]?.stringValue
        }
        if let policy, policy != "Background" {
            throw StatusError(KubeStatus.badRequest("kruise-sim supports propagationPolicy Background only (the garbage collector deletes the dependents after their owner is gone); got \(policy)"))
        }
        let current = try fetch(kind, t, name)
        try sim.api.delete(kind, namespace: kind.namespaced ? (t.namespace ?? "") : "", name: name, uid: uid, actor: .user)
        if let still = sim.api.get(kind, kind.namespaced ? (t.namespace ?? "") : "", name) {
            return sendObject(out, 200, still, t, req)
        }
        sendJSON(out, 200, KubeStatus.deleted(t.resource, name: name, uid: current.metadata.uid))
    }

    // MARK: Watch

    private func startWatch(_ kind: KnownKind, _ t: Target, _ req: HTTPRequest, _ out: Responder) throws {
        let filter = try ObjectFilter(t, query: req.query)
        let stream = WatchStream(kind: kind, target: t, filter: filter, tableVersion: KubeTable.requestedVersion(accept: req.header("Accept")),
                                 include: try includeObject(req), out: out, handler: self)
        out.startStream()
        let rvText = req.query["resourceVersion"] ?? ""
        if req.query["sendInitialEvents"] == "true" {
            // A streaming list (client-go's WatchList, on in kubectl 1.34 and later): the current
            // state as ADDED events, then a BOOKMARK marking their end, then what changes.
            let objects = kind == .event ? eventObjects : sim.api.list(kind)
            for o in objects { stream.deliver(.added, nil, o) }
            stream.bookmark(resourceVersion: String(sim.api.resourceVersion), initialEventsEnd: true)
        } else if rvText.isEmpty || rvText == "0" {
            // No starting point: the current state as ADDED events, then what changes.
            let objects = kind == .event ? eventObjects : sim.api.list(kind)
            for o in objects { stream.deliver(.added, nil, o) }
        } else {
            guard let from = Int64(rvText) else {
                stream.fail(KubeStatus.badRequest("invalid resourceVersion \"\(rvText)\""))
                return
            }
            if kind == .event {
                for (i, o) in eventObjects.enumerated() where Int64(o.metadata.resourceVersion ?? "") ?? 0 > from {
                    stream.deliver(eventAddedAt[i] > from ? .added : .modified, nil, o)
                }
            } else {
                if from < resumableFrom {
                    stream.fail(KubeStatus.expired(requested: rvText, oldest: resumableFrom + 1))
                    return
                }
                for c in history where c.rv > from && c.object.kind == kind {
                    stream.deliver(c.type, c.old, c.object)
                }
            }
        }
        if kind != .event {
            let w = APIServer.Watcher(name: "user-watch", kinds: [kind], delay: { [unowned self] in sim.userWatchDelay() }, start: sim.now) { [weak stream] type, old, obj in
                stream?.deliver(type, old, obj)
            }
            stream.watcher = w
            sim.api.addWatcher(w)
        }
        if let s = req.query["timeoutSeconds"].flatMap(Double.init), s > 0 { out.endStream(afterWallSeconds: s) }
        watches.append(stream)
    }

    func removeWatcher(_ w: APIServer.Watcher) { sim.api.removeWatcher(w) }

    /// Ends every watch stream (the server is stopping).
    func closeWatches() {
        for w in watches { w.close() }
        watches.removeAll()
    }

    // MARK: Rendering

    func includeObject(_ req: HTTPRequest) throws(StatusError) -> KubeTable.IncludeObject {
        do { return try KubeTable.IncludeObject(query: req.query["includeObject"]) } catch { throw StatusError(KubeStatus.badRequest(error.message)) }
    }

    /// Each object's JSON text as last served, by kind and key, with the resourceVersion and
    /// apiVersion it was written for: lists and every watcher of a change reuse it, so an object
    /// version is encoded once. Cleared when it outgrows `encodedLimit` (deleted objects linger).
    private var encoded: [String: (rv: String, apiVersion: String, text: String)] = [:]
    private static let encodedLimit = 50_000

    /// `o` served at `t`'s version, as JSON text.
    func objectText(_ o: APIObject, _ t: Target) throws -> String {
        let key = o.kind.rawValue + "/" + o.key
        let rv = o.metadata.resourceVersion ?? ""
        if let hit = encoded[key], hit.rv == rv, hit.apiVersion == t.apiVersion { return hit.text }
        // The encoder's direct text when the object is stored at the version asked for (always,
        // for the core kinds): the same bytes as the value tree's, at a fraction of the cost.
        let text = Self.storedAPIVersion(o) == t.apiVersion ? try o.manifestJSONText() : try rendered(o, t).jsonText()
        if encoded.count >= Self.encodedLimit { encoded.removeAll(keepingCapacity: true) }
        encoded[key] = (rv, t.apiVersion, text)
        return text
    }

    /// The apiVersion an object was written with (its kind's default when unset).
    static func storedAPIVersion(_ o: APIObject) -> String {
        switch o {
        case .node(let x): return x.apiVersion ?? Node.defaultAPIVersion
        case .pod(let x): return x.apiVersion ?? Pod.defaultAPIVersion
        case .job(let x): return x.apiVersion ?? Job.defaultAPIVersion
        case .broadcastJob(let x): return x.apiVersion ?? BroadcastJob.defaultAPIVersion
        case .advancedCronJob(let x): return x.apiVersion ?? AdvancedCronJob.defaultAPIVersion
        case .event(let x): return x.apiVersion ?? Event.defaultAPIVersion
        }
    }

    /// One watch event line (`{"type":…,"object":…}` and a newline) for `o` served at `t`'s version.
    func watchLine(_ type: WatchEventType, _ o: APIObject, _ t: Target) throws -> ByteBuffer {
        // Every watcher of a change is sent the same line, mostly one after another (their
        // deliveries share the watch delay): the last line is kept as one buffer they all share.
        let key = type.rawValue + " " + o.kind.rawValue + "/" + o.key + " " + (o.metadata.resourceVersion ?? "") + " " + t.apiVersion
        if let last = lastLine, last.key == key { return last.buffer }
        let text = type == .deleted ? try rendered(o, t).jsonText() : try objectText(o, t)
        let buffer = ByteBuffer(string: "{\"type\":\"\(type.rawValue)\",\"object\":" + text + "}\n")
        lastLine = (key, buffer)
        return buffer
    }
    private var lastLine: (key: String, buffer: ByteBuffer)?

    /// The object's JSON as served at the target's version.
    func rendered(_ o: APIObject, _ t: Target) throws -> JSONValue {
        try t.resource.manifest(o, version: t.version)
    }

    private func sendObject(_ out: Responder, _ status: Int, _ o: APIObject, _ t: Target, _ req: HTTPRequest, warnings: [String] = []) {
        let warn = warnings.map { ("Warning", "299 - \"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"") }
        do {
            if let tv = KubeTable.requestedVersion(accept: req.header("Accept")) {
                let table = try KubeTable.table(t.resource, objects: [o], now: sim.now, resourceVersion: o.metadata.resourceVersion ?? "",
                                                include: includeObject(req), version: t.version, tableVersion: tv)
                return out.send(status: status, contentType: KubeTable.contentType(version: tv), body: Array(table.jsonText().utf8), extraHeaders: warn)
            }
            out.send(status: status, contentType: "application/json", body: Array(try rendered(o, t).jsonText().utf8), extraHeaders: warn)
        } catch let e as StatusError {
            send(out, e.response)
        } catch {
            send(out, KubeStatus.internalError("\(error)"))
        }
    }

    func sendJSON(_ out: Responder, _ status: Int, _ v: JSONValue) {
        out.send(status: status, json: v.jsonText())
    }

    func sendTable(_ out: Responder, _ status: Int, _ table: JSONValue, _ version: String) {
        out.send(status: status, contentType: KubeTable.contentType(version: version), body: Array(table.jsonText().utf8))
    }

    func send(_ out: Responder, _ r: KubeStatus.Response) {
        out.send(status: r.code, json: r.body.jsonText())
    }

    private func sendDiscovery(_ req: HTTPRequest, _ out: Responder, core: Bool) throws {
        switch KubeDiscovery.negotiate(accept: req.header("Accept")) {
        case .aggregated:
            out.send(status: 200, contentType: KubeDiscovery.aggregatedContentType, body: Array(KubeDiscovery.aggregated(core: core).jsonText().utf8))
        case .plain:
            sendJSON(out, 200, core ? KubeDiscovery.apiVersions(serverAddress: req.header("Host") ?? "127.0.0.1") : KubeDiscovery.apiGroupList())
        }
    }

    /// `/openapi/v2` (JSON only: kubectl asks for protobuf and, on 406, uses v3), `/openapi/v3`
    /// and `/openapi/v3/api/v1`, `/openapi/v3/apis/G/V`.
    private func sendOpenAPI(_ req: HTTPRequest, _ out: Responder, _ rest: [String]) throws {
        switch rest.first {
        case "v2" where rest.count == 1:
            guard KubeOpenAPI.v2AcceptsJSON(req.header("Accept")) else { return send(out, KubeStatus.notAcceptable()) }
            sendJSON(out, 200, KubeOpenAPI.v2())
        case "v3" where rest.count == 1:
            sendJSON(out, 200, KubeOpenAPI.v3Root())
        case "v3":
            guard let text = KubeOpenAPI.v3Text(path: rest.dropFirst().joined(separator: "/")) else { throw StatusError(KubeStatus.notFound(path: req.path)) }
            out.send(status: 200, json: text)
        default:
            throw StatusError(KubeStatus.notFound(path: req.path))
        }
    }
}

/// A failure answered with a ready Status.
struct StatusError: Error {
    let response: KubeStatus.Response
    init(_ r: KubeStatus.Response) { response = r }
}

/// A list or watch request's filter: its namespace, labelSelector and fieldSelector.
struct ObjectFilter {
    var namespace: String?
    var labels: LabelSelectorQuery?
    var fields: FieldSelectorQuery?

    init(_ t: KubeHandler.Target, query: [String: String]) throws(StatusError) {
        namespace = t.namespace
        do {
            if let l = query["labelSelector"], !l.isEmpty { labels = try LabelSelectorQuery.parse(l) }
            if let f = query["fieldSelector"], !f.isEmpty { fields = try FieldSelectorQuery.parse(f, for: t.resource) }
        } catch {
            throw StatusError(KubeStatus.badRequest(error.message))
        }
    }

    func matches(_ o: APIObject) -> Bool {
        if let ns = namespace, o.kind.namespaced, (o.metadata.namespace ?? "") != ns { return false }
        if let labels, !labels.matches(o.metadata.labels ?? [:]) { return false }
        if let fields, !fields.matches(o) { return false }
        return true
    }
}

/// One client's watch: the changes of one kind that pass its filter, as JSON lines.
final class WatchStream {
    let kind: KnownKind
    let target: KubeHandler.Target
    let filter: ObjectFilter
    /// The Table version asked for (nil: objects), and what each row carries.
    let tableVersion: String?
    let include: KubeTable.IncludeObject
    /// Whether the Table's column definitions went out (the first event carries them).
    private var sentHeaders = false
    let out: Responder
    unowned let handler: KubeHandler
    var watcher: APIServer.Watcher?
    private var ended = false

    init(kind: KnownKind, target: KubeHandler.Target, filter: ObjectFilter, tableVersion: String?, include: KubeTable.IncludeObject,
         out: Responder, handler: KubeHandler) {
        self.kind = kind
        self.target = target
        self.filter = filter
        self.tableVersion = tableVersion
        self.include = include
        self.out = out
        self.handler = handler
    }

    var closed: Bool {
        if !ended && out.isClosed { close() }
        return ended
    }

    func close() {
        guard !ended else { return }
        ended = true
        if let w = watcher { handler.removeWatcher(w) }
        watcher = nil
        out.endStream()
    }

    /// Sends one change as the client sees it through its filter (as the API server's watch cache
    /// does): an object entering the filter is ADDED, one leaving it DELETED, one changing in it
    /// MODIFIED; a change outside it is not sent. `old` is the object before the change.
    func deliver(_ type: WatchEventType, _ old: APIObject?, _ o: APIObject) {
        if closed { return }
        let was = old.map { filter.matches($0) } ?? false
        let now = type != .deleted && filter.matches(o)
        let sent: WatchEventType
        switch (was, now) {
        case (false, true): sent = .added
        case (true, true): sent = .modified
        case (true, false): sent = .deleted
        case (false, false):
            // A delete of an object in the filter whose old version is unknown (events): as is.
            guard type == .deleted, old == nil, filter.matches(o) else { return }
            sent = .deleted
        }
        do {
            if let tv = tableVersion {
                let body = try KubeTable.table(target.resource, objects: [o], now: handler.sim.now, resourceVersion: o.metadata.resourceVersion ?? "",
                                               include: include, noHeaders: sentHeaders, version: target.version, tableVersion: tv)
                sentHeaders = true
                out.stream(Array(("{\"type\":\"\(sent.rawValue)\",\"object\":" + body.jsonText() + "}\n").utf8))
            } else {
                out.stream(try handler.watchLine(sent, o, target))
            }
        } catch {
            fail(KubeStatus.internalError("\(error)"))
        }
    }

    /// A BOOKMARK event: the resourceVersion the stream has reached; `initialEventsEnd` marks the
    /// end of a streaming list's initial events (the `k8s.io/initial-events-end` annotation).
    func bookmark(resourceVersion: String, initialEventsEnd: Bool) {
        var meta: OrderedDictionary<String, JSONValue> = ["resourceVersion": .string(resourceVersion)]
        if initialEventsEnd { meta["annotations"] = .object(["k8s.io/initial-events-end": "true"]) }
        let object: JSONValue = tableVersion.map { tv in
            .object(["kind": "Table", "apiVersion": .string("meta.k8s.io/\(tv)"), "metadata": .object(meta), "columnDefinitions": .null, "rows": .array([])])
        } ?? .object(["kind": .string(target.resource.kind), "apiVersion": .string(target.apiVersion), "metadata": .object(meta)])
        out.stream(Array(("{\"type\":\"BOOKMARK\",\"object\":" + object.jsonText() + "}\n").utf8))
    }

    /// Sends an ERROR event with a Status and ends the stream.
    func fail(_ r: KubeStatus.Response) {
        out.stream(Array(("{\"type\":\"ERROR\",\"object\":" + r.body.jsonText() + "}\n").utf8))
        close()
    }
}
