import ReportCore

/// Writes a result as one self-contained HTML page: title, run time, dataset line, the table, and
/// an inline SVG chart of the first metric.
///
/// The page loads nothing: no script, font, stylesheet or image from anywhere, and its
/// Content-Security-Policy forbids them, so it opens the same from the shared folder, a mail
/// attachment or a browser without network. Every text that comes from a report or a dataset is
/// escaped. Numbers are written as the text output writes them (`locale`, each metric's `unit`);
/// the table is the data of record, the chart a reading aid (see `HTMLChart` for which chart).
/// The page's own words are Vietnamese, for the people who read these reports.
public enum HTMLWriter {
    /// The page's Content-Security-Policy: nothing may load or run; inline styles (and `data:`
    /// images, which the page does not use today) are allowed.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    public static func render(_ result: ReportResult, context: RunContext, locale: String?) -> [UInt8] {
        let style = NumberStyle(locale: locale)
        let units = result.columns.map { column in context.report.metrics.first { $0.name == column.name }?.unit }
        func cell(_ value: Value, _ column: Int) -> String {
            if value.isNull { return "–" }
            // Group values are labels (a year reads 2024, not 2,024); metrics read as in the text output.
            return result.columns[column].role == .group ? value.description : style.format(value, unit: units[column])
        }
        func numeric(_ column: Int) -> Bool {
            result.columns[column].role == .metric && result.columns[column].type.isNumeric
        }

        var out = head(title: context.report.title)
        out += "<body>\n<main>\n<header>\n"
        out += "<h1>\(escape(context.report.title))</h1>\n"
        if let period = result.period {
            for line in PeriodText.lines(period, locale: context.report.locale) {
                out += "<p class=\"period\">\(escape(line))</p>\n"
            }
        }
        if let note = PeriodText.emptyNote(result, locale: context.report.locale) {
            out += "<p class=\"period\">\(escape(note))</p>\n"
        }
        out += "<p class=\"run\">Báo cáo <code>\(escape(context.report.name))</code> · kỳ chạy "
        out += "<time datetime=\"\(escape(context.slot))\">\(escape(readable(context.slot)))</time>"
        out +=
            " · tạo lúc <time datetime=\"\(escape(context.generatedAt))\">\(escape(readable(context.generatedAt)))</time></p>\n"
        out += "<p class=\"dataset\">\(datasetLine(context.dataset, style: style))</p>\n"
        out += "</header>\n"

        // The table: the data of record.
        out += "<div class=\"table\"><table>\n<thead><tr>"
        for (i, column) in result.columns.enumerated() {
            out += "<th scope=\"col\"\(numeric(i) ? " class=\"num\"" : "")>\(escape(column.name))</th>"
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
            out += "<tr><td colspan=\"\(max(1, result.columns.count))\" class=\"empty\">(không có dòng nào)</td></tr>\n"
        }
        out += "</tbody>\n"
        if let totals = result.totals {
            let groupCount = result.columns.count - totals.count
            out += "<tfoot><tr>"
            if groupCount > 0 { out += "<th scope=\"row\" colspan=\"\(groupCount)\">Tổng</th>" }
            for (j, value) in totals.enumerated() {
                let i = groupCount + j
                out += "<td\(numeric(i) ? " class=\"num\"" : "")>\(escape(cell(value, i)))</td>"
            }
            out += "</tr></tfoot>\n"
        }
        out += "</table></div>\n"

        if let chart = HTMLChart(result: result, report: context.report, style: style) {
            out += "<figure class=\"chart\">\n" + chart.svg() + "\n"
            out += "<figcaption>\(escape(chart.caption))</figcaption>\n</figure>\n"
        }
        out +=
            "</main>\n<footer>Tạo bởi reportd · số liệu đầy đủ ở bảng trên và trong các tệp CSV/JSON cùng thư mục</footer>\n"
        out += "</body>\n</html>\n"
        return Array(out.utf8)
    }

    /// "Dữ liệu projects: 30 dòng, 30 dùng, 0 bị loại; sha256 1a2b3c4d5e6f" (the checksum when known).
    static func datasetLine(_ d: DatasetFigures, style: NumberStyle) -> String {
        func n(_ x: Int) -> String { style.format(.int(Int64(x))) }
        var line = "Dữ liệu <b>\(escape(d.name))</b>: \(n(d.rows)) dòng, \(n(d.rowsUsed)) dùng, "
        line += "\(n(d.rowsRejected)) bị loại"
        if !d.sha256.isEmpty {
            line += "; sha256 <code title=\"\(escape(d.sha256))\">\(escape(String(d.sha256.prefix(12))))</code>"
        }
        return line
    }

    /// `2026-11-29T06:00:00+07:00` as `2026-11-29 06:00:00 (+07:00)`; anything else unchanged.
    static func readable(_ iso: String) -> String {
        guard iso.count == 25, let t = iso.firstIndex(of: "T") else { return iso }
        let zone = iso.index(iso.startIndex, offsetBy: 19)
        return iso[..<t] + " " + iso[iso.index(after: t)..<zone] + " (" + iso[zone...] + ")"
    }

    /// `<!doctype html>` through `</head>`: charset, viewport, the CSP, the title and the style sheet.
    static func head(title: String) -> String {
        """
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="generator" content="reportd">
        <meta name="referrer" content="no-referrer">
        <title>\(escape(title))</title>
        <style>\(styleSheet)</style>
        </head>

        """
    }

    /// The page's only style sheet: system fonts (with Vietnamese glyphs on every desktop), a
    /// readable table with right-aligned tabular figures, a chart that scales to the window, print.
    static let styleSheet = """

        :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --band: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        main { max-width: 70rem; margin: 0 auto; padding: 1.5rem 1rem; }
        h1 { font-size: 1.5rem; margin: 0 0 .5rem; line-height: 1.3; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        .run, .dataset, footer, figcaption, .note { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .85em; }
        .table { overflow-x: auto; margin: 1rem 0; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { padding: .35rem .75rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid var(--ink); white-space: nowrap; }
        tbody th { font-weight: normal; }
        tbody tr:nth-child(even) { background: var(--band); }
        tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--ink); }
        .num { text-align: right; white-space: nowrap; }
        time { white-space: nowrap; }
        .neg { color: #b42318; }
        .empty { color: var(--muted); font-style: italic; }
        figure.chart { margin: 1.5rem 0; }
        figure.chart svg { width: 100%; max-width: 60rem; height: auto; display: block; }
        svg text { font-size: 13px; fill: var(--ink); font-family: inherit; }
        svg .axis { stroke: var(--ink); stroke-width: 1; }
        svg .grid { stroke: var(--rule); stroke-width: 1; }
        svg .bar { fill: #2f6fb0; }
        svg .bar.neg { fill: #c0504d; }
        svg .value, svg .tick { fill: var(--muted); }
        footer { max-width: 70rem; margin: 0 auto; padding: 0 1rem 1.5rem; }
        table.index td, table.index th { white-space: normal; }
        a { color: #0b5cad; }
        @media print { main { max-width: none; } tbody tr:nth-child(even) { background: none; } }

        """

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, safe in element content and in quoted
    /// attribute values. NUL and the other C0 controls but tab and line breaks (not characters an
    /// HTML document may hold) become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
