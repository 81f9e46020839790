import ReportCalculators
import ReportCore
import Testing

@testable import ReportRun

/// The order the reports of a run start computing in (issue 20): the likely costliest first
/// (longest-processing-time-first), ties in the order given; a metric's cost from what its
/// calculator is (one pass, or gathering values).
@Suite struct StartOrderTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "year", type: .int), ColumnSpec(name: "program", type: .string),
        ColumnSpec(name: "amount", type: .int),
    ])

    static func report(
        _ name: String, filter: String? = nil, groupBy: [String] = ["program"], calcs: [String]
    ) throws -> ReportDefinition {
        var r = ReportDefinition(
            name: name, title: name, dataset: "x", schedule: .every(seconds: 60), timezone: "UTC",
            metrics: calcs.enumerated().map { i, calc in
                MetricDefinition(name: "m\(i)", calc: calc, parameters: MetricParameters(["column": .string("amount")]))
            })
        r.groupBy = groupBy
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: schema).get() }
        return r
    }

    @Test func theCostliestStartFirstAndTiesKeepTheirOrder() throws {
        // As the benchmark's five, in name order: the filtered report and the one with a median
        // and a percentile came last.
        let reports = [
            try Self.report("by-activity", calcs: ["sum", "sum", "ratio"]),
            try Self.report("by-district", calcs: ["count", "sum", "mean", "median", "percentile"]),
            try Self.report("by-program", calcs: ["count", "sum", "sum"]),
            try Self.report("by-year-program", groupBy: ["year", "program"], calcs: ["count", "sum", "sum"]),
            try Self.report("completed", filter: "year >= 2021", calcs: ["count", "sum", "sum"]),
        ]
        #expect(ReportRunner.startOrder(reports, calculators: BuiltinCalculators.registry) == [1, 4, 3, 0, 2])
        #expect(ReportRunner.startOrder([], calculators: BuiltinCalculators.registry) == [])
        let same = try (0..<4).map { try Self.report("r\($0)", calcs: ["count"]) }
        #expect(ReportRunner.startOrder(same, calculators: BuiltinCalculators.registry) == [0, 1, 2, 3])
        // A calculator that gathers values (not one pass) outweighs two one-pass metrics.
        let gathering = [
            try Self.report("sums", calcs: ["count", "sum"]), try Self.report("distinct", calcs: ["count_distinct"]),
            try Self.report("min", calcs: ["min"]),
        ]
        #expect(ReportRunner.startOrder(gathering, calculators: BuiltinCalculators.registry) == [1, 2, 0])
    }
}
