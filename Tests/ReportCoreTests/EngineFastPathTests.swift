import Testing
import TestSupport

@testable import ReportCore

/// The report side's fast paths of issue 20 against the plain paths they replaced, on random
/// inputs: nulls, empty groups, one row, ties, -0 beside 0, integers at the edges of 64 bits and
/// every width of packed ints and group ids. Results must be the same to the bit.
@Suite struct EngineFastPathTests {
    /// Values that tie often, cross zero (both zeros for decimals) and reach the extremes.
    static func doubles(_ g: inout SeededGenerator, count: Int) -> [Double] {
        let kind = Int.random(in: 0..<4, using: &g)
        return (0..<count).map { _ in
            switch kind {
            case 0: return Double(Int.random(in: -3...3, using: &g))
            case 1: return [0.0, -0.0, 1.5, -1.5, 1e300, -1e300].randomElement(using: &g)!
            case 2: return Double(Int64.random(in: Int64.min...Int64.max, using: &g))
            default: return Double(Int.random(in: 0...1_000_000_000, using: &g)) / 8
            }
        }
    }

    static func randomPs(_ g: inout SeededGenerator) -> [Double] {
        let pool: [Double] = [0, 100, 50, 90, 10, 25, 75, 99, 1, 33.3, 50]
        return (0..<Int.random(in: 1...6, using: &g)).map { _ in
            Bool.random(using: &g) ? pool.randomElement(using: &g)! : Double.random(in: 0...100, using: &g)
        }
    }

    @Test(arguments: 0..<40)
    func severalPercentilesFromOneBufferAreEachPercentileToTheBit(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        for n in [0, 1, 2, 3, 5, 10, 37, 200, 1_000] {
            let values = Self.doubles(&g, count: n)
            let ps = Self.randomPs(&g)
            var buffer = values
            let got = buffer.withUnsafeMutableBufferPointer { Statistics.percentiles($0, ps) }
            for (i, p) in ps.enumerated() {
                let plain = Statistics.percentile(values, p: p)
                #expect(got[i]?.bitPattern == plain?.bitPattern, "n \(n) p \(p) of \(ps)")
            }
            // Rearranged, not changed.
            #expect(buffer.map(\.bitPattern).sorted() == values.map(\.bitPattern).sorted())
        }
    }

    /// Ranks from the sampled brackets (`Statistics.rankValues`) against selection in place, on
    /// buffers large enough to take the sampled path: few distinct values, ±0 and huge values,
    /// sorted and reversed, and values placed so that every sampled position holds an outlier
    /// (the brackets miss and the selection decides). Every rank's value has the same bits up to
    /// the sign of zero, and the percentiles match `percentile(_:p:)` to the bit.
    @Test(arguments: 0..<12)
    func sampledRanksAreTheSelectedRanks(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        for n in [16_384, 40_000, 131_071] {
            var values = Self.doubles(&g, count: n)
            switch seed % 4 {
            case 1: values.sort()
            case 2: values.sort(by: >)
            case 3:
                // An outlier at every position the sample reads, so its brackets are wrong.
                let size = min(n / 8, 32_768)
                let step = n / size
                for i in 0..<size { values[i * step + step / 2] = 1e308 }
            default: break
            }
            let ranks = Array(Set((0..<Int.random(in: 1...5, using: &g)).flatMap { _ -> [Int] in
                let k = Int.random(in: 0..<n, using: &g)
                return [k, min(n - 1, k + 1), 0, n - 1].prefix(Int.random(in: 1...4, using: &g)).map { $0 }
            })).sorted()
            var sampled = values
            var selected = values
            let fast = sampled.withUnsafeMutableBufferPointer { Statistics.rankValues($0, ranks) }
            let plain = selected.withUnsafeMutableBufferPointer { Statistics.rankValuesBySelection($0, ranks) }
            #expect(fast.map { ($0 + 0).bitPattern } == plain.map { ($0 + 0).bitPattern }, "n \(n) ranks \(ranks)")
            let ps = Self.randomPs(&g)
            var buffer = values
            let got = buffer.withUnsafeMutableBufferPointer { Statistics.percentiles($0, ps) }
            for (i, p) in ps.enumerated() {
                #expect(got[i]?.bitPattern == Statistics.percentile(values, p: p)?.bitPattern, "n \(n) p \(p)")
            }
        }
    }

    /// A table of `rows` rows: `k` (group keys with a few values or many), `v` ints of the
    /// chosen range (so of every packed width), `d` decimals; nulls in every column but `v`
    /// when `required`.
    static func table(_ g: inout SeededGenerator, rows: Int, range: ClosedRange<Int64>, required: Bool, keys: Int)
        -> Table
    {
        let schema = DatasetSchema(columns: [
            ColumnSpec(name: "k", type: .int), ColumnSpec(name: "v", type: .int), ColumnSpec(name: "d", type: .decimal),
        ])
        var k = ColumnBuilder(spec: schema.columns[0])
        var v = ColumnBuilder(spec: schema.columns[1])
        var d = ColumnBuilder(spec: schema.columns[2])
        let edges: [Int64] = [Int64.max, Int64.max - 1, Int64.min, Int64.min + 1, -1, 0, 1]
        for _ in 0..<rows {
            if Int.random(in: 0..<8, using: &g) == 0 { k.appendNull() } else { k.append(.int(Int64.random(in: 0..<Int64(keys), using: &g))) }
            if !required, Int.random(in: 0..<5, using: &g) == 0 {
                v.appendNull()
            } else if range.upperBound == Int64.max, Bool.random(using: &g) {
                v.append(.int(edges.randomElement(using: &g)!))
            } else {
                v.append(.int(Int64.random(in: range, using: &g)))
            }
            if Int.random(in: 0..<6, using: &g) == 0 { d.appendNull() } else { d.append(.decimal(Self.doubles(&g, count: 1)[0])) }
        }
        return Table(schema: schema, columns: [k.build(), v.build(), d.build()])
    }

