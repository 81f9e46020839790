public import ReportCore

/// `growth`: the percent change of a column's sum against the previous period present for the same
/// other group keys; null for the first period and when the previous sum is 0 or null.
public struct GrowthCalculator: PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "growth", summary: "percent change of the sum against the previous period of the same other keys",
        parameters: [
            ParameterSpec(name: "column", kind: .column(ParameterSpec.numeric), summary: "the column summed"),
            ParameterSpec(
                name: "period", kind: .column([.int, .date, .string, .decimal]),
                summary: "the group_by column that orders periods (e.g. year)"),
        ],
        provider: "CalcGrowth")

    public func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType {
        guard let period = context.parameters.string("period"), context.groupBy.contains(period) else {
            throw CalculatorError(
                "growth's period '\(context.parameters.string("period") ?? "")' must be one of the report's group_by columns (\(context.groupBy.joined(separator: ", ")))",
                parameter: "period")
        }
        return .decimal
    }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        guard let period = input.parameters.string("period"), let p = input.groupBy.firstIndex(of: period) else {
            // Totals (no group columns) have no previous period.
            return input.groups.map { _ in .null }
        }
        let sums = input.groups.map { Statistics.sumAsDouble(column, rows: $0) }
        // Partition the groups by their other keys, then order each partition by period.
        var partitions: [[Value]: [Int]] = [:]
        for (g, key) in input.groupKeys.enumerated() {
            var others = key
            others.remove(at: p)
            partitions[others, default: []].append(g)
        }
        var result = [Value](repeating: .null, count: input.groups.count)
        for (_, members) in partitions {
            let ordered = members.filter { !input.groupKeys[$0][p].isNull }.sorted {
                input.groupKeys[$0][p] < input.groupKeys[$1][p]
            }
            for (i, g) in ordered.enumerated() where i > 0 {
                guard let previous = sums[ordered[i - 1]], previous != 0, let current = sums[g] else { continue }
                result[g] = Value.finite((current - previous) / previous * 100)
            }
        }
        return result
    }
}
