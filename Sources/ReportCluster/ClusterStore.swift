public import Foundation
import ReportCore
import SourcePostgres

#if canImport(Glibc)
    import Glibc
#endif

/// The cluster's record in PostgreSQL (`cluster:`; SPEC.md, "Several machines"): which node runs
/// which slot of which report, which slots are done, the nodes and their heartbeats, and the
/// per-report locks of `reportd run`.
///
/// Every judgement of time is the database's `now()`, never a node's clock. A slot is claimed by
/// one statement (`INSERT … ON CONFLICT`): the row is new (fence 1), or a stale claim (its lease
/// passed without a heartbeat) or a failed run's claim is taken over, which increments its fencing
/// counter. A node marks its slot done only while it still holds the claim with the counter it was
/// given and its lease has not lapsed, in the one statement that marks it done (`complete`),
/// immediately before its files are renamed into the shared folder; a node that lost its claim
/// (paused, cut off) is refused and publishes nothing. No advisory lock is held across a run
/// (poolers and failovers lose them); the schema is created and migrated by reportd itself, under a
/// transaction-scoped advisory lock.
///
/// Thread-safe: one connection, opened again when lost, shared by the heartbeat thread and the
/// runs' threads (postgres-nio queues their statements). Every call blocks its thread for at most
/// the statement deadline: call it from a dispatch or dedicated thread, never from Swift's
/// cooperative pool.
public final class ClusterStore: Sendable {
    public let url: String
    public let passwordFile: String?
    /// This node's name and process.
    public let node: String
    public let pid: Int
    /// Seconds a claim or a lock stays valid without a heartbeat.
    public let lease: Int
    /// Seconds a statement (and a connection) may take.
    public let timeout: Int
    public let version: String
    private let link = Locked<PostgresLink?>(nil)
    private let migrated = Locked(false)
    /// When this node's connection was last opened (at start, and after every outage).
    let connectedAt = Locked<Date?>(nil)

    /// Whether this node may take over a slot whose node stopped beating while it published: only
    /// once it has itself been connected for a lease. After an outage of the database every node's
    /// last beat is old; a node that was alive through it has published its files and marks the
    /// slot done at its first beat after the outage (within a quarter of a lease), so that slot must
    /// not be taken over (and published twice) before the other nodes have had a lease to beat.
    var mayTakeOverPublishing: Bool {
        connectedAt.withLock { $0 }.map { Date().timeIntervalSince($0) >= Double(lease) } ?? false
    }

    /// The schema version this reportd writes.
    public static let schemaVersion = 3

    public init(url: String, passwordFile: String?, node: String, lease: Int, version: String, pid: Int = Int(getpid())) {
        self.url = url
        self.passwordFile = passwordFile
        self.node = node
        self.pid = pid
        self.lease = lease
        self.version = version
        self.timeout = max(2, min(lease, 10))
    }

    /// What is wrong with `url` as a libpq URI (sslmode, port, a password in it…); nil when fine.
    public static func problem(inURL url: String) -> String? { PostgresLink.problem(inURL: url) }

    /// `host:port` of `url`, as messages name the database (never its password file).
    public static func endpoint(of url: String) -> String { PostgresLink.endpoint(of: url) }

    // MARK: Connection

    /// The open connection, or a new one (the schema created or migrated on first contact).
    func connection() throws(ClusterError) -> PostgresLink {
        // Connecting holds the lock: the other threads need a connection too, and wait for this one.
        try link.withLock { current throws(ClusterError) -> PostgresLink in
            if let open = current, !open.isClosed { return open }
            current?.close()
            current = nil
            let fresh: PostgresLink
            do throws(PostgresLink.Failure) {
                fresh = try PostgresLink.connect(
                    url: url, passwordFile: passwordFile, timeout: timeout, connectTimeout: timeout,
                    applicationName: "reportd \(node)")
            } catch {
                throw ClusterError(error)
            }
            if !migrated.withLock({ $0 }) {
                do throws(ClusterError) { try migrate(fresh) } catch {
                    fresh.close()
                    throw error
                }
                migrated.withLock { $0 = true }
            }
            current = fresh
            connectedAt.withLock { $0 = Date() }
            return fresh
        }
    }

    /// Runs `sql`; a statement that fails because the connection was lost is tried once more on a
    /// new connection.
    @discardableResult
    func rows(_ sql: String, _ binds: [Value] = []) throws(ClusterError) -> [[String?]] {
        let first = try connection()
        do {
            return try first.rows(sql, binds)
        } catch {
            guard error.unreachable else { throw ClusterError(error) }
            first.close()
            let second = try connection()
            do { return try second.rows(sql, binds) } catch { throw ClusterError(error) }
        }
    }

