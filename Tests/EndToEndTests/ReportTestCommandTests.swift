import Foundation
import Testing
import TestSupport

/// Runs the built `reportd test` on a copy of the sample config, with test files written for each
/// case, and checks its output, its exit status, and that it wrote nothing.
@Suite(.blocking) struct ReportTestCommandTests {
    /// A copy of the sample config, `reportd test` run in its folder.
    struct Sample {
        let folder: URL

        init() throws { folder = try copyOfSampleConfig() }

        func write(_ text: String, to path: String) throws {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func test(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ProcessOutput {
            try runReportd(
                ["test", "--config", "config/reportd.yaml"] + arguments, environment: environment, in: folder)
        }

        /// The sample's output root and state folder (`var/reports`, `var/state`), which `test`
        /// must never create or write.
        var wroteNothing: Bool {
            !FileManager.default.fileExists(atPath: folder.appendingPathComponent("var").path)
        }
    }

    /// The head of a test file for funding-by-program on the sample's 8-project fixture.
    static let fundingByProgram = """
        report: ../reports.d/funding-by-program.yaml
        dataset: data/projects-small.csv
        slot: 2026-11-23T06:00
        tests:

        """

    @Test func theSampleConfigsTestsPass() throws {
        let sample = try Sample()
        let out = try sample.test()
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        let cases = lines.filter { $0.hasPrefix("ok") || $0.hasPrefix("FAIL") }
        // At least one case for each of the eight sample reports, every one passing.
        for report in [
            "concentration-by-program", "district-offices", "funding-by-program", "funding-by-year", "impact-by-beneficiary",
            "support-by-activity", "support-by-district", "support-by-district-quarterly",
        ] {
            #expect(cases.contains { $0.hasPrefix("ok    config/tests/\(report).yaml: ") }, "\(report): \(lines)")
        }
        #expect(cases.allSatisfy { $0.hasPrefix("ok ") })
        #expect(lines.last == "\(cases.count) passed, 0 failed")
        #expect(out.stderr.isEmpty, "\(out.stderr)")
        #expect(sample.wroteNothing)
    }

    @Test func theTestsFolderComesFromTheConfigInTheEnvironmentToo() throws {
        let sample = try Sample()
        let out = try runReportd(
            ["test"], environment: ["REPORTD_CONFIG": sample.folder.appendingPathComponent("config/reportd.yaml").path],
            in: sample.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("funding-by-year.yaml"))
    }

    @Test func aWrongExpectationFailsWithADiffNamingTheValue() throws {
        let sample = try Sample()
        // National state support in the fixture is 300 + 250 + 400 = 950 million; 960 is wrong.
        try sample.write(
            Self.fundingByProgram + """
                  - name: wrong national support
                    expect:
                      rows:
                        - {program: local, projects: 5, state_support_vnd: 225_000_000, counterpart_vnd: 65_000_000,
                           counterpart_per_state: 0.288888888889}
                        - {program: national, projects: 3, state_support_vnd: 960_000_000, counterpart_vnd: 970_000_000,
                           counterpart_per_state: 1.02105263158}
                  - name: right local row alone is not enough
                    expect:
                      rows:
                        - {program: local, projects: 5, state_support_vnd: 225_000_000, counterpart_vnd: 65_000_000,
                           counterpart_per_state: 0.288888888889}
                """, to: "config/tests/wrong.yaml")
        let out = try sample.test(["config/tests/wrong.yaml"])
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("FAIL  config/tests/wrong.yaml: wrong national support"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("      - national") && $0.contains("960000000") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("      + national") && $0.contains("950000000") }, "\(lines)")
        #expect(lines.contains("        national: state_support_vnd: expected 960000000, got 950000000"), "\(lines)")
        // The missing national row of the second case is a + line.
        #expect(lines.contains("FAIL  config/tests/wrong.yaml: right local row alone is not enough"))
        #expect(lines.contains { $0.hasPrefix("      + national") && $0.contains("950000000") })
        #expect(lines.last == "0 passed, 2 failed")
        #expect(sample.wroteNothing)
    }

