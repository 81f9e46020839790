import Foundation
import ReportCore
import Testing
import TestSupport

@testable import SourceCSV

/// CSV files as Windows writes them, read through iconv: what goes wrong is located.
@Suite(.blocking) struct WindowsCSVTests {
    func read(_ bytes: [UInt8], encoding: CSVEncoding, delimiter: String = ",") throws -> LoadedDataset {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-wincsv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("data.csv")
        try Data(bytes).write(to: file)
        var config = DatasetConfig(
            name: "d", format: "csv", path: file.path, schemaPath: "s.yaml",
            schema: DatasetSchema(columns: [ColumnSpec(name: "name", type: .string), ColumnSpec(name: "n", type: .int)]),
            onBadRows: .fail)
        config.csv.encoding = encoding
        config.csv.delimiter = Array(delimiter.utf8)[0]
        return try CSVLoader.load(config)
    }

    /// "Tè" in Windows-1258: T, e, combining grave (0xCC); read as one precomposed letter.
    @Test func windows1258ComesOutInNFC() throws {
        let bytes = Array("name;n\r\n".utf8) + [0x54, 0x65, 0xCC] + Array(";1\r\n".utf8)
        let loaded = try read(bytes, encoding: .windows1258, delimiter: ";")
        #expect(loaded.table.columns[0].value(at: 0) == .string("T\u{E8}"))
    }

    @Test func aByteOrderMarkDecidesOverTheDeclaredEncoding() throws {
        let text = "name\tn\r\nMường Tè\t2\r\n"
        let bytes: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let loaded = try read(bytes, encoding: .utf8, delimiter: "\t")
        #expect(loaded.table.columns[0].value(at: 0) == .string("Mường Tè"))
        #expect(loaded.sha256.count == 64)
    }

    @Test func aUTF16FileCutInsideACharacterIsLocated() throws {
        let text = "name,n\nab,1\n"
        let bytes: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0x41]
        #expect {
            try read(bytes, encoding: .utf16)
        } throws: { error in
            let e = error as! DatasetError
            return e.line == 3 && e.column == 1 && e.message.contains("the file ends inside a character")
        }
    }

    @Test func aByteThatIsNotInTheEncodingIsLocated() throws {
        let bytes: [UInt8] = [0xFF, 0xFE] + Array("n\u{0}a\u{0}\n\u{0}x\u{0}".utf8) + [0x00, 0xDC, 0x41, 0x00]
        #expect {
            try read(bytes, encoding: .utf16)
        } throws: { error in
            let e = error as! DatasetError
            return e.line == 2 && e.column == 2 && e.message.contains("is not utf-16le")
        }
    }
}
