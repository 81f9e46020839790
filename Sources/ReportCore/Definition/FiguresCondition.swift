/// An expression in the filter language over a run's figures rather than a dataset's rows
/// (`publish_when`, an alert's `when`): `rows` (the groups in the result), `rows_used`,
/// `totals.METRIC` and `changed` (SPEC, "One file per office, and only when it matters").
public struct FiguresCondition: Sendable {
    /// The expression as written.
    public var source: String
    public var filter: CompiledFilter

    public init(source: String, filter: CompiledFilter) {
        self.source = source
        self.filter = filter
    }

    /// Whether the condition reads `changed` (so the run needs the last published fingerprint).
    public var readsChanged: Bool { filter.columns.contains(Self.changed) }
    /// Whether it reads a total (so the run computes totals even when the report shows none).
    public var readsTotals: Bool { filter.columns.contains { $0.hasPrefix(Self.totalsPrefix) } }

    public static let rows = "rows"
    public static let rowsUsed = "rows_used"
    public static let changed = "changed"
    public static let totalsPrefix = "totals."

    /// The names a condition of a report with `metrics` may read, typed: the schema it is
    /// compiled against.
    public static func schema(metrics: [String]) -> DatasetSchema {
        DatasetSchema(
            columns: [
                ColumnSpec(name: rows, type: .int), ColumnSpec(name: rowsUsed, type: .int),
                ColumnSpec(name: changed, type: .bool),
            ] + metrics.map { ColumnSpec(name: totalsPrefix + $0, type: .decimal) })
    }

    /// Compiles `source` against the names a report with `metrics` offers.
    public static func compile(_ source: String, metrics: [String]) -> Result<FiguresCondition, FilterErrorList> {
        CompiledFilter.compile(source, schema: schema(metrics: metrics)).map {
            FiguresCondition(source: source, filter: $0)
        }
    }

    /// The condition's value over `figures`: true or false, nil when unknown (a null total,
    /// `changed` unknown).
    public func evaluate(_ figures: RunFigures) -> Bool? {
        let schema = filter.columns.sorted().map { name -> ColumnSpec in
            name == Self.changed
                ? ColumnSpec(name: name, type: .bool)
                : ColumnSpec(name: name, type: name.hasPrefix(Self.totalsPrefix) ? .decimal : .int)
        }
        let columns = schema.map { spec -> Column in
            var builder = ColumnBuilder(spec: spec, capacity: 1)
            builder.append(figures.value(of: spec.name))
            return builder.build()
        }
        let table = Table(schema: DatasetSchema(columns: schema), columns: columns, rowCount: 1)
        if !filter.matchingRows(in: table).isEmpty { return true }
        return filter.negated.matchingRows(in: table).isEmpty ? nil : false
    }
}

/// The figures of one computed report that conditions read.
public struct RunFigures: Sendable, Equatable {
    public var rows: Int
    public var rowsUsed: Int
    /// Metric name → its total (null when not a number).
    public var totals: [String: Value]
    /// nil: not known (not asked for).
    public var changed: Bool?

    public init(rows: Int, rowsUsed: Int, totals: [String: Value], changed: Bool?) {
        self.rows = rows
        self.rowsUsed = rowsUsed
        self.totals = totals
        self.changed = changed
    }

    /// The figures of `result` (totals by metric column, when computed).
    public init(_ result: ReportResult, changed: Bool?) {
        var totals: [String: Value] = [:]
        if let row = result.totals {
            // One total per metric column, in order (see the JSON writer's `totals`).
            for (column, value) in zip(result.columns.filter { $0.role == .metric }, row) { totals[column.name] = value }
        }
        self.init(rows: result.rows.count, rowsUsed: result.rowsUsed, totals: totals, changed: changed)
    }

    func value(of name: String) -> Value {
        switch name {
        case FiguresCondition.rows: return .int(Int64(rows))
        case FiguresCondition.rowsUsed: return .int(Int64(rowsUsed))
        case FiguresCondition.changed: return changed.map(Value.bool) ?? .null
        default:
            let total = totals[String(name.dropFirst(FiguresCondition.totalsPrefix.count))] ?? .null
            return total.doubleValue.map(Value.decimal) ?? .null
        }
    }

    /// `{period}`, `{rows}`, `{rows_used}` and `{totals.METRIC}` of `message` replaced by their
    /// values (an unknown name stays as written).
    public func expand(_ message: String, period: String) -> String {
        var out = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            switch name {
            case "period": out += period
            case FiguresCondition.rows, FiguresCondition.rowsUsed: out += value(of: name).description
            case _ where name.hasPrefix(FiguresCondition.totalsPrefix)
                && totals[String(name.dropFirst(FiguresCondition.totalsPrefix.count))] != nil:
                out += (totals[String(name.dropFirst(FiguresCondition.totalsPrefix.count))] ?? .null).description
            default: out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}

/// One entry of a report's `alerts`: identified by its `when` text.
public struct ReportAlert: Sendable {
    public var when: FiguresCondition
    public var message: String
    /// nil: the report's owners (else the daemon's).
    public var notify: [MailAddress]?

    public init(when: FiguresCondition, message: String, notify: [MailAddress]? = nil) {
        self.when = when
        self.message = message
        self.notify = notify
    }
}

/// `split_by` and `split_max` of a report.
public struct SplitRule: Sendable, Equatable {
    public var column: String
    /// More values than this fail the run before anything is published.
    public var max: Int = SplitRule.defaultMax

    public static let defaultMax = 1000

    public init(column: String, max: Int = SplitRule.defaultMax) {
        self.column = column
        self.max = max
    }
}

extension CompiledFilter {
    /// `not (self)`: with three-valued logic, a row where neither this nor its negation holds is unknown.
    var negated: CompiledFilter { CompiledFilter(root: .not(root), source: "not (\(source))") }
}
