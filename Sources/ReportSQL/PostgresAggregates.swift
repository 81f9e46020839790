public import ReportCore

/// An aggregate PostgreSQL computes per group exactly as the engine does, each selected as text
/// (the server's exact text form: a `numeric` sum keeps every digit, a `double precision` the
/// shortest text that reads back to the same double).
public enum PostgresAggregate: Sendable, Hashable {
    case count
    /// `sum` of an integer column: `numeric` for `bigint`, exact.
    case sum(String)
    /// The non-null values of a column.
    case countValues(String)
    /// `sum(x * x)` of an integer column, in `numeric`: exact (with `count` and `sum`, what
    /// `IntegerMoments` computes a standard deviation from).
    case sumOfSquares(String)
    case min(String)
    case max(String)
    case countDistinct(String)
    /// `percentile_cont` of the column as `double precision`, at the fraction `p / 100`: the same
    /// interpolation between closest ranks as the engine's `percentile` and `median`.
    case percentile(String, p: Double)
    /// The group's first row in the table's physical order (`ctid`), to order groups as the
    /// engine finds them in a read.
    case firstRow

    /// Whether two groups' values of the aggregate combine into the value of their union (counts
    /// and sums add; min, max and the first row of a column that is not text take the smaller or
    /// larger). A count of distinct values or a percentile does not.
    public func merges(in schema: DatasetSchema) -> Bool {
        switch self {
        case .count, .sum, .countValues, .sumOfSquares, .firstRow: return true
        case .min(let c), .max(let c): return schema.column(named: c)?.type != .string
        case .countDistinct, .percentile: return false
        }
    }
}

/// The one aggregate statement of a report pushed down to PostgreSQL: `$n` placeholders, every
/// value bound (the filter's literals and the percentiles' fractions), identifiers quoted, text
/// grouped and compared in NFC (`normalize(…, NFC)`) and in byte order (`COLLATE "C"`).
public struct PostgresAggregateQuery: Sendable {
    public let schema: DatasetSchema
    let dialect = SQLDialect.postgres

    public init(schema: DatasetSchema) { self.schema = schema }

    /// `SELECT group columns, aggregates FROM relation WHERE filter GROUP BY group columns`, every
    /// selected value cast to text; one row per group, in no particular order.
    public func statement(
        from relation: SQLRelation, filter: FilterTree?, groupBy: [String], aggregates: [PostgresAggregate]
    ) -> SQLStatement {
        var parameters: [Value] = []
        let groups = groupBy.map { normalized($0) }
        var select = groups.map { "(\($0))::text" }
        select += aggregates.map { expression($0, &parameters) }
        var text = "SELECT " + (select.isEmpty ? "COUNT(*)::text" : select.joined(separator: ", "))
        text += " FROM " + dialect.relation(relation)
        if let filter {
            text +=
                " WHERE "
                + SQLFilterCompiler(dialect: dialect, schema: schema).condition(filter, parameters: &parameters)
        }
        if !groups.isEmpty { text += " GROUP BY " + groups.joined(separator: ", ") }
        return SQLStatement(text: text, parameters: parameters)
    }

    /// The same over the rows `selection` admits (its filter, and a period's date ranges as bound
    /// dates), for a period report's ranges.
    ///
    /// With `rawText`, text group columns are grouped as stored (an empty text null), without
    /// `normalize`: the caller normalises the group keys and merges the groups whose keys become
    /// equal, which only aggregates that merge allow (`PostgresAggregate.merges`). With
    /// `emptyApart` too, an empty text is a group of its own, which the caller merges into the
    /// null group (the engine reads an empty text as null): `GROUP BY "program"`, the hand-written
    /// form, instead of `GROUP BY NULLIF("program", '')` (by programme, a million rows: 0.26 s
    /// against 0.30 s).
    public func statement(
        from relation: SQLRelation, selection: RowSelection, groupBy: [String], aggregates: [PostgresAggregate],
        rawText: Bool = false, emptyApart: Bool = false
    ) -> SQLStatement {
        var parameters: [Value] = []
        let groups = groupBy.map {
            rawText ? (emptyApart ? dialect.identifier($0) : rawGroup($0)) : normalized($0)
        }
        var select = groups.map { "(\($0))::text" }
        select += aggregates.map { expression($0, &parameters) }
        var text = "SELECT " + (select.isEmpty ? "COUNT(*)::text" : select.joined(separator: ", "))
        text += " FROM " + dialect.relation(relation)
        if let condition = SQLAggregateQuery(dialect: dialect, schema: schema).condition(
            selection, parameters: &parameters)
        {
            text += " WHERE " + condition
        }
        if !groups.isEmpty { text += " GROUP BY " + groups.joined(separator: ", ") }
        return SQLStatement(text: text, parameters: parameters)
    }

    /// A group column as stored, an empty text null.
    func rawGroup(_ name: String) -> String {
        let quoted = dialect.identifier(name)
        return schema.column(named: name)?.type == .string ? "NULLIF(\(quoted), '')" : quoted
    }

    /// A column's value as the engine groups it (text in NFC, an empty text null): a non-empty
    /// ASCII text as stored (it is in NFC), any other normalised, so that `normalize` runs only on
    /// the cells that are not ASCII (grouping a million ASCII texts: 0.41 s as stored, 0.42 s so,
    /// 0.81 s normalised on every row).
    func normalized(_ name: String) -> String {
        let quoted = dialect.identifier(name)
        guard schema.column(named: name)?.type == .string else { return quoted }
        return "CASE WHEN \(quoted) COLLATE \"C\" <> '' AND octet_length(\(quoted)) = length(\(quoted)) THEN \(quoted) "
            + "ELSE \(dialect.text(quoted)) END"
    }

    func expression(_ aggregate: PostgresAggregate, _ parameters: inout [Value]) -> String {
        switch aggregate {
        case .count: return "COUNT(*)::text"
        case .sum(let c): return "SUM(\(dialect.identifier(c)))::text"
        case .countValues(let c): return "COUNT(\(normalized(c)))::text"
        case .sumOfSquares(let c):
            let quoted = dialect.identifier(c)
            return "SUM(\(quoted)::numeric * \(quoted))::text"
        case .min(let c), .max(let c):
            let isMin: Bool
            if case .min = aggregate { isMin = true } else { isMin = false }
            switch schema.column(named: c)?.type {
            // PostgreSQL has no min or max of booleans: false < true, as the engine orders them.
            case .bool?: return "\(isMin ? "BOOL_AND" : "BOOL_OR")(\(dialect.identifier(c)))::text"
            case .string?: return "\(isMin ? "MIN" : "MAX")(\(dialect.bytewise(normalized(c))))::text"
            default: return "\(isMin ? "MIN" : "MAX")(\(dialect.identifier(c)))::text"
            }
        case .countDistinct(let c): return "COUNT(DISTINCT \(normalized(c)))::text"
        case .percentile(let c, let p):
            parameters.append(.decimal(p / 100))
            return
                "PERCENTILE_CONT(\(dialect.placeholder(parameters.count))::float8) WITHIN GROUP (ORDER BY "
                + "\(dialect.identifier(c))::float8)::text"
        case .firstRow: return "MIN(ctid)::text"
        }
    }
}
