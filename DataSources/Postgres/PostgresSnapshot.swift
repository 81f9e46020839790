import Foundation
import ReportCore
import ReportSQL

/// The reports of one run on a PostgreSQL dataset read one snapshot: one connection in one
/// `REPEATABLE READ READ ONLY` transaction, begun when the run opens it and committed at `close()`
/// (their figures agree while the table is written). Calls are serialised on the connection.
final class PostgresSnapshot: DatasetSnapshot, @unchecked Sendable {
    let source: PostgresDatasetSource
    let session: PostgresSession
    let provenance: DatasetProvenance
    /// The relation's columns on the server, as the snapshot's first statement described them.
    let found: [PostgresColumn]
    private let lock = NSLock()
    private var healthy = true
    /// Whether every cell reads clean (checked once per snapshot, on the first pushed report).
    private var clean: Bool?
    /// The relation's row count in the snapshot, once known (from the cell check, a report
    /// grouped over every row, or a count).
    private var rows: Int?

    init(_ source: PostgresDatasetSource) throws(DatasetError) {
        self.source = source
        var opened = try PostgresSession.open(source.settings)
        var found: [PostgresColumn]
        do {
            try opened.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            // The snapshot is taken by the transaction's first statement: the relation's description.
            found = try source.checkColumns(opened)
        } catch {
            let dead = opened.reused && opened.connection.isClosed
            opened.release(healthy: false)
            guard dead else { throw error }
            // The idle connection had died (a server restart): once more on a new one.
            opened = try PostgresSession.open(source.settings, fresh: true)
            do {
                try opened.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                found = try source.checkColumns(opened)
            } catch {
                opened.release(healthy: false)
                throw error
            }
        }
        session = opened
        self.found = found
        provenance = DatasetProvenance(
            source: PostgresSourceKind.format, table: source.settings.table, query: source.settings.query,
            snapshotTime: Date())
    }

    private func locked<T>(_ body: () throws(DatasetError) -> T) throws(DatasetError) -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body()
        } catch {
            healthy = false
            throw error
        }
    }

    func read(columns: Set<String>?, selection: RowSelection) throws(DatasetError) -> LoadedDataset {
        try locked { () throws(DatasetError) in
            var parameters: [Value] = []
            let query = SQLAggregateQuery(dialect: .postgres, schema: source.schema)
            let condition = selection.isAll ? nil : query.condition(selection, parameters: &parameters)
            if columns?.isEmpty == true, condition == nil, let rows {
                // A pushed report's row count: known already.
                var loaded = LoadedDataset(
                    table: Table(schema: DatasetSchema(columns: []), columns: [], rowCount: rows), rejected: [],
                    header: [], sha256: "")
                loaded.provenance = provenance
                return loaded
            }
            var loaded = try source.read(
                session, columns: columns, condition: condition, parameters: parameters, checked: true)
            if columns?.isEmpty == true, condition == nil { rows = loaded.table.rowCount }
            if condition != nil {
                // The whole source's figures, which the outputs show for a selected read.
                let nulls =
                    selection.dateColumn.map {
                        "COALESCE(SUM(CASE WHEN \(SQLDialect.postgres.identifier($0)) IS NULL THEN 1 ELSE 0 END), 0)"
                    } ?? "0"
                let figures = try session.rows(
                    "SELECT COUNT(*)::text, (\(nulls))::text FROM \(SQLDialect.postgres.relation(source.relation))")
                let cells = figures.first ?? []
                loaded.selected = SelectionFigures(
                    sourceRows: Int((cells.first ?? nil) ?? "0") ?? 0,
                    rowsWithoutDate: Int((cells.count > 1 ? cells[1] : nil) ?? "0") ?? 0)
            }
            loaded.provenance = provenance
            return loaded
        }
    }

    func compute(_ report: ReportDefinition, period: RunPeriod?) throws(DatasetError) -> ReportResult? {
        guard PostgresPushdownPlan(report, schema: source.schema, relation: source.relation) != nil else { return nil }
        return try locked { () throws(DatasetError) -> ReportResult? in
            if clean == nil {
                let figures = try source.cellFigures(session)
                clean = figures.clean
                if let count = figures.rows { rows = count }
            }
            guard clean == true else { return nil }
            // A report with a filter or a period does not give the relation's row count, which its
            // outputs state: on a large table it is counted meanwhile on a second connection
            // reading this same snapshot (`PostgresSideCount`).
            let side =
                rows == nil && (report.filter != nil || period != nil)
                ? try PostgresSideCount.start(source, on: session, dateColumn: period?.rule.dateColumn) : nil
            let computed: ReportResult?
            do throws(DatasetError) {
                computed = try source.compute(
                    report, period: period, found: found, session, dateless: { side?.counted()?.dateless })
            } catch {
                // The import needs this transaction open: the count ends before the error does.
                _ = side?.counted()
                throw error
            }
            if let counted = side?.counted() { rows = counted.rows }
            guard let result = computed else { return nil }
            // Grouped over every row: its rows are the relation's.
            if period == nil, report.filter == nil { rows = result.rowsUsed }
            return result
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if healthy, (try? session.execute("COMMIT")) != nil {
            session.release(healthy: true)
        } else {
            session.release(healthy: false)
        }
    }
}
