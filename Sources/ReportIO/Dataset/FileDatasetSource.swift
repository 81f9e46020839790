import ReportCore
import ReportFiles
import SourceSQLite

/// A dataset in a file (CSV or JSON), read by `DatasetLoader`.
public struct FileDatasetSource: DatasetSource {
    public let settings: DatasetConfig

    public init(_ settings: DatasetConfig) { self.settings = settings }

    public var name: String { settings.name }
    public var schema: DatasetSchema { settings.schema }

    /// The file's size, modification time (nanoseconds), inode and device, with the settings that
    /// change how it is read (format, bad rows); nil when the file cannot be examined.
    public func version() -> DatasetVersion? {
        guard let identity = DatasetCache.identity(of: settings.path) else { return nil }
        return DatasetVersion(
            "\(settings.format) \(settings.onBadRows.rawValue) \(identity.size) \(identity.seconds).\(identity.nanoseconds) "
                + "\(identity.inode) \(identity.device)")
    }

    public func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
        -> LoadedDataset
    {
        try DatasetLoader.load(settings, columns: columns, checksum: provenance)
    }

    /// Whether the file's fast checksum, reread now, is the cached read's.
    public func confirm(_ cached: LoadedDataset) -> Bool {
        guard let identity = DatasetCache.identity(of: settings.path) else { return false }
        return Fingerprint.ofFile(settings.path, expectedSize: Int(identity.size)) == cached.fingerprint
    }

    /// The SHA-256 of the file as it is now.
    public func checksum() -> String? { DatasetLoader.sha256(ofFile: settings.path) }
}

/// The dataset formats built in (the first is the default of a dataset that names none).
public enum BuiltinSources {
    public static let all: [any DatasetSourceKind] = [CSVSourceKind(), JSONSourceKind(), SQLiteSourceKind()]

    public static var registry: SourceRegistry { SourceRegistry(all) }
}

/// `format: csv`: RFC 4180 files with a header row (see SPEC.md, "Datasets").
public struct CSVSourceKind: DatasetSourceKind {
    public static let format = "csv"
    public static let fileExtensions = ["csv"]

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource { FileDatasetSource(settings) }
}

/// `format: json`: a JSON array of objects, one per row.
public struct JSONSourceKind: DatasetSourceKind {
    public static let format = "json"
    public static let fileExtensions = ["json"]

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource { FileDatasetSource(settings) }
}
