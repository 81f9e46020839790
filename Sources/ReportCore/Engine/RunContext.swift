/// What the writers need besides the computed table: the run's identity and its dataset's figures.
public struct RunContext: Sendable {
    public var report: ReportDefinition
    /// The slot as local time with its UTC offset, ISO 8601 (`2026-11-29T06:00:00+07:00`).
    public var slot: String
    /// The slot as it appears in file names (`2026-11-29T060000`).
    public var stamp: String
    /// When the outputs were produced, ISO 8601 with offset.
    public var generatedAt: String
    public var dataset: DatasetFigures
    /// The report's `locale`, else the daemon's; nil: en-US.
    public var locale: String?
    /// With `split_by`: the column and the value whose outputs these are (nil: the whole report).
    public var split: (column: String, value: String)?

    /// The language of outputs for people: `reportLocale.words` for the words a writer adds,
    /// `reportLocale.numbers` for numbers, `reportLocale.precedes` for the order of strings.
    public var reportLocale: ReportLocale { ReportLocale(locale) }

    public init(
        report: ReportDefinition, slot: String, stamp: String, generatedAt: String, dataset: DatasetFigures,
        locale: String? = nil
    ) {
        self.report = report
        self.slot = slot
        self.stamp = stamp
        self.generatedAt = generatedAt
        self.dataset = dataset
        self.locale = locale
    }
}

/// The dataset line of every output.
public struct DatasetFigures: Sendable {
    public var name: String
    /// Rows loaded (rejected rows excluded).
    public var rows: Int
    /// Rows that passed the report's filter.
    public var rowsUsed: Int
    public var rowsRejected: Int
    public var sha256: String
    /// A database dataset's source, table or query and snapshot time, shown instead of `sha256`
    /// (nil for a file).
    public var provenance: DatasetProvenance?

    public init(
        name: String, rows: Int, rowsUsed: Int, rowsRejected: Int, sha256: String,
        provenance: DatasetProvenance? = nil
    ) {
        self.provenance = provenance
        self.name = name
        self.rows = rows
        self.rowsUsed = rowsUsed
        self.rowsRejected = rowsRejected
        self.sha256 = sha256
    }
}
