public import ReportCore
import ReportSQL
import SQLiteNIO

extension SQLiteDatasetSource {
    /// The report computed by SQLite: one aggregate statement (the filter as WHERE with bound
    /// parameters, GROUP BY the group columns) and, for totals, the same without GROUP BY; the
    /// engine's sort and limit on the grouped rows; `share`, `ratio` and `growth` from the grouped
    /// sums (`SQLGroupedSums`). A period report: the same per range of the period (its range, the
    /// compared ranges, the year to date; the range's dates as bound parameters), joined by the
    /// engine's own join. Nil (the engine computes it from a read) when a metric cannot be
    /// computed exactly as the engine (median, percentile, stddev, a decimal sum, mean, share,
    /// ratio or growth, a plugin), when a read would fail on a cell (a null in a required column,
    /// a value not of its column's type: the read gives that error), or when an integer sum
    /// overflows (the engine gives that error).
    public func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult? {
        guard report.period == nil, PushdownPlan(report, schema: schema, relation: relation) != nil else {
            return nil
        }
        let snapshot = try SQLiteSnapshot(self)
        defer { snapshot.close() }
        return try snapshot.compute(report, period: nil)
    }

    /// The report computed on `db` inside its transaction (the cells already checked clean).
    func compute(_ db: SQLiteReadConnection, _ report: ReportDefinition, period: RunPeriod?) throws(DatasetError)
        -> ReportResult?
    {
        let filter = report.filter?.tree
        guard let period else {
            guard report.period == nil, let plan = PushdownPlan(report, schema: schema, relation: relation) else {
                return nil
            }
            return try grouped(db, report, plan, selection: RowSelection(filter: filter))
        }
        let column = period.rule.dateColumn
        guard schema.column(named: column)?.type == .date else { return nil }
        // Each range computed as the report itself, unsorted and unlimited: those apply to the join.
        var plain = report
        plain.sort = []
        plain.limit = nil
        guard let plan = PushdownPlan(plain, schema: schema, relation: relation) else { return nil }
        var results: [ReportResult] = []
        for range in period.ranges {
            let selection = RowSelection(filter: filter, dateColumn: column, ranges: [range])
            guard let result = try grouped(db, plain, plan, selection: selection) else { return nil }
            results.append(result)
        }
        // Rows without a date, over the whole table, as the engine counts them.
        let figures = SQLAggregateQuery(dialect: .sqlite, schema: schema).selectionFigures(
            from: relation, dateColumn: column)
        let outside = try db.rows(figures.text, []).first?.cells[1].integer ?? 0
        return ReportEngine.joinPeriod(report, period: period, results: results, rowsOutsidePeriod: Int(outside))
    }

    /// The report over the rows of `selection`, grouped by SQLite; nil when the engine must compute it.
    func grouped(_ db: SQLiteReadConnection, _ report: ReportDefinition, _ plan: PushdownPlan, selection: RowSelection)
        throws(DatasetError) -> ReportResult?
    {
        let builder = SQLAggregateQuery(dialect: .sqlite, schema: schema)
        // Text group columns grouped as stored, as the hand-written statement groups them: nfc()
        // on every row costs a call and a copy per row. The keys are normalised here (typed()
        // gives text in NFC, an empty text null) and groups whose keys meet are merged when every
        // aggregate merges; when one does not (min or max of text, a count of distinct values),
        // the statement runs again grouped in NFC, which only a table holding two spellings of one
        // key needs (precomposed and decomposed, a singleton such as the Kelvin sign, '' and null).
        var rows: [[SQLiteData]]?
        if report.groupBy.contains(where: { schema.column(named: $0)?.type == .string }) {
            let stored = builder.statement(
                from: relation, selection: selection, groupBy: report.groupBy, aggregates: plan.aggregates,
                rawText: true)
            guard let found = try overflowing(db, stored) else { return nil }
            rows = try merged(found.map(\.cells), groupBy: report.groupBy, plan.aggregates)
        }
        if rows == nil {
            let statement = builder.statement(
                from: relation, selection: selection, groupBy: report.groupBy, aggregates: plan.aggregates)
            guard let found = try overflowing(db, statement) else { return nil }
            rows = found.map(\.cells)
        }
        var groups: [(first: Int64, key: [Value], cells: [SQLiteData])] = []
        var rowsUsed = 0
        for cells in rows ?? [] {
            var key: [Value] = []
            for (i, name) in report.groupBy.enumerated() {
                let spec = schema.column(named: name)!
                key.append(try typed(cells[i], ColumnSpec(name: spec.name, type: spec.type), row: 0))
            }
            let aggregates = Array(cells[report.groupBy.count...])
            // Without GROUP BY, SQL gives one row even for no rows, as the engine gives one group.
            rowsUsed += Int(aggregates[plan.countIndex].integer ?? 0)
            groups.append((plan.firstRowIndex.flatMap { aggregates[$0].integer.map(Int64.init) } ?? 0, key, aggregates))
        }
        // The groups in the order the engine meets them: a table's row order.
        if plan.firstRowIndex != nil { groups.sort { $0.first < $1.first } }
        var values = groups.map { plan.metricValues($0.cells) }
        var totals: [Value]?
        if report.totals {
            let all = builder.statement(from: relation, selection: selection, groupBy: [], aggregates: plan.aggregates)
            guard let total = try overflowing(db, all)?.first else { return nil }
            totals = plan.metricValues(total.cells)
        }
        // share, ratio and growth from the grouped sums (SQLite's integer sums are 64-bit: an
        // overflow already gave nil above).
        guard
            SQLGroupedSums.fill(
                plan.derived, values: &values, totals: &totals, keys: groups.map(\.key), groupBy: report.groupBy,
                sum: { g, i in groups[g].cells[i].integer.map { .int(Int64($0)) } ?? .null })
        else { return nil }  // the engine gives the error
        // Labelled as the engine's (value labels are the sort keys of a labelled column).
        let columns = ReportResult.labelled(
            report.groupBy.map { key in
                ReportResult.ResultColumn.column(
                    name: key, role: .group, calc: nil, type: schema.column(named: key)!.type)
            } + plan.columns, schema: schema, metrics: report.metrics, locale: ReportLocale(report.locale))
        let table = zip(groups, values).map { $0.key + $1 }
        return ReportResult.grouped(
            columns: columns, rows: ReportEngine.sortAndLimit(table, for: report, columns: columns), totals: totals,
            rowsUsed: rowsUsed)
    }

