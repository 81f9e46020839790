public import ReportCore

/// `median`: the 50th percentile, by the same linear interpolation as `percentile`.
public struct MedianCalculator: QuantileCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "median", summary: "the middle value (percentile 50, interpolated)",
        parameters: [ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column")],
        provider: "CalcMedian")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return input.groups.map { Value.finite(Statistics.percentile(column.doubles(rows: $0), p: 50)) }
    }

    /// The values gathered by group in one pass (see `OnePassCalculator`), in each group's row order.
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        // Gathered a batch of groups at a time (see `GroupedRows.percentiles`).
        return grouped.percentiles(try input.column("column"), p: 50).map(Value.finite)
    }

    /// The column, at p = 50 (see `QuantileCalculator`).
    public func quantile(_ parameters: MetricParameters) -> (column: String, p: Double)? {
        parameters.string("column").map { ($0, 50) }
    }
}
