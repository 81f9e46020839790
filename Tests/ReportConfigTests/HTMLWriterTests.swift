import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import WriterHTML
import ReportFiles
import ReportWriters
@testable import ReportState
@testable import ReportPublish

#if canImport(Glibc)
    import Glibc
#endif

private func group(_ name: String, _ type: ColumnType = .string) -> ReportResult.ResultColumn {
    ReportResult.ResultColumn(name: name, role: .group, calc: nil, type: type)
}

private func metric(_ name: String, _ type: ColumnType = .int, calc: String = "sum") -> ReportResult.ResultColumn {
    ReportResult.ResultColumn(name: name, role: .metric, calc: calc, type: type)
}

private func report(title: String = "Kinh phí hỗ trợ khuyến công theo huyện", units: [String: TextUnit] = [:])
    -> ReportDefinition
{
    var d = ReportDefinition(
        name: "support-by-district", title: title, dataset: "projects", schedule: .every(seconds: 3600),
        timezone: "Asia/Ho_Chi_Minh", metrics: [])
    d.metrics = units.map { name, unit in
        var m = MetricDefinition(name: name, calc: "sum", parameters: MetricParameters())
        m.unit = unit
        return m
    }
    return d
}

private func page(
    _ columns: [ReportResult.ResultColumn], _ rows: [[Value]], totals: [Value]? = nil,
    report: ReportDefinition = report(), locale: String? = nil,
    sha256: String = "85d98934343a" + String(repeating: "f", count: 52), split: (column: String, value: String)? = nil
) -> String {
    let result = ReportResult(columns: columns, rows: rows, totals: totals, rowsUsed: rows.count)
    var context = RunContext(
        report: report, slot: "2026-11-29T06:00:00+07:00", stamp: "2026-11-29T060000",
        generatedAt: "2026-11-29T06:00:03+07:00",
        dataset: DatasetFigures(name: "projects", rows: 30, rowsUsed: 28, rowsRejected: 2, sha256: sha256))
    context.split = split
    return String(decoding: HTMLWriter.render(result, context: context, locale: locale), as: UTF8.self)
}

/// The `width` of every data bar (`<rect class="bar…">`), in order.
private func barWidths(_ html: String) -> [Double] {
    let pattern = #"<rect class="bar( neg)?" x="[-0-9.]+" y="[0-9.]+" width="([0-9.]+)""#
    let regex = try! NSRegularExpression(pattern: pattern)
    return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { match in
        Double(html[Range(match.range(at: 2), in: html)!])!
    }
}

