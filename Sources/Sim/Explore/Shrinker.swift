import Foundation
import Engine
import Yams

typealias YNodeT = Yams.Node

/// What to shrink: a scenario file that fails under one seed (and mutant).
public struct ShrinkRequest: Sendable {
    public var file: String
    public var seed: UInt64
    public var mutant: Mutant?
    /// The fault profile the failing run was under (`--faults`).
    public var faults: FaultProfile?
    /// Keep the failure whose key contains this text (`onePodPerNode`, `FILE:22:5`); nil keeps the
    /// run's first failure.
    public var keep: String?
    /// Where the result goes (its name and the file name in its checks' locations).
    public var output: String
    /// At most this many runs of candidates.
    public var maxRuns: Int

    public init(file: String, seed: UInt64, mutant: Mutant? = nil, faults: FaultProfile? = nil, keep: String? = nil, output: String,
                maxRuns: Int = 400) {
        self.faults = faults
        self.file = file
        self.seed = seed
        self.mutant = mutant
        self.keep = keep
        self.output = output
        self.maxRuns = maxRuns
    }
}

/// Why a shrink cannot start: the run passes, or `keep` matches nothing.
public struct ShrinkError: Error, CustomStringConvertible {
    public var description: String
}

/// The size of a scenario, as `shrink` reports it.
public struct ScenarioSize: Sendable, Equatable, CustomStringConvertible {
    public var nodes: Int
    public var timeline: Int
    public var checks: Int
    public var manifests: Int
    public var duration: Double

    init(_ s: Scenario) {
        var names = Set(s.nodes.flatMap(\.names))
        for e in s.timeline { if case .addNodes(let n) = e.action { n.names.forEach { names.insert($0) } } }
        nodes = names.count
        timeline = s.timeline.count
        checks = s.expectations.count
        manifests = s.manifests.count
        duration = s.duration
    }

    public var description: String {
        "\(nodes) \(nodes == 1 ? "node" : "nodes"), \(timeline) timeline \(timeline == 1 ? "action" : "actions"), \(checks) \(checks == 1 ? "check" : "checks"), \(manifests) \(manifests == 1 ? "manifest" : "manifests"), \(formatSeconds(duration))"
    }
}

/// A shrunk scenario.
public struct ShrinkResult: Sendable {
    /// The scenario file's text.
    public var yaml: String
    /// The failure it keeps.
    public var target: RunFailure
    /// Every failure of the original run.
    public var signature: [RunFailure]
    public var before: ScenarioSize
    public var after: ScenarioSize
    /// Candidate runs made.
    public var runs: Int
    /// Whether the result passes with the engine unmutated (nil without a mutant).
    public var passesWithoutMutant: Bool?
    /// The fault profile the result must still be run under (`--faults`), or nil when the
    /// profile's faults are written out in the file (`settings.faults`).
    public var replayFaults: FaultProfile?
}

/// Greedy reduction of a failing scenario (delta debugging on the YAML tree): each step removes
/// something — a shorter duration, fewer nodes, timeline actions, checks, manifests, settings —
/// and is kept only if the run still fails with the same failure (the same invariant, or the same
/// check). Works on the file's YAML so that the result reads like the original, minus what went.
/// Cost: one simulation per candidate; runs get cheaper as the scenario shrinks.
public final class Shrinker {
    let request: ShrinkRequest
    let log: (String) -> Void
    private(set) var runs = 0
    /// The current best tree: top-level pairs in order.
    private var root: [(key: String, value: YNodeT)] = []
    private var target: RunFailure!
    /// The target check's `expect` entry, when the failure is a check.
    private var targetExpect: YNodeT?
    /// When the target failed in the current best run (seconds after the start).
    private var targetOffset: Double = 0
    /// The profile candidates run under: nil once its faults are written into the tree.
    private var runFaults: FaultProfile?

    public init(_ request: ShrinkRequest, log: @escaping (String) -> Void) {
        self.request = request
        self.log = log
    }

