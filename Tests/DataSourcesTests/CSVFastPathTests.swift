import CCSVScan
import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// The CSV read's fast paths (issue 20) against the plain code they replaced, on adversarial
/// inputs over many seeds: the UTF-8 DFA and the vector check (each vector level this CPU has)
/// against the byte-by-byte check, the eight-digit SWAR integers against the digit loop and
/// `CellParser`, the vectorised quote counts against the word count; and whole reads with a bad
/// byte at every offset, whole and in blocks.
@Suite(.blocking) struct CSVFastPathTests {
    /// The vector levels of CCSVScan this machine can run (0 the baseline, 1 AVX2):
    /// the tests run each against the plain code.
    static let levels = Array(Int32(0)...reportd_simd_cpu_level())

    // MARK: UTF-8

    /// Pieces that random buffers are made of: ASCII, Vietnamese letters (2 and 3 bytes), 4-byte
    /// characters, and every kind of broken sequence at the edges of RFC 3629's ranges.
    static let pieces: [[UInt8]] = [
        Array("a".utf8), Array("Đ".utf8), Array("ệ".utf8), Array("ư".utf8), Array("ờ".utf8), Array("😀".utf8),
        Array("\u{10FFFF}".utf8), Array("\u{FFFF}".utf8), Array("\u{800}".utf8), Array("\u{80}".utf8),
        Array("\u{D7FF}".utf8), Array("\u{E000}".utf8), Array("\u{10000}".utf8), Array(",\"\n".utf8),
        [0x00], [0x7F], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
        [0xE0, 0xA0], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xEF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
        [0xF0, 0x90, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8], [0xFF], [0xFE],
        Array("Hỗ trợ phát triển nghề dệt thổ cẩm Mường Tè".utf8), Array(String(repeating: "x", count: 40).utf8),
    ]

