/// The pieces of SpreadsheetML (ECMA-376 Part 1, §18) the XLSX writer needs: cell references,
/// text escaping, and the fixed parts of a two-sheet workbook.
enum SpreadsheetML {
    static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationshipNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

    /// Excel's limits (ECMA-376 leaves them to the application; Excel's are the ones that matter).
    static let maxRows = 1_048_576
    static let maxColumns = 16_384
    /// Characters (UTF-16 code units) a cell may hold.
    static let maxCellCharacters = 32_767

    /// The column letters of a 0-based column index: 0 → A, 25 → Z, 26 → AA.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var letters: [UInt8] = []
        while n > 0 {
            let r = (n - 1) % 26
            letters.append(UInt8(ascii: "A") + UInt8(r))
            n = (n - 1) / 26
        }
        return String(decoding: letters.reversed(), as: UTF8.self)
    }

    /// `B12` for column 1, row 12.
    static func cell(_ column: Int, _ row: Int) -> String { columnName(column) + String(row) }

    /// Text escaped for an element's content or an attribute value: the five XML specials, and the
    /// characters XML 1.0 cannot hold (controls other than tab, line feed and carriage return) as
    /// ECMA-376's `_xHHHH_` (§22.9.2.19, ST_Xstring), with a literal `_xHHHH_` protected as
    /// `_x005F_xHHHH_` so that readers do not decode it.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            switch s {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "&#13;"
            case "_" where isEscapeSequence(scalars, at: i): out += "_x005F_"
            default:
                if s.value < 0x20 && s != "\t" && s != "\n" || s.value == 0xFFFE || s.value == 0xFFFF {
                    out += "_x" + hex4(s.value) + "_"
                } else {
                    out.unicodeScalars.append(s)
                }
            }
            i += 1
        }
        return out
    }

    /// Whether `_xHHHH_` starts at `i`.
    private static func isEscapeSequence(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + 6 < s.count, s[i + 1] == "x", s[i + 6] == "_" else { return false }
        return s[(i + 2)...(i + 5)].allSatisfy { $0.properties.isASCIIHexDigit }
    }

    private static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `text` cut to what a cell holds (Excel refuses longer cells and offers to repair the file).
    static func fitted(_ text: String) -> String {
        guard text.utf16.count > maxCellCharacters else { return text }
        var out = ""
        var units = 0
        for c in text {
            units += c.utf16.count
            if units > maxCellCharacters - 1 { break }
            out.append(c)
        }
        return out + "…"
    }

    /// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
    static func sheetName(_ name: String) -> String {
        let cleaned = String(name.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(31))
        return cleaned.isEmpty ? "Sheet" : cleaned
    }

    // MARK: - The fixed parts

    static let contentTypes =
        header
        + """
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
        <Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
        <Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>\
        </Types>

        """

    static let rootRelationships = relationships([
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument": "xl/workbook.xml",
        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties": "docProps/core.xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties": "docProps/app.xml",
    ])

    static let workbookRelationships = relationships([
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet": "worksheets/sheet1.xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet": "worksheets/sheet2.xml",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles": "styles.xml",
    ])

    /// A relationships part: one `Relationship` per (type, target), numbered `rId1`, `rId2`, … in order.
    static func relationships(_ items: KeyValuePairs<String, String>) -> String {
        var out = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for (index, item) in items.enumerated() {
            out += "<Relationship Id=\"rId\(index + 1)\" Type=\"\(item.key)\" Target=\"\(item.value)\"/>"
        }
        return out + "</Relationships>\n"
    }

    static let app =
        header
        + """
        <Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
        <Application>reportd</Application></Properties>

        """

    /// The document's title and creation time (W3CDTF, as the run's `generated_at`).
    static func core(title: String, created: String) -> String {
        header
            + "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
            + "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
            + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
            + "<dc:title>\(escaped(title))</dc:title><dc:creator>reportd</dc:creator>"
            + "<dcterms:created xsi:type=\"dcterms:W3CDTF\">\(escaped(created))</dcterms:created>"
            + "</cp:coreProperties>\n"
    }

    /// The workbook: the two sheets, and the hidden name Excel gives the autofilter's range.
    static func workbook(report: String, details: String, filterRange: String) -> String {
        let quoted = "'" + report.replacingOccurrences(of: "'", with: "''") + "'"
        return header
            + "<workbook xmlns=\"\(mainNamespace)\" xmlns:r=\"\(relationshipNamespace)\">"
            + "<bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>"
            + "<sheet name=\"\(escaped(report))\" sheetId=\"1\" r:id=\"rId1\"/>"
            + "<sheet name=\"\(escaped(details))\" sheetId=\"2\" r:id=\"rId2\"/>"
            + "</sheets><definedNames>"
            + "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" hidden=\"1\">"
            + escaped(quoted + "!" + filterRange) + "</definedName>"
            + "</definedNames></workbook>\n"
    }

    /// The cell styles, by their index in `cellXfs` (the `s` attribute of a cell).
    enum Style: Int {
        case plain = 0
        case integer, decimal, date, header, title, totalText, totalInteger, totalDecimal, totalDate, bigInteger,
            totalBigInteger, note
    }

    /// Number formats: `#,##0` (built-in 3) for integers, `#,##0.00` (built-in 4) for decimals,
    /// and a custom date format. The file always writes `,` and `.`; Excel and LibreOffice show
    /// them as the reader's own locale groups (a Vietnamese Windows shows 4.700.000.000).
    static func styles(dateFormat: String) -> String {
        func xf(_ numFmt: Int, font: Int, border: Int = 0, right: Bool = false) -> String {
            var x = "<xf numFmtId=\"\(numFmt)\" fontId=\"\(font)\" fillId=\"0\" borderId=\"\(border)\" xfId=\"0\""
            if numFmt != 0 { x += " applyNumberFormat=\"1\"" }
            if font != 0 { x += " applyFont=\"1\"" }
            if border != 0 { x += " applyBorder=\"1\"" }
            if right { x += " applyAlignment=\"1\"><alignment horizontal=\"right\"/></xf>" } else { x += "/>" }
            return x
        }
        let xfs = [
            xf(0, font: 0),  // plain
            xf(3, font: 0),  // integer
            xf(4, font: 0),  // decimal
            xf(164, font: 0),  // date
            xf(0, font: 1, border: 1),  // header
            xf(0, font: 2),  // title
            xf(0, font: 1, border: 2),  // totals: text
            xf(3, font: 1, border: 2),  // totals: integer
            xf(4, font: 1, border: 2),  // totals: decimal
            xf(164, font: 1, border: 2),  // totals: date
            xf(0, font: 0, right: true),  // an integer beyond 2^53, as text
            xf(0, font: 1, border: 2, right: true),  // the same in the totals row
            xf(0, font: 3),  // a note under the title
        ]
        return header
            + "<styleSheet xmlns=\"\(mainNamespace)\">"
            + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"\(escaped(dateFormat))\"/></numFmts>"
            + "<fonts count=\"4\">"
            + "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
            + "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
            + "<font><b/><sz val=\"14\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
            + "<font><i/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
            + "</fonts>"
            + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
            + "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
            + "<borders count=\"3\">"
            + "<border><left/><right/><top/><bottom/><diagonal/></border>"
            + "<border><left/><right/><top/><bottom style=\"thin\"><color auto=\"1\"/></bottom><diagonal/></border>"
            + "<border><left/><right/><top style=\"thin\"><color auto=\"1\"/></top><bottom/><diagonal/></border>"
            + "</borders>"
            + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
            + "<cellXfs count=\"\(xfs.count)\">" + xfs.joined() + "</cellXfs>"
            + "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
            + "</styleSheet>\n"
    }
}
