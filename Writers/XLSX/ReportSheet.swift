import ReportCore

/// The first sheet: title lines, the header, one row per group and the totals row, produced a
/// few hundred rows at a time (see `XLSXWriter`).
struct ReportSheet {
    typealias Style = SpreadsheetML.Style

    let result: ReportResult
    let title: String
    /// The lines above the header: the title, the period's lines, the run.
    let preamble: [String]
    let headers: [String]
    let totalWord: String
    /// Which columns are groups (their integers are codes and years: no thousands separator).
    let isGroup: [Bool]
    let widths: [Double]

    /// Rows written at a time.
    static let rowsPerChunk = 256
    /// The largest integer written as a number: 15 digits. Excel stores a double (exact to 2^53)
    /// but shows and exports 15 significant digits, as LibreOffice does (2^53 exported as
    /// `9.00719925474099E+015`, measured), so an integer of 16 digits or more, 2^53 and beyond
    /// included, is written as text with all its digits.
    static let exactLimit: Int64 = 999_999_999_999_999

    init(result: ReportResult, context: RunContext) {
        self.result = result
        let words = SheetWords(locale: context.locale)
        title = PeriodText.title(context.report.title, period: result.period, locale: context.locale)
        var lines = [title]
        if let period = result.period { lines += PeriodText.lines(period, locale: context.locale) }
        lines.append("\(words.run) \(context.report.name), \(words.words.run) \(context.slot)")
        preamble = lines
        headers = result.columns.map(\.title)
        totalWord = words.total
        isGroup = result.columns.map { $0.role != .metric }
        let group = isGroup
        var measured = headers.map { Double(DisplayWidth.of($0)) * 1.15 + 2 }
        func widen(_ c: Int, _ value: Value) {
            measured[c] = max(measured[c], Self.displayWidth(value, group: group[c]))
        }
        let columns = result.columns
        for row in result.rows {
            for (c, value) in row.enumerated() { widen(c, Self.shown(value, columns[c])) }
        }
        if let totals = result.totals {
            let first = result.columns.count - totals.count
            for (i, value) in totals.enumerated() { widen(first + i, value) }
            if first > 0 { measured[0] = max(measured[0], Double(DisplayWidth.of(totalWord)) * 1.15 + 2) }
        }
        self.widths = measured.map { min(max($0, 8), 80) }
    }

    var headerRow: Int { preamble.count + 1 }
    var firstDataRow: Int { headerRow + 1 }
    var lastDataRow: Int { headerRow + result.rows.count }
    var lastRow: Int { lastDataRow + (result.totals == nil ? 0 : 1) }

    /// The autofilter's range: the header and the data rows (not the totals).
    func filterRange(absolute: Bool) -> String {
        let last = max(0, result.columns.count - 1)
        if absolute {
            return "$A$\(headerRow):$\(SpreadsheetML.columnName(last))$\(lastDataRow)"
        }
        return "A\(headerRow):\(SpreadsheetML.cell(last, lastDataRow))"
    }

    /// The width a value takes as Excel shows it with its format (Calibri 11: digits are one unit;
    /// letters vary, so text gets some slack).
    static func displayWidth(_ value: Value, group: Bool) -> Double {
        switch value {
        case .null: return 0
        case .int(let n):
            let digits = Double(String(n.magnitude).count)
            return (group || n.magnitude > UInt64(exactLimit) ? digits : digits + ((digits - 1) / 3).rounded(.down)) + 3
        case .decimal(let d):
            let digits = Double(String(Int64(min(abs(d), 9e18)).magnitude).count)
            return digits + ((digits - 1) / 3).rounded(.down) + 6
        case .date: return 12
        case .bool: return 7
        case .string(let s): return Double(DisplayWidth.of(s)) * 1.15 + 2
        }
    }

    /// The sheet's XML, in pieces.
    func chunks() -> AnyIterator<[UInt8]> {
        var stage = 0
        var next = 0
        return AnyIterator {
            switch stage {
            case 0:
                stage = 1
                return Array(self.head().utf8)
            case 1:
                guard next < result.rows.count else {
                    stage = 2
                    return Array(self.tail().utf8)
                }
                let end = min(result.rows.count, next + Self.rowsPerChunk)
                var xml = ""
                for i in next..<end { xml += self.row(i) }
                next = end
                return Array(xml.utf8)
            default:
                return nil
            }
        }
    }

