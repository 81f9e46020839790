import Foundation
import ReportCore
import SourcePostgres
import Testing
import TestSupport

/// What the server ran, from its own log (`log_statement = 'all'`): the report grouped in the
/// database, and the filter's values bound, never in the statement text.
@Suite(.blocking, .serialized) struct StatementLogTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .int),
    ])

    @Test func theReportGroupsInTheDatabaseWithItsValuesBound() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let marker = "Mường-\(UUID().uuidString.prefix(6))"
        try fixture.sql(
            """
            CREATE TABLE p (district text, year integer, amount bigint);
            INSERT INTO p SELECT CASE WHEN g % 2 = 0 THEN '\(marker)' ELSE 'Sìn Hồ' END, 2020 + g % 3, g
              FROM generate_series(1, 100) g;
            """)
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "registry", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: [
                MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:])),
                MetricDefinition(name: "s", calc: "sum", parameters: MetricParameters(["column": .string("amount")])),
            ])
        r.filter = try CompiledFilter.compile("district != '\(marker)' and year >= 2021 and year != 20219", schema: Self.schema).get()
        r.groupBy = ["district", "year"]
        let before = fixture.cluster.log().utf8.count
        let result = try #require(try PostgresDatasetSource(fixture.settings(schema: Self.schema)).compute(r))
        #expect(result.rows.count == 2)
        let log = String(fixture.cluster.log().utf8.dropFirst(before))!
        // Statements are the LOG lines; DETAIL lines show the bound parameters apart from them.
        let statements = log.split(separator: "\n").filter { $0.contains("LOG:") && $0.contains(fixture.database) }
        let grouped = statements.filter { $0.contains("GROUP BY") }
        #expect(grouped.count == 1, "\(statements)")
        #expect(grouped.first?.contains("normalize(\"district\", NFC)") == true)
        #expect(grouped.first?.contains("$1") == true)
        #expect(!statements.isEmpty)
        for line in statements {
            #expect(!line.contains(marker), "\(line)")
            #expect(!line.contains("20219"), "\(line)")
        }
        #expect(log.contains(marker), "the value travels as a parameter (DETAIL)")
    }
}
