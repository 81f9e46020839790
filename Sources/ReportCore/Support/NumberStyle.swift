/// How text output writes numbers for people: digit grouping and the decimal mark by locale.
///
/// `en-US` (the default) writes 4,700,000,000 and 1.30; `vi-VN` writes 4.700.000.000 and 1,30.
/// Only the text output is localised: CSV and JSON always use plain digits and `.` for machines.
public struct NumberStyle: Sendable {
    public static let known = ["en-US", "vi-VN"]

    let groupSeparator: String
    let decimalMark: String
    /// Fraction digits shown for decimals.
    let fractionDigits: Int

    public init(locale: String?) {
        if locale == "vi-VN" {
            groupSeparator = "."
            decimalMark = ","
        } else {
            groupSeparator = ","
            decimalMark = "."
        }
        fractionDigits = 2
    }

    /// An amount in a reading unit: 4745200000 in billions is "4,75 tỷ đồng" (vi-VN) or
    /// "4.75 tỷ đồng" (en-US).
    public func format(_ value: Value, unit: TextUnit?) -> String {
        guard let unit, let amount = value.doubleValue else { return format(value) }
        return format(.decimal(amount / unit.divisor)) + " " + unit.label
    }

    /// A value as text output shows it.
    public func format(_ value: Value) -> String {
        switch value {
        case .int(let v): return grouped(String(v.magnitude), negative: v < 0)
        case .decimal(let v):
            let plain = Value.fixedDecimal(v, fractionDigits: fractionDigits)
            let negative = plain.hasPrefix("-")
            let digits = negative ? String(plain.dropFirst()) : plain
            let parts = digits.split(separator: ".", maxSplits: 1)
            var text = grouped(String(parts[0]), negative: negative)
            // A fixed number of fraction digits keeps a column of decimals aligned on its mark.
            let fraction = parts.count == 2 ? String(parts[1]) : ""
            if fractionDigits > 0 {
                text += decimalMark + fraction + String(repeating: "0", count: fractionDigits - fraction.count)
            }
            return text
        default: return value.description
        }
    }

    private func grouped(_ digits: String, negative: Bool) -> String {
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += groupSeparator }
            out.append(c)
        }
        return negative ? "-" + out : out
    }
}
