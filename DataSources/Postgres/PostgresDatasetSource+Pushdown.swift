public import ReportCore
import ReportSQL

extension PostgresDatasetSource {
    /// The report computed by the server: one aggregate statement (the filter as WHERE with bound
    /// parameters, GROUP BY the group columns) and, for totals, the same without GROUP BY, in one
    /// read-only REPEATABLE READ transaction; the engine's sort and limit on the grouped rows.
    /// A period report: the same per range of the period (its range, the compared ranges, the year
    /// to date; the range's dates bound), joined by the engine's own join.
    /// Nil (the engine computes it from a read) when a metric cannot be computed by the server
    /// exactly as the engine (stddev of a decimal column: the engine's two-pass sum in doubles
    /// cannot be reproduced, an int column's is computed from exact moments by both; a decimal sum
    /// or mean; share, growth or ratio over decimal columns; a plugin), when a column
    /// it uses has another type on the server than in the schema (text read as dates), when a
    /// read would fail on a cell (a null in a required column, a non-finite decimal: the read
    /// gives that error), or when an integer sum passes 64 bits (the engine gives that error).
    public func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult? {
        guard report.period == nil, PostgresPushdownPlan(report, schema: schema, relation: relation) != nil else {
            return nil
        }
        let snapshot = try PostgresSnapshot(self)
        defer { snapshot.close() }
        return try snapshot.compute(report, period: nil)
    }

    /// The report computed on `session` inside the snapshot's transaction, `found` the relation's
    /// columns on the server, the cells already checked clean. `dateless`: the relation's rows
    /// without a date in the period's column when counted already (`PostgresSideCount`), else nil.
    func compute(
        _ report: ReportDefinition, period: RunPeriod?, found: [PostgresColumn], _ session: PostgresSession,
        dateless: () -> Int? = { nil }
    ) throws(DatasetError) -> ReportResult? {
        for name in report.columnsRead(in: schema) {
            guard let spec = schema.column(named: name), found.first(where: { $0.name == name })?.type == spec.type
            else { return nil }
        }
        let filter = report.filter?.tree
        guard let period else {
            guard report.period == nil, let plan = PostgresPushdownPlan(report, schema: schema, relation: relation)
            else { return nil }
            return try grouped(report, plan: plan, selection: RowSelection(filter: filter), session)
        }
        let column = period.rule.dateColumn
        guard schema.column(named: column)?.type == .date else { return nil }
        // Each range computed as the report itself, unsorted and unlimited: those apply to the join.
        var plain = report
        plain.sort = []
        plain.limit = nil
        guard let plan = PostgresPushdownPlan(plain, schema: schema, relation: relation) else { return nil }
        var results: [ReportResult] = []
        for range in period.ranges {
            let selection = RowSelection(filter: filter, dateColumn: column, ranges: [range])
            guard let result = try grouped(plain, plan: plan, selection: selection, session) else { return nil }
            results.append(result)
        }
        // Rows without a date, over the whole relation, as the engine counts them.
        let count: Int
        if let known = dateless() {
            count = known
        } else {
            let d = SQLDialect.postgres
            let outside = try session.rows(
                "SELECT COUNT(*)::text FROM \(d.relation(relation)) WHERE \(d.identifier(column)) IS NULL")
            count = Int((outside.first?.first ?? nil) ?? "0") ?? 0
        }
        return ReportEngine.joinPeriod(report, period: period, results: results, rowsOutsidePeriod: count)
    }

