package import ReportCore

// Entry points for the fuzz targets (Sources/FuzzTargets, scripts/fuzz.sh) and their corpus
// tests. They are `package`: visible to this package's modules only, never part of reportd's API.
// Each wraps an internal function so that a target can reach it without `@testable`, which a
// fuzzer build (-sanitize=fuzzer, no testing) cannot use.

/// Config parsing for the fuzz targets.
package enum ConfigFuzzing {
    /// Reads and checks the daemon config at `path` as `ConfigLoader.loadDaemon` does, but never
    /// starts the plugins it names: a fuzzed `plugins:` could name any folder of executables.
    package static func parseDaemon(path: String, sources: SourceRegistry) -> (DaemonConfig?, [Diagnostic]) {
        var file = YAMLFile(path: path)
        let daemon = ConfigLoader(calculators: CalculatorRegistry(), writers: WriterRegistry(), sources: sources, plugins: nil)
            .parseDaemon(&file)
        return (daemon, file.diagnostics)
    }

    /// Reads the dataset schema file at `path`.
    package static func parseSchema(path: String) -> (DatasetSchema?, [Diagnostic]) {
        var file = YAMLFile(path: path)
        let schema = SchemaLoader.parse(&file)
        return (schema, file.diagnostics)
    }
}

extension DatasetConfig {
    /// A dataset setting built in code, for the fuzz targets.
    package init(
        name: String, format: Format, path: String, schema: DatasetSchema, onBadRows: BadRows = .fail
    ) {
        self.init(
            name: name, format: format, path: path, schemaPath: path + ".schema.yaml", schema: schema,
            onBadRows: onBadRows)
    }
}

extension DaemonConfig {
    /// A daemon config built in code (no file), for the fuzz targets.
    package init(
        datasets: [DatasetConfig], calculators: CalculatorRegistry, sources: SourceRegistry, timezone: String = "UTC"
    ) {
        self.init(
            file: "reportd.yaml", timezone: timezone, reportsDirectory: "reports.d", stateDirectory: "state",
            pluginsDirectory: nil, outputRoot: "out", keep: 1, locale: nil, datasets: datasets)
        self.calculators = calculators
        self.sources = sources
    }
}
