/// CSV fields as reportd writes them (RFC 4180), for the CSV output and the rejected-rows file.
public enum CSVText {
    /// Text that Excel or LibreOffice would read as a formula (it starts with `=`, `+`, `-`, `@`, a
    /// tab or a carriage return) with an apostrophe put before it, as OWASP advises against CSV
    /// injection: a cell `=HYPERLINK(...)` from the dataset must reach the reader as text. Only
    /// text cells and headers, and not text that is a plain number (`-5`, harmless as a number).
    public static func neutralized(_ s: String) -> String {
        guard let first = s.utf8.first,
            first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "@") || first == 9 || first == 13
        else { return s }
        if first != UInt8(ascii: "="), first != UInt8(ascii: "@"), Double(s) != nil, !s.contains(where: \.isLetter) {
            return s
        }
        return "'" + s
    }

    /// A field, quoted when it holds a comma, a quote or a line break.
    public static func field(_ s: String) -> String { field(s, delimiter: UInt8(ascii: ",")) }

    /// A field, quoted when it holds `delimiter`, a quote or a line break.
    public static func field(_ s: String, delimiter: UInt8) -> String {
        let needsQuotes = s.utf8.contains {
            $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13
        }
        guard needsQuotes else { return s }
        // Doubled by scalar, not by Character: a quote followed by a combining mark is one
        // Character but must still be doubled.
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in s.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append("\"") }
        }
        out.append("\"")
        return String(out)
    }
}
