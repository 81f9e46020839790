public import ReportCore

/// `count`: the number of rows in each group, nulls included.
public struct CountCalculator: OnePassCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "count", summary: "rows in the group", parameters: [], provider: "CalcCount")

    public func resultType(for context: MetricContext) -> ColumnType { .int }

    public func compute(_ input: CalculatorInput) -> [Value] {
        input.groups.map { .int(Int64($0.count)) }
    }

    /// Counted from the group ids, with no row lists (see `OnePassCalculator`).
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) -> [Value]? {
        grouped.sizes().map { .int(Int64($0)) }
    }
}
