/// The rows of a report and the group of each, for calculators that accumulate per group in one
/// sequential pass instead of walking a list of row indices per group.
///
/// Why it exists: building a row list per group costs 8 bytes a row per report (80 MB at 10M rows,
/// all of it fresh memory) and every metric then reads its column in a scattered order. A group id
/// per row (4 bytes, computed once per report) and one pass in row order is what the decomposable
/// metrics (count, sum, mean, ratio, and the selection input of median and percentile) need.
/// Rows are always visited in ascending order, the order of a group's row list, so every
/// accumulation sees the same values in the same order as the row-list path and gives the same
/// result to the bit.
public struct GroupedRows: Sendable {
    /// The rows, ascending; `nil` for every row of the table (`0..<count`), with no list built.
    public let rows: [Int]?
    /// How many rows there are.
    public let count: Int
    /// The group of each row (`groupOf[i]` for the i-th row), numbered from 0 in order of first
    /// appearance; `nil` when every row is in group 0. Packed: one byte a row for up to 256
    /// groups (40 MB at 10M rows per grouping as 4-byte ids, 10 MB as bytes).
    public let groupOf: PackedInts?
    public let groupCount: Int

    public init(rows: [Int]?, count: Int, groupOf: PackedInts?, groupCount: Int) {
        self.rows = rows
        self.count = count
        self.groupOf = groupOf
        self.groupCount = groupCount
    }

    public init(rows: [Int]?, count: Int, groupOf: [Int32]?, groupCount: Int) {
        self.init(rows: rows, count: count, groupOf: groupOf.map { PackedInts($0.map(Int64.init)) }, groupCount: groupCount)
    }

    /// The same rows as one group (the totals row).
    public var asOneGroup: GroupedRows {
        GroupedRows(rows: rows, count: count, groupOf: nil as PackedInts?, groupCount: 1)
    }

