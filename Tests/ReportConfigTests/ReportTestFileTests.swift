import Foundation
import ReportCalculators
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import ReportTesting

/// A daemon config (ConfigFixture's) with report test files in its `tests/` folder.
final class TestFileFixture {
    let config: ConfigFixture
    let daemon: DaemonConfig
    var tests: URL { config.folder.appendingPathComponent("tests") }

    init(reports: [String: String] = ["by-program.yaml": validReport]) throws {
        config = try ConfigFixture(reports: reports)
        try FileManager.default.createDirectory(
            at: config.folder.appendingPathComponent("tests/data"), withIntermediateDirectories: true)
        daemon = try #require(config.load().daemon)
    }

    /// Writes `text` to `tests/NAME` and loads it.
    func load(_ text: String, name: String = "t.yaml") throws -> (tests: [ReportTest], diagnostics: [Diagnostic]) {
        let url = tests.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return ReportTestLoader(daemon: daemon).load(path: url.path)
    }

    func write(_ text: String, to name: String) throws {
        try text.write(to: tests.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func run(_ test: ReportTest) -> ReportTestResult {
        ReportTestRunner(calculators: daemon.calculators).run(test)
    }
}

/// Rows of the fixture dataset of ConfigFixture's schema, as CSV.
let fixtureCSV = """
    project_id,year,program,district,status,state_support_vnd,counterpart_vnd,start_date,active
    A,2021,local,Phong Thổ,completed,40,10,2021-01-02,true
    B,2022,national,Tân Uyên,completed,300,300,,false
    C,2022,local,Sìn Hồ,completed,60,20,,
    D,2020,local,Sìn Hồ,completed,999,0,,

    """

@Suite(.blocking) struct ReportTestLoaderTests {
    @Test func inlineReportAndInlineRowsRunAndPass() throws {
        let fixture = try TestFileFixture()
        let (tests, diagnostics) = try fixture.load(
            """
            tests:
              - name: inline
                report:
                  name: inline-report
                  dataset: projects
                  schedule: "@daily"
                  group_by: [program]
                  metrics: [{name: n, calc: count}, {name: s, calc: sum, column: state_support_vnd}]
                dataset:
                  rows:
                    - {project_id: A, year: 2021, program: local, state_support_vnd: 5}
                    - {project_id: B, year: 2021, program: local, state_support_vnd: 7}
                    - {project_id: C, year: 2021, program: national, state_support_vnd: null}
                slot: 2026-11-23T06:00
                expect:
                  rows:
                    - {program: local, n: 2, s: 12}
                    - {program: national, n: 1, s: null}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        #expect(test.name == "inline")
        #expect(test.report.name == "inline-report")
        #expect(!test.fixture.hasFile)
        #expect(test.fixture.rows.count == 3)
        // 2026-11-23T06:00 in Asia/Ho_Chi_Minh (the daemon's zone) is 23:00 UTC the day before.
        #expect(test.slot == ISO8601DateFormatter().date(from: "2026-11-22T23:00:00Z"))
        let result = fixture.run(test)
        #expect(result.passed, "\(result.details)")
    }

    @Test func reportByPathAndFixtureFileRunAndPass() throws {
        let fixture = try TestFileFixture()
        try fixture.write(fixtureCSV, to: "data/small.csv")
        // validReport: year >= 2021 and completed, by program: count, sum, p90.
        // local: A 40, C 60 (D is 2020) → 2 projects, 100, p90 = 40 + 0.9 × 20 = 58.
        let (tests, diagnostics) = try fixture.load(
            """
            report: ../reports.d/by-program.yaml
            dataset: data/small.csv
            slot: 2026-11-23T06:00+07:00
            tests:
              - name: from a file
                expect:
                  rows:
                    - {program: local, projects: 2, support: 100, p90: 58}
                    - {program: national, projects: 1, support: 300, p90: 300}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        #expect(test.fixture.hasFile)
        #expect(test.fixture.dataset.path.hasSuffix("tests/data/small.csv"))
        #expect(test.report.name == "by-program")
        let result = fixture.run(test)
        #expect(result.passed, "\(result.details)")
    }

    @Test func fileRowsComeFirstThenInlineRows() throws {
        let fixture = try TestFileFixture()
        try fixture.write(fixtureCSV, to: "data/small.csv")
        let (tests, diagnostics) = try fixture.load(
            """
            report: ../reports.d/by-program.yaml
            slot: 2026-11-23T06:00
            tests:
              - name: both
                dataset:
                  path: data/small.csv
                  rows: [{project_id: E, year: 2023, program: national, status: completed, state_support_vnd: 100}]
                expect:
                  rows:
                    - {program: local, projects: 2, support: 100, p90: 58}
                    - {program: national, projects: 2, support: 400, p90: 280}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        let table = try test.fixture.load(testFile: test.file)
        #expect(table.rowCount == 5)
        #expect(table.column("project_id")?.value(at: 4) == .string("E"))
        #expect(table.column("start_date")?.value(at: 0) == .date(try #require(Day(iso: "2021-01-02"))))
        // national: 300 and 100; p90 = 100 + 0.9 × 200 = 280.
        #expect(fixture.run(test).passed, "\(fixture.run(test).details)")
    }

    @Test func aJSONFixtureIsReadAsAJSONDataset() throws {
        let fixture = try TestFileFixture()
        try fixture.write(
            """
            [{"project_id": "A", "year": 2021, "program": "local", "status": "completed", "state_support_vnd": 40},
             {"project_id": "B", "year": 2022, "program": "local", "status": "completed", "state_support_vnd": 60}]
            """, to: "data/small.json")
        // local: 40 and 60 → 2 projects, 100, p90 = 40 + 0.9 × 20 = 58.
        let (tests, diagnostics) = try fixture.load(
            """
            tests:
              - name: json
                report: ../reports.d/by-program.yaml
                dataset: data/small.json
                slot: 2026-11-23T06:00
                expect:
                  rows: [{program: local, projects: 2, support: 100, p90: 58}]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        #expect(test.fixture.dataset.format == "json")
        #expect(fixture.run(test).passed, "\(fixture.run(test).details)")
    }

    @Test func badInlineRowsAreLeftOutWhenTheFixtureRejectsThem() throws {
        let fixture = try TestFileFixture()
        let (tests, diagnostics) = try fixture.load(
            """
            tests:
              - name: reject
                report: ../reports.d/by-program.yaml
                dataset:
                  on_bad_rows: reject
                  rows:
                    - {project_id: A, year: 2021, program: local, status: completed, state_support_vnd: 40}
                    - {project_id: B, year: soon, program: local, status: completed, state_support_vnd: 60}
                    - {year: 2021, program: local, status: completed, state_support_vnd: 70}
                slot: 2026-11-23T06:00
                expect:
                  rows: [{program: local, projects: 1, support: 40, p90: 40}]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        #expect(try test.fixture.load(testFile: test.file).rowCount == 1)
        #expect(fixture.run(test).passed, "\(fixture.run(test).details)")
    }

    @Test func aFixtureMayBringItsOwnSchema() throws {
        let fixture = try TestFileFixture()
        let (tests, diagnostics) = try fixture.load(
            """
            tests:
              - name: own schema
                report:
                  name: sales
                  dataset: sales
                  schedule: "@daily"
                  metrics: [{name: total, calc: sum, column: amount}]
                dataset:
                  schema: {columns: {amount: decimal}}
                  rows: [{amount: 1.25}, {amount: 2.5}]
                slot: 2026-01-01T00:00
                expect:
                  rows: [{total: 3.75}]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let test = try #require(tests.first)
        #expect(test.fixture.dataset.name == "sales")
        #expect(fixture.run(test).passed)
    }

    /// One broken test file per row, and where its first error must point.
    static let broken: [(String, Int, Int, String)] = [
        (
            """
            tests:
              - name: a
                report: ../reports.d/by-program.yaml
                dataset: {rows: []}
                slot: 2026-11-23T06:00
                expct: {rows: []}
            """, 6, 5, "unknown key 'expct' in a test (did you mean 'expect'?)"
        ),
        (
            """
            tests:
              - name: a
                report: ../reports.d/by-program.yaml
                dataset: {rows: []}
                slot: next monday
                expect: {rows: []}
            """, 5, 11, "'slot' must be a time such as 2026-11-23T06:00"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: a
                expect:
                  rows:
                    - {program: local, projets: 1, support: 1, p90: 1}
            """, 8, 28, "unknown column 'projets' in an expected row (did you mean 'projects'?)"
        ),
        (
            """
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: inline report with an error
                report:
                  name: r
                  dataset: projects
                  schedule: "@daily"
                  metrics: [{name: n, calc: cuont}]
                expect: {rows: []}
            """, 9, 33, "unknown calculator 'cuont'"
        ),
        (
            """
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: a
                report: ../reports.d/nope.yaml
                expect: {rows: []}
            """, 5, 13, "cannot read the report file '../reports.d/nope.yaml'"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            slot: 2026-11-23T06:00
            tests:
              - name: a
                dataset:
                  rows:
                    - {project_id: A, yaer: 2021}
                expect: {rows: []}
            """, 7, 11, "unknown column 'yaer' in a fixture row (dataset 'projects') (did you mean 'year'?)"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: a
                expect: {error: boom, ordered: false}
            """, 6, 27, "'expect' gives 'error' (the run must fail), so 'ordered' has no use here"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: a
                expect: {rows: [], tolerance: -1}
            """, 6, 35, "'tolerance' must be a number of 0 or more"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            dataset: {rows: []}
            tests:
              - name: a
                expect: {rows: []}
            """, 4, 5, "test 'a' needs 'slot'"
        ),
        (
            """
            report: ../reports.d/by-program.yaml
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - name: a
                expect: {rows: []}
              - name: a
                expect: {rows: []}
            """, 7, 5, "test name 'a' is already used on line 5"
        ),
        (
            """
            tests:
              - name: a
                 expect: {}
            """, 3, 12, "YAML syntax"
        ),
    ]

    @Test(arguments: broken)
    func brokenTestFilesGetLocatedErrors(text: String, line: Int, column: Int, message: String) throws {
        let fixture = try TestFileFixture()
        let (tests, diagnostics) = try fixture.load(text)
        let first = try #require(diagnostics.first, "no error for:\n\(text)")
        // A case with an error is left out (the other cases of the file still run).
        #expect(tests.count <= 1)
        #expect(first.file.hasSuffix("tests/t.yaml"))
        #expect(first.severity == .error)
        #expect((first.line, first.column) == (line, column), "\(first)")
        #expect(first.message.contains(message), "\(first)")
    }

    @Test func anErrorInTheReportFileIsLocatedInThatFile() throws {
        let broken = validReport.replacingOccurrences(of: "calc: count", with: "calc: cnt")
        let fixture = try TestFileFixture(reports: ["broken.yaml": broken])
        let (tests, diagnostics) = try fixture.load(
            """
            report: ../reports.d/broken.yaml
            dataset: {rows: []}
            slot: 2026-11-23T06:00
            tests:
              - {name: a, expect: {rows: []}}
              - {name: b, expect: {rows: []}}
            """)
        #expect(tests.isEmpty)
        // Reported once, though both cases use the report.
        #expect(diagnostics.count == 1, "\(diagnostics)")
        let d = try #require(diagnostics.first)
        #expect(d.file.hasSuffix("reports.d/broken.yaml"))
        #expect(d.line == 9 && d.message.contains("unknown calculator 'cnt'"), "\(d)")
    }

    @Test func testFilesAreTheYAMLFilesOfAFolderAndFilesGiven() throws {
        let fixture = try TestFileFixture()
        for name in ["b.yaml", "a.yml", "notes.txt", ".hidden.yaml", "data/fixture.yaml"] {
            try fixture.write("x", to: name)
        }
        let (files, diagnostics) = ReportTestLoader.testFiles(in: [
            fixture.tests.path, fixture.tests.appendingPathComponent("data/fixture.yaml").path,
            fixture.tests.appendingPathComponent("missing.yaml").path,
        ])
        #expect(files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.yml", "b.yaml", "fixture.yaml"])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message == "no such file or folder")
    }

    @Test func aBadFixtureCellIsTheRunsErrorLocatedInTheTestFile() throws {
        let fixture = try TestFileFixture()
        let (tests, diagnostics) = try fixture.load(
            """
            report: ../reports.d/by-program.yaml
            slot: 2026-11-23T06:00
            tests:
              - name: bad int
                dataset:
                  rows:
                    - {project_id: A, year: twenty}
                expect: {error: "'twenty' is not an int"}
              - name: bad int, rows expected
                dataset:
                  rows:
                    - {project_id: A, year: twenty}
                expect: {rows: []}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(tests.count == 2)
        #expect(fixture.run(tests[0]).passed)
        let failed = fixture.run(tests[1])
        #expect(!failed.passed)
        #expect(failed.details.first?.contains("t.yaml:12:11: error: fixture row: column 'year'") == true, "\(failed)")
    }
}

@Suite(.blocking) struct ResultComparisonTests {
    static let columns = [
        ReportResult.ResultColumn(name: "district", role: .group, calc: nil, type: .string),
        ReportResult.ResultColumn(name: "projects", role: .metric, calc: "count", type: .int),
        ReportResult.ResultColumn(name: "share", role: .metric, calc: "share", type: .decimal),
    ]

    static func result(_ rows: [(String, Int64, Double?)], totals: [Value]? = nil) -> ReportResult {
        ReportResult(
            columns: columns, rows: rows.map { [.string($0.0), .int($0.1), $0.2.map { .decimal($0) } ?? .null] },
            totals: totals, rowsUsed: 0)
    }

    static func row(_ district: String, _ projects: String, _ share: String?) -> ReportTest.ExpectedRow {
        ReportTest.ExpectedRow(cells: [
            ("district", ExpectedCell(district)), ("projects", ExpectedCell(projects)),
            ("share", share.map { ExpectedCell($0) } ?? .null),
        ])
    }

    static let cells: [(String, Value, Double?, Bool)] = [
        ("3100000000", .int(3_100_000_000), nil, true),
        ("3_100_000_000", .int(3_100_000_000), nil, true),
        ("3100000001", .int(3_100_000_000), nil, false),
        ("3100000001", .int(3_100_000_000), 1, true),
        ("3100000000.0", .int(3_100_000_000), nil, true),
        ("33.333333333", .decimal(100.0 / 3), nil, true),
        ("33.33", .decimal(100.0 / 3), nil, false),
        ("33.33", .decimal(100.0 / 3), 0.01, true),
        ("33.32", .decimal(100.0 / 3), 0.01, false),
        ("0.30000000000000004", .decimal(0.1 + 0.2), nil, true),
        ("0.3", .decimal(0.1 + 0.2), nil, true),
        ("abc", .decimal(1), 1000, false),
        ("Tân Uyên", .string("Tân Uyên"), nil, true),
        ("Tan Uyen", .string("Tân Uyên"), nil, false),
        ("2021", .string("2021"), nil, true),
        ("yes", .bool(true), nil, true),
        ("false", .bool(true), nil, false),
        ("2021-03-01", .date(Day(iso: "2021-03-01")!), nil, true),
        ("2021-03-02", .date(Day(iso: "2021-03-01")!), nil, false),
        ("0", .null, 1, false),
    ]

    @Test(arguments: cells)
    func cellsCompareByTheComputedType(text: String, actual: Value, tolerance: Double?, same: Bool) {
        #expect(ResultComparison.matches(ExpectedCell(text), actual, tolerance: tolerance) == same)
    }

    @Test func nullMatchesOnlyNullAndAnAbsentColumnOnlyAnAbsentOne() {
        #expect(ResultComparison.matches(.null, .null))
        #expect(!ResultComparison.matches(.null, .int(0)))
        #expect(!ResultComparison.matches(.null, .string("")))
        #expect(!ResultComparison.matches(ExpectedCell("1"), nil))
        #expect(!ResultComparison.matches(nil, .int(1)))
        #expect(ResultComparison.matches(nil, nil))
    }

    @Test func matchingRowsGiveNoDifference() {
        let expected = ReportTest.ExpectedRows(rows: [Self.row("A", "2", "60"), Self.row("B", "1", "40")])
        #expect(
            ResultComparison.differences(expected: expected, result: Self.result([("A", 2, 60), ("B", 1, 40)])).isEmpty)
    }

    @Test func rowsInAnotherOrderDifferUnlessOrderIsNotCompared() {
        var expected = ReportTest.ExpectedRows(rows: [Self.row("B", "1", "40"), Self.row("A", "2", "60")])
        let result = Self.result([("A", 2, 60), ("B", 1, 40)])
        let lines = ResultComparison.differences(expected: expected, result: result)
        #expect(lines.first == "rows differ (- expected, + got): expected 2 rows, got 2")
        #expect(lines.contains { $0.hasPrefix("- B") } || lines.contains { $0.hasPrefix("- A") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("+ ") })
        expected.ordered = false
        #expect(ResultComparison.differences(expected: expected, result: result).isEmpty)
    }

    @Test func aWrongValueIsShownAsAPairOfRowsAndNamed() {
        let expected = ReportTest.ExpectedRows(rows: [Self.row("Phong Thổ", "2", "60"), Self.row("B", "1", "40")])
        let lines = ResultComparison.differences(
            expected: expected, result: Self.result([("Phong Thổ", 3, 60), ("B", 1, 40)]))
        #expect(
            lines == [
                "rows differ (- expected, + got): expected 2 rows, got 2",
                "  district   projects  share",
                "- Phong Thổ         2     60",
                "+ Phong Thổ         3     60",
                "  B                 1     40",
                "  Phong Thổ: projects: expected 2, got 3",
            ])
    }

    @Test func missingAndExtraRowsAreMinusAndPlusLines() {
        let expected = ReportTest.ExpectedRows(rows: [
            Self.row("A", "2", "60"), Self.row("B", "1", "40"), Self.row("C", "1", nil),
        ])
        let lines = ResultComparison.differences(
            expected: expected, result: Self.result([("A", 2, 60), ("C", 1, nil), ("D", 5, 1.5)]))
        #expect(
            Array(lines.prefix(6)) == [
                "rows differ (- expected, + got): expected 3 rows, got 3",
                "  district  projects  share",
                "  A                2     60",
                "- B                1     40",
                "  C                1   null",
                "+ D                5    1.5",
            ])
        // B and D have different keys: neither replaces the other, so no value is named.
        #expect(!lines.contains { $0.contains("expected") && $0.contains("got") && !$0.hasPrefix("rows") })
    }

    @Test func missingAndExtraColumnsAreNamed() {
        // The expected rows lack 'share' and have 'jobs', which the result has not.
        let expected = ReportTest.ExpectedRows(rows: [
            ReportTest.ExpectedRow(cells: [
                ("district", ExpectedCell("A")), ("projects", ExpectedCell("2")), ("jobs", ExpectedCell("7")),
            ])
        ])
        let lines = ResultComparison.differences(expected: expected, result: Self.result([("A", 2, 60)]))
        #expect(lines.first == "the result has no column 'jobs'")
        #expect(lines.contains("  district  projects  share  jobs"), "\(lines)")
        #expect(lines.contains("  A: share: expected , got 60"), "\(lines)")
        #expect(lines.contains("  A: jobs: expected 7, got "), "\(lines)")
    }

    @Test func toleranceAppliesToEveryNumber() {
        var expected = ReportTest.ExpectedRows(rows: [Self.row("A", "2", "33.33")])
        let result = Self.result([("A", 2, 100.0 / 3)])
        #expect(!ResultComparison.differences(expected: expected, result: result).isEmpty)
        expected.tolerance = 0.005
        #expect(ResultComparison.differences(expected: expected, result: result).isEmpty)
    }

    @Test func totalsAreComparedAndTheirDifferencesNamed() {
        var expected = ReportTest.ExpectedRows(rows: [Self.row("A", "2", "100")])
        expected.totals = ReportTest.ExpectedRow(cells: [
            ("projects", ExpectedCell("3")), ("share", ExpectedCell("100")),
        ])
        let lines = ResultComparison.differences(
            expected: expected, result: Self.result([("A", 2, 100)], totals: [.int(2), .decimal(100)]))
        #expect(
            lines == [
                "totals differ (- expected, + got):",
                "  projects  share",
                "-        3    100",
                "+        2    100",
                "  totals: projects: expected 3, got 2",
            ])
    }
}
