import Testing

@testable import ReportCore

/// Bugs the DuckDB differential test's probes found, kept as regression tests.
@Suite struct DifferentialRegressionTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true), ColumnSpec(name: "k", type: .int),
        ColumnSpec(name: "x", type: .int),
    ])

    static func table() -> Table {
        let rows: [(String, Int64?, Int64)] = [
            ("a", Int64.min, 1), ("b", nil, 9_007_199_254_740_992), ("c", 5, 1), ("d", 5, 1),
        ]
        var builders = schema.columns.map { ColumnBuilder(spec: $0) }
        for (id, k, x) in rows {
            builders[0].append(.string(id))
            builders[1].append(k.map(Value.int) ?? .null)
            builders[2].append(.int(x))
        }
        return Table(schema: schema, columns: builders.map { $0.build() })
    }

    @Test func nullGroupKeyIsNotMergedWithInt64Min() {
        let (groups, keys) = ReportEngine.group(rows: [0, 1, 2, 3], by: ["k"], in: Self.table())
        #expect(groups == [[0], [1], [2, 3]])
        #expect(keys == [[.int(Int64.min)], [.null], [.int(5)]])
    }

    @Test(arguments: [
        ("x >= 9007199254740992.5", [Int]()), ("x < 9007199254740992.5", [0, 1, 2, 3]),
        ("x == 9007199254740992.0", [1]), ("x in [9007199254740993.0, 1.5]", []), ("x > 0.5", [0, 1, 2, 3]),
    ])
    func intColumnComparesExactlyWithDecimalLiterals(filter: String, expected: [Int]) throws {
        let compiled = try CompiledFilter.compile(filter, schema: Self.schema).get()
        #expect(compiled.matchingRows(in: Self.table()) == expected, "\(filter)")
    }

    @Test func numericOrderIsExactAcrossIntAndDecimal() {
        #expect(Value.numericOrder(.int(9_007_199_254_740_993), .decimal(9_007_199_254_740_992)) == 1)
        #expect(Value.numericOrder(.decimal(0.5), .int(0)) == 1)
        #expect(Value.numericOrder(.int(-1), .decimal(-0.5)) == -1)
        #expect(Value.numericOrder(.int(Int64.max), .decimal(1e19)) == -1)
        #expect(Value.int(3) < Value.decimal(3.5))
    }

    @Test(arguments: [
        (1.665334536937734e-15, "1.665334536937734e-15"), (0.25, "0.25"), (3.0, "3"), (-3.5, "-3.5"),
        (1e16, "10000000000000000"), (4_700_000_000, "4700000000"),
    ])
    func decimalsKeepEverySignificantDigit(value: Double, text: String) {
        #expect(Value.plainDecimal(value) == text)
        #expect(Double(Value.plainDecimal(value)) == value)
    }
}