    /// Calls `body(row, group)` for every row, in ascending row order.
    @inlinable
    public func forEach(_ body: (Int, Int) throws(CalculatorError) -> Void) throws(CalculatorError) {
        var failure: CalculatorError?
        eachRow(0..<count) { r, g in
            guard failure == nil else { return }
            do throws(CalculatorError) { try body(r, g) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Calls `body(row, group)` for the rows at `positions` (indices into the rows, not row
    /// numbers), in ascending order.
    ///
    /// Fast path (issue 20): always inlined into its caller with the width of the group ids
    /// switched once, so each loop (a sum, a count, a gathering) is one specialised loop over raw
    /// buffers with `body` inlined. `forEach`, which throws, was an outlined copy called with a
    /// closure per row: 3 % of a 10M-row run's CPU in the gathering of median and percentile.
    @inline(__always) @usableFromInline
    func eachRow(_ positions: Range<Int>, _ body: (_ row: Int, _ group: Int) -> Void) {
        guard let groupOf else {
            if let rows {
                rows.withUnsafeBufferPointer { rows in
                    for i in positions { body(rows[i], 0) }
                }
            } else {
                for r in positions { body(r, 0) }
            }
            return
        }
        // One loop per width of the ids; the base of group ids is 0 or another whole number.
        let base = Int(groupOf.base)
        @inline(__always)
        func each<W: FixedWidthInteger>(_ g: UnsafeBufferPointer<W>) {
            if let rows {
                rows.withUnsafeBufferPointer { rows in
                    for i in positions { body(rows[i], base &+ Int(truncatingIfNeeded: g[i])) }
                }
            } else {
                for r in positions { body(r, base &+ Int(truncatingIfNeeded: g[r])) }
            }
        }
        switch groupOf.words {
        case .u8(let a): a.withUnsafeBufferPointer { each($0) }
        case .u16(let a): a.withUnsafeBufferPointer { each($0) }
        case .u32(let a): a.withUnsafeBufferPointer { each($0) }
        case .i64(let a): a.withUnsafeBufferPointer { each($0) }
        }
    }

    /// The number of rows in each group.
    public func sizes() -> [Int] {
        var sizes = [Int](repeating: 0, count: groupCount)
        guard groupOf != nil else {
            if groupCount > 0 { sizes[0] = count }
            return sizes
        }
        sizes.withUnsafeMutableBufferPointer { s in
            eachRow(0..<count) { _, g in s[g] &+= 1 }
        }
        return sizes
    }

    /// The row lists of the groups, as `CalculatorInput.groups` holds them.
    public func rowLists() -> [[Int]] {
        var lists = sizes().map { n -> [Int] in
            var a: [Int] = []
            a.reserveCapacity(n)
            return a
        }
        guard groupCount > 0 else { return lists }
        switch (rows, groupOf) {
        case (nil, nil): lists[0] = Array(0..<count)
        case (let rows?, nil): lists[0] = rows
        default: eachRow(0..<count) { r, g in lists[g].append(r) }
        }
        return lists
    }

    /// The non-null cells of a numeric column in each group (all zero for another column).
    public func nonNullCounts(_ column: Column) -> [Int] {
        var counts = [Int](repeating: 0, count: groupCount)
        switch column.storage {
        case .int, .decimal: break
        default: return counts
        }
        counts.withUnsafeMutableBufferPointer { c in
            if let flags = column.valid.flags {
                flags.withUnsafeBufferPointer { f in
                    eachRow(0..<count) { r, g in c[g] &+= f[r] ? 1 : 0 }
                }
            } else {
                eachRow(0..<count) { _, g in c[g] &+= 1 }
            }
        }
        return counts
    }

    /// The non-null values of a numeric column as doubles, gathered by group: group g's values
    /// are `values[offsets[g]..<offsets[g + 1]]`, in row order (what `Column.doubles(rows:)`
    /// gives for the group's row list).
    public func doublesByGroup(_ column: Column) -> (values: [Double], offsets: [Int]) {
        let counts = nonNullCounts(column)
        return (gather(column, groups: 0..<groupCount, counts: counts), offsets(counts, 0..<groupCount))
    }

    /// Where each of `groups` starts in a gathering of their values (and where the last ends).
    private func offsets(_ counts: [Int], _ groups: Range<Int>) -> [Int] {
        var offsets = [0]
        for g in groups { offsets.append(offsets.last! + counts[g]) }
        return offsets
    }

    /// The non-null values of the groups `groups` (consecutive ids), group by group in row order.
    private func gather(_ column: Column, groups: Range<Int>, counts: [Int]) -> [Double] {
        let flags = column.valid.flags
        var next = offsets(counts, groups)
        let total = next.last!
        let first = groups.lowerBound
        let all = groups == 0..<groupCount
        return [Double](unsafeUninitializedCapacity: total) { out, initialized in
            let base = out.baseAddress
            next.withUnsafeMutableBufferPointer { next in
                // One specialised loop per width of the words and of the group ids (`eachRow`).
                @inline(__always)
                func place(_ value: (Int) -> Double) {
                    @inline(__always)
                    func take(_ r: Int, _ g: Int, _ ok: Bool) {
                        if (all || groups.contains(g)) && ok {
                            (base! + next[g &- first]).initialize(to: value(r))
                            next[g &- first] &+= 1
                        }
                    }
                    if let flags {
                        flags.withUnsafeBufferPointer { f in eachRow(0..<count) { r, g in take(r, g, f[r]) } }
                    } else {
                        eachRow(0..<count) { r, g in take(r, g, true) }
                    }
                }
                @inline(__always)
                func packed<W: FixedWidthInteger>(_ words: UnsafeBufferPointer<W>, _ offset: Int64) {
                    place { r in Double(offset &+ Int64(truncatingIfNeeded: words[r])) }
                }
                switch column.storage {
                case .int(let v):
                    switch v.words {
                    case .u8(let a): a.withUnsafeBufferPointer { packed($0, v.base) }
                    case .u16(let a): a.withUnsafeBufferPointer { packed($0, v.base) }
                    case .u32(let a): a.withUnsafeBufferPointer { packed($0, v.base) }
                    case .i64(let a): a.withUnsafeBufferPointer { packed($0, v.base) }
                    }
                case .decimal(let v):
                    v.withUnsafeBufferPointer { v in place { r in v[r] } }
                default:
                    break
                }
            }
            initialized = total
        }
    }

    /// The p-th percentile of each group's non-null values of a numeric column: what
    /// `Statistics.percentile` gives for the group's values in row order.
    public func percentiles(_ column: Column, p: Double) -> [Double?] {
        percentiles(column, ps: [p])[0]
    }

    /// For each p of `ps`, the p-th percentile of each group's non-null values of a numeric column
    /// (`result[i][g]` for `ps[i]` and group g): what `Statistics.percentile` gives for the group's
    /// values in row order, to the bit.
    ///
    /// Why in batches: gathering every value at once takes 8 bytes a row (400 MB at 50M rows,
    /// on top of the columns); the groups are gathered a batch at a time instead, each batch one
    /// pass over the group ids, holding at most 8M values (64 MB) or two of the largest group.
    ///
    /// Why several p at once (issue 20): a report's median and 90th percentile of one column used
    /// to gather the same values twice and select each from its own copy; here each batch is
    /// gathered once and every rank is selected in place (`Statistics.percentiles`).
    ///
    /// A batch's groups are selected side by side when it holds a million values or more
    /// (`HelpedLoop`): each group's ranks depend on its own values alone.
    public func percentiles(_ column: Column, ps: [Double]) -> [[Double?]] {
        percentiles(column, ps: ps, budget: 1 << 24)
    }

    /// `percentiles(_:ps:)` with batches of at most `budget` values (or two of the largest group):
    /// 16M values (128 MB) outside the tests. (It was 8M: a 10M-row column then took two passes
    /// over the group ids, one per batch.)
    func percentiles(_ column: Column, ps: [Double], budget: Int) -> [[Double?]] {
        let counts = nonNullCounts(column)
        let budget = max(budget, 2 * (counts.max() ?? 0))
        var out = ps.map { _ -> [Double?] in
            var a: [Double?] = []
            a.reserveCapacity(groupCount)
            return a
        }
        var start = 0
        while start < groupCount {
            var end = start
            var size = 0
            while end < groupCount, end == start || size + counts[end] <= budget {
                size += counts[end]
                end += 1
            }
            var values = gather(column, groups: start..<end, counts: counts)
            let starts = offsets(counts, start..<end)
            var found = [[Double?]](repeating: [], count: end - start)
            values.withUnsafeMutableBufferPointer { values in
                found.withUnsafeMutableBufferPointer { found in
                    // Each item reads and rearranges its own group's values and writes its own slot.
                    let shared = Shared(values: values, found: found)
                    let select: @Sendable (Int) -> Void = { i in
                        let group = UnsafeMutableBufferPointer(
                            rebasing: shared.values[starts[i]..<starts[i + 1]])
                        shared.found[i] = Statistics.percentiles(group, ps)
                    }
                    if size >= 1 << 20 {
                        HelpedLoop.run(end - start, select)
                    } else {
                        for i in 0..<(end - start) { select(i) }
                    }
                }
            }
            for groupFound in found {
                for (i, x) in groupFound.enumerated() { out[i].append(x) }
            }
            start = end
        }
        return out
    }
}

/// Buffers that the items of a `HelpedLoop` share, each item touching its own part only.
private struct Shared: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>
    let found: UnsafeMutableBufferPointer<[Double?]>
}

/// A calculator that can also compute from a group id per row, in one sequential pass.
///
/// The engine uses it when every row list it would otherwise build is not needed; it must give
/// exactly what `compute` gives for the same groups. Returning `nil` (a column type the one-pass
/// form does not handle) makes the engine fall back to `compute` with row lists.
public protocol OnePassCalculator: Calculator {
    func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]?
}

/// A calculator whose result for a group is a percentile of one numeric column's non-null values
/// (`median`, `percentile`): `GroupedRows.percentiles(column, p:)` mapped by `Value.finite` is its
/// one-pass result, and its result over row lists is the same.
///
/// Why it exists (issue 20): the engine selects every percentile a report asks of one column
/// (median and p90, say) from one gathering of the values (`GroupedRows.percentiles(_:ps:)`)
/// instead of one gathering and one copy per metric.
public protocol QuantileCalculator: OnePassCalculator {
    /// The column and the percentile (0–100) a metric with these parameters computes; nil when
    /// they are not valid (the calculator's `compute` then says why).
    func quantile(_ parameters: MetricParameters) -> (column: String, p: Double)?
}

extension Statistics {
    /// The exact sum of an int column per group (`Statistics.exactSum` per group, in one pass),
    /// or nil when the column is not an int column.
    public static func exactSums(_ column: Column, _ grouped: GroupedRows, metric: String = "sum")
        throws(CalculatorError) -> [Value]?
    {
        guard let (totals, counts) = intSums(column, grouped) else { return nil }
        var out: [Value] = []
        out.reserveCapacity(grouped.groupCount)
        for g in 0..<grouped.groupCount {
            guard counts[g] > 0 else {
                out.append(.null)
                continue
            }
            guard let exact = Int64(exactly: totals[g]) else {
                throw CalculatorError(
                    "the \(metric) of column '\(column.name)' overflows 64-bit integers (beyond ±9.2 × 10^18)",
                    parameter: "column")
            }
            out.append(.int(exact))
        }
        return out
    }

    /// The 128-bit sum and the count of the non-null cells of an int column, per group; nil for
    /// any other column type.
    public static func intSums(_ column: Column, _ grouped: GroupedRows) -> (sums: [Int128], counts: [Int])? {
        intSums(column, grouped, chunk: 1 << 31)
    }

    /// `intSums` with the 64-bit sums moved into the 128-bit totals every `chunk` rows (at most
    /// 2^31; the tests make it small).
    static func intSums(_ column: Column, _ grouped: GroupedRows, chunk: Int) -> (sums: [Int128], counts: [Int])? {
        guard case .int(let values) = column.storage else { return nil }
        let groups = grouped.groupCount
        var sums = [Int128](repeating: 0, count: groups)
        var counts = [Int](repeating: 0, count: groups)
        // Fast path (issue 20): 64-bit adds, exact. Words are summed as they are (narrow and
        // unsigned) and each group's base added once per counted cell at the end: the same exact
        // total as adding the values. A narrow word is below 2^32, so a 64-bit sum of fewer than
        // 2^32 of them cannot wrap; 8-byte words are split into their low 32 bits (unsigned) and
        // their high 32 (signed), whose 64-bit sums cannot wrap either. The 64-bit sums are moved
        // into the 128-bit totals every 2^31 rows. Why: a 128-bit add per cell, with the
        // overflow-checked count and a closure call per row (`forEach`), was 3.4 % of a 10M-row
        // run's CPU; overflow is still found exactly where it was (`exactSums` on the total).
        var low = [UInt64](repeating: 0, count: groups)
        var high = [Int64](repeating: 0, count: groups)
        let flags = column.valid.flags
        func add<W: FixedWidthInteger>(_ v: UnsafeBufferPointer<W>) {
            low.withUnsafeMutableBufferPointer { lo in
                high.withUnsafeMutableBufferPointer { hi in
                    counts.withUnsafeMutableBufferPointer { c in
                        // `bit` is 1 for a cell to count, 0 for a null: the value is masked with
                        // it, not chosen by it. Why: `ok ? value : 0` compiled to a branch per
                        // cell, mispredicted at every null in no pattern (a nullable column's
                        // passes spent a quarter of their samples recovering from it).
                        @inline(__always)
                        func take(_ r: Int, _ g: Int, _ bit: UInt64) {
                            let mask = 0 &- bit
                            if W.bitWidth < 64 {
                                lo[g] &+= UInt64(truncatingIfNeeded: v[r]) & mask
                            } else {
                                let x = Int64(bitPattern: UInt64(truncatingIfNeeded: v[r]) & mask)
                                lo[g] &+= UInt64(truncatingIfNeeded: x) & 0xFFFF_FFFF
                                hi[g] &+= x >> 32
                            }
                            c[g] &+= Int(truncatingIfNeeded: bit)
                        }
                        var start = 0
                        while start < grouped.count {
                            let end = min(grouped.count, start + chunk)
                            if let flags {
                                // A Bool is one byte holding 0 or 1.
                                flags.withUnsafeBufferPointer { f in
                                    f.withMemoryRebound(to: UInt8.self) { f in
                                        grouped.eachRow(start..<end) { r, g in take(r, g, UInt64(f[r])) }
                                    }
                                }
                            } else {
                                grouped.eachRow(start..<end) { r, g in take(r, g, 1) }
                            }
                            for g in 0..<groups {
                                sums[g] += Int128(hi[g]) << 32 + Int128(lo[g])
                                lo[g] = 0
                                hi[g] = 0
                            }
                            start = end
                        }
                    }
                }
            }
        }
        switch values.words {
        case .u8(let a): a.withUnsafeBufferPointer(add)
        case .u16(let a): a.withUnsafeBufferPointer(add)
        case .u32(let a): a.withUnsafeBufferPointer(add)
        case .i64(let a): a.withUnsafeBufferPointer(add)
        }
        if values.base != 0 {
            for g in sums.indices { sums[g] += Int128(values.base) * Int128(counts[g]) }
        }
        return (sums, counts)
    }

    /// The plain per-group sums `intSums` replaced: a 128-bit add per cell (the reference of the
    /// tests).
    static func intSumsPlain(_ column: Column, _ grouped: GroupedRows) -> (sums: [Int128], counts: [Int])? {
        guard case .int(let values) = column.storage else { return nil }
        var sums = [Int128](repeating: 0, count: grouped.groupCount)
        var counts = [Int](repeating: 0, count: grouped.groupCount)
        try? grouped.forEach { r, g in
            if column.valid[r] {
                sums[g] += Int128(values[r])
                counts[g] += 1
            }
        }
        return (sums, counts)
    }
}