    /// The connection is closed with the store (postgres-nio requires a connection closed before
    /// it goes).
    deinit { disconnect() }

    /// Drops the connection (the next call opens a new one).
    public func disconnect() {
        let old = link.withLock { current in
            defer { current = nil }
            return current
        }
        old?.close()
    }

    /// Creates or migrates reportd's tables, one version at a time, under a transaction-scoped
    /// advisory lock (two nodes starting at once do not both create them).
    func migrate(_ db: PostgresLink) throws(ClusterError) {
        func run(_ sql: String) throws(ClusterError) -> [[String?]] {
            do { return try db.rows(sql) } catch { throw ClusterError(error) }
        }
        _ = try run("BEGIN")
        do throws(ClusterError) {
            _ = try run("SELECT pg_advisory_xact_lock(7467151231)")
            _ = try run("CREATE TABLE IF NOT EXISTS reportd_schema (version integer NOT NULL)")
            let current = Int((try run("SELECT coalesce(max(version), 0)::text FROM reportd_schema").first?.first ?? nil) ?? "0") ?? 0
            if current > Self.schemaVersion {
                throw ClusterError(
                    message:
                        "the cluster database holds reportd's schema version \(current), newer than this reportd's "
                        + "(\(Self.schemaVersion)): upgrade this node", unreachable: false)
            }
            for version in (current + 1)...max(current + 1, Self.schemaVersion) where version <= Self.schemaVersion {
                for statement in Self.migrations[version - 1] { _ = try run(statement) }
                _ = try run("DELETE FROM reportd_schema")
                _ = try run("INSERT INTO reportd_schema (version) VALUES (\(version))")
            }
            _ = try run("COMMIT")
        } catch {
            _ = try? db.rows("ROLLBACK")
            throw error
        }
    }

