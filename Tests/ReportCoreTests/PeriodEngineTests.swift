import Foundation
import Testing

@testable import ReportCore

/// `sum` of an int column, as the built-in one: nulls skipped, null when every cell is null.
private struct SumCalculator: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "sum", summary: "sum",
            parameters: [ParameterSpec(name: "column", kind: .column([.int]), summary: "c")],
            provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return try input.mapGroups { rows throws(CalculatorError) in try Statistics.exactSum(column, rows: rows) }
    }
}

/// `count`: rows of each group.
private struct CountCalculator: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(name: "count", summary: "rows", parameters: [], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        input.groups.map { .int(Int64($0.count)) }
    }
}

/// `latest`: the largest date of a group (a min/max of dates: no percent column).
private struct LatestCalculator: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "latest", summary: "max date",
            parameters: [ParameterSpec(name: "column", kind: .column([.date]), summary: "c")], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .date }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return input.groups.map { rows in rows.map { column.value(at: $0) }.filter { !$0.isNull }.max() ?? .null }
    }
}

private let engine = ReportEngine(
    calculators: CalculatorRegistry([SumCalculator(), CountCalculator(), LatestCalculator()]))

private let schema = DatasetSchema(columns: [
    ColumnSpec(name: "district", type: .string),
    ColumnSpec(name: "d", type: .date),
    ColumnSpec(name: "amount", type: .int),
])

private func table(_ rows: [(String, String?, Int64?)]) -> Table {
    var builders = schema.columns.map { ColumnBuilder(spec: $0) }
    for (district, d, amount) in rows {
        builders[0].append(.string(district))
        builders[1].append(d.map { .date(Day(iso: $0)!) } ?? .null)
        builders[2].append(amount.map { .int($0) } ?? .null)
    }
    return Table(schema: schema, columns: builders.map { $0.build() })
}

private let data = table([
    ("A", "2026-11-05", 10), ("B", "2026-11-20", 20), ("B", "2026-11-25", nil), ("D", "2026-11-03", nil),
    ("A", "2025-11-10", 5), ("C", "2025-11-11", 7), ("A", "2026-03-01", 100), ("A", nil, 1),
])

private func report(
    groupBy: [String] = ["district"], compare: [PeriodRule.Comparison] = [.samePeriodLastYear, .previousPeriod],
    ytd: Bool = true, covers: PeriodRule.Covers = .previous
) -> ReportDefinition {
    var r = ReportDefinition(
        name: "r", title: "t", dataset: "x", schedule: .every(seconds: 86400), timezone: "UTC",
        metrics: [
            MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:])),
            MetricDefinition(name: "total", calc: "sum", parameters: MetricParameters(["column": .string("amount")])),
        ])
    r.groupBy = groupBy
    var rule = PeriodRule(every: .month, dateColumn: "d")
    rule.compare = compare
    rule.cumulative = ytd ? .yearToDate : nil
    rule.covers = covers
    r.period = rule
    return r
}

private func run(_ r: ReportDefinition, _ day: String, on t: Table = data) throws -> ReportResult {
    try engine.execute(r, on: t, period: r.period!.runPeriod(slotDay: Day(iso: day)!))
}

@Suite struct PeriodEngineTests {
    @Test func rangesAreJoinedByGroupWithZeroOrNullForAMissingSide() throws {
        let result = try run(report(), "2026-12-01")
        #expect(
            result.columns.map(\.name) == [
                "district", "n", "n_same_period_last_year", "n_vs_same_period_last_year_pct", "n_previous_period",
                "n_vs_previous_period_pct", "n_year_to_date", "total", "total_same_period_last_year",
                "total_vs_same_period_last_year_pct", "total_previous_period", "total_vs_previous_period_pct",
                "total_year_to_date",
            ])
        let rows = result.rows
        #expect(rows.count == 4)
        // A: in every range but the previous month.
        #expect(
            rows[0] == [
                .string("A"), .int(1), .int(1), .decimal(0), .int(0), .null, .int(2), .int(10), .int(5), .decimal(100),
                .int(0), .null, .int(110),
            ])
        // B: the null amount is skipped; no rows last year: 0 there, no percent.
        #expect(
            rows[1] == [
                .string("B"), .int(2), .int(0), .null, .int(0), .null, .int(2), .int(20), .int(0), .null, .int(0),
                .null, .int(20),
            ])
        // C: rows only in the same month last year.
        #expect(
            rows[2] == [
                .string("C"), .int(0), .int(1), .decimal(-100), .int(0), .null, .int(0), .int(0), .int(7),
                .decimal(-100), .int(0), .null, .int(0),
            ])
        // D: its one row has a null amount: a null sum, as in SQL.
        #expect(rows[3][7] == .null)
        #expect(rows[3][9] == .null)
        #expect(result.rowsUsed == 4)
        #expect(result.rowsOutsidePeriod == 1)
        #expect(result.period?.period.name == "2026-11")
    }

    @Test func aPeriodWithoutRowsAndNoGroupByGivesOneRowOfZeros() throws {
        let result = try run(report(groupBy: [], compare: [.samePeriodLastYear], ytd: false), "2026-02-01")
        #expect(result.rows == [[.int(0), .int(0), .null, .int(0), .int(0), .null]])
        #expect(result.rowsUsed == 0)
        let grouped = try run(report(compare: [], ytd: false), "2026-02-01")
        #expect(grouped.rows.isEmpty)
    }

    @Test func totalsSortAndLimitApplyAfterTheJoin() throws {
        var r = report(compare: [.samePeriodLastYear], ytd: false)
        r.totals = true
        r.sort = [SortKey(column: "total_same_period_last_year", descending: true)]
        r.limit = 1
        let result = try run(r, "2026-12-01")
        #expect(result.rows.map { $0[0] } == [.string("C")])
        // n, n_sply, pct, total, total_sply, pct over every group.
        #expect(result.totals == [.int(4), .int(2), .decimal(100), .int(30), .int(12), .decimal(150)])
    }

    @Test func thePeriodNarrowsTheRowsBeforeTheFilter() throws {
        var r = report(compare: [], ytd: false)
        r.filter = try CompiledFilter.compile("amount > 5", schema: schema).get()
        let result = try run(r, "2026-12-01")
        #expect(result.rows.map { [$0[0], $0[1]] } == [[.string("A"), .int(1)], [.string("B"), .int(1)]])
    }

    @Test func coversCurrentEndsOnTheSlotsDate() throws {
        let result = try run(report(compare: [.samePeriodLastYear], ytd: false, covers: .current), "2026-11-10")
        // 1–10 November 2026 against 1–10 November 2025.
        #expect(
            result.rows.map { Array($0.prefix(3)) } == [
                [.string("A"), .int(1), .int(1)], [.string("D"), .int(1), .int(0)],
            ])
    }

    @Test func noPercentForDates() throws {
        var r = report(compare: [.previousPeriod], ytd: false)
        r.metrics = [
            MetricDefinition(name: "last", calc: "latest", parameters: MetricParameters(["column": .string("d")]))
        ]
        let result = try run(r, "2026-12-01")
        #expect(result.columns.map(\.name) == ["district", "last", "last_previous_period"])
        #expect(result.rows.first == [.string("A"), .date(Day(iso: "2026-11-05")!), .null])
    }
}
