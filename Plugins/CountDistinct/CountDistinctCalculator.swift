public import ReportCore

/// `count_distinct`: the number of distinct non-null values of a column in each group.
public struct CountDistinctCalculator: PureCalculator {
    public init() {}

    public let descriptor = CalculatorDescriptor(
        name: "count_distinct", summary: "distinct non-null values",
        parameters: [ParameterSpec(name: "column", kind: .column(ColumnType.allCases), summary: "the column to count")],
        provider: "CalcCountDistinct")

    public func resultType(for context: MetricContext) -> ColumnType { .int }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        return try input.mapGroups { rows in
            if case .string(let codes, _) = column.storage {
                // Dictionary codes are distinct exactly when the strings are.
                return .int(Int64(Set(rows.lazy.map { codes[$0] }.filter { $0 >= 0 }).count))
            }
            var seen = Set<Value>()
            for r in rows where !column.isNull(r) { seen.insert(column.value(at: r)) }
            return .int(Int64(seen.count))
        }
    }
}
