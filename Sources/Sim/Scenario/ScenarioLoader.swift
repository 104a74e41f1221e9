import Foundation
import Engine

/// Reads scenario files (shared/SCENARIO-FORMAT.md), checking every key, type, duration,
/// quantity, reference and manifest before anything runs. Every error names the file, line
/// and column.
public enum ScenarioLoader {
    static let topKeys = ["name", "description", "seed", "start", "duration", "settings", "nodes", "images", "manifests",
                          "manifestFiles", "timeline", "invariants", "expect"]

    /// Loads one scenario file. `seedOverride` replaces the file's seed (`--seed`).
    public static func load(path: String, seedOverride: UInt64? = nil) throws -> Scenario {
        let s = try load(text: try readUTF8File(path), file: path, seedOverride: seedOverride)
        // As kubectl --validate=warn: the warnings go to stderr and the run goes on.
        for w in s.warnings { FileHandle.standardError.write(Data("\(w)\n".utf8)) }
        return s
    }

    public static func load(text: String, file: String, seedOverride: UInt64? = nil) throws -> Scenario {
        let docs = try parseYAMLDocuments(text, file: file)
        // A Kubernetes manifest run as a scenario: say so, rather than "unknown key apiVersion".
        if let first = docs.first, case .mapping(let m) = first.node,
           m.contains(where: { $0.key.string == "apiVersion" }), !m.contains(where: { $0.key.string == "duration" }),
           let kind = m.first(where: { $0.key.string == "kind" })?.value.string {
            throw first.error("this is a Kubernetes manifest (kind \(kind)), not a scenario; a scenario applies it with "
                + "`manifestFiles: [\((file as NSString).lastPathComponent)]` beside its cluster, timeline and checks (docs/scenario-format.md)")
        }
        guard docs.count == 1, let root = docs.first else {
            throw ScenarioError(file: file, line: 1, column: 1, message: docs.isEmpty ? "the file is empty; a scenario needs at least `duration`" : "a scenario file holds one YAML document, found \(docs.count)")
        }
        let f = try root.fields("the scenario", allowed: topKeys)
        var s = Scenario(file: file, name: ((file as NSString).lastPathComponent as NSString).deletingPathExtension)
        if let n = f["name"] { s.name = try n.string("name") }
        if let d = f["description"] { s.description = try d.string("description") }
        if let n = f["seed"] { s.seed = try n.seed("seed") }
        if let o = seedOverride { s.seed = o }
        if let n = f["start"] { s.start = try timestamp(n, "start") }
        guard let dn = f["duration"] else { throw root.error("missing required key \"duration\" (how long to simulate, e.g. 10m)") }
        s.duration = try duration(dn, "duration", in: Limits.longDuration, positive: true)
        guard s.start.adding(seconds: s.duration) < Timestamp.max else {
            throw dn.error("duration: the scenario would end after 2262-04-11T23:47:16Z, the last representable instant; start earlier or simulate less")
        }
        if let n = f["settings"] { s.settings = try settings(n) }
        var nodeImages = 0  // images on nodes, summed over nodes (each node holds its own list)
        if let n = f["nodes"] {
            var seen = Set<String>()
            for e in try n.sequence("nodes") {
                let entry = try nodeEntry(e, "nodes entry")
                try checkNodeTotal(seen.count + entry.names.count, e)
                nodeImages += entry.names.count * entry.images.count
                try checkNodeImageTotal(nodeImages, e)
                for name in entry.names {
                    if seen.contains(name) { throw e.error("node \"\(name)\" is defined twice") }
                    seen.insert(name)
                }
                s.nodes.append(entry)
            }
        }
        if let n = f["images"] { s.images = try images(n) }
        let admission = ManifestContext(admission: AdmissionOptions(defaultTolerationSeconds: Int64(s.settings.podEvictionTimeout)),
                                        validation: s.settings.fieldValidation)
        if let n = f["manifests"] {
            for m in try n.sequence("manifests") {
                s.manifests.append((try manifest(m, admission: admission, create: true), loc(m)))
            }
        }
        if let n = f["manifestFiles"] {
            let dir = (file as NSString).deletingLastPathComponent
            for pn in try n.sequence("manifestFiles") {
                let rel = try pn.string("manifestFiles entry")
                let path = rel.hasPrefix("/") ? rel : (dir.isEmpty ? rel : dir + "/" + rel)
                guard FileManager.default.fileExists(atPath: path) else { throw pn.error("cannot read manifest file \"\(path)\": no such file") }
                let t = try readUTF8File(path)
                for d in try parseYAMLDocuments(t, file: path) where !d.isNull {
                    s.manifests.append((try manifest(d, admission: admission, create: true), loc(d)))
                }
            }
        }
        var nodeNames = Set(s.nodes.flatMap(\.names))
        for (o, _) in s.manifests where o.kind == .node { nodeNames.insert(o.metadata.name ?? "") }
        if let n = f["timeline"] {
            for e in try n.sequence("timeline") {
                let entry = try timelineEntry(e, scenario: s, admission: admission)
                if case .addNodes(let ne) = entry.action {
                    ne.names.forEach { nodeNames.insert($0) }
                    try checkNodeTotal(nodeNames.count, e)
                    nodeImages += ne.names.count * ne.images.count
                    try checkNodeImageTotal(nodeImages, e)
                }
                s.timeline.append(entry)
            }
            // Node names used by node actions must exist at some point.
            for (entry, e) in zip(s.timeline, try n.sequence("timeline")) {
                if let name = entry.action.nodeName, !nodeNames.contains(name) {
                    throw nodeNameNode(e, action: entry.action.name).error("unknown node \"\(name)\" in \(entry.action.name) (nodes: \(nodeNames.sorted().prefix(8).joined(separator: ", "))\(nodeNames.count > 8 ? ", …" : ""))")
                }
            }
        }
        if let n = f["invariants"] {
            for (k, kn, v) in try n.mapping("invariants") {
                guard Scenario.invariantNames.contains(k) else {
                    var msg = "unknown invariant \"\(k)\""
                    if let sg = suggestion(k, Scenario.invariantNames) { msg += " (did you mean \"\(sg)\"?)" }
                    throw kn.error(msg + "; known invariants: \(Scenario.invariantNames.joined(separator: ", "))")
                }
                if case .scalar(let sc) = v.node, sc.string == "violated" {
                    s.invariants[k] = .violated
                } else if let b = try? v.bool("") {
                    s.invariants[k] = b ? .on : .off
                } else {
                    throw v.error("invariant \(k) must be true, false or violated, found \(v.kindName)")
                }
            }
        }
        if let n = f["expect"] {
            for e in try n.sequence("expect") { s.expectations.append(try expectation(e, scenario: s)) }
        }
        s.warnings = admission.warnings
        return s
    }

