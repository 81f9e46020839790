/// Numeric helpers shared by the built-in calculators.
public enum Statistics {
    /// The exact sum of an int column over `rows`, or null when every cell is null.
    /// - Throws: `CalculatorError` when the sum leaves the 64-bit range (never wraps, never rounds).
    public static func exactSum(_ column: Column, rows: [Int], metric: String = "sum") throws(CalculatorError) -> Value
    {
        guard case .int(let values) = column.storage else {
            guard let total = decimalSum(column, rows: rows), total.isFinite else { return .null }
            return .decimal(total)
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
        return decimalSum(column, rows: rows)
    }

    /// The sum of a decimal column's non-null cells over `rows`, exact for decimal figures: each
    /// cell is read back as the decimal it was written as (a whole number of 10^-k, k ≤ 15) and
    /// those are added as integers, so 0.1 + 0.2 is 0.3 and a column of amounts in đồng with
    /// cents sums to the cent. Cells that are no such decimal (more than 15 fraction digits, or
    /// beyond 2^53 once scaled) are added with Neumaier's compensated sum instead.
    public static func decimalSum(_ column: Column, rows: [Int]) -> Double? {
        guard case .decimal(let values) = column.storage else { return nil }
        var scale = 0
        var total: Int128 = 0
        var any = false
        var exact = true
        for r in rows where column.valid[r] {
            any = true
            let x = values[r]
            var k = scale
            while true {
                let scaled = x * powersOfTen[k]
                guard abs(scaled) < 9_007_199_254_740_992 else {
                    exact = false
                    break
                }
                let n = scaled.rounded()
                if n / powersOfTen[k] == x {
                    if k > scale {
                        for _ in scale..<k { total *= 10 }
                        scale = k
                    }
                    total += Int128(n)
                    break
                }
                k += 1
                if k == powersOfTen.count {
                    exact = false
                    break
                }
            }
            if !exact { break }
        }
        guard any else { return nil }
        if exact { return Double(total) / powersOfTen[scale] }
        // Neumaier: the rounding error of each addition is carried and added back at the end.
        var sum = 0.0
        var carry = 0.0
        for r in rows where column.valid[r] {
            let x = values[r]
            let t = sum + x
            carry += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
            sum = t
        }
        return sum + carry
    }

    /// 10^0 … 10^15, each exact in a double.
    private static let powersOfTen: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

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
        var n = 0
        for r in rows where column.valid[r] { n += 1 }
        guard n > 0, let total = decimalSum(column, rows: rows) else { return .null }
        return Value.finite(total / Double(n))
    }

    /// The p-th percentile (0–100) by linear interpolation between closest ranks: numpy's default
    /// `linear` method, SQL's `quantile_cont`.
    ///
    /// Uses selection (expected linear time), not a full sort. A zero result is +0 (`+ 0`): which
    /// of -0 and 0 a selection lands on depends on how the values were rearranged before, and
    /// `percentiles(_:_:)` must give the same bits as this (both are written `0`).
    public static func percentile(_ values: [Double], p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        var xs = values
        let position = p / 100 * Double(xs.count - 1)
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        let a = select(&xs, lower)
        guard fraction > 0, lower + 1 < xs.count else { return a + 0 }
        // After selecting `lower`, every element right of it is >= a: the next rank is their minimum.
        var b = xs[lower + 1]
        for x in xs[(lower + 1)...] where x < b { b = x }
        return a + (b - a) * fraction + 0
    }

