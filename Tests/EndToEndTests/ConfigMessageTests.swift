import Foundation
import Testing
import TestSupport

/// The messages a new administrator meets first, as `reportd` prints them: YAML syntax errors on
/// one line with a hint, did-you-means and lists of what exists, the "quote it" hint in filters,
/// and usage errors naming the subcommand (issue 12, points 3 and 4).
@Suite(.blocking) struct ConfigMessageTests {
    /// `validate` of the sample config with one more report file holding `text`; its standard error.
    static func validate(report text: String) throws -> (status: Int32, stderr: String) {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config")
        try text.write(to: config.appendingPathComponent("reports.d/new.yaml"), atomically: true, encoding: .utf8)
        let out = try runReportd(["validate", "--config", "reportd.yaml"], in: config)
        return (out.status, out.stderr)
    }

    static func report(_ lines: String...) -> String {
        (["name: new", "dataset: projects"] + lines).joined(separator: "\n") + "\n"
    }

    // MARK: YAML syntax

    @Test(arguments: [
        // An unquoted cron expression: `*` starts a YAML alias.
        (
            report("schedule: */15 * * * *", "metrics:", "  - {name: n, calc: count}"), "new.yaml:3:12: error: ",
            #"a value starting with '*' is read as a YAML alias: quote it, schedule: "*/15 * * * *""#
        ),
        // A tab in the indentation.
        (
            report("schedule: '@daily'", "metrics:", "\t- {name: n, calc: count}"), "new.yaml:5:1: error: ",
            "line 5 is indented with a tab: YAML indents with spaces only"
        ),
        // A title holding ': ' without quotes.
        (
            report("title: Kinh phí: năm 2026", "schedule: '@daily'", "metrics:", "  - {name: n, calc: count}"),
            "new.yaml:3:16: error: ", #"a value containing ': ' must be quoted: title: "Kinh phí: năm 2026""#
        ),
        // `@daily` without quotes: `@` is reserved in YAML.
        (
            report("schedule: @daily", "metrics:", "  - {name: n, calc: count}"), "new.yaml:3:11: error: ",
            #"a value cannot start with '@' unquoted: quote it, schedule: "@daily""#
        ),
    ])
    func yamlSyntaxErrorIsOneLineWithAHint(text: String, location: String, hint: String) throws {
        let (status, stderr) = try Self.validate(report: text)
        #expect(status == 1)
        let lines = stderr.split(separator: "\n")
        // One diagnostic and the count: libyaml's context once broke the message over two lines.
        #expect(lines.count == 2, "\(stderr)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix("reports.d/" + location + "YAML syntax: "), "\(line)")
        #expect(line.hasSuffix("; " + hint), "\(line)")
        #expect(!line.contains("\n") && !line.hasSuffix(")"), "\(line)")
    }

    // MARK: Did-you-mean and lists

