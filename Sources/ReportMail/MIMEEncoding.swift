public import Foundation

/// The encodings a mail message needs, each as small as the standard allows (RFC 2045, 2047, 2231,
/// 5322). Lines end in CRLF; no line is longer than 76 characters, except a header's first line
/// when a single address is longer (never beyond 998 bytes: addresses are at most 320).
///
/// Why our own: no Swift package for writing MIME is maintained for Linux (the SMTP clients that
/// carry one also carry their own networking and TLS, which the sendmail interface leaves to the
/// MTA); what reportd needs is a few hundred lines that the tests check against Python's `email`.
public enum MIMEEncoding {
    static let crlf = "\r\n"

    // MARK: Headers

    /// `name: value` as one or more lines (CRLF-terminated): the value as it is when it is printable
    /// ASCII and fits, else as RFC 2047 encoded-words (`=?UTF-8?B?…?=`), each at most 75 characters,
    /// one per line, split between characters (never inside a UTF-8 sequence or a grapheme).
    public static func header(_ name: String, _ value: String) -> String {
        let prefix = name + ": "
        if isPlainASCII(value), prefix.utf8.count + value.utf8.count <= 76 {
            return prefix + value + crlf
        }
        if isPlainASCII(value), !value.contains("=?") {
            return prefix + foldAtSpaces(value, firstWidth: 76 - prefix.utf8.count) + crlf
        }
        let words = encodedWords(value, firstWidth: 76 - prefix.utf8.count)
        return prefix + words.joined(separator: crlf + " ") + crlf
    }

