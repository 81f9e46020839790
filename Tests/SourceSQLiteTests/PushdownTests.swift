import Foundation
import ReportCalculators
import ReportCore
import SQLiteNIO
import SourceSQLite
import Testing

/// The same rows computed by SQLite (pushdown) and by the engine from a read: equal results.
@Suite struct PushdownTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .int), ColumnSpec(name: "rate", type: .decimal),
        ColumnSpec(name: "start", type: .date), ColumnSpec(name: "done", type: .bool),
    ])

    /// Vietnamese names in NFC and NFD (they group together), empty and null texts, nulls in every
    /// column, amounts whose sum passes 2^53.
    func makeDatabase(_ f: SQLiteFixture, rows: Int = 400) async throws {
        let names = [
            "Tân Uyên", "Ta\u{0302}n Uye\u{0302}n", "Sìn Hồ", "Si\u{0300}n Ho\u{0302}\u{0300}", "Phong Thổ", "",
            "Mường Tè",
        ]
        var statements = [
            "CREATE TABLE p (district TEXT, year INTEGER, amount INTEGER, rate REAL, start DATE, done BOOLEAN)"
        ]
        var binds: [[SQLiteData]] = [[]]
        for i in 0..<rows {
            statements.append("INSERT INTO p VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            let name: SQLiteData = i % 11 == 3 ? .null : .text(names[(i * 7) % names.count])
            let year: SQLiteData = i % 13 == 5 ? .null : .integer(2020 + i % 6)
            let amount: SQLiteData = i % 17 == 2 ? .null : .integer(SQLiteInt64(3_000_000_000_000_007 + i * 1_000_003))
            let rate: SQLiteData = i % 5 == 1 ? .null : .float(Double(i % 9) * 0.1 + 0.05)
            let start: SQLiteData =
                i % 7 == 6 ? .null : .text(String(format: "20%02d-%02d-%02d", 20 + i % 5, 1 + i % 12, 1 + i % 28))
            let done: SQLiteData = i % 19 == 4 ? .null : .integer(SQLiteInt64(i % 2))
            binds.append([name, year, amount, rate, start, done])
        }
        try await f.execute(statements, binds: binds)
    }

    func report(
        filter: String?, groupBy: [String], metrics: [(String, String, String?)], sort: [SortKey] = [],
        limit: Int? = nil, totals: Bool = true
    ) throws -> ReportDefinition {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "db", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: metrics.map { name, calc, column in
                MetricDefinition(
                    name: name, calc: calc, parameters: MetricParameters(column.map { ["column": .string($0)] } ?? [:]))
            })
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: Self.schema).get() }
        r.groupBy = groupBy
        r.sort = sort
        r.limit = limit
        r.totals = totals
        return r
    }

    var settings: (String) -> DatasetConfig = { path in
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: path, schemaPath: "", schema: PushdownTests.schema, onBadRows: .fail)
        s.table = "p"
        return s
    }

    static let allMetrics: [(String, String, String?)] = [
        ("n", "count", nil), ("s", "sum", "amount"), ("m", "mean", "year"), ("lo", "min", "district"),
        ("hi", "max", "start"), ("r", "max", "rate"), ("d", "count_distinct", "district"),
        ("b", "count_distinct", "done"),
    ]

    static let filters: [String?] = [
        nil, "year == 2021", "year != 2021", "year < 2022", "year <= 2022", "year > 2021", "year >= 2023",
        "district == 'Tân Uyên'", "district != 'Sìn Hồ'", "district < 'Sìn Hồ'", "district in ['Tân Uyên', 'Mường Tè']",
        "not (done and year >= 2022)", "done == false or rate > 0.5", "start >= '2022-06-01' and start < '2023-01-01'",
        "year in [2021, 2022.5, 2024]", "rate <= year", "year == 2021.5", "year >= 2021.5",
        // An empty list is unknown for a null cell, so its negation keeps no null cell either.
        "not year in []", "not district in []",
    ]

    @Test(arguments: filters)
    func theDatabaseGivesTheEnginesFigures(filter: String?) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f)
        let source = SQLiteDatasetSource(settings(f.path))
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        let table = try source.read(columns: nil, selection: .all, provenance: false).table
        for (groupBy, sort, limit) in [
            ([], [], nil), (["district"], [], nil),
            (["district", "done"], [SortKey(column: "n", descending: true)], 5),
            (["year"], [SortKey(column: "s", descending: false)], nil),
        ] as [([String], [SortKey], Int?)] {
            let definition = try report(
                filter: filter, groupBy: groupBy, metrics: Self.allMetrics, sort: sort, limit: limit)
            let pushed = try #require(try source.compute(definition), "pushed down")
            let expected = try engine.execute(definition, on: table)
            #expect(pushed.rows == expected.rows, "\(filter ?? "-") \(groupBy)")
            #expect(pushed.totals == expected.totals)
            #expect(pushed.rowsUsed == expected.rowsUsed)
            #expect(pushed.columns == expected.columns)
        }
    }

    @Test func whatSQLiteCannotComputeFallsBackToTheEngine() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f, rows: 20)
        let source = SQLiteDatasetSource(settings(f.path))
        for calc in ["median", "stddev"] {
            #expect(try source.compute(report(filter: nil, groupBy: [], metrics: [("x", calc, "amount")])) == nil)
        }
        // A decimal sum, mean or share: the engine's sum is exact in decimal, SQLite's is not.
        for calc in ["sum", "mean", "share"] {
            #expect(try source.compute(report(filter: nil, groupBy: [], metrics: [("x", calc, "rate")])) == nil)
        }
    }

    @Test func aViewWithASortFallsBackForWantOfARowid() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f, rows: 20)
        try await f.execute(["CREATE VIEW v AS SELECT * FROM p"])
        var s = settings(f.path)
        s.table = "v"
        let source = SQLiteDatasetSource(s)
        let sorted = try report(
            filter: nil, groupBy: ["year"], metrics: [("n", "count", nil)], sort: [SortKey(column: "n", descending: true)])
        #expect(try source.compute(sorted) == nil)
        #expect(try source.compute(report(filter: nil, groupBy: ["year"], metrics: [("n", "count", nil)])) != nil)
    }

    @Test func anOverflowingSumFallsBackSoTheEngineGivesItsError() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f, rows: 4000)
        let source = SQLiteDatasetSource(settings(f.path))
        #expect(try source.compute(report(filter: nil, groupBy: [], metrics: [("x", "sum", "amount")])) == nil)
        #expect(
            try source.compute(report(filter: "year == 2021", groupBy: ["year"], metrics: [("x", "sum", "amount")]))
                != nil)
    }

    @Test func aCellTheReadRefusesFallsBackSoTheReadGivesItsError() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f, rows: 20)
        try await f.execute(["INSERT INTO p VALUES ('x', 'n/a', 1, 1, NULL, 0)"])
        let source = SQLiteDatasetSource(settings(f.path))
        #expect(try source.compute(report(filter: nil, groupBy: [], metrics: [("n", "count", nil)])) == nil)
    }
}

