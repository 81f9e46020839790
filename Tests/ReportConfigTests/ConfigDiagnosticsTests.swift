import Foundation
import ReportCalculators
import ReportCore
import Testing
import TestSupport
import WriterCSV
import WriterHTML

@testable import ReportConfig
import ReportWriters
import ReportSources
import ReportPlugins

/// A daemon config, a schema and report files in a fresh temporary folder.
final class ConfigFixture {
    let folder: URL

    static let schema = """
        columns:
          project_id: {type: string, required: true}
          year: {type: int, required: true}
          program: {type: string}
          district: {type: string}
          status: {type: string}
          state_support_vnd: {type: int}
          counterpart_vnd: {type: int}
          start_date: {type: date}
          active: {type: bool}
        """

    static let daemon = """
        timezone: Asia/Ho_Chi_Minh
        reports: reports.d
        state: state
        output:
          root: out
          keep: 3
        datasets:
          projects:
            format: csv
            path: data/projects.csv
            schema: data/projects.schema.yaml
        """

    deinit { try? FileManager.default.removeItem(at: folder) }

    init(daemon: String = ConfigFixture.daemon, reports: [String: String]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-config-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        try fm.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try daemon.write(to: folder.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        try Self.schema.write(
            to: folder.appendingPathComponent("data/projects.schema.yaml"), atomically: true, encoding: .utf8)
        try "project_id,year\n".write(
            to: folder.appendingPathComponent("data/projects.csv"), atomically: true, encoding: .utf8)
        for (name, text) in reports {
            try text.write(to: folder.appendingPathComponent("reports.d/\(name)"), atomically: true, encoding: .utf8)
        }
    }

    func load() -> Configuration {
        ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()).load(
            configPath: folder.appendingPathComponent("reportd.yaml").path)
    }

    /// Diagnostics as `FILE-NAME:LINE:COL: MESSAGE` with only the file's last path component.
    func errors() -> [(file: String, line: Int, column: Int, message: String)] {
        load().errors.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.line, $0.column, $0.message) }
    }
}

/// A valid report to start from; tests replace one line at a time.
let validReport = """
    name: by-program
    title: "Kinh phí theo chương trình"
    dataset: projects
    schedule: "0 6 * * 1"
    filter: "year >= 2021 and status == 'completed'"
    group_by: [program]
    metrics:
      - name: projects
        calc: count
      - name: support
        calc: sum
        column: state_support_vnd
      - name: p90
        calc: percentile
        column: state_support_vnd
        p: 90
    """

@Suite(.blocking) struct ConfigDiagnosticsTests {
    /// Loads one report file and returns its single expected error.
    func onlyError(_ report: String, file: String = "r.yaml") throws -> (
        file: String, line: Int, column: Int, message: String
    ) {
        let fixture = try ConfigFixture(reports: [file: report])
        let errors = fixture.errors()
        #expect(errors.count == 1, "\(errors)")
        return try #require(errors.first)
    }

