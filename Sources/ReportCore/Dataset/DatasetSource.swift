/// Where a report's rows come from: a file (CSV, JSON), later a database.
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
}

extension DatasetSource {
    public func confirm(_ cached: LoadedDataset) -> Bool { true }
    public func checksum() -> String? { nil }
    public func compute(_ report: ReportDefinition) throws(DatasetError) -> ReportResult? { nil }
}

/// A version of a source's data (see `DatasetSource.version()`); opaque to everyone but its source.
public struct DatasetVersion: Hashable, Sendable {
    public var value: String

    public init(_ value: String) { self.value = value }
}

/// Which rows a read keeps. Today every row; a period's date ranges and a pushed-down filter
/// will narrow it.
public struct RowSelection: Sendable, Equatable {
    public init() {}

    /// Every row.
    public static let all = RowSelection()
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
    /// Keys of its own in a dataset's settings (`encoding`, `delimiter`); none by default.
    static var settingsKeys: [String] { get }
    /// Reads those keys into the dataset's settings (`config.options`), reporting each problem
    /// at its key through `settings`. Nothing by default.
    static func readSettings(_ settings: inout some SettingsReader, into config: inout DatasetConfig)
}

extension DatasetSourceKind {
    public func inferSchema(_ settings: DatasetConfig) -> Result<DatasetSchema, DatasetError>? { nil }
    public static var isDatabase: Bool { false }
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