    public func shrink() throws -> ShrinkResult {
        let original = try ScenarioLoader.load(path: request.file, seedOverride: request.seed)
        runFaults = request.faults
        let first = run(original)
        guard !first.failures.isEmpty else {
            throw ShrinkError(description: "\(request.file) passes under seed \(request.seed)\(request.mutant.map { " with mutant \($0.name)" } ?? ""): nothing to shrink")
        }
        let signature = first.failures
        log("failure signature (seed \(request.seed)\(request.faults.map { ", faults \($0.rawValue)" } ?? "")\(request.mutant.map { ", mutant \($0.name)" } ?? "")):")
        for f in signature { log("  \(f.key)\(f.offset.map { " (first at +\(formatSeconds($0)))" } ?? "")") }
        if let keep = request.keep {
            guard let t = signature.first(where: { $0.key.contains(keep) }) else {
                throw ShrinkError(description: "--keep \"\(keep)\" matches none of the run's failures: \(signature.map(\.key).joined(separator: "; "))")
            }
            target = t
        } else {
            target = signature.min { ($0.offset ?? .infinity) < ($1.offset ?? .infinity) }!
        }
        guard target.kind != .crash else { throw ShrinkError(description: "a crash cannot be shrunk in process") }
        log("keeping: \(target.key)")
        targetOffset = target.offset ?? original.duration

        try loadTree(original)
        if let profile = request.faults, profile != FaultProfile.none {
            // The profile's faults written into the file make it stand alone and let them be shrunk.
            let written = writingOut(profile)
            runFaults = nil
            if test(written).0 {
                root = written
                log("faults: profile \(profile.rawValue) written out in settings.faults")
            } else {
                runFaults = profile
                log("faults: profile \(profile.rawValue) kept as --faults (written out, the run differs)")
            }
        }
        guard test(root).0 else {
            throw ShrinkError(description: "the scenario, rewritten with its manifest files inlined and seed \(request.seed) fixed, no longer fails the same way; nothing was written")
        }
        let before = ScenarioSize(original)

        var changed = true
        var pass = 0
        while changed && pass < 4 && runs < request.maxRuns {
            pass += 1
            changed = false
            changed = shrinkDuration() || changed
            changed = shrinkNodes() || changed
            changed = shrinkList("timeline", what: "timeline action") || changed
            changed = shrinkList("expect", what: "check", keeping: targetExpect) || changed
            changed = shrinkList("manifests", what: "manifest") || changed
            changed = shrinkFaults() || changed
            changed = shrinkMapping("settings", what: "setting") || changed
            changed = shrinkMapping("images", what: "image") || changed
            changed = shrinkMapping("invariants", what: "invariant setting") || changed
        }
        if runs >= request.maxRuns { log("stopped after \(runs) runs (the limit)") }

        let yaml = try finalText()
        let final = try ScenarioLoader.load(text: yaml, file: request.output)
        var passes: Bool?
        if request.mutant != nil {
            passes = Explorer.run(final, seed: request.seed, mutant: nil, faults: runFaults).passed
        }
        return ShrinkResult(yaml: yaml, target: target, signature: signature, before: before, after: ScenarioSize(final),
                            runs: runs, passesWithoutMutant: passes, replayFaults: runFaults)
    }

    // MARK: Runs

    private func run(_ s: Scenario) -> SeedResult {
        runs += 1
        return Explorer.run(s, seed: request.seed, mutant: request.mutant, faults: runFaults)
    }

    /// Serializes, loads and runs a candidate: whether it still fails with the target, and the
    /// candidate as loaded (after repairs: entries the loader rejected, e.g. a timeline action on
    /// a node that is gone, or a check after the new end, are dropped).
    private func test(_ candidate: [(key: String, value: YNodeT)]) -> (Bool, [(key: String, value: YNodeT)]) {
        var c = candidate
        for _ in 0..<50 {
            guard runs < request.maxRuns, let text = try? Self.text(c) else { return (false, candidate) }
            do {
                let s = try ScenarioLoader.load(text: text, file: request.output)
                let r = run(s)
                guard let hit = matches(r, s, c) else { return (false, candidate) }
                targetOffsetCandidate = hit.offset ?? s.duration
                return (true, c)
            } catch let e as ScenarioError {
                guard let repaired = repair(c, text: text, error: e) else { return (false, candidate) }
                c = repaired
            } catch {
                return (false, candidate)
            }
        }
        return (false, candidate)
    }

    private var targetOffsetCandidate: Double = 0

    /// Keeps a candidate that still fails.
    private func attempt(_ candidate: [(key: String, value: YNodeT)]) -> Bool {
        let (ok, c) = test(candidate)
        guard ok else { return false }
        lastRepairs = droppedByRepair(from: candidate, to: c)
        root = c
        targetOffset = targetOffsetCandidate
        return true
    }

