import Foundation
import ReportCalculators
import ReportCore
import SourcePostgres
import Testing
import TestSupport

/// A report with a filter or a period states the whole table's row count: on a large table it is
/// counted on a second connection that imports the run's snapshot (`pg_export_snapshot()`, `SET
/// TRANSACTION SNAPSHOT`), at the same time as the report's statement. The figures are the CSV
/// engine's on the same rows, and rows written during the run are not counted.
@Suite(.blocking, .serialized) struct SideCountTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .int), ColumnSpec(name: "start", type: .date),
    ])

    /// 200,000 rows, about 15 MB on disk (over `PostgresSideCount.minimumBytes`): null and empty
    /// districts, null years (a filter on the year is unknown there, so the row is not selected),
    /// null dates.
    static let table = """
        CREATE TABLE p (district text, year integer, amount bigint, start date, pad text);
        INSERT INTO p SELECT
            CASE WHEN g % 13 = 0 THEN NULL WHEN g % 17 = 0 THEN '' WHEN g % 2 = 0 THEN 'Sìn Hồ' ELSE 'Tân Uyên' END,
            CASE WHEN g % 7 = 0 THEN NULL ELSE 2018 + g % 6 END, g,
            CASE WHEN g % 11 = 0 THEN NULL ELSE DATE '2020-01-01' + g % 1500 END, repeat('x', 20)
          FROM generate_series(1, 200000) g;
        """

    func report(filter: String?) throws -> ReportDefinition {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "registry", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:])),
                MetricDefinition(name: "s", calc: "sum", parameters: MetricParameters(["column": .string("amount")])),
            ])
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: Self.schema).get() }
        r.groupBy = ["district"]
        r.totals = true
        return r
    }

    /// The table's rows as the CSV engine reads them (exported before anything else is written).
    func csvTable(_ fixture: PostgresFixture) throws -> Table {
        let path = fixture.folder + "/p.csv"
        try fixture.sql("\\copy (SELECT district, year, amount, start FROM p) TO '\(path)' WITH (FORMAT csv, HEADER true)")
        let settings = DatasetConfig(
            name: "registry", format: "csv", path: path, schemaPath: "", schema: Self.schema, onBadRows: .fail)
        return try TestDatasets.load(settings).table
    }

    /// The server log's statement lines of `database` after `offset`, as (backend pid, text).
    static func statements(_ log: String, after offset: Int, database: String) -> [(pid: String, text: String)] {
        String(log.utf8.dropFirst(offset))!.split(separator: "\n").compactMap { line in
            guard line.contains("@\(database) "), line.contains("LOG:"), let open = line.firstIndex(of: "["),
                let close = line[open...].firstIndex(of: "]")
            else { return nil }
            return (String(line[line.index(after: open)..<close]), String(line))
        }
    }

    @Test func aFilteredReportCountsTheTableOnASecondConnectionInTheSameSnapshot() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try fixture.sql(Self.table)
        let csv = try csvTable(fixture)
        let source = PostgresDatasetSource(fixture.settings(schema: Self.schema))
        let before = fixture.cluster.log().utf8.count
        let snapshot = try #require(try source.openSnapshot())
        // Written and committed after the snapshot was taken: neither the report nor the count sees it.
        try fixture.sql("INSERT INTO p (district, year, amount) SELECT 'Sìn Hồ', 2024, 5 FROM generate_series(1, 1000)")
        let definition = try report(filter: "year >= 2021 and district != 'Tân Uyên'")
        let pushed = try #require(try snapshot.compute(definition, period: nil))
        let rows = try snapshot.read(columns: [], selection: .all).table.rowCount
        snapshot.close()
        let expected = try ReportEngine(calculators: BuiltinCalculators.registry).execute(definition, on: csv)
        #expect(pushed.rows == expected.rows)
        #expect(pushed.totals == expected.totals)
        #expect(pushed.rowsUsed == expected.rowsUsed)
        #expect(rows == csv.rowCount)
        #expect(rows == 200_000)

        let statements = Self.statements(fixture.cluster.log(), after: before, database: fixture.database)
        let grouped = try #require(statements.first { $0.text.contains("GROUP BY") })
        let exported = statements.filter { $0.text.contains("pg_export_snapshot()") }
        let imported = try #require(statements.first { $0.text.contains("SET TRANSACTION SNAPSHOT") })
        let count = try #require(statements.first { $0.text.hasSuffix("SELECT COUNT(*)::text FROM \"p\"") })
        #expect(exported.count == 1 && exported.first?.pid == grouped.pid, "\(statements.map(\.text))")
        // The count ran on the other connection, inside the imported snapshot.
        #expect(count.pid == imported.pid && count.pid != grouped.pid, "\(statements.map(\.text))")
        // Only once: the snapshot's own connection did not count again.
        #expect(statements.filter { $0.text.contains("SELECT COUNT(*)::text FROM \"p\"") }.count == 1)
    }

    @Test func aPeriodReportCountsTheRowsWithoutADateOnTheSecondConnection() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try fixture.sql(Self.table)
        let csv = try csvTable(fixture)
        let source = PostgresDatasetSource(fixture.settings(schema: Self.schema))
        var rule = PeriodRule(every: .month, dateColumn: "start")
        rule.compare = [.previousPeriod]
        let period = rule.runPeriod(slotDay: Day(iso: "2022-07-03")!)
        var definition = try report(filter: "year != 2019")
        definition.period = rule
        let before = fixture.cluster.log().utf8.count
        let snapshot = try #require(try source.openSnapshot())
        try fixture.sql("INSERT INTO p (district, year, amount) SELECT 'Sìn Hồ', 2024, 5 FROM generate_series(1, 1000)")
        let pushed = try #require(try snapshot.compute(definition, period: period))
        let rows = try snapshot.read(columns: [], selection: .all).table.rowCount
        snapshot.close()
        let expected = try ReportEngine(calculators: BuiltinCalculators.registry).execute(
            definition, on: csv, period: period)
        #expect(pushed.rows == expected.rows)
        #expect(pushed.rowsUsed == expected.rowsUsed)
        #expect(pushed.rowsOutsidePeriod == expected.rowsOutsidePeriod)
        #expect(pushed.rowsOutsidePeriod == 200_000 / 11)
        #expect(rows == 200_000)
        let statements = Self.statements(fixture.cluster.log(), after: before, database: fixture.database)
        let imported = try #require(statements.first { $0.text.contains("SET TRANSACTION SNAPSHOT") })
        let counts = statements.filter { $0.text.contains("COUNT(*) FILTER (WHERE \"start\" IS NULL)") }
        #expect(counts.count == 1 && counts.first?.pid == imported.pid, "\(statements.map(\.text))")
        #expect(!statements.contains { $0.text.contains("WHERE \"start\" IS NULL") && !$0.text.contains("FILTER") })
    }

    /// The second connection refused (a role allowed one connection): the count falls back to the
    /// snapshot's own connection, with the same figures, and the report does not fail.
    @Test func aRefusedSecondConnectionLeavesTheCountToTheSnapshotsConnection() throws {
        let fixture = try PostgresFixture()
        let role = "one_\(fixture.database)"
        defer {
            _ = try? fixture.cluster.psql("DROP OWNED BY \(role) CASCADE", database: fixture.database)
            _ = try? fixture.cluster.psql("DROP ROLE IF EXISTS \(role)")
            fixture.remove()
        }
        try fixture.sql(Self.table)
        try fixture.sql("CREATE ROLE \(role) LOGIN CONNECTION LIMIT 1; GRANT SELECT ON p TO \(role)")
        let csv = try csvTable(fixture)
        let source = PostgresDatasetSource(fixture.settings(schema: Self.schema, url: fixture.url(user: role)))
        let before = fixture.cluster.log().utf8.count
        let snapshot = try #require(try source.openSnapshot())
        let definition = try report(filter: "year >= 2021 and district != 'Tân Uyên'")
        let pushed = try #require(try snapshot.compute(definition, period: nil))
        let rows = try snapshot.read(columns: [], selection: .all).table.rowCount
        snapshot.close()
        let expected = try ReportEngine(calculators: BuiltinCalculators.registry).execute(definition, on: csv)
        #expect(pushed.rows == expected.rows)
        #expect(pushed.rowsUsed == expected.rowsUsed)
        #expect(rows == 200_000)
        let log = String(fixture.cluster.log().utf8.dropFirst(before))!
        // The second connection was tried and refused, and the count ran where the report did.
        #expect(log.contains("too many connections for role"), "\(log.suffix(2000))")
        let statements = Self.statements(fixture.cluster.log(), after: before, database: fixture.database)
        let grouped = try #require(statements.first { $0.text.contains("GROUP BY") })
        let count = try #require(statements.first { $0.text.hasSuffix("SELECT COUNT(*)::text FROM \"p\"") })
        #expect(count.pid == grouped.pid, "\(statements.map(\.text))")
        #expect(!statements.contains { $0.text.contains("SET TRANSACTION SNAPSHOT") })
    }

    /// A small table is counted on the snapshot's own connection: no snapshot exported.
    @Test func aSmallTableIsCountedOnTheSnapshotsConnection() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try fixture.sql(
            "CREATE TABLE p (district text, year integer, amount bigint, start date); "
                + "INSERT INTO p SELECT 'Sìn Hồ', 2018 + g % 6, g, NULL FROM generate_series(1, 100) g;")
        let source = PostgresDatasetSource(fixture.settings(schema: Self.schema))
        let before = fixture.cluster.log().utf8.count
        let snapshot = try #require(try source.openSnapshot())
        _ = try #require(try snapshot.compute(report(filter: "year >= 2021"), period: nil))
        #expect(try snapshot.read(columns: [], selection: .all).table.rowCount == 100)
        snapshot.close()
        let statements = Self.statements(fixture.cluster.log(), after: before, database: fixture.database)
        #expect(!statements.contains { $0.text.contains("SET TRANSACTION SNAPSHOT") })
        #expect(Set(statements.map(\.pid)).count == 1)
    }
}