    /// Groups of a statement grouped by stored text, those whose keys are equal as the engine reads
    /// them (in NFC, an empty text null) merged; nil when two such groups meet and an aggregate
    /// does not merge, or a merged count or sum passes 64 bits (the caller groups in NFC, where
    /// SQLite's own sum overflows as the engine's does).
    func merged(_ rows: [[SQLiteData]], groupBy: [String], _ aggregates: [SQLAggregate]) throws(DatasetError)
        -> [[SQLiteData]]?
    {
        var out: [[SQLiteData]] = []
        var seen: [[Value]: Int] = [:]
        for cells in rows {
            var key: [Value] = []
            for (i, name) in groupBy.enumerated() {
                let spec = schema.column(named: name)!
                key.append(try typed(cells[i], ColumnSpec(name: spec.name, type: spec.type), row: 0))
            }
            guard let at = seen[key] else {
                seen[key] = out.count
                out.append(cells)
                continue
            }
            var both = out[at]
            for (i, aggregate) in aggregates.enumerated() {
                let j = groupBy.count + i
                guard let value = Self.merge(both[j], cells[j], aggregate, schema) else { return nil }
                both[j] = value
            }
            out[at] = both
        }
        return out
    }

    /// One aggregate of two groups combined: counts and sums added (nil past 64 bits), the smaller
    /// min and larger max of a column that is not text, the earlier first row; nil for an
    /// aggregate that does not merge (min or max of text, a count of distinct values).
    static func merge(_ x: SQLiteData, _ y: SQLiteData, _ aggregate: SQLAggregate, _ schema: DatasetSchema)
        -> SQLiteData?
    {
        switch aggregate {
        case .count, .countValues, .sum:
            if case .null = x { return y }
            if case .null = y { return x }
            guard case .integer(let a) = x, case .integer(let b) = y else { return nil }
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? nil : .integer(sum)
        case .firstRow, .min, .max:
            if case .min(let c) = aggregate, schema.column(named: c)?.type == .string { return nil }
            if case .max(let c) = aggregate, schema.column(named: c)?.type == .string { return nil }
            if case .null = x { return y }
            if case .null = y { return x }
            guard let yBefore = Self.less(y, x), let xBefore = Self.less(x, y) else { return nil }
            if case .max = aggregate { return xBefore ? y : x }
            return yBefore ? y : x
        case .countDistinct, .mean:
            return nil
        }
    }

    /// Whether `a` orders before `b` as SQLite orders them (numbers by value, text by its bytes);
    /// nil for values of kinds that do not compare here.
    static func less(_ a: SQLiteData, _ b: SQLiteData) -> Bool? {
        switch (a, b) {
        case (.integer(let p), .integer(let q)): return p < q
        case (.float(let p), .float(let q)): return p < q
        case (.integer(let p), .float(let q)): return Double(p) < q
        case (.float(let p), .integer(let q)): return p < Double(q)
        case (.text(let p), .text(let q)): return p.utf8.lexicographicallyPrecedes(q.utf8)
        default: return nil
        }
    }

