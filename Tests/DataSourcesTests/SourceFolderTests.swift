import Foundation
import ReportCore
import ReportConfig
import ReportSources
import Testing
import TestSupport

private let sourcesFolder = GoldenCases.packageRoot.appendingPathComponent("DataSources")

/// The source folders under `DataSources/`.
private func sourceFolders() -> [String] { GoldenCases.moduleFolders(in: sourcesFolder) }

/// Every golden case: "Folder/case".
private func goldenCases() -> [String] { GoldenCases.cases(in: sourcesFolder) }

/// Loads a daemon config written into a temporary folder: `datasets` is its `datasets:` block,
/// its paths relative to `base`.
private func daemonConfig(datasets: String, base: URL) throws -> DaemonConfig {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-source-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
        at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let yaml = """
        timezone: UTC
        reports: reports.d
        state: "\(folder.appendingPathComponent("state").path)"
        output: {root: "\(folder.appendingPathComponent("out").path)"}

        """ + datasets
    // The config sits in `base` so that the dataset paths resolve from there.
    let path = base.appendingPathComponent(".reportd-source-test-\(UUID().uuidString).yaml")
    try yaml.write(to: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: path) }
    let configuration = GoldenCases.loader.load(configPath: path.path)
    guard let daemon = configuration.daemon else { throw ConfigError(configuration.diagnostics) }
    return daemon
}

/// A loaded dataset as text: the header, each kept row's typed cells, each rejected row.
private func dump(_ loaded: LoadedDataset) -> String {
    func cell(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .int(let v): "int(\(v))"
        case .decimal(let v): "decimal(\(v))"
        case .string(let s): "string(\(String(reflecting: s)))"
        case .bool(let b): "bool(\(b))"
        case .date(let d): "date(\(d))"
        }
    }
    let table = loaded.table
    var lines = ["header: " + loaded.header.map { String(reflecting: $0) }.joined(separator: ", ")]
    lines.append("columns: " + table.schema.columns.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", "))
    lines.append("rows: \(table.rowCount)")
    for row in 0..<table.rowCount {
        lines.append(table.columns.map { cell($0.value(at: row)) }.joined(separator: " | "))
    }
    lines.append("rejected: \(loaded.rejected.count)")
    for rejected in loaded.rejected {
        lines.append("line \(rejected.line): \(rejected.reason) [\(rejected.fields.map { String(reflecting: $0) }.joined(separator: ", "))]")
    }
    return lines.joined(separator: "\n") + "\n"
}

/// The layout every source module keeps, as the writers' and calculators': a README, a sample
/// dataset, a registry entry and at least one golden case.
@Suite(.blocking) struct SourceFolderTests {
    @Test func everyFolderIsACompleteModule() throws {
        let folders = sourceFolders()
        #expect(folders == ["CSV", "JSON", "Postgres", "SQLite", "XLSX"], "\(folders)")
        let problems = GoldenCases.layoutProblems(
            in: sourcesFolder, registered: Set(BuiltinSources.registry.formats), folders: BuiltinSources.folders,
            registry: "BuiltinSources")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func formatNamesAreUniqueAndInTheirOrder() {
        #expect(BuiltinSources.registry.formats == ["csv", "json", "sqlite", "postgres", "xlsx"])
    }

    /// Each case: `input.EXT` typed by `schema.yaml` (with the dataset keys in `dataset.yaml`, if
    /// any) must read to `expected.txt` byte for byte. (`REPORTD_WRITE_GOLDEN=1` writes a missing
    /// expected file from the source as it is: for a new case, to be read before it is kept.)
    @Test(arguments: goldenCases()) func goldenCase(_ name: String) throws {
        let parts = name.split(separator: "/").map(String.init)
        let folder = sourcesFolder.appendingPathComponent(parts[0]).appendingPathComponent("testcases")
            .appendingPathComponent(parts[1])
        let format = try #require(BuiltinSources.folders.first { $0.value == parts[0] }?.key)
        let input = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("input.") })
        let extra = (try? String(contentsOf: folder.appendingPathComponent("dataset.yaml"), encoding: .utf8)) ?? ""
        var location = "path: \(input)"
        if format == "postgres" {
            // A server's case: `input.sql` loaded into a new database on the run's cluster.
            let cluster = try PostgresCluster.shared()
            let database = try cluster.createDatabase("golden")
            try cluster.psql(String(contentsOf: folder.appendingPathComponent(input), encoding: .utf8), database: database)
            location = "url: \(cluster.url(database: database))"
        }
        let daemon = try daemonConfig(
            datasets: """
                datasets:
                  input:
                    format: \(format)
                    \(location)
                    schema: schema.yaml

                """ + extra.split(separator: "\n").map { "    \($0)\n" }.joined(),
            base: folder)
        let loaded = try TestDatasets.load(try #require(daemon.dataset(named: "input")))
        let text = dump(loaded)
        let expected = folder.appendingPathComponent("expected.txt")
        if ProcessInfo.processInfo.environment["REPORTD_WRITE_GOLDEN"] == "1",
            !FileManager.default.fileExists(atPath: expected.path)
        {
            try text.write(to: expected, atomically: true, encoding: .utf8)
        }
        let wanted = try String(contentsOf: expected, encoding: .utf8)
        #expect(
            Array(text.utf8) == Array(wanted.utf8), "\(name) differs\n--- expected\n\(wanted)--- actual\n\(text)")
    }

    /// Each module's `sample.yaml` loads as a daemon config's datasets and reads.
    @Test(arguments: sourceFolders()) func sampleReads(_ folder: String) throws {
        let base = sourcesFolder.appendingPathComponent(folder)
        var sample = try String(contentsOf: base.appendingPathComponent("sample.yaml"), encoding: .utf8)
        if folder == "Postgres" {
            // The server of a sample: the sample projects in a new database on the run's cluster.
            let cluster = try PostgresCluster.shared()
            let database = try cluster.createDatabase("sample")
            let csv = GoldenCases.packageRoot.appendingPathComponent("config/data/projects.csv").path
            try cluster.psql(
                """
                CREATE TABLE projects (project_id text, title text, year bigint, program text, activity text,
                  district text, beneficiary text, beneficiary_type text, craft text, state_support_vnd bigint,
                  counterpart_vnd bigint, products_branded bigint, jobs_created bigint, status text, start_date date);
                """
                    + "\n\\copy projects FROM '\(csv)' WITH (FORMAT csv, HEADER true)\n", database: database)
            sample = sample.replacingOccurrences(
                of: #"url: \S+"#, with: "url: \(cluster.url(database: database))", options: .regularExpression)
        }
        // A sample that names `data/` reads the sample config's data folder (config/data).
        let root = sample.contains("path: data/") ? GoldenCases.packageRoot.appendingPathComponent("config") : base
        let daemon = try daemonConfig(datasets: sample, base: root)
        #expect(!daemon.datasets.isEmpty)
        for dataset in daemon.datasets {
            #expect(dataset.format == BuiltinSources.folders.first { $0.value == folder }!.key)
            #expect(try TestDatasets.load(dataset).table.rowCount > 0)
        }
    }
}