    @Test func unknownCalculatorSuggestsTheOneMeantOrListsThemAll() throws {
        let (status, stderr) = try Self.validate(
            report: Self.report(
                "schedule: '@daily'", "metrics:", "  - {name: a, calc: average, column: year}",
                "  - {name: b, calc: frobnicate}"))
        #expect(status == 1)
        #expect(stderr.contains("new.yaml:5:21: error: metric 'a': unknown calculator 'average' (did you mean 'mean'?)"), "\(stderr)")
        // Nothing close: every calculator, the sample's plugin one included.
        #expect(
            stderr.contains(
                "new.yaml:6:21: error: metric 'b': unknown calculator 'frobnicate' (the calculators are count, "
                    + "count_distinct, growth, hhi, max, mean, median, min, percentile, ratio, share, stddev, sum)"),
            "\(stderr)")
    }

    @Test func unknownGroupColumnListsTheColumns() throws {
        let (status, stderr) = try Self.validate(
            report: Self.report("schedule: '@daily'", "group_by: [huyen]", "metrics:", "  - {name: n, calc: count}"))
        #expect(status == 1)
        #expect(
            stderr.contains(
                "new.yaml:4:12: error: unknown column 'huyen' in group_by (the dataset's columns are project_id, "
                    + "title, year, program, activity, district, beneficiary, beneficiary_type, craft, "
                    + "state_support_vnd, counterpart_vnd, products_branded, jobs_created, status, start_date)"),
            "\(stderr)")
    }

    @Test(arguments: [
        (
            "status == completed", "new.yaml:3:19: error: filter: unknown column 'completed': to compare 'status' "
                + "with the text, quote it: 'completed'"
        ),
        (
            "district == Mường Tè", "new.yaml:3:27: error: filter: unexpected 'Tè'; expected 'and', 'or' or the end; "
                + "to compare with the text, quote it: 'Mường Tè'"
        ),
        (
            "(district == Mường Tè)", "new.yaml:3:28: error: filter: expected ')' but found 'Tè'; "
                + "to compare with the text, quote it: 'Mường Tè'"
        ),
        (
            "program in [local, national]", "new.yaml:3:21: error: filter: unknown column 'local': to compare "
                + "'program' with the text, quote it: 'local'"
        ),
        (
            "district in ['Sìn Hồ', Mường Tè]", "new.yaml:3:38: error: filter: expected ',' or ']' but found 'Tè'; "
                + "to compare with the text, quote it: 'Mường Tè'"
        ),
    ])
    func unquotedTextInAFilterIsToldToBeQuoted(filter: String, expected: String) throws {
        let (status, stderr) = try Self.validate(
            report: Self.report("filter: \(filter)", "schedule: '@daily'", "metrics:", "  - {name: n, calc: count}"))
        #expect(status == 1)
        #expect(stderr.contains(expected), "\(stderr)")
    }

    @Test func aBareWordComparedWithANumberIsStillAnUnknownColumn() throws {
        let (_, stderr) = try Self.validate(
            report: Self.report("filter: year == abc", "schedule: '@daily'", "metrics:", "  - {name: n, calc: count}"))
        #expect(stderr.contains("new.yaml:3:17: error: filter: unknown column 'abc'\n"), "\(stderr)")
    }

    // MARK: Commands

    @Test func nextWithoutAConfigSaysOnlyWhyTheConfigIsMissing() throws {
        let missing = try temporaryFolder("no-config").appendingPathComponent("reportd.yaml").path
        let out = try runReportd(["next", "funding-by-program"], environment: ["REPORTD_CONFIG": missing])
        #expect(out.status == 2)
        #expect(out.stderr == "\(missing): error: cannot read the file: no such file\n", "\(out.stderr)")
    }

    @Test(arguments: [
        (["next", "funding-by-program", "--from", "soon"], "reportd next"),
        (["history", "--since", "lately"], "reportd history"),
    ])
    func aBadValueFoundByASubcommandShowsThatSubcommandsUsage(arguments: [String], command: String) throws {
        let config = packageRoot.appendingPathComponent("config/reportd.yaml").path
        let out = try runReportd(arguments + ["--config", config])
        #expect(out.status == 64)
        #expect(out.stderr.hasPrefix("Error: "), "\(out.stderr)")
        #expect(out.stderr.contains("\nUsage: \(command) [--config <config>]"), "\(out.stderr)")
        #expect(out.stderr.contains("See '\(command) --help' for more information."), "\(out.stderr)")
        #expect(!out.stderr.contains("<subcommand>"), "\(out.stderr)")
    }

    /// `status --help` and the README state the same overdue rule: the one `StatusReport.make` applies
    /// (`max(overdueGrace, timeout + 60)`, overdueGrace being 600 s).
    @Test func statusHelpAndTheREADMEAgreeOnWhenASlotIsOverdue() throws {
        let rule = "more than 10 minutes past, or the report's timeout plus a minute when that is longer, and not completed"
        let help = try runReportd(["status", "--help"])
        func flat(_ text: String) -> String {
            text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        }
        #expect(flat(help.stdout).contains(rule), "\(help.stdout)")
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(flat(readme).contains(rule))
    }
}

