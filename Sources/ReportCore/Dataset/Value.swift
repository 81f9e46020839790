import Foundation

/// One typed cell or calculator result.
///
/// `null` stands for an empty cell or an undefined result (a ratio over zero, the growth of a first
/// period); outputs write it as an empty CSV field and JSON `null`, never NaN or Infinity.
public enum Value: Sendable, Hashable {
    case null
    case int(Int64)
    case decimal(Double)
    case string(String)
    case bool(Bool)
    case date(Day)

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as a `Double`, for numeric comparisons and arithmetic; `nil` for non-numbers and null.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .decimal(let v): return v
        default: return nil
        }
    }

    /// A computed decimal result (a mean, a median, a ratio, a growth…), or null: rounded to
    /// `significantDigits` (SPEC, "Outputs": no binary noise such as `270500000.00000006` in any
    /// format), and never NaN or Infinity. Calculators use it for every result they compute;
    /// exact results (sums, minimum and maximum) are returned as they are.
    public static func finite(_ x: Double?) -> Value {
        guard let x, x.isFinite else { return .null }
        return .decimal(rounded(x))
    }

    /// Significant digits kept in a computed decimal result.
    public static let significantDigits = 15

    /// `x` rounded half-to-even to 15 significant digits: the double nearest to that decimal, so
    /// that its shortest form (`plainDecimal`) is at most 15 digits long. 15 is what a double
    /// always carries exactly through a decimal round trip, so a figure's last digits are
    /// never float noise from the order of operations.
    ///
    /// glibc's `printf` rounds the exact binary value (ties to even in the default rounding mode),
    /// which is the rounding the SPEC asks for; rounding the 17-digit shortest form instead would
    /// round twice.
    public static func rounded(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        // Integers up to 15 digits are already what the rounding gives.
        if x == x.rounded(), abs(x) < 1e15 { return x }
        return Double(String(format: "%.\(significantDigits - 1)e", x)) ?? x
    }
}

extension Value: Comparable {
    /// Orders values of one type; null sorts after everything (as `NULLS LAST`).
    public static func < (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, _): return false
        case (_, .null): return true
        case (.int(let a), .int(let b)): return a < b
        case (.string(let a), .string(let b)): return a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.bool(let a), .bool(let b)): return !a && b
        case (.date(let a), .date(let b)): return a < b
        default:
            return Value.numericOrder(lhs, rhs).map { $0 < 0 } ?? false
        }
    }

    /// -1, 0 or 1 as `a` is below, equal to or above `b`, for two numbers; exact across int and
    /// decimal (9007199254740993 is above 9007199254740992.0, which a conversion to Double would lose).
    public static func numericOrder(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.decimal(let x), .decimal(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .decimal(let y)): return compare(x, y)
        case (.decimal(let x), .int(let y)): return compare(y, x).map { -$0 }
        default: return nil
        }
    }

    private static func compare(_ i: Int64, _ d: Double) -> Int? {
        guard !d.isNaN else { return nil }
        let floor = d.rounded(.down)
        if floor >= 9_223_372_036_854_775_808.0 { return -1 }
        if floor < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = Int64(floor)
        if i < whole { return -1 }
        if i > whole { return 1 }
        return d > floor ? -1 : 0
    }
}

extension Value: CustomStringConvertible {
    public var description: String {
        switch self {
        case .null: return ""
        case .int(let v): return String(v)
        case .decimal(let v): return Value.plainDecimal(v)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .date(let d): return d.description
        }
    }

    /// A decimal in the shortest form that reads back to the same double: `4700000000`, `0.25`,
    /// `-3.5`. Whole numbers are written as integer digits (`3`, not `3.0`; `1e16` as
    /// `10000000000000000`) so spreadsheets read them as plain numbers; very small magnitudes keep
    /// their exponent (`1.665334536937734e-15`) rather than lose significant digits.
    public static func plainDecimal(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 9.2e18 { return String(Int64(v)) }
        return String(v)
    }

    /// A decimal rounded to `fractionDigits` places, written plainly with `.`.
    public static func fixedDecimal(_ v: Double, fractionDigits: Int) -> String {
        let digits = min(max(fractionDigits, 0), 17)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let negative = v < 0
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9.0e18 else { return String(v) }
        var whole = String(UInt64(scaled))
        if digits > 0 {
            if whole.count <= digits { whole = String(repeating: "0", count: digits - whole.count + 1) + whole }
            whole.insert(".", at: whole.index(whole.endIndex, offsetBy: -digits))
            while whole.hasSuffix("0") { whole.removeLast() }
            if whole.hasSuffix(".") { whole.removeLast() }
        }
        return negative && whole != "0" ? "-" + whole : whole
    }
}
