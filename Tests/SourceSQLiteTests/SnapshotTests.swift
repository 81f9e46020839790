import Foundation
import ReportCalculators
import ReportCore
import ReportSQL
import SQLiteNIO
import SourceSQLite
import Testing

/// One run's reports read one snapshot of an SQLite dataset; reads select only what a report needs.
@Suite struct SnapshotTests {
    static let schema = PushdownTests.schema

    func settings(_ path: String) -> DatasetConfig {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: path, schemaPath: "", schema: Self.schema, onBadRows: .fail)
        s.table = "p"
        return s
    }

    /// The source's snapshot (a database source always has one).
    func open(_ source: any DatasetSource) throws -> any DatasetSnapshot {
        try #require(try source.openSnapshot())
    }

    func row(_ i: Int) -> String {
        "INSERT INTO p VALUES ('Sìn Hồ', \(2020 + i % 4), \(1000 + i), 0.5, '2026-\(i % 2 == 0 ? "10" : "11")-0\(1 + i % 9)', 1)"
    }

    func report(_ name: String, _ metrics: [(String, String, String?)], period: PeriodRule? = nil) -> ReportDefinition {
        var r = ReportDefinition(
            name: name, title: name, dataset: "db", schedule: try! Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: metrics.map { n, calc, column in
                MetricDefinition(
                    name: n, calc: calc, parameters: MetricParameters(column.map { ["column": .string($0)] } ?? [:]))
            })
        r.period = period
        r.totals = true
        return r
    }

    /// Three reports of one run (pushed down, read for the engine, a period report) with a writer
    /// committing new rows between each: in WAL mode all three see the rows as they were when the
    /// snapshot was opened. Without the snapshot (each report on its own transaction, as before),
    /// the three disagree: the last part of the test shows it on the same steps.
    @Test(arguments: [true, false])
    func threeReportsOfOneRunAgreeWhileTheTableIsWritten(shared: Bool) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute(
            ["PRAGMA journal_mode=WAL", "CREATE TABLE p (district TEXT, year INTEGER, amount INTEGER, rate REAL, start DATE, done BOOLEAN)"]
                + (0..<50).map(row))
        let source = SQLiteDatasetSource(settings(f.path))
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        var rule = PeriodRule(every: .month, dateColumn: "start")
        rule.compare = [.previousPeriod]
        let period = rule.runPeriod(slotDay: Day(iso: "2026-12-03")!)
        let counted = report("counted", [("n", "count", nil), ("s", "sum", "amount")])
        let median = report("median", [("n", "count", nil), ("m", "median", "amount")])
        let monthly = report("monthly", [("n", "count", nil), ("s", "sum", "amount")], period: rule)

        let snapshot = shared ? try open(source) : nil
        defer { snapshot?.close() }
        func compute(_ r: ReportDefinition, _ p: RunPeriod?) throws -> ReportResult {
            if let snapshot, let pushed = try snapshot.compute(r, period: p) { return pushed }
            if snapshot == nil, p == nil, let pushed = try source.compute(r) { return pushed }
            let table = try snapshot?.read(columns: nil, selection: .all).table
                ?? source.read(columns: nil, selection: .all, provenance: false).table
            return try p.map { try engine.execute(r, on: table, period: $0) } ?? engine.execute(r, on: table)
        }
        let first = try compute(counted, nil)
        try await f.execute((50..<60).map(row))
        let second = try compute(median, nil)
        try await f.execute((60..<75).map(row))
        let third = try compute(monthly, period)
        let n = { (r: ReportResult) in r.totals?[0] }
        if shared {
            #expect(n(first) == .int(50))
            #expect(n(second) == .int(50))
            // November's rows and October's (the compared month) of the first 50 rows.
            #expect(third.rowsUsed == 25)
            #expect(third.totals?[1] == .int(25))
        } else {
            #expect(n(first) == .int(50))
            #expect(n(second) == .int(60))
            #expect(third.rowsUsed != 25)
        }
    }

    /// The snapshot's provenance names the source, the table and the snapshot time.
    @Test func theSnapshotNamesItsSourceTableAndTime() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute(["CREATE TABLE p (district TEXT, year INTEGER, amount INTEGER, rate REAL, start DATE, done BOOLEAN)", row(1)])
        let before = Date()
        let snapshot = try open(SQLiteDatasetSource(settings(f.path)))
        defer { snapshot.close() }
        #expect(snapshot.provenance.source == "sqlite")
        #expect(snapshot.provenance.table == "p")
        #expect(snapshot.provenance.query == nil)
        #expect(snapshot.provenance.snapshotTime >= before.addingTimeInterval(-1))
        #expect(snapshot.provenance.snapshotISO8601.hasSuffix("Z"))
        let read = try snapshot.read(columns: ["amount"], selection: .all)
        #expect(read.provenance == snapshot.provenance)
        #expect(read.sha256 == "")
    }

    /// A read for the engine selects only the columns asked for, and the filter's values and the
    /// period's dates are bound parameters, never in the statement's text; the rows are the ones
    /// the engine would keep, and the whole table's figures come with them.
    @Test func aSelectedReadSelectsTheColumnsAndBindsTheValues() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f, rows: 400)
        let source = SQLiteDatasetSource(settings(f.path))
        let filter = try CompiledFilter.compile("district == 'Tân Uyên' or year == 2023", schema: Self.schema).get()
        let ranges = [
            DateRange(start: Day(iso: "2022-03-01")!, end: Day(iso: "2022-03-31")!),
            DateRange(start: Day(iso: "2023-03-01")!, end: Day(iso: "2023-03-31")!),
        ]
        let selection = RowSelection(filter: filter.tree, dateColumn: "start", ranges: ranges)
        let snapshot = try open(source)
        defer { snapshot.close() }
        let read = try snapshot.read(columns: ["amount", "start"], selection: selection)
        let statement = try #require(SQLiteDatasetSource.readStatements(path: f.path).last)
        #expect(statement.text.hasPrefix("SELECT rowid, \"amount\", \"start\" FROM \"p\" WHERE "))
        for value in ["Tân", "2023", "2022-03", "2023-03-31"] {
            #expect(!statement.text.contains(value), "\(value) in \(statement.text)")
        }
        #expect(statement.parameters.contains(.string("Tân Uyên")))
        #expect(statement.parameters.contains(.int(2023)))
        #expect(statement.parameters.contains(.date(Day(iso: "2023-03-31")!)))
        // The same rows as the engine keeps from the whole table.
        let all = try source.read(columns: nil, selection: .all, provenance: false).table
        let kept = filter.matchingRows(in: all).filter { r in
            guard let column = all.column("start"), column.valid[r], case .date(let d) = column.value(at: r) else {
                return false
            }
            return ranges.contains { d >= $0.start && d <= $0.end }
        }
        #expect(read.table.rowCount == kept.count)
        #expect(read.table.rowCount > 0)
        #expect(read.table.schema.columns.map(\.name) == ["amount", "start"])
        #expect(read.selected?.sourceRows == 400)
        let nullDates = (0..<all.rowCount).filter { !all.column("start")!.valid[$0] }.count
        #expect(read.selected?.rowsWithoutDate == nullDates)
    }

    /// A read of more rows than a batch gives every row, in the table's order.
    @Test func aReadInBatchesKeepsEveryRowInOrder() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        let rows = 40_000
        try await f.execute(
            ["CREATE TABLE p (district TEXT, year INTEGER, amount INTEGER, rate REAL, start DATE, done BOOLEAN)",
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows)) INSERT INTO p SELECT 'x', 2020, i, 0.5, '2026-01-01', 0 FROM n"])
        let source = SQLiteDatasetSource(settings(f.path))
        let read = try source.read(columns: ["amount"], selection: .all, provenance: false)
        #expect(read.table.rowCount == rows)
        guard case .int(let values) = read.table.column("amount")?.storage else {
            Issue.record("not an int column")
            return
        }
        #expect(Array(values) == (1...rows).map(Int64.init))
    }
}
