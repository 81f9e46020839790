import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// Records typed column by column in batches (`CSVDatasetReader.batchRows`, the fast path of
/// issue 20) against the row-by-row loop (`batchRows: 1`): the same cells, string dictionaries in
/// the same order, rejected rows and errors, on files where bad cells, short rows, doubled quotes,
/// blank lines and odd numbers fall anywhere in a batch, in both `on_bad_rows` modes, with every
/// column kept and with some only checked.
@Suite(.blocking) struct CSVBatchTypingTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true),
        ColumnSpec(name: "title", type: .string),
        ColumnSpec(name: "year", type: .int, required: true),
        ColumnSpec(name: "amount", type: .int),
        ColumnSpec(name: "rate", type: .decimal),
        ColumnSpec(name: "day", type: .date),
        ColumnSpec(name: "ok", type: .bool),
        ColumnSpec(name: "district", type: .string, required: true),
    ])

    /// Cells that the fast paths take, that only `CellParser` takes, and that nothing takes.
    static let years = ["2021", "2024", " 2023", "+2022", "-7", "2O24", "", "99999999999999999999", "0000002021"]
    static let amounts = ["", "123456789", "-5", "  ", "12 ", "1e3", "9223372036854775807", "9223372036854775808"]
    static let titles = [
        "Đào tạo nghề", "\"Hỗ trợ, máy\"", "\"Nhãn \"\"Chè\"\"\"", "\"Hai\ndòng\"", "", "x", "\"\"",
    ]
    static let districts = ["Tam Đường", "Mường Tè", "Nậm Nhùn", "Than Uyên", "", "Tân Uyên", "Sìn Hồ"]

    static func csv(rows: Int, seed: UInt64, badness: Int) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        func pick(_ values: [String], plain: Int) -> String {
            // Mostly the first `plain` values (the common case), sometimes any of them.
            Int.random(in: 0..<100, using: &g) < badness ? values.randomElement(using: &g)! : values[Int.random(in: 0..<plain, using: &g)]
        }
        var text = "id,title,year,amount,rate,day,ok,district\n"
        for i in 0..<rows {
            if Int.random(in: 0..<60, using: &g) == 0 { text += Bool.random(using: &g) ? "\n" : "\r\n" }
            var fields = [
                Int.random(in: 0..<400, using: &g) < badness ? "" : "KC-\(i)", pick(titles, plain: 2),
                pick(years, plain: 2), pick(amounts, plain: 2),
                Int.random(in: 0..<8, using: &g) == 0 ? "" : String(Double(Int.random(in: 0...100_000, using: &g)) / 1000),
                Int.random(in: 0..<300, using: &g) < badness ? "2024-02-30" : "2024-0\(Int.random(in: 1...9, using: &g))-1\(Int.random(in: 0...9, using: &g))",
                Bool.random(using: &g) ? "true" : "", pick(districts, plain: 4),
            ]
            if Int.random(in: 0..<300, using: &g) < badness { fields.removeLast() }
            if Int.random(in: 0..<600, using: &g) < badness { fields.append("extra") }
            text += fields.joined(separator: ",") + (Bool.random(using: &g) ? "\r\n" : "\n")
        }
        return Array(text.utf8)
    }

    /// Every cell, every string column's dictionary in code order, the rejected rows, or the error.
    static func outcome(
        _ bytes: [UInt8], parts: Int, onBadRows: DatasetConfig.BadRows, columns: Set<String>?, batchRows: Int
    ) -> String {
        let config = DatasetConfig(
            name: "projects", format: "csv", path: "data.csv", schemaPath: "schema.yaml", schema: schema,
            onBadRows: onBadRows)
        do {
            let loaded = try CSVLoader.readCSV(
                bytes, config: config, display: "data.csv", columns: columns, parts: parts, batchRows: batchRows)
            var lines = ["rows \(loaded.table.rowCount)", "columns \(loaded.table.schema.columnNames)"]
            for column in loaded.table.columns {
                if case .string(_, let dictionary) = column.storage { lines.append("dictionary \(dictionary)") }
            }
            for r in 0..<loaded.table.rowCount {
                lines.append(loaded.table.columns.map { "\($0.value(at: r))" }.joined(separator: "|"))
            }
            for row in loaded.rejected { lines.append("rejected \(row.line) \(row.reason) \(row.fields)") }
            return lines.joined(separator: "\n")
        } catch {
            return "error \(error)"
        }
    }

    @Test(arguments: [0, 1, 5, 30])
    func batchesGiveTheRowByRowOutcome(badness: Int) {
        for seed in 0..<12 {
            let bytes = Self.csv(rows: 700, seed: UInt64(seed * 100 + badness), badness: badness)
            for onBadRows in [DatasetConfig.BadRows.fail, .reject] {
                for columns in [nil, Set(["year", "district"]), Set(["title", "amount"]), Set<String>()] {
                    let parts = seed % 3 + 1
                    let plain = Self.outcome(bytes, parts: parts, onBadRows: onBadRows, columns: columns, batchRows: 1)
                    for batchRows in [2, 7, 128, 300] {
                        let batched = Self.outcome(
                            bytes, parts: parts, onBadRows: onBadRows, columns: columns, batchRows: batchRows)
                        #expect(
                            batched == plain,
                            "seed \(seed) badness \(badness) \(onBadRows) \(String(describing: columns)) batch \(batchRows)")
                    }
                }
            }
        }
    }

    /// The test's files do reach the paths it means to compare: clean files load whole, the bad
    /// ones reject rows or fail.
    @Test func theGeneratedFilesHoldGoodAndBadRows() {
        let clean = Self.outcome(
            Self.csv(rows: 300, seed: 1, badness: 0), parts: 1, onBadRows: .fail, columns: nil, batchRows: 128)
        #expect(clean.hasPrefix("rows 300"))
        let bad = Self.outcome(
            Self.csv(rows: 300, seed: 1, badness: 30), parts: 1, onBadRows: .reject, columns: nil, batchRows: 128)
        #expect(bad.contains("rejected"))
        #expect(!bad.hasPrefix("rows 300"))
        let failed = Self.outcome(
            Self.csv(rows: 300, seed: 1, badness: 30), parts: 1, onBadRows: .fail, columns: nil, batchRows: 128)
        #expect(failed.hasPrefix("error "))
    }
}

