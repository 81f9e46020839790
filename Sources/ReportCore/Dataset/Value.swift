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

    /// A finite decimal, or null: calculators use it so that NaN and Infinity never reach an output.
    public static func finite(_ x: Double?) -> Value {
        guard let x, x.isFinite else { return .null }
        return .decimal(x)
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
            if let a = lhs.doubleValue, let b = rhs.doubleValue { return a < b }
            return false
        }
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

    /// A decimal as plain digits with `.` (never an exponent): `4700000000`, `0.25`, `-3.5`.
    ///
    /// Swift's shortest round-trip form is used when it has no exponent; otherwise the value is
    /// written with up to 15 significant digits so that CSV readers (Excel among them) take it as a number.
    public static func plainDecimal(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 9.0e15 { return String(Int64(v)) }
        let shortest = String(v)
        if !shortest.contains("e") { return shortest }
        return fixedDecimal(v, fractionDigits: max(0, 15 - Int((abs(v)).exponentBase10) - 1))
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

extension Double {
    fileprivate var exponentBase10: Double {
        self == 0 ? 0 : (log10Approx(self)).rounded(.down)
    }
}

/// log10 without Foundation: enough precision to choose a number of digits.
private func log10Approx(_ x: Double) -> Double {
    var e = 0.0
    var v = x
    while v >= 10 { v /= 10; e += 1 }
    while v < 1 { v *= 10; e -= 1 }
    return e
}
