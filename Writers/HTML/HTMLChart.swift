import ReportCore

/// The chart of an HTML page: the report's first numeric metric by group, as inline SVG.
///
/// Which chart:
/// - none when the report has no group column (one row: a single bar compares nothing), no rows,
///   no numeric metric, or only nulls in that metric; the table says it all;
/// - a line chart when the first group column is a period: a `date` column, or an `int` column
///   named `year`, `nam`/`năm`, or ending in `_year`, and the rows hold at least two periods. One
///   line per combination of the other group columns (the first `maximumSeries`, in table order);
/// - horizontal bars otherwise: one bar per table row, in the table's order (the first
///   `maximumBars`, with a note when there are more). Negative values extend left of the zero line.
///
/// Nulls draw nothing (no bar; a gap in a line) and read "–"; so does a missing period: a line
/// never joins two points across a period that has no row (see `breaksBetween`). Every bar and
/// point carries a `<title>` with its label and value; the table stays the data of record. Labels,
/// value labels and numbers are those of the table; the chart's words are the report's locale's.
struct HTMLChart {
    enum Kind: Equatable { case bars, lines }

    static let maximumBars = 30
    static let maximumSeries = 8
    /// The width of the drawing in SVG units; the page scales it to the window.
    static let width = 760.0
    /// An estimate of one display column of 13 px text, for room for labels (SVG text cannot be
    /// measured without a script).
    static let charWidth = 7.6
    /// Line colours, told apart by most colour-blind readers (Okabe–Ito), then two darks.
    static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#555555", "#332288"]

    let kind: Kind
    let caption: String
    private let result: ReportResult
    private let groupCount: Int
    private let metric: Int
    private let unit: TextUnit?
    private let style: NumberStyle
    private let words: ReportWords
    /// For a line over a first group column that is neither a number nor a date (`chart.type:
    /// line` on `quarter: Q1…`): each value's place in the order of first appearance.
    private let orderPositions: [Value: Double]

    /// The chart of `result`, or nil when it gets none (see the type's documentation).
    init?(result: ReportResult, report: ReportDefinition, locale: ReportLocale) {
        let groupCount = result.columns.prefix { $0.role == .group }.count
        let wanted = report.chart.metric
        guard report.chart.kind != .none, groupCount > 0, !result.rows.isEmpty,
            let metric = result.columns.firstIndex(where: {
                $0.role == .metric && $0.type.isNumeric && (wanted == nil || $0.name == wanted)
            }),
            result.rows.contains(where: { Self.number($0[metric]) != nil })
        else { return nil }
        self.result = result
        self.groupCount = groupCount
        self.metric = metric
        let metricName = result.columns[metric].name
        let unit = report.metrics.first { $0.name == metricName }?.unit
        self.unit = unit
        // The metric column's style, as the table shows it.
        style = locale.numbers.forColumn(result.rows.map { $0[metric] }, unit: unit)
        words = locale.words
        let periods = Set(result.rows.compactMap { Self.periodPosition($0[0]) })
        var order: [Value: Double] = [:]
        for row in result.rows where order[row[0]] == nil && !row[0].isNull { order[row[0]] = Double(order.count) }
        orderPositions = order
        switch report.chart.kind {
        case .bars: kind = .bars
        case .line: kind = result.rows.count >= 2 ? .lines : .bars
        case .auto, .none: kind = Self.isPeriod(result.columns[0]) && periods.count >= 2 ? .lines : .bars
        }

        let w = locale.words
        let groups = result.columns[..<groupCount].map(\.title)
        let metricTitle = result.columns[metric].title
        var text = "\(metricTitle) \(w.by) \(groups[0])"
        if kind == .bars {
            text = "\(metricTitle) \(w.by) \(groups.joined(separator: ", "))"
            if result.rows.count > Self.maximumBars {
                text += ": " + w.firstOf(Self.maximumBars, result.rows.count)
            }
        } else if groupCount > 1 {
            text += ", \(w.oneLinePer) \(groups.dropFirst().joined(separator: " · "))"
            let series = Set(result.rows.map { Array($0[1..<groupCount]) }.map { $0.map(\.description) }).count
            if series > Self.maximumSeries {
                text += ": " + w.firstOf(Self.maximumSeries, series, lines: true)
            }
        }
        if let unit { text += " (\(unit.label))" }
        caption = text
    }