    /// Where a timeline entry names its node: the action's `node` value, or the action's value itself.
    static func nodeNameNode(_ entry: YNode, action: String) -> YNode {
        guard let v = (try? entry.mapping("a timeline entry"))?.first(where: { $0.key == action })?.value else { return entry }
        if let nd = (try? v.mapping(action))?.first(where: { $0.key == "node" })?.value { return nd }
        if case .scalar = v.node { return v }
        return entry
    }

    static func loc(_ n: YNode) -> SourceLocation { SourceLocation(file: n.file, line: n.line, column: n.column) }

    // MARK: Values

    /// A duration in `range`; `positive`: 0 is not allowed either.
    static func duration(_ n: YNode, _ what: String, in range: ClosedRange<Double>, positive: Bool = false) throws -> Double {
        let s: String
        if case .scalar(let sc) = n.node { s = sc.string } else { throw n.error("\(what) must be a duration such as 90s, 5m or 1h30m, found \(n.kindName)") }
        let v: Double
        if s == "0" {
            v = 0
        } else {
            do {
                v = try parseGoDurationSeconds(s)
            } catch {
                throw n.error("\(what): invalid duration \"\(s)\": expected Go syntax such as 90s, 5m, 1h30m or 250ms (\(error.description))")
            }
        }
        if positive, v <= 0 || !range.contains(v) {
            throw n.error("\(what) must be more than 0s and at most \(Limits.formatDuration(range.upperBound)), found \(s)")
        }
        guard range.contains(v) else { throw n.error(Limits.outOfRange(what, s, range)) }
        return v
    }

    static func durationSpec(_ n: YNode, _ what: String, in range: ClosedRange<Double>) throws -> DurationSpec {
        if case .scalar(let sc) = n.node, sc.string.contains("..") {
            let parts = sc.string.components(separatedBy: "..")
            guard parts.count == 2, let a = parseGoDuration(parts[0].trimmingCharacters(in: .whitespaces)),
                  let b = parseGoDuration(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw n.error("\(what): invalid range \"\(sc.string)\": expected two durations such as 2s..5s")
            }
            guard a <= b else { throw n.error("\(what): range \"\(sc.string)\" starts after it ends") }
            guard range.contains(a), range.contains(b) else { throw n.error(Limits.outOfRange(what, sc.string, range)) }
            return DurationSpec(low: a, high: b)
        }
        return DurationSpec(try duration(n, what, in: range))
    }

    /// A finite number within `range`.
    static func number(_ n: YNode, _ what: String, in range: ClosedRange<Double>) throws -> Double {
        let v = try n.double(what)
        guard v.isFinite, range.contains(v) else {
            throw n.error("\(what) must be a number from \(Limits.plain(range.lowerBound)) to \(Limits.plain(range.upperBound)), found \(n.kindName)")
        }
        return v
    }

    static func checkNodeTotal(_ total: Int, _ at: YNode) throws {
        if total > Limits.maxNodes {
            throw at.error("too many nodes: \(total); a scenario may define at most \(Limits.maxNodes) nodes in all (nodes and addNodes)")
        }
    }

    static func checkNodeImageTotal(_ total: Int, _ at: YNode) throws {
        if total > Limits.maxNodeImages {
            throw at.error("too many node images: \(total) (nodes times the images on each); a scenario may define at most \(Limits.maxNodeImages) in all (nodes and addNodes)")
        }
    }

    static func timestamp(_ n: YNode, _ what: String) throws -> Timestamp {
        let s = try n.string(what)
        if Timestamp.isOutOfRange(rfc3339: s) { throw n.error("\(what): time \"\(s)\" is out of range: expected an instant \(Timestamp.rangeDescription)") }
        guard let t = Timestamp(rfc3339: s) else { throw n.error("\(what) must be an RFC 3339 time such as 2022-03-24T08:45:08Z, found \"\(s)\"") }
        return t
    }

    static func timeSpec(_ n: YNode, _ what: String) throws -> TimeSpec {
        guard case .scalar(let sc) = n.node else { throw n.error("\(what) must be a duration, an RFC 3339 time or `end`, found \(n.kindName)") }
        if sc.string == "end" { return .end }
        if Timestamp.isOutOfRange(rfc3339: sc.string) { throw n.error("\(what): time \"\(sc.string)\" is out of range: expected an instant \(Timestamp.rangeDescription)") }
        if let t = Timestamp(rfc3339: sc.string) { return .instant(t) }
        if sc.string == "0" { return .offset(0) }
        if let d = parseGoDuration(sc.string) { return .offset(d) }
        throw n.error("\(what): \"\(sc.string)\" is not a duration (90s, 5m), an RFC 3339 time or `end`")
    }

    static func size(_ n: YNode, _ what: String) throws -> Int64 {
        guard case .scalar(let sc) = n.node, let q = Quantity(parsing: sc.string, allowByteUnits: true) else {
            throw n.error("\(what) must be a size such as 68.6MB, 79Gi or 500M, found \(n.kindName)")
        }
        guard q.nanos >= 0 else { throw n.error("\(what) must not be negative") }
        guard q.nanos <= Int128(Limits.maxSize) * 1_000_000_000 else {
            throw n.error("\(what) must be at most 1Pi (\(Limits.maxSize) bytes), found \(sc.string)")
        }
        return q.value
    }

    static func quantity(_ n: YNode, _ what: String) throws -> Quantity {
        guard case .scalar(let sc) = n.node, let q = Quantity(parsing: sc.string) else {
            throw n.error("\(what) must be a Kubernetes quantity such as 100m, 2, 16Gi, found \(n.kindName)")
        }
        return q
    }

