import Dispatch
import Foundation
import Testing

@testable import ReportCore

/// Counts the calls made to a test calculator (from every thread).
final class SharedWorkCalls: Sendable {
    let count = Locked(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// An exact int sum in one pass, whose results depend on its input alone.
private struct PureSum: OnePassCalculator, PureCalculator {
    let calls: SharedWorkCalls
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "pure_sum", summary: "sum",
            parameters: [ParameterSpec(name: "column", kind: .column([.int]), summary: "the column")], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return try input.mapGroups { rows throws(CalculatorError) in try Statistics.exactSum(column, rows: rows) }
    }
    func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        calls.add()
        return try Statistics.exactSums(try input.column("column"), grouped)
    }
}

/// The largest value of each group from the row lists (no one-pass form), pure.
private struct PureMax: PureCalculator {
    let calls: SharedWorkCalls
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "pure_max", summary: "max",
            parameters: [ParameterSpec(name: "column", kind: .column([.int]), summary: "the column")], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        calls.add()
        let column = try input.column("column")
        return input.groups.map { rows in
            rows.compactMap { column.isNull($0) ? nil : column.value(at: $0) }.max() ?? .null
        }
    }
}

/// Like a plugin: not pure, so computed for every report that asks.
private struct NotPureCount: Calculator {
    let calls: SharedWorkCalls
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(name: "plugin_count", summary: "rows", parameters: [], provider: "a plugin")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        calls.add()
        return input.groups.map { .int(Int64($0.count)) }
    }
}

/// Fails with the sum in its message, to show that a failure is shared as a result is.
private struct FailsOnOdd: OnePassCalculator, PureCalculator {
    var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: "fails_on_odd", summary: "sum or error",
            parameters: [ParameterSpec(name: "column", kind: .column([.int]), summary: "the column")], provider: "tests")
    }
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] { [] }
    func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        let sums = try Statistics.exactSums(try input.column("column"), grouped) ?? []
        if case .int(let total)? = sums.first { throw CalculatorError("refused: \(total)") }
        return sums
    }
}

private let schema = DatasetSchema(columns: [
    ColumnSpec(name: "district", type: .string),
    ColumnSpec(name: "year", type: .int),
    ColumnSpec(name: "amount", type: .int),
    ColumnSpec(name: "d", type: .date),
])

/// `rows` random rows with nulls in every column.
private func randomTable(rows: Int, seed: UInt64) -> Table {
    var rng = SplitMix(seed: seed)
    var builders = schema.columns.map { ColumnBuilder(spec: $0) }
    let districts = ["Mường Tè", "Sìn Hồ", "Tam Đường", "Than Uyên", "Tân Uyên"]
    let first = Day(iso: "2023-06-01")!
    for _ in 0..<rows {
        builders[0].append(rng.next(10) == 0 ? .null : .string(districts[rng.next(districts.count)]))
        builders[1].append(rng.next(12) == 0 ? .null : .int(Int64(2019 + rng.next(7))))
        builders[2].append(rng.next(9) == 0 ? .null : .int(Int64(rng.next(2_000_000)) - 500_000))
        let day = Day(daysSinceEpoch: first.daysSinceEpoch + Int32(rng.next(800)))
        builders[3].append(rng.next(15) == 0 ? .null : .date(day))
    }
    return Table(schema: schema, columns: builders.map { $0.build() })
}

private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}

private func metric(_ name: String, _ calc: String, _ column: String? = nil) -> MetricDefinition {
    MetricDefinition(
        name: name, calc: calc, parameters: MetricParameters(column.map { ["column": .string($0)] } ?? [:]))
}

