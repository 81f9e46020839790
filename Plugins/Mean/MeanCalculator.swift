public import ReportCore

/// `mean`: the arithmetic mean of a numeric column.
public struct MeanCalculator: OnePassCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "mean", summary: "arithmetic mean of the non-null values",
        parameters: [
            ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column to average")
        ],
        provider: "CalcMean")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return input.groups.map { Statistics.mean(column, rows: $0) }
    }

    /// Int columns in one pass (see `OnePassCalculator`), as `Statistics.mean` computes them.
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        guard let (sums, counts) = Statistics.intSums(try input.column("column"), grouped) else { return nil }
        return zip(sums, counts).map { total, n in n == 0 ? .null : Value.finite(Double(total) / Double(n)) }
    }
}
