public import Foundation

/// Where a report's rows come from: a file (CSV, JSON) or a database (SQLite, PostgreSQL).
///
/// A source is made from a dataset's settings by the `DatasetSourceKind` registered for its
/// `format` (see `SourceRegistry`); the runner and the dataset cache see only this protocol.
public protocol DatasetSource: Sendable {
    /// The dataset's name in the daemon config.
    var name: String { get }
    /// The columns and types the rows are read as.
    var schema: DatasetSchema { get }
    /// What the data is now: equal versions mean the same data, so a cached read may be served.
    /// Cheap (a file's size, time and inode); nil when the source cannot tell (never cached).
    func version() -> DatasetVersion?
    /// The rows, typed: keeping `columns` (nil: all; every column is still checked), only the rows
    /// `selection` admits, and the data's SHA-256 when `provenance` is asked for (outputs show it).
    func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError) -> LoadedDataset
    /// A last check before a cached read made at the same `version` is served (a file source
    /// rereads its fast checksum: a copy that kept the times, a clock set back). True by default.
    func confirm(_ cached: LoadedDataset) -> Bool
    /// The data's SHA-256 as it is now, without typing its rows, for a cached read made without
    /// it; nil when the source cannot (the cache then reads again). Nil by default.
    func checksum() -> String?
    /// The report computed inside the source (a database's GROUP BY: pushdown), or nil when the
    /// source cannot, and the engine computes it from `read`. Nil by default.
    func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult?
    /// One read-only snapshot of the data that every read and computation of one run goes
    /// through (a database's read transaction), so that the reports of the run agree; nil when
    /// the source has none (a file: each read is of the file as it is). The runner opens it once
    /// per dataset per run and closes it when the run is over, also when it fails or is stopped.
    /// Nil by default.
    func openSnapshot() throws(DatasetError) -> (any DatasetSnapshot)?
}

extension DatasetSource {
    public func confirm(_ cached: LoadedDataset) -> Bool { true }
    public func checksum() -> String? { nil }
    public func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult? { nil }
    public func openSnapshot() throws(DatasetError) -> (any DatasetSnapshot)? { nil }
}

/// A read-only, consistent view of a database dataset, shared by the reports of one run (see
/// `DatasetSource.openSnapshot()`). Its methods may be called from several threads; the source
/// serialises them. After `close()` no method is called again.
public protocol DatasetSnapshot: AnyObject, Sendable {
    /// What the outputs show instead of a file's SHA-256: the source, its table or query and the
    /// snapshot's time.
    var provenance: DatasetProvenance { get }
    /// The rows of the snapshot, typed, as `DatasetSource.read` gives them: keeping `columns` (nil:
    /// all), and only the rows `selection` admits (a database puts it in its WHERE with bound
    /// parameters). The loaded dataset carries `provenance` and, when the selection kept fewer
    /// rows than the source holds, `selected` (the figures the outputs show for the whole source).
    func read(columns: Set<String>?, selection: RowSelection) throws(DatasetError) -> LoadedDataset
    /// The report computed inside the database over the snapshot (pushdown), over `period` when
    /// the report has one (the ranges of the slot's run); nil when the engine computes it from
    /// `read`.
    func compute(_ report: ReportDefinition, period: RunPeriod?) throws(DatasetError) -> ReportResult?
    /// Ends the snapshot (the read transaction) and frees its connection. Called once.
    func close()
}

/// Where a database dataset's rows came from, for the outputs' provenance line.
public struct DatasetProvenance: Sendable, Hashable {
    /// The dataset's `format:` (`sqlite`, `postgres`).
    public var source: String
    /// The table (or view) read, when the dataset names a `table`.
    public var table: String?
    /// The query read, when the dataset names a `query`.
    public var query: String?
    /// When the snapshot was taken (the read transaction's start).
    public var snapshotTime: Date

    public init(source: String, table: String? = nil, query: String? = nil, snapshotTime: Date) {
        self.source = source
        self.table = table
        self.query = query
        self.snapshotTime = snapshotTime
    }

    /// The snapshot time as ISO 8601 in UTC with milliseconds (`2026-12-06T08:40:12.345Z`).
    public var snapshotISO8601: String {
        let millis = Int64((snapshotTime.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Int64(floor(Double(millis) / 1000))
        let day = Day(daysSinceEpoch: Int32(floor(Double(seconds) / 86400)))
        let inDay = seconds - Int64(day.daysSinceEpoch) * 86400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis - seconds * 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(day)T\(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60)).\(msText)Z"
    }

    /// "table projects" or "query SELECT ...".
    public var relation: String {
        if let table { return "table \(table)" }
        return "query \(query ?? "")"
    }
}

/// What a read that kept only some rows (`RowSelection`) knows of the whole source, so that the
/// outputs' figures are those of the whole dataset, as from a file.
public struct SelectionFigures: Sendable, Hashable {
    /// The rows the source holds.
    public var sourceRows: Int
    /// The rows with no date in the selection's date column (a period report's
    /// `rows_outside_period`, counted over the whole source as the engine counts it); 0 without one.
    public var rowsWithoutDate: Int