    /// Whether a group column holds periods: a date, or a year by its name.
    static func isPeriod(_ column: ReportResult.ResultColumn) -> Bool {
        switch column.type {
        case .date: return true
        case .int:
            let name = column.name.lowercased()
            return name == "year" || name == "nam" || name == "năm" || name.hasSuffix("_year")
        default: return false
        }
    }

    /// A finite number, or nil (null, not a number).
    static func number(_ value: Value) -> Double? {
        guard let d = value.doubleValue, d.isFinite else { return nil }
        return d
    }

    private static func periodPosition(_ value: Value) -> Double? {
        switch value {
        case .int(let v): return Double(v)
        case .date(let day): return Double(day.daysSinceEpoch)
        default: return nil
        }
    }

    /// A group value as the table shows it: its value label, else itself; "–" for null.
    private func shown(_ value: Value, _ column: Int) -> String {
        value.isNull ? "–" : result.columns[column].valueLabel(for: value) ?? value.description
    }

    private func label(_ row: [Value]) -> String {
        (0..<groupCount).map { shown(row[$0], $0) }.joined(separator: " · ")
    }

    private func seriesLabel(_ row: [Value]) -> String {
        (1..<groupCount).map { shown(row[$0], $0) }.joined(separator: " · ")
    }

    private func valueText(_ value: Value) -> String {
        Self.number(value) == nil ? "–" : style.format(value, unit: unit)
    }

    /// The `<svg>` element.
    func svg() -> String {
        kind == .bars ? bars() : lines()
    }

    private func open(height: Double, description: String) -> String {
        let e = HTMLWriter.escape
        return "<svg viewBox=\"0 0 \(Self.f(Self.width)) \(Self.f(height))\" width=\"\(Self.f(Self.width))\" "
            + "height=\"\(Self.f(height))\" role=\"img\" aria-label=\"\(e(caption))\">\n"
            + "<title>\(e(caption))</title>\n<desc>\(e(description))</desc>\n"
    }

    // MARK: Bars

