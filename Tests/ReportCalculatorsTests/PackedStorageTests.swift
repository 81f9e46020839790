import ReportCalculators
import Testing

@testable import ReportCore

/// Every built-in calculator, grouping and filter over packed columns (1-, 2- and 4-byte ints and
/// string codes, no validity flags for a column without a null) against the same table stored
/// plain (8-byte words, a flag per row): the same results and errors, to the byte.
@Suite struct PackedStorageTests {
    /// `table` with every int and string column stored in 8-byte words and every flag kept.
    static func plain(_ table: Table) -> Table {
        let columns = table.columns.map { c -> Column in
            let flags = Validity(keeping: (0..<c.count).map { !c.isNull($0) })
            switch c.storage {
            case .int(let v):
                return Column(spec: c.spec, storage: .int(PackedInts(base: 0, words: .i64(Array(v)))), valid: flags)
            case .string(let codes, let dictionary):
                return Column(
                    spec: c.spec, storage: .string(codes: PackedInts(base: 0, words: .i64(Array(codes))), dictionary: dictionary),
                    valid: Validity(count: c.count))
            default:
                return Column(spec: c.spec, storage: c.storage, valid: flags)
            }
        }
        return Table(schema: table.schema, columns: columns, rowCount: table.rowCount)
    }

    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string),
        ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .int),
        ColumnSpec(name: "wide", type: .int),
        ColumnSpec(name: "required", type: .int, required: true),
        ColumnSpec(name: "rate", type: .decimal),
        ColumnSpec(name: "day", type: .date),
    ])

    /// `distinct` names (past 255 or 65,535 for 2- and 4-byte codes), years in a byte, amounts in
    /// 4 bytes, `wide` values that need 8, a required column without nulls.
    static func table(rows: Int, distinct: Int, seed: UInt64) -> Table {
        var g = OnePassTests.Generator(state: seed)
        var builders = schema.columns.map { ColumnBuilder(spec: $0) }
        func maybe(_ v: Value) -> Value { Int.random(in: 0..<6, using: &g) == 0 ? .null : v }
        for i in 0..<rows {
            let row: [Value] = [
                // Each of the `distinct` names once first, so that the dictionary has them all.
                i < distinct ? .string("n\(i)") : maybe(.string("n\(Int.random(in: 0..<distinct, using: &g))")),
                maybe(.int(Int64.random(in: 2019...2025, using: &g))),
                maybe(.int(Int64.random(in: 15_000_000...1_008_000_000, using: &g))),
                maybe(.int(i % 50 == 0 ? [Int64.max, Int64.min].randomElement(using: &g)! : Int64.random(in: -9...9, using: &g))),
                .int(Int64(i % 300)),
                maybe(.decimal(Double(Int.random(in: -300...300, using: &g)) / 8)),
                maybe(.date(Day(daysSinceEpoch: Int32.random(in: 19_000...19_400, using: &g)))),
            ]
            for (c, v) in row.enumerated() { builders[c].append(v) }
        }
        return Table(schema: schema, columns: builders.map { $0.build() })
    }

    static func metrics(on column: String) -> [MetricDefinition] {
        func m(_ name: String, _ calc: String, _ params: [String: ParameterValue]) -> MetricDefinition {
            MetricDefinition(name: name, calc: calc, parameters: MetricParameters(params))
        }
        return [
            m("n", "count", [:]), m("sum", "sum", ["column": .string(column)]), m("mean", "mean", ["column": .string(column)]),
            m("median", "median", ["column": .string(column)]),
            m("p90", "percentile", ["column": .string(column), "p": .number(90)]),
            m("ratio", "ratio", ["numerator": .string(column), "denominator": .string("amount")]),
            m("distinct", "count_distinct", ["column": .string(column)]),
            m("distinct_names", "count_distinct", ["column": .string("name")]),
            m("min", "min", ["column": .string(column)]), m("max", "max", ["column": .string("name")]),
            m("stddev", "stddev", ["column": .string(column)]), m("share", "share", ["column": .string(column)]),
        ]
    }

    @Test(arguments: [
        ([String](), nil as String?), (["name"], nil), (["year"], "year >= 2021"), (["year", "name"], "amount > 500000000"),
        (["required"], "name == 'n3' or year < 2020"), (["wide"], nil), (["amount"], "required in [1, 2, 299]"),
        (["day", "year"], "not (name != 'n7')"),
    ])
    func packedGivesWhatPlainGives(groupBy: [String], filter: String?) throws {
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for (rows, distinct, seed) in [(0, 3, 1), (1, 3, 2), (500, 7, 3), (3_000, 300, 4), (70_000, 66_000, 5)] as [(Int, Int, UInt64)] {
            let packed = Self.table(rows: rows, distinct: distinct, seed: seed)
            let plain = Self.plain(packed)
            if rows == 70_000, case .string(let codes, _) = packed.column("name")!.storage {
                #expect(codes.bytesPerValue == 4)
            }
            if rows == 3_000, case .string(let codes, _) = packed.column("name")!.storage {
                #expect(codes.bytesPerValue == 2)
            }
            // The large table (4-byte codes) once, with every metric at once: a debug build is slow.
            let large = rows == 70_000
            for column in large ? ["amount"] : ["amount", "year", "wide", "required"] {
                for totals in large ? [true] : [false, true] {
                    var report = ReportDefinition(
                        name: "packed", title: "t", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC",
                        metrics: Self.metrics(on: column))
                    report.groupBy = groupBy
                    report.totals = totals
                    if groupBy.contains("year") {
                        report.metrics.append(
                            MetricDefinition(
                                name: "growth", calc: "growth",
                                parameters: MetricParameters(["column": .string(column), "period": .string("year")])))
                    }
                    if let filter { report.filter = try CompiledFilter.compile(filter, schema: Self.schema).get() }
                    for metrics in [report.metrics] + (large ? [] : report.metrics.map({ [$0] })) {
                        report.metrics = metrics
                        let expected = OnePassTests.outcome(engine, report, plain)
                        let got = OnePassTests.outcome(engine, report, packed)
                        #expect(got == expected, "rows \(rows) \(column) \(metrics.map(\.name)) totals \(totals)")
                    }
                }
            }
        }
    }
}
