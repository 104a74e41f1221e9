import Foundation
import Engine
import OrderedCollections

/// The text and JSON reports of a sweep. Apart from the wall time and seeds per second, the same
/// request always prints the same bytes.
public enum ExploreReport {
    /// Seeds as a reader scans them: runs of consecutive seeds as `A..B`, at most `limit` items.
    public static func seedList(_ seeds: [UInt64], limit: Int = 40) -> String {
        var items: [String] = []
        var i = 0
        while i < seeds.count {
            var j = i
            while j + 1 < seeds.count && seeds[j + 1] == seeds[j] + 1 { j += 1 }
            items.append(j - i >= 2 ? "\(seeds[i])..\(seeds[j])" : (i...j).map { String(seeds[$0]) }.joined(separator: ", "))
            i = j + 1
        }
        let flat = items.joined(separator: ", ").components(separatedBy: ", ")
        if flat.count <= limit { return flat.joined(separator: ", ") }
        return flat.prefix(limit).joined(separator: ", ") + ", … (\(flat.count - limit) more; --json lists them all)"
    }

    static func header(_ r: ExploreResult) -> String {
        let q = r.request
        var h = "explore \(q.file): seeds \(q.seeds)"
        if q.shard != .whole {
            let some = (0..<min(3, q.shard.count(in: q.seeds))).map { String(q.shard.seed($0, in: q.seeds)) }
            h += ", shard \(q.shard) (" + (some.isEmpty ? "no seeds" : "seeds \(some.joined(separator: ", "))\(q.shard.count(in: q.seeds) > 3 ? ", …" : "")") + ")"
        }
        if let f = q.faults { h += ", faults \(f.rawValue)" }
        if let m = q.mutant { h += ", mutant \(m.name)" }
        return h
    }

    public static func text(_ r: ExploreResult) -> String {
        var out = header(r) + "\n"
        let rate = Double(r.seedsRun) / max(r.wallSeconds, 1e-9)
        out += "\(r.seedsRun) \(r.seedsRun == 1 ? "seed" : "seeds") run in \(String(format: "%.1f", r.wallSeconds))s wall (\(String(format: "%.2f", rate)) seeds/s, \(r.request.jobs) \(r.request.jobs == 1 ? "job" : "jobs"))\n"
        if let s = r.stoppedAt { out += "stopped at the first failing seed, \(s) (--fail-fast)\n" }
        if r.seedsRun == 0 {
            out += "PASS this shard holds no seed of the range\n"
            return out
        }
        if r.passed {
            out += "PASS no seed failed\n"
            return out
        }
        out += "FAIL \(r.failing.count) of \(r.seedsRun) seeds failed\n"
        let bySeed = Dictionary(uniqueKeysWithValues: r.failing.map { ($0.seed, $0) })
        for g in r.groups {
            out += "\n\(g.failure.key): \(g.seeds.count) \(g.seeds.count == 1 ? "seed" : "seeds"): \(seedList(g.seeds))\n"
            let first = bySeed[g.firstSeed]?.failures.first(where: { $0.key == g.failure.key }) ?? g.failure
            let when = first.offset.map { " at +\(formatSeconds($0))" } ?? ""
            out += "  seed \(g.firstSeed)\(when): \(first.message)\n"
            out += "  replay: \(r.request.replayCommand(seed: g.firstSeed))\n"
            if let s = r.request.shrinkCommand(seed: g.firstSeed, failure: g.failure) { out += "  shrink: \(s)\n" }
        }
        return out
    }

    public static func json(_ r: ExploreResult) -> String {
        let q = r.request
        let bySeed = Dictionary(uniqueKeysWithValues: r.failing.map { ($0.seed, $0) })
        var root: OrderedDictionary<String, JSONValue> = [
            "file": .string(q.file),
            "seeds": .object(["first": .int(Int64(bitPattern: q.seeds.first)), "last": .int(Int64(bitPattern: q.seeds.last))]),
            "shard": .object(["index": .int(Int64(q.shard.index)), "count": .int(Int64(q.shard.count))]),
            "faults": q.faults.map { .string($0.rawValue) } ?? .null,
            "mutant": q.mutant.map { .string($0.name) } ?? .null,
            "jobs": .int(Int64(q.jobs)),
            "seedsRun": .int(Int64(r.seedsRun)),
            "failedSeeds": .int(Int64(r.failing.count)),
            "passed": .bool(r.passed),
        ]
        if let s = r.stoppedAt { root["stoppedAt"] = .int(Int64(bitPattern: s)) }
        root["wallSeconds"] = .double((r.wallSeconds * 1000).rounded() / 1000)
        root["seedsPerSecond"] = .double((Double(r.seedsRun) / max(r.wallSeconds, 1e-9) * 100).rounded() / 100)
        root["groups"] = .array(r.groups.map { g in
            let first = bySeed[g.firstSeed]?.failures.first(where: { $0.key == g.failure.key }) ?? g.failure
            var o: OrderedDictionary<String, JSONValue> = ["key": .string(g.failure.key), "kind": .string(g.failure.kind.rawValue)]
            if let inv = g.failure.invariant { o["invariant"] = .string(inv) }
            o["seeds"] = .array(g.seeds.map { .int(Int64(bitPattern: $0)) })
            o["first"] = .object(["seed": .int(Int64(bitPattern: g.firstSeed)),
                                  "offsetSeconds": first.offset.map { .double($0) } ?? .null,
                                  "message": .string(first.message)])
            o["replay"] = .string(q.replayCommand(seed: g.firstSeed))
            o["shrink"] = q.shrinkCommand(seed: g.firstSeed, failure: g.failure).map { .string($0) } ?? .null
            return .object(o)
        })
        return JSONValue.object(root).jsonText(pretty: true) + "\n"
    }
}
