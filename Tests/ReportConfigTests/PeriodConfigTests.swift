import Foundation
import ReportCore
import ReportWriters
import Testing
import TestSupport

@testable import ReportConfig

/// `period:`, `compare:` and `cumulative:` in report files: loaded, checked, located errors.
@Suite(.blocking) struct PeriodConfigTests {
    static let head = """
        name: monthly
        title: "Báo cáo {period}"
        dataset: projects
        schedule: "0 6 1 * *"
        group_by: [program]
        metrics:
          - {name: support, calc: sum, column: state_support_vnd}

        """

    func errors(_ tail: String) throws -> [(file: String, line: Int, column: Int, message: String)] {
        try ConfigFixture(reports: ["r.yaml": Self.head + tail]).errors()
    }

    func warnings(_ text: String) throws -> [String] {
        try ConfigFixture(reports: ["r.yaml": text]).load().diagnostics.filter { $0.severity == .warning }.map(
            \.message)
    }

    @Test func aFullPeriodLoads() throws {
        let configuration = try ConfigFixture(reports: [
            "r.yaml": Self.head + """
                period: {every: month, date_column: start_date, covers: previous, cutoff_day: 15}
                compare: [previous_period, same_period_last_year]
                cumulative: year_to_date
                sort: [{by: support_year_to_date, order: desc}]
                """
        ]).load()
        #expect(configuration.errors.isEmpty, "\(configuration.diagnostics)")
        let rule = try #require(configuration.reports.first?.definition.period)
        #expect(rule.every == .month && rule.dateColumn == "start_date" && rule.cutoffDay == 15)
        #expect(rule.compare == [.previousPeriod, .samePeriodLastYear])
        #expect(rule.cumulative == .yearToDate)
        #expect(
            configuration.reports.first?.definition.columnsRead(in: ConfigFixtureSchema.schema).contains("start_date")
                == true)
    }

    @Test(arguments: [
        (
            "period: {every: month, date_column: year}", 8, 37,
            "'period.date_column' must be a date column: 'year' is int"
        ),
        ("period: {every: month, date_column: start_dat}", 8, 37, "did you mean 'start_date'?"),
        ("period: {every: mnth, date_column: start_date}", 8, 17, "did you mean 'month'?"),
        (
            "period: {evry: month, date_column: start_date}", 8, 10,
            "unknown key 'evry' in 'period' (did you mean 'every'?)"
        ),
        (
            "period: {every: week, date_column: start_date, cutoff_day: 1}", 8, 48,
            "'period.cutoff_day' applies to month"
        ),
        ("period: {every: day, date_column: start_date, cutoff_day: 15}", 8, 47, "not to every: day"),
        ("period: {every: month, date_column: start_date, cutoff_day: 29}", 8, 61, "between 1 and 28"),
        ("period: {every: month, date_column: start_date, covers: curent}", 8, 57, "did you mean 'current'?"),
        (
            "period: {every: month, date_column: start_date}\ncompare: [same_period_lastyear]", 9, 11,
            "did you mean 'same_period_last_year'?"
        ),
        (
            "period: {every: month, date_column: start_date}\ncumulative: ytd", 9, 13,
            "'cumulative' must be one of year_to_date"
        ),
        ("compare: [previous_period]", 8, 1, "'compare' needs 'period:'"),
        ("period: {every: month}", 8, 9, "'period' needs 'date_column'"),
        ("period: {every: month, date_column: start_date}\nsort: [{by: support_year_to_dat}]", 9, 13, "did you mean"),
    ])
    func mistakesAreLocated(tail: String, line: Int, column: Int, message: String) throws {
        let found = try errors(tail)
        // A misspelt `every` is also a missing one: two errors, the misspelling first.
        #expect(found.count == (tail.contains("evry") ? 2 : 1), "\(found)")
        let e = try #require(found.first)
        #expect(e.file == "r.yaml")
        #expect(e.line == line && e.column == column, "\(e)")
        #expect(e.message.contains(message), "\(e.message)")
    }

    @Test func warnsAboutASlotOnThePeriodsLastDayAndAScheduleMoreOftenThanThePeriod() throws {
        let lastDay = try warnings(
            Self.head.replacingOccurrences(of: "\"0 6 1 * *\"", with: "\"0 18 L * *\"")
                + "period: {every: month, date_column: start_date}\n")
        #expect(lastDay.contains { $0.contains("last day of its month") }, "\(lastDay)")
        let daily = try warnings(
            Self.head.replacingOccurrences(of: "\"0 6 1 * *\"", with: "\"0 6 * * *\"")
                + "period: {every: month, date_column: start_date}\n")
        #expect(daily.contains { $0.contains("more than once per month") }, "\(daily)")
        #expect(try warnings(Self.head + "period: {every: month, date_column: start_date}\n").isEmpty)
        #expect(
            try warnings(
                Self.head.replacingOccurrences(of: "\"0 6 1 * *\"", with: "\"0 18 L * *\"")
                    + "period: {every: month, date_column: start_date, covers: current}\n"
            ).isEmpty)
    }

    @Test func theJSONSchemaDescribesPeriods() throws {
        let schema = ReportJSONSchema.make(calculators: CalculatorRegistry([]), formats: BuiltinWriters.registry.formats)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(schema.utf8)) as? [String: Any])
        let properties = try #require(object["properties"] as? [String: Any])
        let period = try #require(properties["period"] as? [String: Any])
        #expect(period["required"] as? [String] == ["every", "date_column"])
        #expect(properties["compare"] != nil && properties["cumulative"] != nil)
    }
}

/// The fixture's schema, for `columnsRead`.
enum ConfigFixtureSchema {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "program", type: .string), ColumnSpec(name: "state_support_vnd", type: .int),
        ColumnSpec(name: "start_date", type: .date),
    ])
}
