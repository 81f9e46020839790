public import ReportCore

/// `stddev`: the sample standard deviation (n − 1); null for fewer than two values.
public struct StddevCalculator: Calculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "stddev", summary: "sample standard deviation (n-1)",
        parameters: [ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column")],
        provider: "CalcStddev")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return input.groups.map { Value.finite(Statistics.sampleStandardDeviation(column.doubles(rows: $0))) }
    }
}

/// Its result is a function of its input alone (see `PureCalculator`).
extension StddevCalculator: PureCalculator {}
