/// Splits RFC 4180 CSV bytes into records and fields, without allocating a String per field.
///
/// Hand-written because the CSV libraries available (CSV.swift, SwiftCSV) allocate a String for
/// every field and measured 4–17x slower than a byte-level state machine on these machines; the
/// dataset is the hot path of every run. Quoted fields may hold commas, doubled quotes and line
/// breaks; LF and CRLF both end a record; a UTF-8 byte-order mark at the start is skipped.
struct CSVRecordReader {
    /// A field as a byte range of the input; `quoted` fields have their quotes outside the range and
    /// `escapedQuotes` when `""` inside must be collapsed.
    struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
        var escapedQuotes: Bool
        /// Physical line and the byte offset where that line starts, for error columns.
        var line: Int
        var lineStart: Int
    }

    struct SyntaxError: Error {
        var line: Int
        var lineStart: Int
        var offset: Int
        var message: String
    }

    let bytes: [UInt8]
    private(set) var position: Int
    private(set) var line = 1
    private var lineStart: Int

    init(bytes: [UInt8]) {
        self.bytes = bytes
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = bom ? 3 : 0
        lineStart = position
    }

    /// Reads the next record into `fields`; returns the line it starts on, or `nil` at the end.
    /// Empty lines are skipped.
    mutating func next(into fields: inout [Field]) throws(SyntaxError) -> Int? {
        fields.removeAll(keepingCapacity: true)
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(10), cr = UInt8(13)
        // Skip blank lines.
        while position < bytes.count,
            bytes[position] == lf || (bytes[position] == cr && position + 1 < bytes.count && bytes[position + 1] == lf)
        {
            position += bytes[position] == cr ? 2 : 1
            line += 1
            lineStart = position
        }
        guard position < bytes.count else { return nil }
        let recordLine = line
        while true {
            if position < bytes.count, bytes[position] == quote {
                let open = position
                let openLine = line, openLineStart = lineStart
                position += 1
                let start = position
                var escaped = false
                while true {
                    guard position < bytes.count else {
                        throw SyntaxError(
                            line: openLine, lineStart: openLineStart, offset: open,
                            message: "unterminated quoted field: the closing \" is missing")
                    }
                    let c = bytes[position]
                    if c == quote {
                        if position + 1 < bytes.count, bytes[position + 1] == quote {
                            escaped = true
                            position += 2
                            continue
                        }
                        break
                    }
                    if c == lf {
                        line += 1
                        lineStart = position + 1
                    }
                    position += 1
                }
                fields.append(
                    Field(
                        start: start, end: position, quoted: true, escapedQuotes: escaped, line: openLine,
                        lineStart: openLineStart))
                position += 1  // closing quote
                if position < bytes.count, bytes[position] != comma, bytes[position] != lf,
                    !(bytes[position] == cr && (position + 1 == bytes.count || bytes[position + 1] == lf))
                {
                    throw SyntaxError(
                        line: line, lineStart: lineStart, offset: position,
                        message:
                            "unexpected character after a closing quote (a quote inside a field must be doubled: \"\")")
                }
            } else {
                let start = position
                while position < bytes.count {
                    let c = bytes[position]
                    if c == comma || c == lf || (c == cr && (position + 1 == bytes.count || bytes[position + 1] == lf))
                    {
                        break
                    }
                    position += 1
                }
                fields.append(
                    Field(
                        start: start, end: position, quoted: false, escapedQuotes: false, line: line,
                        lineStart: lineStart))
            }
            guard position < bytes.count else { return recordLine }
            let c = bytes[position]
            if c == comma {
                position += 1
                continue
            }
            position += c == cr ? 2 : 1
            line += 1
            lineStart = position
            return recordLine
        }
    }

    /// The field's bytes, with doubled quotes collapsed.
    func raw(_ f: Field) -> ArraySlice<UInt8> {
        guard f.escapedQuotes else { return bytes[f.start..<f.end] }
        var out: [UInt8] = []
        out.reserveCapacity(f.end - f.start)
        var i = f.start
        while i < f.end {
            out.append(bytes[i])
            i += bytes[i] == UInt8(ascii: "\"") ? 2 : 1
        }
        return out[...]
    }

    /// 1-based character column of a byte offset within its line.
    func column(offset: Int, lineStart: Int) -> Int {
        var n = 1
        var i = lineStart
        while i < offset && i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { n += 1 }
            i += 1
        }
        return n
    }
}
