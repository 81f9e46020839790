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
    /// appearance; `nil` when every row is in group 0.
    public let groupOf: [Int32]?
    public let groupCount: Int

    public init(rows: [Int]?, count: Int, groupOf: [Int32]?, groupCount: Int) {
        self.rows = rows
        self.count = count
        self.groupOf = groupOf
        self.groupCount = groupCount
    }

    /// The same rows as one group (the totals row).
    public var asOneGroup: GroupedRows { GroupedRows(rows: rows, count: count, groupOf: nil, groupCount: 1) }

    /// Calls `body(row, group)` for every row, in ascending row order.
    @inlinable
    public func forEach(_ body: (Int, Int) throws(CalculatorError) -> Void) throws(CalculatorError) {
        switch (rows, groupOf) {
        case (nil, nil):
            for r in 0..<count { try body(r, 0) }
        case (nil, let g?):
            try g.withUnsafeBufferPointer { g throws(CalculatorError) in
                for r in 0..<count { try body(r, Int(g[r])) }
            }
        case (let rows?, nil):
            for r in rows { try body(r, 0) }
        case (let rows?, let g?):
            try g.withUnsafeBufferPointer { g throws(CalculatorError) in
                for (i, r) in rows.enumerated() { try body(r, Int(g[i])) }
            }
        }
    }

    /// The number of rows in each group.
    public func sizes() -> [Int] {
        var sizes = [Int](repeating: 0, count: groupCount)
        guard let groupOf else {
            if groupCount > 0 { sizes[0] = count }
            return sizes
        }
        sizes.withUnsafeMutableBufferPointer { s in
            for g in groupOf { s[Int(g)] += 1 }
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
        case (nil, let g?): for r in 0..<count { lists[Int(g[r])].append(r) }
        case (let rows?, let g?): for (i, r) in rows.enumerated() { lists[Int(g[i])].append(r) }
        }
        return lists
    }

    /// The non-null values of a numeric column as doubles, gathered by group: group g's values
    /// are `values[offsets[g]..<offsets[g + 1]]`, in row order (what `Column.doubles(rows:)`
    /// gives for the group's row list).
    public func doublesByGroup(_ column: Column) -> (values: [Double], offsets: [Int]) {
        var counts = [Int](repeating: 0, count: groupCount + 1)
        switch column.storage {
        case .int, .decimal: break
        // Only numeric columns have values to gather.
        default: return ([], counts)
        }
        // First pass: the non-null cells of each group; second: each value into its place.
        column.valid.withUnsafeBufferPointer { valid in
            counts.withUnsafeMutableBufferPointer { c in
                try? forEach { r, g in if valid[r] { c[g + 1] += 1 } }
            }
        }
        for g in 0..<groupCount { counts[g + 1] += counts[g] }
        let offsets = counts
        var next = counts
        let total = counts[groupCount]
        let values = [Double](unsafeUninitializedCapacity: total) { out, initialized in
            let base = out.baseAddress
            column.valid.withUnsafeBufferPointer { valid in
                next.withUnsafeMutableBufferPointer { next in
                    switch column.storage {
                    case .int(let v):
                        v.withUnsafeBufferPointer { v in
                            try? forEach { r, g in
                                if valid[r] {
                                    (base! + next[g]).initialize(to: Double(v[r]))
                                    next[g] += 1
                                }
                            }
                        }
                    case .decimal(let v):
                        v.withUnsafeBufferPointer { v in
                            try? forEach { r, g in
                                if valid[r] {
                                    (base! + next[g]).initialize(to: v[r])
                                    next[g] += 1
                                }
                            }
                        }
                    default:
                        break
                    }
                }
            }
            initialized = total
        }
        return (values, offsets)
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
        values.withUnsafeBufferPointer { v in
            column.valid.withUnsafeBufferPointer { valid in
                sums.withUnsafeMutableBufferPointer { s in
                    counts.withUnsafeMutableBufferPointer { c in
                        try? grouped.forEach { r, g in
                            if valid[r] {
                                s[g] += Int128(v[r])
                                c[g] += 1
                            }
                        }
                    }
                }
            }
        }
        return (sums, counts)
    }
}
