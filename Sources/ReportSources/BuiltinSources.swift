public import ReportCore
import SourceCSV
import SourceJSON
import SourcePostgres
import SourceSQLite
import SourceXLSX

/// The built-in dataset sources, registered explicitly in one place (as `BuiltinWriters`).
/// Adding a source: its folder under `DataSources/`, its name in Package.swift's `sourceFolders`,
/// and one entry in `all` and `folders` here.
public enum BuiltinSources {
    /// Every built-in source kind, in the order messages list the formats (the first is the
    /// default of a dataset that names none).
    public static let all: [any DatasetSourceKind] = [
        CSVSourceKind(), JSONSourceKind(), SQLiteSourceKind(), PostgresSourceKind(), XLSXSourceKind(),
    ]

    /// The folder under `DataSources/` that holds each format's module, for the layout test.
    public static let folders: [String: String] = [
        "csv": "CSV", "json": "JSON", "sqlite": "SQLite", "postgres": "Postgres", "xlsx": "XLSX",
    ]

    /// A registry holding every built-in source.
    public static var registry: SourceRegistry { SourceRegistry(all) }
}
