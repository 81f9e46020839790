import Foundation

/// A report's language (`locale:` in a report or the daemon config): the words outputs for people
/// add around the data, how they write numbers, and how they order strings.
///
/// en-US is the default. With vi-VN every word text, HTML and spreadsheet outputs add is Vietnamese
/// ("Báo cáo", "Tổng cộng", "Dữ liệu …"), numbers group as `4.700.000.000` with a decimal comma,
/// and strings sort in Vietnamese order (Tam Đường, Tân Uyên, Than Uyên; Đ after D) by the
/// collation Foundation takes from ICU's CLDR data, not a table of our own.
public struct ReportLocale: Sendable, Hashable, CustomStringConvertible {
    /// The BCP 47 name reports use (`vi-VN`).
    public let identifier: String

    public static let enUS = ReportLocale(checked: "en-US")
    public static let viVN = ReportLocale(checked: "vi-VN")

    /// The names `locale:` accepts.
    public static let known = ["en-US", "vi-VN"]

    private init(checked identifier: String) { self.identifier = identifier }

    /// The locale named `identifier`; en-US for nil (and for a name `validate` would have refused).
    public init(_ identifier: String?) {
        self.identifier = identifier.flatMap { name in Self.known.first { $0 == name } } ?? "en-US"
    }

    public var description: String { identifier }

    public var isVietnamese: Bool { identifier == "vi-VN" }

    /// How outputs for people write numbers in this locale.
    public var numbers: NumberStyle { NumberStyle(locale: identifier) }

    /// The words outputs for people add around the data.
    public var words: ReportWords { isVietnamese ? .vietnamese : .english }

    // MARK: Order of strings

