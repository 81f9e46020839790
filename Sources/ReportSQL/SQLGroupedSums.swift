public import ReportCore
import CalcGrowth
import CalcRatio
import CalcShare

/// `share`, `ratio` and `growth` computed from the sums a database gives per group, by the
/// built-in calculators themselves: each group becomes one row holding its sums, so the
/// calculator sees the same sums (integers, exact) in the same group order as over the rows, and
/// gives the same figures (nulls, division by zero, rounding) as the engine.
public enum SQLGroupedSums {
    /// The calculators computed from grouped sums.
    public static let calculators: Set<String> = ["share", "ratio", "growth"]

    /// The columns `metric` sums (its `column`, or `numerator` and `denominator`), or nil when it
    /// is not one of `calculators`.
    public static func summedColumns(of metric: MetricDefinition) -> [String]? {
        func column(_ name: String) -> String? {
            if case .string(let value)? = metric.parameters.values[name] { return value }
            return nil
        }
        switch metric.calc {
        case "share", "growth": return column("column").map { [$0] }
        case "ratio":
            guard let n = column("numerator"), let d = column("denominator") else { return nil }
            return [n, d]
        default: return nil
        }
    }

    /// The metric's value per group and over all groups (the totals row), from `sums[column][g]`
    /// (an `.int` or `.null` per group, groups in the order the engine meets them) and the groups'
    /// `keys` (values of `groupBy`).
    public static func compute(
        _ metric: MetricDefinition, sums: [String: [Value]], keys: [[Value]], groupBy: [String]
    ) throws(CalculatorError) -> (values: [Value], total: Value) {
        let calculator: any Calculator
        switch metric.calc {
        case "share": calculator = ShareCalculator()
        case "ratio": calculator = RatioCalculator()
        case "growth": calculator = GrowthCalculator()
        default: throw CalculatorError("\(metric.calc) is not computed from grouped sums")
        }
        let names = sums.keys.sorted()
        var specs: [ColumnSpec] = []
        var columns: [Column] = []
        for name in names {
            let spec = ColumnSpec(name: name, type: .int)
            var builder = ColumnBuilder(spec: spec, capacity: keys.count)
            for value in sums[name] ?? [] {
                if value.isNull { builder.appendNull() } else { builder.append(value) }
            }
            specs.append(spec)
            columns.append(builder.build())
        }
        let table = Table(schema: DatasetSchema(columns: specs), columns: columns, rowCount: keys.count)
        let input = CalculatorInput(
            table: table, groups: keys.indices.map { [$0] }, groupKeys: keys, groupBy: groupBy,
            parameters: metric.parameters)
        return try calculator.computeWithTotal(input, all: Array(keys.indices))
    }
}