    /// The report over the rows of `selection`, grouped by the server; nil when the engine must compute it.
    func grouped(
        _ report: ReportDefinition, plan: PostgresPushdownPlan, selection: RowSelection, _ session: PostgresSession
    ) throws(DatasetError) -> ReportResult? {
        let builder = PostgresAggregateQuery(schema: schema)
        // Text group columns grouped as stored: normalize() on every row costs more than the
        // grouping itself (by district, a million rows: 2.1 s as stored, 4.8 s normalised). The
        // keys are normalised here (typed() gives text in NFC) and groups whose keys meet are
        // merged when every aggregate merges; when one does not (a percentile, a count of
        // distinct values), the statement runs again grouped in NFC, which only a table holding
        // two spellings of one text (precomposed and decomposed, or a singleton such as the
        // Kelvin sign) needs.
        let textGroups = report.groupBy.contains { schema.column(named: $0)?.type == .string }
        let merges = plan.aggregates.allSatisfy { $0.merges(in: schema) }
        var rows: [[String?]] = []
        if textGroups, let stored = try storedGroups(report, plan: plan, selection: selection, merges: merges, session) {
            rows = stored
        } else {
            let grouped = builder.statement(
                from: relation, selection: selection, groupBy: report.groupBy, aggregates: plan.aggregates)
            rows = try session.rows(grouped.text, grouped.parameters)
        }
        var groups: [(first: (Int, Int), key: [Value], cells: [String?], metrics: [Value])] = []
        var rowsUsed = 0
        for cells in rows {
            var key: [Value] = []
            for (i, name) in report.groupBy.enumerated() {
                let spec = schema.column(named: name)!
                key.append(try typed(cells[i], ColumnSpec(name: spec.name, type: spec.type), row: 0))
            }
            let aggregates = Array(cells[report.groupBy.count...])
            rowsUsed += Int(aggregates[plan.countIndex] ?? "0") ?? 0
            guard let metrics = plan.metricValues(aggregates) else { return nil }
            groups.append((plan.firstRowIndex.map { Self.tid(aggregates[$0]) } ?? (0, 0), key, aggregates, metrics))
        }
        // The groups in the order the engine meets them: a table's row order.
        if plan.firstRowIndex != nil { groups.sort { $0.first < $1.first } }
        // Labelled as the engine's (value labels are the sort keys of a labelled column).
        let columns = ReportResult.labelled(
            report.groupBy.map { key in
                ReportResult.ResultColumn.column(
                    name: key, role: .group, calc: nil, type: schema.column(named: key)!.type)
            } + plan.columns, schema: schema, metrics: report.metrics, locale: ReportLocale(report.locale))
        var totals: [Value]?
        if report.totals {
            let all = builder.statement(
                from: relation, selection: selection, groupBy: [], aggregates: plan.aggregates)
            guard let total = try session.rows(all.text, all.parameters).first, let metrics = plan.metricValues(total)
            else { return nil }
            totals = metrics
        }
        // share, ratio and growth from the grouped sums, by the built-in calculators themselves
        // (each group given as one row of its sums), so nulls, division by zero and rounding are
        // the engine's.
        var values = groups.map(\.metrics)
        guard
            SQLGroupedSums.fill(
                plan.derived, values: &values, totals: &totals, keys: groups.map(\.key), groupBy: report.groupBy,
                sum: { g, i in
                    // A sum past 64 bits (nil): the engine computes the report and gives its error.
                    guard let text = groups[g].cells[i] else { return .null }
                    return Int64(text).map { .int($0) }
                })
        else { return nil }
        let table = zip(groups, values).map { $0.key + $1 }
        return ReportResult.grouped(
            columns: columns, rows: ReportEngine.sortAndLimit(table, for: report, columns: columns),
            totals: totals, rowsUsed: rowsUsed)
    }

    /// The groups of a report grouped by text columns as stored, those whose keys are equal in NFC
    /// merged (`merges`: every aggregate merges; then an empty text is grouped apart from null, as
    /// stored, and its group merged with the null group: both keys are null, as the engine reads
    /// an empty text); nil when two such groups meet and cannot be
    /// merged (then the caller groups in NFC), or when a merged sum passes 128 bits.
    func storedGroups(
        _ report: ReportDefinition, plan: PostgresPushdownPlan, selection: RowSelection, merges: Bool,
        _ session: PostgresSession
    ) throws(DatasetError) -> [[String?]]? {
        let statement = PostgresAggregateQuery(schema: schema).statement(
            from: relation, selection: selection, groupBy: report.groupBy, aggregates: plan.aggregates, rawText: true,
            emptyApart: merges)
        var rows: [[String?]] = []
        var merged: [[Value]: Int] = [:]
        for cells in try session.rows(statement.text, statement.parameters) {
            var key: [Value] = []
            for (i, name) in report.groupBy.enumerated() {
                let spec = schema.column(named: name)!
                key.append(try typed(cells[i], ColumnSpec(name: spec.name, type: spec.type), row: 0))
            }
            if let at = merged[key] {
                guard merges, let both = Self.merge(rows[at], cells, from: report.groupBy.count, plan.aggregates, schema)
                else { return nil }
                rows[at] = both
            } else {
                merged[key] = rows.count
                rows.append(cells)
            }
        }
        return rows
    }

