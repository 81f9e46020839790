public import ReportCore
import ReportSQL

/// `format: postgres`: a table (or view) or a query's rows on a PostgreSQL server (13 or later).
public struct PostgresSourceKind: DatasetSourceKind {
    public static let format = "postgres"
    public static let fileExtensions: [String] = []
    public static let isDatabase = true
    public static let isServer = true

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource { PostgresDatasetSource(settings) }

    /// The schema from the server's catalog (the column types of the table or the query).
    public func inferSchema(_ settings: DatasetConfig) -> Result<DatasetSchema, DatasetError>? {
        Result { () throws(DatasetError) in try PostgresDatasetSource(settings).databaseSchema() }
    }

    public func problem(withURL url: String) -> String? {
        if case .failure(let problem) = PostgresAddress.parse(url) { return problem.message }
        return nil
    }

    /// Connects, and checks the table or query and the schema's columns and types (no row read).
    public func checkConnection(_ settings: DatasetConfig) -> DatasetError? {
        let source = PostgresDatasetSource(settings)
        do {
            try source.withSession { session throws(DatasetError) in
                _ = try source.checkColumns(session)
            }
            return nil
        } catch {
            return error
        }
    }
}

/// What a column of the server holds, as reportd reads it.
struct PostgresColumn {
    var name: String
    /// The type's name on the server (`bigint`, `timestamp with time zone`).
    var typeName: String
    /// The reportd type it is read as; nil when reportd does not read it.
    var type: ColumnType?
}

/// A dataset on a PostgreSQL server. Nothing is cached between runs (`version()` is nil): every
/// run reads the server as it is then; the connection is kept for the next run.
public struct PostgresDatasetSource: DatasetSource {
    public let settings: DatasetConfig

    public init(_ settings: DatasetConfig) { self.settings = settings }

    public var name: String { settings.name }
    public var schema: DatasetSchema { settings.schema }
    var url: String { settings.url ?? settings.path }

    var relation: SQLRelation {
        if let query = settings.query { return .query(query) }
        return .table(settings.table ?? "")
    }

    /// One read-only REPEATABLE READ transaction for every report of a run on this dataset.
    public func openSnapshot() throws(DatasetError) -> (any DatasetSnapshot)? { try PostgresSnapshot(self) }

    /// A server's data has no cheap version: never cached.
    public func version() -> DatasetVersion? { nil }

    /// Runs `body` on a session, and gives the connection back for the next read when all went
    /// well. A failure that shows the idle connection had died (the server restarted meanwhile)
    /// is retried once on a new connection.
    func withSession<T>(_ body: (PostgresSession) throws(DatasetError) -> T) throws(DatasetError) -> T {
        var session = try PostgresSession.open(settings)
        while true {
            do {
                let result = try body(session)
                session.release(healthy: true)
                return result
            } catch {
                let dead = session.reused && session.connection.isClosed
                session.release(healthy: false)
                guard dead else { throw error }
                session = try PostgresSession.open(settings, fresh: true)
            }
        }
    }

    /// The rows, typed by the schema, read in one read-only transaction. Only `columns` are selected.
    public func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
        -> LoadedDataset
    {
        try withSession { session throws(DatasetError) in
            try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let loaded = try read(session, columns: columns)
            try session.execute("COMMIT")
            return loaded
        }
    }

    func read(
        _ session: PostgresSession, columns: Set<String>?, condition: String? = nil, parameters: [Value] = [],
        checked: Bool = false
    ) throws(DatasetError) -> LoadedDataset {
        if !checked { _ = try checkColumns(session) }
        let whereClause = condition.map { " WHERE " + $0 } ?? ""
        let kept = schema.columns.filter { columns?.contains($0.name) ?? true }
        let dialect = SQLDialect.postgres
        if kept.isEmpty {
            let count = try session.rows(
                "SELECT COUNT(*)::text FROM \(dialect.relation(relation))\(whereClause)", parameters)
            let rows = Int((count.first?.first ?? nil) ?? "0") ?? 0
            return LoadedDataset(
                table: Table(schema: DatasetSchema(columns: []), columns: [], rowCount: rows), rejected: [], header: [],
                sha256: "")
        }
        let list = kept.map { dialect.identifier($0.name) + "::text" }.joined(separator: ", ")
        // Each row typed into the columns as it arrives: the memory is the typed columns of the
        // selected columns, never the whole result as text.
        let sink = PostgresColumnSink(self, kept)
        try session.stream("SELECT \(list) FROM \(dialect.relation(relation))\(whereClause)", parameters) {
            cells throws(DatasetError) in try sink.add(cells)
        }
        let table = Table(
            schema: DatasetSchema(columns: kept), columns: sink.builders.map { $0.build() }, rowCount: sink.count)
        return LoadedDataset(table: table, rejected: [], header: kept.map(\.name), sha256: "")
    }

