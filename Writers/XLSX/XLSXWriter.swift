import Foundation
public import ReportCore
import ZIPFoundation

/// Writes a result as an Excel workbook (`.xlsx`, Office Open XML SpreadsheetML, ECMA-376):
/// sheet 1 holds the title, the header, one row per group and the totals row, with numbers as
/// numbers; sheet 2 the run's details.
///
/// The SpreadsheetML parts are written here by hand, following ECMA-376 Part 1, and packed with
/// ZIPFoundation: there is no maintained Swift XLSX writer for Linux (CoreXLSX only reads;
/// XMLCoder is slow and fails on Linux above about 10 MB), and the few parts a report needs are
/// short and fixed, except the first sheet, which is streamed.
///
/// - Streamed: the first sheet's XML is produced a few hundred rows at a time and fed to the
///   zip entry's compressor as it asks for bytes, so a 100,000-row result never exists as one XML
///   string; memory is the result itself plus the compressed file. (ZIPFoundation needs the
///   entry's size before it starts, so the rows are generated twice: once to count the bytes,
///   once to write them.)
/// - Deterministic: the archive's entries carry a fixed time (1980-01-01, the first a zip can
///   hold) and come in a fixed order, so the same result gives the same bytes.
/// - Cells are values, never formulas: text is an inline string (`=1+2` stays text), numbers
///   numbers with a thousands format, dates date serials with a date format, and an integer
///   of 16 digits or more (2^53 and beyond among them) is text: Excel and LibreOffice show 15
///   significant digits of a number, and would round it.
public struct XLSXWriter: ReportWriter {
    public static let format = "xlsx"
    public static let fileExtension = "xlsx"

    public init() {}

    public func render(_ result: ReportResult, context: RunContext) throws(WriterError) -> [UInt8] {
        try Self.render(result, context: context)
    }

    /// The time every entry of the archive carries.
    static let entryDate = Date(timeIntervalSince1970: 315_532_800)

    public static func render(_ result: ReportResult, context: RunContext) throws(WriterError) -> [UInt8] {
        let sheet = ReportSheet(result: result, context: context)
        guard sheet.lastRow <= SpreadsheetML.maxRows else {
            throw WriterError(
                "the result has \(result.rows.count) rows: an Excel sheet holds \(SpreadsheetML.maxRows) rows at most (use csv or json for this report)"
            )
        }
        guard result.columns.count <= SpreadsheetML.maxColumns else {
            throw WriterError(
                "the result has \(result.columns.count) columns: an Excel sheet holds \(SpreadsheetML.maxColumns) at most")
        }
        let words = SheetWords(locale: context.locale)
        let parts: [(String, () -> AnyIterator<[UInt8]>)] = [
            ("[Content_Types].xml", whole(SpreadsheetML.contentTypes)),
            ("_rels/.rels", whole(SpreadsheetML.rootRelationships)),
            ("docProps/app.xml", whole(SpreadsheetML.app)),
            (
                "docProps/core.xml",
                whole(SpreadsheetML.core(title: sheet.title, created: context.generatedAt))
            ),
            (
                "xl/workbook.xml",
                whole(
                    SpreadsheetML.workbook(
                        report: SpreadsheetML.sheetName(words.reportSheet),
                        details: SpreadsheetML.sheetName(words.detailsSheet), filterRange: sheet.filterRange(absolute: true)))
            ),
            ("xl/_rels/workbook.xml.rels", whole(SpreadsheetML.workbookRelationships)),
            ("xl/styles.xml", whole(SpreadsheetML.styles(dateFormat: words.dateFormat))),
            ("xl/worksheets/sheet1.xml", { sheet.chunks() }),
            ("xl/worksheets/sheet2.xml", whole(DetailsSheet.xml(result: result, context: context, words: words))),
        ]
        do {
            let archive = try Archive(accessMode: .create)
            for (path, chunks) in parts {
                var size: Int64 = 0
                for chunk in chunks() { size += Int64(chunk.count) }
                var feeder = Feeder(chunks())
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: size, modificationDate: entryDate,
                    permissions: 0o644, compressionMethod: .deflate
                ) { _, count in feeder.take(count) }
            }
            guard let data = archive.data else { throw WriterError("the workbook's archive could not be read back") }
            return [UInt8](data)
        } catch let error as WriterError {
            throw error
        } catch {
            throw WriterError("cannot write the workbook: \(error)")
        }
    }

    /// One string as a part's only chunk.
    private static func whole(_ text: String) -> () -> AnyIterator<[UInt8]> {
        { AnyIterator([Array(text.utf8)].makeIterator()) }
    }

    /// Hands the compressor exactly the bytes it asks for, from chunks produced on demand.
    struct Feeder {
        var chunks: AnyIterator<[UInt8]>
        var pending: [UInt8] = []
        var offset = 0

        init(_ chunks: AnyIterator<[UInt8]>) { self.chunks = chunks }

        mutating func take(_ count: Int) -> Data {
            while pending.count - offset < count, let next = chunks.next() {
                pending.removeFirst(offset)
                offset = 0
                pending += next
            }
            let end = min(pending.count, offset + count)
            defer { offset = end }
            return Data(pending[offset..<end])
        }
    }
}

/// The words the workbook adds, in the run's locale (`ReportWords`), and the locale's date format.
struct SheetWords {
    let words: ReportWords
    let vietnamese: Bool

    init(locale: String?) {
        let reportLocale = ReportLocale(locale)
        words = reportLocale.words
        vietnamese = reportLocale.isVietnamese
    }

    var reportSheet: String { words.report }
    var detailsSheet: String { words.details }
    var total: String { words.total }
    var run: String { words.report }
    /// ISO in English, day first in Vietnamese (as Vietnamese offices write dates).
    var dateFormat: String { vietnamese ? "dd/mm/yyyy" : "yyyy-mm-dd" }

    /// The name of a field of the details sheet.
    func detail(_ key: String) -> String {
        switch key {
        case "Report": return words.report
        case "Title": return words.title
        case "Slot": return words.slot
        case "Generated at": return words.generatedAt
        case "Period": return words.period
        case "Dataset": return words.dataset
        case "Rows": return words.rowsLoaded
        case "Rows used": return words.rowsUsed
        case "Rows rejected": return words.rowsRejected
        case "Rows outside the period": return vietnamese ? "Số dòng ngoài kỳ" : key
        case "Split": return vietnamese ? "Tách theo" : "Split by"
        default: return key
        }
    }
}
