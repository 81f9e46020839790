/// How text output writes numbers for people: digit grouping and the decimal mark by locale.
///
/// `en-US` (the default) writes 4,700,000,000 and 1.30; `vi-VN` writes 4.700.000.000 and 1,30.
/// Text, HTML (its table and chart) and spreadsheets' labels use it; CSV and JSON use plain digits
/// for machines (`ReportLocale.numbers` gives a locale's style).
public struct NumberStyle: Sendable {
    public static let known = ReportLocale.known

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

    private init(_ style: NumberStyle, fractionDigits: Int) {
        groupSeparator = style.groupSeparator
        decimalMark = style.decimalMark
        self.fractionDigits = fractionDigits
    }

    /// The style for one column of `values` shown in `unit`: without fraction digits when every
    /// decimal among them would show only zeros there (a mean of 270,500,000 đồng reads
    /// `270.500.000`, not `270.500.000,00`); this style otherwise, so the column stays aligned on
    /// its decimal mark.
    public func forColumn(_ values: some Sequence<Value>, unit: TextUnit? = nil) -> NumberStyle {
        for value in values {
            guard let v = value.doubleValue else { continue }
            if !Self.isWhole(unit.map { v / $0.divisor } ?? v, fractionDigits) { return self }
        }
        return NumberStyle(self, fractionDigits: 0)
    }

    /// Whether `x` rounded to `digits` places has no fraction.
    private static func isWhole(_ x: Double, _ digits: Int) -> Bool {
        !x.isFinite || !Value.fixedDecimal(x, fractionDigits: digits).contains(".")
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