    private func head() -> String {
        let lastColumn = SpreadsheetML.columnName(max(0, result.columns.count - 1))
        var xml = SpreadsheetML.header
        xml += "<worksheet xmlns=\"\(SpreadsheetML.mainNamespace)\" xmlns:r=\"\(SpreadsheetML.relationshipNamespace)\">"
        xml += "<dimension ref=\"A1:\(lastColumn)\(lastRow)\"/>"
        // The header row stays in view while scrolling: a pane frozen below it.
        xml += "<sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\">"
        xml += "<pane ySplit=\"\(headerRow)\" topLeftCell=\"A\(firstDataRow)\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        xml += "<selection pane=\"bottomLeft\" activeCell=\"A\(firstDataRow)\" sqref=\"A\(firstDataRow)\"/>"
        xml += "</sheetView></sheetViews>"
        xml += "<sheetFormatPr defaultRowHeight=\"15\"/>"
        if !widths.isEmpty {
            xml += "<cols>"
            for (i, w) in widths.enumerated() {
                let width = (w * 100).rounded() / 100
                xml += "<col min=\"\(i + 1)\" max=\"\(i + 1)\" width=\"\(Value.plainDecimal(width))\" customWidth=\"1\"/>"
            }
            xml += "</cols>"
        }
        xml += "<sheetData>"
        for (i, line) in preamble.enumerated() {
            xml += "<row r=\"\(i + 1)\">" + Self.text(line, 0, i + 1, i == 0 ? .title : .note) + "</row>"
        }
        xml += "<row r=\"\(headerRow)\">"
        for (c, name) in headers.enumerated() { xml += Self.text(name, c, headerRow, .header) }
        xml += "</row>"
        return xml
    }

    private func row(_ index: Int) -> String {
        let r = firstDataRow + index
        var xml = "<row r=\"\(r)\">"
        for (c, value) in result.rows[index].enumerated() {
            xml += Self.cell(Self.shown(value, result.columns[c]), c, r, group: isGroup[c], total: false)
        }
        return xml + "</row>"
    }

    private func tail() -> String {
        var xml = ""
        if let totals = result.totals {
            let r = lastRow
            let first = result.columns.count - totals.count
            xml += "<row r=\"\(r)\">"
            if first > 0 { xml += Self.text(totalWord, 0, r, .totalText) }
            for (i, value) in totals.enumerated() {
                xml += Self.cell(value, first + i, r, group: false, total: true)
            }
            xml += "</row>"
        }
        xml += "</sheetData>"
        if !result.columns.isEmpty { xml += "<autoFilter ref=\"\(filterRange(absolute: false))\"/>" }
        xml += "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>"
        return xml + "</worksheet>\n"
    }

    /// What a cell shows for `value`: its value label when the column has one (the schema's
    /// `values:`), else the value.
    static func shown(_ value: Value, _ column: ReportResult.ResultColumn) -> Value {
        column.valueLabel(for: value).map(Value.string) ?? value
    }

    /// A text cell (an inline string: no shared-strings part to build).
    static func text(_ s: String, _ column: Int, _ row: Int, _ style: Style) -> String {
        let fitted = SpreadsheetML.fitted(s)
        let space = fitted.first?.isWhitespace == true || fitted.last?.isWhitespace == true ? " xml:space=\"preserve\"" : ""
        let styled = style == .plain ? "" : " s=\"\(style.rawValue)\""
        return "<c r=\"\(SpreadsheetML.cell(column, row))\"\(styled) t=\"inlineStr\"><is><t\(space)>"
            + SpreadsheetML.escaped(fitted) + "</t></is></c>"
    }

