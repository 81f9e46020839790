/// The count, sum and sum of squares of an integer column's values, exact (a 128-bit sum, a
/// 256-bit sum of squares), and the sample standard deviation computed from them by one formula.
///
/// The engine's `stddev` of an int column and a database that gives the same three integers (its
/// exact `count`, `sum` and `sum(x * x)` as numeric) therefore give the same double, to the last
/// digit, whatever order the rows come in.
public struct IntegerMoments: Sendable, Equatable {
    public private(set) var count: Int = 0
    public private(set) var sum: Int128 = 0
    /// Σx² as a 256-bit unsigned integer: high and low halves.
    public private(set) var squaresHigh: UInt128 = 0
    public private(set) var squaresLow: UInt128 = 0

    public init() {}

    /// Adds one value.
    public mutating func add(_ x: Int64) {
        count += 1
        sum += Int128(x)
        let magnitude = UInt128(x.magnitude)
        let (low, carry) = squaresLow.addingReportingOverflow(magnitude * magnitude)
        squaresLow = low
        if carry { squaresHigh += 1 }
    }

    /// The moments as a database gives them: decimal texts of the count, the sum and the sum of
    /// squares; nil when one is not an integer of its range (a sum past 128 bits, a sum of squares
    /// past 256).
    public init?(count: String, sum: String, squares: String) {
        guard let n = Int(count), n >= 0, let s = Int128(sum), let q = Self.parse(squares) else { return nil }
        self.count = n
        self.sum = s
        (squaresHigh, squaresLow) = q
    }

    /// The sample standard deviation (n − 1); nil for fewer than two values or when n·Σx² passes
    /// 256 bits. Computed as √((n·Σx² − (Σx)²) / (n·(n − 1))), the numerator exact.
    public var sampleStandardDeviation: Double? {
        guard count > 1 else { return nil }
        let n = UInt128(count)
        // n · Σx², 256 bits.
        let (h1, l1) = n.multipliedFullWidth(by: squaresLow)
        let (h2, l2) = n.multipliedFullWidth(by: squaresHigh)
        guard h2 == 0 else { return nil }
        let (high, overflow) = h1.addingReportingOverflow(l2)
        guard !overflow else { return nil }
        // (Σx)², 256 bits.
        let (sh, sl) = sum.magnitude.multipliedFullWidth(by: sum.magnitude)
        // n·Σx² − (Σx)² ≥ 0 (Cauchy–Schwarz).
        let (low, borrow) = l1.subtractingReportingOverflow(sl)
        let top = high &- sh &- (borrow ? 1 : 0)
        let numerator = Double(top) * 0x1p128 + Double(low)
        let denominator = Double(count) * Double(count - 1)
        return (numerator / denominator).squareRoot()
    }

    /// A non-negative decimal integer as 256 bits (high, low); nil past 256 bits or on any other
    /// character.
    static func parse(_ text: String) -> (UInt128, UInt128)? {
        guard !text.isEmpty else { return nil }
        var high: UInt128 = 0
        var low: UInt128 = 0
        for byte in text.utf8 {
            guard byte >= 48, byte <= 57 else { return nil }
            // (high, low) · 10 + digit
            let (lh, ll) = low.multipliedFullWidth(by: 10)
            let (hh, hl) = high.multipliedFullWidth(by: 10)
            guard hh == 0 else { return nil }
            let (newLow, carry) = ll.addingReportingOverflow(UInt128(byte - 48))
            let (h, o1) = hl.addingReportingOverflow(lh)
            let (newHigh, o2) = h.addingReportingOverflow(carry ? 1 : 0)
            guard !o1, !o2 else { return nil }
            high = newHigh
            low = newLow
        }
        return (high, low)
    }
}
