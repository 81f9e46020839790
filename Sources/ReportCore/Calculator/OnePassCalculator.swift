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
        guard let groupOf else {
            if let rows {
                for r in rows { try body(r, 0) }
            } else {
                for r in 0..<count { try body(r, 0) }
            }
            return
        }
        // One loop per width of the ids; the base of group ids is 0 or another whole number.
        let base = Int(groupOf.base)
        func each<W: FixedWidthInteger>(_ g: UnsafeBufferPointer<W>) throws(CalculatorError) {
            if let rows {
                for (i, r) in rows.enumerated() { try body(r, base &+ Int(truncatingIfNeeded: g[i])) }
            } else {
                for r in 0..<count { try body(r, base &+ Int(truncatingIfNeeded: g[r])) }
            }
        }
        switch groupOf.words {
        case .u8(let a): try a.withUnsafeBufferPointer { g throws(CalculatorError) in try each(g) }
        case .u16(let a): try a.withUnsafeBufferPointer { g throws(CalculatorError) in try each(g) }
        case .u32(let a): try a.withUnsafeBufferPointer { g throws(CalculatorError) in try each(g) }
        case .i64(let a): try a.withUnsafeBufferPointer { g throws(CalculatorError) in try each(g) }
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
            try? forEach { _, g in s[g] += 1 }
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
        default: try? forEach { r, g in lists[g].append(r) }
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
        let flags = column.valid.flags
        counts.withUnsafeMutableBufferPointer { c in
            if let flags {
                try? forEach { r, g in if flags[r] { c[g] += 1 } }
            } else {
                try? forEach { _, g in c[g] += 1 }
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
                func place(_ value: (Int) -> Double) {
                    try? forEach { r, g in
                        if (all || groups.contains(g)) && (flags?[r] ?? true) {
                            (base! + next[g - first]).initialize(to: value(r))
                            next[g - first] += 1
                        }
                    }
                }
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
    ///
    /// Why in batches: gathering every value at once takes 8 bytes a row (400 MB at 50M rows,
    /// on top of the columns); the groups are gathered a batch at a time instead, each batch one
    /// pass over the group ids, holding at most 8M values (64 MB) or two of the largest group.
    public func percentiles(_ column: Column, p: Double) -> [Double?] {
        let counts = nonNullCounts(column)
        let budget = max(1 << 23, 2 * (counts.max() ?? 0))
        var out: [Double?] = []
        out.reserveCapacity(groupCount)
        var start = 0
        while start < groupCount {
            var end = start
            var size = 0
            while end < groupCount, end == start || size + counts[end] <= budget {
                size += counts[end]
                end += 1
            }
            let values = gather(column, groups: start..<end, counts: counts)
            var offset = 0
            for g in start..<end {
                out.append(Statistics.percentile(Array(values[offset..<offset + counts[g]]), p: p))
                offset += counts[g]
            }
            start = end
        }
        return out
    }
}

/// A calculator that can also compute from a group id per row, in one sequential pass.
///
/// The engine uses it when every row list it would otherwise build is not needed; it must give
/// exactly what `compute` gives for the same groups. Returning `nil` (a column type the one-pass
/// form does not handle) makes the engine fall back to `compute` with row lists.
public protocol OnePassCalculator: Calculator {
    func compute(_ input: CalculatorInput, grouped: GroupedRows) throws(CalculatorError) -> [Value]?
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
        guard case .int(let values) = column.storage else { return nil }
        var sums = [Int128](repeating: 0, count: grouped.groupCount)
        var counts = [Int](repeating: 0, count: grouped.groupCount)
        // Words are summed as they are (narrow and unsigned) and each group's base added once per
        // counted cell at the end: the same exact total as adding the values.
        let flags = column.valid.flags
        func add<W: FixedWidthInteger>(_ v: UnsafeBufferPointer<W>) {
            sums.withUnsafeMutableBufferPointer { s in
                counts.withUnsafeMutableBufferPointer { c in
                    if let flags {
                        try? grouped.forEach { r, g in
                            if flags[r] {
                                s[g] += Int128(v[r])
                                c[g] += 1
                            }
                        }
                    } else {
                        try? grouped.forEach { r, g in
                            s[g] += Int128(v[r])
                            c[g] += 1
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
}
