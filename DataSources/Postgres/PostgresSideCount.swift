import Foundation
import PostgresNIO
import ReportCore
import ReportSQL

/// The relation's row count (and its rows without a date, for a period report) taken on a second
/// connection that reads the run's snapshot, while the snapshot's own connection runs a report's
/// statement: a report with a filter or a period states the whole relation's row count, a second
/// pass over the table that no longer waits for the first.
///
/// The snapshot's transaction exports its snapshot (`pg_export_snapshot()`), and the second
/// connection's `REPEATABLE READ READ ONLY` transaction imports it (`SET TRANSACTION SNAPSHOT`)
/// before counting: both see exactly the same rows, whatever is written meanwhile. The export is
/// asked only for a table of at least `minimumBytes` on disk (on a small table a second
/// connection costs more than the count) and never on a standby in recovery (which cannot export
/// a snapshot). Any failure of the second connection (refused, a pool full, the import refused)
/// leaves the count to the snapshot's own connection, as before: nothing here can fail a report.
final class PostgresSideCount: Sendable {
    struct Counted: Sendable, Equatable {
        var rows: Int
        /// Rows whose date column is null (asked for a period report).
        var dateless: Int?
    }

    /// A table at least this large (`pg_relation_size`) is counted on a second connection.
    static let minimumBytes: Int64 = 8 << 20

    private let result: EventLoopFuture<Counted?>

    /// Exports the snapshot of `session`'s open transaction when the relation is large enough and
    /// starts the count on another connection; nil when the count is to be taken on `session`.
    static func start(
        _ source: PostgresDatasetSource, on session: PostgresSession, dateColumn: String?
    ) throws(DatasetError) -> PostgresSideCount? {
        guard case .table = source.relation else { return nil }
        let d = SQLDialect.postgres
        let relation = d.relation(source.relation)
        let exported = try session.rows(
            "SELECT CASE WHEN NOT pg_is_in_recovery() AND pg_relation_size(to_regclass($1)) >= $2 "
                + "THEN pg_export_snapshot() END",
            [.string(relation), .int(minimumBytes)])
        // The server's snapshot name (`00000003-0000001B-1`): it is pasted into the SET below.
        guard let name = exported.first?.first ?? nil, !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "-") })
        else { return nil }
        var statement = "SELECT COUNT(*)::text"
        if let dateColumn {
            statement += ", (COUNT(*) FILTER (WHERE \(d.identifier(dateColumn)) IS NULL))::text"
        }
        statement += " FROM \(relation)"
        return PostgresSideCount(source.settings, snapshot: name, statement: statement)
    }

    private init(_ settings: DatasetConfig, snapshot: String, statement: String) {
        let promise = PostgresConnection.defaultEventLoopGroup.next().makePromise(of: Counted?.self)
        result = promise.futureResult
        // Its own thread: every step below waits on its own deadline, so the promise is always
        // completed, and the snapshot's thread waits for it (`counted()`) before ending the
        // transaction the import needs.
        Thread {
            promise.succeed(Self.count(settings, snapshot: snapshot, statement: statement))
        }.start()
    }

    private static func count(_ settings: DatasetConfig, snapshot: String, statement: String) -> Counted? {
        guard let session = try? PostgresSession.open(settings) else { return nil }
        do {
            try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try session.execute("SET TRANSACTION SNAPSHOT '\(snapshot)'")
            let cells = try session.rows(statement).first ?? []
            try session.execute("COMMIT")
            session.release(healthy: true)
            guard let rows = Int((cells.first ?? nil) ?? "") else { return nil }
            return Counted(rows: rows, dateless: cells.count > 1 ? Int(cells[1] ?? "") : nil)
        } catch {
            session.release(healthy: false)
            return nil
        }
    }

    /// The counts, once taken (nil when the second connection failed: count on the snapshot's).
    func counted() -> Counted? { (try? result.wait()) ?? nil }
}
