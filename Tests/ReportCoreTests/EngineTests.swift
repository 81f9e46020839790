import Testing
import TestSupport

@testable import ReportCore

/// Sums an int column exactly (nulls skipped; null when every cell is null).
private struct TestSum: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "test_sum", summary: "sum of an int column",
            parameters: [ParameterSpec(name: "column", kind: .column([.int]), summary: "the column")], provider: "tests"
        )
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return try input.mapGroups { rows throws(CalculatorError) in try Statistics.exactSum(column, rows: rows) }
    }
}

/// Counts the rows of each group.
private struct TestCount: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(name: "test_count", summary: "rows", parameters: [], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        input.groups.map { .int(Int64($0.count)) }
    }
}

/// Always gives one result, whatever the number of groups.
private struct TestOneResult: Calculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(name: "test_one", summary: "broken", parameters: [], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] { [.int(1)] }
}

private let engine = ReportEngine(calculators: CalculatorRegistry([TestSum(), TestCount(), TestOneResult()]))

private let schema = DatasetSchema(columns: [
    ColumnSpec(name: "district", type: .string),
    ColumnSpec(name: "year", type: .int),
    ColumnSpec(name: "amount", type: .int),
    ColumnSpec(name: "status", type: .string),
])

private func makeTable(_ schema: DatasetSchema, _ rows: [[Value]]) -> Table {
    var builders = schema.columns.map { ColumnBuilder(spec: $0) }
    for row in rows {
        for (c, value) in row.enumerated() { builders[c].append(value) }
    }
    return Table(schema: schema, columns: builders.map { $0.build() })
}

/// | row | district | year | amount | status |
/// | 0   | A        | 2021 | 10     | done   |
/// | 1   | B        | 2021 | 20     | done   |
/// | 2   | A        | 2022 | 30     | draft  |
/// | 3   | –        | 2022 | 40     | done   |
/// | 4   | B        | 2022 | –      | done   |
/// | 5   | A        | 2021 | 5      | done   |
/// | 6   | C        | –    | 7      | done   |
private let table = makeTable(
    schema,
    [
        [.string("A"), .int(2021), .int(10), .string("done")],
        [.string("B"), .int(2021), .int(20), .string("done")],
        [.string("A"), .int(2022), .int(30), .string("draft")],
        [.null, .int(2022), .int(40), .string("done")],
        [.string("B"), .int(2022), .null, .string("done")],
        [.string("A"), .int(2021), .int(5), .string("done")],
        [.string("C"), .null, .int(7), .string("done")],
    ])

private func report(
    groupBy: [String] = [], filter: String? = nil, sort: [SortKey] = [], limit: Int? = nil, totals: Bool = false,
    metrics: [MetricDefinition] = [
        MetricDefinition(name: "total", calc: "test_sum", parameters: MetricParameters(["column": .string("amount")])),
        MetricDefinition(name: "rows", calc: "test_count", parameters: MetricParameters()),
    ]
) throws -> ReportDefinition {
    var r = ReportDefinition(
        name: "engine-test", title: "Engine test", dataset: "projects", schedule: .every(seconds: 60),
        timezone: "Asia/Ho_Chi_Minh", metrics: metrics)
    r.groupBy = groupBy
    if let filter { r.filter = try CompiledFilter.compile(filter, schema: schema).get() }
    r.sort = sort
    r.limit = limit
    r.totals = totals
    return r
}

private func approximately(_ a: Double?, _ b: Double, tolerance: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance * max(1, abs(b))
}

@Suite struct EngineTests {
    // MARK: Grouping

