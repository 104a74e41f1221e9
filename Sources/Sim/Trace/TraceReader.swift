import Foundation
import CSQLite
import Engine

/// A trace file opened for reading (`kruise-sim get`, `describe`, `events`, `report`).
public final class TraceFile {
    private var db: OpaquePointer?
    public let path: String
    /// The run row: scenario name, start, end (the run's last instant).
    public let scenario: String
    public let start: Timestamp
    public let end: Timestamp

    public struct ReadError: Error, CustomStringConvertible { public let description: String }

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw ReadError(description: "\(path): no such trace file") }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            throw ReadError(description: "\(path): cannot open: \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "")")
        }
        var version: Int?
        var row: [String?] = []
        do {
            version = try Self.rows(db, "PRAGMA user_version", []).first?.first.flatMap { $0.flatMap(Int.init) }
        } catch {
            sqlite3_close(db)
            throw ReadError(description: "\(path): not a kruise-sim trace (not an SQLite database)")
        }
        guard version == TraceSchema.version else {
            sqlite3_close(db)
            throw ReadError(description: "\(path): trace schema version \(version ?? 0), expected \(TraceSchema.version) (written by another kruise-sim version; run the scenario again with --trace)")
        }
        row = (try? Self.rows(db, "SELECT scenario, start, end FROM run", []).first) ?? []
        guard row.count == 3, let s = row[1].flatMap(Timestamp.init(rfc3339:)), let e = row[2].flatMap(Timestamp.init(rfc3339:)) else {
            sqlite3_close(db)
            throw ReadError(description: "\(path): the trace has no run row (the run did not finish)")
        }
        scenario = row[0] ?? ""
        start = s
        end = e
    }

    deinit { sqlite3_close(db) }

    /// The rows of a query, each column as text (NULL as nil).
    public func rows(_ sql: String, _ args: [String] = []) throws -> [[String?]] { try Self.rows(db, sql, args) }

    static func rows(_ db: OpaquePointer?, _ sql: String, _ args: [String]) throws -> [[String?]] {
        var st: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &st, nil) == SQLITE_OK else {
            throw ReadError(description: "SQL error: \(String(cString: sqlite3_errmsg(db))) in \(sql)")
        }
        defer { sqlite3_finalize(st) }
        for (i, a) in args.enumerated() { csqlite_bind_text(st, Int32(i + 1), a) }
        var out: [[String?]] = []
        let n = sqlite3_column_count(st)
        while true {
            let rc = sqlite3_step(st)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw ReadError(description: "SQL error: \(String(cString: sqlite3_errmsg(db)))") }
            out.append((0..<n).map { i in
                sqlite3_column_type(st, i) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(st, i))
            })
        }
        return out
    }

    public func offset(of t: Timestamp) -> Double { t.seconds(since: start) }
    public func time(at offset: Double) -> Timestamp { start.adding(seconds: offset) }

    /// Reads `--at`: an offset from the start ("5m", "90s", "1h2m") or an RFC 3339 instant, within
    /// the run (the trace knows nothing of the cluster before its start or after its end).
    public func instant(_ text: String?) throws -> Timestamp {
        guard let text else { return end }
        let t: Timestamp
        if let r = Timestamp(rfc3339: text) {
            t = r
        } else if let s = try? Duration.seconds(text) {
            t = start.adding(seconds: s)
        } else {
            throw ReadError(description: "--at \"\(text)\": expected an offset from the run's start such as 5m or 1h30s, or an RFC 3339 time such as \(start.rfc3339)")
        }
        guard t >= start && t <= end else {
            throw ReadError(description: "--at \"\(text)\": outside the run, which went from \(start.rfc3339) (+0s) to \(end.rfc3339) (+\(formatSeconds(end.seconds(since: start)))); "
                + "give an offset from 0s to \(formatSeconds(end.seconds(since: start))) or a time between those two")
        }
        return t
    }

    /// Every object in the store at instant `t` (writes at `t` included), in write order of
    /// their first version, with the resourceVersion each had then.
    public func objects(at t: Timestamp, kind: KnownKind? = nil) throws -> [APIObject] {
        var sql = "SELECT kind, namespace, name, type, resource_version, encoding, object FROM writes WHERE offset_seconds <= CAST(? AS REAL)"
        var args = [String(offset(of: t))]
        if let kind { sql += " AND kind = ?"; args.append(kind.rawValue) }
        sql += " ORDER BY seq"
        var store: [String: JSONValue] = [:]
        var order: [String] = []
        let decoder = JSONDecoder()
        for r in try rows(sql, args) {
            let key = "\(r[0] ?? "")/\(r[1] ?? "")/\(r[2] ?? "")"
            if r[3] == "DELETED" {
                store[key] = nil
                continue
            }
            let doc = try decoder.decode(JSONValue.self, from: Data((r[6] ?? "{}").utf8))
            var v: JSONValue
            if r[5] == "full" {
                v = doc
            } else {
                guard case .object(var base)? = store[key], case .object(let patch) = doc else {
                    throw ReadError(description: "\(path): write of \(key) changes an object the trace has no earlier version of")
                }
                for (section, value) in patch { base[section] = value.isNull ? nil : value }
                v = .object(base)
            }
            if case .object(var o) = v, case .object(var m)? = o["metadata"] {
                m["resourceVersion"] = .string(r[4] ?? "")
                o["metadata"] = .object(m)
                v = .object(o)
            }
            if store[key] == nil { order.append(key) }
            store[key] = v
        }
        var out: [APIObject] = []
        var seen = Set<String>()
        for key in order where store[key] != nil && !seen.contains(key) {
            seen.insert(key)
            out.append(try APIObject.decode(manifest: store[key]!))
        }
        return out
    }
}

enum Duration {
    /// "5m", "90s", "1h2m3s", "1.5s", "250ms": Go-style durations.
    static func seconds(_ text: String) throws -> Double {
        struct Bad: Error {}
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { throw Bad() }
        if let plain = Double(rest), plain >= 0 { return plain }
        var total = 0.0
        while !rest.isEmpty {
            let num = rest.prefix { $0.isNumber || $0 == "." }
            guard !num.isEmpty, let v = Double(num) else { throw Bad() }
            rest = rest.dropFirst(num.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += v * 3600
            case "m": total += v * 60
            case "s": total += v
            case "ms": total += v / 1000
            default: throw Bad()
            }
        }
        return total
    }
}
