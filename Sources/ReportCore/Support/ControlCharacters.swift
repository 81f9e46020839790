extension StringProtocol {
    /// The text with its control characters written as escapes (`\n`, `\r`, `\t`, `\e`, `\u{7F}`…),
    /// for messages that quote what a user or a dataset wrote.
    ///
    /// Why: a data cell, a YAML key, a header name or a plugin's message can hold a line break or a
    /// terminal escape sequence; quoted raw into a log line, `validate`'s output or `status`, it
    /// forges a line of its own or rewrites the administrator's terminal. Text without control
    /// characters (nearly all) is returned as it is.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: \.isControlCharacter) else { return String(self) }
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{1B}": out += "\\e"
            case _ where scalar.isControlCharacter:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Unicode.Scalar {
    /// C0 controls, DEL, C1 controls, the line and paragraph separators (which some terminals and
    /// log viewers also break lines at), and the bidirectional embeddings, overrides and isolates
    /// (which make a terminal show text in another order than it is written).
    var isControlCharacter: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
            || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }
}
