public import ReportCore
import ReportSQL
import SQLiteNIO

extension SQLiteDatasetSource {
    /// The report computed by SQLite: one aggregate statement (the filter as WHERE with bound
    /// parameters, GROUP BY the group columns) and, for totals, the same without GROUP BY; the
    /// engine's sort and limit on the grouped rows. Nil (the engine computes it from a read) when
    /// the report has a period, a metric SQLite cannot compute exactly as the engine (median,
    /// percentile, stddev, share, growth, ratio, a decimal sum or mean, a plugin), when a read
    /// would fail on a cell (a null in a required column, a value not of its column's type: the
    /// read gives that error), or when an integer sum overflows (the engine gives that error).
    public func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult? {
        guard report.period == nil, let plan = PushdownPlan(report, schema: schema, relation: relation) else {
            return nil
        }
        let db = try SQLiteReadConnection.open(path: settings.path, dataset: name)
        defer { db.close() }
        _ = try db.rows("BEGIN", [])
        defer { _ = try? db.rows("COMMIT", []) }
        try checkColumns(db)
        guard try cellsAreClean(db) else { return nil }
        let builder = SQLAggregateQuery(dialect: .sqlite, schema: schema)
        let grouped = builder.statement(
            from: relation, filter: report.filter?.tree, groupBy: report.groupBy, aggregates: plan.aggregates)
        guard let rows = try overflowing(db, grouped) else { return nil }
        var table: [(first: Int64, row: [Value])] = []
        var rowsUsed = 0
        for row in rows {
            let cells = row.columns.map(\.data)
            var values: [Value] = []
            for (i, key) in report.groupBy.enumerated() {
                let spec = schema.column(named: key)!
                values.append(try typed(cells[i], ColumnSpec(name: spec.name, type: spec.type), row: 0))
            }
            let aggregates = Array(cells[report.groupBy.count...])
            let count = Int(aggregates[plan.countIndex].integer ?? 0)
            // Without GROUP BY, SQL gives one row even for no rows, as the engine gives one group.
            rowsUsed += count
            values += plan.metricValues(aggregates)
            table.append((plan.firstRowIndex.flatMap { aggregates[$0].integer.map(Int64.init) } ?? 0, values))
        }
        if plan.firstRowIndex != nil { table.sort { $0.first < $1.first } }
        // Labelled as the engine's (value labels are the sort keys of a labelled column).
        let columns = ReportResult.labelled(
            report.groupBy.map { key in
                ReportResult.ResultColumn.column(
                    name: key, role: .group, calc: nil, type: schema.column(named: key)!.type)
            } + plan.columns, schema: schema, metrics: report.metrics, locale: ReportLocale(report.locale))
        var totals: [Value]?
        if report.totals {
            let all = builder.statement(
                from: relation, filter: report.filter?.tree, groupBy: [], aggregates: plan.aggregates)
            guard let total = try overflowing(db, all)?.first else { return nil }
            totals = plan.metricValues(total.columns.map(\.data))
        }
        return ReportResult.grouped(
            columns: columns, rows: ReportEngine.sortAndLimit(table.map(\.row), for: report, columns: columns),
            totals: totals, rowsUsed: rowsUsed)
    }

    /// The statement's rows, or nil when SQLite's integer sum overflowed or the relation has no rowid.
    func overflowing(_ db: SQLiteReadConnection, _ statement: SQLStatement) throws(DatasetError) -> [SQLiteRow]? {
        do {
            return try db.rows(statement.text, statement.parameters.map(Self.bind))
        } catch {
            // A view or a WITHOUT ROWID table has no rowid to order groups by: the engine does it.
            if error.message.hasSuffix("integer overflow") || error.message.hasSuffix("no such column: rowid") {
                return nil
            }
            throw error
        }
    }

    /// Whether every cell reads as the schema's type (the read would accept it as stored: no
    /// conversion from text) and no required cell is null: every column is checked, as a file
    /// read checks every column, also those no report reads.
    /// The answer is kept per database version (and schema): the check scans the whole table.
    func cellsAreClean(_ db: SQLiteReadConnection) throws(DatasetError) -> Bool {
        let key = version().map { "\($0.value) \(schema)" }
        if let key, let known = Self.cleanVersions.withLock({ $0[key] }) { return known }
        let clean = try checkCells(db)
        if let key {
            Self.cleanVersions.withLock { known in
                if known.count >= 64 { known.removeAll() }
                known[key] = clean
            }
        }
        return clean
    }

    /// Which database versions were found clean, for `cellsAreClean` (a few entries per dataset).
    static let cleanVersions = Locked<[String: Bool]>([:])

