import Foundation
import ReportCore
import SourcePostgres
import Testing
import TestSupport

/// The reports of one run read one snapshot: a table written between them does not change
/// their figures, and the outputs name the source, the table and the snapshot time.
@Suite(.blocking, .serialized) struct SnapshotTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "amount", type: .int),
    ])

    func report(_ calc: String, column: String? = nil) throws -> ReportDefinition {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "registry", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: [
                MetricDefinition(
                    name: "m", calc: calc, parameters: MetricParameters(column.map { ["column": .string($0)] } ?? [:]))
            ])
        r.groupBy = ["district"]
        return r
    }

    @Test func threeReportsAgreeWhileTheTableIsWritten() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try fixture.sql(
            "CREATE TABLE p (district text, amount bigint); INSERT INTO p SELECT 'Sìn Hồ', g FROM generate_series(1, 10) g;")
        let source = PostgresDatasetSource(fixture.settings(schema: Self.schema))
        let snapshot = try #require(try source.openSnapshot())
        #expect(snapshot.provenance.source == "postgres" && snapshot.provenance.table == "p")
        let count = try #require(try snapshot.compute(report("count"), period: nil))
        try fixture.sql("INSERT INTO p SELECT 'Sìn Hồ', 100 FROM generate_series(1, 5)")
        let sum = try #require(try snapshot.compute(report("sum", column: "amount"), period: nil))
        let read = try snapshot.read(columns: ["amount"], selection: .all)
        snapshot.close()
        #expect(count.rows == [[.string("Sìn Hồ"), .int(10)]])
        #expect(sum.rows == [[.string("Sìn Hồ"), .int(55)]])
        #expect(read.table.rowCount == 10)
        #expect(read.provenance?.table == "p")
        // A run after it sees the new rows.
        let after = try #require(try source.compute(report("count")))
        #expect(after.rows == [[.string("Sìn Hồ"), .int(15)]])
    }
}