    static func check(_ bytes: [UInt8], _ note: @autoclosure () -> String) {
        bytes.withUnsafeBufferPointer { b in
            let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for nul in [true, false] {
                let plain = UTF8Check.isValidPlain(p, count: b.count, allowingNUL: nul)
                let fast = UTF8Check.isValid(p, count: b.count, allowingNUL: nul)
                #expect(fast == plain, "allowingNUL \(nul): \(note()) \(bytes.map { String($0, radix: 16) })")
                let dfa = UTF8Check.isValidDFA(p, count: b.count, allowingNUL: nul)
                #expect(dfa == plain, "DFA, allowingNUL \(nul): \(note()) \(bytes.map { String($0, radix: 16) })")
                for level in levels where level >= 1 {
                    let vector = reportd_utf8_valid_level(level, p, b.count, nul)
                    #expect(
                        vector == (plain ? 1 : 0),
                        "level \(level), allowingNUL \(nul): \(note()) \(bytes.map { String($0, radix: 16) })")
                }
            }
            // A third opinion: the standard library's own validation.
            let library = String(validating: b, as: UTF8.self) != nil
            #expect(UTF8Check.isValid(p, count: b.count, allowingNUL: true) == library, "\(note())")
        }
    }

    @Test func utf8DFAAgreesWithThePlainCheckOnRandomBuffers() {
        for seed in UInt64(1)...400 {
            var g = SeededGenerator(seed: seed)
            var bytes: [UInt8] = []
            let target = Int.random(in: 0...300, using: &g)
            // Mostly valid text, so that one bad piece sits at a random offset of a long buffer.
            let badness = Int.random(in: 0...3, using: &g)
            while bytes.count < target {
                let piece = Self.pieces.randomElement(using: &g)!
                if badness == 0, String(validating: piece, as: UTF8.self) == nil { continue }
                bytes += piece
            }
            Self.check(bytes, "seed \(seed)")
            // Every prefix of a few: a sequence cut by the buffer's end.
            if seed % 20 == 0 { for k in 0..<bytes.count { Self.check(Array(bytes[..<k]), "seed \(seed) prefix \(k)") } }
        }
    }

    @Test func utf8DFAAgreesOnEveryTwoByteStringAndEveryThreeByteLead() {
        for a in 0...255 {
            for b in 0...255 { Self.check([UInt8(a), UInt8(b)], "pair") }
        }
        let seconds: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for lead in 0xC0...0xFF {
            for s in seconds {
                for t in seconds {
                    Self.check([UInt8(lead), s, t], "triple")
                    Self.check([UInt8(lead), s, t, 0x80], "quad")
                }
            }
        }
    }

    /// A bad byte at every offset of a valid Vietnamese buffer longer than the DFA's steps, and a
    /// sequence cut at every offset: both halves of the split, and the split itself, are hit.
    @Test func utf8DFAFindsABadByteAtEveryOffset() {
        let text = Array(
            String(repeating: "Đào tạo nghề dệt thổ cẩm, Mường Tè; hỗ trợ máy móc chế biến chè. ", count: 3).utf8)
        #expect(UTF8Check.isValid(text, count: text.count))
        for offset in text.indices {
            for bad: UInt8 in [0xFF, 0x80, 0xC0, 0xE0, 0xED, 0xF4, 0x00] {
                var broken = text
                broken[offset] = bad
                Self.check(broken, "0x\(String(bad, radix: 16)) at \(offset)")
            }
            var cut = text
            cut.insert(contentsOf: [0xE1, 0xBB], at: offset)
            Self.check(cut, "cut sequence at \(offset)")
        }
    }

    /// Every class of invalid UTF-8 (and the valid sequences at the edges of each rule), and a
    /// NUL, at every position across the vector check's 32- and 64-byte block edges: inside
    /// ASCII, inside Vietnamese text and inside 4-byte characters, followed by more text or cut by
    /// the buffer's end; and long ASCII runs with one bad byte far in.
    @Test func utf8VectorCheckAgreesAtEveryPositionAroundBlockEdges() {
        let sequences: [[UInt8]] = [
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80],
            [0xF0, 0x8F, 0xBF, 0xBF],  // overlong
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF], [0xF8, 0x88, 0x80, 0x80],
            [0xFF], [0xFE],  // above U+10FFFF, and bytes that are never UTF-8
            [0xC2], [0xDF], [0xE1, 0x80], [0xE0, 0xA0], [0xF1, 0x80, 0x80], [0xF4, 0x8F, 0xBF],  // truncated
            [0x80], [0xBF], [0x80, 0x80], [0xC2, 0x80, 0x80], [0xE1, 0x80, 0x80, 0x80],
            [0xF1, 0x80, 0x80, 0x80, 0x80],  // stray continuation bytes
            [0x00],  // valid UTF-8, refused without allowingNUL
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0x7F],  // valid, at each rule's edge
        ]
        let backgrounds: [[UInt8]] = [
            Array(String(repeating: "x", count: 200).utf8),
            Array(String(repeating: "Hỗ trợ nghề dệt thổ cẩm Mường Tè, ", count: 6).utf8),
            Array(String(repeating: "😀a", count: 50).utf8),
        ]
        for background in backgrounds {
            for sequence in sequences {
                for position in 0..<140 {
                    let note = "\(sequence.map { String($0, radix: 16) }) at \(position)"
                    Self.check(Array(background[..<position]) + sequence + background[position...], note)
                    Self.check(Array(background[..<position]) + sequence, note + " at the end")
                    Self.check(sequence + Array(background[..<position]), note + " at the start")
                }
            }
        }
        // Long ASCII runs (the vector check's ASCII blocks) with one bad byte or NUL far in.
        var ascii = Array(String(repeating: "abcdefgh,12345678\n", count: 700).utf8)
        Self.check(ascii, "long ASCII")
        for offset in stride(from: 4000, to: ascii.count, by: 997) {
            for bad: UInt8 in [0x80, 0xC3, 0x00] {
                let kept = ascii[offset]
                ascii[offset] = bad
                Self.check(ascii, "long ASCII, 0x\(String(bad, radix: 16)) at \(offset)")
                ascii[offset] = kept
            }
        }
    }

    /// The vector check on random buffers of every length up to 300, from the pieces above with
    /// long ASCII runs and NULs mixed in, many of them clean (so that one bad piece decides).
    @Test func utf8VectorCheckAgreesOnRandomBuffers() {
        for seed in UInt64(1)...3000 {
            var g = SeededGenerator(seed: seed)
            var bytes: [UInt8] = []
            let target = Int.random(in: 0...300, using: &g)
            let clean = Int.random(in: 0...2, using: &g) == 0
            while bytes.count < target {
                var piece = Self.pieces.randomElement(using: &g)!
                if Int.random(in: 0..<8, using: &g) == 0 {
                    piece = [UInt8](repeating: 0x61, count: Int.random(in: 1...70, using: &g))
                }
                if clean, String(validating: piece, as: UTF8.self) == nil { continue }
                bytes += piece
            }
            Self.check(bytes, "seed \(seed)")
        }
    }

    // MARK: Dates

    /// The word-at-a-time date against the plain digit loops: every day of 1899-2101 and
    /// impossible days (month 0 and 13, day 0, 30 and 31 February, 31 April), and random ten-byte
    /// cells with a non-digit or a wrong separator anywhere.
    @Test func plainDatesAgreeWithTheDigitLoops() {
        func check(_ text: String) {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { ColumnSink.plainDate($0.baseAddress!, $0.count) }
            let plain = bytes.withUnsafeBufferPointer { ColumnSink.plainDateReference($0.baseAddress!, $0.count) }
            #expect(fast == plain, "\(text)")
        }
        for year in [1899, 1900, 1901, 1970, 2000, 2024, 2099, 2100, 2101] {
            for month in 0...13 {
                for day in 0...32 {
                    check(String(format: "%04d-%02d-%02d", year, month, day))
                }
            }
        }
        var g = SeededGenerator(seed: 4)
        let bytes = Array("0123456789-/ :aZ".utf8) + [0x2F, 0x3A, 0xFF, 0x00]
        for _ in 0..<20_000 {
            var cell = Array(String(format: "%04d-%02d-%02d", Int.random(in: 1890...2110, using: &g),
                                     Int.random(in: 1...12, using: &g), Int.random(in: 1...31, using: &g)).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &g) {
                cell[Int.random(in: 0..<10, using: &g)] = bytes.randomElement(using: &g)!
            }
            let fast = cell.withUnsafeBufferPointer { ColumnSink.plainDate($0.baseAddress!, 10) }
            let plain = cell.withUnsafeBufferPointer { ColumnSink.plainDateReference($0.baseAddress!, 10) }
            #expect(fast == plain, "\(cell)")
        }
    }

    // MARK: Integers

    /// The batch's short-cell digits (one word ending at the cell's end, the bytes before it
    /// taken as '0') against the digit loop: every length below eight, digits and non-digits at
    /// every position, any bytes before the cell (digits included, which must not count).
    @Test func batchDigitsAgreeWithTheDigitLoop() {
        var g = SeededGenerator(seed: 21)
        let bytes: [UInt8] = Array("0123456789-+ /:a\u{0}".utf8) + [0x2F, 0x3A, 0xFF]
        for _ in 0..<20_000 {
            let m = Int.random(in: 1...7, using: &g)
            let cell = (0..<m).map { _ in
                Int.random(in: 0..<10, using: &g) < 8 ? UInt8(48 + Int.random(in: 0...9, using: &g)) : bytes.randomElement(using: &g)!
            }
            let before = (0..<8).map { _ in bytes.randomElement(using: &g)! }
            let buffer = before + cell
            let fast = buffer.withUnsafeBufferPointer { ColumnSink.batchDigits($0.baseAddress! + 8, m, readsBefore: true) }
            let plain = cell.withUnsafeBufferPointer { ColumnSink.plainDigitsReference($0.baseAddress!, m) }
            #expect(fast == plain, "\(cell) after \(before)")
        }
    }

    /// A cell's outcome through `ColumnSink` (the fast paths) and through `CellParser` (the plain
    /// path), in one comparable form.
    static func intOutcome(_ cell: [UInt8], padding: UInt8) -> (sink: String, parser: String) {
        // The cell sits between digits, so a load outside it would change the value.
        let buffer = [UInt8](repeating: padding, count: 9) + cell + [UInt8](repeating: padding, count: 9)
        var sink = ColumnSink(spec: ColumnSpec(name: "n", type: .int), keep: true, capacity: 1)
        let fromSink: String = buffer.withUnsafeBufferPointer { b in
            do throws(ColumnSink.Problem) {
                try sink.append(b.baseAddress! + 9, count: cell.count, utf8Checked: true)
                return sink.valid.last == true ? "int \(sink.ints.last!)" : "null"
            } catch {
                switch error {
                case .requiredButEmpty: return "required"
                case .invalid(let why): return "invalid \(why)"
                }
            }
        }
        let fromParser: String
        switch CellParser.parse(cell[...], as: .int) {
        case .value(.int(let v)): fromParser = "int \(v)"
        case .null: fromParser = "null"
        case .invalid(let why): fromParser = "invalid \(why)"
        case .value(let other): fromParser = "other \(other)"
        }
        return (fromSink, fromParser)
    }

    @Test func intCellsAgreeWithCellParserAtTheOverflowEdgesAndOnRandomCells() {
        var cells = [
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "999999999999999999", "-999999999999999999", "99999999999999999", "1000000000000000000",
            "12345678", "-12345678", "00000000", "0000000000000000", "00000000000000000001", "99999999",
            "100000000", "1234567812345678", "12345678123456789", "+12345678", " 12345678", "12345678 ", "-",
            "", "1234567/", "1234567:", "/2345678", ":2345678", "1234\u{B0}678", "-0", "0",
        ].map { Array($0.utf8) }
        var g = SeededGenerator(seed: 20)
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...21, using: &g)
            var cell = (0..<length).map { _ in UInt8(48 + Int.random(in: 0...9, using: &g)) }
            if Bool.random(using: &g) { cell[0] = UInt8(ascii: "-") }
            if Int.random(in: 0..<4, using: &g) == 0 {
                // One byte just outside the digits, anywhere: '/' and ':' border '0' and '9', and
                // 0xB0–0xB9 are digits with the high bit set.
                let odd: [UInt8] = [0x2F, 0x3A, 0x20, 0x2B, 0xB0, 0xB9, 0x40, 0x00, 0x29]
                cell[Int.random(in: 0..<length, using: &g)] = odd.randomElement(using: &g)!
            }
            cells.append(cell)
        }
        for cell in cells {
            for padding: UInt8 in [UInt8(ascii: "7"), UInt8(ascii: ",")] {
                let (sink, parser) = Self.intOutcome(cell, padding: padding)
                #expect(sink == parser, "\(String(decoding: cell, as: UTF8.self))")
            }
        }
    }

    @Test func swarDigitsAgreeWithTheDigitLoop() {
        var g = SeededGenerator(seed: 8)
        for _ in 0..<20_000 {
            let m = Int.random(in: 1...18, using: &g)
            var digits = (0..<m).map { _ in UInt8(48 + Int.random(in: 0...9, using: &g)) }
            if Int.random(in: 0..<3, using: &g) == 0 {
                digits[Int.random(in: 0..<m, using: &g)] = UInt8.random(in: 0...255, using: &g)
            }
            let buffer = [UInt8](repeating: 0x35, count: 8) + digits + [UInt8](repeating: 0x35, count: 8)
            buffer.withUnsafeBufferPointer { b in
                let p = b.baseAddress! + 8
                #expect(
                    ColumnSink.plainDigits(p, m) == ColumnSink.plainDigitsReference(p, m),
                    "\(digits.map { String($0, radix: 16) })")
            }
        }
    }

    // MARK: Quotes

    @Test func vectorisedQuoteCountAgreesWithTheWordCount() {
        var g = SeededGenerator(seed: 3)
        for length in [0, 1, 7, 8, 9, 31, 32, 33, 4095, 4096, 4097, 8191, 8192, 8193, 12_345] {
            for density in [0, 1, 50, 100] {
                let bytes = (0..<length).map { _ in
                    Int.random(in: 0..<100, using: &g) < density ? UInt8(ascii: "\"") : UInt8.random(in: 0...255, using: &g)
                }
                bytes.withUnsafeBufferPointer { b in
                    let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                    let expected = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }
                    #expect(CSVDatasetReader.countQuotes(p, b.count) == expected, "\(length) \(density)")
                    #expect(CSVDatasetReader.countQuotesPlain(p, b.count) == expected, "\(length) \(density)")
                    // Every start offset within the first word, so the loop's tail is hit.
                    if length > 16 {
                        for s in 1..<9 {
                            #expect(
                                CSVDatasetReader.countQuotes(p + s, b.count - s)
                                    == CSVDatasetReader.countQuotesPlain(p + s, b.count - s))
                        }
                    }
                }
            }
        }
    }

    /// The count at each vector level against the word count: quotes on both sides of every
    /// 32-, 64- and 128-byte edge, at every start offset; buffers of nothing but quotes long
    /// enough to overflow an 8-bit counter many times over (the AVX2 count keeps byte counters);
    /// and random densities at lengths around each loop's step.
    @Test func quoteCountsAtEveryLevelAgreeWithTheWordCount() {
        func agree(_ bytes: [UInt8], _ note: @autoclosure () -> String) {
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let expected = CSVDatasetReader.countQuotesPlain(p, b.count)
                #expect(CSVDatasetReader.countQuotes(p, b.count) == expected, "\(note())")
                for level in Self.levels {
                    #expect(reportd_count_byte_level(level, p, b.count, 0x22) == expected, "level \(level): \(note())")
                }
            }
        }
        let edges = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511]
        for length in [64, 128, 129, 300, 520] {
            for start in 0..<8 {
                for edge in edges where edge < length - start {
                    var bytes = [UInt8](repeating: 0x61, count: length)
                    bytes[start + edge] = 0x22
                    if start + edge + 1 < length { bytes[start + edge + 1] = 0x22 }
                    if start + edge > 0 { bytes[start + edge - 1] = 0x22 }
                    agree(Array(bytes[start...]), "length \(length) start \(start) quotes around \(edge)")
                }
            }
        }
        for length in [63 * 128, 63 * 128 + 1, 64 * 128, 255 * 128, 256 * 128 + 77, 100_000] {
            agree([UInt8](repeating: 0x22, count: length), "\(length) quotes")
        }
        var g = SeededGenerator(seed: 33)
        for length in [31, 32, 33, 127, 128, 129, 255, 256, 257, 8063, 8064, 8065, 20_000] {
            for density in [0, 3, 50, 97, 100] {
                let bytes = (0..<length).map { _ in
                    Int.random(in: 0..<100, using: &g) < density ? UInt8(0x22) : UInt8.random(in: 0...255, using: &g)
                }
                for start in [0, 1, 31] where start < length {
                    agree(Array(bytes[start...]), "\(length) \(density) \(start)")
                }
            }
        }
    }

    // MARK: Whole reads

    /// A byte that is not UTF-8 at every offset of a dataset's first rows: the error (file, line,
    /// column, words) is the same read whole, in three parts and in small blocks, and a bad byte
    /// inside a Vietnamese title is reported as that cell's.
    @Test func aBadByteAtEveryOffsetGivesTheSameErrorWholeInPartsAndInBlocks() throws {
        let schema = DatasetSchema(columns: [
            ColumnSpec(name: "id", type: .string, required: true),
            ColumnSpec(name: "title", type: .string),
            ColumnSpec(name: "amount", type: .int),
        ])
        var text = "id,title,amount\r\n"
        for i in 0..<12 {
            let title = i % 3 == 0 ? "\"Hỗ trợ, \"\"Mường Tè\"\"\"" : "Đào tạo nghề dệt thổ cẩm"
            text += "KC-\(i),\(title),\(123_456_789 * (i + 1))\(i % 2 == 0 ? "\r\n" : "\n")"
        }
        let clean = Array(text.utf8)
        let bodyStart = clean.firstIndex(of: 10)! + 1
        for offset in bodyStart..<min(clean.count, bodyStart + 220) {
            var bytes = clean
            bytes[offset] = 0xFF
            let whole = ParallelCSVTests.outcome(bytes, schema: schema, parts: 1, onBadRows: .fail)
            #expect(ParallelCSVTests.outcome(bytes, schema: schema, parts: 3, onBadRows: .fail) == whole, "\(offset)")
            #expect(try ParallelCSVTests.streamed(bytes, schema: schema, blockSize: 33, onBadRows: .fail) == whole, "\(offset)")
            // Blocks read in steps of a few bytes, each checked for UTF-8 as it is read: steps
            // that end inside a letter, and a bad byte in any step of a block.
            for step in [1, 2, 3, 5] {
                #expect(
                    try ParallelCSVTests.streamed(bytes, schema: schema, blockSize: 200, onBadRows: .fail, step: step)
                        == whole, "\(offset) step \(step)")
            }
            if clean[offset] >= 0x80 {
                #expect(whole.contains("column 'title': is not valid UTF-8"), "\(offset): \(whole)")
            }
        }
    }

    // MARK: Records

    /// Every record of `bytes` as the reader splits it (fields with their lines, the position,
    /// line and record end after it), or its error, going on after errors as a reject-mode read.
    static func records(
        _ bytes: [UInt8], fast: Bool, level: Int32 = -1, delimiter: UInt8, limits: CSVLimits
    ) -> [String] {
        bytes.withUnsafeBufferPointer { b in
            var reader = CSVRecordReader(bytes: b, limits: limits)
            reader.delimiter = delimiter
            reader.fast = fast
            reader.vectorLevel = level
            let fields = CSVRecordReader.Fields()
            var out: [String] = []
            for _ in 0..<(bytes.count + 2) {
                do throws(CSVRecordReader.SyntaxError) {
                    guard let line = try reader.next(into: fields) else { break }
                    let cells = fields.all.map { f in
                        "\(f.start)-\(f.end)\(f.quoted ? "q" : "")\(f.escapedQuotes ? "e" : "") \(f.line)@\(f.lineStart)"
                    }
                    out.append("\(line): \(cells) → \(reader.position) line \(reader.line) end \(reader.recordEnd)")
                } catch {
                    out.append("error \(error.line)@\(error.lineStart):\(error.offset) \(error.kind) \(error.message)")
                    reader.resumeAtSecondLine()
                }
            }
            return out
        }
    }

    static let recordPieces: [String] = [
        "a", "Đào tạo", "12345", "", "\"", "\"\"", "\"q,\nx\"", "\"a\"\"b\"", "\n", "\r\n", "\r", ",", ";", "\t",
        String(repeating: "x", count: 40), "\"" + String(repeating: "y", count: 37) + "\"", "\"\r\n\"", "\"\"\"\"", " ",
        // Fields that end at, just before and just after the 16- and 32-byte scans' steps.
        String(repeating: "k", count: 15), String(repeating: "k", count: 16), String(repeating: "k", count: 17),
        String(repeating: "m", count: 31), String(repeating: "m", count: 32), String(repeating: "m", count: 33),
        "\"" + String(repeating: "q", count: 31) + "\"", "\"" + String(repeating: "q", count: 47) + "\"\"",
    ]

    /// The C fast path (at each vector level) against the plain Swift loop: the same fields, lines,
    /// positions and errors on random records made of quotes (doubled, unclosed, at 16- and
    /// 32-byte edges), CRLF and lone CRs,
    /// empty fields, long fields, each delimiter, and small limits that cut records anywhere.
    @Test func fastRecordSplittingAgreesWithThePlainReader() {
        let small = CSVLimits(headerBytes: 1 << 20, columns: 6, recordBytes: 90, cellBytes: 30)
        for seed in UInt64(1)...1500 {
            var g = SeededGenerator(seed: seed)
            var text = Bool.random(using: &g) ? "\u{FEFF}" : ""
            for _ in 0..<Int.random(in: 0...60, using: &g) { text += Self.recordPieces.randomElement(using: &g)! }
            let bytes = Array(text.utf8)
            let delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")][Int(seed % 3)]
            for limits in [CSVLimits.standard, small] {
                let plain = Self.records(bytes, fast: false, delimiter: delimiter, limits: limits)
                // Every splitter this machine can run: SSE2 (or words), and AVX2.
                for level in Self.levels {
                    let fast = Self.records(bytes, fast: true, level: level, delimiter: delimiter, limits: limits)
                    #expect(fast == plain, "seed \(seed) level \(level) \(limits == small ? "small limits" : "")")
                }
            }
        }
    }

    /// Records wider than the reader's first field storage (32), and a long record of short fields.
    @Test func fastRecordSplittingGrowsForWideRecords() {
        let wide = (0..<100).map { $0 % 7 == 0 ? "\"f,\($0)\"" : "f\($0)" }.joined(separator: ",")
        let bytes = Array("\(wide)\r\n\(wide)\n,,,\n\(wide)".utf8)
        let fast = Self.records(bytes, fast: true, delimiter: UInt8(ascii: ","), limits: .standard)
        #expect(fast == Self.records(bytes, fast: false, delimiter: UInt8(ascii: ","), limits: .standard))
        #expect(fast.count == 4)
    }

    // MARK: Batches of records

    /// One record as the plain reader reads it: where it starts, its fields as the batch splitter
    /// writes them (`end` as `~end` when the field has doubled quotes), where the next starts, and
    /// whether it spans lines; nil for a record the plain reader refuses.
    struct PlainRecord: Equatable {
        var start: Int
        var spans: [[Int]]
        var next: Int
        var lines: Int
    }

    static func plainRecords(_ bytes: [UInt8], delimiter: UInt8, limits: CSVLimits) -> [PlainRecord?] {
        bytes.withUnsafeBufferPointer { b in
            var reader = CSVRecordReader(bytes: b, limits: limits)
            reader.delimiter = delimiter
            reader.fast = false
            let fields = CSVRecordReader.Fields()
            var out: [PlainRecord?] = []
            for _ in 0..<(bytes.count + 2) {
                let lineBefore = reader.line
                do throws(CSVRecordReader.SyntaxError) {
                    guard let line = try reader.next(into: fields) else { break }
                    let spans = fields.all.map { [$0.start, $0.escapedQuotes ? ~$0.end : $0.end] }
                    _ = lineBefore
                    out.append(PlainRecord(start: reader.recordStart, spans: spans, next: reader.position, lines: reader.line - line))
                } catch {
                    out.append(nil)
                    reader.resumeAtSecondLine()
                }
            }
            return out
        }
    }

    /// What `reportd_csv_records` reads from `start`: the records, and where it stopped.
    static func batch(
        _ bytes: [UInt8], from start: Int, level: Int32, delimiter: UInt8, fields: Int, max: Int, stopAt: Int = .max,
        limits: CSVLimits, nonEmpty: [UInt8]? = nil
    ) -> (records: [[[Int]]], next: Int) {
        let spans = UnsafeMutablePointer<reportd_csv_span>.allocate(capacity: max * fields)
        defer { spans.deallocate() }
        var at = start
        let n = bytes.withUnsafeBufferPointer { b in
            if let nonEmpty {
                return nonEmpty.withUnsafeBufferPointer { required in
                    reportd_csv_records_level(
                        level, b.baseAddress, b.count, &at, stopAt, delimiter, fields, max, limits.recordBytes,
                        limits.cellBytes, required.baseAddress, spans)
                }
            }
            return reportd_csv_records_level(
                level, b.baseAddress, b.count, &at, stopAt, delimiter, fields, max, limits.recordBytes, limits.cellBytes,
                nil, spans)
        }
        let records = (0..<n).map { r in (0..<fields).map { f in [spans[r * fields + f].start, spans[r * fields + f].end] } }
        return (records, at)
    }

    /// The batch splitter (each vector level) against the plain reader, started at every record
    /// the plain reader reads, on random text made of quotes (doubled, unclosed, at 16-, 32- and
    /// 64-byte edges), CRLF and lone CRs, blank lines, empty and long fields, each delimiter and
    /// small limits: every record it reads is the plain reader's next one, field for field, and
    /// it never reads past a record the plain reader refuses, spans lines in, or finds with
    /// another field count.
    @Test func batchSplittingAgreesWithThePlainReader() {
        let small = CSVLimits(headerBytes: 1 << 20, columns: 6, recordBytes: 90, cellBytes: 30)
        var batches = 0
        var recordsRead = 0
        for seed in UInt64(1)...1500 {
            var g = SeededGenerator(seed: seed)
            var text = ""
            for _ in 0..<Int.random(in: 0...80, using: &g) { text += Self.recordPieces.randomElement(using: &g)! }
            let bytes = Array(text.utf8)
            let delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")][Int(seed % 3)]
            for limits in [CSVLimits.standard, small] {
                let plain = Self.plainRecords(bytes, delimiter: delimiter, limits: limits)
                for (k, record) in plain.enumerated() {
                    guard let record else { continue }
                    for level in Self.levels {
                        let (read, next) = Self.batch(
                            bytes, from: record.start, level: level, delimiter: delimiter, fields: record.spans.count,
                            max: 1 + Int(seed % 5), limits: limits)
                        batches += 1
                        recordsRead += read.count
                        var expectedNext = record.start
                        for (r, spans) in read.enumerated() {
                            let expected = k + r < plain.count ? plain[k + r] : nil
                            #expect(expected?.spans == spans, "seed \(seed) level \(level) record \(k + r)")
                            #expect(expected?.lines == 1, "seed \(seed) level \(level) record \(k + r) spans lines")
                            // The plain reader skips blank lines before a record; the batch stops at one.
                            #expect(expected?.start == expectedNext, "seed \(seed) level \(level) record \(k + r)")
                            expectedNext = expected?.next ?? -1
                        }
                        #expect(next == expectedNext, "seed \(seed) level \(level) from record \(k)")
                    }
                }
            }
        }
        // The comparison is not empty: the batches read thousands of records (about one start in
        // five reads one; most of these records are ones it must stop before).
        #expect(recordsRead > 2_000, "\(recordsRead) records in \(batches) batches")
    }

    /// On clean records (quoted fields with delimiters and doubled quotes, CRLF and LF, fields
    /// across every 64-byte window edge) one call reads every record, as the plain reader does,
    /// and `stopAt` stops it before the first record that starts at or after it.
    @Test func batchSplittingReadsCleanRecordsWholeAndStopsAtStopAt() {
        var g = SeededGenerator(seed: 7)
        for level in Self.levels {
            for width in [1, 3, 15] {
                var text = ""
                for _ in 0..<400 {
                    let fields = (0..<width).map { _ -> String in
                        switch Int.random(in: 0..<6, using: &g) {
                        // An empty record would be a blank line, which the plain reader skips.
                        case 0: return width > 1 ? "" : "\"\""
                        case 1: return "\"Hỗ trợ, \"\"Mường Tè\"\"\""
                        case 2: return "\"a,b\""
                        case 3: return String(repeating: "x", count: Int.random(in: 0...130, using: &g))
                        default: return String(Int.random(in: 0...1_000_000_000, using: &g))
                        }
                    }
                    text += fields.joined(separator: ",") + (Bool.random(using: &g) ? "\r\n" : "\n")
                }
                let bytes = Array(text.utf8)
                let plain = Self.plainRecords(bytes, delimiter: UInt8(ascii: ","), limits: .standard)
                let whole = Self.batch(
                    bytes, from: 0, level: level, delimiter: UInt8(ascii: ","), fields: width, max: 1000, limits: .standard)
                #expect(whole.records.count == 400, "level \(level) width \(width)")
                #expect(whole.records == plain.map { $0?.spans ?? [] }, "level \(level) width \(width)")
                #expect(whole.next == bytes.count)
                // A required field: the batch stops before the first record with it empty.
                if width > 1 {
                    let required = (0..<width).map { UInt8($0 == width - 1 ? 1 : 0) }
                    let firstEmpty = plain.firstIndex { $0!.spans[width - 1][0] == $0!.spans[width - 1][1] } ?? plain.count
                    let stopped = Self.batch(
                        bytes, from: 0, level: level, delimiter: UInt8(ascii: ","), fields: width, max: 1000,
                        limits: .standard, nonEmpty: required)
                    #expect(stopped.records.count == firstEmpty, "level \(level) width \(width)")
                    #expect(firstEmpty < 400, "the file has an empty last field")
                }
                let stop = plain[100]!.start
                for stopAt in [stop - 1, stop, stop + 1] {
                    let part = Self.batch(
                        bytes, from: 0, level: level, delimiter: UInt8(ascii: ","), fields: width, max: 1000,
                        stopAt: stopAt, limits: .standard)
                    #expect(part.records.count == (stopAt <= stop ? 100 : 101), "level \(level) width \(width) \(stopAt)")
                }
            }
        }
    }

    // MARK: Interning

    /// The interner (hash bits in the slots, two-word compare of 8–16 bytes) against a dictionary
    /// of byte arrays: values that share their first or last eight bytes, differ in one byte,
    /// every length from 1 to 40, and enough of them to grow the table many times.
    @Test func internerCodesAgreeWithADictionary() {
        var g = SeededGenerator(seed: 11)
        var interner = StringInterner()
        var reference: [[UInt8]: Int32] = [:]
        let stems = ["Mường Tè", "Than Uyên", "Hộ nghèo", "Hợp tác xã", "abcdefghijklmnop"].map { Array($0.utf8) }
        for _ in 0..<60_000 {
            var value = stems.randomElement(using: &g)!
            value = Array(value.prefix(Int.random(in: 1...value.count, using: &g)))
            if Bool.random(using: &g) { value += Array(String(Int.random(in: 0..<3000, using: &g)).utf8) }
            if Int.random(in: 0..<4, using: &g) == 0 {
                value[Int.random(in: 0..<value.count, using: &g)] = UInt8.random(in: 32...126, using: &g)
            }
            if Int.random(in: 0..<10, using: &g) == 0 { value = (0..<Int.random(in: 1...40, using: &g)).map { _ in UInt8.random(in: 0...3, using: &g) } }
            let expected = reference[value] ?? Int32(reference.count)
            reference[value] = expected
            // The value between other bytes, so a compare that strays past it would see them.
            let buffer = [0xAA] + value + [0xBB]
            let code = buffer.withUnsafeBufferPointer { interner.code(of: $0.baseAddress! + 1, count: value.count) }
            #expect(code == expected, "\(value)")
        }
        #expect(interner.count == reference.count)
        for (value, code) in reference { #expect(Array(interner.bytes(of: Int(code))) == value) }
    }
}