    /// What the last kept candidate also dropped because it no longer loaded.
    private var lastRepairs: [String] = []

    /// Logs a kept step, then what it took with it.
    private func note(_ step: String) {
        log(step)
        for d in lastRepairs { log("  and removed \(d) (it no longer loads)") }
    }

    /// The target failure in a run, if it is there.
    private func matches(_ r: SeedResult, _ s: Scenario, _ tree: [(key: String, value: YNodeT)]) -> RunFailure? {
        switch target.kind {
        case .check:
            guard let want = targetExpect, let items = Self.items(tree, "expect"), let i = items.firstIndex(of: want),
                  i < s.expectations.count else { return nil }
            let loc = s.expectations[i].location
            return r.failures.first { $0.kind == .check && $0.key.hasPrefix("check \(loc) ") }
        case .action:
            return r.failures.first { $0.kind == .action && $0.message == target.message }
        default:
            return r.failures.first { $0.key == target.key }
        }
    }

    // MARK: The tree

    private func loadTree(_ original: Scenario) throws {
        let text = try String(contentsOfFile: request.file, encoding: .utf8)
        guard let node = try Yams.compose(yaml: text), case .mapping(let m) = node else {
            throw ShrinkError(description: "\(request.file): not a YAML map")
        }
        var pairs: [(key: String, value: YNodeT)] = m.map { ($0.key.string ?? "", $0.value) }
        // A shrunk scenario stands alone: manifest files are inlined into `manifests`.
        if let i = pairs.firstIndex(where: { $0.key == "manifestFiles" }) {
            var manifests = Self.items(pairs, "manifests") ?? []
            let dir = (request.file as NSString).deletingLastPathComponent
            for p in Self.items(pairs, "manifestFiles") ?? [] {
                let rel = p.string ?? ""
                let path = rel.hasPrefix("/") ? rel : (dir.isEmpty ? rel : dir + "/" + rel)
                let t = try String(contentsOfFile: path, encoding: .utf8)
                for d in try Yams.compose_all(yaml: t) where d != YNodeT("~") && d.scalar?.string != "" {
                    manifests.append(d)
                }
            }
            pairs.remove(at: i)
            Self.set(&pairs, "manifests", manifests.isEmpty ? nil : .sequence(.init(manifests)))
        }
        Self.set(&pairs, "seed", YNodeT(String(request.seed)))
        root = pairs
        if target.kind == .check, let items = Self.items(root, "expect") {
            let locs = original.expectations.map { "check \($0.location) " }
            if let i = locs.firstIndex(where: { target.key.hasPrefix($0) }), i < items.count { targetExpect = items[i] }
        }
    }

    static func items(_ tree: [(key: String, value: YNodeT)], _ key: String) -> [YNodeT]? {
        guard let v = tree.first(where: { $0.key == key })?.value, case .sequence(let s) = v else { return nil }
        return Array(s)
    }

    static func set(_ tree: inout [(key: String, value: YNodeT)], _ key: String, _ value: YNodeT?) {
        if let i = tree.firstIndex(where: { $0.key == key }) {
            if let value { tree[i].value = value } else { tree.remove(at: i) }
        } else if let value {
            tree.append((key, value))
        }
    }

    static func setItems(_ tree: inout [(key: String, value: YNodeT)], _ key: String, _ items: [YNodeT]) {
        let style = tree.first(where: { $0.key == key })?.value.sequence?.style ?? .any
        set(&tree, key, items.isEmpty ? nil : .sequence(.init(items, .implicit, style)))
    }

    static func text(_ tree: [(key: String, value: YNodeT)]) throws -> String {
        try Yams.serialize(node: .mapping(.init(tree.map { (YNodeT($0.key), $0.value) })), width: 120, allowUnicode: true)
    }

    /// Drops the `timeline` or `expect` entry an error points into.
    private func repair(_ tree: [(key: String, value: YNodeT)], text: String, error: ScenarioError) -> [(key: String, value: YNodeT)]? {
        guard error.line > 0, let node = try? Yams.compose(yaml: text), case .mapping(let m) = node else { return nil }
        for key in ["timeline", "expect"] {
            guard let seq = m[key]?.sequence else { continue }
            let lines = seq.map { $0.mark?.line ?? 0 }
            for (i, line) in lines.enumerated() {
                let end = i + 1 < lines.count ? lines[i + 1] : Int.max
                if error.line >= line && error.line < end {
                    var items = Self.items(tree, key) ?? []
                    guard i < items.count, items[i] != targetExpect else { return nil }
                    items.remove(at: i)
                    var t = tree
                    Self.setItems(&t, key, items)
                    return t
                }
            }
        }
        return nil
    }

