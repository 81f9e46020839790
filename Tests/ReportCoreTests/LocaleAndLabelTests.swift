import Testing

@testable import ReportCore

private struct CountRows: Calculator {
    let descriptor = CalculatorDescriptor(name: "n", summary: "rows", parameters: [], provider: "test")
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType { .int }
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        input.groups.map { .int(Int64($0.count)) }
    }
}

private func table(_ schema: DatasetSchema, _ cells: [String]) -> Table {
    var builder = ColumnBuilder(spec: schema.columns[0])
    for cell in cells { builder.append(.string(cell)) }
    return Table(schema: schema, columns: [builder.build()])
}

private func report(locale: String?, groupBy column: String, metricLabel: String? = nil) -> ReportDefinition {
    var metric = MetricDefinition(name: "projects", calc: "n", parameters: MetricParameters())
    metric.label = metricLabel
    var r = ReportDefinition(
        name: "t", title: "t", dataset: "d", schedule: .every(seconds: 60), timezone: "UTC", metrics: [metric])
    r.groupBy = [column]
    r.locale = locale
    return r
}

private let engine = ReportEngine(calculators: CalculatorRegistry([CountRows()]))

/// SPEC, "Labels and language": strings sort in the locale's order, by Foundation's locale-aware
/// comparison (ICU's collation), and every word outputs add comes from the locale.
@Suite struct LocaleTests {
    /// Measured on this Linux Foundation: `compare(_:options:range:locale:)` with vi_VN orders by
    /// the Vietnamese alphabet (a ă â … d đ … o ô ơ … u ư): Tam < Tân < Than, since a < â < h.
    /// Tone marks are secondary differences, so letters decide first: Ánh Dương before Anh Sơn.
    @Test func vietnameseOrderComesFromTheLocaleCollation() {
        let vi = ReportLocale.viVN
        let shuffled = [
            "Than Uyên", "Thành phố Lai Châu", "Tân Uyên", "Tam Đường", "Đà Bắc", "Dương Quỳ", "Duy Tiên", "Ân Thi",
            "Ăn Khê", "Anh Sơn", "Ánh Dương", "Ơn Thọ", "Ôn Lương", "Ong Ba", "Ứng Hòa", "Uông Bí", "Mường Tè",
        ]
        let sorted = shuffled.sorted(by: vi.precedes)
        #expect(
            sorted == [
                "Ánh Dương", "Anh Sơn", "Ăn Khê", "Ân Thi", "Duy Tiên", "Dương Quỳ", "Đà Bắc", "Mường Tè", "Ong Ba",
                "Ôn Lương", "Ơn Thọ", "Tam Đường", "Tân Uyên", "Than Uyên", "Thành phố Lai Châu", "Uông Bí",
                "Ứng Hòa",
            ], "\(sorted)")
        // Byte order, for contrast, puts every accented initial after Z (Đà Bắc after Than Uyên).
        #expect(shuffled.sorted().last == "Ứng Hòa" && shuffled.sorted().firstIndex(of: "Đà Bắc")! > 10)
    }

    /// The three districts the issue names, and Đ after every D.
    @Test(arguments: [
        (["Than Uyên", "Tân Uyên", "Tam Đường"], ["Tam Đường", "Tân Uyên", "Than Uyên"]),
        (["Đông Anh", "Dũng", "Da"], ["Da", "Dũng", "Đông Anh"]),
        (["hồ", "Hồ", "ho"], ["ho", "hồ", "Hồ"]),
    ])
    func vietnameseOrderOf(_ input: [String], _ expected: [String]) {
        #expect(input.sorted(by: ReportLocale.viVN.precedes) == expected)
    }

    @Test func englishKeepsByteOrderSoExistingOutputsDoNotChange() {
        let names = ["Tân Uyên", "Than Uyên", "Tam Đường", "Đà Bắc", "Zeta"]
        #expect(names.sorted(by: ReportLocale.enUS.precedes) == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func anOrderIsTotalEvenWhereTheCollationSeesNoDifference() {
        // U+00C5 and U+212B (Angstrom sign) collate equal; byte order decides, the same on every run.
        let a = "\u{00C5}"
        let b = "\u{212B}"
        #expect(ReportLocale.viVN.precedes(a, b) != ReportLocale.viVN.precedes(b, a))
    }

    @Test func unknownOrMissingLocaleIsEnglish() {
        #expect(ReportLocale(nil) == .enUS)
        #expect(ReportLocale("xx-YY") == .enUS)
        #expect(ReportLocale("vi-VN") == .viVN)
        #expect(ReportLocale.known == NumberStyle.known)
    }

    @Test func wordsAreThoseOfTheLocale() {
        let figures = DatasetFigures(name: "projects", rows: 1200, rowsUsed: 1000, rowsRejected: 2, sha256: "")
        #expect(ReportLocale.viVN.words.total == "Tổng cộng")
        #expect(ReportLocale.viVN.words.report == "Báo cáo")
        #expect(
            ReportLocale.viVN.words.datasetLine(figures, numbers: ReportLocale.viVN.numbers)
                == "Dữ liệu projects: 1.200 dòng, 1.000 dùng, 2 bị loại")
        #expect(
            ReportLocale.enUS.words.datasetLine(figures, numbers: ReportLocale.enUS.numbers)
                == "Dataset projects: 1,200 rows, 1,000 used, 2 rejected")
        #expect(ReportLocale.enUS.words.total == "Total")
    }

    @Test func aColumnOfWholeDecimalsLosesItsMeaninglessFraction() {
        let vi = ReportLocale.viVN.numbers
        // A median of integer money: 270500000 exactly.
        let whole = vi.forColumn([.decimal(270_500_000), .decimal(85_000_000), .null])
        #expect(whole.format(.decimal(270_500_000)) == "270.500.000")
        // One fraction in the column keeps every value at two places, aligned on the mark.
        let mixed = vi.forColumn([.decimal(270_500_000), .decimal(1.5)])
        #expect(mixed.format(.decimal(270_500_000)) == "270.500.000,00")
        #expect(mixed.format(.decimal(1.5)) == "1,50")
        // A unit divides first: 3.1 billion reads 3,10 tỷ đồng, 3 billion alone reads 3 tỷ đồng.
        #expect(vi.forColumn([.int(3_100_000_000)], unit: .billionVND).format(.int(3_100_000_000), unit: .billionVND) == "3,10 tỷ đồng")
        #expect(vi.forColumn([.int(3_000_000_000)], unit: .billionVND).format(.int(3_000_000_000), unit: .billionVND) == "3 tỷ đồng")
    }
}

