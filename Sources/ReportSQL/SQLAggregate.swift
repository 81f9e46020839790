public import ReportCore

/// An aggregate the database computes per group.
public enum SQLAggregate: Sendable, Hashable {
    case count
    case sum(String)
    case mean(String)
    case min(String)
    case max(String)
    case countDistinct(String)
    /// The non-null values of a column.
    case countValues(String)
    /// The group's first row in the table's order (SQLite's `rowid`), to order groups as the engine
    /// finds them.
    case firstRow

    /// The aggregates a built-in metric needs, when the database can compute it exactly as the
    /// engine does; nil for the rest (median, percentile, stddev on SQLite, plugins), which the
    /// engine computes from the rows.
    public static func of(_ metric: MetricDefinition) -> SQLAggregate? {
        func column() -> String? {
            if case .string(let name)? = metric.parameters.values["column"] { return name }
            return nil
        }
        switch metric.calc {
        case "count": return .count
        case "sum": return column().map { .sum($0) }
        case "mean": return column().map { .mean($0) }
        case "min": return column().map { .min($0) }
        case "max": return column().map { .max($0) }
        case "count_distinct": return column().map { .countDistinct($0) }
        default: return nil
        }
    }
}

/// The one aggregate statement of a pushed-down report.
public struct SQLAggregateQuery: Sendable {
    public let dialect: SQLDialect
    public let schema: DatasetSchema

    public init(dialect: SQLDialect, schema: DatasetSchema) {
        self.dialect = dialect
        self.schema = schema
    }

    /// `SELECT group columns, aggregates FROM relation WHERE filter GROUP BY group columns`: one
    /// row per group, in no particular order (the engine sorts, limits and totals). Group columns
    /// of text are grouped in NFC.
    public func statement(
        from relation: SQLRelation, filter: FilterTree?, groupBy: [String], aggregates: [SQLAggregate]
    ) -> SQLStatement {
        let filters = SQLFilterCompiler(dialect: dialect, schema: schema)
        var parameters: [Value] = []
        let groups = groupBy.map { normalized($0) }
        var select = groups
        select += aggregates.map { expression($0) }
        var text = "SELECT " + (select.isEmpty ? "COUNT(*)" : select.joined(separator: ", "))
        text += " FROM " + dialect.relation(relation)
        if let filter { text += " WHERE " + filters.condition(filter, parameters: &parameters) }
        if !groups.isEmpty { text += " GROUP BY " + groups.joined(separator: ", ") }
        return SQLStatement(text: text, parameters: parameters)
    }

    /// The same over the rows `selection` admits (its filter, its date ranges: bound parameters).
    /// With `rawText`, text group columns are grouped as stored (no function per row, an empty text
    /// and null apart): the caller normalises the keys and merges the groups whose keys meet.
    public func statement(
        from relation: SQLRelation, selection: RowSelection, groupBy: [String], aggregates: [SQLAggregate],
        rawText: Bool = false
    ) -> SQLStatement {
        var parameters: [Value] = []
        let groups = groupBy.map { rawText ? dialect.identifier($0) : normalized($0) }
        let select = groups + aggregates.map { expression($0) }
        var text = "SELECT " + (select.isEmpty ? "COUNT(*)" : select.joined(separator: ", "))
        text += " FROM " + dialect.relation(relation)
        if let condition = condition(selection, parameters: &parameters) { text += " WHERE " + condition }
        if !groups.isEmpty { text += " GROUP BY " + groups.joined(separator: ", ") }
        return SQLStatement(text: text, parameters: parameters)
    }

    /// The rows of `columns` that `filter` keeps, for what the database cannot aggregate.
    public func rows(from relation: SQLRelation, columns: [String], filter: FilterTree?) -> SQLStatement {
        rows(from: relation, columns: columns, selection: RowSelection(filter: filter))
    }