    /// The statement's rows, or nil when SQLite's integer sum overflowed or the relation has no rowid.
    func overflowing(_ db: SQLiteReadConnection, _ statement: SQLStatement) throws(DatasetError) -> [SQLiteResultRow]? {
        noteRead(statement)
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
    /// conversion from text) and no required cell is null, with the relation's row count: every
    /// column is checked, as a file read checks every column, also those no report reads.
    /// The answer is kept per database version (and schema), in this process and in the daemon's
    /// state folder (`SQLiteCheckStore`), so that neither `serve` nor the next `reportd run` checks
    /// a database again that no write has touched since: the check may scan the whole table.
    /// `version` is the snapshot's (nil when it is not certain: nothing is kept or reused).
    func cellsAreClean(_ db: SQLiteReadConnection, version: DatasetVersion?) throws(DatasetError) -> CellFigures {
        let key = version.map { "\($0.value) \(schema)" }
        if let key, let known = Self.cleanVersions.withLock({ $0[key] }) { return known }
        let store = SQLiteCheckStore(settings)
        if let key, let store, let kept = store.load(key: key) {
            remember(kept, key: key)
            return kept
        }
        let figures = try checkCells(db)
        if let key {
            remember(figures, key: key)
            store?.save(figures, key: key)
        }
        return figures
    }

    private func remember(_ figures: CellFigures, key: String) {
        Self.cleanVersions.withLock { known in
            if known.count >= 64 { known.removeAll() }
            known[key] = figures
        }
    }

    /// How many cell checks this process ran per database path (tests check when the kept
    /// answer is used).
    static let cellCheckCounts = Locked<[String: Int]>([:])

    /// How many cell checks this process ran on the database at `path`.
    package static func cellChecks(path: String) -> Int { cellCheckCounts.withLock { $0[path] ?? 0 } }

    /// Forgets the answers kept in this process (tests: as a new `reportd run` would start).
    package static func forgetCheckedVersions() { cleanVersions.withLock { $0.removeAll() } }

    /// Which database versions were found clean, for `cellsAreClean` (a few entries per dataset).
    static let cleanVersions = Locked<[String: CellFigures]>([:])

    /// One aggregate statement over the whole relation: its row count, and how many rows have a
    /// cell that is not clean (see `badCell`); only the row count when the table's own definition
    /// guarantees every cell (see `TableGuarantees`).
    func checkCells(_ db: SQLiteReadConnection) throws(DatasetError) -> CellFigures {
        Self.cellCheckCounts.withLock { $0[settings.path, default: 0] += 1 }
        let statement = try cellCheck(db)
        let row = try db.rows(statement, []).first?.cells
        let rows = Int(row?[0].integer ?? 0)
        return CellFigures(clean: row.map { $0.count < 2 || $0[1].integer == 0 } ?? true, rows: rows)
    }

    /// The cell check's statement for the database as it is now (tests check what it reads).
    package func cellCheckStatement() throws(DatasetError) -> String {
        let db = try SQLiteReadConnection.open(path: settings.path, dataset: name)
        defer { db.close() }
        return try cellCheck(db)
    }

    /// `SELECT COUNT(*), the rows with a cell that is not clean FROM relation`; `SELECT COUNT(*)`
    /// alone when no cell needs a look (SQLite then counts the rows without reading them).
    func cellCheck(_ db: SQLiteReadConnection) throws(DatasetError) -> String {
        // A table's declared types give its columns' affinity (SQLite stores a value in an INTEGER
        // column as an integer whenever it can); a view's or a query's say nothing for sure. A
        // table's definition may guarantee more (STRICT, NOT NULL, CHECK).
        var integerAffinity: Set<String> = []
        var guarantees = TableGuarantees()
        if case .table(let table) = relation,
            try db.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [.text(table)]).count == 1
        {
            for column in try relationColumns(db) where column.declared.uppercased().contains("INT") {
                integerAffinity.insert(column.name)
            }
            guarantees = try TableGuarantees.read(table: table, on: db)
        }
        let bad = schema.columns.compactMap {
            Self.badCell(
                $0, integerAffinity: integerAffinity.contains($0.name), guaranteed: guarantees.column($0.name))
        }
        let from = SQLDialect.sqlite.relation(relation)
        if bad.isEmpty { return "SELECT COUNT(*) FROM \(from)" }
        let any = bad.map { "(\($0))" }.joined(separator: " OR ")
        return "SELECT COUNT(*), COALESCE(SUM(CASE WHEN \(any) THEN 1 ELSE 0 END), 0) FROM \(from)"
    }