/// `reportd validate` and the JSON Schema of `reportd schema` agree, checked by an independent
/// validator (Python's jsonschema, as yaml-language-server would use the schema).
@Suite(.blocking) struct SchemaAgreementTests {
    /// Runs schema_check.py: every file of `good` must validate against the schema, none of `bad`.
    static func schemaCheck(schemaArguments: [String], good: [String], bad: [String]) throws -> (Bool, String) {
        let folder = try temporaryFolder("schema-agree")
        let out = try runReportd(["schema"] + schemaArguments)
        #expect(out.status == 0, "\(out.stderr)")
        let schemaFile = folder.appendingPathComponent("report.schema.json")
        try out.stdout.write(to: schemaFile, atomically: true, encoding: .utf8)
        func files(_ texts: [String], _ label: String) throws -> [String] {
            try texts.enumerated().map { i, text in
                let url = folder.appendingPathComponent("\(label)\(i).yaml")
                try text.write(to: url, atomically: true, encoding: .utf8)
                return url.path
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("schema_check.py").path
        process.arguments = ["python3", script, schemaFile.path] + (try files(good, "good")) + ["--"]
            + (try files(bad, "bad"))
        let result = try runCollecting(process, mergingErrors: true)
        return (result.status == 0, result.stdout)
    }

    static func sampleReport(_ name: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent("config/reports.d/\(name).yaml"), encoding: .utf8)
    }

    @Test func schemaWithoutAConfigAdmitsThePluginCalculatorOfTheSample() throws {
        let concentration = try Self.sampleReport("concentration-by-program")
        #expect(concentration.contains("calc: hhi"))
        let badName = concentration.replacingOccurrences(of: "calc: hhi", with: "calc: \"H H I\"")
        let (ok, output) = try Self.schemaCheck(schemaArguments: [], good: [concentration], bad: [badName])
        #expect(ok, "\(output)")
        // With the config, the schema knows every calculator there is: an unknown one is refused.
        let config = packageRoot.appendingPathComponent("config/reportd.yaml").path
        let unknown = concentration.replacingOccurrences(of: "calc: hhi", with: "calc: frobnicate")
        let (strict, strictOutput) = try Self.schemaCheck(
            schemaArguments: ["--config", config], good: [concentration], bad: [unknown])
        #expect(strict, "\(strictOutput)")
    }

    @Test(arguments: ["asc", "desc", "ascending", "descending"])
    func eachSortOrderValidateAcceptsTheSchemaAcceptsToo(order: String) throws {
        let text = try Self.sampleReport("support-by-district").replacingOccurrences(
            of: "order: desc}", with: "order: \(order)}")
        #expect(text.contains("order: \(order)}"))
        let (ok, output) = try Self.schemaCheck(schemaArguments: [], good: [text], bad: [])
        #expect(ok, "\(output)")
        let (status, stderr) = try ConfigMessageTests.validate(report: text.replacingOccurrences(
            of: "name: support-by-district", with: "name: new"))
        #expect(status == 0, "\(stderr)")
    }

    @Test func aSortOrderValidateRefusesTheSchemaRefusesToo() throws {
        let text = try Self.sampleReport("support-by-district")
            .replacingOccurrences(of: "order: desc}", with: "order: downwards}")
            .replacingOccurrences(of: "name: support-by-district", with: "name: new")
        let (ok, output) = try Self.schemaCheck(schemaArguments: [], good: [], bad: [text])
        #expect(ok, "\(output)")
        let (status, stderr) = try ConfigMessageTests.validate(report: text)
        #expect(status == 1)
        #expect(stderr.contains("error: 'order' must be asc or desc, not 'downwards'"), "\(stderr)")
    }
}
