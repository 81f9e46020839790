/// The computed table of one report run, ready for the output writers.
public struct ReportResult: Sendable {
    public struct ResultColumn: Sendable, Hashable {
        public enum Role: String, Sendable { case group, metric }
        public var name: String
        public var role: Role
        /// The calculator, for metric columns.
        public var calc: String?
        public var type: ColumnType
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