    /// Whether `a` sorts before `b` in this locale.
    ///
    /// en-US keeps the order reportd has always used (by UTF-8 bytes, so that existing outputs do
    /// not change); vi-VN uses Foundation's locale-aware comparison (ICU collation for `vi_VN`).
    /// Strings the collation finds equal but that differ fall back to byte order, so the order is
    /// total and the same on every run.
    public func precedes(_ a: String, _ b: String) -> Bool {
        guard isVietnamese else { return a.utf8.lexicographicallyPrecedes(b.utf8) }
        switch a.compare(b, options: [], range: nil, locale: Self.vietnamese) {
        case .orderedAscending: return true
        case .orderedDescending: return false
        case .orderedSame: return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// Whether value `a` sorts before value `b`: strings by `precedes`, everything else as
    /// `Value`'s own order. Null sorts after everything.
    public func precedes(_ a: Value, _ b: Value) -> Bool {
        if case .string(let x) = a, case .string(let y) = b { return precedes(x, y) }
        return a < b
    }

    private static let vietnamese = Locale(identifier: "vi_VN")

    // MARK: Columns a period adds

    /// The label of a column a period adds to a labelled metric: `label` with the words of
    /// `suffix` (`previous_period`, `vs_same_period_last_year_pct`, `year_to_date`); nil for a
    /// suffix no period adds.
    public func derivedLabel(_ label: String, suffix: String) -> String? {
        if suffix == "year_to_date" { return label + " – " + PeriodLabel.cumulativeTitle(locale: identifier) }
        for kind in PeriodRule.Comparison.allCases {
            if suffix == kind.rawValue { return label + " – " + PeriodLabel.comparedTitle(kind, locale: identifier) }
            if suffix == "vs_\(kind.rawValue)_pct" {
                return label + " – " + PeriodLabel.changeTitle(kind, locale: identifier)
            }
        }
        return nil
    }
}

/// The words outputs for people add around a report's data, in one language. Writers take them
/// from `RunContext.reportLocale.words` and add no words of their own.
public struct ReportWords: Sendable {
    /// "Report" / "Báo cáo": the word before the report's name.
    public let report: String
    /// "run" / "kỳ chạy": before the slot.
    public let run: String
    /// "generated" / "tạo lúc": before the time the outputs were made.
    public let generated: String
    /// "Total" / "Tổng cộng": the totals row.
    public let total: String
    /// "(no rows)" / "(không có dòng nào)": a table without rows.
    public let noRows: String
    /// "Dataset" / "Dữ liệu".
    public let dataset: String
    /// "rows" / "dòng": rows loaded.
    public let rows: String
    /// "used" / "dùng": rows that passed the filter.
    public let used: String
    /// "rejected" / "bị loại": rows the schema rejected.
    public let rejected: String
    /// "Details" / "Thông tin": the title of a run's details (a spreadsheet's second sheet).
    public let details: String
    /// "Slot" / "Kỳ chạy": the slot, as a field name.
    public let slot: String
    /// "Generated at" / "Tạo lúc": the time the outputs were made, as a field name.
    public let generatedAt: String
    /// "Rows loaded" / "Số dòng": rows loaded, as a field name.
    public let rowsLoaded: String
    /// "Rows used" / "Số dòng dùng".
    public let rowsUsed: String
    /// "Rows rejected" / "Số dòng bị loại".
    public let rowsRejected: String
    /// "Title" / "Tiêu đề".
    public let title: String
    /// "Period" / "Kỳ báo cáo".
    public let period: String
    /// "Made by reportd" / "Tạo bởi reportd" (and the HTML page's footer after it).
    public let madeBy: String
    /// The HTML page's footer after `madeBy`.
    public let footerNote: String
    /// "by" / "theo": in chart captions ("support by district").
    public let by: String
    /// "one line per" / "mỗi đường một": in a line chart's caption.
    public let oneLinePer: String
    /// "Horizontal bar chart" / "Biểu đồ thanh ngang".
    public let barChart: String
    /// "Line chart" / "Biểu đồ đường".
    public let lineChart: String
    /// "groups" / "nhóm".
    public let groups: String
    /// "from" / "từ", "to" / "đến": a range of values.
    public let from: String
    public let to: String
    /// "The table holds every figure." / "Số liệu đầy đủ ở bảng."
    public let fullFiguresInTable: String
    /// "first" / "đầu tiên", "of" / "trong", "in table order" / "theo thứ tự của bảng": a
    /// chart that shows only the first of many.
    public let first: String
    public let of: String
    public let inTableOrder: String
    /// "lines" / "đường".
    public let lines: String
    /// "periods" / "kỳ".
    public let periods: String

    /// "the first 30 groups of 45, in table order" / "30 nhóm đầu tiên trong 45, theo thứ tự của
    /// bảng": a chart that shows only the first `shown` of `total` groups (or lines, `lines: true`).
    public func firstOf(_ shown: Int, _ total: Int, lines: Bool = false) -> String {
        let unit = lines ? self.lines : groups
        if first == "first" { return "the first \(shown) \(unit) of \(total), \(inTableOrder)" }
        return "\(shown) \(unit) \(first) \(of) \(total), \(inTableOrder)"
    }

    /// "Dataset projects: 30 rows, 30 used, 0 rejected" with `numbers` for the counts.
    public func datasetLine(_ d: DatasetFigures, numbers: NumberStyle) -> String {
        func n(_ x: Int) -> String { numbers.format(.int(Int64(x))) }
        return "\(dataset) \(d.name): \(n(d.rows)) \(rows), \(n(d.rowsUsed)) \(used), \(n(d.rowsRejected)) \(rejected)"
    }

    public static let english = ReportWords(
        report: "Report", run: "run", generated: "generated", total: "Total", noRows: "(no rows)",
        dataset: "Dataset", rows: "rows", used: "used", rejected: "rejected", details: "Details", slot: "Slot",
        generatedAt: "Generated at", rowsLoaded: "Rows loaded", rowsUsed: "Rows used", rowsRejected: "Rows rejected",
        title: "Title", period: "Period", madeBy: "Made by reportd",
        footerNote: "every figure is in the table above and in the CSV/JSON files of the same folder", by: "by",
        oneLinePer: "one line per", barChart: "Horizontal bar chart", lineChart: "Line chart", groups: "groups",
        from: "from", to: "to", fullFiguresInTable: "The table holds every figure.", first: "first", of: "of",
        inTableOrder: "in table order", lines: "lines", periods: "periods")

    public static let vietnamese = ReportWords(
        report: "Báo cáo", run: "kỳ chạy", generated: "tạo lúc", total: "Tổng cộng", noRows: "(không có dòng nào)",
        dataset: "Dữ liệu", rows: "dòng", used: "dùng", rejected: "bị loại", details: "Thông tin", slot: "Kỳ chạy",
        generatedAt: "Tạo lúc", rowsLoaded: "Số dòng", rowsUsed: "Số dòng dùng", rowsRejected: "Số dòng bị loại",
        title: "Tiêu đề", period: "Kỳ báo cáo", madeBy: "Tạo bởi reportd",
        footerNote: "số liệu đầy đủ ở bảng trên và trong các tệp CSV/JSON cùng thư mục", by: "theo",
        oneLinePer: "mỗi đường một", barChart: "Biểu đồ thanh ngang", lineChart: "Biểu đồ đường", groups: "nhóm",
        from: "từ", to: "đến", fullFiguresInTable: "Số liệu đầy đủ ở bảng.", first: "đầu tiên", of: "trong",
        inTableOrder: "theo thứ tự của bảng", lines: "đường", periods: "kỳ")
}
