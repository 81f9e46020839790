import Foundation
import ReportCore
import Testing
import TestSupport
import WriterCSV

@testable import ReportConfig

/// `label` and `values` in schemas, `label` on metrics, `locale` and `output.csv` in the daemon
/// config (SPEC, "Labels and language" and "Excel").
@Suite(.blocking) struct LabelConfigTests {
    static let labelledSchema = """
        columns:
          project_id: {type: string, required: true}
          year: {type: int, required: true, label: "Năm"}
          program:
            type: string
            label: "Chương trình"
            values: {national: "Khuyến công quốc gia", local: "Khuyến công địa phương"}
          district: {type: string, label: "Huyện/Thành phố"}
          status: {type: string}
          state_support_vnd: {type: int, label: "Kinh phí hỗ trợ (đồng)"}
          counterpart_vnd: {type: int}
          start_date: {type: date}
          active: {type: bool}
        """

    private func fixture(schema: String = labelledSchema, daemon: String = ConfigFixture.daemon, report: String = validReport)
        throws -> ConfigFixture
    {
        let fixture = try ConfigFixture(daemon: daemon, reports: ["r.yaml": report])
        try schema.write(
            to: fixture.folder.appendingPathComponent("data/projects.schema.yaml"), atomically: true, encoding: .utf8)
        return fixture
    }

    @Test func schemaLabelsAndValueLabelsLoad() throws {
        let configuration = try fixture().load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        let schema = try #require(configuration.daemon?.dataset(named: "projects")?.schema)
        #expect(schema.column(named: "program")?.label == "Chương trình")
        #expect(schema.column(named: "program")?.values.entries.map(\.code) == ["national", "local"])
        #expect(schema.column(named: "program")?.values["local"] == "Khuyến công địa phương")
        #expect(schema.column(named: "project_id")?.label == nil)
    }

    @Test func labelsAreNFC() throws {
        // "Huyện" with a combining dot below and circumflex (as macOS and Windows-1258 write it).
        let decomposed = "Huye\u{0323}\u{0302}n"
        let configuration = try fixture(
            schema: Self.labelledSchema.replacingOccurrences(of: "Huyện/Thành phố", with: decomposed)
        ).load()
        let label = try #require(configuration.daemon?.dataset(named: "projects")?.schema.column(named: "district")?.label)
        #expect(Array(label.unicodeScalars) == Array("Huyện".unicodeScalars))
    }

    @Test func metricLabelIsNotACalculatorParameter() throws {
        let report = validReport.replacingOccurrences(
            of: "  - name: support\n    calc: sum",
            with: "  - name: support\n    label: \"Kinh phí hỗ trợ\"\n    calc: sum")
        let configuration = try fixture(report: report).load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        let metric = try #require(configuration.reports.first?.definition.metrics.first { $0.name == "support" })
        #expect(metric.label == "Kinh phí hỗ trợ")
        #expect(metric.parameters.values["label"] == nil)
    }

