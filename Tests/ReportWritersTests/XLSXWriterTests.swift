import Foundation
import Testing

@testable import ReportCore
@testable import WriterXLSX

private func column(_ name: String, _ type: ColumnType, metric calc: String? = nil) -> ReportResult.ResultColumn {
    ReportResult.ResultColumn(name: name, role: calc == nil ? .group : .metric, calc: calc, type: type)
}

private func context(locale: String? = nil) -> RunContext {
    RunContext(
        report: ReportDefinition(
            name: "funding", title: "Kinh phí khuyến công", dataset: "projects", schedule: .every(seconds: 3600),
            timezone: "Asia/Ho_Chi_Minh", metrics: []),
        slot: "2026-11-29T06:00:00+07:00", stamp: "2026-11-29T060000", generatedAt: "2026-11-29T06:00:03+07:00",
        dataset: DatasetFigures(name: "projects", rows: 30, rowsUsed: 28, rowsRejected: 2, sha256: "ab12"),
        locale: locale)
}

private func result(_ rows: [[Value]], totals: [Value]? = nil) -> ReportResult {
    ReportResult(
        columns: [column("district", .string), column("support", .int, metric: "sum"), column("mean", .decimal, metric: "mean")],
        rows: rows, totals: totals, rowsUsed: rows.count)
}

@Suite struct XLSXWriterTests {
    @Test func theSameResultGivesTheSameBytes() throws {
        let r = result([[.string("Sìn Hồ"), .int(45_000_000), .decimal(7.5)]], totals: [.int(45_000_000), .decimal(7.5)])
        let a = try XLSXWriter.render(r, context: context())
        let b = try XLSXWriter.render(r, context: context())
        #expect(a == b)
        #expect(a.starts(with: [0x50, 0x4B, 0x03, 0x04]), "a zip archive")
    }

