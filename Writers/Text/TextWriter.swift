public import ReportCore

/// Writes a result as a plain-text summary: title, run time, an aligned table, totals, dataset line.
///
/// Columns are headed by their labels and group values shown by their value labels (the schema's
/// `label` and `values`, a metric's `label`); every word the writer adds is in the report's
/// locale (`ReportLocale.words`), and numbers group as the locale writes them.
public struct TextWriter: ReportWriter {
    public static let format = "text"
    public static let fileExtension = "txt"

    public init() {}

    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        Self.render(result, context: context, locale: context.locale)
    }

    public static func render(_ result: ReportResult, context: RunContext, locale: String?) -> [UInt8] {
        let language = ReportLocale(locale)
        let words = language.words
        let style = language.numbers
        let headers = result.columns.map(\.title)
        let numeric = result.columns.map { $0.role == .metric && ($0.type.isNumeric) }
        let units = result.columns.map { column in context.report.metrics.first { $0.name == column.name }?.unit }
        let groups = result.columns.map { $0.role != .metric }
        // Each column's own style: whole decimals lose their meaningless ",00".
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
            // A group value is a label (a year, a code), not an amount: 2024, never 2,024.
            if groups[column], case .int(let n) = value { return String(n) }
            return styles[column].format(value, unit: units[column])
        }
        var body: [[String]] = result.rows.map { row in row.enumerated().map { cell($1, $0) } }
        if let totals = result.totals {
            let groupCount = result.columns.count - totals.count
            var row = [String](repeating: "", count: groupCount)
            if groupCount > 0 { row[0] = words.total }
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
            for line in PeriodText.lines(period, locale: language.identifier) { out += line + "\n" }
        }
        out += "\(words.report) \(context.report.name), \(words.run) \(context.slot)\n\n"
        out += line(headers) + "\n" + rule + "\n"
        for (i, row) in body.enumerated() {
            if result.totals != nil, i == body.count - 1 { out += rule + "\n" }
            out += line(row) + "\n"
        }
        if result.rows.isEmpty { out += words.noRows + "\n" }
        if let note = PeriodText.emptyNote(result, locale: language.identifier) { out += note + "\n" }
        out += "\n" + words.datasetLine(context.dataset, numbers: style)
        out += "; sha256 \(context.dataset.sha256.prefix(12))\n"
        return Array(out.utf8)
    }
}