    /// Each mistake is reported at its place, FILE:LINE:COL.
    @Test(arguments: [
        ("  district: {type: string, label: \"Huyện/Thành phố\"}", "  district: {type: string, label: 42}",
            "projects.schema.yaml", 8, 35, "the label of column 'district' must be a string, not '42' (quote it"),
        ("  district: {type: string, label: \"Huyện/Thành phố\"}", "  district: {type: string, label: [a, b]}",
            "projects.schema.yaml", 8, 35, "the label of column 'district' must be a string"),
        ("  year: {type: int, required: true, label: \"Năm\"}",
            "  year: {type: int, required: true, label: \"Năm\", values: {1: one}}",
            "projects.schema.yaml", 3, 59, "'values' labels the codes of a string column; column 'year' is int"),
        ("    values: {national: \"Khuyến công quốc gia\", local: \"Khuyến công địa phương\"}",
            "    values: [national, local]", "projects.schema.yaml", 7, 13, "'values' of column 'program' must map codes"),
        ("    values: {national: \"Khuyến công quốc gia\", local: \"Khuyến công địa phương\"}",
            "    values: {national: yes, local: \"Khuyến công địa phương\"}", "projects.schema.yaml", 7, 24,
            "the label of 'national' in column 'program' must be a string, not 'yes'"),
        ("    values: {national: \"Khuyến công quốc gia\", local: \"Khuyến công địa phương\"}",
            "    values: {national: \"A\", national: \"B\"}", "projects.schema.yaml", 7, 14,
            "duplicate key 'national'"),
        ("  district: {type: string, label: \"Huyện/Thành phố\"}", "  district: {type: string, lable: \"Huyện\"}",
            "projects.schema.yaml", 8, 28, "unknown key 'lable' in column 'district' (did you mean 'label'?)"),
    ])
    func schemaMistakesAreLocated(_ from: String, _ to: String, _ file: String, _ line: Int, _ column: Int, _ message: String)
        throws
    {
        #expect(Self.labelledSchema.contains(from))
        let errors = try fixture(schema: Self.labelledSchema.replacingOccurrences(of: from, with: to)).errors()
        let error = try #require(errors.first, "no error for \(to)")
        #expect(error.file == file && error.line == line && error.column == column, "\(error)")
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func metricLabelMistakesAreLocated() throws {
        let notText = validReport.replacingOccurrences(
            of: "  - name: projects\n    calc: count", with: "  - name: projects\n    calc: count\n    label: {vi: x}")
        let e = try #require(try fixture(report: notText).errors().first)
        #expect(e.file == "r.yaml" && e.line == 10 && e.column == 12, "\(e)")
        #expect(e.message.contains("the label of metric 'projects' must be a string"))
        let typo = validReport.replacingOccurrences(
            of: "  - name: projects\n    calc: count", with: "  - name: projects\n    calc: count\n    lable: Số đề án")
        let t = try #require(try fixture(report: typo).errors().first)
        #expect(t.line == 10 && t.column == 5, "\(t)")
        #expect(t.message.contains("'lable'"), "\(t.message)")
    }

    @Test func daemonLocaleAppliesToEveryReportThatNamesNone() throws {
        let daemon = ConfigFixture.daemon + "\nlocale: vi-VN\n"
        let inherited = try fixture(daemon: daemon).load()
        #expect(inherited.reports.first?.definition.locale == "vi-VN")
        let own = try fixture(daemon: daemon, report: validReport + "\nlocale: en-US\n").load()
        #expect(own.reports.first?.definition.locale == "en-US")
        let none = try fixture().load()
        #expect(none.reports.first?.definition.locale == nil)
    }

    @Test func daemonCSVDefaultsApplyAndAReportOverridesThemKeyByKey() throws {
        let daemon = ConfigFixture.daemon.replacingOccurrences(
            of: "  keep: 3\n", with: "  keep: 3\n  csv: {bom: true, line_endings: crlf, delimiter: \";\"}\n")
        let inherited = try #require(try fixture(daemon: daemon).load().reports.first?.definition)
        #expect(inherited.csv.bom && inherited.csv.lineEndings == .crlf && inherited.csv.delimiter == .semicolon)
        let own = try #require(
            try fixture(daemon: daemon, report: validReport + "\ncsv: {bom: false, header: labels}\n").load().reports
                .first?.definition)
        #expect(!own.csv.bom && own.csv.lineEndings == .crlf && own.csv.delimiter == .semicolon)
        #expect(own.csv.header == .labels)
    }

    @Test func daemonCSVMistakesAreLocated() throws {
        let daemon = ConfigFixture.daemon.replacingOccurrences(
            of: "  keep: 3\n", with: "  keep: 3\n  csv: {bom: true, delimter: \";\"}\n")
        let e = try #require(try fixture(daemon: daemon).errors().first)
        #expect(e.file == "reportd.yaml" && e.line == 7 && e.column == 20, "\(e)")
        #expect(e.message.contains("unknown key 'delimter' in 'output.csv' (did you mean 'delimiter'?)"), "\(e.message)")
        let bad = ConfigFixture.daemon.replacingOccurrences(
            of: "  keep: 3\n", with: "  keep: 3\n  csv: {delimiter: \"|\"}\n")
        let d = try #require(try fixture(daemon: bad).errors().first)
        #expect(d.line == 7 && d.column == 20, "\(d)")
        #expect(d.message.contains("'output.csv.delimiter'"), "\(d.message)")
    }
}