@Suite struct LabelTests {
    private let schema = DatasetSchema(columns: [
        ColumnSpec(
            name: "district", type: .string, label: "Huyện/Thành phố",
            values: ValueLabels([.init(code: "TD", label: "Tam Đường"), .init(code: "TU", label: "Tân Uyên")]))
    ])

    @Test func resultColumnsCarryTheSchemaAndMetricLabels() throws {
        let result = try engine.execute(
            report(locale: nil, groupBy: "district", metricLabel: "Số đề án"), on: table(schema, ["TD", "TU", "X"]))
        #expect(result.columns.map(\.title) == ["Huyện/Thành phố", "Số đề án"])
        #expect(result.columns[0].valueLabel(for: .string("TU")) == "Tân Uyên")
        #expect(result.columns[0].valueLabel(for: .string("X")) == nil, "a code without a label shows itself")
        #expect(result.columns[1].valueLabel(for: .int(1)) == nil)
    }

    @Test func aColumnWithoutLabelIsTitledByItsName() throws {
        let plain = DatasetSchema(columns: [ColumnSpec(name: "district", type: .string)])
        let result = try engine.execute(report(locale: nil, groupBy: "district"), on: table(plain, ["A"]))
        #expect(result.columns.map(\.title) == ["district", "projects"])
        #expect(result.columns.allSatisfy { $0.label == nil && $0.values.isEmpty })
    }

