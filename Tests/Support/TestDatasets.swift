public import ReportCore
import ReportSources

/// Datasets read as a run reads them: through the source the built-in registry has for their
/// format.
public enum TestDatasets {
    public static func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        throws(DatasetError) -> LoadedDataset
    {
        try source(config).read(columns: columns, selection: .all, provenance: checksum)
    }

    /// The built-in source of `config`'s format.
    public static func source(_ config: DatasetConfig) throws(DatasetError) -> any DatasetSource {
        guard let source = BuiltinSources.registry.source(for: config) else {
            throw DatasetError(
                file: config.path, line: 0, column: 0, message: "no reader for the dataset format '\(config.format)'")
        }
        return source
    }
}