    static func stringMap(_ n: YNode, _ what: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (k, _, v) in try n.mapping(what) {
            guard case .scalar(let sc) = v.node else { throw v.error("\(what).\(k) must be a string, found \(v.kindName)") }
            out[k] = sc.string
        }
        return out
    }

    static func probability(_ n: YNode, _ what: String) throws -> Double {
        let v = try n.double(what)
        guard (0...1).contains(v) else { throw n.error("\(what) must be between 0 and 1, found \(v)") }
        return v
    }

    // MARK: Sections

    static func settings(_ n: YNode) throws -> Settings {
        var s = Settings()
        let f = try n.fields("settings", allowed: ["apiLatency", "watchDelay", "clientQPS", "clientBurst",
                                                   "kubeControllerManagerQPS", "kubeControllerManagerBurst", "schedulerQPS", "schedulerBurst",
                                                   "kubeletQPS", "kubeletBurst", "workers", "bindPodsBy",
                                                   "expectationTimeout", "timeZone", "nodeMonitorGracePeriod", "podEvictionTimeout",
                                                   "imagePullBandwidth", "faults", "fieldValidation"])
        if let v = f["apiLatency"] { s.apiLatency = try durationSpec(v, "settings.apiLatency", in: Limits.delay) }
        if let v = f["watchDelay"] { s.watchDelay = try durationSpec(v, "settings.watchDelay", in: Limits.delay) }
        if let v = f["clientQPS"] { s.clientQPS = try number(v, "settings.clientQPS", in: Limits.qps) }
        if let v = f["clientBurst"] { s.clientBurst = try number(v, "settings.clientBurst", in: Limits.burst) }
        if let v = f["kubeControllerManagerQPS"] { s.kubeControllerManagerQPS = try number(v, "settings.kubeControllerManagerQPS", in: Limits.qps) }
        if let v = f["kubeControllerManagerBurst"] { s.kubeControllerManagerBurst = try number(v, "settings.kubeControllerManagerBurst", in: Limits.burst) }
        if let v = f["schedulerQPS"] { s.schedulerQPS = try number(v, "settings.schedulerQPS", in: Limits.qps) }
        if let v = f["schedulerBurst"] { s.schedulerBurst = try number(v, "settings.schedulerBurst", in: Limits.burst) }
        if let v = f["kubeletQPS"] { s.kubeletQPS = try number(v, "settings.kubeletQPS", in: Limits.qps) }
        if let v = f["kubeletBurst"] { s.kubeletBurst = try number(v, "settings.kubeletBurst", in: Limits.burst) }
        if let v = f["workers"] { s.workers = Int(try v.int("settings.workers", in: Limits.workers)) }
        if let v = f["bindPodsBy"] {
            s.bindPodsBy = try v.string("settings.bindPodsBy")
            guard ["scheduler", "nodeName"].contains(s.bindPodsBy) else { throw v.error("settings.bindPodsBy must be scheduler or nodeName, found \"\(s.bindPodsBy)\"") }
        }
        if let v = f["expectationTimeout"] { s.expectationTimeout = try duration(v, "settings.expectationTimeout", in: Limits.longDuration) }
        if let v = f["timeZone"] {
            s.timeZone = try v.string("settings.timeZone")
            guard TimeZone(identifier: s.timeZone) != nil else { throw v.error("settings.timeZone: unknown time zone \(s.timeZone)") }
        }
        if let v = f["nodeMonitorGracePeriod"] { s.nodeMonitorGracePeriod = try duration(v, "settings.nodeMonitorGracePeriod", in: Limits.longDuration) }
        if let v = f["podEvictionTimeout"] { s.podEvictionTimeout = try duration(v, "settings.podEvictionTimeout", in: Limits.longDuration) }
        if let v = f["imagePullBandwidth"] {
            s.imagePullBandwidth = Double(try size(v, "settings.imagePullBandwidth"))
            // The size is rounded up to whole bytes: 0.5 would pass as 1 without looking at the written value.
            guard case .scalar(let sc) = v.node, let q = Quantity(parsing: sc.string, allowByteUnits: true), q.nanos >= 1_000_000_000 else {
                throw v.error("settings.imagePullBandwidth must be at least 1 byte per second, found \(v.kindName)")
            }
        }
        if let v = f["faults"] { s.faults = try faults(v, "settings.faults") }
        if let v = f["fieldValidation"] {
            let word = try v.string("settings.fieldValidation")
            let names = FieldValidation.allCases.map(\.rawValue)
            guard let fv = FieldValidation.allCases.first(where: { $0.rawValue.lowercased() == word.lowercased() }) else {
                var msg = "settings.fieldValidation must be one of \(names.joined(separator: ", ")) (as kubectl's --validate), found \"\(word)\""
                if let sg = suggestion(word, names) { msg += " (did you mean \"\(sg)\"?)" }
                throw v.error(msg)
            }
            s.fieldValidation = fv
        }
        return s
    }

    static func faults(_ n: YNode, _ what: String) throws -> FaultSettings {
        var fs = FaultSettings()
        let f = try n.fields(what, allowed: FaultSettings.keys)
        func every(_ key: String) throws -> DurationSpec? {
            guard let v = f[key] else { return nil }
            // The upper bound first, told with the lower one it really has (not 0s).
            if case .scalar(let sc) = v.node, let top = sc.string.components(separatedBy: "..").last.flatMap({ parseGoDuration($0.trimmingCharacters(in: .whitespaces)) }),
               top > Limits.longDuration.upperBound {
                throw v.error(Limits.outOfRange("\(what).\(key)", sc.string, Limits.minFaultInterval...Limits.longDuration.upperBound))
            }
            let d = try durationSpec(v, "\(what).\(key)", in: Limits.longDuration)
            guard d.low >= Limits.minFaultInterval else {
                throw v.error("\(what).\(key) is a mean interval between faults and must be at least \(formatSeconds(Limits.minFaultInterval)), found \(d)")
            }
            return d
        }
        func lasting(_ key: String) throws -> DurationSpec? {
            try f[key].map { try durationSpec($0, "\(what).\(key)", in: Limits.longDuration) }
        }
        if let v = f["errorRate"] { fs.errorRate = try probability(v, "\(what).errorRate") }
        if let v = f["throttleRate"] { fs.throttleRate = try probability(v, "\(what).throttleRate") }
        if let v = f["retryAfter"] { fs.retryAfter = try durationSpec(v, "\(what).retryAfter", in: Limits.delay) }
        if let v = f["conflictRate"] { fs.conflictRate = try probability(v, "\(what).conflictRate") }
        if let v = f["watchDelay"] { fs.watchDelay = try durationSpec(v, "\(what).watchDelay", in: Limits.delay) }
        fs.watchDisconnectEvery = try every("watchDisconnectEvery")
        fs.controllerCrashEvery = try every("controllerCrashEvery")
        fs.controllerDowntime = try lasting("controllerDowntime")
        fs.kubeletStallEvery = try every("kubeletStallEvery")
        fs.kubeletStallFor = try lasting("kubeletStallFor")
        fs.nodeLossEvery = try every("nodeLossEvery")
        fs.nodeLossFor = try lasting("nodeLossFor")
        fs.podKillEvery = try every("podKillEvery")
        fs.diskFillEvery = try every("diskFillEvery")
        if let v = f["diskFillSize"] { fs.diskFillSize = try sizeSpec(v, "\(what).diskFillSize") }
        fs.diskFillFor = try lasting("diskFillFor")
        return fs
    }