    /// A condition true for a cell that is not clean: not of the schema's type as stored, or null
    /// (an empty text) in a required column; false or null for a clean cell; nil when the table's
    /// definition (`guaranteed`) leaves nothing to check. Comparisons do most of the work, cheaper
    /// than typeof(): SQLite orders null < numbers < text < blobs, so `c >= ''` is true for text
    /// and blobs, `c < ''` for numbers, `c >= x''` for blobs.
    static func badCell(
        _ spec: ColumnSpec, integerAffinity: Bool, guaranteed g: TableGuarantees.Column = TableGuarantees.Column()
    ) -> String? {
        let c = SQLDialect.sqlite.identifier(spec.name)
        // A required cell may be null unless the column is NOT NULL.
        let nullable = spec.required && !g.notNull
        let null = nullable ? "\(c) IS NULL OR " : ""
        func either(_ parts: [String?]) -> String? {
            let parts = parts.compactMap { $0 }
            return parts.isEmpty ? nil : parts.joined(separator: " OR ")
        }
        let isNull = nullable ? "\(c) IS NULL" : nil
        switch spec.type {
        case .string:
            // STRICT TEXT: only text is stored; a required one must not be empty (CHECK c <> '').
            if g.texts { return either([isNull, spec.required && !g.notEmpty ? "\(c) = ''" : nil]) }
            // Text, and not empty when required (an empty text reads as null).
            return spec.required ? null + "\(c) <= '' OR \(c) >= x''" : "\(c) < '' OR \(c) >= x''"
        case .int:
            if g.integers { return isNull }
            // In an INTEGER column a real is stored as an integer when it is one: one left a real is
            // not a whole number within 64 bits, and `c & -1` (c as an integer) differs from it.
            if integerAffinity { return null + "\(c) >= '' OR (\(c) & -1) <> \(c)" }
            return spec.required ? "typeof(\(c)) <> 'integer'" : "typeof(\(c)) NOT IN ('integer', 'null')"
        case .decimal:
            if g.numbers { return isNull }
            return null + "\(c) >= ''"
        case .bool:
            // STRICT INT/INTEGER: only integers are stored; 0 or 1 unless CHECK (c IN (0, 1)).
            if g.integers { return either([isNull, g.zeroOrOne ? nil : "\(c) NOT IN (0, 1)"]) }
            let bad = "typeof(\(c)) <> 'integer' OR \(c) NOT IN (0, 1)"
            return spec.required ? bad : "\(c) IS NOT NULL AND (\(bad))"
        case .date:
            // CHECK (date(c, '+0 days') IS c) is this very condition, checked by SQLite at each write.
            if g.isoDate { return isNull }
            // A valid ISO date comes back from date() as the same text; anything else differs (a
            // modifier makes SQLite carry a day past its month's end, as it does not without one).
            return null + "date(\(c), '+0 days') IS NOT \(c)"
        }
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

/// What the cell check of a snapshot found: whether every cell is clean, and the row count.
struct CellFigures: Sendable {
    var clean: Bool
    var rows: Int
}

/// How a report's metrics map to SQLite aggregates, and back.
struct PushdownPlan {
    enum Piece {
        case count(Int)
        case int(Int)
        case mean(sum: Int, count: Int)
        case value(Int, ColumnType)
        /// share, ratio, growth: filled in from the grouped sums (`derived`).
        case derived
    }

    var aggregates: [SQLAggregate] = []
    var pieces: [Piece] = []
    var columns: [ReportResult.ResultColumn] = []
    var countIndex = 0
    var firstRowIndex: Int?
    var derived: [SQLGroupedSums.Derived] = []

    init?(_ report: ReportDefinition, schema: DatasetSchema, relation: SQLRelation) {
        func add(_ a: SQLAggregate) -> Int {
            aggregates.append(a)
            return aggregates.count - 1
        }
        var groupOrder = false
        for metric in report.metrics {
            if let summed = SQLGroupedSums.summedColumns(of: metric) {
                // Exact as the engine for integer sums only (a decimal sum is exact in the engine, not in SQLite).
                guard summed.allSatisfy({ schema.column(named: $0)?.type == .int }) else { return nil }
                var sums: [String: Int] = [:]
                for c in summed { sums[c] = add(.sum(c)) }
                derived.append(SQLGroupedSums.Derived(position: pieces.count, metric: metric, sums: sums))
                pieces.append(.derived)
                // share adds the groups' sums in the order the engine meets the groups.
                if metric.calc == "share" { groupOrder = true }
                columns.append(
                    ReportResult.ResultColumn.column(
                        name: metric.name, role: .metric, calc: metric.calc, type: .decimal))
                continue
            }
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
        if (!report.sort.isEmpty || groupOrder) && !report.groupBy.isEmpty {
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
            case .derived: return .null
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
