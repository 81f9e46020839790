import CCSVScan

#if canImport(Glibc)
    import Glibc
#endif

/// Splits RFC 4180 CSV bytes into records and fields, without allocating a String per field.
///
/// Hand-written because the CSV libraries available (CSV.swift, SwiftCSV) allocate a String for
/// every field and measured 4–17x slower than a byte-level state machine on these machines; the
/// dataset is the hot path of every run. Quoted fields may hold commas, doubled quotes and line
/// breaks; LF and CRLF both end a record; a UTF-8 byte-order mark at the start is skipped.
///
/// A quoted field ends at its closing quote: anything but a delimiter or the line's end after it is
/// a syntax error, as is a carriage return alone in an unquoted field. After a syntax error (or a
/// row the caller rejects) `resumeAtSecondLine` goes on with the next record as SPEC's "Dataset
/// schema" says: a bad record costs its first line only.
struct CSVRecordReader {
    /// A field as a byte range of the input; `quoted` fields have their quotes outside the range and
    /// `escapedQuotes` when `""` inside must be collapsed; `line` is the physical line of the field's
    /// first byte and `lineStart` the byte offset where that line starts, for error columns.
    /// Declared in C (CCSVScan) because the fast path there writes the fields.
    typealias Field = reportd_csv_field

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

        /// Room for the fast path to write fields into, and how many.
        var storage: (UnsafeMutablePointer<Field>, Int) { (base, capacity) }

        /// Takes the `n` fields the fast path wrote.
        func setCount(_ n: Int) { count = n }

        /// Doubles the room.
        func grow() {
            let bigger = UnsafeMutablePointer<Field>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }

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
        enum Kind {
            /// A quoted field runs to the end of the bytes: in a block cut from a file, perhaps
            /// only because the block ends there.
            case unterminated
            /// A record, cell or field count beyond `CSVLimits` on the record's first line: the
            /// read fails whatever `on_bad_rows` says (a limit passed after a line break, most
            /// often a stray quote's field running on, is a bad record like any other: `.other`).
            case limit
            case other
        }

