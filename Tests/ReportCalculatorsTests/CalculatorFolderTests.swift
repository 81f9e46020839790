import Foundation
import ReportCalculators
import ReportCore
import ReportConfig
import WriterCSV
import Testing
import TestSupport
import ReportWriters
import ReportSources
import ReportPlugins

let packageRoot = GoldenCases.packageRoot
let pluginsFolder = packageRoot.appendingPathComponent("Plugins")

/// The calculator folders under `Plugins/`.
func calculatorFolders() -> [String] { GoldenCases.moduleFolders(in: pluginsFolder) }

/// Every golden case: (folder, case name).
func goldenCases() -> [String] { GoldenCases.cases(in: pluginsFolder) }

/// Loads a daemon config written into a temporary folder, with one dataset named `name`.
func daemonConfig(dataset name: String, csv: URL, schema: URL) throws -> DaemonConfig {
    try GoldenCases.daemonConfig(dataset: name, csv: csv, schema: schema)
}

/// Loads a report against a daemon config and computes it; errors come back as text.
func compute(report: URL, daemon: DaemonConfig) -> Result<ReportResult, RunError> {
    let loader = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter())
    let loaded = loader.loadReport(path: report.path, daemon: daemon)
    guard let definition = loaded.report?.definition else {
        return .failure(
            RunError(
                report: report.lastPathComponent, message: loaded.diagnostics.map(\.description).joined(separator: "\n")
            ))
    }
    do {
        let dataset = try TestDatasets.load(daemon.dataset(named: definition.dataset)!)
        return .success(
            try ReportEngine(calculators: BuiltinCalculators.registry).execute(definition, on: dataset.table))
    } catch let error as RunError {
        return .failure(error)
    } catch {
        return .failure(RunError(report: definition.name, message: "\(error)"))
    }
}

/// The layout every calculator module keeps (as Telegraf's all_test.go): a README, a sample report,
/// a registry entry and at least one golden test case.
@Suite struct CalculatorFolderTests {
    @Test func everyFolderIsACompleteModule() throws {
        let folders = calculatorFolders()
        #expect(folders.count == 11, "\(folders)")
        let providers = Set(BuiltinCalculators.all.map(\.descriptor.provider))
        for folder in folders {
            let base = pluginsFolder.appendingPathComponent(folder)
            let readme = (try? String(contentsOf: base.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
            #expect(
                readme.count > 200, "Plugins/\(folder)/README.md is missing or too short to document the calculator")
            #expect(
                FileManager.default.fileExists(atPath: base.appendingPathComponent("sample.yaml").path),
                "Plugins/\(folder)/sample.yaml is missing")
            #expect(providers.contains("Calc\(folder)"), "Plugins/\(folder) has no entry in BuiltinCalculators.all")
            #expect(
                BuiltinCalculators.folders["Calc\(folder)"] == folder,
                "Plugins/\(folder) is missing from BuiltinCalculators.folders")
            let cases =
                (try? FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent("testcases").path))
                ?? []
            #expect(!cases.isEmpty, "Plugins/\(folder)/testcases has no test case")
        }
        // Every registered provider has its folder.
        for provider in providers {
            #expect(
                folders.contains(BuiltinCalculators.folders[provider] ?? "?"),
                "\(provider) has no folder under Plugins/")
        }
    }

    @Test func everyCalculatorNameIsUnique() {
        let names = BuiltinCalculators.all.map(\.descriptor.name)
        #expect(Set(names).count == names.count)
        #expect(
            Set(names) == [
                "count", "count_distinct", "sum", "mean", "min", "max", "median", "percentile", "stddev", "ratio",
                "share", "growth",
            ])
    }

    /// Each case: `report.yaml` over `input.csv` typed by `schema.yaml` must give `expected.csv`
    /// byte for byte, or fail with a message containing `expected-error.txt`.
    @Test(arguments: goldenCases()) func goldenCase(_ name: String) throws {
        let parts = name.split(separator: "/").map(String.init)
        let folder = pluginsFolder.appendingPathComponent(parts[0]).appendingPathComponent("testcases")
            .appendingPathComponent(parts[1])
        let daemon = try daemonConfig(
            dataset: "input", csv: folder.appendingPathComponent("input.csv"),
            schema: folder.appendingPathComponent("schema.yaml"))
        let outcome = compute(report: folder.appendingPathComponent("report.yaml"), daemon: daemon)
        let expectedError = folder.appendingPathComponent("expected-error.txt")
        if FileManager.default.fileExists(atPath: expectedError.path) {
            let needle = try String(contentsOf: expectedError, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            guard case .failure(let error) = outcome else {
                Issue.record("\(name): expected an error containing '\(needle)', but the report computed")
                return
            }
            #expect(error.message.contains(needle), "\(name): \(error.message)")
            return
        }
        let result = try outcome.get()
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.csv"), encoding: .utf8)
        let actual = String(decoding: CSVWriter.render(result, bom: false, lineEndings: .lf), as: UTF8.self)
        #expect(actual == expected, "\(name):\n--- expected\n\(expected)--- actual\n\(actual)")
    }

    /// An overflow is a deterministic failure: the run error says so, and the scheduler does not
    /// retry it (SchedulerTests.aDeterministicFailureIsNotRetried); a missing calculator is one of
    /// the definition.
    @Test func anOverflowIsACalculationFailure() throws {
        let folder = pluginsFolder.appendingPathComponent("Sum/testcases/overflow")
        let daemon = try daemonConfig(
            dataset: "input", csv: folder.appendingPathComponent("input.csv"),
            schema: folder.appendingPathComponent("schema.yaml"))
        guard case .failure(let error) = compute(report: folder.appendingPathComponent("report.yaml"), daemon: daemon)
        else {
            Issue.record("the overflow case computed")
            return
        }
        #expect(error.message.contains("overflows"))
        #expect(error.kind == .calculation && error.kind.isDeterministic)
        #expect(RunError(report: "r", message: "unknown dataset 'x'").kind == .definition)
        #expect(!RunFailure.io.isDeterministic && !RunFailure.data.isDeterministic)
    }

    /// Each module's `sample.yaml` runs on the project's sample dataset.
    @Test(arguments: calculatorFolders()) func sampleRunsOnTheSampleDataset(_ folder: String) throws {
        let data = packageRoot.appendingPathComponent("config/data")
        let daemon = try daemonConfig(
            dataset: "projects", csv: data.appendingPathComponent("projects.csv"),
            schema: data.appendingPathComponent("projects.schema.yaml"))
        let result = try compute(
            report: pluginsFolder.appendingPathComponent(folder).appendingPathComponent("sample.yaml"), daemon: daemon
        ).get()
        #expect(!result.rows.isEmpty)
        #expect(result.rowsUsed > 0)
        let metrics = result.columns.filter { $0.role == .metric }
        #expect(!metrics.isEmpty)
        // At least one metric value is defined: a sample that computes only nulls shows nothing.
        #expect(result.rows.contains { row in row.suffix(metrics.count).contains { !$0.isNull } })
    }
}