    @Test func anExpectedErrorPassesOnlyWhenTheRunFailsThatWay() throws {
        let sample = try Sample()
        try sample.write(
            Self.fundingByProgram + """
                  - name: a bad amount fails the run
                    dataset: data/bad.csv
                    expect: {error: "'lots' is not an int"}
                  - name: the run fails another way
                    dataset: data/bad.csv
                    expect: {error: "is required but empty"}
                  - name: the run does not fail
                    expect: {error: "'lots' is not an int"}
                """, to: "config/tests/errors.yaml")
        let csv = try String(
            contentsOf: sample.folder.appendingPathComponent("config/tests/data/projects-small.csv"), encoding: .utf8)
        try sample.write(
            csv.replacingOccurrences(of: ",300000000,300000000,", with: ",lots,300000000,"),
            to: "config/tests/data/bad.csv")
        let out = try sample.test(["config/tests/errors.yaml"])
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("ok    config/tests/errors.yaml: a bad amount fails the run"), "\(lines)")
        #expect(lines.contains("FAIL  config/tests/errors.yaml: the run fails another way"), "\(lines)")
        #expect(lines.contains("      expected an error containing 'is required but empty'"), "\(lines)")
        // The error as a run gives it: the fixture file, line and column of the bad cell.
        #expect(lines.contains { $0.hasPrefix("      got: config/tests/data/bad.csv:3:") && $0.contains("'lots'") })
        #expect(lines.contains("FAIL  config/tests/errors.yaml: the run does not fail"))
        #expect(lines.contains { $0.contains("but it gave 2 rows") })
        #expect(lines.last == "1 passed, 2 failed")
        #expect(sample.wroteNothing)
    }

    @Test func aMalformedTestFileIsLocatedAndExits2() throws {
        let sample = try Sample()
        try sample.write(
            Self.fundingByProgram + """
                  - name: typo
                    expect:
                      rows:
                        - {program: local, projcts: 5}
                """, to: "config/tests/broken.yaml")
        let out = try sample.test()
        #expect(out.status == 2, "\(out.stdout)\n\(out.stderr)")
        #expect(
            out.stderr.contains(
                "config/tests/broken.yaml:8:28: error: unknown column 'projcts' in an expected row (did you mean 'projects'?)"
            ), "\(out.stderr)")
        // The other files' cases still ran and passed.
        #expect(out.stdout.contains("ok    config/tests/funding-by-year.yaml"))
        #expect(out.stdout.contains(" passed, 0 failed; some tests could not be run"))
        #expect(sample.wroteNothing)
    }

    @Test func aMissingTestFolderExits2() throws {
        let sample = try Sample()
        let out = try sample.test(["config/no-such-tests"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("config/no-such-tests: error: no such file or folder"), "\(out.stderr)")
    }

    /// A fixture may be read as a Windows CSV is (`encoding`, `delimiter`) or be one sheet of a
    /// workbook (`sheet`), as the dataset it stands in for; a key of another format is an error at
    /// the key. Before, `encoding`, `delimiter` and `sheet` were unknown keys in a fixture.
    @Test func aFixtureNamesItsEncodingAndDelimiter() throws {
        let sample = try Sample()
        let data = sample.folder.appendingPathComponent("config/tests/data")
        // The sample fixture as Excel saves "Unicode text" in a Vietnamese locale: UTF-16 with a
        // BOM, semicolons between fields.
        let script = """
            import csv, io, sys
            rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
            out = io.StringIO()
            csv.writer(out, delimiter=";", lineterminator="\\r\\n").writerows(rows)
            open(sys.argv[2], "wb").write(out.getvalue().encode("utf-16"))
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c", script, data.appendingPathComponent("projects-small.csv").path,
            data.appendingPathComponent("projects-small-utf16.csv").path,
        ]
        let converted = try runCollecting(python)
        #expect(converted.status == 0, "\(converted.stderr)")
        let original = try String(
            contentsOf: sample.folder.appendingPathComponent("config/tests/funding-by-program.yaml"), encoding: .utf8)
        let plain = "dataset: data/projects-small.csv\n"
        #expect(original.contains(plain))
        try sample.write(
            original.replacingOccurrences(
                of: plain,
                with: "dataset: {path: data/projects-small-utf16.csv, encoding: utf-16, delimiter: \";\"}\n"),
            to: "config/tests/utf16.yaml")
        let out = try sample.test(["config/tests/utf16.yaml"])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains(" passed, 0 failed"), "\(out.stdout)")
        // Read as the dataset's default (UTF-8, commas) the same file fails.
        try sample.write(
            original.replacingOccurrences(of: plain, with: "dataset: data/projects-small-utf16.csv\n"),
            to: "config/tests/plain.yaml")
        #expect(try sample.test(["config/tests/plain.yaml"]).status != 0)
        // A workbook's key on a CSV fixture.
        try sample.write(
            original.replacingOccurrences(
                of: plain, with: "dataset: {path: data/projects-small.csv, sheet: \"Đề án\"}\n"),
            to: "config/tests/sheet.yaml")
        let wrong = try sample.test(["config/tests/sheet.yaml"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("the fixture's 'sheet' is for xlsx data, not csv"), "\(wrong.stderr)")
    }
}
