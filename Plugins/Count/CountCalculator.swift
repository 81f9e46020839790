public import ReportCore

/// `count`: the number of rows in each group, nulls included.
public struct CountCalculator: Calculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "count", summary: "rows in the group", parameters: [], provider: "CalcCount")

    public func resultType(for context: MetricContext) -> ColumnType { .int }

    public func compute(_ input: CalculatorInput) -> [Value] {
        input.groups.map { .int(Int64($0.count)) }
    }
}