    /// The p-th percentile of `xs` for each p of `ps`, each what `percentile(_:p:)` gives (the
    /// same bits); may rearrange `xs`. Nil for each p when `xs` is empty.
    ///
    /// Fast path (issue 20): the median and the 90th percentile of one column used to be gathered
    /// and selected each from a fresh copy of the values. Here every rank the ps need (the rank
    /// below each p, and the one above when it interpolates) comes from one buffer at once
    /// (`rankValues`), and nothing is copied.
    static func percentiles(_ xs: UnsafeMutableBufferPointer<Double>, _ ps: [Double]) -> [Double?] {
        var out = [Double?](repeating: nil, count: ps.count)
        let n = xs.count
        guard n > 0 else { return out }
        // Each p's rank below and the fraction towards the next (0 when it needs no other).
        let positions = ps.map { p -> (lower: Int, fraction: Double) in
            let position = p / 100 * Double(n - 1)
            let lower = Int(position.rounded(.down))
            let fraction = position - Double(lower)
            return (lower, fraction > 0 && lower + 1 < n ? fraction : 0)
        }
        let ranks = Set(positions.flatMap { $0.fraction > 0 ? [$0.lower, $0.lower + 1] : [$0.lower] }).sorted()
        let values = rankValues(xs, ranks)
        func value(_ rank: Int) -> Double { values[ranks.firstIndex(of: rank)!] }
        for (i, (lower, fraction)) in positions.enumerated() {
            let a = value(lower)
            out[i] = fraction > 0 ? a + (value(lower + 1) - a) * fraction + 0 : a + 0
        }
        return out
    }

    /// The value of each rank of `ranks` (ascending, each in `0..<xs.count`) in `xs`: the k-th
    /// smallest, as `select` gives it; may rearrange `xs`.
    ///
    /// Fast path (issue 20): for many values, a sample of them is sorted, each rank gets a
    /// bracket of two sample values that its value lies between with near certainty, and one
    /// pass over `xs` counts the values below each bracket and copies out those inside it (a few
    /// percent); the rank is then selected within its bracket's values. Why: the quickselect's
    /// partitioning compares every value with a pivot in a branch the CPU cannot predict, over
    /// several passes (3.6 % of a 10M-row run's CPU for one median and one 90th percentile); the
    /// counting pass has no such branch. A rank whose value falls outside its bracket (a sample
    /// that missed, as a file sorted to defeat it could make happen) is selected as before, so
    /// the outcome never depends on the sample. `rankValuesBySelection` is the plain path and
    /// the tests' reference.
    static func rankValues(_ xs: UnsafeMutableBufferPointer<Double>, _ ranks: [Int]) -> [Double] {
        let n = xs.count
        guard n >= 16_384, ranks.count <= 8 else { return rankValuesBySelection(xs, ranks) }
        // The sample: evenly spaced values (no randomness: the same values, the same result).
        let size = min(n / 8, 32_768)
        let step = n / size
        var sample = (0..<size).map { xs[$0 * step + step / 2] }
        sample.sort()
        // Each rank's bracket: the sample values about four standard deviations of the sample
        // rank around where the rank falls in the sample (infinite at the sample's ends).
        var lows: [Double] = []
        var highs: [Double] = []
        var bracketOf: [Int] = []
        for k in ranks {
            let q = Double(k) / Double(n - 1)
            let centre = q * Double(size - 1)
            let spread = 4 * (Double(size) * q * (1 - q)).squareRoot() + 16
            let lowIndex = Int((centre - spread).rounded(.down))
            let highIndex = Int((centre + spread).rounded(.up))
            let low = lowIndex <= 0 ? -Double.infinity : sample[lowIndex]
            let high = highIndex >= size - 1 ? Double.infinity : sample[highIndex]
            if let last = lows.indices.last, lows[last] == low, highs[last] == high {
                bracketOf.append(last)
            } else {
                lows.append(low)
                highs.append(high)
                bracketOf.append(lows.count - 1)
            }
        }
        // One pass: below each bracket, counted without a branch; inside it, copied out (room
        // for an eighth of the values each; a bracket that needs more is given up).
        let brackets = lows.count
        let room = n / 8 + 64
        let inside = UnsafeMutablePointer<Double>.allocate(capacity: room * brackets)
        defer { inside.deallocate() }
        var below = [Int](repeating: 0, count: brackets)
        var counts = [Int](repeating: 0, count: brackets)
        var full = [Bool](repeating: false, count: brackets)
        for j in 0..<brackets {
            let (under, count) = Self.bracketPass(xs, low: lows[j], high: highs[j], into: inside + j * room, room: room)
            if count == room { full[j] = true }
            below[j] = under
            counts[j] = count
        }
        var values = [Double](repeating: 0, count: ranks.count)
        var missed = false
        for (i, k) in ranks.enumerated() {
            let j = bracketOf[i]
            let r = k - below[j]
            guard !full[j], r >= 0, r < counts[j] else {
                missed = true
                break
            }
            values[i] = select(UnsafeMutableBufferPointer(start: inside + j * room, count: counts[j]), from: 0, r)
        }
        return missed ? rankValuesBySelection(xs, ranks) : values
    }

