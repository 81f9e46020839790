import Foundation
import ReportCore
import Testing
import TestSupport
import ZIPFoundation

@testable import SourceXLSX

/// Workbooks made part by part here: what a damaged or hostile file does, and where errors point.
@Suite(.blocking) struct XLSXSourceTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string, required: true), ColumnSpec(name: "n", type: .int),
    ])

    /// A workbook with one sheet `name` holding `sheetData`, plus `extra` parts.
    static func workbook(
        sheet sheetData: String, name: String = "Data", extra: [String: [UInt8]] = [:], workbookPr: String = ""
    ) throws -> [UInt8] {
        let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
        let r = "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
        var parts: [(String, [UInt8])] = [
            (
                "_rels/.rels",
                Array(
                    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
                        .utf8)
            ),
            (
                "xl/workbook.xml",
                Array("<workbook \(ns) \(r)>\(workbookPr)<sheets><sheet name=\"\(name)\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".utf8)
            ),
            (
                "xl/_rels/workbook.xml.rels",
                Array(
                    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
                        .utf8)
            ),
            ("xl/worksheets/sheet1.xml", Array("<worksheet \(ns)><sheetData>\(sheetData)</sheetData></worksheet>".utf8)),
        ]
        parts += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let archive = try Archive(accessMode: .create)
        for (path, bytes) in parts {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate
            ) { position, size in Data(bytes[Int(position)..<Int(position) + size]) }
        }
        return [UInt8](archive.data!)
    }

    static let header = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>district</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>n</t></is></c></row>"

    func read(
        _ bytes: [UInt8], sheet: String? = nil, reject: Bool = false, limits: XLSXLimits = .standard
    ) throws(DatasetError) -> LoadedDataset {
        var config = DatasetConfig(
            name: "d", format: "xlsx", path: "/data/w.xlsx", schemaPath: "s.yaml", schema: Self.schema,
            onBadRows: reject ? .reject : .fail)
        if let sheet { config.options[XLSXSheet.self] = XLSXSheet(name: sheet) }
        return try XLSXLoader.read(bytes, config: config, display: "w.xlsx", columns: nil, limits: limits)
    }

    func message(_ body: () throws(DatasetError) -> Void) -> String {
        do throws(DatasetError) {
            try body()
            return "(no error)"
        } catch {
            return error.description
        }
    }

    @Test func aBadCellIsLocatedBySheetAndReference() throws {
        let bytes = try Self.workbook(
            sheet: Self.header + "<row r=\"12\"><c r=\"A12\" t=\"inlineStr\"><is><t>Sìn Hồ</t></is></c>"
                + "<c r=\"B12\" t=\"inlineStr\"><is><t>hai</t></is></c></row>", name: "Đề án")
        #expect(
            message { () throws(DatasetError) in _ = try read(bytes) }
                == "w.xlsx!Đề án!B12: error: column 'n': 'hai' is not an int")
        let loaded = try read(bytes, reject: true)
        #expect(loaded.rejected.map(\.line) == [12])
        #expect(loaded.rejected.first?.reason == "B12: column 'n': 'hai' is not an int")
    }

    @Test func aMissingSheetNamesTheSheetsAndTheNearestOne() throws {
        let bytes = try Self.workbook(sheet: Self.header, name: "Đề án")
        #expect(
            message { () throws(DatasetError) in _ = try read(bytes, sheet: "Đề ám") }
                == "w.xlsx: error: the workbook has no sheet 'Đề ám' (its sheets: 'Đề án'); did you mean 'Đề án'?")
    }

    @Test func notAZipIsSaidSo() {
        #expect(message { () throws(DatasetError) in _ = try read(Array("district,n\n".utf8)) }.contains("not a zip archive"))
    }

    /// 64 MiB of zeros deflate to about 64 KiB; with a 1 MiB part limit the read stops there.
    @Test func aZipBombStopsAtThePartLimit() throws {
        let zeros = [UInt8](repeating: 0x20, count: 64 << 20)
        let bytes = try Self.workbook(sheet: Self.header, extra: ["xl/sharedStrings.xml": zeros])
        // The archive states the true size: refused before inflating.
        let limits = XLSXLimits(partBytes: 1 << 20, sharedStrings: 100)
        let bomb = try Self.workbook(
            sheet: Self.header + "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>" + String(repeating: " ", count: 2 << 20)
                + "</t></is></c></row>")
        #expect(
            message { () throws(DatasetError) in _ = try read(bomb, limits: limits) }.contains(
                "more than the 1048576 bytes a part may take"))
        #expect(bytes.count < 1 << 20)
    }

    @Test func anEntryThatInflatesBeyondWhatItClaimsIsRefused() throws {
        // A sheet whose central directory claims 100 bytes but inflates to 2 MiB: the size field
        // is patched in the archive, as a zip bomb would.
        let big = Self.header + "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>"
            + String(repeating: "a", count: 2 << 20) + "</t></is></c></row>"
        var bytes = try Self.workbook(sheet: big)
        let name = Array("xl/worksheets/sheet1.xml".utf8)
        var patched = 0
        // Central directory headers (PK\1\2): uncompressed size at +24; local headers (PK\3\4) at +22.
        var i = 0
        while i + 46 < bytes.count {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 1, bytes[i + 3] == 2,
                Array(bytes[(i + 46)..<(i + 46 + name.count)]) == name
            {
                bytes.replaceSubrange((i + 24)..<(i + 28), with: [100, 0, 0, 0])
                patched += 1
            }
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 3, bytes[i + 3] == 4,
                Array(bytes[(i + 30)..<(i + 30 + name.count)]) == name
            {
                bytes.replaceSubrange((i + 22)..<(i + 26), with: [100, 0, 0, 0])
                patched += 1
            }
            i += 1
        }
        #expect(patched == 2)
        let text = message { () throws(DatasetError) in
            _ = try read(bytes, limits: XLSXLimits(partBytes: 1 << 20, sharedStrings: 100))
        }
        #expect(text.contains("inflates to more than 1048576 bytes") || text.contains("cannot be read from the archive"), "\(text)")
    }

    @Test(arguments: [
        ("<row r=\"2\"><c r=\"A2\"", "the tag <c is not closed"),
        ("<row r=\"2\"></c></row>", "</c> closes <row>"),
        ("<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>&bogus;</t></is></c></row>", "unknown reference &bogus;"),
        ("<row r=\"2\"><c r=\"A2\" t=\"s\"><v>7</v></c></row>", "names shared string '7', which the workbook lacks"),
        ("<row r=\"1\"></row>", "row number '1' out of order"),
    ])
    func malformedXMLIsAnErrorNamingThePart(_ rows: String, _ expected: String) throws {
        let text = message { () throws(DatasetError) in _ = try read(try! Self.workbook(sheet: Self.header + rows)) }
        #expect(text.contains("malformed XML in xl/worksheets/sheet1.xml") && text.contains(expected), "\(text)")
    }

    @Test func aDocumentTypeDeclarationIsRefused() throws {
        let laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
        let sst = laughs + "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>&lol2;</t></si></sst>"
        let book = try Self.workbookWithSharedStrings(sst)
        let text = message { () throws(DatasetError) in _ = try read(book) }
        #expect(text.contains("malformed XML in xl/sharedStrings.xml") && text.contains("document type declaration"), "\(text)")
    }

    static func workbookWithSharedStrings(_ sst: String, rows: String = "") throws -> [UInt8] {
        let rels =
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"
        // The relationships part is replaced by the one naming the shared strings.
        let base = try workbook(sheet: header + rows)
        let archive = try Archive(data: Data(base), accessMode: .update)
        try archive.remove(archive["xl/_rels/workbook.xml.rels"]!)
        for (path, text) in [("xl/_rels/workbook.xml.rels", rels), ("xl/sharedStrings.xml", sst)] {
            let bytes = Array(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count)) { p, s in
                Data(bytes[Int(p)..<Int(p) + s])
            }
        }
        return [UInt8](archive.data!)
    }

    @Test func sharedStringsRichTextAndPhoneticRuns() throws {
        let sst =
            "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><r><t>Mư</t></r><r><t>ờng Tè</t></r><rPh><t>x</t></rPh></si></sst>"
        let book = try Self.workbookWithSharedStrings(
            sst, rows: "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\"><v>3</v></c></row>")
        let loaded = try read(book)
        #expect(loaded.table.columns[0].value(at: 0) == .string("Mường Tè"))
        #expect(loaded.table.columns[1].value(at: 0) == .int(3))
    }

    @Test(arguments: [
        (1.0, false, "1900-01-01"), (59.0, false, "1900-02-28"), (61.0, false, "1900-03-01"),
        (45351.75, false, "2024-02-29"), (0.0, true, "1904-01-01"), (43889.0, true, "2024-02-29"),
    ])
    func serialsInBothDateSystems(_ serial: Double, _ date1904: Bool, _ iso: String) {
        #expect(SpreadsheetText.day(serial: serial, date1904: date1904)?.description == iso)
    }

    @Test func theFictitiousLeapDayIsNotADate() {
        #expect(SpreadsheetText.day(serial: 60, date1904: false) == nil)
    }

    @Test(arguments: [
        (14, nil as String?, true), (0, nil, false), (3, nil, false), (164, "yyyy-mm-dd", true),
        (165, "#,##0", false), (166, "\"day\" 0", false), (167, "[Red]0.00", false), (168, "dd/mm/yyyy;@", true),
    ])
    func dateFormats(_ id: Int, _ code: String?, _ isDate: Bool) {
        #expect(SpreadsheetText.isDateFormat(id, code) == isDate)
    }
}
