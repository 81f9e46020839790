public import ReportCore

/// Writes a result as one self-contained HTML page: title, run time, dataset line, the table, and
/// an inline SVG chart of the first metric.
///
/// The page loads nothing: no script, font, stylesheet or image from anywhere, and its
/// Content-Security-Policy forbids them, so it opens the same from the shared folder, a mail
/// attachment or a browser without network. Every text that comes from a report or a dataset is
/// escaped. Numbers are written as the text output writes them (`locale`, each metric's `unit`);
/// the table is the data of record, the chart a reading aid (see `HTMLChart` for which chart).
/// Columns are headed by their labels and group values shown by their value labels; the page's
/// own words are in the report's locale (`ReportLocale.words`: English for en-US, Vietnamese for
/// vi-VN), and so is its `lang`.
public struct HTMLWriter: ReportWriter {
    public static let format = "html"
    public static let fileExtension = "html"

    public init() {}

    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        Self.render(result, context: context, locale: context.locale)
    }

    /// The page's Content-Security-Policy (`HTMLPage.contentSecurityPolicy`).
    public static let contentSecurityPolicy = HTMLPage.contentSecurityPolicy

    public static func render(_ result: ReportResult, context: RunContext, locale: String?) -> [UInt8] {
        let language = ReportLocale(locale)
        let words = language.words
        let style = language.numbers
        let units = result.columns.map { column in context.report.metrics.first { $0.name == column.name }?.unit }
        // Each column's own style: whole decimals lose their meaningless ",00" (as in the text output).
        let styles = result.columns.indices.map { i in
            style.forColumn(
                result.rows.map { $0[i] } + (result.totals.map { totals in
                    let at = i - (result.columns.count - totals.count)
                    return at >= 0 ? [totals[at]] : []
                } ?? []), unit: units[i])
        }
        func cell(_ value: Value, _ column: Int) -> String {
            if value.isNull { return "–" }
            if let label = result.columns[column].valueLabel(for: value) { return label }
            // Group values are labels (a year reads 2024, not 2,024); metrics read as in the text output.
            return result.columns[column].role == .group
                ? value.description : styles[column].format(value, unit: units[column])
        }
        func numeric(_ column: Int) -> Bool {
            result.columns[column].role == .metric && result.columns[column].type.isNumeric
        }

        var out = HTMLPage.head(title: context.report.title, language: language)
        out += "<body>\n<main>\n<header>\n"
        out += "<h1>\(escape(context.report.title))</h1>\n"
        if let period = result.period {
            for line in PeriodText.lines(period, locale: language.identifier) {
                out += "<p class=\"period\">\(escape(line))</p>\n"
            }
        }
        if let note = PeriodText.emptyNote(result, locale: language.identifier) {
            out += "<p class=\"period\">\(escape(note))</p>\n"
        }
        // With `split_by`: whose figures these are, also for a reader of the page's source.
        if let split = context.split {
            out += "<p class=\"split\" data-column=\"\(escape(split.column))\" data-value=\"\(escape(split.value))\">"
            out += "\(escape(split.column)): <b>\(escape(split.value))</b></p>\n"
        }
        out += "<p class=\"run\">\(words.report) <code>\(escape(context.report.name))</code> · \(words.run) "
        out += "<time datetime=\"\(escape(context.slot))\">\(escape(readable(context.slot)))</time>"
        out += " · \(words.generated) <time datetime=\"\(escape(context.generatedAt))\">"
        out += "\(escape(readable(context.generatedAt)))</time></p>\n"
        out += "<p class=\"dataset\">\(datasetLine(context.dataset, style: style, words: words))</p>\n"
        out += "</header>\n"

        // The table: the data of record.
        out += "<div class=\"table\"><table>\n<thead><tr>"
        for (i, column) in result.columns.enumerated() {
            // The name stays in a title when a label heads the column, for whoever reads the CSV too.
            let name = column.label == nil ? "" : " title=\"\(escape(column.name))\""
            out += "<th scope=\"col\"\(numeric(i) ? " class=\"num\"" : "")\(name)>\(escape(column.title))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in result.rows {
            out += "<tr>"
            for (i, value) in row.enumerated() {
                // Group cells head their row (th), so a screen reader names the row by its group.
                let tag = result.columns[i].role == .group ? "th" : "td"
                let scope = tag == "th" ? " scope=\"row\"" : ""
                let classes = numeric(i) ? (value.doubleValue.map { $0 < 0 } == true ? "num neg" : "num") : ""
                let attributes = scope + (classes.isEmpty ? "" : " class=\"\(classes)\"")
                out += "<\(tag)\(attributes)>\(escape(cell(value, i)))</\(tag)>"
            }
            out += "</tr>\n"
        }
        if result.rows.isEmpty {
            out += "<tr><td colspan=\"\(max(1, result.columns.count))\" class=\"empty\">\(escape(words.noRows))</td></tr>\n"
        }
        out += "</tbody>\n"
        if let totals = result.totals {
            let groupCount = result.columns.count - totals.count
            out += "<tfoot><tr>"
            if groupCount > 0 { out += "<th scope=\"row\" colspan=\"\(groupCount)\">\(escape(words.total))</th>" }
            for (j, value) in totals.enumerated() {
                let i = groupCount + j
                out += "<td\(numeric(i) ? " class=\"num\"" : "")>\(escape(cell(value, i)))</td>"
            }
            out += "</tr></tfoot>\n"
        }
        out += "</table></div>\n"

        if let chart = HTMLChart(result: result, report: context.report, locale: language) {
            out += "<figure class=\"chart\">\n" + chart.svg() + "\n"
            out += "<figcaption>\(escape(chart.caption))</figcaption>\n</figure>\n"
        }
        out += "</main>\n<footer>\(escape(words.madeBy)) · \(escape(words.footerNote))</footer>\n"
        out += "</body>\n</html>\n"
        return Array(out.utf8)
    }

    /// "Dữ liệu projects: 30 dòng, 30 dùng, 0 bị loại; sha256 1a2b3c4d5e6f" (the checksum when known).
    static func datasetLine(_ d: DatasetFigures, style: NumberStyle, words: ReportWords = .vietnamese) -> String {
        func n(_ x: Int) -> String { style.format(.int(Int64(x))) }
        var line = "\(words.dataset) <b>\(escape(d.name))</b>: \(n(d.rows)) \(words.rows), "
        line += "\(n(d.rowsUsed)) \(words.used), \(n(d.rowsRejected)) \(words.rejected)"
        if let source = d.provenance {
            line += "; \(escape(source.source)) <code>\(escape(source.relation))</code>, "
            line += "\(words.snapshot) <time>\(escape(source.snapshotISO8601))</time>"
        } else if !d.sha256.isEmpty {
            line += "; sha256 <code title=\"\(escape(d.sha256))\">\(escape(String(d.sha256.prefix(12))))</code>"
        }
        return line
    }

    static func readable(_ iso: String) -> String { HTMLPage.readable(iso) }

    static func head(title: String) -> String { HTMLPage.head(title: title) }

    public static func escape(_ text: String) -> String { HTMLPage.escape(text) }
}
