/// The computed table of one report run, ready for the output writers.
public struct ReportResult: Sendable {
    public struct ResultColumn: Sendable, Hashable {
        public enum Role: String, Sendable { case group, metric }
        public var name: String
        public var role: Role
        /// The calculator, for metric columns.
        public var calc: String?
        public var type: ColumnType
        /// The column's label (a schema column's or a metric's `label:`); nil: none.
        public var label: String? = nil
        /// The labels of a group column's codes (its schema column's `values:`).
        public var values = ValueLabels()

        /// What outputs for people (text, HTML, spreadsheets) head the column with: its label,
        /// else its name. CSV (unless `header: labels`) and JSON keep the name.
        public var title: String { label ?? name }

        /// The label outputs for people show for `value` in this column: the value label of a
        /// string code, nil when it has none (show the value itself).
        public func valueLabel(for value: Value) -> String? {
            guard !values.isEmpty, case .string(let code) = value else { return nil }
            return values[code]
        }
    }

    public var columns: [ResultColumn]
    /// One row per group, sorted and limited; values in `columns` order.
    public var rows: [[Value]]
    /// The metrics over every row that passed the filter (one value per metric column), when the
    /// report asks for totals.
    public var totals: [Value]?
    /// Rows that passed the filter.
    public var rowsUsed: Int
    /// The ranges the run reported on, for a report with `period:`.
    public var period: RunPeriod?
    /// Rows whose period date is null (they belong to no period), for a report with `period:`.
    public var rowsOutsidePeriod: Int?
}

extension ReportResult {
    /// The result with its columns' labels (see `labelled(_:schema:metrics:locale:)`).
    public func labelled(schema: DatasetSchema?, metrics: [MetricDefinition], locale: ReportLocale = .enUS)
        -> ReportResult
    {
        var result = self
        result.columns = Self.labelled(columns, schema: schema, metrics: metrics, locale: locale)
        return result
    }

    /// `columns` with their labels: each group column's `label` and `values` from its schema
    /// column (when `schema` is given), each metric column's `label` from its metric. A column a
    /// period adds (`support_previous_period`, `support_vs_previous_period_pct`,
    /// `support_year_to_date`) takes its metric's label with the period's words
    /// (`ReportLocale.derivedLabel`).
    public static func labelled(
        _ columns: [ResultColumn], schema: DatasetSchema?, metrics: [MetricDefinition], locale: ReportLocale = .enUS
    ) -> [ResultColumn] {
        var columns = columns
        for i in columns.indices {
            let column = columns[i]
            switch column.role {
            case .group:
                if let schema, let spec = schema.column(named: column.name) {
                    columns[i].label = spec.label
                    columns[i].values = spec.values
                }
            case .metric:
                if let metric = metrics.first(where: { $0.name == column.name }) {
                    columns[i].label = metric.label
                } else if let metric = metrics.filter({ column.name.hasPrefix($0.name + "_") })
                    .max(by: { $0.name.count < $1.name.count })
                {
                    let suffix = String(column.name.dropFirst(metric.name.count + 1))
                    columns[i].label = metric.label.flatMap { locale.derivedLabel($0, suffix: suffix) }
                }
            }
        }
        return columns
    }
}

/// Why a report could not be computed.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public var report: String
    public var message: String
    /// What kind of failure it is (whether a retry can help).
    public var kind: RunFailure

    public init(report: String, message: String, kind: RunFailure = .definition) {
        self.report = report
        self.message = message
        self.kind = kind
    }

    public var description: String { "report '\(report)': \(message)" }
}
