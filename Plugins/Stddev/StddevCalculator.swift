public import ReportCore

/// `stddev`: the sample standard deviation (n − 1); null for fewer than two values.
public struct StddevCalculator: Calculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "stddev", summary: "sample standard deviation (n-1)",
        parameters: [ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column")],
        provider: "CalcStddev")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    /// An int column's from its exact count, sum and sum of squares (`IntegerMoments`: the same
    /// figure a database gives with the same three integers); a decimal column's by two passes.
    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        if case .int(let values) = column.storage {
            return input.groups.map { rows in
                var moments = IntegerMoments()
                for r in rows where column.valid[r] { moments.add(values[r]) }
                return Value.finite(moments.sampleStandardDeviation)
            }
        }
        return input.groups.map { Value.finite(Statistics.sampleStandardDeviation(column.doubles(rows: $0))) }
    }
}

/// Its result is a function of its input alone (see `PureCalculator`).
extension StddevCalculator: PureCalculator {}
