public import ReportCore

/// `min` and `max`: the smallest or largest non-null value of a column (numbers, dates or strings).
public struct MinMaxCalculator: PureCalculator {
    public enum Kind: String, Sendable { case min, max }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var descriptor: CalculatorDescriptor {
        CalculatorDescriptor(
            name: kind.rawValue, summary: kind == .min ? "smallest non-null value" : "largest non-null value",
            parameters: [
                ParameterSpec(
                    name: "column", kind: .column([.int, .decimal, .date, .string]), summary: "the column to scan")
            ],
            provider: "CalcMinMax")
    }

    public func resultType(for context: MetricContext) -> ColumnType { context.columnType("column") ?? .decimal }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        let column = try input.column("column")
        let wantMax = kind == .max
        return input.groups.map { rows in
            var best = Value.null
            for r in rows where !column.isNull(r) {
                let v = column.value(at: r)
                if best.isNull || (wantMax ? best < v : v < best) { best = v }
            }
            return best
        }
    }
}
