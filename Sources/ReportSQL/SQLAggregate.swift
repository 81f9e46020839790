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

    /// The rows of `columns` that `filter` keeps, for what the database cannot aggregate.
    public func rows(from relation: SQLRelation, columns: [String], filter: FilterTree?) -> SQLStatement {
        var parameters: [Value] = []
        let list = columns.isEmpty ? "1" : columns.map { dialect.identifier($0) }.joined(separator: ", ")
        var text = "SELECT \(list) FROM " + dialect.relation(relation)
        if let filter {
            text +=
                " WHERE "
                + SQLFilterCompiler(dialect: dialect, schema: schema).condition(filter, parameters: &parameters)
        }
        return SQLStatement(text: text, parameters: parameters)
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