    /// A string group key sorts in the report's locale, and by the label readers see when its code
    /// has one: TU (Tân Uyên) before TH (Than Uyên) in Vietnamese, though H < U in codes.
    @Test func groupsSortByTheirLabelsInTheReportsLocale() throws {
        let labelled = DatasetSchema(columns: [
            ColumnSpec(
                name: "district", type: .string,
                values: ValueLabels([
                    .init(code: "TH", label: "Than Uyên"), .init(code: "TU", label: "Tân Uyên"),
                    .init(code: "TD", label: "Tam Đường"),
                ]))
        ])
        let data = table(labelled, ["TH", "TU", "TD", "TU"])
        let vi = try engine.execute(report(locale: "vi-VN", groupBy: "district"), on: data)
        #expect(vi.rows.map { $0[0] } == [.string("TD"), .string("TU"), .string("TH")])
        // en-US: byte order of the labels ("Tam", "Than", "Tân": â is after every ASCII letter).
        let en = try engine.execute(report(locale: nil, groupBy: "district"), on: data)
        #expect(en.rows.map { $0[0] } == [.string("TD"), .string("TH"), .string("TU")])
        // Without labels, the codes themselves in Vietnamese order.
        let plain = DatasetSchema(columns: [ColumnSpec(name: "district", type: .string)])
        let names = try engine.execute(
            report(locale: "vi-VN", groupBy: "district"),
            on: table(plain, ["Than Uyên", "Tân Uyên", "Tam Đường", "Đà Bắc", "Dương Quỳ"]))
        #expect(
            names.rows.map { $0[0] }
                == ["Dương Quỳ", "Đà Bắc", "Tam Đường", "Tân Uyên", "Than Uyên"].map(Value.string))
    }

    /// Each string key's values are collated once and rows compare ranks: a descending string key
    /// with repeated values, a second key, and a null still sort as the comparison says.
    @Test func rankedCollationKeepsDirectionTiesAndNulls() {
        let districts = ["Than Uyên", "Tân Uyên", "Đà Bắc", "Tam Đường"]
        var rows: [[Value]] = []
        for (i, d) in (districts + districts).enumerated() { rows.append([.string(d), .int(Int64(10 - i))]) }
        rows.append([.null, .int(0)])
        let columns: [ReportResult.ResultColumn] = [
            .init(name: "district", role: .group, calc: nil, type: .string),
            .init(name: "n", role: .metric, calc: "n", type: .int),
        ]
        ReportEngine.sort(
            &rows, by: [SortKey(column: "district", descending: true), SortKey(column: "n", descending: false)],
            columns: columns, locale: .viVN)
        #expect(
            rows.map { $0[0] }
                == ["Than Uyên", "Than Uyên", "Tân Uyên", "Tân Uyên", "Tam Đường", "Tam Đường", "Đà Bắc", "Đà Bắc"]
                .map(Value.string) + [.null])
        #expect(rows.prefix(2).map { $0[1] } == [.int(6), .int(10)], "ties broken by the second key, ascending")
    }

    @Test func valueLabelsKeepFileOrderAndTheLastLabelOfACode() {
        var labels = ValueLabels([.init(code: "b", label: "B"), .init(code: "a", label: "A")])
        labels["b"] = "Bê"
        #expect(labels.entries.map(\.code) == ["b", "a"])
        #expect(labels["b"] == "Bê")
        labels["b"] = nil
        #expect(labels.entries.map(\.code) == ["a"] && labels["a"] == "A" && labels.count == 1)
    }

    @Test func columnsAPeriodAddsTakeTheirMetricsLabelWithThePeriodsWords() {
        let vi = ReportLocale.viVN
        #expect(vi.derivedLabel("Kinh phí", suffix: "same_period_last_year") == "Kinh phí – Cùng kỳ năm trước")
        #expect(
            vi.derivedLabel("Kinh phí", suffix: "vs_same_period_last_year_pct")
                == "Kinh phí – Tăng/giảm so với cùng kỳ (%)")
        #expect(vi.derivedLabel("Kinh phí", suffix: "year_to_date") == "Kinh phí – Lũy kế từ đầu năm")
        #expect(ReportLocale.enUS.derivedLabel("Support", suffix: "previous_period") == "Support – Previous period")
        #expect(vi.derivedLabel("Kinh phí", suffix: "other") == nil)
        var metric = MetricDefinition(name: "support", calc: "sum", parameters: MetricParameters())
        metric.label = "Kinh phí"
        let columns = ReportResult.labelled(
            [
                .init(name: "support", role: .metric, calc: "sum", type: .int),
                .init(name: "support_year_to_date", role: .metric, calc: "sum", type: .int),
            ], schema: nil, metrics: [metric], locale: vi)
        #expect(columns.map(\.title) == ["Kinh phí", "Kinh phí – Lũy kế từ đầu năm"])
    }
}
