public import ReportCore

/// Writes a result as a plain-text summary: title, run time, an aligned table, totals, dataset line.
public struct TextWriter: ReportWriter {
    public static let format = "text"
    public static let fileExtension = "txt"

    public init() {}

    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        Self.render(result, context: context, locale: context.locale)
    }

    public static func render(_ result: ReportResult, context: RunContext, locale: String?) -> [UInt8] {
        let style = NumberStyle(locale: locale)
        let headers = result.columns.map(\.name)
        let numeric = result.columns.map { $0.role == .metric && ($0.type.isNumeric) }
        let units = result.columns.map { column in context.report.metrics.first { $0.name == column.name }?.unit }
        let groups = result.columns.map { $0.role != .metric }
        func cell(_ value: Value, _ column: Int) -> String {
            if value.isNull { return "–" }
            // A group value is a label (a year, a code), not an amount: 2024, never 2,024.
            if groups[column], case .int(let n) = value { return String(n) }
            return style.format(value, unit: units[column])
        }
        var body: [[String]] = result.rows.map { row in row.enumerated().map { cell($1, $0) } }
        if let totals = result.totals {
            let groupCount = result.columns.count - totals.count
            var row = [String](repeating: "", count: groupCount)
            if groupCount > 0 { row[0] = "Total" }
            row += totals.enumerated().map { cell($1, groupCount + $0) }
            body.append(row)
        }
        var widths = headers.map(DisplayWidth.of)
        for row in body {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(cell)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in DisplayWidth.pad(cell, to: widths[i], alignRight: numeric[i]) }
                .joined(separator: "  ").trimmingTrailingSpaces
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var out = context.report.title + "\n"
        if let period = result.period {
            for line in PeriodText.lines(period, locale: context.report.locale) { out += line + "\n" }
        }
        out += "Report \(context.report.name), run \(context.slot)\n\n"
        out += line(headers) + "\n" + rule + "\n"
        for (i, row) in body.enumerated() {
            if result.totals != nil, i == body.count - 1 { out += rule + "\n" }
            out += line(row) + "\n"
        }
        if result.rows.isEmpty { out += "(no rows)\n" }
        if let note = PeriodText.emptyNote(result, locale: context.report.locale) { out += note + "\n" }
        let d = context.dataset
        out +=
            "\nDataset \(d.name): \(style.format(.int(Int64(d.rows)))) rows, \(style.format(.int(Int64(d.rowsUsed)))) used, "
        out += "\(style.format(.int(Int64(d.rowsRejected)))) rejected; "
        if let source = d.provenance {
            out += "\(source.source) \(source.relation), snapshot \(source.snapshotISO8601)\n"
        } else {
            out += "sha256 \(d.sha256.prefix(12))\n"
        }
        return Array(out.utf8)
    }
}