    /// The rows of `columns` that `selection` admits (its filter, its date ranges), in the
    /// relation's order, for what the database cannot aggregate. With `after`, a batch: the rows
    /// whose `rowid` (SQLite) is past the bound parameter, `rowid` first in each row, `limit` rows.
    public func rows(
        from relation: SQLRelation, columns: [String], selection: RowSelection, batch: (after: Int64, limit: Int)? = nil
    ) -> SQLStatement {
        var parameters: [Value] = []
        var list = columns.map { dialect.identifier($0) }
        if batch != nil { list.insert("rowid", at: 0) }
        var text = "SELECT \(list.isEmpty ? "1" : list.joined(separator: ", ")) FROM " + dialect.relation(relation)
        var conditions: [String] = []
        if let batch {
            parameters.append(.int(batch.after))
            conditions.append("rowid > \(dialect.placeholder(parameters.count))")
        }
        if let where_ = condition(selection, parameters: &parameters) { conditions.append(where_) }
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        if let batch {
            parameters.append(.int(Int64(batch.limit)))
            text += " ORDER BY rowid LIMIT \(dialect.placeholder(parameters.count))"
        }
        return SQLStatement(text: text, parameters: parameters)
    }

    /// The condition of a selection: the filter, and the date column within one of the ranges
    /// (bound parameters); nil when it admits every row.
    public func condition(_ selection: RowSelection, parameters: inout [Value]) -> String? {
        var parts: [String] = []
        if let filter = selection.filter {
            parts.append(SQLFilterCompiler(dialect: dialect, schema: schema).condition(filter, parameters: &parameters))
        }
        if let column = selection.dateColumn {
            let ranges = selection.ranges.map { range -> String in
                parameters.append(.date(range.start))
                let low = dialect.placeholder(parameters.count)
                parameters.append(.date(range.end))
                let high = dialect.placeholder(parameters.count)
                return "(\(dateValue(column)) BETWEEN \(low) AND \(high))"
            }
            parts.append(ranges.isEmpty ? "(1 = 0)" : "(" + ranges.joined(separator: " OR ") + ")")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " AND ")
    }

    /// A date column as it compares with a bound date: SQLite keeps dates as ISO 8601 text (the
    /// source checks each cell is one), which orders as the dates do.
    func dateValue(_ name: String) -> String { dialect.identifier(name) }

    /// `SELECT COUNT(*), rows with a null date FROM relation`: the whole source's figures that a
    /// selected read reports (`SelectionFigures`).
    public func selectionFigures(from relation: SQLRelation, dateColumn: String?) -> SQLStatement {
        let nulls = dateColumn.map { "COALESCE(SUM(CASE WHEN \(dialect.identifier($0)) IS NULL THEN 1 ELSE 0 END), 0)" } ?? "0"
        return SQLStatement(text: "SELECT COUNT(*), \(nulls) FROM " + dialect.relation(relation), parameters: [])
    }

    /// A column's value as the engine groups it (text in NFC).
    func normalized(_ name: String) -> String {
        let quoted = dialect.identifier(name)
        return schema.column(named: name)?.type == .string ? dialect.text(quoted) : quoted
    }

    func expression(_ aggregate: SQLAggregate) -> String {
        switch aggregate {
        case .count: return "COUNT(*)"
        // SQLite's sum() of integers fails past 64 bits ("integer overflow"), as the engine does.
        case .sum(let c): return "SUM(\(dialect.identifier(c)))"
        case .mean(let c): return "AVG(\(dialect.identifier(c)))"
        case .min(let c): return "MIN(\(dialect.bytewise(normalized(c))))"
        case .max(let c): return "MAX(\(dialect.bytewise(normalized(c))))"
        case .countDistinct(let c): return "COUNT(DISTINCT \(normalized(c)))"
        case .countValues(let c): return "COUNT(\(normalized(c)))"
        case .firstRow: return "MIN(rowid)"
        }
    }
}
