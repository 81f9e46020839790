import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON

/// The CSV reader cuts the file into chunks typed in parallel. Whatever the number of chunks, the
/// table, the rejected rows and the errors must be exactly those of one sequential pass.
@Suite(.blocking) struct ParallelCSVTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true),
        ColumnSpec(name: "title", type: .string),
        ColumnSpec(name: "year", type: .int, required: true),
        ColumnSpec(name: "amount", type: .int),
        ColumnSpec(name: "rate", type: .decimal),
        ColumnSpec(name: "day", type: .date),
        ColumnSpec(name: "ok", type: .bool),
    ])

    static func config(onBadRows: DatasetConfig.BadRows = .fail, schema: DatasetSchema = schema) -> DatasetConfig {
        DatasetConfig(
            name: "projects", format: "csv", path: "data.csv", schemaPath: "schema.yaml", schema: schema,
            onBadRows: onBadRows)
    }

    static func csv(rows: Int, seed: UInt64, bad: Bool) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        let titles = [
            "Đào tạo nghề dệt thổ cẩm", "\"Hỗ trợ máy móc, chế biến chè\"", "\"Nhãn \"\"Chè Tân Uyên\"\"\"",
            "\"Hai dòng\nxuống dòng\"", "", "plain", "\"\"", "\"a,b\r\nc\"",
        ]
        var text = "id,title,year,amount,rate,day,ok\n"
        for i in 0..<rows {
            if Int.random(in: 0..<50, using: &g) == 0 { text += Bool.random(using: &g) ? "\n" : "\r\n" }
            let amount = Int.random(in: 0..<10, using: &g) == 0 ? "" : String(Int.random(in: -5...900, using: &g) * 1_000_000)
            let rate = Int.random(in: 0..<8, using: &g) == 0 ? "" : String(Double(Int.random(in: 0...100_000, using: &g)) / 1000)
            var fields = [
                "KC-\(i)", titles.randomElement(using: &g)!, String(Int.random(in: 2019...2025, using: &g)), amount,
                rate, "2024-0\(Int.random(in: 1...9, using: &g))-1\(Int.random(in: 0...9, using: &g))",
                Bool.random(using: &g) ? "true" : "",
            ]
            if bad {
                switch Int.random(in: 0..<40, using: &g) {
                case 0: fields[2] = "20x1"
                case 1: fields.removeLast()
                case 2: fields[0] = ""
                case 3: fields[5] = "2024-02-30"
                default: break
                }
            }
            text += fields.joined(separator: ",") + (Bool.random(using: &g) ? "\r\n" : "\n")
        }
        return Array(text.utf8)
    }

    /// A comparable rendering of a load: every cell, the rejected rows, or the error.
    static func outcome(
        _ bytes: [UInt8], schema: DatasetSchema = schema, parts: Int, onBadRows: DatasetConfig.BadRows,
        columns: Set<String>? = nil
    ) -> String {
        do {
            let loaded = try CSVLoader.readCSV(
                bytes, config: config(onBadRows: onBadRows, schema: schema), display: "data.csv", columns: columns,
                parts: parts)
            var lines = ["rows \(loaded.table.rowCount)", "columns \(loaded.table.schema.columnNames)"]
            for r in 0..<loaded.table.rowCount {
                lines.append(loaded.table.columns.map { "\($0.value(at: r))" }.joined(separator: "|"))
            }
            for row in loaded.rejected { lines.append("rejected \(row.line) \(row.reason) \(row.fields)") }
            return lines.joined(separator: "\n")
        } catch {
            return "error \(error)"
        }
    }

    /// The same rendering for a load streamed from a file in blocks of `blockSize` bytes, the file
    /// read into buffers and mapped (the two must agree).
    static func streamed(
        _ bytes: [UInt8], schema: DatasetSchema = schema, blockSize: Int, onBadRows: DatasetConfig.BadRows,
        columns: Set<String>? = nil, step: Int = CSVStream.checksumStep
    ) throws -> String {
        let read = try streamed(
            bytes, schema: schema, blockSize: blockSize, onBadRows: onBadRows, columns: columns, step: step, access: .read)
        let mapped = try streamed(
            bytes, schema: schema, blockSize: blockSize, onBadRows: onBadRows, columns: columns, step: step,
            access: .mapped)
        #expect(mapped == read, "a mapped file reads as its copy does")
        return read
    }

    static func streamed(
        _ bytes: [UInt8], schema: DatasetSchema = schema, blockSize: Int, onBadRows: DatasetConfig.BadRows,
        columns: Set<String>? = nil, step: Int = CSVStream.checksumStep, access: CSVStream.Access
    ) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("data.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var config = config(onBadRows: onBadRows, schema: schema)
        config.path = path
        do {
            let loaded = try CSVLoader.load(config, columns: columns, blockSize: blockSize, step: step, access: access)
            #expect(loaded.sha256 == FileDataset.sha256(bytes), "the checksum covers every byte read")
            #expect(loaded.fingerprint == Fingerprint.of(bytes))
            var lines = ["rows \(loaded.table.rowCount)", "columns \(loaded.table.schema.columnNames)"]
            for r in 0..<loaded.table.rowCount {
                lines.append(loaded.table.columns.map { "\($0.value(at: r))" }.joined(separator: "|"))
            }
            for row in loaded.rejected { lines.append("rejected \(row.line) \(row.reason) \(row.fields)") }
            return lines.joined(separator: "\n")
        } catch {
            // The streamed load names the file by its path; the in-memory one was given "data.csv".
            return "error \(error)".replacingOccurrences(of: path, with: "data.csv")
        }
    }

    @Test(arguments: [64, 100, 1000, 4096, 1 << 20])
    func streamedBlocksGiveTheSequentialOutcome(blockSize: Int) throws {
        for seed in UInt64(20)...24 {
            for (bad, mode) in [(false, DatasetConfig.BadRows.fail), (true, .reject), (true, .fail)] {
                let bytes = Self.csv(rows: 300, seed: seed, bad: bad)
                let one = Self.outcome(bytes, parts: 1, onBadRows: mode)
                #expect(try Self.streamed(bytes, blockSize: blockSize, onBadRows: mode) == one, "seed \(seed) \(mode)")
            }
        }
        // Quoting that misleads the cuts, and an unterminated quote: the whole-file pass decides.
        var stray = "id,title,year,amount,rate,day,ok\n"
        for i in 0..<100 { stray += i == 20 ? "KC-\(i),ab\"c,2021,5,,,\n" : "KC-\(i),\"t,\nx\",2021,\(i),,,\n" }
        var open = String(decoding: Self.csv(rows: 100, seed: 4, bad: false), as: UTF8.self)
        open += "KC-open,\"never closed,2021,1,,,\n"
        for i in 0..<100 { open += "KC-tail-\(i),plain,2021,\(i),,,\n" }
        for text in [stray, open, "", "id,title,year,amount,rate,day,ok", "id,title,year,amount,rate,day,ok\r\n"] {
            let bytes = Array(text.utf8)
            for mode in [DatasetConfig.BadRows.fail, .reject] {
                #expect(try Self.streamed(bytes, blockSize: blockSize, onBadRows: mode) == Self.outcome(bytes, parts: 1, onBadRows: mode))
            }
        }
    }

    @Test func aHeaderLongerThanABlockIsReadWhole() throws {
        let long = (0..<40).map { "extra_column_with_a_long_name_\($0)" }.joined(separator: ",")
        let text = "id,title,year,amount,rate,day,ok,\(long)\nKC-1,t,2021,5,,,,\(String(repeating: ",", count: 39))\n"
        let bytes = Array(text.utf8)
        let one = Self.outcome(bytes, parts: 1, onBadRows: .fail)
        #expect(one.hasPrefix("rows 1"), "\(one)")
        #expect(try Self.streamed(bytes, blockSize: 64, onBadRows: .fail) == one)
    }

    @Test(arguments: [2, 3, 4, 7, 16])
    func chunksGiveTheSequentialTable(parts: Int) {
        for seed in UInt64(1)...6 {
            let bytes = Self.csv(rows: 400, seed: seed, bad: false)
            let one = Self.outcome(bytes, parts: 1, onBadRows: .fail)
            #expect(one.hasPrefix("rows "), "seed \(seed): \(one.prefix(200))")
            #expect(Self.outcome(bytes, parts: parts, onBadRows: .fail) == one, "seed \(seed)")
        }
    }

    @Test(arguments: [2, 3, 5, 16])
    func chunksRejectTheSameRowsOnTheSameLines(parts: Int) {
        for seed in UInt64(10)...15 {
            let bytes = Self.csv(rows: 400, seed: seed, bad: true)
            let one = Self.outcome(bytes, parts: 1, onBadRows: .reject)
            #expect(one.contains("rejected "), "seed \(seed) has bad rows")
            #expect(Self.outcome(bytes, parts: parts, onBadRows: .reject) == one, "seed \(seed)")
        }
    }

    @Test(arguments: [2, 4, 9])
    func chunksFailOnTheFirstBadRowOfTheFile(parts: Int) {
        // One bad cell near the end: the error must name its absolute line, not a chunk's.
        var text = String(decoding: Self.csv(rows: 300, seed: 3, bad: false), as: UTF8.self)
        text += "KC-bad,\"x\ny\",2021,12abc,1.5,2024-01-01,true\n"
        let bytes = Array(text.utf8)
        let one = Self.outcome(bytes, parts: 1, onBadRows: .fail)
        #expect(one.hasPrefix("error data.csv:"), "\(one)")
        #expect(one.contains("column 'amount': '12abc' is not an int"))
        #expect(Self.outcome(bytes, parts: parts, onBadRows: .fail) == one)
    }

    @Test func aStrayQuoteMisleadingTheCutsFallsBackToOnePass() {
        // `ab"c` is data in an unquoted field, but it flips the quote count that places the cuts.
        var text = "id,title,year,amount,rate,day,ok\n"
        for i in 0..<200 {
            text += i == 20 ? "KC-\(i),ab\"c,2021,5,,,\n" : "KC-\(i),\"t,\nx\",2021,\(i),,,\n"
        }
        let bytes = Array(text.utf8)
        let one = Self.outcome(bytes, parts: 1, onBadRows: .fail)
        #expect(one.hasPrefix("rows 200"), "\(one.prefix(300))")
        for parts in [2, 3, 8] { #expect(Self.outcome(bytes, parts: parts, onBadRows: .fail) == one, "\(parts)") }
    }

    @Test func anUnterminatedQuoteInALaterChunkGivesTheOnePassOutcome() {
        var text = String(decoding: Self.csv(rows: 200, seed: 4, bad: false), as: UTF8.self)
        text += "KC-open,\"never closed,2021,1,,,\n"
        // No quote after it, so nothing closes it.
        for i in 0..<300 { text += "KC-tail-\(i),plain,2021,\(i),,,\n" }
        let bytes = Array(text.utf8)
        for mode in [DatasetConfig.BadRows.fail, .reject] {
            let one = Self.outcome(bytes, parts: 1, onBadRows: mode)
            #expect(one.contains("unterminated quoted field"), "\(mode)")
            // In reject mode the stray quote costs its own line, not the 300 rows after it.
            if mode == .reject { #expect(one.hasPrefix("rows 500"), "\(one.prefix(100))") }
            for parts in [2, 4, 8] { #expect(Self.outcome(bytes, parts: parts, onBadRows: mode) == one, "\(mode) \(parts)") }
        }
    }

    @Test func columnsNoReportReadsAreCheckedButNotKept() throws {
        let bytes = Self.csv(rows: 200, seed: 7, bad: false)
        let kept = try CSVLoader.readCSV(
            bytes, config: Self.config(), display: "data.csv", columns: ["year", "amount"], parts: 3)
        #expect(kept.table.schema.columnNames == ["year", "amount"])
        #expect(kept.table.rowCount == 200)
        let all = try CSVLoader.readCSV(bytes, config: Self.config(), display: "data.csv", parts: 1)
        for r in 0..<200 { #expect(kept.table.column("amount")!.value(at: r) == all.table.column("amount")!.value(at: r)) }

        // No column kept at all: the row count still stands (a report that only counts rows).
        let none = try CSVLoader.readCSV(bytes, config: Self.config(), display: "data.csv", columns: [], parts: 2)
        #expect(none.table.columns.isEmpty)
        #expect(none.table.rowCount == 200)

        // A bad cell in a column that is not kept is still an error, on the same line and column.
        var text = String(decoding: bytes, as: UTF8.self)
        text += "KC-x,t,2021,1,1.5,2024-13-01,true\n"
        let broken = Array(text.utf8)
        let one = Self.outcome(broken, parts: 1, onBadRows: .fail)
        #expect(one.contains("column 'day': '2024-13-01' is not a date"), "\(one)")
        #expect(Self.outcome(broken, parts: 3, onBadRows: .fail, columns: ["year"]) == one)
    }

    @Test func cutsStartAtRecordsWhateverTheQuoting() {
        let bytes = Self.csv(rows: 500, seed: 8, bad: false)
        let cuts = CSVDatasetReader.cuts(bytes, from: 33, parts: 6)
        #expect(cuts.first == 33 && cuts.last == bytes.count)
        #expect(zip(cuts, cuts.dropFirst()).allSatisfy { $0 < $1 })
        for cut in cuts.dropFirst().dropLast() {
            #expect(bytes[cut - 1] == 10)
            // An even number of quotes before a cut: it is outside any quoted field.
            #expect(bytes[..<cut].filter { $0 == UInt8(ascii: "\"") }.count % 2 == 0)
        }
    }

    @Test func quoteCountingMatchesAByteLoop() {
        var g = SeededGenerator(seed: 99)
        for length in [0, 1, 7, 8, 9, 63, 64, 1000] {
            let alphabet: [UInt8] = [0x22, 0xA2, 0x02, 0x21, 0x23, 0x41]
            let bytes: [UInt8] = (0..<length).map { _ in alphabet.randomElement(using: &g)! }
            let expected = bytes.filter { $0 == UInt8(ascii: "\"") }.count
            let counted = bytes.withUnsafeBufferPointer { CSVDatasetReader.countQuotes($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count)
            }
            #expect(counted == expected, "length \(length)")
        }
    }
}

@Suite(.blocking) struct FastPathTests {
    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        var g = SeededGenerator(seed: 5)
        // Random short sequences biased toward the edges of the UTF-8 ranges.
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xA0, 0x9F, 0xED, 0xEF, 0xF0, 0x90, 0x8F,
            0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...12, using: &g)
            let bytes = (0..<n).map { _ in interesting.randomElement(using: &g)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let got = bytes.withUnsafeBufferPointer { UTF8Check.isValid($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count) }
            #expect(got == expected, "\(bytes.map { String($0, radix: 16) })")
        }
        let vietnamese = Array("Thành phố Lai Châu — Mường Tè, Nậm Nhùn 🧶".utf8)
        #expect(vietnamese.withUnsafeBufferPointer { UTF8Check.isValid($0.baseAddress!, count: $0.count) })
    }

    @Test func fastDecimalsAreTheStandardLibrarysDoubles() {
        var g = SeededGenerator(seed: 6)
        var texts = ["0", "-0", "0.1", "0.2", "123456789012345", "1.000000000000001", "-99.5", "0.000001", "1e5", ".5", "5.", "1.2.3", "-", "+1", "0x1p3", "12345678901234567"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &g)
            var t = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &g)) }.joined()
            let point = Int.random(in: 0...digits, using: &g)
            if point < digits { t.insert(".", at: t.index(t.startIndex, offsetBy: point)) }
            if Bool.random(using: &g) { t = "-" + t }
            texts.append(t)
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { ColumnSink.fastDecimal($0.baseAddress!, $0.count) }
            // The fast path may decline (nil); when it answers it must be exactly Double(String).
            if let fast { #expect(fast.bitPattern == Double(text)!.bitPattern, "\(text)") }
        }
        // The common short forms must take it.
        #expect(ColumnSink.fastDecimal(Array("1234.56".utf8), 7) == 1234.56)
    }

    @Test func internerKeepsExactBytesAndStableCodes() {
        var interner = StringInterner()
        func code(_ s: String) -> Int32 { Array(s.utf8).withUnsafeBufferPointer { interner.code(of: $0.baseAddress!, count: $0.count) } }
        let nfc = "Hồ", nfd = "Ho\u{0302}\u{0300}"
        #expect(code(nfc) == 0)
        #expect(code(nfd) == 1, "canonically equal but different bytes: two values")
        for i in 0..<10_000 { #expect(code("value \(i)") == Int32(i + 2)) }
        #expect(code(nfc) == 0 && code("value 9999") == 10_001)
        #expect(interner.strings()[1].utf8.elementsEqual(nfd.utf8))
        #expect(interner.count == 10_002)
    }
}
