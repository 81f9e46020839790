public import ReportCore

/// `ratio`: sum(numerator) / sum(denominator); null when the denominator's sum is 0 or null.
public struct RatioCalculator: OnePassCalculator, PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "ratio", summary: "sum(numerator) / sum(denominator); null when the denominator is 0",
        parameters: [
            ParameterSpec(
                name: "numerator", kind: .column(ParameterSpec.numeric), summary: "the column summed above the line"),
            ParameterSpec(
                name: "denominator", kind: .column(ParameterSpec.numeric), summary: "the column summed below the line"),
        ],
        provider: "CalcRatio")

    public func resultType(for context: MetricContext) -> ColumnType { .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let numerator = try input.column("numerator")
        let denominator = try input.column("denominator")
        return input.groups.map { rows in
            guard let d = Statistics.sumAsDouble(denominator, rows: rows), d != 0,
                let n = Statistics.sumAsDouble(numerator, rows: rows)
            else { return .null }
            return Value.finite(n / d)
        }
    }

    /// Int columns in one pass (see `OnePassCalculator`), as `Statistics.sumAsDouble` sums them.
    public func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]? {
        guard let (n, nCounts) = Statistics.intSums(try input.column("numerator"), grouped),
            let (d, dCounts) = Statistics.intSums(try input.column("denominator"), grouped)
        else { return nil }
        return (0..<grouped.groupCount).map { g in
            guard dCounts[g] > 0, Double(d[g]) != 0, nCounts[g] > 0 else { return .null }
            return Value.finite(Double(n[g]) / Double(d[g]))
        }
    }
}