    /// A cell's text (the server's own text form of its value) as the schema's type, as the CSV
    /// reader would type the same text.
    func typed(_ text: String?, _ spec: ColumnSpec, row: Int) throws(DatasetError) -> Value {
        guard let text, !(spec.type == .string && text.isEmpty) else {
            if spec.required {
                throw PostgresSession.error(
                    url, name, "row \(row), column '\(spec.name)': empty, but the column is required")
            }
            return .null
        }
        switch spec.type {
        case .int: if let v = Int64(text) { return .int(v) }
        case .decimal: if let v = Double(text), v.isFinite { return .decimal(v) }
        case .string: return .string(NFC.normalize(text))
        case .date: if let day = Day(iso: text) { return .date(day) }
        case .bool:
            switch text {
            case "true", "t": return .bool(true)
            case "false", "f": return .bool(false)
            default: break
            }
        }
        throw PostgresSession.error(
            url, name, "row \(row), column '\(spec.name)': '\(text.prefix(40))' is not \(spec.type)")
    }

    /// The relation's columns with their server types, from the description of a statement that
    /// reads at most one row (a query with no rows still describes its columns).
    func relationColumns(_ session: PostgresSession) throws(DatasetError) -> [PostgresColumn] {
        let described = try session.describe(
            "SELECT \"reportd_rows\".* FROM (SELECT 1) AS \"reportd_one\" LEFT JOIN "
                + "\(aliasedRelation) ON TRUE LIMIT 1")
        var columns: [PostgresColumn] = []
        for (name, oid) in described {
            if let known = Self.types[oid] {
                columns.append(PostgresColumn(name: name, typeName: known.name, type: known.type))
            } else {
                let found = try session.rows("SELECT format_type($1::oid, NULL)", [.int(Int64(oid))])
                columns.append(
                    PostgresColumn(name: name, typeName: (found.first?.first ?? nil) ?? "oid \(oid)", type: nil))
            }
        }
        return columns
    }

    var aliasedRelation: String {
        switch relation {
        case .table(let table): return SQLDialect.postgres.identifier(table) + " AS \"reportd_rows\""
        case .query(let text): return "(\(text)) AS \"reportd_rows\""
        }
    }

    /// The server types reportd reads, by type oid, with their SQL names.
    static let types: [UInt32: (name: String, type: ColumnType)] = [
        21: ("smallint", .int), 23: ("integer", .int), 20: ("bigint", .int),
        700: ("real", .decimal), 701: ("double precision", .decimal), 1700: ("numeric", .decimal),
        25: ("text", .string), 1043: ("character varying", .string), 1042: ("character", .string),
        19: ("name", .string), 18: ("\"char\"", .string),
        1082: ("date", .date), 16: ("boolean", .bool),
    ]

    /// Checks that every schema column is in the relation with a type that can hold it; the
    /// relation's columns.
    @discardableResult
    func checkColumns(_ session: PostgresSession) throws(DatasetError) -> [PostgresColumn] {
        let found = try relationColumns(session)
        for spec in schema.columns {
            guard let column = found.first(where: { $0.name == spec.name }) else {
                let where_ = settings.query != nil ? "the query's result" : "table '\(settings.table ?? "")'"
                throw PostgresSession.error(
                    url, name,
                    "column '\(spec.name)' is not in \(where_) (it has: \(found.map(\.name).joined(separator: ", ")))")
            }
            guard let type = column.type, Self.fits(spec.type, in: type) else {
                throw PostgresSession.error(
                    url, name,
                    "column '\(spec.name)' is \(column.typeName) on the server, but \(spec.type) in the schema")
            }
        }
        return found
    }

    static func fits(_ wanted: ColumnType, in found: ColumnType) -> Bool {
        switch (wanted, found) {
        case _ where wanted == found: return true
        case (.decimal, .int), (.date, .string), (.string, .date): return true
        default: return false
        }
    }

    /// The schema the server declares: the relation's columns with their types. A column of a
    /// type reportd does not read is an error naming it (cast it in a `query`).
    public func databaseSchema() throws(DatasetError) -> DatasetSchema {
        try withSession { session throws(DatasetError) in
            let found = try relationColumns(session)
            if let odd = found.first(where: { $0.type == nil }) {
                throw PostgresSession.error(
                    url, name,
                    "column '\(odd.name)' has the type \(odd.typeName), which reportd does not read "
                        + "(it reads integers, real and numeric numbers, text, date and boolean): "
                        + "cast it in a 'query', or leave it out")
            }
            if found.isEmpty { throw PostgresSession.error(url, name, "the relation has no columns") }
            return DatasetSchema(columns: found.map { ColumnSpec(name: $0.name, type: $0.type!) })
        }
    }
}

/// The typed columns of a streamed read, filled row by row on the connection's event loop (one
/// row at a time, in order) and read by the caller once the statement has completed.
final class PostgresColumnSink: @unchecked Sendable {
    let source: PostgresDatasetSource
    let kept: [ColumnSpec]
    var builders: [ColumnBuilder]
    var count = 0

    init(_ source: PostgresDatasetSource, _ kept: [ColumnSpec]) {
        self.source = source
        self.kept = kept
        builders = kept.map { ColumnBuilder(spec: $0, capacity: 0) }
    }

    func add(_ cells: [String?]) throws(DatasetError) {
        count += 1
        for i in kept.indices {
            let value = try source.typed(cells[i], kept[i], row: count)
            if value.isNull { builders[i].appendNull() } else { builders[i].append(value) }
        }
    }
}