/// The interning of a batch (its cache of recent short values) against every cell looked up in the
/// interner: the same codes, in the same order, and the same dictionary, on values of 1–20 bytes
/// that share prefixes, suffixes and lengths (so that cache slots collide and differ in one
/// byte), with doubled quotes and empty cells, over batches that reuse the cache.
@Suite struct BatchInterningTests {
    @Test func theCacheGivesTheInternersCodes() {
        var g = SeededGenerator(seed: 11)
        let alphabet = Array("abĐư\"".utf8)
        for round in 0..<40 {
            let distinct = [3, 40, 300, 5000][round % 4]
            // Values that differ from a few stems in one byte, anywhere: first, middle, last.
            let stems: [[UInt8]] = (0..<4).map { _ in
                (0..<Int.random(in: 1...20, using: &g)).map { _ in alphabet.randomElement(using: &g)! }
            }
            let values: [[UInt8]] = (0..<distinct).map { _ in
                var value = stems.randomElement(using: &g)!
                value[Int.random(in: 0..<value.count, using: &g)] = alphabet.randomElement(using: &g)!
                return value
            }
            var fast = ColumnSink(spec: ColumnSpec(name: "v", type: .string), keep: true, capacity: 0)
            var plain = fast
            for _ in 0..<6 {
                // A batch's bytes: each cell a value, empty, or a value with doubled quotes
                // (written with its quotes doubled; `end` as `~end`).
                var bytes: [UInt8] = []
                var spans: [ColumnSink.Span] = []
                for _ in 0..<Int.random(in: 1...200, using: &g) {
                    let value = values.randomElement(using: &g)!
                    let start = bytes.count
                    switch Int.random(in: 0..<10, using: &g) {
                    case 0:
                        spans.append(ColumnSink.Span(start: start, end: start))
                    case 1 where value.contains(0x22):
                        for b in value { bytes.append(contentsOf: b == 0x22 ? [0x22, 0x22] : [b]) }
                        spans.append(ColumnSink.Span(start: start, end: ~bytes.count))
                    default:
                        bytes.append(contentsOf: value)
                        spans.append(ColumnSink.Span(start: start, end: bytes.count))
                    }
                    bytes.append(0x2C)
                }
                bytes.withUnsafeBufferPointer { b in
                    spans.withUnsafeBufferPointer { s in
                        fast.internBatch(base: b.baseAddress!, spans: s.baseAddress!, step: 1, rows: s.count)
                        plain.internBatchPlain(base: b.baseAddress!, spans: s.baseAddress!, step: 1, rows: s.count)
                    }
                }
            }
            #expect(fast.codes == plain.codes, "round \(round)")
            #expect(fast.strings.strings() == plain.strings.strings(), "round \(round)")
            #expect(fast.codes.contains(-1) && fast.strings.count > 0)
        }
    }
}