    /// How many of `xs` are below `low`, and those in `low...high` copied to `out` in order, up
    /// to `room` of them (the count is `room` when there may be more: the pass stops there).
    ///
    /// Four values at a time as vectors (issue 20): written as a loop over single values, the
    /// compiler turned the count of values below into a branch per value, which a median's
    /// bracket takes for half the values in no pattern: 60 % of `rankValues`' samples were that
    /// branch. A value inside the bracket (a few percent) is copied one at a time. NaN is neither
    /// below nor inside, as with the single-value comparisons.
    static func bracketPass(
        _ xs: UnsafeMutableBufferPointer<Double>, low: Double, high: Double, into out: UnsafeMutablePointer<Double>,
        room: Int
    ) -> (below: Int, count: Int) {
        let n = xs.count
        guard let base = xs.baseAddress else { return (0, 0) }
        let lows = SIMD4<Double>(repeating: low)
        let highs = SIMD4<Double>(repeating: high)
        var under = SIMD4<Int64>()
        var count = 0
        var i = 0
        while i &+ 4 <= n {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD4<Double>.self)
            let isBelow = v .< lows
            under &+= SIMD4<Int64>().replacing(with: 1, where: isBelow)
            let isInside = .!isBelow .& (v .<= highs)
            if any(isInside) {
                for k in 0..<4 where isInside[k] {
                    if count == room { return (0, room) }
                    out[count] = v[k]
                    count &+= 1
                }
            }
            i &+= 4
        }
        var rest = 0
        while i < n {
            let x = base[i]
            if x < low {
                rest &+= 1
            } else if x <= high {
                if count == room { return (0, room) }
                out[count] = x
                count &+= 1
            }
            i &+= 1
        }
        return (Int(under.wrappedSum()) &+ rest, count)
    }

    /// `rankValues` by selection in place: each rank selected within the part above the last (a
    /// selection of rank k leaves every larger rank right of k).
    static func rankValuesBySelection(_ xs: UnsafeMutableBufferPointer<Double>, _ ranks: [Int]) -> [Double] {
        var selected = -1
        return ranks.map { k in
            let v = select(xs, from: selected + 1, k)
            selected = k
            return v
        }
    }

    /// Rearranges `xs` so that `xs[k]` is the k-th smallest, smaller ones before it and larger after
    /// (Hoare's quickselect with a median-of-three pivot).
    static func select(_ xs: inout [Double], _ k: Int) -> Double {
        xs.withUnsafeMutableBufferPointer { select($0, from: 0, k) }
    }

    /// `select` within `xs[start...]` (which must hold the ranks `start...` of `xs`): `xs[k]`
    /// becomes the k-th smallest of `xs`. On a buffer: no bounds or uniqueness check per swap.
    static func select(_ xs: UnsafeMutableBufferPointer<Double>, from start: Int, _ k: Int) -> Double {
        var low = start
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
                while xs[i] < pivot { i &+= 1 }
                while pivot < xs[j] { j &-= 1 }
                if i <= j {
                    xs.swapAt(i, j)
                    i &+= 1
                    j &-= 1
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
