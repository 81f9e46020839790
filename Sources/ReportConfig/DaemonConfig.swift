public import ReportCore
public import ReportFiles

/// The daemon config (`reportd.yaml`), with every path made absolute against the file's folder.
public struct DaemonConfig: Sendable {
    public var file: String
    public var timezone: String
    public var reportsDirectory: String
    public var stateDirectory: String
    public var pluginsDirectory: String?
    public var outputRoot: String
    /// Runs kept per report; older ones are removed after a successful publish.
    public var keep: Int
    /// Modes and group of published files and of the folders created under the output root
    /// (`output.file_mode`, `output.folder_mode`, `output.group`).
    public var outputPermissions: FilePermissions = .shared
    /// The locale of every report that names none (`locale:`); nil: en-US.
    public var locale: String?
    /// Writer settings every report starts from (`output: {csv: {bom: true}}`), for writers whose
    /// `hasDaemonDefaults` is true; a report's own key overrides them key by key.
    public var writerDefaults = WriterOptions()
    /// Datasets by name, in file order.
    public var datasets: [DatasetConfig]
    /// Runs at the same time, across all reports (`serve`).
    public var maxConcurrent: Int = 2
    /// Seconds running reports get to finish at shutdown before they are stopped unpublished.
    public var shutdownGrace: Int = 30
    /// Seconds one external plugin process may take.
    public var pluginTimeout: Int = 60
    /// Data limit (RLIMIT_DATA: heap and private writable mappings) of each external plugin process, in MiB.
    public var pluginMemoryMiB: Int = 1024
    /// Memory `serve` may use to keep datasets between runs, in MiB (0: read every run).
    public var datasetCacheMiB: Int = 1024
    /// Where to write the Prometheus text-format metrics after each run (`metrics_file`), for
    /// node_exporter's textfile collector; `nil`: none.
    public var metricsFile: String?
    /// Run-history records kept per report (`history.keep`), and how many of the newest keep their
    /// file lists and calculators (`history.detailed`); older ones keep the outcome and figures.
    public var historyKeep: Int = 1000
    public var historyDetailed: Int = 100
    /// The calculators reports may use: the built-in ones and those of the plugins that passed
    /// their handshake.
    public var calculators = CalculatorRegistry()
    /// The output formats reports may name, with their writers.
    public var writers = WriterRegistry()
    /// The dataset formats, with the kinds of source that read them (the executable registers them).
    public var sources = SourceRegistry()
    /// The plugins that were meant to load and did not (failed handshake, not executable, a link to
    /// a missing file, no plugins folder): a report whose calculator is unknown may be theirs.
    public var pluginProblems: [PluginProblem] = []
    /// How mail is sent (`mail:`); nil: reportd sends none.
    public var mail: MailSettings?
    /// Who is told about failed and overdue reports that name no `owners:` of their own.
    public var owners: [MailAddress] = []
    /// The cluster this node belongs to (`cluster:`); nil: a single node, no database.
    public var cluster: ClusterSettings?

    /// The plugin settings, when the config names a plugins folder.
    public var pluginSettings: PluginSettings? {
        pluginsDirectory.map { PluginSettings(directory: $0, timeout: pluginTimeout, memoryMiB: pluginMemoryMiB) }
    }

    public func dataset(named name: String) -> DatasetConfig? { datasets.first { $0.name == name } }
}

/// A report definition and the file it came from.
public struct LoadedReport: Sendable {
    public var definition: ReportDefinition
    public var file: String
    /// SHA-256 of the file's bytes (hex), to tell a reload what changed; empty when not known.
    public var digest: String = ""
}

/// Everything `validate` and `run` need: the daemon config, every valid report, and every problem.
public struct Configuration: Sendable {
    public var daemon: DaemonConfig?
    public var reports: [LoadedReport]
    public var diagnostics: [Diagnostic]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var isValid: Bool { daemon != nil && errors.isEmpty }
}