    /// A size or a range of sizes (`5Gi..20Gi`).
    static func sizeSpec(_ n: YNode, _ what: String) throws -> SizeSpec {
        if case .scalar(let sc) = n.node, sc.string.contains("..") {
            let parts = sc.string.components(separatedBy: "..")
            guard parts.count == 2 else { throw n.error("\(what): invalid range \"\(sc.string)\": expected two sizes such as 5Gi..20Gi") }
            func one(_ t: String) throws -> Int64 {
                let t = t.trimmingCharacters(in: .whitespaces)
                guard let q = Quantity(parsing: t, allowByteUnits: true) else {
                    throw n.error("\(what): invalid range \"\(sc.string)\": expected two sizes such as 5Gi..20Gi")
                }
                guard q.nanos >= 0, q.nanos <= Int128(Limits.maxSize) * 1_000_000_000 else {
                    throw n.error("\(what) must be from 0 to 1Pi (\(Limits.maxSize) bytes), found \(sc.string)")
                }
                return q.value
            }
            let a = try one(parts[0]), b = try one(parts[1])
            guard a <= b else { throw n.error("\(what): range \"\(sc.string)\" starts after it ends") }
            return SizeSpec(low: a, high: b)
        }
        return SizeSpec(try size(n, what))
    }

    static func nodeEntry(_ n: YNode, _ what: String) throws -> NodeEntry {
        let f = try n.fields(what, allowed: ["name", "namePrefix", "count", "labels", "annotations", "taints", "unschedulable",
                                             "allocatable", "disk", "images", "ready"])
        var e = NodeEntry(location: loc(n))
        if let v = f["name"] {
            guard f["namePrefix"] == nil, f["count"] == nil else { throw v.error("a node entry has either name, or namePrefix with count") }
            e.names = [try v.string("name")]
        } else if let p = f["namePrefix"] {
            guard let c = f["count"] else { throw p.error("namePrefix needs count") }
            let prefix = try p.string("namePrefix")
            let count = try c.int("count", in: 1...Int64(Limits.maxNodes))
            e.names = (1...Int(count)).map { "\(prefix)\($0)" }
        } else {
            throw n.error("a node entry needs name, or namePrefix with count")
        }
        for name in e.names where !isDNS1123SubdomainName(name) {
            throw (f["name"] ?? f["namePrefix"]!).error("node name \"\(name)\" is not a valid RFC 1123 subdomain (lower case alphanumerics, '-' and '.')")
        }
        if let v = f["labels"] { e.labels = try stringMap(v, "labels") }
        if let v = f["annotations"] { e.annotations = try stringMap(v, "annotations") }
        if let v = f["taints"] { e.taints = try v.sequence("taints").map { try taint($0) } }
        if let v = f["unschedulable"] { e.unschedulable = try v.bool("unschedulable") }
        if let v = f["allocatable"] {
            for (k, _, q) in try v.mapping("allocatable") { e.allocatable[k] = try quantity(q, "allocatable.\(k)") }
        }
        if let v = f["disk"] {
            let d = try v.fields("disk", allowed: ["capacity", "used"])
            if let c = d["capacity"] { e.diskCapacity = try size(c, "disk.capacity") }
            if let u = d["used"] { e.diskUsed = try size(u, "disk.used") }
            if e.diskUsed > e.diskCapacity { throw v.error("disk.used is larger than disk.capacity") }
        }
        if let v = f["images"] {
            for i in try v.sequence("images") {
                let g = try i.fields("an images entry", allowed: ["name", "namePrefix", "count", "size"])
                guard let sz = g["size"] else { throw i.error("an images entry needs size") }
                let bytes = try size(sz, "size")
                if let nm = g["name"] {
                    e.images.append((ImageRef.normalize(try nm.string("name")), bytes))
                } else if let p = g["namePrefix"], let c = g["count"] {
                    let prefix = try p.string("namePrefix")
                    let count = try c.int("count", in: Limits.imageCount)
                    for k in 1...Int(count) { e.images.append((ImageRef.normalize("\(prefix)\(k)"), bytes)) }
                } else {
                    throw i.error("an images entry needs name, or namePrefix with count")
                }
                if e.images.count > Int(Limits.imageCount.upperBound) {
                    throw i.error("too many images on one node: \(e.images.count); a node entry may list at most \(Limits.imageCount.upperBound) in all")
                }
            }
        }
        if let v = f["ready"] { e.ready = try v.bool("ready") }
        return e
    }

    static func taint(_ n: YNode) throws -> Taint {
        let f = try n.fields("a taint", allowed: ["key", "value", "effect"])
        guard let k = f["key"] else { throw n.error("a taint needs key") }
        guard let e = f["effect"] else { throw n.error("a taint needs effect (NoSchedule, PreferNoSchedule or NoExecute)") }
        let effect = try e.string("effect")
        guard [Taint.noSchedule, Taint.preferNoSchedule, Taint.noExecute].contains(effect) else {
            throw e.error("taint effect must be NoSchedule, PreferNoSchedule or NoExecute, found \"\(effect)\"")
        }
        return Taint(key: try k.string("key"), value: try f["value"].map { try $0.string("value") }, effect: effect)
    }