    /// A value's cell; nothing for null (an empty cell).
    static func cell(_ value: Value, _ column: Int, _ row: Int, group: Bool, total: Bool) -> String {
        let ref = SpreadsheetML.cell(column, row)
        func number(_ v: String, _ style: Style) -> String {
            let styled = style == .plain ? "" : " s=\"\(style.rawValue)\""
            return "<c r=\"\(ref)\"\(styled)><v>\(v)</v></c>"
        }
        switch value {
        case .null: return ""
        case .int(let n):
            if n > exactLimit || n < -exactLimit {
                return text(String(n), column, row, total ? .totalBigInteger : .bigInteger)
            }
            return number(String(n), group ? (total ? .totalText : .plain) : (total ? .totalInteger : .integer))
        case .decimal(let d):
            guard d.isFinite else { return "" }
            return number(Value.plainDecimal(d), total ? .totalDecimal : .decimal)
        case .bool(let b):
            let styled = total ? " s=\"\(Style.totalText.rawValue)\"" : ""
            return "<c r=\"\(ref)\"\(styled) t=\"b\"><v>\(b ? 1 : 0)</v></c>"
        case .date(let day):
            guard let serial = serial(day) else { return text(day.description, column, row, total ? .totalText : .plain) }
            return number(String(serial), total ? .totalDate : .date)
        case .string(let s):
            return text(s, column, row, total ? .totalText : .plain)
        }
    }

    /// The 1900 date system's serial of `day` (1 is 1900-01-01), keeping Lotus 1-2-3's leap day
    /// (serial 60 is the 29 February 1900 that never was), as Excel does; nil before 1900 or after
    /// 9999, which Excel cannot show as dates.
    static func serial(_ day: Day) -> Int? {
        let days = Int(day.daysSinceEpoch)
        // 1970-01-01 is serial 25569; 1900-03-01 (serial 61) is day -25508.
        let serial = days >= -25508 ? days + 25569 : days + 25568
        guard serial >= 1, serial <= 2_958_465 else { return nil }
        return serial
    }
}

/// The second sheet: what the run was (report, slot, period, dataset, rows used and rejected, the
/// data's provenance).
enum DetailsSheet {
    static func xml(result: ReportResult, context: RunContext, words: SheetWords) -> String {
        var rows: [(String, Value)] = [
            ("Report", .string(context.report.name)),
            ("Title", .string(PeriodText.title(context.report.title, period: result.period, locale: context.locale))),
            ("Slot", .string(context.slot)),
            ("Generated at", .string(context.generatedAt)),
        ]
        // With `split_by`: whose figures these are (SPEC: the value is in each file's metadata).
        if let split = context.split { rows.insert(("Split", .string("\(split.column) = \(split.value)")), at: 2) }
        if let period = result.period {
            for line in PeriodText.lines(period, locale: context.locale) { rows.append(("Period", .string(line))) }
        }
        let d = context.dataset
        rows += [
            ("Dataset", .string(d.name)),
            ("Rows", .int(Int64(d.rows))),
            ("Rows used", .int(Int64(d.rowsUsed))),
            ("Rows rejected", .int(Int64(d.rowsRejected))),
        ]
        if let outside = result.rowsOutsidePeriod { rows.append(("Rows outside the period", .int(Int64(outside)))) }
        if !d.sha256.isEmpty { rows.append(("SHA-256", .string(d.sha256))) }
        let keyWidth = rows.map { Double(DisplayWidth.of(words.detail($0.0))) * 1.15 + 2 }.max() ?? 10
        let valueWidth = rows.map { ReportSheet.displayWidth($0.1, group: false) }.max() ?? 10
        var xml = SpreadsheetML.header
        xml += "<worksheet xmlns=\"\(SpreadsheetML.mainNamespace)\" xmlns:r=\"\(SpreadsheetML.relationshipNamespace)\">"
        xml += "<dimension ref=\"A1:B\(rows.count)\"/>"
        xml += "<sheetViews><sheetView workbookViewId=\"0\"/></sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>"
        xml += "<cols><col min=\"1\" max=\"1\" width=\"\(Int(min(max(keyWidth, 8), 80).rounded(.up)))\" customWidth=\"1\"/>"
        xml += "<col min=\"2\" max=\"2\" width=\"\(Int(min(max(valueWidth, 8), 80).rounded(.up)))\" customWidth=\"1\"/></cols>"
        xml += "<sheetData>"
        for (i, (key, value)) in rows.enumerated() {
            let r = i + 1
            xml += "<row r=\"\(r)\">" + ReportSheet.text(words.detail(key), 0, r, .header)
                + ReportSheet.cell(value, 1, r, group: false, total: false) + "</row>"
        }
        xml += "</sheetData>"
        xml += "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>"
        return xml + "</worksheet>\n"
    }
}
