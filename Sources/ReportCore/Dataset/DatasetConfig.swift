/// One dataset of the daemon config: the settings its source is made from.
public struct DatasetConfig: Sendable {
    /// The name of a registered source kind (`csv`, `json`; see `SourceRegistry`).
    public typealias Format = String
    public enum BadRows: String, Sendable, CaseIterable { case fail, reject }

    public var name: String
    public var format: Format
    public var path: String
    public var schemaPath: String
    public var schema: DatasetSchema
    public var onBadRows: BadRows
    /// A database source's table (or view), or its query: exactly one is set (`sqlite`).
    public var table: String? = nil
    public var query: String? = nil
    /// The settings a source kind reads from keys of its own (`encoding`, `delimiter`, `sheet`),
    /// kept by their type: ReportCore stores them without knowing any source's.
    public var options = WriterOptions()

    public init(
        name: String, format: Format, path: String, schemaPath: String, schema: DatasetSchema, onBadRows: BadRows
    ) {
        self.name = name
        self.format = format
        self.path = path
        self.schemaPath = schemaPath
        self.schema = schema
        self.onBadRows = onBadRows
    }
}
