import Testing

@testable import ReportCore

/// Grouping takes a direct-indexed path when the key space is small and hashes otherwise; both
/// must give the groups a plain dictionary of values gives, in order of first appearance.
@Suite struct GroupingTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string),
        ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .int),
        ColumnSpec(name: "day", type: .date),
        ColumnSpec(name: "done", type: .bool),
        ColumnSpec(name: "rate", type: .decimal),
    ])

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static func table(rows: Int, seed: UInt64) -> Table {
        var g = Generator(state: seed)
        var builders = schema.columns.map { ColumnBuilder(spec: $0) }
        func maybe(_ v: Value) -> Value { Int.random(in: 0..<9, using: &g) == 0 ? .null : v }
        let districts = ["Phong Thổ", "Tân Uyên", "Sìn Hồ", "Mường Tè"]
        for _ in 0..<rows {
            let row: [Value] = [
                maybe(.string(districts.randomElement(using: &g)!)),
                maybe(.int(Int64.random(in: 2019...2025, using: &g))),
                // A range far too wide for direct indexing, extremes included.
                maybe(.int([Int64.min, Int64.max, 0, Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &g)].randomElement(using: &g)!)),
                maybe(.date(Day(daysSinceEpoch: Int32.random(in: 19_000...19_400, using: &g)))),
                maybe(.bool(Bool.random(using: &g))),
                maybe(.decimal(Double(Int.random(in: 1...5, using: &g)) / 4)),
            ]
            for (c, v) in row.enumerated() { builders[c].append(v) }
        }
        return Table(schema: schema, columns: builders.map { $0.build() })
    }

    /// The reference: a dictionary keyed by the cells' values.
    static func reference(rows: [Int], by names: [String], in table: Table) -> ([[Int]], [[Value]]) {
        var index: [[Value]: Int] = [:]
        var groups: [[Int]] = []
        var keys: [[Value]] = []
        for r in rows {
            let key = names.map { table.column($0)!.value(at: r) }
            if let g = index[key] {
                groups[g].append(r)
            } else {
                index[key] = groups.count
                groups.append([r])
                keys.append(key)
            }
        }
        return (groups, keys)
    }

    @Test(arguments: [
        ["district"], ["year"], ["district", "year"], ["amount"], ["day"], ["done", "district"], ["rate"],
        ["year", "day", "district", "done"], ["district", "amount"],
    ])
    func groupsMatchADictionaryOfValues(names: [String]) {
        let table = Self.table(rows: 3_000, seed: UInt64(names.count * 31 + names[0].count))
        for rows in [Array(0..<table.rowCount), Array(stride(from: 5, to: table.rowCount, by: 3)), []] {
            let (groups, keys) = ReportEngine.group(rows: rows, by: names, in: table)
            let (expectedGroups, expectedKeys) = Self.reference(rows: rows, by: names, in: table)
            #expect(groups == expectedGroups, "\(names)")
            #expect(keys == expectedKeys, "\(names)")
        }
    }

    @Test func aNullKeyIsItsOwnGroupBesideEveryValue() {
        var builders = [ColumnBuilder(spec: ColumnSpec(name: "year", type: .int))]
        for v: Value in [.int(2021), .null, .int(2022), .null, .int(2021)] { builders[0].append(v) }
        let table = Table(schema: DatasetSchema(columns: [builders[0].spec]), columns: [builders[0].build()])
        let (groups, keys) = ReportEngine.group(rows: [0, 1, 2, 3, 4], by: ["year"], in: table)
        #expect(groups == [[0, 4], [1, 3], [2]])
        #expect(keys == [[.int(2021)], [.null], [.int(2022)]])
    }
}
