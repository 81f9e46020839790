public import ReportCore
package import ReportSQL
import SQLiteNIO

#if canImport(Glibc)
    import Glibc
#endif

/// `format: sqlite`: a table (or view) or a query's rows in an SQLite database file.
public struct SQLiteSourceKind: DatasetSourceKind {
    public static let format = "sqlite"
    public static let fileExtensions = ["sqlite", "sqlite3"]
    public static let isDatabase = true

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource { SQLiteDatasetSource(settings) }

    /// The schema from the table's declared column types (or the query's first row's values).
    public func inferSchema(_ settings: DatasetConfig) -> Result<DatasetSchema, DatasetError>? {
        Result { () throws(DatasetError) in try SQLiteDatasetSource(settings).databaseSchema() }
    }
}

/// A dataset in an SQLite database file, opened read-only for each read.
public struct SQLiteDatasetSource: DatasetSource {
    public let settings: DatasetConfig

    public init(_ settings: DatasetConfig) { self.settings = settings }

    public var name: String { settings.name }
    public var schema: DatasetSchema { settings.schema }

    var relation: SQLRelation {
        if let query = settings.query { return .query(query) }
        return .table(settings.table ?? "")
    }

    /// The database file's and its write-ahead log's size, time, inode and header fields that a
    /// write changes: the main file's change counter (bumped by every commit in rollback-journal
    /// mode; not in WAL mode) and schema cookie, the log's checkpoint sequence and salts (new for
    /// each restart of the log, which is rewritten from its start at the same size), and the
    /// WAL-index header's transaction counter, last frame and its checksum (the `-shm` file: a
    /// commit to a restarted log moves them, whatever the clock). A write changes one of them;
    /// see `SQLiteSnapshot` for how the cell check's cache uses it.
    public func version() -> DatasetVersion? {
        guard let main = Self.identity(settings.path, header: [24..<28, 40..<44]) else { return nil }
        let wal = Self.identity(settings.path + "-wal", header: [12..<24]) ?? "-"
        let shm = Self.identity(settings.path + "-shm", header: [8..<12, 16..<32], stat: false) ?? "-"
        let what = settings.query.map { "query \($0)" } ?? "table \(settings.table ?? "")"
        return DatasetVersion("sqlite \(main) \(wal) \(shm) \(what)")
    }

