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

    /// The fields of the current record, in storage reused from record to record: appending to an
    /// `Array` checks its uniqueness on every field, a measurable share of a million-row read.
    final class Fields {
        private(set) var base: UnsafeMutablePointer<Field>
        private(set) var count = 0
        private var capacity = 32

        init() { base = .allocate(capacity: 32) }
        deinit { base.deallocate() }

        subscript(i: Int) -> Field { base[i] }

        var all: [Field] { Array(UnsafeBufferPointer(start: base, count: count)) }

        func removeAll() { count = 0 }

        @inline(__always)
        func append(_ field: Field) {
            if count == capacity {
                let bigger = UnsafeMutablePointer<Field>.allocate(capacity: capacity * 2)
                bigger.moveInitialize(from: base, count: count)
                base.deallocate()
                base = bigger
                capacity *= 2
            }
            (base + count).initialize(to: field)
            count += 1
        }
    }

    struct SyntaxError: Error {
        var line: Int
        var lineStart: Int
        var offset: Int
        var message: String
    }

    /// The whole file; the caller keeps it alive while the reader is used.
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    /// Physical line of `position`, counted from the line the reader started on.
    private(set) var line: Int
    private var lineStart: Int

    /// A reader from the start of the file (a UTF-8 byte-order mark is skipped).
    init(bytes: UnsafeBufferPointer<UInt8>) {
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        self.init(bytes: bytes, start: bom ? 3 : 0, line: 1)
    }

    /// A reader from `start`, which must be the start of a record, counting lines from `line`.
    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, line: Int) {
        self.bytes = bytes
        position = start
        lineStart = start
        self.line = line
    }

    /// Reads the next record into `fields`; returns the line it starts on, or `nil` at the end of
    /// the file or when the next record would start at or after `stopAt`. Empty lines are skipped.
    mutating func next(into fields: Fields, stopAt: Int = .max) throws(SyntaxError) -> Int? {
        fields.removeAll()
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(10), cr = UInt8(13)
        // Skip blank lines.
        while position < bytes.count,
            bytes[position] == lf || (bytes[position] == cr && position + 1 < bytes.count && bytes[position + 1] == lf)
        {
            position += bytes[position] == cr ? 2 : 1
            line += 1
            lineStart = position
        }
        guard position < bytes.count, position < stopAt else { return nil }
        let recordLine = line
        while true {
            if position < bytes.count, bytes[position] == quote {
                let open = position
                let openLine = line, openLineStart = lineStart
                position += 1
                let start = position
                var escaped = false
                while true {
                    // Skip eight bytes at a time while none is a quote or a line break.
                    while position + 8 <= bytes.count {
                        let w = Self.word(bytes, position)
                        let m = Self.zeroBytes(w ^ Self.quotes) | Self.zeroBytes(w ^ Self.lineFeeds)
                        if m != 0 {
                            position += m.trailingZeroBitCount >> 3
                            break
                        }
                        position += 8
                    }
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
                // Skip eight bytes at a time while none is a comma or a line break.
                while position + 8 <= bytes.count {
                    let w = Self.word(bytes, position)
                    let m =
                        Self.zeroBytes(w ^ Self.commas) | Self.zeroBytes(w ^ Self.lineFeeds)
                        | Self.zeroBytes(w ^ Self.carriageReturns)
                    if m != 0 {
                        position += m.trailingZeroBitCount >> 3
                        break
                    }
                    position += 8
                }
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

    // SWAR (SIMD within a register): eight bytes compared at once. `zeroBytes(w ^ pattern)` has
    // the high bit set in each byte of `w` equal to the pattern's byte; its lowest set bit is
    // always exact (only bytes above a match can be false positives), which is all a scan needs.
    private static let commas: UInt64 = 0x2C2C_2C2C_2C2C_2C2C
    private static let quotes: UInt64 = 0x2222_2222_2222_2222
    private static let lineFeeds: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
    private static let carriageReturns: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

    @inline(__always)
    private static func word(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + at).loadUnaligned(as: UInt64.self))
    }

    @inline(__always)
    private static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The field's bytes, with doubled quotes collapsed.
    func raw(_ f: Field) -> ArraySlice<UInt8> {
        var out: [UInt8] = []
        unescape(f, into: &out)
        return out[...]
    }

    /// Writes the field's bytes into `out`, doubled quotes collapsed.
    func unescape(_ f: Field, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        guard f.escapedQuotes else {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[f.start..<f.end]))
            return
        }
        var i = f.start
        while i < f.end {
            out.append(bytes[i])
            i += bytes[i] == UInt8(ascii: "\"") ? 2 : 1
        }
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