    private func droppedByRepair(from a: [(key: String, value: YNodeT)], to b: [(key: String, value: YNodeT)]) -> [String] {
        var out: [String] = []
        for key in ["timeline", "expect"] {
            var rest = Self.items(b, key) ?? []
            for item in Self.items(a, key) ?? [] {
                if let i = rest.firstIndex(of: item) { rest.remove(at: i) } else { out.append("\(key == "timeline" ? "timeline action" : "check") \(Self.brief(item))") }
            }
        }
        return out
    }

    /// One line of YAML for a log line.
    static func brief(_ n: YNodeT) -> String {
        let flat = (try? Yams.serialize(node: flowed(n), width: 10_000, allowUnicode: true))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return flat.count > 100 ? String(flat.prefix(97)) + "…" : flat
    }

    static func flowed(_ n: YNodeT) -> YNodeT {
        switch n {
        case .mapping(let m): return .mapping(.init(m.map { ($0.key, flowed($0.value)) }, m.tag, .flow))
        case .sequence(let s): return .sequence(.init(s.map(flowed), s.tag, .flow))
        default: return n
        }
    }

    // MARK: Steps

    private func shrinkDuration() -> Bool {
        guard let dn = root.first(where: { $0.key == "duration" })?.value, let text = dn.string,
              let current = try? parseGoDurationSeconds(text) else { return false }
        var candidates: [Double] = []
        // Just after the failure: a whole second past it.
        let after = (targetOffset + 1).rounded(.up)
        if after < current { candidates.append(after) }
        var any = false
        var cur = current
        for d in candidates + [(cur / 2).rounded(.up)] where d < cur && d >= 1 {
            var c = root
            Self.set(&c, "duration", YNodeT(formatSeconds(d)))
            if attempt(c) {
                note("duration: \(formatSeconds(cur)) → \(formatSeconds(d))")
                cur = d
                any = true
                break
            }
        }
        return any
    }

    private func shrinkNodes() -> Bool {
        guard var items = Self.items(root, "nodes") else { return false }
        var any = false
        // Fewer nodes per group: the smallest count that still fails (small runs are cheap).
        for i in items.indices {
            guard case .mapping(let m) = items[i], let cn = m["count"], let c = Int(cn.string ?? "") else { continue }
            let prefix = m["namePrefix"]?.string ?? "?"
            var tried = Set<Int>()
            for n in [1, 2, 3, c / 8, c / 4, c / 2] where n >= 1 && n < c && tried.insert(n).inserted {
                var m2 = m
                m2["count"] = YNodeT(String(n))
                var next = items
                next[i] = .mapping(m2)
                var tree = root
                Self.setItems(&tree, "nodes", next)
                if attempt(tree) {
                    note("nodes: group \(prefix) from \(c) to \(n) \(n == 1 ? "node" : "nodes")")
                    items = Self.items(root, "nodes") ?? next
                    any = true
                    break
                }
            }
        }
        // Whole entries.
        var i = items.count - 1
        while i >= 0 && items.count > 0 {
            var next = items
            let gone = next.remove(at: i)
            var tree = root
            Self.setItems(&tree, "nodes", next)
            if attempt(tree) {
                note("nodes: removed \(Self.brief(gone))")
                items = Self.items(root, "nodes") ?? next
                any = true
            }
            i -= 1
        }
        return any
    }

