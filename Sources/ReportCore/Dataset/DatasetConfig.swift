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
    /// A database server's address, for a kind that names its server by `url` (`postgres`): a
    /// libpq URI, never with a password in it.
    public var url: String? = nil
    /// The file that holds the server's password (`password_file`), read at each connection.
    public var passwordFile: String? = nil
    /// Seconds every statement may take (`timeout`); nil: the source's default.
    public var timeout: Int? = nil
    /// Whether `schema` is still to be read from the server's catalog: a dataset given no schema
    /// file, loaded by a command that does not connect (`validate` without `--connect`).
    public var schemaDeferred = false
    /// Why the schema could not be read from the server's catalog when `serve` loaded (the server
    /// down at boot, the table not there yet): the reports on the dataset are left out, and the
    /// daemon loads again until it can be read. Nil: read (or not a server's dataset).
    public var unreadable: String? = nil
    /// The settings a source kind reads from keys of its own (`encoding`, `delimiter`, `sheet`),
    /// kept by their type: ReportCore stores them without knowing any source's.
    public var options = WriterOptions()
    /// The daemon's state folder (`state`), where a source may keep what it learned of the data
    /// between processes (an SQLite table's cell check, keyed on the database's version); nil:
    /// nothing is kept across processes.
    public var stateDirectory: String? = nil

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
