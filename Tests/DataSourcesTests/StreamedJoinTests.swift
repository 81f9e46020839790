import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// The fast paths of the streamed CSV read (issue 20) against the plain ones, on adversarial input:
/// blocks joined into the columns as they come (`ColumnSink.Joiner`, reused block buffers) against
/// one sequential pass joined at the end, and the word-at-a-time UTF-8 check against the standard
/// library's.
@Suite(.blocking) struct StreamedJoinTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true),
        ColumnSpec(name: "name", type: .string),
        ColumnSpec(name: "big", type: .int),
        ColumnSpec(name: "rate", type: .decimal),
        ColumnSpec(name: "day", type: .date),
    ])

    /// Rows whose cells straddle any block edge: multi-byte letters (NFC and NFD spellings of one
    /// name, which the join merges into one value), quoted fields with commas, doubled quotes and
    /// line breaks, CRLF and LF, empty fields, long lines, integers at the edges of 64 bits and
    /// past them, decimals, and (when `bad`) invalid UTF-8 and bad cells.
    static func csv(rows: Int, seed: UInt64, bad: Bool) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        let names: [[UInt8]] = [
            Array("Mường Tè".utf8), Array("Mường Tè".decomposedStringWithCanonicalMapping.utf8),
            Array("\"Tân Uyên, Lai Châu\"".utf8), Array("\"Nhãn \"\"Chè\"\"\nhai dòng\"".utf8), [],
            Array("\"\"".utf8), Array(String(repeating: "Sìn Hồ ", count: 40).utf8), Array("🧶 len".utf8),
        ]
        let bigs = [
            "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
            "123456789012345678", "-123456789012345678", "0", "-0", "", " 42", "+7",
        ]
        var out = Array("id,name,big,rate,day\r\n".utf8)
        for i in 0..<rows {
            var name = names.randomElement(using: &g)!
            var big = bigs.randomElement(using: &g)!
            let rate = ["", "0.1", "-12.345", "3", "1234567.891", "0.000001", "1e3"].randomElement(using: &g)!
            var day = Bool.random(using: &g) ? "2024-02-29" : ""
            if bad {
                switch Int.random(in: 0..<30, using: &g) {
                case 0: name = [0x4D, 0xC3, 0x28, 0x61]  // a lead byte without its continuation
                case 1: name = [0x61, 0xE1, 0xBB]  // a sequence cut short by the comma
                case 2: big = "9223372036854775808"  // one past Int64.max
                case 3: day = "2023-02-29"
                default: break
                }
            }
            out += Array("R\(i),".utf8) + name + Array(",\(big),\(rate),\(day)".utf8)
            out += Bool.random(using: &g) ? [13, 10] : [10]
        }
        return out
    }

    @Test(arguments: [64, 97, 1000, 1 << 20])
    func blocksJoinedAsTheyComeGiveTheSequentialOutcome(blockSize: Int) throws {
        for seed in UInt64(40)...43 {
            for (bad, mode) in [(false, DatasetConfig.BadRows.fail), (true, .reject), (true, .fail)] {
                let bytes = Self.csv(rows: 200, seed: seed, bad: bad)
                let one = ParallelCSVTests.outcome(bytes, schema: Self.schema, parts: 1, onBadRows: mode)
                let streamed = try ParallelCSVTests.streamed(
                    bytes, schema: Self.schema, blockSize: blockSize, onBadRows: mode)
                #expect(streamed == one, "seed \(seed) \(mode)")
            }
        }
    }

    /// NFD and NFC spellings of one value, first seen in different blocks: one code, one value.
    @Test func spellingsMergedAcrossBlocks() throws {
        var text = "id,name,big,rate,day\n"
        for i in 0..<50 { text += "R\(i),\(i % 2 == 0 ? "Mường Tè" : "Mường Tè".decomposedStringWithCanonicalMapping),1,,\n" }
        let bytes = Array(text.utf8)
        let one = ParallelCSVTests.outcome(bytes, schema: Self.schema, parts: 1, onBadRows: .fail)
        #expect(try ParallelCSVTests.streamed(bytes, schema: Self.schema, blockSize: 64, onBadRows: .fail) == one)
        // Compared by bytes: Swift's String comparison would take the two spellings as equal.
        #expect(one.utf8.elementsEqual(one.precomposedStringWithCanonicalMapping.utf8))
    }

    /// Long buffers mixing ASCII runs and multi-byte sequences, with a bad byte anywhere: every
    /// position relative to the 8-byte words the check reads.
    @Test func utf8CheckOnLongMixedBuffers() {
        var g = SeededGenerator(seed: 9)
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("abcdefgh".utf8), Array("ư".utf8), Array("ộ".utf8), Array("🧶".utf8), [0],
            Array("Thành phố".utf8), [0x80], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xC3], [0xE1, 0xBB], [0xF0, 0x9F, 0xA7], [0xFF],
        ]
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &g) {
                // Mostly valid pieces, so that a bad one lands at every offset of a long buffer.
                let piece = Int.random(in: 0..<6, using: &g) == 0 ? pieces.randomElement(using: &g)! : pieces[Int.random(in: 0...6, using: &g)]
                bytes += piece
            }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            for allowingNUL in [true, false] {
                let expected = valid && (allowingNUL || !bytes.contains(0))
                let got = bytes.withUnsafeBufferPointer {
                    UTF8Check.isValid($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count, allowingNUL: allowingNUL)
                }
                #expect(got == expected, "\(bytes.map { String($0, radix: 16) }) NUL allowed: \(allowingNUL)")
            }
        }
    }
}
