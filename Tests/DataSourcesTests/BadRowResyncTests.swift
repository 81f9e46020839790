import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON

/// Issue 24, point 6 (SPEC, "Dataset schema"): a bad row never costs its neighbours. A quoted field
/// ends at its closing quote; a record that is bad or never closes costs its first line only; a
/// lone CR in an unquoted field is an error. The parallel and streamed readers must keep these
/// rules wherever the chunks and blocks are cut.
@Suite(.blocking) struct BadRowResyncTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string, required: true),
        ColumnSpec(name: "code", type: .string),
        ColumnSpec(name: "count", type: .int),
        ColumnSpec(name: "day", type: .date),
        ColumnSpec(name: "amount", type: .int),
        ColumnSpec(name: "note", type: .string),
    ])

    static func read(_ text: String, mode: DatasetConfig.BadRows = .reject, parts: Int = 1) throws -> LoadedDataset {
        try CSVLoader.readCSV(
            Array(text.utf8),
            config: DatasetConfig(
                name: "d", format: "csv", path: "data.csv", schemaPath: "s.yaml", schema: schema, onBadRows: mode),
            display: "data.csv", parts: parts)
    }

    static func names(_ loaded: LoadedDataset) -> [String] {
        (0..<loaded.table.rowCount).map { loaded.table.column("name")!.value(at: $0).description }
    }

    @Test func textAfterAClosingQuoteCostsItsRowOnly() throws {
        // The issue's case: 3 rows were used where a strict reader keeps 5.
        let text = """
            name,code,count,day,amount,note
            a,"1",1,2024-01-01,0,x
            b,2,1,2024-01-01,0,x
            c,"2"x,1,2024-01-01,0,x
            d,3,1,2024-01-01,0,x
            e,"4",1,2024-01-01,0,x
            f,5,1,2024-01-01,0,x

            """
        let loaded = try Self.read(text)
        #expect(Self.names(loaded) == ["a", "b", "d", "e", "f"])
        #expect(loaded.rejected.map(\.line) == [4])
        #expect(loaded.rejected.first?.reason.contains("after a closing quote") == true)
        #expect(loaded.rejected.first?.fields == ["c,\"2\"x,1,2024-01-01,0,x"])
    }

    @Test func anUnclosedQuoteCostsItsFirstLineOnly() throws {
        let text = "name,code,count,day,amount,note\na,1,1,,,\nb,\"open,1,,,\nc,3,1,,,\nd,4,1,,,\n"
        let loaded = try Self.read(text)
        #expect(Self.names(loaded) == ["a", "c", "d"])
        #expect(loaded.rejected.map(\.line) == [3])
        #expect(loaded.rejected.first?.reason.contains("unterminated quoted field") == true)
    }

    @Test func aQuoteClosedLinesLaterThenBadCostsItsFirstLineOnly() throws {
        // The stray quote on line 3 closes on line 5, where text follows it: only line 3 is bad.
        let text = "name,code,count,day,amount,note\na,1,1,,,\nb,\"stray,1,,,\nc,3,1,,,\nd,\"x\"y,1,,,\ne,5,1,,,\n"
        let loaded = try Self.read(text)
        #expect(loaded.rejected.map(\.line) == [3, 5])
        #expect(Self.names(loaded) == ["a", "c", "e"])
    }

    @Test func aMultiLineRecordThatBreaksTheSchemaCostsItsFirstLine() throws {
        // Line 3 opens a quote that line 4 closes: one record, with 8 fields. Line 3 is rejected
        // and line 4 is read as a record of its own (bad too: 3 fields), then line 5 is good.
        let text = "name,code,count,day,amount,note\na,1,1,,,\nb,\"x,1,,,\nc\",3,1\nd,4,1,,,\n"
        let loaded = try Self.read(text)
        #expect(loaded.rejected.map(\.line) == [3, 4])
        #expect(Self.names(loaded) == ["a", "d"])
        // A good multi-line record stays one row.
        let good = try Self.read("name,code,count,day,amount,note\n\"two\nlines\",1,1,,,\nz,2,2,,,\n")
        #expect(Self.names(good) == ["two\nlines", "z"])
        #expect(good.rejected.isEmpty)
    }

    @Test func aLoneCarriageReturnIsAnErrorWithALineEndingsHint() throws {
        let schema = DatasetSchema(columns: [ColumnSpec(name: "name", type: .string)])
        let config = DatasetConfig(
            name: "d", format: "csv", path: "data.csv", schemaPath: "s", schema: schema, onBadRows: .fail)
        let error = #expect(throws: DatasetError.self) {
            try CSVLoader.readCSV(Array("name\na\rb\nc\n".utf8), config: config, display: "data.csv")
        }
        #expect(error?.line == 2)
        #expect(error?.column == 2)
        #expect(error?.message.contains("line endings") == true, "\(error?.message ?? "")")
        #expect(error?.description.hasPrefix("data.csv:2:2") == true, "\(error.map { "\($0)" } ?? "")")
        var reject = config
        reject.onBadRows = .reject
        let loaded = try CSVLoader.readCSV(Array("name\na\rb\nc\n".utf8), config: reject, display: "data.csv")
        #expect(loaded.table.rowCount == 1)
        #expect(loaded.rejected.map(\.line) == [2])
        // CR LF, and a CR as the file's very last byte, still end a line.
        let crlf = try CSVLoader.readCSV(Array("name\r\na\r\nb\r".utf8), config: config, display: "data.csv")
        #expect(crlf.table.rowCount == 2)
    }

    @Test func failModeStillNamesFileLineAndColumn() throws {
        let error = #expect(throws: DatasetError.self) {
            try Self.read("name,code,count,day,amount,note\na,1,1,,,\nc,\"2\"x,1,2024-01-01,0,x\n", mode: .fail)
        }
        #expect(error?.file == "data.csv")
        #expect(error?.line == 3)
        #expect(error?.column == 6)
    }

    /// A file with every kind of bad row spread through it, each costing exactly one line.
    static func scattered(rows: Int, seed: UInt64) -> (text: String, good: [String], bad: [Int]) {
        var g = SeededGenerator(seed: seed)
        var text = "name,code,count,day,amount,note\n"
        var good: [String] = []
        var bad: [Int] = []
        var line = 2
        for i in 0..<rows {
            let name = "r\(i)"
            switch Int.random(in: 0..<12, using: &g) {
            case 0: text += "\(name),\"2\"x,1,2024-01-01,0,x\n"
            case 1: text += "\(name),\"never closed,1,,,\n"
            case 2: text += "\(name),a\rb,1,,,\n"
            case 3: text += "\(name),1,x1,,,\n"
            case 4: text += "\(name),1,1,,\n"
            default:
                let note = Bool.random(using: &g) ? "\"có, dấu phẩy\"" : "\"hai\ndòng\""
                text += "\(name),\"\(i)\",\(i),2024-02-0\(i % 9 + 1),\(i * 1000),\(note)\n"
                good.append(name)
                line += note.contains("\n") ? 2 : 1
                continue
            }
            bad.append(line)
            line += 1
        }
        return (text, good, bad)
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyBadRowCostsOneLineWhateverTheChunks(parts: Int) throws {
        for seed in UInt64(1)...6 {
            let (text, good, bad) = Self.scattered(rows: 300, seed: seed)
            let loaded = try Self.read(text, parts: parts)
            #expect(Self.names(loaded) == good, "seed \(seed)")
            #expect(loaded.rejected.map(\.line) == bad, "seed \(seed)")
        }
    }

    @Test(arguments: [64, 100, 1000, 4096])
    func everyBadRowCostsOneLineWhateverTheBlocks(blockSize: Int) throws {
        for seed in UInt64(7)...9 {
            let (text, good, bad) = Self.scattered(rows: 200, seed: seed)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "reportd-resync-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("data.csv").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let config = DatasetConfig(
                name: "d", format: "csv", path: path, schemaPath: "s.yaml", schema: Self.schema, onBadRows: .reject)
            let loaded = try CSVLoader.load(config, columns: nil, blockSize: blockSize)
            #expect(Self.names(loaded) == good, "seed \(seed)")
            #expect(loaded.rejected.map(\.line) == bad, "seed \(seed)")
        }
    }
}