/// share, ratio, growth and period reports: SQLite's figures are the engine's.
@Suite struct DerivedPushdownTests {
    static let derived: [MetricDefinition] = [
        MetricDefinition(name: "sh", calc: "share", parameters: MetricParameters(["column": .string("amount")])),
        MetricDefinition(
            name: "ra", calc: "ratio",
            parameters: MetricParameters(["numerator": .string("amount"), "denominator": .string("year")])),
        MetricDefinition(
            name: "g", calc: "growth",
            parameters: MetricParameters(["column": .string("amount"), "period": .string("year")])),
        MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:])),
        MetricDefinition(name: "s", calc: "sum", parameters: MetricParameters(["column": .string("amount")])),
        MetricDefinition(name: "d", calc: "count_distinct", parameters: MetricParameters(["column": .string("district")])),
        MetricDefinition(name: "hi", calc: "max", parameters: MetricParameters(["column": .string("start")])),
    ]

    func report(filter: String?, groupBy: [String], sort: [SortKey], limit: Int?, metrics: [MetricDefinition]) throws
        -> ReportDefinition
    {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "db", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: metrics)
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: PushdownTests.schema).get() }
        r.groupBy = groupBy
        r.sort = sort
        r.limit = limit
        r.totals = true
        return r
    }

    /// Every part of two results alike: columns, rows, totals, rows used, period, rows outside it.
    func same(_ a: ReportResult, _ b: ReportResult) -> Bool {
        a.columns == b.columns && a.rows == b.rows && a.totals == b.totals && a.rowsUsed == b.rowsUsed
            && a.period == b.period && a.rowsOutsidePeriod == b.rowsOutsidePeriod
    }

    static let shapes: [([String], [SortKey], Int?)] = [
        ([], [], nil), (["year"], [], nil), (["district", "year"], [SortKey(column: "sh", descending: true)], 6),
        (["year", "done"], [SortKey(column: "g", descending: false)], nil),
    ]

    @Test(arguments: Array(PushdownTests.filters.prefix(8)))
    func shareRatioAndGrowthFromTheGroupedSums(filter: String?) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f)
        let source = SQLiteDatasetSource(PushdownTests().settings(f.path))
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        let table = try source.read(columns: nil, selection: .all, provenance: false).table
        for (groupBy, sort, limit) in Self.shapes {
            // growth needs its period among the group columns.
            let metrics = Self.derived.filter { $0.calc != "growth" || groupBy.contains("year") }
            let sort = sort.filter { key in metrics.contains { $0.name == key.column } }
            let definition = try report(filter: filter, groupBy: groupBy, sort: sort, limit: limit, metrics: metrics)
            let pushed = try #require(try source.compute(definition), "pushed down")
            let expected = try engine.execute(definition, on: table)
            #expect(same(pushed, expected), "\(filter ?? "-") \(groupBy)")
        }
    }

    /// A month with both comparisons and the year to date, each range computed by SQLite, for
    /// slots around the data's dates (and one with no row in its month).
    @Test(arguments: ["2022-07-03", "2023-01-15", "2024-12-31", "2030-05-01"])
    func periodReportsWithComparisons(slot: String) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f)
        let source = SQLiteDatasetSource(PushdownTests().settings(f.path))
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        let table = try source.read(columns: nil, selection: .all, provenance: false).table
        var rule = PeriodRule(every: .month, dateColumn: "start")
        rule.compare = [.previousPeriod, .samePeriodLastYear]
        rule.cumulative = .yearToDate
        let period = rule.runPeriod(slotDay: Day(iso: slot)!)
        let snapshot = try #require(try source.openSnapshot() as (any DatasetSnapshot)?)
        defer { snapshot.close() }
        for filter in [nil, "district != 'Sìn Hồ'", "year >= 2022 or done"] as [String?] {
            for (groupBy, sort, limit) in Self.shapes {
                let metrics = Self.derived.filter { $0.calc != "growth" || groupBy.contains("year") }
                let sort = sort.filter { key in metrics.contains { $0.name == key.column } }
                var definition = try report(
                    filter: filter, groupBy: groupBy, sort: sort, limit: limit, metrics: metrics)
                definition.period = rule
                let pushed = try #require(try snapshot.compute(definition, period: period), "pushed down")
                let expected = try engine.execute(definition, on: table, period: period)
                #expect(same(pushed, expected), "\(slot) \(filter ?? "-") \(groupBy)")
                #expect(pushed.rowsOutsidePeriod == expected.rowsOutsidePeriod)
                // The engine over a read of the report's own rows gives the same too.
                let read = try snapshot.read(
                    columns: nil, selection: .of(definition, period: period))
                var fromRead = try engine.execute(definition, on: read.table, period: period)
                fromRead.rowsOutsidePeriod = read.selected?.rowsWithoutDate
                #expect(same(fromRead, expected), "read \(slot) \(filter ?? "-") \(groupBy)")
            }
        }
    }
}