    static func images(_ n: YNode) throws -> ImageCatalog {
        var c = ImageCatalog()
        for (key, _, v) in try n.mapping("images") {
            var b = ImageBehavior()
            let f = try v.fields("images[\(key)]", allowed: ["size", "run", "exitCode", "failureRate", "effects"])
            if let s = f["size"] { b.size = try size(s, "size") }
            if let r = f["run"] {
                if case .scalar(let sc) = r.node, sc.string == "forever" { b.run = .forever } else { b.run = .duration(try durationSpec(r, "run", in: Limits.longDuration)) }
            }
            if let e = f["exitCode"] { b.exitCode = Int32(try e.int("exitCode", in: Int64(Int32.min)...Int64(Int32.max))) }
            if let r = f["failureRate"] { b.failureRate = try probability(r, "failureRate") }
            if let es = f["effects"] {
                for e in try es.sequence("effects") {
                    let m = try e.mapping("an effect")
                    guard m.count == 1, let (k, kn, val) = m.first else { throw e.error("an effect has exactly one of deleteImages, freeDisk, fillDisk") }
                    switch k {
                    case "deleteImages":
                        let d = try val.fields("deleteImages", allowed: ["match", "keepInUse"])
                        guard let match = d["match"] else { throw val.error("deleteImages needs match (a glob such as docker.io/minchou/*)") }
                        b.effects.append(.deleteImages(match: try match.string("match"), keepInUse: try d["keepInUse"]?.bool("keepInUse") ?? true))
                    case "freeDisk": b.effects.append(.freeDisk(try size(val, "freeDisk")))
                    case "fillDisk": b.effects.append(.fillDisk(try size(val, "fillDisk")))
                    default: throw kn.error("unknown effect \"\(k)\"; expected deleteImages, freeDisk or fillDisk")
                    }
                }
            }
            c.add(key: key, b)
        }
        return c
    }

    /// What manifests are read with: admission options, the field validation mode, and the
    /// warnings collected under `Warn`.
    final class ManifestContext {
        let admission: AdmissionOptions
        let validation: FieldValidation
        var warnings: [ScenarioError] = []
        init(admission: AdmissionOptions, validation: FieldValidation) {
            self.admission = admission
            self.validation = validation
        }
    }

    /// Decodes, validates and admits a manifest, reporting errors at the offending field.
    /// Unknown fields are handled as `kubectl apply --validate=...` would have the API server
    /// do; `create` manifests (those in `manifests`) must not set `metadata.resourceVersion`.
    static func manifest(_ n: YNode, admission ctx: ManifestContext, create: Bool = false) throws -> APIObject {
        guard case .mapping = n.node else { throw n.error("a manifest must be a map (a Kubernetes object), found \(n.kindName)") }
        try n.requireFiniteNumbers()
        var raw = n.json()
        func decode() throws -> APIObject {
            do {
                return try APIObject.decode(manifest: raw)
            } catch let e as DecodingError {
                if let overflow = int32Overflow(in: raw, n) { throw overflow }
                throw decodingError(e, n)
            } catch let e as APIObject.DecodeError {
                var msg = e.description
                if let k = raw["kind"]?.stringValue, KnownKind(rawValue: k) == nil,
                   let s = suggestion(k, KnownKind.allCases.filter { $0 != .event }.map(\.rawValue)) {
                    msg += " (did you mean \"\(s)\"?)"
                }
                throw (n.descend([AnyCodingKey("kind")])).error(msg)
            }
        }
        var obj = try decode()
        let unknown = ManifestSchema.unknownFields(of: obj)
        if let first = unknown.first {
            switch ctx.validation {
            case .strict:
                // The API server reports them all at once; the first is where the error points.
                var msg = "strict decoding error: \(first.message)"
                if unknown.count > 1 { msg += "; also " + unknown.dropFirst().map { "unknown field \"\($0.path)\"" }.joined(separator: ", ") }
                msg += " (\(obj.kind.rawValue) \"\(obj.metadata.name ?? "")\"; settings.fieldValidation: Warn or Ignore drops unknown fields instead)"
                throw n.keyNode(first.steps).error(msg)
            case .warn, .ignore:
                for u in unknown {
                    if ctx.validation == .warn { ctx.warnings.append(n.keyNode(u.steps).error("Warning: \(u.message)")) }
                    raw = raw.removing(u.steps[...])
                }
                obj = try decode()
            }
        }
        guard !(obj.metadata.name ?? "").isEmpty || !(obj.metadata.generateName ?? "").isEmpty else {
            throw n.error("\(obj.kind.rawValue) manifest needs metadata.name")
        }
        if create, let rv = obj.metadata.resourceVersion, !rv.isEmpty {
            throw n.keyNode([.key("metadata"), .key("resourceVersion")]).error("resourceVersion should not be set on objects to be created (the API server's answer to creating \(obj.kind.rawValue) \"\(obj.metadata.name ?? "")\"; remove metadata.resourceVersion)")
        }
        var probe = obj
        var m = probe.metadata
        if m.uid == nil { m.uid = "00000000-0000-4000-8000-000000000000" }
        probe.metadata = m
        do {
            _ = try Admission.admit(probe, old: nil, options: ctx.admission)
        } catch {
            // Pointed at the first refused field where the manifest spells it (else the deepest part it spells).
            let at = error.causes.first.map { n.keyNode(fieldPathSteps($0.field)) } ?? n
            throw at.error("admission rejected \(obj.kind.rawValue) \"\(obj.metadata.name ?? "")\": \(error.message)")
        }
        return obj
    }

    /// A field error's path (`spec.template.spec.containers[0].image`, `metadata.annotations[a.b/c]`)
    /// as steps into a manifest (a list selector, which a field error does not use, ends them).
    static func fieldPathSteps(_ path: String) -> [UnknownField.Step] {
        guard let p = try? FieldPath.parse(path) else { return [] }
        var steps: [UnknownField.Step] = []
        for seg in p.segments {
            switch seg {
            case .key(let k): steps.append(.key(k))
            case .index(let n): steps.append(.index(n))
            case .select: return steps
            }
        }
        return steps
    }

