import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// The bulk re-coding of a string column's parts into the joined column (`appendRecoded`, issue 20)
/// against the plain one-append-per-cell loop it replaced, on adversarial parts: empty parts,
/// parts of nulls only, dictionaries that cross the 1-byte and 2-byte code widths part by part,
/// values seen in earlier parts, and parts whose dictionary keeps values of rows dropped since
/// (a rejected row's cells are truncated away, its strings stay). Same codes, same words, same base.
@Suite(.blocking) struct RecodedJoinTests {
    static let spec = ColumnSpec(name: "s", type: .string)

    /// A part of `rows` cells drawn from `values` distinct strings (offset by `shift`, so parts
    /// overlap), about one in `nullEvery` empty; `dropped` cells are appended and truncated away.
    static func part(
        rows: Int, values: Int, shift: Int, nullEvery: Int, dropped: Int, using g: inout SeededGenerator
    ) throws -> ColumnSink {
        var sink = ColumnSink(spec: spec, keep: true, capacity: rows)
        func add(_ text: String) throws {
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBufferPointer { b in
                try sink.append(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count, utf8Checked: true)
            }
        }
        for _ in 0..<rows {
            if nullEvery > 0, Int.random(in: 0..<nullEvery, using: &g) == 0 {
                try add("")
            } else {
                try add("v\(shift + Int.random(in: 0..<max(1, values), using: &g))")
            }
        }
        let kept = sink.count
        for k in 0..<dropped { try add("dropped-\(shift)-\(k)") }
        sink.truncate(to: kept)
        return sink
    }

    static func describe(_ p: PackedInts) -> String {
        "base \(p.base), \(p.bytesPerValue) bytes, \(Array(p))"
    }

    @Test func bulkRecodingGivesThePlainLoopsCodesWordsAndBase() throws {
        for seed in UInt64(1)...120 {
            var g = SeededGenerator(seed: seed)
            var fastStrings = StringInterner()
            var plainStrings = StringInterner()
            var fast = PackedIntsBuilder(capacity: 0)
            var plain = PackedIntsBuilder(capacity: 0)
            var scratch: [Int64] = []
            let parts = Int.random(in: 1...6, using: &g)
            for k in 0..<parts {
                let sink = try Self.part(
                    rows: [0, 1, 7, 300, 2_000].randomElement(using: &g)!,
                    values: [1, 3, 200, 256, 300, 70_000].randomElement(using: &g)!,
                    shift: Int.random(in: 0...400, using: &g) * k,
                    nullEvery: [0, 1, 2, 10].randomElement(using: &g)!,
                    dropped: [0, 0, 3, 300].randomElement(using: &g)!, using: &g)
                ColumnSink.appendRecoded(sink, to: &fastStrings, codes: &fast, scratch: &scratch)
                ColumnSink.appendRecodedPlain(sink, to: &plainStrings, codes: &plain)
            }
            #expect(fastStrings.count == plainStrings.count, "seed \(seed)")
            let a = fast.finish()
            let b = plain.finish()
            #expect(Self.describe(a) == Self.describe(b), "seed \(seed)")
        }
    }
}