    private func bars() -> String {
        let e = HTMLWriter.escape
        let rows = Array(result.rows.prefix(Self.maximumBars))
        let labels = rows.map(label)
        let values = rows.map { Self.number($0[metric]) }
        let texts = rows.map { valueText($0[metric]) }
        // Labels get up to 36 columns, then are cut with "…" (the whole label is in the bar's title).
        let labelColumns = min(36, max(4, labels.map(DisplayWidth.of).max() ?? 4))
        let valueColumns = max(3, texts.map(DisplayWidth.of).max() ?? 3)
        let left = Double(labelColumns) * Self.charWidth + 14
        let right = Self.width - Double(valueColumns) * Self.charWidth - 14
        let lo = min(0, values.compactMap { $0 }.min() ?? 0)
        let hi = max(0, values.compactMap { $0 }.max() ?? 0)
        let span = hi > lo ? hi - lo : 1
        func x(_ v: Double) -> Double { left + (v - lo) / span * (right - left) }
        let rowHeight = 28.0
        let barHeight = 20.0
        let top = 10.0
        let height = top * 2 + rowHeight * Double(rows.count)

        var description = "\(words.barChart), \(rows.count) \(words.groups)"
        if let lowest = values.compactMap({ $0 }).min(), let highest = values.compactMap({ $0 }).max() {
            description += "; \(words.from) \(style.format(.decimal(lowest), unit: unit)) "
            description += "\(words.to) \(style.format(.decimal(highest), unit: unit))"
        }
        description += ". \(words.fullFiguresInTable)"
        var out = open(height: height, description: description)
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let middle = y + rowHeight / 2 + 4.5
            out += "<g><title>\(e(labels[i])): \(e(texts[i]))</title>"
            out += "<text x=\"\(Self.f(left - 8))\" y=\"\(Self.f(middle))\" text-anchor=\"end\">"
            out += "\(e(Self.truncate(labels[i], columns: labelColumns)))</text>"
            if let v = values[i] {
                let x0 = x(0)
                let x1 = x(v)
                out += "<rect class=\"bar\(v < 0 ? " neg" : "")\" x=\"\(Self.f(min(x0, x1)))\" "
                out += "y=\"\(Self.f(y + (rowHeight - barHeight) / 2))\" width=\"\(Self.f(abs(x1 - x0)))\" "
                out += "height=\"\(Self.f(barHeight))\"/>"
            }
            out += "<text class=\"value\" x=\"\(Self.f(Self.width - 4))\" y=\"\(Self.f(middle))\" text-anchor=\"end\">"
            out += "\(e(valueText(row[metric])))</text></g>\n"
        }
        out += "<line class=\"axis\" x1=\"\(Self.f(x(0)))\" y1=\"\(Self.f(top - 4))\" x2=\"\(Self.f(x(0)))\" "
        out += "y2=\"\(Self.f(height - top + 4))\"/>\n</svg>"
        return out
    }

    /// `text` cut to `columns` display columns, ending in "…" when cut.
    static func truncate(_ text: String, columns: Int) -> String {
        guard DisplayWidth.of(text) > columns else { return text }
        var out = ""
        for character in text {
            if DisplayWidth.of(out + String(character)) > columns - 1 { break }
            out.append(character)
        }
        return out + "…"
    }

    // MARK: Lines

    private struct Series {
        var name: String
        /// (period position, period label, value) in period order.
        var points: [(x: Double, period: String, value: Value)]
    }

    private func lines() -> String {
        let e = HTMLWriter.escape
        var order: [String] = []
        var byName: [String: Series] = [:]
        for row in result.rows {
            guard let position = Self.periodPosition(row[0]) ?? orderPositions[row[0]] else { continue }
            let name = groupCount > 1 ? seriesLabel(row) : result.columns[metric].title
            if byName[name] == nil {
                order.append(name)
                byName[name] = Series(name: name, points: [])
            }
            byName[name]!.points.append((position, shown(row[0], 0), row[metric]))
        }
        let series = order.prefix(Self.maximumSeries).map { name in
            var s = byName[name]!
            s.points.sort { $0.x < $1.x }
            return s
        }
        let periods = Dictionary(
            series.flatMap(\.points).map { ($0.x, $0.period) }, uniquingKeysWith: { first, _ in first }
        ).sorted { $0.key < $1.key }
        let numbers = series.flatMap(\.points).compactMap { Self.number($0.value) }
        let first = result.columns[0]
        let breaks = PeriodGaps(
            positions: periods.map(\.key), periodic: Self.isPeriod(first) || first.type.isNumeric,
            // A year column steps by one year, whatever the rows hold.
            step: first.type == .int && Self.isPeriod(first) ? 1 : nil)
        let ticks = Self.ticks(low: min(0, numbers.min() ?? 0), high: max(0, numbers.max() ?? 0))
        let tickTexts = ticks.map(tickText)

        let left = Double(max(3, tickTexts.map(DisplayWidth.of).max() ?? 3)) * Self.charWidth + 14
        let right = Self.width - 16
        let top = 14.0
        let bottom = top + 240
        let (pMin, pMax) = (periods.first!.key, periods.last!.key)
        func x(_ p: Double) -> Double { left + 20 + (p - pMin) / (pMax - pMin) * (right - left - 40) }
        func y(_ v: Double) -> Double {
            bottom - (v - ticks.first!) / (ticks.last! - ticks.first!) * (bottom - top)
        }

        // The legend, when there is more than one line: items flow in rows under the axis labels.
        var legend: [(x: Double, row: Int, name: String, colour: String)] = []
        if series.count > 1 {
            var cursor = left
            var row = 0
            for (i, s) in series.enumerated() {
                let shown = Self.truncate(s.name, columns: 40)
                let itemWidth = 30 + Double(DisplayWidth.of(shown)) * Self.charWidth + 18
                if cursor + itemWidth > Self.width, cursor > left {
                    cursor = left
                    row += 1
                }
                legend.append((cursor, row, shown, Self.palette[i % Self.palette.count]))
                cursor += itemWidth
            }
        }
        let legendTop = bottom + 40
        let height = legend.isEmpty ? bottom + 34 : legendTop + Double((legend.last?.row ?? 0) + 1) * 22

        var description = "\(words.lineChart) \(words.by) \(result.columns[0].title), \(periods.count) \(words.periods)"
        description += series.count > 1 ? ", \(series.count) \(words.lines)" : ""
        description += ". \(words.fullFiguresInTable)"
        var out = open(height: height, description: description)
        for (tick, text) in zip(ticks, tickTexts) {
            out += "<line class=\"\(tick == 0 ? "axis" : "grid")\" x1=\"\(Self.f(left))\" y1=\"\(Self.f(y(tick)))\" "
            out += "x2=\"\(Self.f(right))\" y2=\"\(Self.f(y(tick)))\"/>"
            out += "<text class=\"tick\" x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y(tick) + 4.5))\" text-anchor=\"end\">"
            out += "\(e(text))</text>\n"
        }
        // At most about 12 period labels: every k-th when there are more.
        let every = max(1, (periods.count + 11) / 12)
        for (i, period) in periods.enumerated() where i % every == 0 || i == periods.count - 1 {
            out += "<text class=\"tick\" x=\"\(Self.f(x(period.key)))\" y=\"\(Self.f(bottom + 20))\" "
            out += "text-anchor=\"middle\">\(e(period.value))</text>\n"
        }
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            // A null breaks the line, and so does a missing period: the next point starts a new segment.
            var path = ""
            var previous: Double?
            for point in s.points {
                guard let v = Self.number(point.value) else {
                    previous = nil
                    continue
                }
                let joined = previous.map { !breaks.breaks(between: $0, and: point.x) } ?? false
                path += "\(joined ? "L" : "M")\(Self.f(x(point.x))),\(Self.f(y(v))) "
                previous = point.x
            }
            out += "<g class=\"series\"><title>\(e(s.name))</title>"
            out +=
                "<path d=\"\(path.trimmingTrailingSpaces)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>"
            for point in s.points {
                guard let v = Self.number(point.value) else { continue }
                out += "<circle cx=\"\(Self.f(x(point.x)))\" cy=\"\(Self.f(y(v)))\" r=\"4\" fill=\"\(colour)\">"
                out += "<title>\(e(s.name)), \(e(point.period)): \(e(valueText(point.value)))</title></circle>"
            }
            out += "</g>\n"
        }
        for item in legend {
            let ly = legendTop + Double(item.row) * 22
            out +=
                "<rect x=\"\(Self.f(item.x))\" y=\"\(Self.f(ly - 10))\" width=\"22\" height=\"4\" fill=\"\(item.colour)\"/>"
            out += "<text x=\"\(Self.f(item.x + 30))\" y=\"\(Self.f(ly - 3))\">\(e(item.name))</text>\n"
        }
        out += "</svg>"
        return out
    }

    private func tickText(_ tick: Double) -> String {
        if let unit { return style.format(.decimal(tick / unit.divisor)) }
        if tick == tick.rounded(), abs(tick) < 9e15 { return style.format(.int(Int64(tick))) }
        return style.format(.decimal(tick))
    }

    /// Round tick values from at most `low` to at least `high`: 1, 2 or 5 times a power of ten apart.
    static func ticks(low: Double, high: Double) -> [Double] {
        let span = high > low ? high - low : 4
        let raw = span / 4
        var magnitude = 1.0
        while raw / magnitude >= 10 { magnitude *= 10 }
        while raw / magnitude < 1 { magnitude /= 10 }
        let fraction = raw / magnitude
        let step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        let first = (low / step).rounded(.down)
        var last = (high / step).rounded(.up)
        if last <= first { last = first + 1 }
        return (Int(first)...Int(last)).map { Double($0) * step }
    }

    /// A coordinate with at most one decimal, `.` as the mark, never `-0`.
    static func f(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(r)
    }
}