    /// A manifest that did not decode because an integer does not fit its 32-bit field (the
    /// decoder says only that the data was not valid): the first such integer whose replacement
    /// by 0 makes that error go, as an error at its field. Only looked for after a failure.
    static func int32Overflow(in raw: JSONValue, _ n: YNode) -> ScenarioError? {
        var leaves: [([UnknownField.Step], Int64)] = []
        func walk(_ v: JSONValue, _ path: [UnknownField.Step]) {
            switch v {
            case .int(let i) where i > Int64(Int32.max) || i < Int64(Int32.min): leaves.append((path, i))
            case .object(let o): for (k, x) in o { walk(x, path + [.key(k)]) }
            case .array(let a): for (i, x) in a.enumerated() { walk(x, path + [.index(i)]) }
            default: break
            }
        }
        walk(raw, [])
        func replacing(_ v: JSONValue, _ path: ArraySlice<UnknownField.Step>) -> JSONValue {
            guard let step = path.first else { return .int(0) }
            switch (v, step) {
            case (.object(var o), .key(let k)):
                if let x = o[k] { o[k] = replacing(x, path.dropFirst()) }
                return .object(o)
            case (.array(var a), .index(let i)) where i < a.count:
                a[i] = replacing(a[i], path.dropFirst())
                return .array(a)
            default: return v
            }
        }
        func corrupted(_ v: JSONValue) -> Bool {
            do { _ = try APIObject.decode(manifest: v); return false } catch DecodingError.dataCorrupted { return true } catch { return false }
        }
        for (path, value) in leaves where !corrupted(replacing(raw, path[...])) {
            let field = path.map { if case .key(let k) = $0 { return ".\(k)" } else if case .index(let i) = $0 { return "[\(i)]" } else { return "" } }.joined().dropFirst()
            return n.keyNode(path).error("\(field): \(value) is out of range: this field is a 32-bit integer (from -2147483648 to 2147483647)")
        }
        return nil
    }

    static func decodingError(_ e: DecodingError, _ root: YNode) -> ScenarioError {
        switch e {
        case .typeMismatch(let t, let c):
            let at = root.descend(c.codingPath)
            if typeName(t) == "an integer", case .scalar(let sc) = at.node, Int64(sc.string) == nil, sc.string.allSatisfy({ $0.isNumber || $0 == "-" }) {
                let range = String(describing: t) == "Int32" ? "a 32-bit integer (from -2147483648 to 2147483647)" : "a 64-bit integer (from -9223372036854775808 to 9223372036854775807)"
                return at.error("\(pathString(c.codingPath)): \(sc.string) is out of range: this field is \(range)")
            }
            return at.error("\(pathString(c.codingPath)): expected \(typeName(t)), found \(at.kindName)")
        case .valueNotFound(let t, let c):
            return root.descend(c.codingPath).error("\(pathString(c.codingPath)): expected \(typeName(t)), found null")
        case .keyNotFound(let k, let c):
            return root.descend(c.codingPath).error("\(pathString(c.codingPath + [k])): required field is missing")
        case .dataCorrupted(let c):
            return root.descend(c.codingPath).error("\(pathString(c.codingPath)): \(c.debugDescription)")
        @unknown default:
            return root.error("\(e)")
        }
    }

    static func pathString(_ p: [CodingKey]) -> String {
        var s = ""
        for k in p {
            if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
        }
        return s.isEmpty ? "(object)" : s
    }

    static func typeName(_ t: Any.Type) -> String {
        let n = String(describing: t)
        switch n {
        case "String": return "a string"
        case "Int32", "Int64", "Int": return "an integer"
        case "Bool": return "true or false"
        case "Double": return "a number"
        case "IntOrString": return "an integer or a percentage such as \"50%\""
        case "Quantity": return "a quantity such as 100m, 2 or 16Gi"
        case "Timestamp": return "an RFC 3339 time"
        default:
            if n.hasPrefix("Array") { return "a list" }
            if n.hasPrefix("Dictionary") { return "a map" }
            return "a \(n)"
        }
    }