/// The value of `attribute` on every `<rect class="bar…">`.
private func barAttribute(_ html: String, _ attribute: String) -> [Double] {
    let regex = try! NSRegularExpression(pattern: #"<rect class="bar[^"]*"[^>]*? \#(attribute)="([-0-9.]+)""#)
    return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { match in
        Double(html[Range(match.range(at: 1), in: html)!])!
    }
}

private let districts: [[Value]] = [
    [.string("Sìn Hồ"), .int(857_500_000)],
    [.string("Tam Đường"), .int(428_750_000)],
    [.string("Thành phố Lai Châu"), .int(214_375_000)],
]

@Suite(.blocking) struct HTMLWriterTests {
    @Test func pageIsSelfContainedWithAStrictPolicy() {
        let html = page([group("district"), metric("state_support_vnd")], districts)
        #expect(html.hasPrefix("<!doctype html>\n<html lang=\"en\">"), "en-US, the default, is an English page")
        #expect(page([group("district"), metric("state_support_vnd")], districts, locale: "vi-VN").hasPrefix("<!doctype html>\n<html lang=\"vi\">"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(
            html.contains(
                "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'"))
        #expect(html.hasSuffix("</html>\n"))
        // Nothing runs and nothing loads: no script, no URL, no external reference of any kind.
        let lower = html.lowercased()
        for forbidden in ["<script", "http:", "https:", "//", "src=", "<link", "@import", "url(", "javascript:", "on"] {
            if forbidden == "on" {
                #expect(lower.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "an event handler")
            } else if forbidden == "//" {
                #expect(!lower.contains("\"//") && !lower.contains("'//"), "a protocol-relative URL")
            } else {
                #expect(!lower.contains(forbidden), "\(forbidden)")
            }
        }
    }

    @Test func aSplitValuesPageNamesItsValue() {
        let html = page([group("district"), metric("n")], [[.string("x"), .int(1)]], split: ("district", "<Mường Tè>"))
        #expect(html.contains("<p class=\"split\" data-column=\"district\" data-value=\"&lt;Mường Tè&gt;\">"), "\(html)")
        #expect(!page([group("district"), metric("n")], [[.string("x"), .int(1)]]).contains("class=\"split\""))
    }

    @Test func everyTextIsEscaped() {
        let hostile = "<script>alert('x')</script> & \"Hộ\" <b>"
        let html = page(
            [group("district"), metric("a&b<c>")], [[.string(hostile), .int(5)]],
            report: report(title: "Tiêu đề <i>nghiêng</i> & 'trích'"))
        #expect(!html.contains("<script"))
        #expect(html.components(separatedBy: "<b>").count == 2, "only the page's own, in the dataset line")
        #expect(!html.contains("<i>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Hộ&quot; &lt;b&gt;"))
        #expect(html.contains("<title>Tiêu đề &lt;i&gt;nghiêng&lt;/i&gt; &amp; &#39;trích&#39;</title>"))
        #expect(html.contains("<th scope=\"col\" class=\"num\">a&amp;b&lt;c&gt;</th>"))
        #expect(HTMLWriter.escape("a\u{0}b\u{1B}c\td") == "a\u{FFFD}b\u{FFFD}c\td")
    }

    @Test func vietnameseTextIsKeptIntact() {
        // Precomposed and decomposed forms both pass through byte for byte.
        let decomposed = "Mu\u{031B}\u{0300}o\u{031B}ng Te\u{0300}"
        let html = page(
            [group("district"), metric("projects")],
            [[.string("Thành phố Lai Châu"), .int(4)], [.string(decomposed), .int(3)]],
            report: report(title: "Kinh phí hỗ trợ khuyến công theo huyện, thành phố"))
        #expect(html.contains("<h1>Kinh phí hỗ trợ khuyến công theo huyện, thành phố</h1>"))
        #expect(html.contains("<th scope=\"row\">Thành phố Lai Châu</th>"))
        #expect(Array(html.utf8).firstRange(of: Array("<th scope=\"row\">\(decomposed)</th>".utf8)) != nil)
        #expect(html.contains(">Thành phố Lai Châu</text>"))  // the chart's label
    }

    @Test func numbersReadAsInTheTextOutput() {
        let r = report(units: ["state_support_vnd": .billionVND])
        let html = page(
            [
                group("program"), metric("projects"), metric("state_support_vnd"),
                metric("ratio", .decimal, calc: "ratio"),
            ],
            [
                [.string("national"), .int(10), .int(3_100_000_000), .decimal(1.3)],
                [.string("local"), .int(20), .int(1_645_200_000), .null],
            ],
            totals: [.int(30), .int(4_745_200_000), .decimal(0.87)], report: r, locale: "vi-VN")
        #expect(html.contains("<td class=\"num\">3,10 tỷ đồng</td>"))
        #expect(html.contains("<td class=\"num\">1,30</td>"))
        #expect(html.contains("<td class=\"num\">–</td>"))
        #expect(html.contains("<tfoot><tr><th scope=\"row\" colspan=\"1\">Tổng cộng</th><td class=\"num\">30</td>"))
        #expect(html.contains("<td class=\"num\">4,75 tỷ đồng</td>"))
        // The dataset line, with the checksum's short form.
        #expect(html.contains("Dữ liệu <b>projects</b>: 30 dòng, 28 dùng, 2 bị loại; sha256 <code"))
        #expect(html.contains(">85d98934343a</code>"))
        #expect(html.contains("<time datetime=\"2026-11-29T06:00:00+07:00\">2026-11-29 06:00:00 (+07:00)</time>"))
        // With no checksum computed, none is shown.
        #expect(
            !page([group("program"), metric("projects")], [[.string("a"), .int(1)]], sha256: "").contains("sha256"))
    }

    @Test func groupValuesAreLabelsNotAmounts() {
        let html = page([group("year", .int), metric("projects")], [[.int(2024), .int(5)], [.int(2025), .int(6)]])
        #expect(html.contains("<th scope=\"row\">2024</th>"))
        #expect(!html.contains("2,024"))
    }

    @Test(arguments: [
        (group("district"), HTMLChart.Kind.bars),
        (group("year", .int), .lines),
        (group("fiscal_year", .int), .lines),
        (group("năm", .int), .lines),
        (group("start_date", .date), .lines),
        (group("district_code", .int), .bars),
        (group("active", .bool), .bars),
    ])
    func chartKindFollowsTheFirstGroupColumn(column: ReportResult.ResultColumn, expected: HTMLChart.Kind) {
        let first: Value =
            column.type == .date ? .date(Day(daysSinceEpoch: 20000)) : column.type == .bool ? .bool(false) : .int(2024)
        let second: Value =
            column.type == .date ? .date(Day(daysSinceEpoch: 20400)) : column.type == .bool ? .bool(true) : .int(2025)
        let result = ReportResult(
            columns: [column, metric("projects")], rows: [[first, .int(4)], [second, .int(6)]], totals: nil,
            rowsUsed: 10)
        let chart = HTMLChart(result: result, report: report(), locale: .enUS)
        #expect(chart?.kind == expected, "\(column.name)")
        let html = page([column, metric("projects")], [[first, .int(4)], [second, .int(6)]])
        #expect(html.contains("<path d=\"M") == (expected == .lines))
        #expect(html.contains("<rect class=\"bar") == (expected == .bars))
    }

    @Test func aSinglePeriodFallsBackToBars() {
        let html = page([group("year", .int), metric("projects")], [[.int(2024), .int(4)]])
        #expect(barWidths(html).count == 1)
        #expect(!html.contains("<path"))
    }

    @Test func noChartWithoutGroupsRowsOrNumbers() {
        // One row for the whole dataset: the table alone.
        #expect(!page([metric("projects")], [[.int(30)]]).contains("<svg"))
        // No rows.
        let empty = page([group("district"), metric("projects")], [])
        #expect(!empty.contains("<svg"))
        #expect(empty.contains("(no rows)"))
        // Only nulls.
        #expect(!page([group("district"), metric("projects")], [[.string("a"), .null]]).contains("<svg"))
        // No numeric metric.
        #expect(
            !page(
                [group("district"), metric("first", .date, calc: "min")],
                [[.string("a"), .date(Day(daysSinceEpoch: 1))]]
            ).contains("<svg"))
    }

    @Test func barLengthsAreProportionalToValues() throws {
        let html = page([group("district"), metric("state_support_vnd")], districts)
        let widths = barWidths(html)
        try #require(widths.count == 3)
        // 857.5 : 428.75 : 214.375 = 4 : 2 : 1 (to the 0.1 unit the coordinates are written with).
        #expect(abs(widths[0] / widths[1] - 2) < 0.01, "\(widths)")
        #expect(abs(widths[0] / widths[2] - 4) < 0.01, "\(widths)")
        // All start at the zero line, which is the left end of the plot.
        let xs = barAttribute(html, "x")
        #expect(Set(xs).count == 1, "\(xs)")
        #expect(widths[0] > 300, "the largest bar fills the plot: \(widths)")
        #expect(html.contains("<svg viewBox=\"0 0 760 "))
        #expect(html.contains("role=\"img\" aria-label=\"state_support_vnd by district\""))
        #expect(html.contains("<desc>Horizontal bar chart, 3 groups"))
    }

    @Test func negativeValuesExtendLeftOfZero() throws {
        let html = page(
            [group("program"), metric("growth_pct", .decimal, calc: "growth")],
            [[.string("local"), .decimal(30)], [.string("national"), .decimal(-10)], [.string("other"), .null]])
        let widths = barWidths(html)
        try #require(widths.count == 2, "the null draws no bar")
        #expect(abs(widths[0] / widths[1] - 3) < 0.02, "\(widths)")
        let xs = barAttribute(html, "x")
        // The negative bar ends where the positive one starts: the zero line.
        #expect(abs((xs[1] + widths[1]) - xs[0]) < 0.2, "\(xs) \(widths)")
        #expect(html.contains("<rect class=\"bar neg\""))
        #expect(html.contains("<line class=\"axis\" x1=\"\(HTMLChart.f(xs[0]))\""))
        #expect(html.contains("<td class=\"num neg\">-10</td>"), "a whole decimal without its meaningless .00")
    }

    @Test func manyGroupsShowTheFirstOnesWithANote() {
        let rows: [[Value]] = (1...45).map { [.string("Đơn vị thụ hưởng số \($0)"), .int(Int64(100 - $0))] }
        let html = page([group("beneficiary"), metric("projects")], rows)
        #expect(barWidths(html).count == HTMLChart.maximumBars)
        #expect(html.contains("the first 30 groups of 45, in table order"))
        // The table keeps every row.
        #expect(html.components(separatedBy: "<tr>").count - 1 == 1 + 45)
    }

    @Test func longLabelsAreCutWithTheWholeLabelInTheTitle() {
        let long = "Hợp tác xã dệt thổ cẩm và chế biến chè shan tuyết xã Sì Lở Lầu, huyện Phong Thổ"
        let html = page(
            [group("beneficiary"), metric("projects")], [[.string(long), .int(3)], [.string("Hộ A"), .int(1)]])
        #expect(html.contains("<title>\(long): 3</title>"))
        #expect(html.contains(">\(HTMLChart.truncate(long, columns: 36))</text>"))
        #expect(HTMLChart.truncate(long, columns: 36).hasSuffix("…"))
        #expect(DisplayWidth.of(HTMLChart.truncate(long, columns: 36)) == 36)
    }

    @Test func lineChartHasOneLinePerOtherGroupAndBreaksAtNulls() throws {
        let html = page(
            [group("year", .int), group("program"), metric("state_support_vnd")],
            [
                [.int(2021), .string("local"), .int(185)], [.int(2021), .string("national"), .int(600)],
                [.int(2022), .string("local"), .null], [.int(2022), .string("national"), .int(565)],
                [.int(2023), .string("local"), .int(323)], [.int(2023), .string("national"), .int(640)],
            ])
        let paths = html.components(separatedBy: "<path d=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        try #require(paths.count == 2)
        // local: a gap at 2022, so two moves; national: one move, two lines.
        #expect(paths[0].filter { $0 == "M" }.count == 2 && !paths[0].contains("L"), "\(paths[0])")
        #expect(paths[1].filter { $0 == "M" }.count == 1 && paths[1].filter { $0 == "L" }.count == 2, "\(paths[1])")
        #expect(html.contains("one line per program"))
        #expect(html.contains(">local</text>") && html.contains(">national</text>"), "a legend")
        #expect(html.contains("<title>national, 2023: 640</title>"))
        for year in ["2021", "2022", "2023"] { #expect(html.contains("text-anchor=\"middle\">\(year)</text>")) }
    }

    /// `chart:` picks the metric and the kind: the money instead of the first (count) metric, a
    /// line over quarters named by text, or no chart.
    @Test func chartOptionsPickTheMetricAndTheKind() throws {
        let columns = [group("quarter"), metric("projects", calc: "count"), metric("state_support_vnd")]
        let rows: [[Value]] = [
            [.string("Q1"), .int(4), .int(100)], [.string("Q2"), .int(4), .int(300)], [.string("Q3"), .int(2), .int(200)],
        ]
        var money = report()
        money.chart = ChartOptions(metric: "state_support_vnd")
        let bars = page(columns, rows, report: money)
        let widths = barWidths(bars)
        try #require(widths.count == 3)
        #expect(abs(widths[1] / widths[0] - 3) < 0.01 && abs(widths[2] / widths[0] - 2) < 0.01, "\(widths)")
        #expect(bars.contains("state_support_vnd by quarter"))

        var line = report()
        line.chart = ChartOptions(kind: .line)
        let lines = page(columns, rows, report: line)
        #expect(lines.contains("<path d=\"M") && !lines.contains("<rect class=\"bar"))
        for quarter in ["Q1", "Q2", "Q3"] { #expect(lines.contains("text-anchor=\"middle\">\(quarter)</text>")) }

        var none = report()
        none.chart = ChartOptions(kind: .none)
        #expect(!page(columns, rows, report: none).contains("<svg"))

        var bar = report()
        bar.chart = ChartOptions(kind: .bars)
        #expect(!page([group("year", .int), metric("n")], [[.int(2024), .int(1)], [.int(2025), .int(2)]], report: bar).contains("<path"))
    }

    @Test func ticksAreRoundAndCoverTheValues() {
        #expect(HTMLChart.ticks(low: 0, high: 6) == [0, 2, 4, 6])
        #expect(HTMLChart.ticks(low: 0, high: 650_000_000) == [0, 200_000_000, 400_000_000, 600_000_000, 800_000_000])
        #expect(HTMLChart.ticks(low: -5.83, high: 70.26) == [-20, 0, 20, 40, 60, 80])
        #expect(HTMLChart.ticks(low: 0, high: 0) == [0, 1])
    }
}

/// Labels, value labels and the locale's words on the page (SPEC, "Labels and language"), and
/// lines that break at a missing period (issue 18, point 7).
@Suite(.blocking) struct HTMLLabelTests {
    private func labelled() -> [ReportResult.ResultColumn] {
        var program = group("program")
        program.label = "Chương trình"
        program.values = ValueLabels([
            .init(code: "national", label: "Khuyến công quốc gia"), .init(code: "local", label: "Khuyến công địa phương"),
        ])
        var support = metric("state_support_vnd")
        support.label = "Kinh phí hỗ trợ (đồng)"
        return [program, support]
    }

    @Test func labelsHeadTheColumnsAndValueLabelsReplaceTheCodes() {
        let html = page(
            labelled(), [[.string("national"), .int(3_100_000_000)], [.string("local"), .int(1_645_200_000)]],
            totals: [.int(4_745_200_000)], locale: "vi-VN")
        #expect(html.contains("<th scope=\"col\" title=\"program\">Chương trình</th>"))
        #expect(html.contains("<th scope=\"col\" class=\"num\" title=\"state_support_vnd\">Kinh phí hỗ trợ (đồng)</th>"))
        #expect(html.contains("<th scope=\"row\">Khuyến công quốc gia</th><td class=\"num\">3.100.000.000</td>"))
        #expect(!html.contains(">national<"), "codes never reach the page")
        // The chart speaks the same words: its caption, its bars' labels and titles.
        #expect(html.contains("aria-label=\"Kinh phí hỗ trợ (đồng) theo Chương trình\""))
        #expect(html.contains(">Khuyến công địa phương</text>"))
        #expect(html.contains("<title>Khuyến công quốc gia: 3.100.000.000</title>"))
    }

    /// Every word the page adds is the locale's: Vietnamese for vi-VN, English for en-US.
    @Test func everyWordThePageAddsIsTheLocales() {
        let rows: [[Value]] = [[.string("national"), .int(3_100_000_000)]]
        let vi = page(labelled(), rows, totals: [.int(3_100_000_000)], locale: "vi-VN")
        for word in ["Báo cáo <code>", "kỳ chạy", "tạo lúc", "Dữ liệu <b>projects</b>: 30 dòng, 28 dùng, 2 bị loại",
            ">Tổng cộng</th>", "Tạo bởi reportd", "Biểu đồ thanh ngang"]
        {
            #expect(vi.contains(word), "\(word)")
        }
        for english in ["Report <code>", "Dataset", "Total", " rows", "Made by", "Horizontal bar"] {
            #expect(!vi.contains(english), "\(english)")
        }
        let en = page(labelled(), rows, totals: [.int(3_100_000_000)], locale: "en-US")
        for word in ["Report <code>", "· run <time", "generated <time", "Dataset <b>projects</b>: 30 rows, 28 used, 2 rejected",
            ">Total</th>", "Made by reportd", "Horizontal bar chart", "3,100,000,000"]
        {
            #expect(en.contains(word), "\(word)")
        }
        for vietnamese in ["Báo cáo", "Dữ liệu", "Tổng", "dòng", "Tạo bởi", "Biểu đồ", "kỳ chạy", "nhóm"] {
            #expect(!en.contains(vietnamese), "\(vietnamese)")
        }
    }

    /// A line never joins two points across a period that has no row: 2021, 2022, 2024 draws two
    /// segments, not a line through 2023.
    @Test func aMissingPeriodIsAGapNotALineThroughIt() throws {
        let html = page(
            [group("year", .int), metric("state_support_vnd")],
            [[.int(2021), .int(185)], [.int(2022), .int(600)], [.int(2024), .int(565)], [.int(2025), .int(640)]])
        let path = try #require(html.components(separatedBy: "<path d=\"").dropFirst().first?.prefix { $0 != "\"" })
        #expect(path.filter { $0 == "M" }.count == 2 && path.filter { $0 == "L" }.count == 2, "\(path)")
        // A series that lacks a period the others have breaks there too.
        let two = page(
            [group("year", .int), group("program"), metric("state_support_vnd")],
            [
                [.int(2021), .string("local"), .int(1)], [.int(2021), .string("national"), .int(2)],
                [.int(2022), .string("national"), .int(3)],
                [.int(2023), .string("local"), .int(4)], [.int(2023), .string("national"), .int(5)],
            ])
        let paths = two.components(separatedBy: "<path d=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        try #require(paths.count == 2)
        #expect(paths[0].filter { $0 == "M" }.count == 2 && !paths[0].contains("L"), "local: \(paths[0])")
        #expect(paths[1].filter { $0 == "M" }.count == 1 && paths[1].filter { $0 == "L" }.count == 2, "\(paths[1])")
        // Monthly dates: March to May (61 days) breaks; January to February (31 days) does not.
        let day = { (s: String) in Value.date(Day(iso: s)!) }
        let months = page(
            [group("month", .date), metric("n")],
            [[day("2025-01-01"), .int(1)], [day("2025-02-01"), .int(2)], [day("2025-03-01"), .int(3)],
                [day("2025-05-01"), .int(4)]])
        let monthly = try #require(months.components(separatedBy: "<path d=\"").dropFirst().first?.prefix { $0 != "\"" })
        #expect(monthly.filter { $0 == "M" }.count == 2 && monthly.filter { $0 == "L" }.count == 2, "\(monthly)")
    }

    @Test func periodGapsOnAnAxisWithoutPeriods() {
        // Positions in order of first appearance (quarters named by text): only a missing position breaks.
        let gaps = PeriodGaps(positions: [0, 1, 2, 3], periodic: false)
        #expect(!gaps.breaks(between: 0, and: 1))
        #expect(gaps.breaks(between: 1, and: 3))
        let years = PeriodGaps(positions: [2021, 2023], periodic: true, step: 1)
        #expect(years.breaks(between: 2021, and: 2023), "two years apart, though no year between has a row")
    }
}

@Suite(.blocking) struct OutputIndexTests {
    @Test func indexListsReportsWithRelativeEscapedLinks() {
        let entries = [
            OutputIndex.Entry(
                report: "funding-by-program", title: "Kinh phí <khuyến công> & \"vốn\"",
                lastRun: "2026-11-29T06:00:00+07:00", files: ["latest.html", "latest.csv"]),
            OutputIndex.Entry(report: "plain", title: nil, lastRun: nil, files: ["latest.csv"]),
        ]
        let html = String(
            decoding: OutputIndex.render(entries, generatedAt: "2026-11-29T06:00:05+07:00"), as: UTF8.self)
        #expect(html.hasPrefix("<!doctype html>\n<html lang=\"vi\">"))
        #expect(html.contains("default-src 'none'"))
        #expect(
            html.contains(
                "<a href=\"funding-by-program/latest.html\">Kinh phí &lt;khuyến công&gt; &amp; &quot;vốn&quot;</a>"))
        #expect(html.contains("<a href=\"funding-by-program/latest.csv\">latest.csv</a>"))
        #expect(html.contains("<a href=\"plain/latest.csv\">plain</a>"), "the name stands in for a missing title")
        #expect(html.contains("2026-11-29 06:00:00 (+07:00)"))
        #expect(!html.contains("http:") && !html.contains("https:") && !html.contains("<script"))
        #expect(html.contains("2 báo cáo"))
    }

    /// The index speaks the daemon's language (`locale:` of the daemon config); before, it was
    /// Vietnamese whatever the config said.
    @Test func indexIsInTheDaemonsLanguage() {
        let entries = [OutputIndex.Entry(report: "plain", title: nil, lastRun: nil, files: ["latest.csv"])]
        let english = String(
            decoding: OutputIndex.render(entries, generatedAt: "2026-11-29T06:00:05+07:00", locale: .enUS), as: UTF8.self)
        #expect(english.hasPrefix("<!doctype html>\n<html lang=\"en\">"))
        #expect(english.contains("<h1>Reports</h1>") && english.contains("· 1 report</p>") && english.contains("Last run"))
        #expect(!english.contains("Báo cáo") && !english.contains("Cập nhật"))
        let empty = String(decoding: OutputIndex.render([], generatedAt: "2026-11-29T06:00:05+07:00", locale: .enUS), as: UTF8.self)
        #expect(empty.contains("(no report yet)"))
        let vietnamese = String(
            decoding: OutputIndex.render(entries, generatedAt: "2026-11-29T06:00:05+07:00", locale: .viVN), as: UTF8.self)
        #expect(vietnamese.contains("<h1>Báo cáo</h1>") && vietnamese.contains("Lần chạy gần nhất"))
    }

    @Test func updateWaitsForTheLockAndRescansUnderIt() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-index-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("out").path
        let state = base.appendingPathComponent("state").path
        let publisher = Publisher(root: root, permissions: .shared)
        try publisher.publish(report: "first", files: [Publisher.File(name: "latest.csv", bytes: Array("a\n".utf8))])
        // Another writer holds the index lock.
        let held = try #require(ReportLock.openLockFile(stateDirectory: state, report: OutputIndex.lockName))
        #expect(flock(held, LOCK_EX) == 0)
        var report = ReportDefinition(
            name: "first", title: "Thứ nhất", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC", metrics: [])
        report.formats = ["html"]
        let definition = report
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = try? OutputIndex.update(
                after: definition, extensions: BuiltinWriters.registry.writers.map { type(of: $0).fileExtension },
                outputRoot: root, permissions: .shared, stateDirectory: state,
                timeZone: TimeZone(identifier: "UTC")!)
            finished.signal()
        }
        thread.start()
        #expect(finished.wait(timeout: .now() + 0.5) == .timedOut, "the update waits while the lock is held")
        #expect(!FileManager.default.fileExists(atPath: root + "/index.html"))
        // Published while the update waited: the rescan under the lock sees it.
        try publisher.publish(report: "second", files: [Publisher.File(name: "latest.csv", bytes: Array("b\n".utf8))])
        flock(held, LOCK_UN)
        close(held)
        #expect(finished.wait(timeout: .now() + 30) == .success)
        let index = try String(contentsOfFile: root + "/index.html", encoding: .utf8)
        #expect(index.contains("<a href=\"first/latest.csv\"") && index.contains("<a href=\"second/latest.csv\""))
        #expect(FileManager.default.fileExists(atPath: state + "/locks/_index.lock"))
    }

    @Test func scanReadsTitlesAndSkipsWhatIsNotAReport() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-index-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        for folder in ["a", "b", "c", "Not A Report", ".hidden", "empty"] {
            try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try "{\n  \"report\": \"a\",\n  \"title\": \"Tiêu đề \\\"A\\\"\",\n  \"slot\": \"2026-11-29T06:00:00+07:00\",\n"
            .write(to: root.appendingPathComponent("a/latest.json"), atomically: true, encoding: .utf8)
        try "x".write(to: root.appendingPathComponent("a/latest.html"), atomically: true, encoding: .utf8)
        try "Báo cáo B\nReport b, run …\n".write(
            to: root.appendingPathComponent("b/latest.txt"), atomically: true, encoding: .utf8)
        try "x".write(to: root.appendingPathComponent("b/latest.exe"), atomically: true, encoding: .utf8)
        try "<!doctype html>\n<title>Trang &lt;C&gt; &amp;amp;</title>".write(
            to: root.appendingPathComponent("c/latest.html"), atomically: true, encoding: .utf8)
        try "x".write(to: root.appendingPathComponent("Not A Report/latest.csv"), atomically: true, encoding: .utf8)
        try "x".write(to: root.appendingPathComponent(".hidden/latest.csv"), atomically: true, encoding: .utf8)
        // A link named like a latest file is not listed, nor followed.
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent("c/latest.csv").path, withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent("d").path, withDestinationPath: root.appendingPathComponent("a").path)

        let fd = open(root.path, O_RDONLY | O_DIRECTORY)
        try #require(fd >= 0)
        defer { close(fd) }
        let entries = OutputIndex.scan(
            fd, extensions: BuiltinWriters.registry.writers.map { type(of: $0).fileExtension }, timeZone: TimeZone(identifier: "Asia/Ho_Chi_Minh")!)
        #expect(entries.map(\.report) == ["a", "b", "c"])
        #expect(entries[2].title == "Trang <C> &amp;", "the page's title, unescaped once")
        #expect(entries[2].files == ["latest.html"], "the planted link is not listed")
        #expect(entries[0].title == "Tiêu đề \"A\"")
        #expect(entries[0].lastRun == "2026-11-29T06:00:00+07:00")
        #expect(entries[0].files == ["latest.html", "latest.json"])
        #expect(entries[1].title == "Báo cáo B")
        #expect(entries[1].files == ["latest.txt"])
        #expect(entries[1].lastRun?.hasSuffix("+07:00") == true, "the file's time, in the given zone")
    }
}