private func report(
    _ name: String, filter: String? = nil, groupBy: [String], metrics: [MetricDefinition], totals: Bool = false,
    period: Bool = false
) throws -> ReportDefinition {
    var r = ReportDefinition(
        name: name, title: name, dataset: "x", schedule: .every(seconds: 60), timezone: "UTC", metrics: metrics)
    r.groupBy = groupBy
    if let filter { r.filter = try CompiledFilter.compile(filter, schema: schema).get() }
    r.totals = totals
    if period {
        var rule = PeriodRule(every: .month, dateColumn: "d")
        rule.compare = [.previousPeriod, .samePeriodLastYear]
        rule.cumulative = .yearToDate
        r.period = rule
    }
    return r
}

/// Every report of `reports` computed side by side with shared work, as `ReportRunner.run` does.
private func runShared(
    _ engine: ReportEngine, _ reports: [ReportDefinition], on table: Table, plannedOn: Table? = nil, slot: Date
) -> (results: [String], sharing: SharedWork) {
    let zone = TimeZone(identifier: "UTC")!
    let sharing = SharedWork(
        table: plannedOn ?? table,
        plans: reports.map { engine.sharedWork(for: $0, on: plannedOn ?? table, slot: slot, in: zone) })
    let results = Locked([String](repeating: "", count: reports.count))
    DispatchQueue.concurrentPerform(iterations: reports.count) { i in
        let text = describe { () throws(RunError) in
            try engine.execute(reports[i], on: table, slot: slot, in: zone, sharing: sharing)
        }
        results.withLock { $0[i] = text }
    }
    return (results.withLock { $0 }, sharing)
}

/// A result or error, every field of it, as text.
private func describe(_ body: () throws(RunError) -> ReportResult) -> String {
    do throws(RunError) { return String(reflecting: try body()) } catch { return "error: \(error)" }
}

private func alone(_ engine: ReportEngine, _ report: ReportDefinition, on table: Table, slot: Date) -> String {
    describe { () throws(RunError) in
        try engine.execute(report, on: table, slot: slot, in: TimeZone(identifier: "UTC")!)
    }
}

@Suite struct SharedWorkTests {
    let pureSums = SharedWorkCalls()
    let pureMaxes = SharedWorkCalls()
    let plugin = SharedWorkCalls()
    var engine: ReportEngine {
        ReportEngine(
            calculators: CalculatorRegistry([
                PureSum(calls: pureSums), PureMax(calls: pureMaxes), NotPureCount(calls: plugin), FailsOnOdd(),
            ]))
    }
    let slot = Date(timeIntervalSince1970: 1_740_000_000)  // 2025-02-19

    /// Reports with shared and unshared parts: the same filter with other groups, the same groups
    /// with other metrics, identical metrics in other reports, totals or not, periods, failures.
    func reports() throws -> [ReportDefinition] {
        var reports: [ReportDefinition] = []
        let filters: [String?] = [nil, "year >= 2021", "district == 'Sìn Hồ' or amount < 0"]
        let groupings: [[String]] = [[], ["district"], ["year", "district"], ["amount"]]
        for (f, filter) in filters.enumerated() {
            for (g, groupBy) in groupings.enumerated() {
                for copy in 0..<2 {
                    let metrics =
                        copy == 0
                        ? [metric("s", "pure_sum", "amount"), metric("m", "pure_max", "year"), metric("n", "plugin_count")]
                        : [metric("m2", "pure_max", "year"), metric("s2", "pure_sum", "year")]
                    reports.append(
                        try report("r\(f)-\(g)-\(copy)", filter: filter, groupBy: groupBy, metrics: metrics, totals: copy == 0))
                    reports.append(
                        try report(
                            "p\(f)-\(g)-\(copy)", filter: filter, groupBy: groupBy, metrics: metrics, totals: copy == 1,
                            period: true))
                }
            }
            reports.append(try report("odd\(f)", filter: filter, groupBy: [], metrics: [metric("o", "fails_on_odd", "amount")]))
            reports.append(try report("odd-again\(f)", filter: filter, groupBy: [], metrics: [metric("o", "fails_on_odd", "amount")]))
        }
        return reports
    }

