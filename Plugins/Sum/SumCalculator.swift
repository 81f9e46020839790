public import ReportCore

/// `sum`: the sum of a numeric column; exact 64-bit for int columns, an error on overflow.
public struct SumCalculator: OnePassCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "sum", summary: "sum of the non-null values (exact for int columns)",
        parameters: [
            ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column to add up")
        ],
        provider: "CalcSum")

    public func resultType(for context: MetricContext) -> ColumnType { context.columnType("column") ?? .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return try input.mapGroups { rows throws(CalculatorError) in try Statistics.exactSum(column, rows: rows) }
    }

    /// Int columns in one pass (see `OnePassCalculator`); decimal columns use the row lists, whose
    /// exact decimal sum is not worth a second copy.
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        try Statistics.exactSums(try input.column("column"), grouped)
    }
}