    static let ranges: [ClosedRange<Int64>] = [
        2019...2025, -300...40_000, 15_000_000...1_008_000_000, -5_000_000_000...5_000_000_000, Int64.min...Int64.max,
    ]

    /// The grouped rows of `table` by `k` (every row, or a random subset as a row list), with the
    /// ids stored in `width` (the engine stores them as narrow as it can; the others are valid too).
    static func grouped(_ g: inout SeededGenerator, _ table: Table, subset: Bool, width: Int) -> GroupedRows {
        let rows: [Int]? = subset ? (0..<table.rowCount).filter { _ in Bool.random(using: &g) } : nil
        let found = ReportEngine.groupIDs(rows: rows, count: rows?.count ?? table.rowCount, by: ["k"], in: table).rows
        guard let ids = found.groupOf else { return found }
        let plain = Array(ids)
        let words: PackedInts.Words
        switch width {
        case 0: words = ids.words
        case 1: words = .u16(plain.map { UInt16($0) })
        case 2: words = .u32(plain.map { UInt32($0) })
        default: words = .i64(plain)
        }
        return GroupedRows(rows: rows, count: found.count, groupOf: PackedInts(base: 0, words: words), groupCount: found.groupCount)
    }

    static func plainGroups(_ grouped: GroupedRows) -> [[Int]] {
        var lists = [[Int]](repeating: [], count: grouped.groupCount)
        for i in 0..<grouped.count {
            let r = grouped.rows?[i] ?? i
            lists[grouped.groupOf.map { Int($0[i]) } ?? 0].append(r)
        }
        return lists
    }

    @Test(arguments: 0..<30)
    func sumsCountsAndSizesAreThePlainOnes(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        for rows in [0, 1, 2, 50, 3_000] {
            let range = Self.ranges.randomElement(using: &g)!
            let table = Self.table(&g, rows: rows, range: range, required: Bool.random(using: &g), keys: [1, 3, 300].randomElement(using: &g)!)
            for grouping in [
                Self.grouped(&g, table, subset: Bool.random(using: &g), width: Int.random(in: 0...3, using: &g)),
                Self.grouped(&g, table, subset: Bool.random(using: &g), width: 0).asOneGroup,
            ] {
                let column = table.column("v")!
                let plain = Statistics.intSumsPlain(column, grouping)!
                for chunk in [1 << 31, 1, 7] {
                    let fast = Statistics.intSums(column, grouping, chunk: chunk)!
                    #expect(fast.sums == plain.sums, "rows \(rows) range \(range) chunk \(chunk)")
                    #expect(fast.counts == plain.counts)
                }
                let lists = Self.plainGroups(grouping)
                #expect(grouping.sizes() == lists.map(\.count))
                #expect(grouping.rowLists() == lists)
                #expect(grouping.nonNullCounts(column) == lists.map { $0.filter { !column.isNull($0) }.count })
                var seen: [(Int, Int)] = []
                try? grouping.forEach { r, g in seen.append((r, g)) }
                #expect(seen.map(\.0) == (0..<grouping.count).map { grouping.rows?[$0] ?? $0 })
            }
        }
    }

    @Test(arguments: 0..<30)
    func groupedPercentilesAreEachGroupsPercentileToTheBit(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        for rows in [0, 1, 2, 40, 2_000] {
            let table = Self.table(&g, rows: rows, range: Self.ranges.randomElement(using: &g)!, required: Bool.random(using: &g), keys: [1, 4, 300].randomElement(using: &g)!)
            let grouping = Self.grouped(&g, table, subset: Bool.random(using: &g), width: Int.random(in: 0...3, using: &g))
            let lists = Self.plainGroups(grouping)
            let ps = Self.randomPs(&g)
            for name in ["v", "d"] {
                let column = table.column(name)!
                let got = grouping.percentiles(column, ps: ps)
                for (i, p) in ps.enumerated() {
                    let plain = lists.map { Statistics.percentile(column.doubles(rows: $0), p: p) }
                    #expect(got[i].map { $0?.bitPattern } == plain.map { $0?.bitPattern }, "\(name) rows \(rows) p \(p) of \(ps)")
                    #expect(grouping.percentiles(column, p: p).map { $0?.bitPattern } == plain.map { $0?.bitPattern })
                    // In batches of a few groups (the budget is at least two of the largest group).
                    for budget in [1, 7, 100] {
                        #expect(
                            grouping.percentiles(column, ps: ps, budget: budget)[i].map { $0?.bitPattern }
                                == plain.map { $0?.bitPattern }, "budget \(budget)")
                    }
                }
            }
        }
    }
}
