import Foundation
import ReportCalculators
import ReportCore
import ReportConfig
import ReportWriters
import Testing
import TestSupport

private let writersFolder = GoldenCases.packageRoot.appendingPathComponent("Writers")
private let packageRoot = GoldenCases.packageRoot

/// The writer folders under `Writers/`.
private func writerFolders() -> [String] { GoldenCases.moduleFolders(in: writersFolder) }

/// Every golden case: "Folder/case".
private func goldenCases() -> [String] { GoldenCases.cases(in: writersFolder) }

/// A daemon config in a temporary folder with one CSV dataset named `name`.
private func daemonConfig(dataset name: String, csv: URL, schema: URL) throws -> DaemonConfig {
    try GoldenCases.daemonConfig(dataset: name, csv: csv, schema: schema, timezone: "Asia/Ho_Chi_Minh")
}

/// Renders the report at `report` in each of its formats, with a fixed run context (slot and
/// generation time), so that the bytes depend on the writer alone.
private func render(report: URL, daemon: DaemonConfig) throws -> [(format: String, bytes: [UInt8])] {
    let loaded = GoldenCases.loader.loadReport(path: report.path, daemon: daemon)
    guard let definition = loaded.report?.definition else { throw ConfigError(loaded.diagnostics) }
    let dataset = try TestDatasets.load(daemon.dataset(named: definition.dataset)!)
    let result = try ReportEngine(calculators: BuiltinCalculators.registry).execute(definition, on: dataset.table)
    let context = RunContext(
        report: definition, slot: "2026-11-29T06:00:00+07:00", stamp: "2026-11-29T060000",
        generatedAt: "2026-11-29T06:00:01+07:00",
        dataset: DatasetFigures(
            name: definition.dataset, rows: dataset.table.rowCount, rowsUsed: result.rowsUsed,
            rowsRejected: dataset.rejected.count, sha256: dataset.sha256),
        locale: definition.locale)
    return try definition.formats.map { format in
        let writer = try #require(BuiltinWriters.registry.writer(for: format))
        return (format, try writer.render(result, context: context))
    }
}

/// A workbook's parts against the files of `expected` (a folder named like the parts), part by part
/// and as text, so that a difference shows as XML rather than as compressed bytes (which also
/// depend on zlib's version). `REPORTD_WRITE_GOLDEN=1` writes a missing folder.
private func compareParts(_ bytes: [UInt8], _ expected: URL, _ name: String) throws {
    let parts = try Workbook.parts(bytes)
    if ProcessInfo.processInfo.environment["REPORTD_WRITE_GOLDEN"] == "1",
        !FileManager.default.fileExists(atPath: expected.path)
    {
        for (path, content) in parts {
            let file = expected.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content).write(to: file)
        }
    }
    let wanted = try Workbook.files(under: expected)
    #expect(parts.map(\.path).sorted() == wanted.keys.sorted(), "\(name): the workbook's parts differ")
    for (path, content) in parts {
        guard let want = wanted[path] else { continue }
        #expect(
            content == want,
            "\(name): \(path) differs\n--- expected\n\(String(decoding: want, as: UTF8.self))\n--- actual\n\(String(decoding: content, as: UTF8.self))"
        )
    }
}

/// The layout every writer module keeps, as the calculators' (CalculatorFolderTests): a README, a
/// sample report, a registry entry and at least one golden case.
@Suite struct WriterFolderTests {
    @Test func everyFolderIsACompleteModule() throws {
        let folders = writerFolders()
        #expect(folders == ["CSV", "HTML", "JSON", "Text", "XLSX"], "\(folders)")
        let problems = GoldenCases.layoutProblems(
            in: writersFolder, registered: Set(BuiltinWriters.registry.formats), folders: BuiltinWriters.folders,
            registry: "BuiltinWriters")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func formatNamesAreUniqueAndInTheirOrder() {
        #expect(BuiltinWriters.registry.formats == ["csv", "json", "text", "html", "xlsx"])
        #expect(
            BuiltinWriters.registry.writers.map { type(of: $0).fileExtension } == ["csv", "json", "txt", "html", "xlsx"])
    }

    /// Each case: `report.yaml` over `input.csv` typed by `schema.yaml`, rendered at a fixed slot,
    /// must give `expected.EXT` byte for byte for each of its formats. (`REPORTD_WRITE_GOLDEN=1` writes a
    /// missing expected file from the writer as it is: for a new case, to be read before it is kept.)
    @Test(arguments: goldenCases()) func goldenCase(_ name: String) throws {
        let folder = writersFolder.appendingPathComponent("\(name.split(separator: "/")[0])/testcases")
            .appendingPathComponent(String(name.split(separator: "/")[1]))
        let daemon = try daemonConfig(
            dataset: "input", csv: folder.appendingPathComponent("input.csv"),
            schema: folder.appendingPathComponent("schema.yaml"))
        for (format, bytes) in try render(report: folder.appendingPathComponent("report.yaml"), daemon: daemon) {
            if format == "xlsx" {
                try compareParts(bytes, folder.appendingPathComponent("expected.xlsx.parts"), name)
                continue
            }
            let expected = folder.appendingPathComponent("expected." + BuiltinWriters.registry.fileExtension(of: format))
            // A new case: REPORTD_WRITE_GOLDEN=1 writes its expected file (then read it before committing).
            if ProcessInfo.processInfo.environment["REPORTD_WRITE_GOLDEN"] == "1",
                !FileManager.default.fileExists(atPath: expected.path)
            {
                try Data(bytes).write(to: expected)
            }
            let wanted = try [UInt8](Data(contentsOf: expected))
            #expect(
                bytes == wanted,
                "\(name): \(format) differs\n--- expected\n\(String(decoding: wanted, as: UTF8.self))--- actual\n\(String(decoding: bytes, as: UTF8.self))"
            )
        }
    }

    /// Each module's `sample.yaml` loads against the sample config's dataset and renders.
    @Test(arguments: writerFolders()) func sampleRendersOnTheSampleDataset(_ folder: String) throws {
        let data = packageRoot.appendingPathComponent("config/data")
        let daemon = try daemonConfig(
            dataset: "projects", csv: data.appendingPathComponent("projects.csv"),
            schema: data.appendingPathComponent("projects.schema.yaml"))
        let outputs = try render(
            report: writersFolder.appendingPathComponent(folder).appendingPathComponent("sample.yaml"), daemon: daemon)
        #expect(outputs.map(\.format) == [BuiltinWriters.folders.first { $0.value == folder }!.key])
        #expect(outputs.allSatisfy { !$0.bytes.isEmpty })
    }
}