    /// Two groups' cells (text, as the statement gives them) whose keys are equal in NFC, combined:
    /// counts and sums added exactly, the smaller min, the larger max, the earlier first row. Nil
    /// when a sum passes 128 bits.
    static func merge(
        _ a: [String?], _ b: [String?], from first: Int, _ aggregates: [PostgresAggregate], _ schema: DatasetSchema
    ) -> [String?]? {
        var out = a
        for (i, aggregate) in aggregates.enumerated() {
            let x = a[first + i]
            let y = b[first + i]
            guard let x else {
                out[first + i] = y
                continue
            }
            guard let y else { continue }
            switch aggregate {
            case .count, .countValues, .sum, .sumOfSquares:
                guard let p = Int128(x), let q = Int128(y) else { return nil }
                let (sum, overflow) = p.addingReportingOverflow(q)
                if overflow { return nil }
                out[first + i] = String(sum)
            case .min(let c), .max(let c):
                let isMin: Bool
                if case .min = aggregate { isMin = true } else { isMin = false }
                let yFirst: Bool
                switch schema.column(named: c)?.type {
                case .int?: yFirst = (Int64(y) ?? 0) < (Int64(x) ?? 0)
                case .decimal?: yFirst = (Double(y) ?? 0) < (Double(x) ?? 0)
                // bool_and / bool_or: false before true.
                case .bool?: yFirst = y.hasPrefix("f") && x.hasPrefix("t")
                // ISO dates order as their text (the session's DateStyle is ISO).
                default: yFirst = y < x
                }
                let yLast = !yFirst && y != x
                if isMin ? yFirst : yLast { out[first + i] = y }
            case .firstRow:
                if tid(y) < tid(x) { out[first + i] = y }
            case .countDistinct, .percentile:
                return nil
            }
        }
        return out
    }

    /// A `ctid`'s text `(block,offset)` as numbers, to order groups by their first row.
    static func tid(_ text: String?) -> (Int, Int) {
        guard let text else { return (Int.max, Int.max) }
        let parts = text.dropFirst().dropLast().split(separator: ",")
        guard parts.count == 2, let block = Int(parts[0]), let offset = Int(parts[1]) else { return (Int.max, Int.max) }
        return (block, offset)
    }

    /// Whether a read would accept every cell the server holds: no null (or empty text) in a
    /// required column, no NaN or infinity in a decimal column (a read refuses both, with an error
    /// the engine then gives); the server's types guarantee the rest. With the relation's row count
    /// when a statement was needed for it: one aggregate statement, once per snapshot.
    func cellFigures(_ session: PostgresSession) throws(DatasetError) -> (clean: Bool, rows: Int?) {
        let d = SQLDialect.postgres
        var bad: [String] = []
        for spec in schema.columns {
            let c = d.identifier(spec.name)
            if spec.required {
                bad.append(spec.type == .string ? "\(c) IS NULL OR \(c) = ''" : "\(c) IS NULL")
            }
            if spec.type == .decimal {
                bad.append("\(c)::float8 IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)")
            }
        }
        guard !bad.isEmpty else { return (true, nil) }
        let any = bad.map { "(\($0))" }.joined(separator: " OR ")
        let row = try session.rows(
            "SELECT COUNT(*)::text, (COUNT(*) FILTER (WHERE \(any)))::text FROM \(d.relation(relation))"
        ).first
        let rows = Int((row?.first ?? nil) ?? "0") ?? 0
        let dirty = Int(((row?.count ?? 0) > 1 ? row?[1] : nil) ?? "0") ?? 0
        return (dirty == 0, rows)
    }
}

/// How a report's metrics map to PostgreSQL aggregates, and back.
struct PostgresPushdownPlan {
    enum Piece {
        case count(Int)
        case int(Int)
        case mean(sum: Int, count: Int)
        case value(Int, ColumnType)
        case decimal(Int)
        /// stddev of an int column from its exact count, sum and sum of squares.
        case stddev(count: Int, sum: Int, squares: Int)
        /// share, ratio, growth: filled in from the grouped sums (`derived`).
        case derived
    }


