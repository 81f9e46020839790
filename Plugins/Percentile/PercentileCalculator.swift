public import ReportCore

/// `percentile`: the p-th percentile by linear interpolation between closest ranks (numpy's default,
/// SQL's `quantile_cont`).
public struct PercentileCalculator: QuantileCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "percentile", summary: "the p-th percentile, linear interpolation between closest ranks",
        parameters: [
            ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column"),
            ParameterSpec(name: "p", kind: .number(0...100), summary: "the percentile, 0 to 100"),
        ],
        provider: "CalcPercentile")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        guard let p = input.parameters.number("p"), (0...100).contains(p) else {
            throw CalculatorError("parameter 'p' must be a number from 0 to 100", parameter: "p")
        }
        return input.groups.map { Value.finite(Statistics.percentile(column.doubles(rows: $0), p: p)) }
    }

    /// The values gathered by group in one pass (see `OnePassCalculator`), in each group's row order.
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        let column = try input.column("column")
        guard let p = input.parameters.number("p"), (0...100).contains(p) else {
            throw CalculatorError("parameter 'p' must be a number from 0 to 100", parameter: "p")
        }
        // Gathered a batch of groups at a time (see `GroupedRows.percentiles`).
        return grouped.percentiles(column, p: p).map(Value.finite)
    }

    /// The column and `p` (see `QuantileCalculator`).
    public func quantile(_ parameters: MetricParameters) -> (column: String, p: Double)? {
        guard let column = parameters.string("column"), let p = parameters.number("p"), (0...100).contains(p)
        else { return nil }
        return (column, p)
    }
}