    @Test func groupsOnOneColumnWithNullKeyLastByDefault() throws {
        let result = try engine.execute(try report(groupBy: ["district"]), on: table)
        #expect(result.columns.map(\.name) == ["district", "total", "rows"])
        #expect(result.columns.map(\.role) == [.group, .metric, .metric])
        #expect(result.columns.map(\.calc) == [nil, "test_sum", "test_count"])
        #expect(result.columns.map(\.type) == [.string, .int, .int])
        #expect(
            result.rows == [
                [.string("A"), .int(45), .int(3)],
                [.string("B"), .int(20), .int(2)],
                [.string("C"), .int(7), .int(1)],
                [.null, .int(40), .int(1)],
            ])
        #expect(result.totals == nil)
        #expect(result.rowsUsed == 7)
    }

    @Test func groupsOnTwoColumnsSortedByEachKeyInTurn() throws {
        let result = try engine.execute(try report(groupBy: ["district", "year"]), on: table)
        #expect(
            result.rows == [
                [.string("A"), .int(2021), .int(15), .int(2)],
                [.string("A"), .int(2022), .int(30), .int(1)],
                [.string("B"), .int(2021), .int(20), .int(1)],
                [.string("B"), .int(2022), .null, .int(1)],
                [.string("C"), .null, .int(7), .int(1)],
                [.null, .int(2022), .int(40), .int(1)],
            ])
    }

    @Test func noGroupByGivesOneRowForTheWholeDataset() throws {
        let result = try engine.execute(try report(), on: table)
        #expect(result.columns.map(\.name) == ["total", "rows"])
        #expect(result.rows == [[.int(112), .int(7)]])
    }

    @Test func groupsByBoolAndDateColumnsWithNulls() throws {
        let s = DatasetSchema(columns: [
            ColumnSpec(name: "flag", type: .bool), ColumnSpec(name: "on", type: .date),
            ColumnSpec(name: "n", type: .int),
        ])
        let d1 = Value.date(Day(iso: "2024-01-01")!)
        let d2 = Value.date(Day(iso: "1969-12-31")!)
        let t = makeTable(
            s,
            [
                [.bool(true), d1, .int(1)], [.null, d2, .int(2)], [.bool(false), .null, .int(3)],
                [.bool(true), d1, .int(4)], [.null, d2, .int(5)], [.bool(false), d1, .int(6)],
            ])
        var r = ReportDefinition(
            name: "b", title: "b", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "sum", calc: "test_sum", parameters: MetricParameters(["column": .string("n")]))
            ])
        r.groupBy = ["flag", "on"]
        let result = try engine.execute(r, on: t)
        #expect(
            result.rows == [
                [.bool(false), d1, .int(6)],
                [.bool(false), .null, .int(3)],
                [.bool(true), d1, .int(5)],
                [.null, d2, .int(7)],
            ])
    }

    @Test func nullKeyAndInt64MinAreDifferentGroups() throws {
        let s = DatasetSchema(columns: [ColumnSpec(name: "k", type: .int), ColumnSpec(name: "n", type: .int)])
        let t = makeTable(s, [[.null, .int(1)], [.int(Int64.min), .int(2)], [.null, .int(4)], [.int(0), .int(8)]])
        var r = ReportDefinition(
            name: "k", title: "k", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "sum", calc: "test_sum", parameters: MetricParameters(["column": .string("n")]))
            ])
        r.groupBy = ["k"]
        let result = try engine.execute(r, on: t)
        #expect(result.rows == [[.int(Int64.min), .int(2)], [.int(0), .int(8)], [.null, .int(5)]])
    }

    @Test func negativeZeroAndZeroAreOneDecimalGroup() throws {
        let s = DatasetSchema(columns: [ColumnSpec(name: "k", type: .decimal), ColumnSpec(name: "n", type: .int)])
        let t = makeTable(s, [[.decimal(0), .int(1)], [.decimal(-0.0), .int(2)], [.null, .int(4)]])
        var r = ReportDefinition(
            name: "k", title: "k", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "sum", calc: "test_sum", parameters: MetricParameters(["column": .string("n")]))
            ])
        r.groupBy = ["k"]
        let result = try engine.execute(r, on: t)
        #expect(result.rows.map { $0[1] } == [.int(3), .int(4)])
    }

    // MARK: Filter, sort, limit, totals

    @Test func filterIsAppliedBeforeGrouping() throws {
        let result = try engine.execute(try report(groupBy: ["district"], filter: "status == 'done'"), on: table)
        #expect(
            result.rows == [
                [.string("A"), .int(15), .int(2)],
                [.string("B"), .int(20), .int(2)],
                [.string("C"), .int(7), .int(1)],
                [.null, .int(40), .int(1)],
            ])
        #expect(result.rowsUsed == 6)
    }

    @Test func explicitDescendingSortKeepsNullsLast() throws {
        let desc = try engine.execute(
            try report(groupBy: ["district", "year"], sort: [SortKey(column: "total", descending: true)]), on: table)
        #expect(desc.rows.map { $0[2] } == [.int(40), .int(30), .int(20), .int(15), .int(7), .null])
        let asc = try engine.execute(
            try report(groupBy: ["district", "year"], sort: [SortKey(column: "total", descending: false)]), on: table)
        #expect(asc.rows.map { $0[2] } == [.int(7), .int(15), .int(20), .int(30), .int(40), .null])
    }

    @Test func descendingGroupKeySortStillPutsNullKeysLast() throws {
        let result = try engine.execute(
            try report(groupBy: ["district"], sort: [SortKey(column: "district", descending: true)]), on: table)
        #expect(result.rows.map { $0[0] } == [.string("C"), .string("B"), .string("A"), .null])
    }

    @Test func sortIsStableAndTiesKeepFirstAppearanceOrder() throws {
        // Counts: A 3, B 2, null 1 (first seen at row 3), C 1 (row 6).
        let result = try engine.execute(
            try report(groupBy: ["district"], sort: [SortKey(column: "rows", descending: true)]), on: table)
        #expect(result.rows.map { $0[0] } == [.string("A"), .string("B"), .null, .string("C")])
    }

    @Test func secondSortKeyBreaksTies() throws {
        let result = try engine.execute(
            try report(
                groupBy: ["district", "year"],
                sort: [SortKey(column: "rows", descending: false), SortKey(column: "total", descending: true)]),
            on: table)
        #expect(result.rows.map { $0[2] } == [.int(40), .int(30), .int(20), .int(7), .null, .int(15)])
    }

    @Test func limitKeepsTheFirstRowsAfterSorting() throws {
        let result = try engine.execute(
            try report(
                groupBy: ["district"], filter: "status == 'done'", sort: [SortKey(column: "total", descending: true)],
                limit: 2, totals: true),
            on: table)
        #expect(result.rows == [[.null, .int(40), .int(1)], [.string("B"), .int(20), .int(2)]])
        // Totals cover every filtered row, not only the rows the limit kept.
        #expect(result.totals == [.int(82), .int(6)])
    }

    @Test func limitLargerThanTheGroupsKeepsThemAll() throws {
        let result = try engine.execute(try report(groupBy: ["district"], limit: 100), on: table)
        #expect(result.rows.count == 4)
        let zero = try engine.execute(try report(groupBy: ["district"], limit: 0), on: table)
        #expect(zero.rows.isEmpty)
    }

    @Test func totalsAreComputedOverAllFilteredRowsNotSummedFromGroups() throws {
        let result = try engine.execute(try report(groupBy: ["district", "year"], totals: true), on: table)
        #expect(result.totals == [.int(112), .int(7)])
    }

    @Test func filterThatMatchesNothingGivesNoRowsAndEmptyTotals() throws {
        let result = try engine.execute(
            try report(groupBy: ["district"], filter: "year > 3000", totals: true), on: table)
        #expect(result.rows.isEmpty)
        #expect(result.totals == [.null, .int(0)])
        #expect(result.rowsUsed == 0)
    }

    // MARK: Calculator failures

    @Test func overflowingSumFailsTheRun() throws {
        let t = makeTable(
            schema,
            [
                [.string("A"), .int(1), .int(Int64.max), .string("done")],
                [.string("A"), .int(1), .int(1), .string("done")],
            ])
        let error = #expect(throws: RunError.self) { try engine.execute(try report(groupBy: ["district"]), on: t) }
        #expect(error?.report == "engine-test")
        #expect(error?.message.contains("metric 'total' (test_sum)") == true)
        #expect(error?.message.contains("overflows 64-bit integers") == true)
    }

    @Test func unknownCalculatorFailsTheRun() throws {
        let r = try report(metrics: [MetricDefinition(name: "m", calc: "nope", parameters: MetricParameters())])
        let error = #expect(throws: RunError.self) { try engine.execute(r, on: table) }
        #expect(error?.message == "metric 'm': unknown calculator 'nope'")
    }

    @Test func calculatorGivingTheWrongNumberOfResultsFailsTheRun() throws {
        let r = try report(
            groupBy: ["district"],
            metrics: [MetricDefinition(name: "m", calc: "test_one", parameters: MetricParameters())])
        let error = #expect(throws: RunError.self) { try engine.execute(r, on: table) }
        #expect(error?.message.contains("gave 1 results for 4 groups") == true)
    }

    @Test func metricWithAParameterOfTheWrongTypeFailsTheRun() throws {
        let r = try report(metrics: [
            MetricDefinition(name: "m", calc: "test_sum", parameters: MetricParameters(["column": .string("district")]))
        ])
        let error = #expect(throws: RunError.self) { try engine.execute(r, on: table) }
        #expect(error?.message.contains("'district' is string") == true)
    }

    // MARK: Statistics

    @Test(arguments: [
        ([1.0, 2, 3, 4], 50.0, 2.5),
        ([1.0, 2, 3, 4], 90.0, 3.7),
        ([1.0, 2, 3, 4], 0.0, 1.0),
        ([1.0, 2, 3, 4], 100.0, 4.0),
        ([1.0, 2, 3, 4], 25.0, 1.75),
        ([4.0, 1, 3, 2], 25.0, 1.75),
        ([7.0], 0.0, 7.0),
        ([7.0], 37.0, 7.0),
        ([7.0], 100.0, 7.0),
        ([1.0, 1, 1, 2], 50.0, 1.0),
        ([1.0, 1, 1, 2], 75.0, 1.25),
        ([5.0, 5, 5, 5, 5], 90.0, 5.0),
        ([15.0, 20, 35, 40, 50], 40.0, 29.0),
        ([15.0, 20, 35, 40, 50], 95.0, 48.0),
        ([-1.5, 0, 10], 50.0, 0.0),
        ([3.0, 1], 50.0, 2.0),
        ([10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100], 33.0, 39.7),
    ])
    func percentileMatchesNumpyLinear(values: [Double], p: Double, expected: Double) {
        #expect(approximately(Statistics.percentile(values, p: p), expected))
    }

    @Test func percentileOfNothingIsNil() {
        #expect(Statistics.percentile([], p: 50) == nil)
    }

    @Test func percentileAgreesWithASortBasedReference() {
        var rng = SeededGenerator(seed: 20_261_129)
        for trial in 0..<300 {
            let n = Int.random(in: 1...60, using: &rng)
            // Few distinct values so that duplicates are common.
            let values = (0..<n).map { _ in Double(Int.random(in: -5...5, using: &rng)) * 1.5 }
            let p =
                trial % 3 == 0 ? Double(Int.random(in: 0...100, using: &rng)) : Double.random(in: 0...100, using: &rng)
            let sorted = values.sorted()
            let position = p / 100 * Double(n - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, n - 1)
            let expected = sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
            #expect(approximately(Statistics.percentile(values, p: p), expected), "values \(values), p \(p)")
        }
    }

    @Test func exactSumOfIntsIsExactBeyondDoublePrecision() throws {
        let s = ColumnSpec(name: "n", type: .int)
        var b = ColumnBuilder(spec: s)
        for v: Int64 in [9_007_199_254_740_993, 1, -2] { b.append(.int(v)) }
        b.appendNull()
        let column = b.build()
        #expect(try Statistics.exactSum(column, rows: [0, 1, 2, 3]) == .int(9_007_199_254_740_992))
        #expect(try Statistics.exactSum(column, rows: [3]) == .null)
        #expect(try Statistics.exactSum(column, rows: []) == .null)
    }

    @Test(arguments: [[Int64.max, 1], [Int64.min, -1], [Int64.max / 2 + 1, Int64.max / 2 + 1]])
    func exactSumThrowsOnOverflow(values: [Int64]) {
        var b = ColumnBuilder(spec: ColumnSpec(name: "amount_vnd", type: .int))
        for v in values { b.append(.int(v)) }
        let column = b.build()
        let error = #expect(throws: CalculatorError.self) {
            try Statistics.exactSum(column, rows: Array(values.indices), metric: "sum")
        }
        #expect(error?.message.contains("column 'amount_vnd' overflows") == true)
        #expect(error?.parameter == "column")
    }

    @Test func exactSumChecksOnlyTheFinalTotalNotIntermediateSums() throws {
        var b = ColumnBuilder(spec: ColumnSpec(name: "n", type: .int))
        for v: Int64 in [Int64.max, 1, -1, Int64.min, Int64.min, 2] { b.append(.int(v)) }
        let column = b.build()
        #expect(try Statistics.exactSum(column, rows: [0, 1, 2]) == .int(Int64.max))
        #expect(try Statistics.exactSum(column, rows: [3, 1, 2]) == .int(Int64.min))
        #expect(throws: CalculatorError.self) { try Statistics.exactSum(column, rows: [3, 4, 5]) }
    }

    @Test func exactSumOfDecimalColumnSkipsNulls() throws {
        var b = ColumnBuilder(spec: ColumnSpec(name: "d", type: .decimal))
        b.append(.decimal(0.5))
        b.appendNull()
        b.append(.decimal(2.25))
        #expect(try Statistics.exactSum(b.build(), rows: [0, 1, 2]) == .decimal(2.75))
        #expect(try Statistics.exactSum(b.build(), rows: [1]) == .null)
    }

    @Test func sampleStandardDeviationUsesNMinusOne() {
        #expect(approximately(Statistics.sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]), 2.138_089_935_299_395))
        #expect(approximately(Statistics.sampleStandardDeviation([1, 2]), 0.707_106_781_186_547_6))
        #expect(Statistics.sampleStandardDeviation([3, 3, 3]) == 0)
        #expect(Statistics.sampleStandardDeviation([42]) == nil)
        #expect(Statistics.sampleStandardDeviation([]) == nil)
    }

    // MARK: Days

    @Test(arguments: [
        "2024-02-29", "2000-02-29", "1970-01-01", "1969-12-31", "2023-12-31", "0001-01-01", "9999-12-31", "2026-11-29",
    ])
    func validDaysRoundTripThroughDescription(iso: String) throws {
        let day = try #require(Day(iso: iso))
        #expect(day.description == iso)
        #expect(Day(daysSinceEpoch: day.daysSinceEpoch) == day)
    }

    @Test(arguments: [
        "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32",
        "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01T00:00", " 2024-01-01", "2024-0a-01", "", "yyyy-mm-dd",
    ])
    func invalidDaysAreRejected(iso: String) {
        #expect(Day(iso: iso) == nil)
    }

    @Test func daysCountFromTheUnixEpoch() {
        #expect(Day(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(Day(iso: "1969-12-31")?.daysSinceEpoch == -1)
        #expect(Day(iso: "2000-03-01")?.daysSinceEpoch == 11_017)
        #expect(Day(year: 2024, month: 2, day: 30) == nil)
        #expect(Day(iso: "2024-02-28")! < Day(iso: "2024-02-29")!)
    }

    @Test func consecutiveDaysAcrossFourCenturiesHaveConsecutiveDescriptions() throws {
        var day = try #require(Day(iso: "1900-01-01"))
        var (y, m, d) = (1900, 1, 1)
        while y < 2300 {
            let c = day.components
            guard c.year == y, c.month == m, c.day == d else {
                Issue.record("day \(day.daysSinceEpoch) is \(c), expected \((y, m, d))")
                return
            }
            day = Day(daysSinceEpoch: day.daysSinceEpoch + 1)
            d += 1
            if d > Day.daysInMonth(year: y, month: m) {
                d = 1
                m += 1
                if m > 12 { m = 1; y += 1 }
            }
        }
    }

    // MARK: Values

    @Test(arguments: [
        (4_700_000_000.0, "4700000000"), (0.25, "0.25"), (-3.5, "-3.5"), (0.0, "0"), (-0.0, "0"),
        (1e15, "1000000000000000"), (1e16, "10000000000000000"), (-1e16, "-10000000000000000"),
        (123_456.789, "123456.789"), (0.1, "0.1"), (0.001, "0.001"),
    ])
    func plainDecimalNeverUsesAnExponent(value: Double, text: String) {
        let written = Value.plainDecimal(value)
        #expect(written == text)
        #expect(!written.contains("e"))
    }

    @Test(arguments: [
        ("a", true), ("funding-by-program", true), ("r2_daily", true), ("0abc", true), ("x-", true),
        (String(repeating: "a", count: 128), true),
        ("../x", false), ("A", false), ("-x", false), ("_x", false), ("x/y", false), ("", false), ("Daily", false),
        ("a b", false), ("a.b", false), ("bá-cáo", false), (String(repeating: "a", count: 129), false), (".", false),
    ])
    func reportNamesAreLowercaseSlugs(name: String, valid: Bool) {
        #expect(ReportDefinition.isValidName(name) == valid)
    }
}