    /// Removes entries of a list (all at once, then halves, then one at a time), keeping `keeping`.
    private func shrinkList(_ key: String, what: String, keeping: YNodeT? = nil) -> Bool {
        guard let items = Self.items(root, key), !items.isEmpty else { return false }
        let removable = items.filter { $0 != keeping }
        guard !removable.isEmpty else { return false }
        func without(_ drop: [YNodeT]) -> [(key: String, value: YNodeT)] {
            var rest = Self.items(root, key) ?? []
            for d in drop { if let j = rest.firstIndex(of: d) { rest.remove(at: j) } }
            var tree = root
            Self.setItems(&tree, key, rest)
            return tree
        }
        if removable.count > 1 && attempt(without(removable)) {
            note("\(key): removed all \(removable.count) \(what)s\(keeping != nil ? " but the failing one" : "")")
            return true
        }
        var any = false
        if removable.count > 3 {
            let half = removable.count / 2
            for chunk in [Array(removable[half...]), Array(removable[..<half])] where attempt(without(chunk)) {
                note("\(key): removed \(chunk.count) \(what)s")
                any = true
            }
        }
        for item in (Self.items(root, key) ?? []).reversed() where item != keeping {
            if attempt(without([item])) {
                note("\(key): removed \(what) \(Self.brief(item))")
                any = true
            }
        }
        return any
    }

    /// Removes keys of a top-level map one at a time (the defaults take their place).
    private func shrinkMapping(_ key: String, what: String) -> Bool {
        guard let v = root.first(where: { $0.key == key })?.value, case .mapping(let m) = v else { return false }
        var any = false
        for k in m.keys.reversed() {
            guard case .mapping(let cur) = root.first(where: { $0.key == key })?.value ?? .mapping([:]) else { continue }
            let pairs = cur.filter { $0.key != k }
            var tree = root
            Self.set(&tree, key, pairs.isEmpty ? nil : .mapping(.init(pairs.map { ($0.key, $0.value) }, cur.tag, cur.style)))
            if attempt(tree) {
                note("\(key): removed \(what) \(k.string ?? "?")")
                any = true
            }
        }
        return any
    }

    // MARK: The result

    /// Breaks a line at spaces so that each piece is at most `width` characters where it can be.
    static func wrap(_ line: String, width: Int) -> [String] {
        var out: [String] = []
        var cur = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !cur.isEmpty && cur.count + 1 + word.count > width {
                out.append(cur)
                cur = String(word)
            } else {
                cur = cur.isEmpty ? String(word) : cur + " " + word
            }
        }
        out.append(cur)
        return out
    }

    private func finalText() throws -> String {
        var tree = root
        let out = ((request.output as NSString).lastPathComponent as NSString).deletingPathExtension
        let when = " (first at +\(formatSeconds(targetOffset)))"
        var lines = [
            "Reproduces \(target.key)\(when) under seed \(request.seed)\(request.mutant.map { " with engine mutant \($0.name): run it with --mutant \($0.name)" } ?? "").",
        ]
        if let p = request.faults, p != FaultProfile.none {
            let written: Bool
            if case .mapping(let s)? = root.first(where: { $0.key == "settings" })?.value, s["faults"] != nil { written = true } else { written = false }
            if runFaults != nil {
                lines.append("Run it with --faults \(p.rawValue).")
            } else {
                lines.append(written ? "The faults of profile \(p.rawValue) that it needs are written out in settings.faults."
                                     : "Found under --faults \(p.rawValue); it fails without any of the profile's faults.")
            }
        }
        lines += [
            "Shrunk by `kruise-sim shrink` from \(request.file).",
        ]
        if let old = root.first(where: { $0.key == "description" })?.value.string, !old.isEmpty {
            lines.append("Original description: " + old.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " "))
        }
        let description = YNodeT(lines.flatMap { Self.wrap($0, width: 100) }.joined(separator: "\n") + "\n", .implicit, .literal)
        // name, description and seed first, then the rest in the original order.
        tree.removeAll { ["name", "description", "seed"].contains($0.key) }
        tree.insert(("seed", YNodeT(String(request.seed))), at: 0)
        tree.insert(("description", description), at: 0)
        tree.insert(("name", YNodeT(out)), at: 0)
        return try Self.text(tree)
    }
}

// MARK: Faults