    @Test func aFormulaIsWrittenAsTextAndNeverAsAFormula() throws {
        let r = result([[.string("=1+2"), .int(1), .null], [.string("@SUM(A1)"), .int(2), .null]])
        let sheet = try Workbook.part(XLSXWriter.render(r, context: context()), "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<is><t>=1+2</t></is>"))
        #expect(sheet.contains("<is><t>@SUM(A1)</t></is>"))
        #expect(!sheet.contains("<f>"))
    }

    /// 2^53 is exact as a double, but Excel and LibreOffice show 15 significant digits: 16 digits
    /// and more are text.
    @Test func integersOfSixteenDigitsAndMoreAreText() throws {
        let r = result([
            [.string("a"), .int(999_999_999_999_999), .null], [.string("b"), .int(1_000_000_000_000_000), .null],
            [.string("c"), .int(-9_007_199_254_740_993), .null], [.string("d"), .int(9_007_199_254_740_992), .null],
        ])
        let sheet = try Workbook.part(XLSXWriter.render(r, context: context()), "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<c r=\"B4\" s=\"1\"><v>999999999999999</v></c>"), "\(sheet)")
        #expect(sheet.contains("<c r=\"B5\" s=\"10\" t=\"inlineStr\"><is><t>1000000000000000</t></is></c>"), "\(sheet)")
        #expect(sheet.contains("<t>-9007199254740993</t>"))
        #expect(sheet.contains("<t>9007199254740992</t>"))
    }

    @Test func textThatXMLCannotHoldIsEscapedTheECMAWay() {
        #expect(SpreadsheetML.escaped("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;")
        #expect(SpreadsheetML.escaped("bell\u{7}") == "bell_x0007_")
        #expect(SpreadsheetML.escaped("_x0041_") == "_x005F_x0041_")
        #expect(SpreadsheetML.escaped("_x41_ ok") == "_x41_ ok")
    }

    @Test(arguments: [
        ("1900-01-01", 1), ("1900-02-28", 59), ("1900-03-01", 61), ("1970-01-01", 25569), ("2026-11-29", 46355),
        ("9999-12-31", 2_958_465),
    ])
    func datesAreSerialsOfThe1900System(_ iso: String, _ serial: Int) {
        #expect(ReportSheet.serial(Day(iso: iso)!) == serial)
    }

    @Test func datesBefore1900AreText() throws {
        #expect(ReportSheet.serial(Day(iso: "1899-12-31")!) == nil)
        let r = ReportResult(
            columns: [column("d", .date)], rows: [[.date(Day(iso: "1899-12-31")!)], [.date(Day(iso: "2024-02-29")!)]],
            totals: nil, rowsUsed: 2)
        let sheet = try Workbook.part(XLSXWriter.render(r, context: context()), "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<t>1899-12-31</t>"))
        #expect(sheet.contains("<c r=\"A5\" s=\"3\"><v>45351</v></c>"), "\(sheet)")
    }

    @Test func columnNamesAreTheirLetters() {
        #expect([0, 25, 26, 51, 52, 701, 702, 16383].map(SpreadsheetML.columnName) == [
            "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD",
        ])
    }

    @Test func theHeaderIsFrozenAndFilteredAndTheTotalsAreNotFiltered() throws {
        let r = result(
            [[.string("a"), .int(1), .decimal(0.5)], [.string("b"), .int(2), .null]], totals: [.int(3), .decimal(0.5)])
        let bytes = try XLSXWriter.render(r, context: context())
        let sheet = try Workbook.part(bytes, "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<pane ySplit=\"3\" topLeftCell=\"A4\" activePane=\"bottomLeft\" state=\"frozen\"/>"))
        #expect(sheet.contains("<autoFilter ref=\"A3:C5\"/>"))
        #expect(sheet.contains("<row r=\"6\"><c r=\"A6\" s=\"6\" t=\"inlineStr\"><is><t>Total</t></is></c>"))
        let workbook = try Workbook.part(bytes, "xl/workbook.xml")
        #expect(workbook.contains("'Report'!$A$3:$C$5</definedName>"))
    }

    @Test func aSplitValuesWorkbookNamesItsValueInTheDetails() throws {
        var splitContext = context(locale: "vi-VN")
        splitContext.split = ("district", "Mường Tè")
        let r = result([[.string("a"), .int(1), .null]])
        let details = try Workbook.part(XLSXWriter.render(r, context: splitContext), "xl/worksheets/sheet2.xml")
        #expect(details.contains("<t>Tách theo</t>") && details.contains("<t>district = Mường Tè</t>"), "\(details)")
        let whole = try Workbook.part(XLSXWriter.render(r, context: context(locale: "vi-VN")), "xl/worksheets/sheet2.xml")
        #expect(!whole.contains("Tách theo"), "the whole report has no split row")
    }

    @Test func vietnameseWordsWithTheVietnameseLocale() throws {
        let r = result([[.string("a"), .int(1), .null]], totals: [.int(1), .null])
        let bytes = try XLSXWriter.render(r, context: context(locale: "vi-VN"))
        #expect(try Workbook.part(bytes, "xl/workbook.xml").contains("<sheet name=\"Báo cáo\""))
        #expect(try Workbook.part(bytes, "xl/worksheets/sheet1.xml").contains("<t>Tổng cộng</t>"))
        #expect(try Workbook.part(bytes, "xl/styles.xml").contains("formatCode=\"dd/mm/yyyy\""))
        #expect(try Workbook.part(bytes, "xl/worksheets/sheet2.xml").contains("<t>Số dòng bị loại</t>"))
    }

    @Test func headersShowLabelsAndCellsValueLabels() throws {
        var r = result([[.string("local"), .int(1), .null], [.string("other"), .int(2), .null]])
        r.columns[0].label = "Chương trình"
        r.columns[0].values = ValueLabels([.init(code: "local", label: "Khuyến công địa phương")])
        r.columns[1].label = "Kinh phí (đồng)"
        let sheet = try Workbook.part(XLSXWriter.render(r, context: context()), "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<t>Chương trình</t>") && sheet.contains("<t>Kinh phí (đồng)</t>"))
        #expect(sheet.contains("<t>mean</t>"), "a column without a label keeps its name")
        #expect(sheet.contains("<t>Khuyến công địa phương</t>") && sheet.contains("<t>other</t>"))
    }

    /// The sheet is produced in chunks of `rowsPerChunk` rows: a result of several chunks gives
    /// every row once, in order.
    @Test func aLongResultIsWrittenWholeAcrossChunks() throws {
        let n = ReportSheet.rowsPerChunk * 3 + 7
        let r = result((0..<n).map { [.string("d\($0)"), .int(Int64($0)), .decimal(Double($0) / 4)] })
        let sheet = try Workbook.part(XLSXWriter.render(r, context: context()), "xl/worksheets/sheet1.xml")
        let rows = sheet.components(separatedBy: "<row ").count - 1
        #expect(rows == n + 3)
        #expect(sheet.contains("<c r=\"A\(n + 3)\" t=\"inlineStr\"><is><t>d\(n - 1)</t></is></c>"))
        #expect(sheet.hasSuffix("</worksheet>\n"))
    }

    @Test func tooManyRowsFailWithAMessage() {
        let r = result(Array(repeating: [.string("x"), .int(1), .null], count: SpreadsheetML.maxRows))
        #expect(throws: WriterError.self) { try XLSXWriter.render(r, context: context()) }
    }
}