    /// A file's size, modification and change times (ns; the change time cannot be set back as the
    /// modification time can, so a write whose times were restored still changes it), inode and
    /// device (unless `stat` is false), and the
    /// bytes of `header` in hex; nil when there is no such file.
    static func identity(_ path: String, header: [Range<Int>] = [], stat withStat: Bool = true) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var out =
            withStat
            ? "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) "
                + "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec) \(info.st_ino) \(info.st_dev)" : ""
        if let end = header.map(\.upperBound).max() {
            var bytes = [UInt8](repeating: 0, count: end)
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            let n = fd < 0 ? -1 : pread(fd, &bytes, end, 0)
            if fd >= 0 { close(fd) }
            out +=
                " "
                + (n < 0
                    ? "?"
                    : header.map { r in r.map { String(bytes[$0], radix: 16) }.joined(separator: ".") }.joined(
                        separator: ":"))
        }
        return out
    }

    /// The rows, typed by the schema, from one read transaction. Only `columns` are selected.
    public func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
        -> LoadedDataset
    {
        let snapshot = try SQLiteSnapshot(self)
        defer { snapshot.close() }
        var loaded = try snapshot.read(columns: columns, selection: selection)
        loaded.provenance = nil
        return loaded
    }

    /// One read transaction on one connection for the reports of a run (see `SQLiteSnapshot`).
    public func openSnapshot() throws(DatasetError) -> (any DatasetSnapshot)? {
        try SQLiteSnapshot(self)
    }

    /// The rows of `selection`, typed, read on `db` inside its transaction.
    func read(_ db: SQLiteReadConnection, columns: Set<String>?, selection: RowSelection, cells: CellFigures)
        throws(DatasetError) -> LoadedDataset
    {
        let clean = cells.clean
        // Every column is checked, as a file read checks them: when a cell is not clean, all are
        // read, and the first bad cell gives the error.
        let columns = clean ? columns : nil
        let kept = schema.columns.filter { columns?.contains($0.name) ?? true }
        let dialect = SQLDialect.sqlite
        if kept.isEmpty && selection.isAll {
            // Reports computed in the database: the row count alone (the cell check's).
            let rows = cells.rows
            return LoadedDataset(
                table: Table(schema: DatasetSchema(columns: []), columns: [], rowCount: rows), rejected: [], header: [],
                sha256: "")
        }
        // A cell that is not clean gives its error from a read of every row, as a file's would.
        let selection = clean ? selection : .all
        let builder = SQLAggregateQuery(dialect: dialect, schema: schema)
        var builders = kept.map { ColumnBuilder(spec: $0, capacity: 0) }
        var count = 0
        func add(_ cells: [SQLiteData], from first: Int) throws(DatasetError) {
            count += 1
            for i in kept.indices {
                let value = try typed(cells[first + i], kept[i], row: count)
                if value.isNull { builders[i].appendNull() } else { builders[i].append(value) }
            }
        }
        // The statement's rows typed into the columns as SQLite steps to them (the cells of one
        // row at a time); its row count, and the last row's rowid when `first` is 1 (a batch).
        func run(_ statement: SQLStatement, from first: Int) throws(DatasetError) -> (rows: Int, last: Int64?) {
            noteRead(statement)
            var rows = 0
            var last: Int64?
            try db.each(statement.text, statement.parameters.map(Self.bind)) { cells throws(DatasetError) in
                rows += 1
                if first == 1 { last = cells[0].integer.map(Int64.init) }
                try add(cells, from: first)
            }
            return (rows, last)
        }
        // A table: in batches of rows in rowid order (the table's order, in which the engine meets
        // groups). A view, a WITHOUT ROWID table or a query: one statement. Either way only one
        // row of SQLite's is in memory at a time besides the typed columns.
        var after: Int64? = nil
        if case .table = relation { after = Int64.min }
        var batched = false
        while let last = after {
            let statement = builder.rows(
                from: relation, columns: kept.map(\.name), selection: selection,
                batch: (after: last, limit: Self.batchRows))
            let batch: (rows: Int, last: Int64?)
            do {
                batch = try run(statement, from: 1)
            } catch  where error.message.hasSuffix("no such column: rowid") {
                break
            }
            batched = true
            after = batch.rows < Self.batchRows ? nil : batch.last
        }
        if !batched {
            _ = try run(builder.rows(from: relation, columns: kept.map(\.name), selection: selection), from: 0)
        }
        let table = Table(schema: DatasetSchema(columns: kept), columns: builders.map { $0.build() }, rowCount: count)
        var loaded = LoadedDataset(table: table, rejected: [], header: kept.map(\.name), sha256: "")
        if !selection.isAll {
            let figures = try db.rows(
                builder.selectionFigures(from: relation, dateColumn: selection.dateColumn).text, []
            ).first?.cells
            loaded.selected = SelectionFigures(
                sourceRows: Int(figures?[0].integer ?? 0), rowsWithoutDate: Int(figures?[1].integer ?? 0))
        }
        return loaded
    }

    /// Rows per batch of a read.
    static let batchRows = 16_384

    /// The last read and aggregate statements of this process per database path (at most 16
    /// paths, 64 statements each), newest last: tests check what a read selects and binds, and
    /// how a report is grouped.
    static let readLog = Locked<[String: [SQLStatement]]>([:])

    /// The last read statements on the database at `path`, newest last.
    package static func readStatements(path: String) -> [SQLStatement] { readLog.withLock { $0[path] ?? [] } }

    func noteRead(_ statement: SQLStatement) {
        Self.readLog.withLock { log in
            if log[settings.path] == nil, log.count >= 16 { log.removeAll() }
            log[settings.path, default: []].append(statement)
            if log[settings.path]!.count > 64 { log[settings.path]!.removeFirst() }
        }
    }

    /// A cell as the schema's type, as the CSV reader would type the same text.
    func typed(_ data: SQLiteData, _ spec: ColumnSpec, row: Int) throws(DatasetError) -> Value {
        func mismatch() -> DatasetError {
            SQLiteReadConnection.error(
                settings.path, name, "row \(row), column '\(spec.name)': \(Self.show(data)) is not \(spec.type)")
        }
        func required() -> DatasetError {
            SQLiteReadConnection.error(
                settings.path, name, "row \(row), column '\(spec.name)': empty, but the column is required")
        }
        if case .null = data {
            if spec.required { throw required() }
            return .null
        }
        switch spec.type {
        case .int:
            switch data {
            case .integer(let v): return .int(Int64(v))
            case .text(let t): if let v = Int64(t) { return .int(v) }
            default: break
            }
        case .decimal:
            switch data {
            case .integer(let v): return .decimal(Double(v))
            case .float(let v): return .decimal(v)
            case .text(let t): if let v = Double(t), v.isFinite { return .decimal(v) }
            default: break
            }
        case .string:
            switch data {
            case .text(let t):
                // An empty text is null, as an empty CSV cell is: refused in a required column.
                if t.isEmpty {
                    if spec.required { throw required() }
                    return .null
                }
                return .string(NFC.normalize(t))
            case .integer(let v): return .string(String(v))
            default: break
            }
        case .date:
            if case .text(let t) = data, let day = Day(iso: t) { return .date(day) }
        case .bool:
            switch data {
            case .integer(0): return .bool(false)
            case .integer(1): return .bool(true)
            case .text("true"): return .bool(true)
            case .text("false"): return .bool(false)
            default: break
            }
        }
        throw mismatch()
    }

    static func show(_ data: SQLiteData) -> String {
        switch data {
        case .integer(let v): return "integer \(v)"
        case .float(let v): return "real \(v)"
        case .text(let t): return "text '\(t.prefix(40))'"
        case .blob: return "a blob"
        case .null: return "null"
        }
    }

    /// The relation's columns with SQLite's declared type (empty for a query's columns).
    func relationColumns(_ db: SQLiteReadConnection) throws(DatasetError) -> [(name: String, declared: String)] {
        switch relation {
        case .table(let table):
            let info = try db.rows("SELECT name, type FROM pragma_table_info(?1)", [.text(table)])
            if info.isEmpty {
                throw SQLiteReadConnection.error(settings.path, name, "no table or view '\(table)' in the database")
            }
            return info.map { ($0.cells[0].string ?? "", $0.cells[1].string ?? "") }
        case .query(let text):
            // A query's columns are those of its first row (SQLiteNIO gives no column list otherwise).
            let first = try db.rows("SELECT * FROM (\(text)) LIMIT 1", [])
            return first.first?.columns.map { ($0.name, Self.declared($0.data)) } ?? []
        }
    }

    static func declared(_ data: SQLiteData) -> String {
        switch data {
        case .integer: return "INTEGER"
        case .float: return "REAL"
        case .text: return "TEXT"
        case .blob: return "BLOB"
        case .null: return ""
        }
    }

    /// Checks that every schema column is in the relation with a type that can hold it.
    func checkColumns(_ db: SQLiteReadConnection) throws(DatasetError) {
        let found = try relationColumns(db)
        if case .query = relation, found.isEmpty { return }  // no rows: nothing to type
        for spec in schema.columns {
            guard let column = found.first(where: { $0.name == spec.name }) else {
                let where_ = settings.query != nil ? "the query's result" : "table '\(settings.table ?? "")'"
                throw SQLiteReadConnection.error(
                    settings.path, name,
                    "column '\(spec.name)' is not in \(where_) (it has: \(found.map(\.name).joined(separator: ", ")))")
            }
            if let type = Self.columnType(declared: column.declared), !Self.fits(spec.type, in: type) {
                throw SQLiteReadConnection.error(
                    settings.path, name,
                    "column '\(spec.name)' is \(column.declared) in the database, but \(spec.type) in the schema")
            }
        }
    }

    /// What a declared SQLite type holds, by SQLite's affinity rules; nil when it says nothing.
    static func columnType(declared: String) -> ColumnType? {
        let t = declared.uppercased()
        if t.isEmpty { return nil }
        if t.contains("BOOL") { return .bool }
        if t.contains("DATE") { return .date }
        if t.contains("INT") { return .int }
        if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") { return .string }
        if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") || t.contains("NUMERIC")
            || t.contains("DECIMAL")
        {
            return .decimal
        }
        return nil
    }

    static func fits(_ wanted: ColumnType, in declared: ColumnType) -> Bool {
        switch (wanted, declared) {
        case _ where wanted == declared: return true
        case (.decimal, .int), (.bool, .int), (.date, .string), (.string, .date): return true
        default: return false
        }
    }

    /// The schema the database declares: the table's columns with their declared types (untyped
    /// columns are text), or the types of the query's first row.
    public func databaseSchema() throws(DatasetError) -> DatasetSchema {
        let db = try SQLiteReadConnection.open(path: settings.path, dataset: name)
        defer { db.close() }
        let found = try relationColumns(db)
        if found.isEmpty {
            throw SQLiteReadConnection.error(
                settings.path, name, "the query gave no row to take the column types from: give a schema")
        }
        return DatasetSchema(
            columns: found.map { ColumnSpec(name: $0.name, type: Self.columnType(declared: $0.declared) ?? .string) })
    }
}