    static func ref(_ n: YNode, _ what: String) throws -> ObjectRef {
        let s = try n.string(what)
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw n.error("\(what) must be Kind/name or Kind/namespace/name (e.g. bcj/hello), found \"\(s)\"")
        }
        guard let kind = KnownKind(lenient: parts[0]) else {
            throw n.error("unknown kind \"\(parts[0])\" in \"\(s)\"; expected one of Node (no), Pod (po), Job, BroadcastJob (bcj), AdvancedCronJob (acj)")
        }
        if parts.count == 3 {
            guard kind.namespaced else { throw n.error("\(kind.rawValue) is not namespaced; write \(parts[0])/\(parts[2])") }
            return ObjectRef(kind: kind, namespace: parts[1], name: parts[2])
        }
        return ObjectRef(kind: kind, namespace: kind.namespaced ? "default" : "", name: parts[1])
    }

    // MARK: Timeline

    static let actionNames = ["apply", "delete", "patch", "addNodes", "deleteNode", "cordon", "uncordon", "taint", "untaint", "label",
                              "nodeDown", "nodeUp", "fillDisk", "freeDisk", "killPod", "deletePod", "restartControllers",
                              "stopControllers", "startControllers", "faults"]

    static func timelineEntry(_ n: YNode, scenario: Scenario, admission: ManifestContext) throws -> TimelineEntry {
        let f = try n.fields("a timeline entry", allowed: ["at"] + actionNames)
        guard let atn = f["at"] else { throw n.error("a timeline entry needs at: (a duration, an RFC 3339 time or end)") }
        let at = try timeSpec(atn, "at")
        let actions = f.keys.filter { $0 != "at" }.sorted()
        guard actions.count == 1, let name = actions.first, let v = f[name] else {
            throw n.error(actions.isEmpty ? "a timeline entry needs one action (\(actionNames.joined(separator: ", ")))" : "a timeline entry has exactly one action, found \(actions.joined(separator: ", "))")
        }
        let off = scenario.offset(at)
        if off < 0 || off > scenario.duration { throw atn.error("at: \(atn.writtenOr(formatSeconds(off))) is outside the scenario (0 to \(formatSeconds(scenario.duration)))") }
        let action: Action
        switch name {
        case "apply": action = .apply(try manifest(v, admission: admission))
        case "delete": action = .delete(try ref(v, "delete"))
        case "patch":
            let m = try v.fields("patch", allowed: ["ref", "merge"])
            guard let r = m["ref"], let mg = m["merge"] else { throw v.error("patch needs ref and merge") }
            guard case .mapping = mg.node else { throw mg.error("merge must be a map (a JSON merge patch)") }
            try mg.requireFiniteNumbers()
            action = .patch(try ref(r, "ref"), mg.json())
        case "addNodes": action = .addNodes(try nodeEntry(v, "addNodes"))
        case "deleteNode": action = .deleteNode(try v.string("deleteNode"))
        case "cordon": action = .cordon(try v.string("cordon"))
        case "uncordon": action = .uncordon(try v.string("uncordon"))
        case "nodeDown": action = .nodeDown(try v.string("nodeDown"))
        case "nodeUp": action = .nodeUp(try v.string("nodeUp"))
        case "taint":
            let m = try v.fields("taint", allowed: ["node", "key", "value", "effect"])
            guard let nd = m["node"] else { throw v.error("taint needs node") }
            action = .taint(node: try nd.string("node"), try taint(v.withoutKey("node")))
        case "untaint":
            let m = try v.fields("untaint", allowed: ["node", "key"])
            guard let nd = m["node"], let k = m["key"] else { throw v.error("untaint needs node and key") }
            action = .untaint(node: try nd.string("node"), key: try k.string("key"))
        case "label":
            let m = try v.fields("label", allowed: ["node", "labels"])
            guard let nd = m["node"], let ls = m["labels"] else { throw v.error("label needs node and labels") }
            var labels: [String: String?] = [:]
            for (k, _, lv) in try ls.mapping("labels") {
                if lv.isNull { labels[k] = .some(nil) } else { labels[k] = .some(try lv.string("labels.\(k)")) }
            }
            action = .label(node: try nd.string("node"), labels: labels)
        case "fillDisk", "freeDisk":
            let m = try v.fields(name, allowed: ["node", "size"])
            guard let nd = m["node"], let sz = m["size"] else { throw v.error("\(name) needs node and size") }
            let node = try nd.string("node"), bytes = try size(sz, "size")
            action = name == "fillDisk" ? .fillDisk(node: node, size: bytes) : .freeDisk(node: node, size: bytes)
        case "killPod", "deletePod":
            let m = try v.fields(name, allowed: ["ref", "node", "owner"])
            let sel: PodSelector
            if let r = m["ref"] {
                let rr = try ref(r, "ref")
                guard rr.kind == .pod else { throw r.error("\(name) ref must be a pod (po/NAME)") }
                sel = .ref(rr)
            } else if let nd = m["node"], let ow = m["owner"] {
                sel = .nodeOwner(node: try nd.string("node"), owner: try ref(ow, "owner"))
            } else {
                throw v.error("\(name) needs ref, or node and owner")
            }
            action = name == "killPod" ? .killPod(sel) : .deletePod(sel)
        case "restartControllers", "stopControllers", "startControllers":
            guard try v.bool(name) else { throw v.error("\(name) takes true") }
            action = name == "restartControllers" ? .restartControllers : name == "stopControllers" ? .stopControllers : .startControllers
        case "faults": action = .faults(try faults(v, "faults"))
        default: throw n.error("unknown action \(name)")
        }
        return TimelineEntry(at: at, action: action, location: loc(n))
    }

    // MARK: Expectations

    static func expectation(_ n: YNode, scenario: Scenario) throws -> Expectation {
        let f = try n.fields("an expect entry", allowed: ["at", "object", "fields", "absent", "count", "where", "is", "node", "events"])
        guard let atn = f["at"] else { throw n.error("an expect entry needs at:") }
        let at = try timeSpec(atn, "at")
        let off = scenario.offset(at)
        if off < 0 || off > scenario.duration { throw atn.error("at: \(atn.writtenOr(formatSeconds(off))) is outside the scenario (0 to \(formatSeconds(scenario.duration)))") }
        let subjects = ["object", "absent", "count", "node", "events"].filter { f[$0] != nil }
        guard subjects.count == 1 else {
            throw n.error(subjects.isEmpty ? "an expect entry needs one subject: object, absent, count, node or events" : "an expect entry has exactly one subject, found \(subjects.joined(separator: ", "))")
        }
        let subject: ExpectSubject
        switch subjects[0] {
        case "object":
            guard let fl = f["fields"] else { throw n.error("object needs fields: {PATH: MATCHER}") }
            subject = .object(try ref(f["object"]!, "object"), fields: try fieldMatchers(fl))
        case "absent":
            subject = .absent(try ref(f["absent"]!, "absent"))
        case "count":
            let kn = f["count"]!
            guard let kind = KnownKind(lenient: try kn.string("count")) else { throw kn.error("unknown kind \"\(try kn.string("count"))\"") }
            guard let isn = f["is"] else { throw n.error("count needs is: MATCHER") }
            var w = WhereClause()
            if let wn = f["where"] {
                let wf = try wn.fields("where", allowed: ["namespace", "labels", "node", "phase", "owner", "namePrefix"])
                if let v = wf["namespace"] { w.namespace = try v.string("namespace") }
                if let v = wf["labels"] { w.labels = try stringMap(v, "labels") }
                if let v = wf["node"] { w.node = try v.string("node") }
                if let v = wf["phase"] { w.phase = try v.string("phase") }
                if let v = wf["owner"] { w.owner = try ref(v, "owner") }
                if let v = wf["namePrefix"] { w.namePrefix = try v.string("namePrefix") }
            }
            subject = .count(kind, where: w, is: try countMatcher(isn, "count"))
        case "node":
            guard let fl = f["fields"] else { throw n.error("node needs fields: {PATH: MATCHER}") }
            subject = .node(try f["node"]!.string("node"), fields: try fieldMatchers(fl))
        default:
            let en = f["events"]!
            let ef = try en.fields("events", allowed: ["reason", "object", "type"])
            guard let r = ef["reason"] else { throw en.error("events needs reason") }
            guard let isn = f["is"] else { throw n.error("events needs is: MATCHER") }
            subject = .events(reason: try r.string("reason"), object: try ef["object"].map { try ref($0, "object") },
                              type: try ef["type"]?.string("type"), is: try countMatcher(isn, "events"))
        }
        return Expectation(at: at, subject: subject, location: loc(n))
    }

    static func fieldMatchers(_ n: YNode) throws -> [(path: String, matcher: Matcher)] {
        try n.mapping("fields").map { k, kn, v in
            do { _ = try FieldPath.parse(k) } catch { throw kn.error("bad field path \"\(k)\": \(error)") }
            return (k, try matcher(v))
        }
    }

    static let matcherOperators = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "matches", "exists"]
    /// The operators that combine in one map (a range such as `{gte: 58, lte: 60}`).
    static let combinableOperators = ["lt", "lte", "gt", "gte", "ne"]

    /// A plain value (equality), or a map of operators. A map's keys must all be operators, so a
    /// misspelt one (`{gtee: 3}`) is an error rather than an equality with a map; equality with
    /// a map value is written `{eq: {...}}`.
    static func matcher(_ n: YNode) throws -> Matcher {
        guard case .mapping = n.node else { return .eq(n.json()) }
        let entries = try n.mapping("a matcher")
        for (k, kn, _) in entries where !matcherOperators.contains(k) {
            var msg = "unknown matcher operator \"\(k)\""
            if let s = suggestion(k, matcherOperators) { msg += " (did you mean \"\(s)\"?)" }
            msg += "; expected one of: \(matcherOperators.joined(separator: ", ")) (to compare with a map, write {eq: {...}})"
            throw kn.error(msg)
        }
        guard !entries.isEmpty else { throw n.error("a matcher map needs an operator: \(matcherOperators.joined(separator: ", ")) (to compare with an empty map, write {eq: {}})") }
        if entries.count > 1 {
            if let (k, kn, _) = entries.first(where: { !combinableOperators.contains($0.key) }) {
                throw kn.error("matcher operator \"\(k)\" does not combine with others in one map; only \(combinableOperators.joined(separator: ", ")) do (a range such as {gte: 58, lte: 60})")
            }
            return .all(try entries.map { try single($0.key, $0.value) })
        }
        return try single(entries[0].key, entries[0].value)
    }

    /// The matcher of a `count` or `events` check: what it compares is a number, so every operand
    /// must be one (`is: "two"` would otherwise load and fail every run, whatever happened).
    static func countMatcher(_ n: YNode, _ subject: String) throws -> Matcher {
        let m = try matcher(n)
        func number(_ v: YNode) throws {
            switch v.json() {
            case .int(let i) where i >= 0: return
            default: throw v.error("\(subject) is a number of objects: expected a whole number of 0 or more, found \(v.json().renderedQuoted)")
            }
        }
        guard case .mapping = n.node else {
            try number(n)
            return m
        }
        for (k, kn, v) in try n.mapping("a matcher") {
            switch k {
            case "in": for e in try v.sequence("in") { try number(e) }
            case "matches", "exists": throw kn.error("\(subject) is a number of objects: \(k) does not apply; use eq, ne, lt, lte, gt, gte or in")
            default: try number(v)
            }
        }
        return m
    }

    private static func single(_ k: String, _ v: YNode) throws -> Matcher {
        switch k {
        case "eq": return .eq(v.json())
        case "ne": return .ne(v.json())
        case "lt": return .lt(v.json())
        case "lte": return .lte(v.json())
        case "gt": return .gt(v.json())
        case "gte": return .gte(v.json())
        case "in": return .isIn(try v.sequence("in").map { $0.json() })
        case "matches":
            let r = try v.string("matches")
            guard (try? NSRegularExpression(pattern: r)) != nil else { throw v.error("invalid regular expression \"\(r)\"") }
            return .matches(r)
        default: return .exists(try v.bool("exists"))
        }
    }
}

