import Testing

@testable import ReportCore

/// `publish_when` and alerts' `when`: the filter language over a run's figures.
@Suite struct FiguresConditionTests {
    let metrics = ["projects", "support_vnd"]

    func condition(_ text: String) throws -> FiguresCondition {
        try FiguresCondition.compile(text, metrics: metrics).get()
    }

    @Test func readsRowsTotalsAndChanged() throws {
        let figures = RunFigures(
            rows: 8, rowsUsed: 120, totals: ["projects": .int(120), "support_vnd": .decimal(9.5e8)], changed: true)
        #expect(try condition("rows > 0 and changed").evaluate(figures) == true)
        #expect(try condition("totals.support_vnd < 1000000000").evaluate(figures) == true)
        #expect(try condition("totals.projects >= 121 or rows_used == 0").evaluate(figures) == false)
        #expect(try condition("not changed").evaluate(figures) == false)
        #expect(try condition("rows > 0").readsChanged == false)
        #expect(try condition("changed").readsChanged == true)
        #expect(try condition("totals.projects > 1").readsTotals == true)
    }

    @Test func unknownIsNeitherTrueNorFalse() throws {
        let figures = RunFigures(rows: 0, rowsUsed: 0, totals: [:], changed: nil)
        #expect(try condition("totals.support_vnd < 5").evaluate(figures) == nil)
        #expect(try condition("changed").evaluate(figures) == nil)
        #expect(try condition("rows == 0 or changed").evaluate(figures) == true)
        #expect(try condition("rows > 0 and changed").evaluate(figures) == false)
    }

    @Test func unknownNamesAreErrorsWithADidYouMean() {
        guard case .failure(let list) = FiguresCondition.compile("totals.suport_vnd > 1", metrics: metrics) else {
            Issue.record("compiled")
            return
        }
        #expect(list.errors.first?.message.contains("did you mean 'totals.support_vnd'") == true)
        #expect(list.errors.first?.offset == 0)
        guard case .failure(let typed) = FiguresCondition.compile("rows > 0 and changed == 'yes'", metrics: metrics) else {
            Issue.record("compiled")
            return
        }
        // At the literal that does not fit.
        #expect(typed.errors.first?.offset == 24)
    }

    @Test func messagesExpandTheirPlaceholders() {
        let figures = RunFigures(rows: 3, rowsUsed: 40, totals: ["support_vnd": .decimal(950000000)], changed: false)
        #expect(
            figures.expand("Kinh phí {period}: {totals.support_vnd} ({rows} nhóm, {rows_used} dòng) {other}", period: "11/2026")
                == "Kinh phí 11/2026: 950000000 (3 nhóm, 40 dòng) {other}")
    }

    @Test func aSplitValuesFilterAddsItsClause() throws {
        let schema = DatasetSchema(columns: [ColumnSpec(name: "district", type: .string), ColumnSpec(name: "n", type: .int)])
        var district = ColumnBuilder(spec: schema.columns[0])
        var n = ColumnBuilder(spec: schema.columns[1])
        for (d, v) in [("Mường Tè", 1), ("Sìn Hồ", 2), ("", 3), ("Mường Tè", 4)] as [(String, Int64)] {
            if d.isEmpty { district.appendNull() } else { district.append(.string(d)) }
            n.append(.int(v))
        }
        let table = Table(schema: schema, columns: [district.build(), n.build()])
        let filter = try CompiledFilter.compile("n > 1", schema: schema).get()
        #expect(filter.and(.equal(column: "district", value: .string("Mường Tè"))).matchingRows(in: table) == [3])
        #expect(CompiledFilter.nullOrBlank(column: "district", blanks: []).matchingRows(in: table) == [2])
        #expect(filter.and(.equal(column: "district", value: .string("it's"))).source == "(n > 1) and district == 'it\\'s'")
    }
}