extension Shrinker {
    /// `tree` with the profile's faults written out: `settings.faults` and every timeline `faults`
    /// entry get the profile's value for each key they leave out (as the profile layers under them).
    fileprivate func writingOut(_ profile: FaultProfile) -> [(key: String, value: YNodeT)] {
        var tree = root
        let base = Self.faultPairs(profile.settings)
        func filled(_ existing: YNodeT?) -> YNodeT {
            var pairs: [(YNodeT, YNodeT)] = []
            if case .mapping(let m)? = existing { pairs = m.map { ($0.key, $0.value) } }
            let have = Set(pairs.compactMap { $0.0.string })
            for (k, v) in base where !have.contains(k) { pairs.append((YNodeT(k), v)) }
            return .mapping(.init(pairs))
        }
        var settings: [(YNodeT, YNodeT)] = []
        if case .mapping(let m)? = tree.first(where: { $0.key == "settings" })?.value { settings = m.map { ($0.key, $0.value) } }
        if let i = settings.firstIndex(where: { $0.0.string == "faults" }) {
            settings[i].1 = filled(settings[i].1)
        } else {
            settings.append((YNodeT("faults"), filled(nil)))
        }
        Self.set(&tree, "settings", .mapping(.init(settings)))
        if let items = Self.items(tree, "timeline") {
            let next: [YNodeT] = items.map { item in
                guard case .mapping(var m) = item, let f = m["faults"] else { return item }
                m["faults"] = filled(f)
                return .mapping(m)
            }
            Self.setItems(&tree, "timeline", next)
        }
        return tree
    }

    /// The keys of `f` that are set, as a scenario file writes them, exactly.
    static func faultPairs(_ f: FaultSettings) -> [(String, YNodeT)] {
        func duration(_ s: Double) -> String {
            if s == s.rounded() { return formatSeconds(s) }
            let ms = s * 1000
            return ms == ms.rounded() ? "\(Int(ms))ms" : "\(s)s"
        }
        func spec(_ d: DurationSpec?) -> String? { d.map { $0.isRange ? "\(duration($0.low))..\(duration($0.high))" : duration($0.low) } }
        func size(_ b: Int64) -> String {
            for (unit, shift) in [("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] where b != 0 && b % (Int64(1) << shift) == 0 {
                return "\(b >> shift)\(unit)"
            }
            return String(b)
        }
        let values: [String: String?] = [
            "errorRate": f.errorRate.map { "\($0)" }, "throttleRate": f.throttleRate.map { "\($0)" }, "retryAfter": spec(f.retryAfter),
            "conflictRate": f.conflictRate.map { "\($0)" }, "watchDelay": spec(f.watchDelay),
            "watchDisconnectEvery": spec(f.watchDisconnectEvery), "controllerCrashEvery": spec(f.controllerCrashEvery),
            "kubeletStallEvery": spec(f.kubeletStallEvery), "kubeletStallFor": spec(f.kubeletStallFor),
            "nodeLossEvery": spec(f.nodeLossEvery), "nodeLossFor": spec(f.nodeLossFor), "podKillEvery": spec(f.podKillEvery),
            "diskFillEvery": spec(f.diskFillEvery),
            "diskFillSize": f.diskFillSize.map { $0.high > $0.low ? "\(size($0.low))..\(size($0.high))" : size($0.low) },
            "diskFillFor": spec(f.diskFillFor),
        ]
        return FaultSettings.keys.compactMap { k in (values[k] ?? nil).map { (k, YNodeT($0)) } }
    }

    /// Removes `settings.faults` keys: all at once, then one at a time.
    fileprivate func shrinkFaults() -> Bool {
        guard case .mapping(let settings)? = root.first(where: { $0.key == "settings" })?.value,
              case .mapping(let faults)? = settings["faults"], faults.count > 0 else { return false }
        func with(_ keys: [YNodeT]) -> [(key: String, value: YNodeT)] {
            var s = settings
            let kept = faults.filter { !keys.contains($0.key) }.map { ($0.key, $0.value) }
            s["faults"] = kept.isEmpty ? nil : .mapping(.init(kept, faults.tag, faults.style))
            var tree = root
            Self.set(&tree, "settings", s.count == 0 ? nil : .mapping(s))
            return tree
        }
        if faults.count > 1 && attempt(with(Array(faults.keys))) {
            note("settings.faults: removed all \(faults.count) faults")
            return true
        }
        var any = false
        for k in faults.keys.reversed() {
            guard case .mapping(let s)? = root.first(where: { $0.key == "settings" })?.value, case .mapping(let cur)? = s["faults"],
                  cur.keys.contains(k) else { continue }
            var s2 = s
            let kept = cur.filter { $0.key != k }.map { ($0.key, $0.value) }
            s2["faults"] = kept.isEmpty ? nil : .mapping(.init(kept, cur.tag, cur.style))
            var tree = root
            Self.set(&tree, "settings", s2.count == 0 ? nil : .mapping(s2))
            if attempt(tree) {
                note("settings.faults: removed \(k.string ?? "?")")
                any = true
            }
        }
        return any
    }
}