    /// The statements of each schema version (index 0: version 1).
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE reportd_nodes (
                node text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, version text NOT NULL,
                started_at timestamptz NOT NULL, last_heartbeat timestamptz NOT NULL)
            """,
            """
            CREATE TABLE reportd_claims (
                report text NOT NULL, slot timestamptz NOT NULL, node text NOT NULL, pid integer NOT NULL,
                fence bigint NOT NULL, state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
                claimed_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, done_at timestamptz,
                PRIMARY KEY (report, slot))
            """,
            "CREATE INDEX reportd_claims_running ON reportd_claims (expires_at) WHERE state = 'running'",
            """
            CREATE TABLE reportd_locks (
                report text PRIMARY KEY, node text NOT NULL, pid integer NOT NULL, fence bigint NOT NULL,
                expires_at timestamptz NOT NULL)
            """,
        ],
        // 2: what reports remember between runs (`ReportMemory`: split slugs, fingerprints, alerts).
        [
            """
            CREATE TABLE reportd_slugs (
                report text NOT NULL, value text NOT NULL, slug text NOT NULL,
                PRIMARY KEY (report, value), UNIQUE (report, slug))
            """,
            """
            CREATE TABLE reportd_fingerprints (
                report text NOT NULL, period text NOT NULL, whole boolean NOT NULL, split_value text NOT NULL,
                fingerprint text NOT NULL, recorded_at timestamptz NOT NULL,
                PRIMARY KEY (report, period, whole, split_value))
            """,
            """
            CREATE TABLE reportd_alerts (
                report text NOT NULL, when_text text NOT NULL, raised boolean NOT NULL,
                recorded_at timestamptz NOT NULL, PRIMARY KEY (report, when_text))
            """,
        ],
        // 3: a failed run whose node will retry it (`retrying`): its claim lapses like a running
        // one, so that another node retries the slot if that node dies before its retry. A slot
        // whose files are being renamed (`publishing`): done once they all are, run again by
        // another node if its node dies first. The notices told to the owners (`reportd_notices`):
        // one node tells each.
        [
            "ALTER TABLE reportd_claims DROP CONSTRAINT IF EXISTS reportd_claims_state_check",
            """
            ALTER TABLE reportd_claims ADD CONSTRAINT reportd_claims_state_check
                CHECK (state IN ('running', 'done', 'failed', 'retrying', 'publishing'))
            """,
            """
            CREATE TABLE reportd_notices (
                report text NOT NULL, slot timestamptz NOT NULL, kind text NOT NULL, node text NOT NULL,
                noted_at timestamptz NOT NULL, PRIMARY KEY (report, slot, kind))
            """,
        ],
    ]

    // MARK: Slots

    /// Claims `slot` of `report` for this node: a new claim, or one taken over from a node whose
    /// lease passed (or whose run failed for good), with its fencing counter incremented. A failed
    /// run that its node will retry (`retrying`) is claimed by that node's retry, or by any node
    /// once the retry is overdue by a lease (the node died, stopped or dropped the report). A slot
    /// whose time has not come by the database's clock is not claimed (`early`).
    public func claim(report: String, slot: Date) throws(ClusterError) -> ClaimResult {
        // Connected first, so that `mayTakeOverPublishing` knows how long this connection has lasted.
        _ = try connection()
        let binds: [Value] = [
            .string(report), .string(Self.timestamp(slot)), .string(node), .int(Int64(pid)), .int(Int64(lease)),
            .bool(mayTakeOverPublishing),
        ]
        let claimed = try rows(
            """
            INSERT INTO reportd_claims AS c (report, slot, node, pid, fence, state, claimed_at, expires_at)
            SELECT $1, $2::timestamptz, $3, $4, 1, 'running', now(), now() + $5 * interval '1 second'
            WHERE $2::timestamptz <= now()
            ON CONFLICT (report, slot) DO UPDATE
                SET node = EXCLUDED.node, pid = EXCLUDED.pid, fence = c.fence + 1, state = 'running',
                    claimed_at = now(), expires_at = EXCLUDED.expires_at, done_at = NULL
                WHERE c.state = 'failed' OR (c.state IN ('running', 'retrying') AND c.expires_at < now())
                    OR (c.state = 'publishing' AND c.expires_at < now() AND $6)
                    OR (c.state = 'retrying' AND c.node = EXCLUDED.node)
            RETURNING c.fence::text
            """, binds)
        if let fence = claimed.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) {
            return .claimed(SlotClaim(report: report, slot: slot, fence: fence, node: node, pid: pid))
        }
        let seen = try rows(
            """
            SELECT extract(epoch FROM $2::timestamptz - now())::text, c.node, c.state
            FROM (SELECT 1) AS one LEFT JOIN reportd_claims AS c ON c.report = $1 AND c.slot = $2::timestamptz
            """, [.string(report), .string(Self.timestamp(slot))])
        let row = seen.first ?? []
        let ahead = row.first.flatMap({ $0 }).flatMap(Double.init) ?? 0
        if row.count > 2, let holder = row[1], let state = row[2] {
            return .elsewhere(node: holder, done: state == "done")
        }
        if ahead > 0 { return .early(seconds: ahead) }
        // Taken and released between the two statements: try again once.
        return .elsewhere(node: nil, done: false)
    }

    /// The publish gate: marks the claimed slot `publishing`, if this node still holds it with the
    /// same fencing counter and its lease has not lapsed: one statement, so the check and the mark
    /// are one transaction. Call it immediately before renaming the slot's files into place; false:
    /// the claim was lost (publish nothing). Once the files are in place, `finish` marks the slot
    /// done. A `publishing` claim is renewed by the heartbeat like a running one; if its node dies
    /// before `finish` (some files renamed, or none), its lease lapses and another node runs the
    /// slot again and publishes it whole. Asking again for a claim already past the gate answers
    /// true: when the connection was lost after the server committed but before it answered, the
    /// statement is tried again and must not leave the slot without its files.
    public func complete(_ claim: SlotClaim) throws(ClusterError) -> Bool {
        let marked = try rows(
            """
            UPDATE reportd_claims SET state = CASE WHEN state = 'done' THEN 'done' ELSE 'publishing' END,
                expires_at = CASE WHEN state = 'done' THEN expires_at ELSE now() + $6 * interval '1 second' END
            WHERE report = $1 AND slot = $2::timestamptz AND node = $3 AND pid = $4 AND fence = $5
                AND ((state IN ('running', 'publishing') AND expires_at > now()) OR state = 'done')
            RETURNING 1
            """, claim.binds + [.int(Int64(lease))])
        return !marked.isEmpty
    }

    /// Marks a slot past its gate done: its files are in place. False when the claim is no longer
    /// this node's (it was silent past its lease while publishing, and another node took the slot
    /// over to publish it again). A call that fails (the database down) is kept and tried again at
    /// every heartbeat until it is answered.
    @discardableResult
    public func finish(_ claim: SlotClaim) throws(ClusterError) -> Bool {
        do {
            let done = try rows(
                """
                UPDATE reportd_claims SET state = 'done', done_at = coalesce(done_at, now())
                WHERE report = $1 AND slot = $2::timestamptz AND node = $3 AND pid = $4 AND fence = $5
                    AND state IN ('publishing', 'done')
                RETURNING 1
                """, claim.binds)
            return !done.isEmpty
        } catch {
            unfinished.withLock { if !$0.contains(claim) { $0.append(claim) } }
            throw error
        }
    }

    /// The slots whose `finish` the database did not answer, tried again at each heartbeat.
    private let unfinished = Locked<[SlotClaim]>([])

    /// Tries the unanswered `finish`es again (at each heartbeat); those answered are dropped.
    func finishUnfinished() {
        for claim in unfinished.withLock({ $0 }) {
            guard (try? finish(claim)) != nil else { return }
            unfinished.withLock { $0.removeAll { $0 == claim } }
        }
    }

    /// Gives up a claim whose run failed. With no retry to come (`retryIn` nil) the slot is failed:
    /// any later attempt (a catch-up, `reportd run`) may take it. With a retry due in `retryIn`
    /// seconds the claim waits for this node's retry (`retrying`) until a lease after it is due;
    /// past that, any node that loads the report retries the slot (`staleClaims`), so a node that
    /// dies, restarts or stops while waiting does not silence the slot.
    public func release(_ claim: SlotClaim, retryIn: TimeInterval? = nil) throws(ClusterError) {
        guard let retryIn else {
            try rows(
                """
                UPDATE reportd_claims SET state = 'failed', expires_at = now()
                WHERE report = $1 AND slot = $2::timestamptz AND node = $3 AND pid = $4 AND fence = $5
                    AND state IN ('running', 'publishing')
                """, claim.binds)
            return
        }
        let wait = Int64(max(0, retryIn).rounded(.up)) + Int64(lease)
        try rows(
            """
            UPDATE reportd_claims SET state = 'retrying', expires_at = now() + $6 * interval '1 second'
            WHERE report = $1 AND slot = $2::timestamptz AND node = $3 AND pid = $4 AND fence = $5
                AND state IN ('running', 'publishing')
            """, claim.binds + [.int(wait)])
    }

    /// The claims whose lease passed while running or publishing (their node died or was paused),
    /// or whose node's retry is a lease overdue, among `reports`.
    public func staleClaims(reports: [String]) throws(ClusterError) -> [StaleClaim] {
        guard !reports.isEmpty else { return [] }
        _ = try connection()
        let found = try rows(
            """
            SELECT report, extract(epoch FROM slot)::text, state, node FROM reportd_claims
            WHERE (state IN ('running', 'retrying') OR (state = 'publishing' AND $2)) AND expires_at < now()
                AND report = ANY(string_to_array($1, chr(31)))
            ORDER BY slot LIMIT 100
            """, [.string(reports.joined(separator: "\u{1F}")), .bool(mayTakeOverPublishing)])
        return found.compactMap { row in
            guard row.count == 4, let report = row[0], let epoch = row[1].flatMap(Double.init),
                let phase = row[2].flatMap(StaleClaim.Phase.init(rawValue:)), let node = row[3]
            else { return nil }
            return StaleClaim(report: report, slot: Date(timeIntervalSince1970: epoch), phase: phase, node: node)
        }
    }

    /// Each report's newest completed slot, by any node, with the node that ran it.
    public func lastCompleted() throws(ClusterError) -> [String: CompletedSlot] {
        let found = try rows(
            """
            SELECT DISTINCT ON (report) report, extract(epoch FROM slot)::text, node,
                extract(epoch FROM done_at)::text
            FROM reportd_claims WHERE state = 'done' ORDER BY report, slot DESC
            """)
        var result: [String: CompletedSlot] = [:]
        for row in found where row.count == 4 {
            guard let report = row[0], let slot = row[1].flatMap(Double.init), let node = row[2] else { continue }
            result[report] = CompletedSlot(
                slot: Date(timeIntervalSince1970: slot), node: node,
                doneAt: row[3].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)))
        }
        return result
    }

    /// Every slot of `report` in `range` that some node completed, oldest first, with its node.
    public func completedSlots(report: String, from: Date, to: Date) throws(ClusterError) -> [(slot: Date, node: String)] {
        try rows(
            """
            SELECT extract(epoch FROM slot)::text, node FROM reportd_claims
            WHERE report = $1 AND state = 'done' AND slot >= $2::timestamptz AND slot <= $3::timestamptz ORDER BY slot
            """, [.string(report), .string(Self.timestamp(from)), .string(Self.timestamp(to))]
        ).compactMap { row in
            guard row.count == 2, let epoch = row[0].flatMap(Double.init), let node = row[1] else { return nil }
            return (Date(timeIntervalSince1970: epoch), node)
        }
    }

    // MARK: Nodes

    /// Says this node is alive (its row in the nodes table, by the database's clock), renews the
    /// leases of the claims and locks it holds that have not lapsed, and measures the database's
    /// clock against `localNow`: the returned offset (database minus local, in seconds) corrects
    /// the node's scheduler.
    public func heartbeat(localNow: () -> Date) throws(ClusterError) -> TimeInterval {
        let host = ClusterStore.hostName
        let sent = localNow()
        let answer = try rows(
            """
            INSERT INTO reportd_nodes AS n (node, host, pid, version, started_at, last_heartbeat)
            VALUES ($1, $2, $3, $4, now(), now())
            ON CONFLICT (node) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
                started_at = CASE WHEN n.pid = EXCLUDED.pid AND n.host = EXCLUDED.host THEN n.started_at ELSE now() END,
                last_heartbeat = now()
            RETURNING extract(epoch FROM clock_timestamp())::text
            """, [.string(node), .string(host), .int(Int64(pid)), .string(version)])
        let received = localNow()
        finishUnfinished()
        try rows(
            """
            UPDATE reportd_claims SET expires_at = now() + $3 * interval '1 second'
            WHERE node = $1 AND pid = $2 AND state IN ('running', 'publishing') AND expires_at > now()
            """, [.string(node), .int(Int64(pid)), .int(Int64(lease))])
        try rows(
            """
            UPDATE reportd_locks SET expires_at = now() + $3 * interval '1 second'
            WHERE node = $1 AND pid = $2 AND expires_at > now()
            """, [.string(node), .int(Int64(pid)), .int(Int64(lease))])
        guard let epoch = answer.first?.first.flatMap({ $0 }).flatMap(Double.init) else { return 0 }
        let middle = sent.timeIntervalSince1970 + received.timeIntervalSince(sent) / 2
        return epoch - middle
    }

    /// The nodes with their last heartbeat (seconds ago, by the database's clock) and version.
    public func nodes() throws(ClusterError) -> [NodeRecord] {
        try rows(
            """
            SELECT node, host, pid::text, version, extract(epoch FROM last_heartbeat)::text,
                extract(epoch FROM now() - last_heartbeat)::text
            FROM reportd_nodes ORDER BY node
            """
        ).compactMap { row in
            guard row.count == 6, let node = row[0], let host = row[1], let pid = row[2].flatMap(Int.init),
                let version = row[3], let beat = row[4].flatMap(Double.init), let age = row[5].flatMap(Double.init)
            else { return nil }
            return NodeRecord(
                node: node, host: host, pid: pid, version: version,
                lastHeartbeat: Date(timeIntervalSince1970: beat), secondsSince: age)
        }
    }

    // MARK: Report locks

    /// Takes the report's lock across the cluster (`reportd run` and every node's runs of the
    /// report, one at a time): free, or its holder's lease passed. Nil when taken; the holder
    /// otherwise.
    public func lock(report: String) throws(ClusterError) -> ReportLockResult {
        let taken = try rows(
            """
            INSERT INTO reportd_locks AS l (report, node, pid, fence, expires_at)
            VALUES ($1, $2, $3, 1, now() + $4 * interval '1 second')
            ON CONFLICT (report) DO UPDATE
                SET node = EXCLUDED.node, pid = EXCLUDED.pid, fence = l.fence + 1, expires_at = EXCLUDED.expires_at
                WHERE l.expires_at < now()
            RETURNING fence::text
            """, [.string(report), .string(node), .int(Int64(pid)), .int(Int64(lease))])
        if let fence = taken.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) {
            return .taken(ClusterLock(report: report, fence: fence))
        }
        let holder = try rows("SELECT node, pid::text FROM reportd_locks WHERE report = $1", [.string(report)]).first
        return .held(node: holder?.first.flatMap { $0 } ?? "?", pid: holder?.last.flatMap { $0 }.flatMap(Int.init) ?? 0)
    }

    /// Renews the lock's lease (`reportd run`, which has no heartbeat thread of its own otherwise).
    public func renew(_ lock: ClusterLock) throws(ClusterError) {
        try rows(
            """
            UPDATE reportd_locks SET expires_at = now() + $5 * interval '1 second'
            WHERE report = $1 AND node = $2 AND pid = $3 AND fence = $4
            """, [.string(lock.report), .string(node), .int(Int64(pid)), .int(lock.fence), .int(Int64(lease))])
    }

    public func unlock(_ lock: ClusterLock) throws(ClusterError) {
        try rows(
            "DELETE FROM reportd_locks WHERE report = $1 AND node = $2 AND pid = $3 AND fence = $4",
            [.string(lock.report), .string(node), .int(Int64(pid)), .int(lock.fence)])
    }

    // MARK: Notices

    /// Notes that this node tells the owners `kind` (`overdue`) of `slot` of `report`: true for the
    /// one node that notes it first, false for every other (one statement, so two nodes checking at
    /// once do not both tell).
    public func noteNotice(report: String, slot: Date, kind: String) throws(ClusterError) -> Bool {
        !(try rows(
            """
            INSERT INTO reportd_notices (report, slot, kind, node, noted_at) VALUES ($1, $2::timestamptz, $3, $4, now())
            ON CONFLICT DO NOTHING RETURNING 1
            """, [.string(report), .string(Self.timestamp(slot)), .string(kind), .string(node)])).isEmpty
    }

    /// Removes completed claims older than `days`, keeping each report's newest.
    public func prune(olderThanDays days: Int = 30) throws(ClusterError) {
        try rows(
            """
            DELETE FROM reportd_claims AS c WHERE c.state IN ('done', 'failed') AND c.slot < now() - $1 * interval '1 day'
                AND c.slot < (SELECT max(slot) FROM reportd_claims AS d WHERE d.report = c.report AND d.state = 'done')
            """, [.int(Int64(days))])
        try rows("DELETE FROM reportd_notices WHERE slot < now() - $1 * interval '1 day'", [.int(Int64(days))])
    }

    // MARK: Helpers

    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        return gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
    }()

    /// `slot` as an ISO 8601 UTC timestamp with milliseconds, as the statements bind it.
    static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = Date(timeIntervalSince1970: TimeInterval(millis / 1000))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: seconds)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
            Int(millis % 1000))
    }
}

/// A claim on one slot: what proves it, the fencing counter included.
public struct SlotClaim: Sendable, Equatable {
    public var report: String
    public var slot: Date
    public var fence: Int64
    public var node: String
    public var pid: Int

    var binds: [Value] {
        [.string(report), .string(ClusterStore.timestamp(slot)), .string(node), .int(Int64(pid)), .int(fence)]
    }
}

/// A claim another node should take over (`staleClaims`).
public struct StaleClaim: Sendable, Equatable {
    /// What its node was doing when it went silent.
    public enum Phase: String, Sendable {
        /// Running the slot: it stopped beating past its lease.
        case running
        /// Its run had failed, and it did not retry within a lease of the retry's time.
        case retrying
        /// Renaming the slot's files (some may be in place): it stopped beating past its lease.
        case publishing
    }

    public var report: String
    public var slot: Date
    public var phase: Phase
    /// The node that held it.
    public var node: String

    public init(report: String, slot: Date, phase: Phase, node: String) {
        self.report = report
        self.slot = slot
        self.phase = phase
        self.node = node
    }
}

public enum ClaimResult: Sendable, Equatable {
    case claimed(SlotClaim)
    /// Another node holds it, or it is done (by `node`, when known).
    case elsewhere(node: String?, done: Bool)
    /// Its time has not come by the database's clock.
    case early(seconds: Double)
}

public struct CompletedSlot: Sendable, Equatable {
    public var slot: Date
    public var node: String
    public var doneAt: Date?
}

public struct NodeRecord: Sendable, Equatable {
    public var node: String
    public var host: String
    public var pid: Int
    public var version: String
    public var lastHeartbeat: Date
    /// Seconds since its last heartbeat, by the database's clock.
    public var secondsSince: Double
}

public struct ClusterLock: Sendable, Equatable {
    public var report: String
    public var fence: Int64
}

public enum ReportLockResult: Sendable, Equatable {
    case taken(ClusterLock)
    case held(node: String, pid: Int)
}

/// Why the cluster's database could not answer; `unreachable` when it could not be reached at all.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var unreachable: Bool
    public var description: String { message }

    public init(message: String, unreachable: Bool) {
        self.message = message
        self.unreachable = unreachable
    }

    init(_ failure: PostgresLink.Failure) {
        self.init(message: "cluster database: \(failure.message)", unreachable: failure.unreachable)
    }
}
