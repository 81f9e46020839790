import Foundation
import ReportCore
import Testing
import TestSupport

@testable import ReportConfig

/// `split_by`, `split_max`, `publish_when`, `alerts` and `email_by_value` in report files: loaded,
/// checked against the report's metrics and columns, errors at FILE:LINE:COL.
@Suite(.blocking) struct SplitConfigTests {
    static let head = """
        name: split
        dataset: projects
        schedule: "@daily"
        group_by: [program]
        metrics:
          - {name: projects, calc: count}
          - {name: support_vnd, calc: sum, column: state_support_vnd}

        """
    static let mailDaemon = ConfigFixture.daemon + "\nmail: {sendmail: /bin/true, from: reportd@example.org}\n"

    func errors(_ tail: String, daemon: String = ConfigFixture.daemon) throws -> [(line: Int, column: Int, message: String)] {
        try ConfigFixture(daemon: daemon, reports: ["r.yaml": Self.head + tail]).errors().map {
            ($0.line, $0.column, $0.message)
        }
    }

    @Test func everyKeyLoads() throws {
        let configuration = try ConfigFixture(
            daemon: Self.mailDaemon,
            reports: [
                "r.yaml": Self.head + """
                    split_by: district
                    split_max: 20
                    publish_when: "rows > 0 and changed"
                    deliver:
                      - email_by_value:
                          "Mường Tè": [muongte@example.org]
                          "*": [phongkehoach@example.org]
                    alerts:
                      - when: "totals.support_vnd < 1000000000"
                        message: "Kinh phí {period} dưới 1 tỷ đồng: {totals.support_vnd}"
                        notify: [quantri@example.org]
                      - when: "rows == 0"
                    """
            ]
        ).load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        let d = try #require(configuration.reports.first?.definition)
        #expect(d.split == SplitRule(column: "district", max: 20))
        #expect(d.publishWhen?.source == "rows > 0 and changed")
        #expect(d.alerts.map(\.when.source) == ["totals.support_vnd < 1000000000", "rows == 0"])
        #expect(d.alerts[0].notify?.map(\.address) == ["quantri@example.org"])
        #expect(d.alerts[1].notify == nil)
        #expect(d.deliveries.first?.byValue?["Mường Tè"]?.map(\.address) == ["muongte@example.org"])
        #expect(d.deliveries.first?.byValue?["*"]?.map(\.address) == ["phongkehoach@example.org"])
        #expect(d.columnsRead(in: ConfigFixtureSchema.schema).contains("district"))
    }

    @Test(arguments: [
        ("split_by: distrct", 8, 11, "unknown column 'distrct' in split_by (did you mean 'district'?)"),
        ("split_by: projects", 8, 11, "'split_by' names the metric 'projects': it must be a column of the dataset"),
        ("split_max: 5", 8, 12, "'split_max' needs 'split_by'"),
        ("publish_when: \"rows > 0 and totals.suport_vnd > 5\"", 8, 29, "did you mean 'totals.support_vnd'?"),
        ("publish_when: \"rows > 0 and chnged\"", 8, 29, "unknown name 'chnged' (did you mean 'changed'?)"),
        ("publish_when: \"rows >\"", 8, 22, "publish_when: expected a column name or a value"),
        ("alerts:\n  - when: \"totals.projects > 'x'\"", 9, 30, "alert 'when': cannot compare decimal column 'totals.projects'"),
        ("alerts:\n  - message: hi", 9, 5, "an alert needs 'when'"),
        (
            "alerts:\n  - when: \"rows == 0\"\n    message: \"{totals.suport_vnd}\"", 10, 14,
            "unknown placeholder {totals.suport_vnd} in the alert's message"
        ),
    ])
    func locatedErrors(_ tail: String, _ line: Int, _ column: Int, _ message: String) throws {
        let found = try errors(tail)
        #expect(
            found.contains { $0.line == line && $0.column == column && $0.message.contains(message) },
            "\(found.map { "\($0.line):\($0.column): \($0.message)" })")
    }

    @Test func emailByValueKeysMustBeNFCAndNeedSplitBy() throws {
        let nfd = "Mường Tè".decomposedStringWithCanonicalMapping
        let found = try errors(
            """
            deliver:
              - email_by_value:
                  "\(nfd)": [muongte@example.org]
            """, daemon: Self.mailDaemon)
        #expect(found.contains { $0.line == 10 && $0.column == 7 && $0.message.contains("is not in NFC") }, "\(found)")
        let unsplit = try errors(
            """
            deliver:
              - email_by_value:
                  "Mường Tè": [muongte@example.org]
            """, daemon: Self.mailDaemon)
        #expect(unsplit.contains { $0.line == 9 && $0.message.contains("'email_by_value' needs 'split_by'") }, "\(unsplit)")
    }

    @Test func theJSONSchemaDescribesTheKeys() throws {
        let schema = ReportJSONSchema.make(calculators: CalculatorRegistry(), formats: ["csv"])
        for key in ["split_by", "split_max", "publish_when", "alerts", "email_by_value"] {
            #expect(schema.contains("\"\(key)\""), "\(key)")
        }
    }
}