    @Test func validReportLoads() throws {
        let configuration = try ConfigFixture(reports: ["r.yaml": validReport]).load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        #expect(configuration.reports.map(\.definition.name) == ["by-program"])
        #expect(configuration.reports.first?.definition.timezone == "Asia/Ho_Chi_Minh")
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport])
        let daemon = try #require(fixture.load().daemon)
        let base = fixture.folder.standardizedFileURL.path
        #expect(daemon.outputRoot == base + "/out")
        #expect(daemon.datasets.first?.path == base + "/data/projects.csv")
        #expect(daemon.reportsDirectory == base + "/reports.d")
    }

    @Test func yamlSyntaxErrorHasLineAndColumn() throws {
        let e = try onlyError("name: x\ntitle: [unclosed\ndataset: projects\n")
        #expect(e.file == "r.yaml")
        #expect(e.line == 3)
        #expect(e.message.contains("YAML syntax"))
    }

    @Test func unknownKeySuggestsTheRightOne() throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "group_by: [program]", with: "grup_by: [program]"))
        #expect(e.line == 6 && e.column == 1)
        #expect(e.message.contains("unknown key 'grup_by'"))
        #expect(e.message.contains("did you mean 'group_by'?"))
    }

    @Test func wrongTypeIsLocated() throws {
        let e = try onlyError(validReport + "\nlimit: ten\n")
        #expect(e.line == 17 && e.column == 8)
        #expect(e.message.contains("'limit' must be a whole number"))
    }

    @Test func retryDelayIsADurationOfAtMostAnHour() throws {
        let long = try onlyError(validReport + "\nretry_delay: 2h\n")
        #expect(long.line == 17 && long.column == 14, "\(long)")
        #expect(long.message.contains("'retry_delay' must be at most 1h"))
        let word = try onlyError(validReport + "\nretry_delay: soon\n")
        #expect(word.message.contains("'retry_delay' must be a duration"), "\(word.message)")
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport + "\nretry_delay: 90s\n"])
        #expect(try #require(fixture.load().reports.first).definition.retryDelay == 90)
    }

    @Test func chartOptionsAreCheckedAndLocated() throws {
        let metricError = try onlyError(validReport + "\nchart: {metric: suport}\n")
        #expect(metricError.line == 17 && metricError.column == 17, "\(metricError)")
        #expect(metricError.message.contains("'chart.metric' names no metric of this report: 'suport'"))
        #expect(metricError.message.contains("did you mean 'support'?"))
        let typeError = try onlyError(validReport + "\nchart: {type: pie}\n")
        #expect(typeError.line == 17 && typeError.column == 15, "\(typeError)")
        #expect(typeError.message.contains("'chart.type'"), "\(typeError.message)")
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport + "\nchart: {metric: support, type: line}\n"])
        let chart = try #require(fixture.load().reports.first?.definition.chart)
        #expect(chart == ChartOptions(metric: "support", kind: .line))
    }

    @Test func unknownDatasetIsLocated() throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "dataset: projects", with: "dataset: project"))
        #expect(e.line == 3 && e.column == 10)
        #expect(e.message.contains("unknown dataset 'project'") && e.message.contains("did you mean 'projects'?"))
    }

    @Test func unknownGroupColumnIsLocated() throws {
        let e = try onlyError(
            validReport.replacingOccurrences(of: "group_by: [program]", with: "group_by: [programme]"))
        #expect(e.line == 6 && e.column == 12)
        #expect(e.message.contains("unknown column 'programme'") && e.message.contains("did you mean 'program'?"))
    }

    @Test func unknownCalculatorIsLocated() throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "calc: count", with: "calc: cnt"))
        #expect(e.line == 9 && e.column == 11)
        #expect(e.message.contains("unknown calculator 'cnt'"))
    }

    @Test func unknownCalculatorParameterPointsAtItsKey() throws {
        let e = try onlyError(
            validReport.replacingOccurrences(
                of: "    column: state_support_vnd\n  - name: p90", with: "    colum: state_support_vnd\n  - name: p90")
        )
        #expect(e.line == 12 && e.column == 5)
        #expect(e.message.contains("no parameter 'colum'") && e.message.contains("did you mean 'column'?"))
    }

    @Test func unknownMetricColumnIsLocated() throws {
        let e = try onlyError(
            validReport.replacingOccurrences(
                of: "    column: state_support_vnd\n  - name: p90", with: "    column: support_vnd\n  - name: p90"))
        #expect(e.line == 12 && e.column == 13)
        #expect(e.message.contains("unknown column 'support_vnd'"))
    }

    @Test func numericCalculatorRefusesAStringColumn() throws {
        let e = try onlyError(
            validReport.replacingOccurrences(
                of: "    column: state_support_vnd\n  - name: p90", with: "    column: district\n  - name: p90"))
        #expect(e.line == 12)
        #expect(e.message.contains("'district' is string"))
    }

    @Test(arguments: ["101", "-1", "250"]) func percentileOutsideZeroToHundred(p: String) throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "p: 90", with: "p: \(p)"))
        #expect(e.line == 16 && e.column == 8)
        #expect(e.message.contains("between 0 and 100"))
    }

    @Test func growthPeriodMustBeAGroupColumn() throws {
        let report =
            validReport + """

                  - name: growth
                    calc: growth
                    column: state_support_vnd
                    period: year
                """
        let e = try onlyError(report)
        #expect(e.line == 20 && e.column == 13)
        #expect(e.message.contains("must be one of the report's group_by columns"))
    }

    @Test func filterUnknownColumnPointsIntoTheFilter() throws {
        // filter: "year >= 2021 and status == 'completed'" — 'statut' starts 17 scalars in.
        let e = try onlyError(validReport.replacingOccurrences(of: "status ==", with: "statut =="))
        #expect(e.line == 5 && e.column == 9 + 17 + 1)
        #expect(e.message.contains("unknown column 'statut'") && e.message.contains("did you mean 'status'?"))
    }

    @Test func filterStringComparedWithNumberPointsAtTheLiteral() throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "status == 'completed'", with: "status == 3"))
        #expect(e.line == 5 && e.column == 9 + 1 + 27)
        #expect(e.message.contains("cannot compare string column 'status' with number 3"))
    }

    @Test func filterSyntaxErrorIsLocated() throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "year >= 2021 and", with: "year >= 2021 and and"))
        #expect(e.line == 5 && e.column == 9 + 1 + 17)
        #expect(e.message.contains("filter:"))
    }

    @Test(arguments: [
        ("0 24 * * *", "hour", 3), ("60 * * * *", "minute", 1), ("0 6 32 * *", "day of month", 5),
        ("0 6 * 13 *", "month", 7), ("0 6 * * 8", "day of week", 9),
    ])
    func cronFieldOutOfRange(schedule: String, field: String, offset: Int) throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "\"0 6 * * 1\"", with: "\"\(schedule)\""))
        #expect(e.line == 4 && e.column == 11 + 1 + offset - 1)
        #expect(e.message.contains(field) && e.message.contains("out of range"))
    }

    @Test func badScheduleForms() throws {
        for bad in ["@fortnightly", "every 5x", "0 6 * *", "every"] {
            let e = try onlyError(validReport.replacingOccurrences(of: "\"0 6 * * 1\"", with: "\"\(bad)\""))
            #expect(e.line == 4, "\(bad)")
            #expect(e.message.contains("invalid schedule"), "\(bad)")
        }
    }

    /// Neither file wins: one that sorts first must not take over the other's report (issue 13).
    @Test func twoReportsWithOneNameAreBothRefused() throws {
        let fixture = try ConfigFixture(reports: ["a.yaml": validReport, "b.yaml": validReport])
        let configuration = fixture.load()
        let errors = fixture.errors().sorted { $0.file < $1.file }
        #expect(errors.count == 2)
        #expect(errors.map(\.file) == ["a.yaml", "b.yaml"])
        #expect(errors.allSatisfy { $0.line == 1 && $0.column == 7 })
        #expect(errors.first?.message.contains("reports.d/b.yaml:1:7: names must be unique") == true)
        #expect(errors.last?.message.contains("reports.d/a.yaml:1:7: names must be unique") == true)
        #expect(configuration.reports.isEmpty)
    }

    @Test(arguments: ["../x", "A-report", "-x", "x/y", "x y", "é"]) func reportNameMustBeSafe(name: String) throws {
        let e = try onlyError(validReport.replacingOccurrences(of: "name: by-program", with: "name: \"\(name)\""))
        #expect(e.line == 1 && e.column == 7)
        #expect(e.message.contains("must match [a-z0-9][a-z0-9_-]*"))
    }

    @Test func unknownDatasetFormatIsLocated() throws {
        let daemon = ConfigFixture.daemon.replacingOccurrences(of: "format: csv", with: "format: parquet")
        let fixture = try ConfigFixture(daemon: daemon, reports: ["r.yaml": validReport])
        let configuration = fixture.load()
        #expect(configuration.daemon == nil)
        let e = try #require(fixture.errors().first)
        #expect(e.file == "reportd.yaml" && e.line == 9 && e.column == 13)
        #expect(e.message.contains("must be one of csv, json"))
    }

    @Test func schemaErrorsPointIntoTheSchemaFile() throws {
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport])
        try "columns:\n  year: {type: integer}\n".write(
            to: fixture.folder.appendingPathComponent("data/projects.schema.yaml"), atomically: true, encoding: .utf8)
        let e = try #require(fixture.errors().first)
        #expect(e.file == "projects.schema.yaml" && e.line == 2 && e.column == 16)
        #expect(e.message.contains("'integer'") && e.message.contains("did you mean 'int'?"))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let broken =
            validReport
            .replacingOccurrences(of: "group_by: [program]", with: "group_by: [programme]")
            .replacingOccurrences(of: "calc: count", with: "calc: cnt")
            .replacingOccurrences(of: "p: 90", with: "p: 900")
            + "\ncolour: red\n"
        let fixture = try ConfigFixture(reports: [
            "r.yaml": broken, "ok.yaml": validReport.replacingOccurrences(of: "by-program", with: "fine"),
        ])
        let errors = fixture.errors()
        #expect(errors.count == 4, "\(errors)")
        #expect(Set(errors.map(\.line)) == [6, 9, 16, 17])
        // The valid report still loads beside the broken one.
        #expect(fixture.load().reports.map(\.definition.name) == ["fine"])
    }

    @Test func diagnosticPrintsAsFileLineColumn() {
        let d = Diagnostic(file: "reports.d/daily.yaml", line: 14, column: 5, message: "unknown key 'colums'")
        #expect(d.description == "reports.d/daily.yaml:14:5: error: unknown key 'colums'")
    }
}