    public init(sourceRows: Int, rowsWithoutDate: Int) {
        self.sourceRows = sourceRows
        self.rowsWithoutDate = rowsWithoutDate
    }
}

/// A version of a source's data (see `DatasetSource.version()`); opaque to everyone but its source.
public struct DatasetVersion: Hashable, Sendable {
    public var value: String

    public init(_ value: String) { self.value = value }
}

/// Which rows a read keeps: those the filter keeps and whose date column lies in one of the date
/// ranges. A database source puts it in its WHERE (bound parameters); a file source may ignore it
/// (the engine filters and splits by period anyway), so a selection only ever narrows what the
/// engine would find itself.
public struct RowSelection: Sendable, Equatable {
    /// The report's filter (nil: no filter).
    public var filter: FilterTree?
    /// The period's date column (nil: no date condition).
    public var dateColumn: String?
    /// The ranges (inclusive) of `dateColumn` to keep: the period's, the compared periods', the
    /// year to date. Only read when `dateColumn` is set.
    public var ranges: [DateRange]

    public init(filter: FilterTree? = nil, dateColumn: String? = nil, ranges: [DateRange] = []) {
        self.filter = filter
        self.dateColumn = dateColumn
        self.ranges = ranges
    }

    /// Every row.
    public static let all = RowSelection()

    /// Whether it keeps every row.
    public var isAll: Bool { filter == nil && dateColumn == nil }

    /// The rows a report reads for a run: those its filter keeps, within `period`'s ranges.
    public static func of(_ report: ReportDefinition, period: RunPeriod?) -> RowSelection {
        RowSelection(
            filter: report.filter?.tree, dateColumn: period?.rule.dateColumn, ranges: period?.ranges ?? [])
    }
}

/// A kind of source, registered under the `format:` name datasets use (`csv`): it makes the
/// source of each dataset that names it.
public protocol DatasetSourceKind: Sendable {
    /// The name datasets give in `format:`.
    static var format: String { get }
    /// File extensions that mean this format when a test fixture names none (`json`).
    static var fileExtensions: [String] { get }
    func makeSource(_ settings: DatasetConfig) -> any DatasetSource
    /// The schema the data itself declares (a database's column types), for a dataset given no
    /// schema file; nil when the kind needs a schema file. Nil by default.
    func inferSchema(_ settings: DatasetConfig) -> Result<DatasetSchema, DatasetError>?
    /// Whether its datasets name a `table` or a `query` (a database). False by default.
    static var isDatabase: Bool { get }
    /// Whether its datasets name a server by `url` (with `password_file` and `timeout`) instead of
    /// a file by `path`. False by default.
    static var isServer: Bool { get }
    /// What is wrong with a server's `url`, or nil when it is fine (checked offline). Nil by default.
    func problem(withURL url: String) -> String?
    /// Connects and checks that the dataset's table or query and columns are there with the
    /// schema's types, without reading rows (`validate --connect`); nil when all is well or the
    /// kind has nothing to check. Nil by default.
    func checkConnection(_ settings: DatasetConfig) -> DatasetError?
    /// Keys of its own in a dataset's settings (`encoding`, `delimiter`); none by default.
    static var settingsKeys: [String] { get }
    /// Reads those keys into the dataset's settings (`config.options`), reporting each problem
    /// at its key through `settings`. Nothing by default.
    static func readSettings(_ settings: inout some SettingsReader, into config: inout DatasetConfig)
}

extension DatasetSourceKind {
    public func inferSchema(_ settings: DatasetConfig) -> Result<DatasetSchema, DatasetError>? { nil }
    public static var isDatabase: Bool { false }
    public static var isServer: Bool { false }
    public func problem(withURL url: String) -> String? { nil }
    public func checkConnection(_ settings: DatasetConfig) -> DatasetError? { nil }
    public static var settingsKeys: [String] { [] }
    public static func readSettings(_ settings: inout some SettingsReader, into config: inout DatasetConfig) {}
}

/// The dataset formats reportd knows, in the order they were registered (the order messages
/// list them in).
public struct SourceRegistry: Sendable {
    public private(set) var kinds: [any DatasetSourceKind] = []

    public init(_ kinds: [any DatasetSourceKind] = []) {
        for kind in kinds where self.kind(for: type(of: kind).format) == nil { self.kinds.append(kind) }
    }

    /// Every format name, in registration order.
    public var formats: [String] { kinds.map { type(of: $0).format } }

    public func kind(for format: String) -> (any DatasetSourceKind)? {
        kinds.first { type(of: $0).format == format }
    }

    /// The format whose kind claims the extension of `path`, if any.
    public func format(forPath path: String) -> String? {
        let lowered = path.lowercased()
        return kinds.first { kind in type(of: kind).fileExtensions.contains { lowered.hasSuffix("." + $0) } }
            .map { type(of: $0).format }
    }

    /// The source of `settings`, or nil when its format is not registered.
    public func source(for settings: DatasetConfig) -> (any DatasetSource)? {
        kind(for: settings.format)?.makeSource(settings)
    }
}
