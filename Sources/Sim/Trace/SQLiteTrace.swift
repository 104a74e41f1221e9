import Foundation
import CSQLite
import Engine

/// Writes a run to SQLite (`--trace FILE`): every API write and every recorded event, in order.
/// The file holds nothing that depends on the wall clock, so the same run gives the same bytes.
/// It is built in a temporary file next to the target and renamed over it by `finish()`, so a run
/// that fails or is killed leaves any previous trace at that path intact (see ``AtomicFile``).
public final class SQLiteTrace: TraceSink {
    private var db: OpaquePointer?
    private var changeStmt: OpaquePointer?
    private var eventStmt: OpaquePointer?
    private var seq: Int64 = 0
    let start: Timestamp
    /// The target path, and the temporary file the trace is built in until `finish()`.
    public let path: String
    private let temporary: String
    /// Set when `finish()` could not complete the file (it is then not at `path`).
    public private(set) var finishError: String?

    public struct TraceError: Error, CustomStringConvertible { public let description: String }

    public init(path: String, scenario: Scenario) throws {
        start = scenario.start
        self.path = path
        temporary = AtomicFile.temporaryPath(for: path)
        guard sqlite3_open(temporary, &db) == SQLITE_OK else {
            sqlite3_close(db)
            unlink(temporary)
            throw TraceError(description: "cannot open \(path)")
        }
        try exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA user_version=1;")
        try exec("""
            CREATE TABLE scenario (name TEXT, file TEXT, seed INTEGER, start TEXT, duration_seconds REAL);
            CREATE TABLE changes (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, actor TEXT, verb TEXT, type TEXT, kind TEXT,
                                  namespace TEXT, name TEXT, resource_version TEXT, object TEXT);
            CREATE TABLE events (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, component TEXT, kind TEXT, namespace TEXT,
                                 name TEXT, type TEXT, reason TEXT, message TEXT);
            BEGIN;
            """)
        var st: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO scenario VALUES (?,?,?,?,?)", -1, &st, nil)
        csqlite_bind_text(st, 1, scenario.name)
        csqlite_bind_text(st, 2, scenario.file)
        sqlite3_bind_int64(st, 3, Int64(bitPattern: scenario.seed))
        csqlite_bind_text(st, 4, scenario.start.rfc3339)
        sqlite3_bind_double(st, 5, scenario.duration)
        sqlite3_step(st)
        sqlite3_finalize(st)
        sqlite3_prepare_v2(db, "INSERT INTO changes VALUES (?,?,?,?,?,?,?,?,?,?,?)", -1, &changeStmt, nil)
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &eventStmt, nil)
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw TraceError(description: String(cString: sqlite3_errmsg(db)))
        }
    }

    public func change(_ c: APIServer.Change) {
        guard let s = changeStmt else { return }
        seq += 1
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, seq)
        csqlite_bind_text(s, 2, c.time.rfc3339)
        sqlite3_bind_double(s, 3, c.time.seconds(since: start))
        csqlite_bind_text(s, 4, c.actor.rawValue)
        csqlite_bind_text(s, 5, c.verb)
        csqlite_bind_text(s, 6, c.type.rawValue)
        csqlite_bind_text(s, 7, c.object.kind.rawValue)
        csqlite_bind_text(s, 8, c.object.metadata.namespace ?? "")
        csqlite_bind_text(s, 9, c.object.metadata.name ?? "")
        csqlite_bind_text(s, 10, c.object.metadata.resourceVersion ?? "")
        csqlite_bind_text(s, 11, (try? c.object.manifestJSONText()) ?? "")
        sqlite3_step(s)
    }

    public func event(_ e: RecordedEvent) {
        guard let s = eventStmt else { return }
        seq += 1
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, seq)
        csqlite_bind_text(s, 2, e.time.rfc3339)
        sqlite3_bind_double(s, 3, e.time.seconds(since: start))
        csqlite_bind_text(s, 4, e.component)
        csqlite_bind_text(s, 5, e.kind)
        csqlite_bind_text(s, 6, e.namespace)
        csqlite_bind_text(s, 7, e.name)
        csqlite_bind_text(s, 8, e.type)
        csqlite_bind_text(s, 9, e.reason)
        csqlite_bind_text(s, 10, e.message)
        sqlite3_step(s)
    }

    /// Compact JSON with keys in the value's stored order.
    static func json(_ v: JSONValue) -> String { v.jsonText() }

    public func finish() {
        sqlite3_finalize(changeStmt)
        sqlite3_finalize(eventStmt)
        changeStmt = nil
        eventStmt = nil
        guard db != nil else { return }
        let committed = Result { try exec("COMMIT;") }
        sqlite3_close(db)
        db = nil
        do {
            try committed.get()
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            finishError = "cannot write trace \(path): \(error)"
        }
    }

    /// A trace whose run did not finish is dropped: the temporary file goes, the target is untouched.
    public func abandon() {
        sqlite3_finalize(changeStmt)
        sqlite3_finalize(eventStmt)
        changeStmt = nil
        eventStmt = nil
        if db != nil { sqlite3_close(db) }
        db = nil
        unlink(temporary)
    }

    deinit {
        if db != nil { abandon() }
    }
}