/// The CSV writer reads its own `csv:` keys through the settings protocol; the messages and their
/// places are the config loader's, as when the loader read them itself (checked against 0.7.0's
/// `reportd validate` on the same file).
@Suite(.blocking) struct WriterSettingsTests {
    @Test func csvSettingsAreReadAndLocatedAsBefore() throws {
        let report = validReport + "\ncsv: {bom: maybe, line_endings: cr, boom: 1}\n"
        let line = report.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("csv:") }! + 1
        let errors = try ConfigFixture(reports: ["r.yaml": report]).errors()
        #expect(errors.map(\.message) == [
            "unknown key 'boom' in 'csv' (did you mean 'bom'?)",
            "'csv.bom' must be true or false",
            "'csv.line_endings' must be one of lf, crlf, not 'cr' (did you mean 'lf'?)",
        ])
        #expect(errors.map(\.line) == [line, line, line])
        #expect(errors.map(\.column) == [37, 12, 33])
    }

    @Test func csvSettingsReachTheDefinition() throws {
        let configuration = try ConfigFixture(reports: ["r.yaml": validReport + "\ncsv: {bom: true, line_endings: crlf}\n"])
            .load()
        let definition = try #require(configuration.reports.first?.definition)
        #expect(definition.csvBOM && definition.lineEndings == .crlf)
    }
}
