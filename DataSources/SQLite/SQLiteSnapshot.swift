import Foundation
import ReportCore
import ReportSQL

/// The reports of one run over an SQLite dataset, read in one read transaction on one connection.
///
/// In WAL mode the transaction is a true snapshot: writers go on committing, and every statement
/// of the transaction sees the database as it was at its first read. In rollback-journal mode the
/// transaction holds a SHARED lock from its first read to its end: a writer cannot commit
/// meanwhile (it waits, then fails with "database is locked" after its busy timeout), so the
/// reads still agree, at the cost of holding writers off for the run.
final class SQLiteSnapshot: DatasetSnapshot, @unchecked Sendable {
    let source: SQLiteDatasetSource
    let provenance: DatasetProvenance
    /// Guards `db` and `clean`: the reports of a slot may call from several threads.
    private let lock = NSLock()
    private var db: SQLiteReadConnection?
    /// Whether every cell of the snapshot reads as its schema type, and its row count (checked once).
    private var cells: CellFigures?
    /// The database's version when it is certainly the snapshot's (the same before the snapshot
    /// was taken and after): the key under which the cell check's answer is kept. Nil when a
    /// write came between, so that no answer is kept or reused for a version the snapshot is not.
    private let version: DatasetVersion?

    init(_ source: SQLiteDatasetSource) throws(DatasetError) {
        self.source = source
        let db = try SQLiteReadConnection.open(path: source.settings.path, dataset: source.name)
        let before = source.version()
        do throws(DatasetError) {
            _ = try db.rows("BEGIN", [])
            // The snapshot is taken at the transaction's first read (BEGIN is deferred).
            _ = try db.rows("SELECT count(*) FROM sqlite_master", [])
            let after = source.version()
            version = before == after ? before : nil
            try source.checkColumns(db)
        } catch {
            db.close()
            throw error
        }
        self.db = db
        provenance = DatasetProvenance(
            source: SQLiteSourceKind.format, table: source.settings.query == nil ? source.settings.table : nil,
            query: source.settings.query, snapshotTime: Date())
    }

    /// Runs `body` with the connection and whether the cells are clean, one caller at a time.
    private func locked<T>(_ body: (SQLiteReadConnection, CellFigures) throws(DatasetError) -> T) throws(DatasetError)
        -> T
    {
        lock.lock()
        defer { lock.unlock() }
        guard let db else {
            throw SQLiteReadConnection.error(source.settings.path, source.name, "the run's snapshot is closed")
        }
        let cells: CellFigures
        if let known = self.cells {
            cells = known
        } else {
            cells = try source.cellsAreClean(db, version: version)
            self.cells = cells
        }
        return try body(db, cells)
    }

    func read(columns: Set<String>?, selection: RowSelection) throws(DatasetError) -> LoadedDataset {
        var loaded = try locked { (db, cells) throws(DatasetError) in
            try source.read(db, columns: columns, selection: selection, cells: cells)
        }
        loaded.provenance = provenance
        return loaded
    }

    func compute(_ report: ReportDefinition, period: RunPeriod?) throws(DatasetError) -> ReportResult? {
        try locked { (db, cells) throws(DatasetError) -> ReportResult? in
            guard cells.clean else { return nil }
            return try source.compute(db, report, period: period)
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard let db else { return }
        _ = try? db.rows("COMMIT", [])
        db.close()
        self.db = nil
    }
}
