import Foundation
import ReportCalculators
import ReportCore
import ReportConfig
import ReportWriters
import ReportSources

extension FuzzTarget {
    /// The YAML config loader: the input is a file's contents, read three ways: as the daemon
    /// config (`reportd.yaml`, its plugins never started), as a report definition checked against a
    /// daemon config with the sample `projects` dataset and the built-in calculators, and as a
    /// dataset schema.
    ///
    /// Invariants: every diagnostic names a line within the file (0 for the whole file) and a
    /// column within that line; a result is given exactly when there is no error.
    public static let config = FuzzTarget(name: "fuzz-config", corpus: "config") { bytes throws(InvariantViolation) in
        let folder = ConfigFixture.folder
        let path = folder + "/input.yaml"
        FuzzScratch.write(bytes, to: path)
        let lines = ConfigFixture.lineLengths(bytes)

        func checkDiagnostics(_ diagnostics: [Diagnostic], _ what: String) throws(InvariantViolation) {
            for d in diagnostics {
                try check(!d.message.isEmpty, "\(what): a diagnostic without a message")
                if d.line == 0 { continue }
                try check(
                    d.line >= 1 && d.line <= lines.count,
                    "\(what): line \(d.line) outside the file (\(lines.count) lines): \(d)")
                try check(
                    d.column >= 1 && d.column <= lines[d.line - 1] + 1,
                    "\(what): column \(d.column) outside line \(d.line) (\(lines[d.line - 1]) characters): \(d)")
            }
        }

        let (daemon, daemonDiagnostics) = ConfigFuzzing.parseDaemon(path: path, sources: BuiltinSources.registry)
        try checkDiagnostics(daemonDiagnostics, "daemon config")
        try check(
            (daemon != nil) == !daemonDiagnostics.contains { $0.severity == .error },
            "daemon config: \(daemon == nil ? "no config" : "a config") with diagnostics \(daemonDiagnostics)")

        let report = ConfigLoader(calculators: ConfigFixture.daemon.calculators, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: nil).loadReport(
            path: path, daemon: ConfigFixture.daemon)
        try checkDiagnostics(report.diagnostics, "report")
        try check(
            (report.report != nil) == !report.diagnostics.contains { $0.severity == .error },
            "report: \(report.report == nil ? "no report" : "a report") with diagnostics \(report.diagnostics)")

        let (schema, schemaDiagnostics) = ConfigFuzzing.parseSchema(path: path)
        try checkDiagnostics(schemaDiagnostics, "schema")
        try check(
            (schema != nil) == !schemaDiagnostics.contains { $0.severity == .error },
            "schema: \(schema == nil ? "no schema" : "a schema") with diagnostics \(schemaDiagnostics)")
    }
}

enum ConfigFixture {
    /// The sample config's `projects` schema.
    static let schemaText = """
        columns:
          project_id: {type: string, required: true}
          title: {type: string, required: true}
          year: {type: int, required: true}
          program: {type: string, required: true}
          activity: {type: string, required: true}
          district: {type: string, required: true}
          beneficiary: {type: string, required: true}
          beneficiary_type: {type: string, required: true}
          craft: {type: string}
          state_support_vnd: {type: int, required: true}
          counterpart_vnd: {type: int, required: true}
          products_branded: {type: int, required: true}
          jobs_created: {type: int}
          status: {type: string, required: true}
          start_date: {type: date}
          active: {type: bool}
        """

    /// A folder laid out like the sample config's, so that its `data/projects.schema.yaml` resolves.
    static let folder: String = {
        let folder = FuzzScratch.folder + "/config"
        try? FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        FuzzScratch.write(Array(schemaText.utf8), to: folder + "/data/projects.schema.yaml")
        FuzzScratch.write(Array("project_id\n".utf8), to: folder + "/data/projects.csv")
        return folder
    }()

    static let daemon: DaemonConfig = {
        let (schema, diagnostics) = ConfigFuzzing.parseSchema(path: folder + "/data/projects.schema.yaml")
        guard let schema else { fatalError("the fixture schema does not load: \(diagnostics)") }
        return DaemonConfig(
            datasets: [
                DatasetConfig(name: "projects", format: "csv", path: folder + "/data/projects.csv", schema: schema)
            ],
            calculators: BuiltinCalculators.registry, sources: BuiltinSources.registry, timezone: "Asia/Ho_Chi_Minh")
    }()

    /// The length of each line in Unicode scalars (Yams's columns), cut where libyaml counts a
    /// line break (CR LF, CR, LF, NEL, LS, PS), for a file that is valid UTF-8 (one that is not
    /// gets a whole-file diagnostic).
    static func lineLengths(_ bytes: [UInt8]) -> [Int] {
        var lengths: [Int] = []
        var current = 0
        var afterCR = false
        for c in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            defer { afterCR = c == "\r" }
            switch c {
            case "\n" where afterCR: continue
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lengths.append(current)
                current = 0
            default: current += 1
            }
        }
        lengths.append(current)
        return lengths
    }
}
