import Foundation
import Testing

/// Issue 2: every calculator checked against DuckDB on a generated dataset of 12,000 rows (quoted
/// commas, quotes and line breaks, Vietnamese text, empty cells, int sums beyond 2^53).
///
/// The work is done by `differential.py` beside this file (Python 3 with the `duckdb` package):
/// it writes the dataset, the config and the reports, runs `reportd run`, and compares every
/// report's `latest.json` with DuckDB's answer. A missing `duckdb` fails the test (exit 3); it is
/// never skipped.
@Suite struct DifferentialTests {
    @Test func everyCalculatorMatchesDuckDB() throws {
        let binary = try reportdBinary()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "differential.py")
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
