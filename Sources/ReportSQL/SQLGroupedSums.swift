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

    /// A metric of a pushed-down report computed from the grouped sums: its position among the
    /// report's metrics, and the index of each summed column's aggregate in the statement.
    public struct Derived: Sendable {
        public var position: Int
        public var metric: MetricDefinition
        public var sums: [String: Int]

        public init(position: Int, metric: MetricDefinition, sums: [String: Int]) {
            self.position = position
            self.metric = metric
            self.sums = sums
        }
    }

    /// Fills each derived metric's place in `values` (one row of metric values per group) and in
    /// `totals` from the statement's grouped sums: `sum(g, i)` is group `g`'s aggregate `i` as an
    /// `.int` or `.null`, or nil when it does not fit 64 bits. False (nothing pushed: the engine
    /// computes the report and gives its own error) on such a sum or a calculator's error.
    public static func fill(
        _ derived: [Derived], values: inout [[Value]], totals: inout [Value]?, keys: [[Value]], groupBy: [String],
        sum: (_ group: Int, _ aggregate: Int) -> Value?
    ) -> Bool {
        for metric in derived {
            var sums: [String: [Value]] = [:]
            for (column, i) in metric.sums {
                var perGroup: [Value] = []
                for g in keys.indices {
                    guard let v = sum(g, i) else { return false }
                    perGroup.append(v)
                }
                sums[column] = perGroup
            }
            do throws(CalculatorError) {
                let (perGroup, total) = try compute(metric.metric, sums: sums, keys: keys, groupBy: groupBy)
                for g in keys.indices { values[g][metric.position] = perGroup[g] }
                totals?[metric.position] = total
            } catch {
                return false
            }
        }
        return true
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
