public import ReportCore

/// `share`: each group's sum of a column as a percentage of the sum over all groups.
public struct ShareCalculator: PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "share", summary: "the group's sum as a percentage of the sum over all groups",
        parameters: [ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column summed")],
        provider: "CalcShare")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        let sums = input.groups.map { Statistics.sumAsDouble(column, rows: $0) }
        let total = sums.reduce(0.0) { $0 + ($1 ?? 0) }
        return sums.map { sum in
            guard let sum, total != 0 else { return .null }
            return Value.finite(sum / total * 100)
        }
    }
}