    /// Whether `text` is printable ASCII only (no control characters, no line breaks).
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Printable ASCII folded at spaces so that lines stay within 76 characters where a space
    /// allows it.
    static func foldAtSpaces(_ text: String, firstWidth: Int) -> String {
        var lines: [String] = []
        var line = ""
        var width = firstWidth
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if line.isEmpty {
                line = String(word)
            } else if line.utf8.count + 1 + word.utf8.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
                width = 75
            }
        }
        lines.append(line)
        return lines.joined(separator: crlf + " ")
    }

    /// `text` as base64 encoded-words: the first at most `firstWidth` characters long, the others
    /// at most 75 (a folded line is one space and one word).
    static func encodedWords(_ text: String, firstWidth: Int) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func capacity(_ width: Int) -> Int {
            // "=?UTF-8?B?" + base64 + "?=": 12 characters of frame, 4 base64 characters per 3 bytes.
            max(3, (width - 12) / 4 * 3)
        }
        var limit = capacity(min(75, firstWidth))
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
            chunk = []
            limit = capacity(75)
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count <= limit {
                chunk += bytes
                continue
            }
            flush()
            if bytes.count <= limit {
                chunk = bytes
            } else {
                // A grapheme longer than a word (a base letter with many marks): split between scalars.
                for scalar in String(character).unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if chunk.count + scalarBytes.count > limit { flush() }
                    chunk += scalarBytes
                }
            }
        }
        flush()
        if words.isEmpty { words = ["=?UTF-8?B??="] }
        return words
    }

    /// A mailbox for From and To: `address`, or `Name <address>` with the name quoted or encoded
    /// as needed.
    public static func mailbox(address: String, name: String?) -> String {
        guard let name, !name.isEmpty else { return address }
        return phrase(name) + " <" + address + ">"
    }

    /// A display name: an atom-only phrase as it is, other printable ASCII quoted, the rest encoded.
    static func phrase(_ name: String) -> String {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".utf8)
        if isPlainASCII(name), name.utf8.allSatisfy(atext.contains), !name.hasPrefix(" "), !name.hasSuffix(" ") {
            return name
        }
        if isPlainASCII(name), !name.contains("\""), !name.contains("\\"), !name.contains("=?") {
            return "\"" + name + "\""
        }
        return encodedWords(name, firstWidth: 75).joined(separator: " ")
    }

    /// A list of mailboxes as an address header, folded after commas.
    public static func addressHeader(_ name: String, _ mailboxes: [String]) -> String {
        var out = name + ": "
        var width = out.utf8.count
        for (i, mailbox) in mailboxes.enumerated() {
            // An encoded display name's words may each go on a line of their own.
            let parts = mailbox.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            for (j, part) in parts.enumerated() {
                let piece = part + (j == parts.count - 1 && i < mailboxes.count - 1 ? "," : "")
                let separator = (i == 0 && j == 0) ? "" : " "
                if width + separator.utf8.count + piece.utf8.count > 76, width > name.utf8.count + 2 {
                    out += crlf + " " + piece
                    width = 1 + piece.utf8.count
                } else {
                    out += separator + piece
                    width += separator.utf8.count + piece.utf8.count
                }
            }
        }
        return out + crlf
    }

    /// `; name*=UTF-8''…` (RFC 2231) for a parameter that is not plain ASCII, cut into numbered
    /// sections (`name*0*=`, `name*1*=`…) on lines of their own when it is long; a quoted
    /// `; name="…"` otherwise.
    public static func parameter(_ name: String, _ value: String) -> String {
        let plain = isPlainASCII(value) && !value.contains("\"") && !value.contains("\\")
        if plain, name.utf8.count + value.utf8.count + 5 <= 74 { return ";" + crlf + " " + name + "=\"" + value + "\"" }
        let attributeChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~".utf8)
        // Percent-escapes never split: each byte is one unit.
        var units: [String] = []
        for byte in value.utf8 {
            if attributeChars.contains(byte) {
                units.append(String(UnicodeScalar(byte)))
            } else {
                units.append("%" + hex(byte))
            }
        }
        let first = "UTF-8''"
        let whole = first + units.joined()
        if name.utf8.count + 2 + whole.utf8.count + 1 <= 74 { return ";" + crlf + " " + name + "*=" + whole }
        var sections: [String] = []
        var section = first
        for unit in units {
            let label = "\(name)*\(sections.count)*="
            if label.utf8.count + section.utf8.count + unit.utf8.count + 2 > 74 {
                sections.append(section)
                section = ""
            }
            section += unit
        }
        sections.append(section)
        return sections.enumerated().map { ";" + crlf + " " + "\(name)*\($0.offset)*=" + $0.element }.joined()
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    // MARK: Bodies

    /// `text` as quoted-printable UTF-8 (RFC 2045 6.7): line breaks become CRLF; `=`, non-ASCII
    /// bytes, control characters and a space or tab before a line break are escaped; lines longer
    /// than 76 characters are cut with soft breaks (`=` at the end), never inside an escape.
    public static func quotedPrintable(_ text: String) -> String {
        // Bytes in, bytes out: a String built a character at a time took seconds for a page of
        // a few hundred kilobytes.
        let input = Array(text.utf8)
        // Line breaks (CRLF, CR or LF) become one LF here, CRLF in the output.
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i < input.count {
            if input[i] == 0x0A || input[i] == 0x0D {
                lines.append(input[start..<i])
                if input[i] == 0x0D, i + 1 < input.count, input[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        let endsWithBreak = start == input.count && !input.isEmpty
        if !endsWithBreak { lines.append(input[start..<input.count]) }
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 2)
        for line in lines {
            var width = 0
            for index in line.indices {
                let byte = line[index]
                let last = index == line.index(before: line.endIndex)
                var escape: Bool
                switch byte {
                case 0x21...0x7E where byte != UInt8(ascii: "="):
                    // "From " at a line's start is changed by some mbox writers; "." alone by SMTP.
                    escape = index == line.startIndex && (byte == UInt8(ascii: "F") || byte == UInt8(ascii: "."))
                case 0x20, 0x09: escape = last
                default: escape = true
                }
                let size = escape ? 3 : 1
                // Room for the unit, and for a soft break after it unless it ends the line.
                if width + size > (last ? 76 : 75) {
                    out += [UInt8(ascii: "="), 0x0D, 0x0A]
                    width = 0
                }
                if escape {
                    out += [UInt8(ascii: "="), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
                } else {
                    out.append(byte)
                }
                width += size
            }
            out += [0x0D, 0x0A]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `bytes` as base64 in lines of 76 characters, each ending in CRLF.
    public static func base64Lines(_ bytes: [UInt8]) -> String {
        let text = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        out.reserveCapacity(base64Size(bytes.count))
        var index = 0
        while index < text.count {
            let end = min(index + 76, text.count)
            out += text[index..<end]
            out += [0x0D, 0x0A]
            index = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The size of `base64Lines` of `count` bytes.
    public static func base64Size(_ count: Int) -> Int {
        let characters = (count + 2) / 3 * 4
        return characters + (characters + 75) / 76 * 2
    }

    // MARK: Date

    /// `date` as RFC 5322 wants it, in UTC: `Sun, 06 Dec 2026 08:25:16 +0000`. Built by hand:
    /// DateFormatter needs the zone database, which a server may lack.
    public static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