    var aggregates: [PostgresAggregate] = []
    var pieces: [Piece] = []
    var columns: [ReportResult.ResultColumn] = []
    var countIndex = 0
    var firstRowIndex: Int?
    var derived: [SQLGroupedSums.Derived] = []

    init?(_ report: ReportDefinition, schema: DatasetSchema, relation: SQLRelation) {
        func add(_ a: PostgresAggregate) -> Int {
            aggregates.append(a)
            return aggregates.count - 1
        }
        var groupOrder = false
        for metric in report.metrics {
            if let summed = SQLGroupedSums.summedColumns(of: metric) {
                // Exact as the engine for integer sums only (a decimal sum is exact in the engine).
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
            var column: String?
            if case .string(let name)? = metric.parameters.values["column"] { column = name }
            let columnType = column.flatMap { schema.column(named: $0)?.type }
            let type: ColumnType
            switch (metric.calc, column, columnType) {
            case ("count", _, _):
                pieces.append(.count(add(.count)))
                type = .int
            case ("sum", let c?, .int?):
                pieces.append(.int(add(.sum(c))))
                type = .int
            case ("mean", let c?, .int?):
                pieces.append(.mean(sum: add(.sum(c)), count: add(.countValues(c))))
                type = .decimal
            case ("min", let c?, let t?):
                pieces.append(.value(add(.min(c)), t))
                type = t
            case ("max", let c?, let t?):
                pieces.append(.value(add(.max(c)), t))
                type = t
            case ("stddev", let c?, .int?):
                pieces.append(.stddev(count: add(.countValues(c)), sum: add(.sum(c)), squares: add(.sumOfSquares(c))))
                type = .decimal
            case ("count_distinct", let c?, _?):
                pieces.append(.count(add(.countDistinct(c))))
                type = .int
            case ("median", let c?, .int?), ("median", let c?, .decimal?):
                pieces.append(.decimal(add(.percentile(c, p: 50))))
                type = .decimal
            case ("percentile", let c?, .int?), ("percentile", let c?, .decimal?):
                guard let p = metric.parameters.number("p"), (0...100).contains(p) else { return nil }
                pieces.append(.decimal(add(.percentile(c, p: p))))
                type = .decimal
            default:
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

    /// The metrics' values from the statement's text cells; nil when an integer sum passes 64 bits
    /// (the engine then computes it, and fails as it does).
    func metricValues(_ cells: [String?]) -> [Value]? {
        var values: [Value] = []
        for piece in pieces {
            switch piece {
            case .count(let i): values.append(.int(Int64(cells[i] ?? "0") ?? 0))
            case .derived: values.append(.null)
            case .int(let i):
                guard let text = cells[i] else {
                    values.append(.null)
                    continue
                }
                guard let v = Int64(text) else { return nil }
                values.append(.int(v))
            case .mean(let sum, let count):
                guard let text = cells[sum], let total = Int128(text), let n = Int(cells[count] ?? "0"), n > 0 else {
                    values.append(.null)
                    continue
                }
                values.append(Value.finite(Double(total) / Double(n)))
            case .decimal(let i):
                values.append(Value.finite(cells[i].flatMap { Double($0) }))
            case .stddev(let count, let sum, let squares):
                guard let n = cells[count], n != "0", n != "1" else {
                    values.append(.null)
                    continue
                }
                guard let moments = IntegerMoments(count: n, sum: cells[sum] ?? "", squares: cells[squares] ?? ""),
                    let sd = moments.sampleStandardDeviation
                else { return nil }
                values.append(Value.finite(sd))
            case .value(let i, let type):
                guard let text = cells[i] else {
                    values.append(.null)
                    continue
                }
                switch type {
                case .int: values.append(Int64(text).map { .int($0) } ?? .null)
                case .decimal: values.append(Value.finite(Double(text)))
                case .string: values.append(.string(text))
                case .date: values.append(Day(iso: text).map { .date($0) } ?? .null)
                case .bool: values.append(.bool(text == "true" || text == "t"))
                }
            }
        }
        return values
    }
}
