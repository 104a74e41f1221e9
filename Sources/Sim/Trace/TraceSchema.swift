/// The trace file's layout (docs/trace-schema.md says what each column means). `version` is the
/// file's `PRAGMA user_version`: readers refuse a file of another version.
public enum TraceSchema {
    public static let version = 2

    /// Times: `time` is RFC 3339 UTC text; `*_offset` and `offset_seconds` are seconds since the
    /// run's start (REAL). A NULL offset is something that did not happen.
    static let ddl = """
        CREATE TABLE run (scenario TEXT, file TEXT, seed INTEGER, start TEXT, end TEXT, duration_seconds REAL, digest TEXT,
                          result TEXT, passed INTEGER, version TEXT, kernel_events INTEGER, writes INTEGER, reconciles INTEGER,
                          checks INTEGER, checks_failed INTEGER, violations INTEGER);
        CREATE TABLE writes (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, actor TEXT, verb TEXT, type TEXT, kind TEXT,
                             namespace TEXT, name TEXT, resource_version TEXT, reconcile INTEGER, encoding TEXT, object TEXT);
        CREATE TABLE failed_writes (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, actor TEXT, verb TEXT, kind TEXT,
                                    namespace TEXT, name TEXT, code INTEGER, reason TEXT, message TEXT, reconcile INTEGER);
        CREATE TABLE events (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, component TEXT, kind TEXT, namespace TEXT,
                             name TEXT, type TEXT, reason TEXT, message TEXT);
        CREATE TABLE pods (id INTEGER PRIMARY KEY, namespace TEXT, name TEXT, uid TEXT, node TEXT, owner_kind TEXT, owner_name TEXT,
                           created_offset REAL, scheduled_offset REAL, started_offset REAL, finished_offset REAL,
                           deleting_offset REAL, deleted_offset REAL, phase TEXT, restarts INTEGER, created_by_reconcile INTEGER);
        CREATE TABLE node_samples (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, node TEXT, present INTEGER,
                                   disk_used INTEGER, disk_capacity INTEGER, ready TEXT, conditions TEXT, taints TEXT,
                                   unschedulable INTEGER, pods INTEGER);
        CREATE TABLE job_status (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, kind TEXT, namespace TEXT, name TEXT,
                                 phase TEXT, desired INTEGER, active INTEGER, succeeded INTEGER, failed INTEGER);
        CREATE TABLE cron_slots (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, namespace TEXT, name TEXT, schedule TEXT);
        CREATE TABLE reconciles (id INTEGER PRIMARY KEY, controller TEXT, key TEXT, time TEXT, offset_seconds REAL,
                                 finished_offset REAL, duration_seconds REAL, result TEXT, writes INTEGER);
        CREATE TABLE checks (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, location TEXT, subject TEXT, passed INTEGER,
                             details TEXT);
        CREATE TABLE invariants (name TEXT PRIMARY KEY, mode TEXT, violations INTEGER);
        CREATE TABLE violations (seq INTEGER PRIMARY KEY, invariant TEXT, time TEXT, offset_seconds REAL, until_offset REAL,
                                 checks INTEGER, message TEXT, objects TEXT, expected INTEGER);
        CREATE TABLE action_errors (seq INTEGER PRIMARY KEY, time TEXT, offset_seconds REAL, location TEXT, kind TEXT, message TEXT);
        CREATE VIEW pods_per_node AS
            SELECT time, offset_seconds, node, pods FROM node_samples ORDER BY seq;
        CREATE VIEW pod_placements AS
            SELECT node, namespace, name, owner_kind, owner_name, phase,
                   COALESCE(started_offset, scheduled_offset) AS from_offset,
                   COALESCE(finished_offset, deleted_offset, (SELECT duration_seconds FROM run)) AS to_offset
            FROM pods WHERE node IS NOT NULL ORDER BY node, from_offset, id;
        CREATE VIEW job_phases AS
            SELECT kind, namespace, name, phase, desired, active, succeeded, failed, offset_seconds AS from_offset,
                   LEAD(offset_seconds) OVER (PARTITION BY kind, namespace, name ORDER BY seq) AS until_offset
            FROM job_status ORDER BY seq;
        CREATE VIEW check_outcomes AS
            SELECT 'check' AS what, offset_seconds, location AS name, subject, passed FROM checks
            UNION ALL
            SELECT 'invariant', NULL, name, mode, (violations = 0 OR mode = 'expected-violated') FROM invariants;
        """
}
