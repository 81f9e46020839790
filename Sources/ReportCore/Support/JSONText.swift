/// JSON values written by hand: string literals and cell values, for the JSON output and the plugin
/// protocol's requests.
public enum JSONText {
    /// A cell value: numbers exact (64-bit integers as they are, undefined decimals `null`), dates
    /// and text as strings.
    public static func value(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .int(let i): return String(i)
        case .decimal(let d): return d.isFinite ? Value.plainDecimal(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return string(s)
        case .date(let day): return string(day.description)
        }
    }

    /// A JSON string literal; non-ASCII text is written as UTF-8, control characters escaped.
    public static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
