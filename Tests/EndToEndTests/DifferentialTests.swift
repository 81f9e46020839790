import Foundation
import Testing
import TestSupport

/// Issue 2: every calculator checked against DuckDB on a generated dataset of 12,000 rows (quoted
/// commas, quotes and line breaks, Vietnamese text, empty cells, int sums beyond 2^53).
///
/// The work is done by `differential.py` beside this file (Python 3 with the `duckdb` package):
/// it writes the dataset, the config and the reports, runs `reportd run`, and compares every
/// report's `latest.json` with DuckDB's answer. A missing `duckdb` fails the test (exit 3); it is
/// never skipped.
@Suite(.blocking) struct DifferentialTests {
    @Test func everyCalculatorMatchesDuckDB() throws {
        try runScript("differential.py")
    }

    /// Issue 24: the reader and whole reports on text mixing NFC and NFD spellings, quoted fields,
    /// line breaks, bad quotes and bad rows (`differential_text.py`, 60 generated cases with a
    /// fixed seed; `scripts/differential-data.sh CASES` runs more): DuckDB and Python's csv module
    /// on the clean files, the SPEC's resync rule written in Python on the bad ones, DuckDB SQL for
    /// every figure.
    @Test func readerAndReportsOnMixedTextMatchTheOracles() throws {
        try runScript("differential_text.py")
    }

    private func runScript(_ name: String) throws {
        let binary = try reportdBinary()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name)
        let workdir = FileManager.default.temporaryDirectory
            .appendingPathComponent("reportd-differential-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--reportd", binary.path, "--workdir", workdir.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read to the end before waiting, so a full pipe can never block the script.
        let data = readToEnd(pipe.fileHandleForReading)
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        let status = process.terminationStatus

        #expect(status == 0, "\(output)\n(files kept in \(workdir.path))")
        if status == 0 { try? FileManager.default.removeItem(at: workdir) }
    }
}