    @Test(arguments: [1, 2, 3])
    func everyReportGivesWhatItGivesAloneAndSharedWorkIsComputedOnce(seed: UInt64) throws {
        let table = randomTable(rows: 3000, seed: seed)
        let reports = try reports()
        let expected = reports.map { alone(engine, $0, on: table, slot: slot) }
        let (sumsAlone, maxesAlone, pluginAlone) = (pureSums.value, pureMaxes.value, plugin.value)
        let (results, sharing) = runShared(engine, reports, on: table, slot: slot)
        for (i, r) in reports.enumerated() { #expect(results[i] == expected[i], "\(r.name)") }
        #expect(expected.contains { $0.hasPrefix("error: ") } && expected.contains { !$0.hasPrefix("error: ") })
        // Each report's copy 0 and copy 1 share group ids, and identical metrics are computed once.
        let (computed, served) = sharing.statistics
        #expect(computed > 0 && served > computed, "\(sharing.statistics)")
        #expect(pureSums.value - sumsAlone < sumsAlone)
        #expect(pureMaxes.value - maxesAlone < maxesAlone)
        // A calculator that is not pure (a plugin) is asked by every report, as alone.
        #expect(plugin.value - pluginAlone == pluginAlone)
    }

    @Test func identicalReportsComputeEachMetricOnce() throws {
        let table = randomTable(rows: 500, seed: 9)
        let one = try report(
            "same", filter: "year >= 2020", groupBy: ["district"],
            metrics: [metric("s", "pure_sum", "amount"), metric("m", "pure_max", "amount"), metric("n", "plugin_count")],
            totals: true)
        let (results, sharing) = runShared(engine, Array(repeating: one, count: 10), on: table, slot: slot)
        #expect(Set(results).count == 1)
        #expect(results[0] == alone(engine, one, on: table, slot: slot))
        // Once for the groups and once for the total; then once alone.
        #expect(pureSums.value == 4)
        // A list-based calculator: its values and its total once each, twice with the run alone.
        #expect(pureMaxes.value == 4)
        #expect(plugin.value == 11 * 2)
        // Rows, groups, two metrics' values and totals: six pieces, each served to nine others.
        #expect(sharing.statistics.computed == 6)
        #expect(sharing.statistics.served == 54)
    }

    /// Work planned for one table is never served for another (another dataset, or another read of
    /// the same one, as a database dataset's per-report reads are).
    @Test func anotherTableIsNeverServed() throws {
        let a = randomTable(rows: 400, seed: 4)
        let b = randomTable(rows: 400, seed: 5)
        let reports = try (0..<4).map { i in
            try report("r\(i)", filter: "year >= 2021", groupBy: ["district"], metrics: [metric("s", "pure_sum", "amount")])
        }
        let (results, sharing) = runShared(engine, reports, on: b, plannedOn: a, slot: slot)
        for (i, r) in reports.enumerated() { #expect(results[i] == alone(engine, r, on: b, slot: slot)) }
        #expect(results[0] != alone(engine, reports[0], on: a, slot: slot))
        #expect(sharing.statistics.computed == 0 && sharing.statistics.served == 0)
        // A copy of the table value is the same read, and is served.
        let copy = a
        let (again, shared) = runShared(engine, reports, on: copy, plannedOn: a, slot: slot)
        #expect(again[0] == alone(engine, reports[0], on: a, slot: slot))
        #expect(shared.statistics.served > 0)
    }

    /// Without a plan that foresees a second use, nothing is kept: the work is done where needed.
    @Test func workUsedOnceIsNotKept() throws {
        let table = randomTable(rows: 300, seed: 7)
        let reports = try [["district"], ["year"]].map {
            try report("r\($0[0])", filter: "amount > 0", groupBy: $0, metrics: [metric("s", "pure_sum", "amount")])
        }
        let (_, sharing) = runShared(engine, reports, on: table, slot: slot)
        // Only the filter's rows are shared: each grouping and metric is used once.
        #expect(sharing.statistics.computed == 1)
        #expect(sharing.statistics.served == 1)
    }
}
