public import ReportCore

/// `mean`: the arithmetic mean of a numeric column.
public struct MeanCalculator: Calculator {
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
}