/// The chunk's UTF-8 check a segment at a time (`CSVDatasetReader.utf8Segment`) against the whole
/// chunk at once: the same rows, rejected rows and errors, with segments of 1 to 64 bytes (cut
/// inside Vietnamese letters and four-byte characters) and a bad byte, a NUL or a broken
/// sequence anywhere, batched and row by row, whole and in parts.
@Suite(.blocking) struct SegmentedUTF8CheckTests {
    @Test func segmentsGiveTheWholeChunksOutcome() {
        let schema = DatasetSchema(columns: [
            ColumnSpec(name: "id", type: .string, required: true),
            ColumnSpec(name: "title", type: .string),
            ColumnSpec(name: "amount", type: .int),
        ])
        var text = "id,title,amount\n"
        for i in 0..<40 {
            let title = ["Đào tạo nghề dệt thổ cẩm", "\"Hỗ trợ, \"\"Mường Tè\"\"\"", "Chè 😀 Tam Đường", ""][i % 4]
            text += "KC-\(i),\(title),\(123_456 * (i + 1))\n"
        }
        let clean = Array(text.utf8)
        var g = SeededGenerator(seed: 5)
        var sawError = false
        for trial in 0..<120 {
            var bytes = clean
            if trial > 0 {
                let at = Int.random(in: 16..<bytes.count, using: &g)
                bytes[at] = [0xFF, 0x00, 0xC3, 0x80, 0xED][trial % 5]
            }
            for onBadRows in [DatasetConfig.BadRows.fail, .reject] {
                let config = DatasetConfig(
                    name: "projects", format: "csv", path: "data.csv", schemaPath: "schema.yaml", schema: schema,
                    onBadRows: onBadRows)
                func outcome(parts: Int, segment: Int, batchRows: Int) -> String {
                    do {
                        let loaded = try CSVLoader.readCSV(
                            bytes, config: config, display: "data.csv", parts: parts, batchRows: batchRows,
                            utf8Segment: segment)
                        let cells = (0..<loaded.table.rowCount).map { r in
                            loaded.table.columns.map { "\($0.value(at: r))" }.joined(separator: "|")
                        }
                        return "rows \(cells) rejected \(loaded.rejected.map { "\($0.line) \($0.reason)" })"
                    } catch {
                        return "error \(error)"
                    }
                }
                let whole = outcome(parts: 1, segment: 1 << 40, batchRows: 1)
                if whole.hasPrefix("error") || whole.contains("UTF-8") { sawError = true }
                for segment in [1, 2, 3, 5, 17, 64] {
                    for batchRows in [1, 128] {
                        for parts in [1, 3] {
                            #expect(
                                outcome(parts: parts, segment: segment, batchRows: batchRows) == whole,
                                "trial \(trial) \(onBadRows) segment \(segment) batch \(batchRows) parts \(parts)")
                        }
                    }
                }
            }
        }
        #expect(sawError)
    }
}
