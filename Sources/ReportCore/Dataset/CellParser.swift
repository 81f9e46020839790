/// Converts one field's bytes into a typed value, in place (no intermediate String for numbers).
package enum CellParser {
    package enum Outcome {
        case value(Value)
        case null
        case invalid(String)
    }

    package static func parse(_ bytes: ArraySlice<UInt8>, as type: ColumnType) -> Outcome {
        if type == .string {
            guard !bytes.isEmpty else { return .null }
            guard let s = String(validating: bytes, as: UTF8.self) else { return .invalid("is not valid UTF-8") }
            return .value(.string(s))
        }
        let trimmed = trim(bytes)
        guard !trimmed.isEmpty else { return .null }
        switch type {
        case .int:
            if let v = parseInt(trimmed) { return .value(.int(v)) }
            return .invalid(
                isAllDigits(trimmed)
                    ? "'\(text(trimmed))' is outside the 64-bit integer range" : "'\(text(trimmed))' is not an int")
        case .decimal:
            // Decimal notation only: `Double(String)` also reads hexadecimal (`0x10` became 16),
            // `inf` and `nan`.
            let plain = trimmed.allSatisfy {
                ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "e")
                    || $0 == UInt8(ascii: "E")
            }
            if plain, let v = Double(text(trimmed)), v.isFinite { return .value(.decimal(v)) }
            return .invalid("'\(text(trimmed))' is not a decimal number (use '.' as the decimal point)")
        case .date:
            if let d = Day(isoBytes: trimmed) { return .value(.date(d)) }
            return .invalid("'\(text(trimmed))' is not a date (YYYY-MM-DD)")
        case .bool:
            switch text(trimmed).lowercased() {
            case "true", "1", "yes": return .value(.bool(true))
            case "false", "0", "no": return .value(.bool(false))
            default: return .invalid("'\(text(trimmed))' is not a bool (true or false)")
            }
        case .string:
            return .null
        }
    }

    /// Parses an optionally signed decimal integer with overflow checks.
    package static func parseInt(_ b: ArraySlice<UInt8>) -> Int64? {
        var i = b.startIndex
        var negative = false
        if b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < b.endIndex else { return nil }
        var v: Int64 = 0
        while i < b.endIndex {
            let c = b[i]
            guard c >= 48, c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) =
                negative ? m.subtractingReportingOverflow(Int64(c - 48)) : m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }

    package static func isAllDigits(_ b: ArraySlice<UInt8>) -> Bool {
        let unsigned = b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") ? b.dropFirst() : b
        return !unsigned.isEmpty && unsigned.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    package static func trim(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = b.startIndex, e = b.endIndex
        while s < e, b[s] == 32 || b[s] == 9 { s += 1 }
        while e > s, b[e - 1] == 32 || b[e - 1] == 9 { e -= 1 }
        return b[s..<e]
    }

    package static func text(_ b: ArraySlice<UInt8>) -> String {
        let s = String(decoding: b.prefix(60), as: UTF8.self)
        return b.count > 60 ? s + "…" : s
    }
}
