/// Numeric helpers shared by the built-in calculators.
public enum Statistics {
    /// The exact sum of an int column over `rows`, or null when every cell is null.
    /// - Throws: `CalculatorError` when the sum leaves the 64-bit range (never wraps, never rounds).
    public static func exactSum(_ column: Column, rows: [Int], metric: String = "sum") throws(CalculatorError) -> Value
    {
        guard case .int(let values) = column.storage else {
            var total = 0.0
            var any = false
            for r in rows { if let v = column.double(at: r) { total += v; any = true } }
            return any ? Value.finite(total) : .null
        }
        // A 128-bit accumulator cannot overflow on fewer than 2^64 rows, so only the final total is
        // checked: 9e18 + 9e18 - 9e18 is 9e18, as SQL engines with wide accumulators answer.
        var total: Int128 = 0
        var any = false
        for r in rows where column.valid[r] {
            total += Int128(values[r])
            any = true
        }
        guard any else { return .null }
        guard let exact = Int64(exactly: total) else {
            throw CalculatorError(
                "the \(metric) of column '\(column.name)' overflows 64-bit integers (beyond ±9.2 × 10^18)",
                parameter: "column")
        }
        return .int(exact)
    }

    /// The sum of a numeric column as an exact integer (int columns) or a double, for ratios and shares.
    public static func sumAsDouble(_ column: Column, rows: [Int]) -> Double? {
        if case .int(let values) = column.storage {
            var total: Int128 = 0
            var any = false
            for r in rows where column.valid[r] {
                total += Int128(values[r])
                any = true
            }
            return any ? Double(total) : nil
        }
        var total = 0.0
        var any = false
        for r in rows { if let v = column.double(at: r) { total += v; any = true } }
        return any ? total : nil
    }

    /// The arithmetic mean of the non-null cells; exact accumulation for int columns.
    public static func mean(_ column: Column, rows: [Int]) -> Value {
        if case .int(let values) = column.storage {
            var total: Int128 = 0
            var n = 0
            for r in rows where column.valid[r] {
                total += Int128(values[r])
                n += 1
            }
            return n == 0 ? .null : Value.finite(Double(total) / Double(n))
        }
        let xs = column.doubles(rows: rows)
        return xs.isEmpty ? .null : Value.finite(xs.reduce(0, +) / Double(xs.count))
    }

    /// The p-th percentile (0–100) by linear interpolation between closest ranks: numpy's default
    /// `linear` method, SQL's `quantile_cont`.
    ///
    /// Uses selection (expected linear time), not a full sort.
    public static func percentile(_ values: [Double], p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        var xs = values
        let position = p / 100 * Double(xs.count - 1)
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        let a = select(&xs, lower)
        guard fraction > 0, lower + 1 < xs.count else { return a }
        // After selecting `lower`, every element right of it is >= a: the next rank is their minimum.
        var b = xs[lower + 1]
        for x in xs[(lower + 1)...] where x < b { b = x }
        return a + (b - a) * fraction
    }

    /// Rearranges `xs` so that `xs[k]` is the k-th smallest, smaller ones before it and larger after
    /// (Hoare's quickselect with a median-of-three pivot).
    static func select(_ xs: inout [Double], _ k: Int) -> Double {
        var low = 0
        var high = xs.count - 1
        while low < high {
            let mid = low + (high - low) / 2
            if xs[mid] < xs[low] { xs.swapAt(mid, low) }
            if xs[high] < xs[low] { xs.swapAt(high, low) }
            if xs[high] < xs[mid] { xs.swapAt(high, mid) }
            let pivot = xs[mid]
            var i = low
            var j = high
            while i <= j {
                while xs[i] < pivot { i += 1 }
                while pivot < xs[j] { j -= 1 }
                if i <= j {
                    xs.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return xs[k]
            }
        }
        return xs[k]
    }

    /// The sample standard deviation (n − 1); null for fewer than two values.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double? {
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        var squares = 0.0
        for x in values { squares += (x - mean) * (x - mean) }
        return (squares / Double(values.count - 1)).squareRoot()
    }
}