extension Action {
    /// The node an action names, if any (checked against known nodes at load time).
    var nodeName: String? {
        switch self {
        case .deleteNode(let n), .cordon(let n), .uncordon(let n), .nodeDown(let n), .nodeUp(let n): return n
        case .taint(let n, _), .untaint(let n, _), .label(let n, _), .fillDisk(let n, _), .freeDisk(let n, _): return n
        case .killPod(.nodeOwner(let n, _)), .deletePod(.nodeOwner(let n, _)): return n
        default: return nil
        }
    }
}

extension YNode {
    /// A copy of a map node without one key.
    func withoutKey(_ key: String) -> YNode {
        guard case .mapping(var m) = node else { return self }
        m = .init(m.filter { $0.key.string != key }, m.tag, m.style, m.mark)
        return YNode(node: .mapping(m), file: file)
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

/// The bounds the loader puts on numbers (docs/scenario-format.md, "Limits"): every number that reaches
/// arithmetic is checked here, so a run never overflows or allocates without bound.
enum Limits {
    /// Scenario duration, timeouts, grace periods and container run times: up to 10 years.
    static let longDuration: ClosedRange<Double> = 0...(87_600 * 3600)
    /// apiLatency and watchDelay (each end of a range): up to 1 hour.
    static let delay: ClosedRange<Double> = 0...3600
    /// The shortest mean interval between injected faults (`faults.*Every`).
    static let minFaultInterval: Double = 1
    static let qps: ClosedRange<Double> = 0.001...1_000_000
    static let burst: ClosedRange<Double> = 1...1_000_000
    static let workers: ClosedRange<Int64> = 1...1000
    /// Nodes in all (about 2.6 MB of memory per 1000 nodes, before their pods).
    static let maxNodes = 100_000
    static let imageCount: ClosedRange<Int64> = 1...10_000
    /// Images on nodes, summed over nodes: each node keeps its own list once its kubelet pulls or
    /// removes one (measured: 2 million cost about 80 MB), so 100000 nodes with 10000 images each cannot be asked for.
    static let maxNodeImages = 10_000_000
    /// Sizes (disk, images, fills, bandwidth): at most 1Pi bytes each.
    static let maxSize: Int64 = 1 << 50

    static func outOfRange(_ what: String, _ written: String, _ r: ClosedRange<Double>) -> String {
        "\(what) must be from \(formatSeconds(r.lowerBound)) to \(formatDuration(r.upperBound)), found \(written)"
    }

    /// A bound in Go duration syntax (`87600h`, `1h`).
    static func formatDuration(_ s: Double) -> String {
        if s >= 3600, s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int64(s / 3600))h" }
        return formatSeconds(s)
    }

    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