/// Where a line chart's lines break although both points have a value: across a period no series
/// has (a period in the union of every series' periods lies between them), and, on a periodic
/// axis (years, dates, numbers), across a step more than half again the chart's smallest step
/// between periods (2021 → 2023 with yearly steps; March → May with monthly steps of 28 to 31 days,
/// since 59 days is more than 1.5 × 28).
struct PeriodGaps {
    /// Every period position on the chart, ascending.
    let positions: [Double]
    /// The smallest step between two periods, on a periodic axis.
    let step: Double?

    /// - Parameter step: the axis's step when known (1 for years); else the smallest between `positions`.
    init(positions: [Double], periodic: Bool, step: Double? = nil) {
        self.positions = positions.sorted()
        let steps = zip(self.positions, self.positions.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }
        self.step = periodic ? step ?? steps.min() : nil
    }

    /// Whether the line from the period at `a` to the one at `b` (`a < b`) must break.
    func breaks(between a: Double, and b: Double) -> Bool {
        if let step, b - a > step * 1.5 { return true }
        // A period strictly between a and b that this series lacks.
        var low = 0
        var high = positions.count
        while low < high {
            let mid = (low + high) / 2
            if positions[mid] <= a { low = mid + 1 } else { high = mid }
        }
        return low < positions.count && positions[low] < b
    }
}