    func checkCells(_ db: SQLiteReadConnection) throws(DatasetError) -> Bool {
        let d = SQLDialect.sqlite
        var bad: [String] = []
        for spec in schema.columns {
            let c = d.identifier(spec.name)
            let allowed: String
            switch spec.type {
            case .int: allowed = "typeof(\(c)) = 'integer'"
            case .decimal: allowed = "typeof(\(c)) IN ('integer', 'real')"
            case .string: allowed = "typeof(\(c)) = 'text'"
            case .date: allowed = "(typeof(\(c)) = 'text' AND date(\(c)) IS \(c))"
            case .bool: allowed = "(typeof(\(c)) = 'integer' AND \(c) IN (0, 1))"
            }
            let empty = spec.type == .string ? "\(c) IS NULL OR \(c) = ''" : "\(c) IS NULL"
            bad.append(spec.required ? "NOT (\(allowed)) OR \(empty)" : "NOT (\(c) IS NULL OR \(allowed))")
        }
        guard !bad.isEmpty else { return true }
        let sql =
            "SELECT 1 FROM \(d.relation(relation)) WHERE " + bad.map { "(\($0))" }.joined(separator: " OR ")
            + " LIMIT 1"
        return try db.rows(sql, []).isEmpty
    }

    static func bind(_ value: Value) -> SQLiteData {
        switch value {
        case .null: return .null
        case .int(let v): return .integer(SQLiteInt64(v))
        case .decimal(let v): return .float(v)
        case .string(let s): return .text(s)
        case .bool(let b): return .integer(b ? 1 : 0)
        case .date(let d): return .text(d.description)
        }
    }
}

/// How a report's metrics map to SQLite aggregates, and back.
struct PushdownPlan {
    enum Piece {
        case count(Int)
        case int(Int)
        case mean(sum: Int, count: Int)
        case value(Int, ColumnType)
    }

    var aggregates: [SQLAggregate] = []
    var pieces: [Piece] = []
    var columns: [ReportResult.ResultColumn] = []
    var countIndex = 0
    var firstRowIndex: Int?

    init?(_ report: ReportDefinition, schema: DatasetSchema, relation: SQLRelation) {
        func add(_ a: SQLAggregate) -> Int {
            aggregates.append(a)
            return aggregates.count - 1
        }
        for metric in report.metrics {
            guard let aggregate = SQLAggregate.of(metric) else { return nil }
            let type: ColumnType
            switch aggregate {
            case .count:
                pieces.append(.count(add(.count)))
                type = .int
            case .sum(let c):
                guard schema.column(named: c)?.type == .int else { return nil }
                pieces.append(.int(add(aggregate)))
                type = .int
            case .mean(let c):
                guard schema.column(named: c)?.type == .int else { return nil }
                pieces.append(.mean(sum: add(.sum(c)), count: add(.countValues(c))))
                type = .decimal
            case .min(let c), .max(let c):
                guard let t = schema.column(named: c)?.type else { return nil }
                pieces.append(.value(add(aggregate), t))
                type = t
            case .countDistinct:
                pieces.append(.count(add(aggregate)))
                type = .int
            case .countValues, .firstRow:
                return nil
            }
            columns.append(
                ReportResult.ResultColumn.column(name: metric.name, role: .metric, calc: metric.calc, type: type))
        }
        countIndex = add(.count)
        if !report.sort.isEmpty && !report.groupBy.isEmpty {
            // Ties keep the order in which the engine meets the groups: a table's row order.
            guard case .table = relation else { return nil }
            firstRowIndex = add(.firstRow)
        }
    }

    func metricValues(_ cells: [SQLiteData]) -> [Value] {
        pieces.map { piece in
            switch piece {
            case .count(let i): return .int(Int64(cells[i].integer ?? 0))
            case .int(let i): return cells[i].integer.map { .int(Int64($0)) } ?? .null
            case .mean(let sum, let count):
                guard let total = cells[sum].integer, let n = cells[count].integer, n > 0 else { return .null }
                return Value.finite(Double(total) / Double(n))
            case .value(let i, let type):
                switch (cells[i], type) {
                case (.null, _): return .null
                case (.integer(let v), .int): return .int(Int64(v))
                case (.integer(let v), .decimal): return .decimal(Double(v))
                case (.float(let v), _): return .decimal(v)
                case (.integer(let v), .bool): return .bool(v != 0)
                case (.text(let t), .date): return Day(iso: t).map { .date($0) } ?? .null
                case (.text(let t), _): return .string(t)
                default: return .null
                }
            }
        }
    }
}