        var line: Int
        var lineStart: Int
        var offset: Int
        var message: String
        var kind = Kind.other
    }

    /// The whole file; the caller keeps it alive while the reader is used.
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    /// Physical line of `position`, counted from the line the reader started on.
    private(set) var line: Int
    private var lineStart: Int
    /// Where the last record `next` read (or tried to read) starts, and its line.
    private(set) var recordStart: Int
    private(set) var recordLine: Int
    /// Where the last record read ends, before its line break.
    private(set) var recordEnd: Int
    let limits: CSVLimits
    /// The byte between fields (`,` unless the dataset names another), and it repeated in a word.
    var delimiter = UInt8(ascii: ",") {
        didSet { delimiters = UInt64(delimiter) &* 0x0101_0101_0101_0101 }
    }
    private var delimiters: UInt64 = 0x2C2C_2C2C_2C2C_2C2C
    /// Whether the records read are the header (for the words of the limit errors).
    let readsHeader: Bool
    /// Whether `next` tries the C fast path first (tests turn it off to compare with the plain
    /// reader).
    var fast = true
    /// The vector level the fast path runs (`reportd_simd_level`; -1: the process's). Tests set
    /// each level the machine has, to compare every one with the plain reader.
    var vectorLevel: Int32 = -1

    /// A reader from the start of the file (a UTF-8 byte-order mark is skipped).
    init(bytes: UnsafeBufferPointer<UInt8>, limits: CSVLimits = .standard, readsHeader: Bool = false) {
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        self.init(bytes: bytes, start: bom ? 3 : 0, line: 1, limits: limits, readsHeader: readsHeader)
    }

    /// A reader from `start`, which must be the start of a record, counting lines from `line`.
    init(
        bytes: UnsafeBufferPointer<UInt8>, start: Int, line: Int, limits: CSVLimits = .standard,
        readsHeader: Bool = false
    ) {
        self.bytes = bytes
        self.limits = limits
        self.readsHeader = readsHeader
        position = start
        lineStart = start
        self.line = line
        recordStart = start
        recordLine = line
        recordEnd = start
    }

    /// Reads the next record into `fields`; returns the line it starts on, or `nil` at the end of
    /// the file or when the next record would start at or after `stopAt`. Empty lines are skipped.
    mutating func next(into fields: Fields, stopAt: Int = .max) throws(SyntaxError) -> Int? {
        fields.removeAll()
        let quote = UInt8(ascii: "\""), comma = delimiter, lf = UInt8(10), cr = UInt8(13)
        // Skip blank lines.
        while position < bytes.count,
            bytes[position] == lf || (bytes[position] == cr && position + 1 < bytes.count && bytes[position + 1] == lf)
        {
            position += bytes[position] == cr ? 2 : 1
            line += 1
            lineStart = position
        }
        guard position < bytes.count, position < stopAt else { return nil }
        recordStart = position
        recordLine = line
        if fast {
            // Fast path (issue 20): the record is split in C with 16-byte (SSE2) or 32-byte (AVX2)
            // vector scans for the next delimiter, line break or quote (`reportd_csv_record`).
            // Why: splitting fields was the largest share of a read's CPU (20 % in `next`), the Swift loop going eight
            // bytes at a time with a check per field. It reads well-formed records only and
            // leaves everything unusual (errors, limits, a quote open at the buffer's end) to the
            // plain loop below, which reads the record again from its start: the errors and
            // their positions are the plain reader's. Tests compare both on adversarial input.
            var cursor = reportd_csv_cursor(
                position: position, line: line, lineStart: lineStart, recordEnd: 0, count: 0)
            while true {
                let (room, capacity) = fields.storage
                let outcome = reportd_csv_record_level(
                    vectorLevel, bytes.baseAddress, bytes.count, delimiter, limits.columns, limits.recordBytes,
                    limits.cellBytes, room, capacity, &cursor)
                if Int(outcome) == REPORTD_CSV_FULL {
                    fields.grow()
                    continue
                }
                if Int(outcome) == REPORTD_CSV_READ {
                    fields.setCount(cursor.count)
                    position = cursor.position
                    line = cursor.line
                    lineStart = cursor.lineStart
                    recordEnd = cursor.recordEnd
                    return recordLine
                }
                break
            }
        }
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
                        try checkLimits(
                            fieldStart: start, cellEnd: position, field: fields.count + 1, line: openLine,
                            lineStart: openLineStart, open: open)
                        throw SyntaxError(
                            line: openLine, lineStart: openLineStart, offset: open,
                            message: "unterminated quoted field: the closing \" is missing", kind: .unterminated)
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
                try checkLimits(
                    fieldStart: start, cellEnd: position, field: fields.count + 1, line: openLine,
                    lineStart: openLineStart, open: open)
                fields.append(
                    Field(
                        start: start, end: position, quoted: true, escapedQuotes: escaped, line: openLine,
                        lineStart: openLineStart))
                position += 1  // closing quote
                if position < bytes.count, bytes[position] != comma, bytes[position] != lf,
                    !(bytes[position] == cr && (position + 1 == bytes.count || bytes[position + 1] == lf))
                {
                    try checkLimits(
                        fieldStart: start, cellEnd: position - 1, field: fields.count, line: openLine,
                        lineStart: openLineStart, open: open)
                    throw SyntaxError(
                        line: line, lineStart: lineStart, offset: position,
                        message: bytes[position] == cr
                            ? Self.loneCarriageReturn
                            : "unexpected character after a closing quote (a quote inside a field must be doubled: \"\")")
                }
            } else {
                let start = position
                // Skip eight bytes at a time while none is a comma or a line break.
                while position + 8 <= bytes.count {
                    let w = Self.word(bytes, position)
                    let m =
                        Self.zeroBytes(w ^ delimiters) | Self.zeroBytes(w ^ Self.lineFeeds)
                        | Self.zeroBytes(w ^ Self.carriageReturns)
                    if m != 0 {
                        position += m.trailingZeroBitCount >> 3
                        break
                    }
                    position += 8
                }
                while position < bytes.count {
                    let c = bytes[position]
                    if c == comma || c == lf { break }
                    if c == cr {
                        if position + 1 == bytes.count || bytes[position + 1] == lf { break }
                        // A CR alone would split one value in two for some readers and not for
                        // others: refuse it rather than guess.
                        try checkLimits(
                            fieldStart: start, cellEnd: position, field: fields.count + 1, line: line,
                            lineStart: lineStart, open: start)
                        throw SyntaxError(
                            line: line, lineStart: lineStart, offset: position, message: Self.loneCarriageReturn)
                    }
                    position += 1
                }
                try checkLimits(
                    fieldStart: start, cellEnd: position, field: fields.count + 1, line: line, lineStart: lineStart,
                    open: start)
                fields.append(
                    Field(
                        start: start, end: position, quoted: false, escapedQuotes: false, line: line,
                        lineStart: lineStart))
            }
            guard position < bytes.count else {
                recordEnd = position
                return recordLine
            }
            let c = bytes[position]
            if c == comma {
                position += 1
                continue
            }
            recordEnd = position
            // A CR ends a record only before an LF or as the file's last byte.
            position = min(position + (c == cr ? 2 : 1), bytes.count)
            line += 1
            lineStart = position
            return recordLine
        }
    }

    /// Throws the first limit the record passes, when the field being read holds
    /// `fieldStart..<cellEnd`, is the record's `field`-th and opens at `open` (its quote, if any).
    ///
    /// The error is the limit passed at the lowest offset, so it depends only on the bytes up to
    /// there: a block that ends inside the record reports what the whole file would.
    @inline(__always)
    private func checkLimits(fieldStart: Int, cellEnd: Int, field: Int, line: Int, lineStart: Int, open: Int)
        throws(SyntaxError)
    {
        let recordOver = cellEnd - recordStart > limits.recordBytes
        let cellOver = cellEnd - fieldStart > limits.cellBytes
        guard field > limits.columns || recordOver || cellOver else { return }
        throw limitError(
            fieldStart: fieldStart, field: field, line: line, lineStart: lineStart, open: open,
            recordOver: recordOver, cellOver: cellOver)
    }

    @inline(never)
    private func limitError(
        fieldStart: Int, field: Int, line: Int, lineStart: Int, open: Int, recordOver: Bool, cellOver: Bool
    ) -> SyntaxError {
        let what = readsHeader ? "the header" : "this row"
        var error: SyntaxError
        if field > limits.columns {
            error = SyntaxError(
                line: line, lineStart: lineStart, offset: open,
                message:
                    "\(what) has more than \(CSVLimits.count(limits.columns)) \(readsHeader ? "columns" : "fields"), the most a dataset may have",
                kind: .limit)
        } else if recordOver, !cellOver || recordStart + limits.recordBytes <= fieldStart + limits.cellBytes {
            // The limit passed first: the record's at recordStart + recordBytes, the cell's at
            // fieldStart + cellBytes.
            let most = readsHeader ? "the most a header may take" : "the most a row may take"
            error = SyntaxError(
                line: recordLine, lineStart: recordStart, offset: recordStart,
                message:
                    "\(what) is longer than \(CSVLimits.size(limits.recordBytes)), \(most): is this a CSV file with line breaks, and does every quote that opens a field close it?",
                kind: .limit)
        } else {
            error = SyntaxError(
                line: line, lineStart: lineStart, offset: open,
                message:
                    "this cell is longer than \(CSVLimits.size(limits.cellBytes)), the most a cell may hold: does every quote that opens a field close it?",
                kind: .limit)
        }
        // Where the limit is passed; a line break before it makes the record a bad one that costs
        // its first line only (SPEC, "Dataset schema"), that line being within the limits.
        let passed =
            field > limits.columns
            ? open
            : min(
                recordOver ? recordStart + limits.recordBytes : .max, cellOver ? fieldStart + limits.cellBytes : .max)
        if passed > recordStart, memchr(bytes.baseAddress! + recordStart, 10, passed - recordStart) != nil {
            error.kind = .other
        }
        return error
    }

    /// The header's error when the file has no line feed at all.
    static let carriageReturnsOnly =
        "the file's lines end with a carriage return (CR) alone, as classic Mac OS wrote them: save it with LF or CRLF line endings (in Excel: \"CSV UTF-8\", not \"Macintosh Comma Separated\"; or tr '\\r' '\\n' < old.csv > new.csv)"

    static let loneCarriageReturn =
        "a carriage return (CR) without a line feed after it: the file mixes line endings or uses old Mac ones (CR alone); save it with LF or CRLF line endings"

    /// Where the first line of the last record ends (its first line break, or the file's end).
    var recordFirstLineEnd: Int {
        var i = recordStart
        while i < bytes.count, bytes[i] != 10 { i += 1 }
        return i
    }

    /// Whether the last record read holds a line break (inside quotes).
    var recordSpansLines: Bool { recordFirstLineEnd < recordEnd }

    /// The first line of the last record, as text (without its line break), for the rejected rows.
    var recordFirstLine: String {
        var end = recordFirstLineEnd
        if end > recordStart, end <= bytes.count, bytes[end - 1] == 13, end < bytes.count { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[recordStart..<end]), as: UTF8.self)
    }

    /// Goes on after a bad record (a syntax error, or a row the caller rejects) at its second line:
    /// a record that spans lines, or whose quote never closes, costs its first line only (SPEC,
    /// "Dataset schema"), and a stray quote cannot swallow the good rows after it.
    mutating func resumeAtSecondLine() {
        let end = recordFirstLineEnd
        position = min(end + 1, bytes.count)
        line = recordLine + 1
        lineStart = position
    }

    /// Goes on at `position`, past `count` records of one line each that were read elsewhere (the
    /// batch splitter, `reportd_csv_records`), the last of them ending in a line break.
    mutating func skipRecords(to position: Int, count: Int) {
        self.position = position
        line += count
        lineStart = position
    }

    // SWAR (SIMD within a register): eight bytes compared at once. `zeroBytes(w ^ pattern)` has
    // the high bit set in each byte of `w` equal to the pattern's byte; its lowest set bit is
    // always exact (only bytes above a match can be false positives), which is all a scan needs.
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
        guard f.escapedQuotes else {
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[f.start..<f.end]))
            return
        }
        Self.collapseQuotes(bytes.baseAddress! + f.start, f.end - f.start, into: &out)
    }

    /// Writes the `n` bytes at `p` (a quoted field's content) into `out`, each doubled quote
    /// collapsed to one.
    static func collapseQuotes(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        while i < n {
            out.append(p[i])
            i += p[i] == UInt8(ascii: "\"") ? 2 : 1
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
