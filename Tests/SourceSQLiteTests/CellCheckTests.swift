import Foundation
import ReportCalculators
import ReportCore
import SQLiteNIO
import SourceSQLite
import Testing

/// The snapshot's one-statement cell check (comparisons in SQL rather than typeof() where the
/// declared type allows it) and the C-level `nfc()`: each against what a plain read gives.
@Suite struct CellCheckTests {
    /// One cell: the column's declared type, the schema's type, whether required, the SQL value
    /// stored, and whether the check must find it clean (a clean cell reads as stored).
    struct Case: CustomStringConvertible, Sendable {
        var declared: String
        var type: ColumnType
        var required: Bool
        var value: String
        var clean: Bool
        var description: String { "\(declared) \(type)\(required ? " required" : "") \(value)" }
    }

    static let cases: [Case] = [
        // An INTEGER column: comparisons and `c & -1`.
        Case(declared: "INTEGER", type: .int, required: true, value: "5", clean: true),
        Case(declared: "INTEGER", type: .int, required: true, value: "-9223372036854775808", clean: true),
        Case(declared: "INTEGER", type: .int, required: true, value: "1.5", clean: false),
        Case(declared: "INTEGER", type: .int, required: true, value: "1e20", clean: false),
        Case(declared: "INTEGER", type: .int, required: true, value: "9223372036854775808.0", clean: false),
        Case(declared: "INTEGER", type: .int, required: true, value: "'abc'", clean: false),
        Case(declared: "INTEGER", type: .int, required: true, value: "x'00'", clean: false),
        Case(declared: "INTEGER", type: .int, required: true, value: "NULL", clean: false),
        Case(declared: "INTEGER", type: .int, required: false, value: "NULL", clean: true),
        Case(declared: "INTEGER", type: .int, required: false, value: "2.5", clean: false),
        // A column without a declared type keeps a real as a real: typeof() decides.
        Case(declared: "", type: .int, required: true, value: "7", clean: true),
        Case(declared: "", type: .int, required: true, value: "1.0", clean: false),
        Case(declared: "", type: .int, required: false, value: "NULL", clean: true),
        Case(declared: "", type: .int, required: false, value: "2.0", clean: false),
        Case(declared: "REAL", type: .decimal, required: true, value: "1.5", clean: true),
        Case(declared: "REAL", type: .decimal, required: true, value: "2", clean: true),
        Case(declared: "REAL", type: .decimal, required: true, value: "'x'", clean: false),
        Case(declared: "REAL", type: .decimal, required: true, value: "NULL", clean: false),
        Case(declared: "", type: .decimal, required: false, value: "x'01'", clean: false),
        Case(declared: "TEXT", type: .string, required: true, value: "'Mường Tè'", clean: true),
        Case(declared: "TEXT", type: .string, required: true, value: "5", clean: true),
        Case(declared: "TEXT", type: .string, required: true, value: "''", clean: false),
        Case(declared: "TEXT", type: .string, required: true, value: "NULL", clean: false),
        Case(declared: "TEXT", type: .string, required: true, value: "x'61'", clean: false),
        Case(declared: "TEXT", type: .string, required: false, value: "''", clean: true),
        Case(declared: "TEXT", type: .string, required: false, value: "NULL", clean: true),
        Case(declared: "", type: .string, required: false, value: "5", clean: false),
        Case(declared: "", type: .string, required: false, value: "x'61'", clean: false),
        Case(declared: "DATE", type: .date, required: true, value: "'2021-03-04'", clean: true),
        Case(declared: "DATE", type: .date, required: true, value: "'2021-02-30'", clean: false),
        Case(declared: "DATE", type: .date, required: true, value: "'2021-3-4'", clean: false),
        Case(declared: "DATE", type: .date, required: true, value: "20210304", clean: false),
        Case(declared: "DATE", type: .date, required: true, value: "NULL", clean: false),
        Case(declared: "DATE", type: .date, required: false, value: "NULL", clean: true),
        Case(declared: "BOOLEAN", type: .bool, required: true, value: "1", clean: true),
        Case(declared: "BOOLEAN", type: .bool, required: true, value: "2", clean: false),
        Case(declared: "BOOLEAN", type: .bool, required: false, value: "NULL", clean: true),
        Case(declared: "", type: .bool, required: false, value: "1.0", clean: false),
    ]

    func source(_ f: SQLiteFixture, _ c: Case) -> SQLiteDatasetSource {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: f.path, schemaPath: "",
            schema: DatasetSchema(columns: [
                ColumnSpec(name: "k", type: .int, required: true),
                ColumnSpec(name: "x", type: c.type, required: c.required),
            ]), onBadRows: .fail)
        s.table = "p"
        return SQLiteDatasetSource(s)
    }

    static let count = ReportDefinition(
        name: "r", title: "r", dataset: "db", schedule: try! Schedule.parse("0 7 * * *"), timezone: "UTC",
        metrics: [MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:]))])

    /// The report is pushed down exactly when every cell is clean; a clean table's read then gives
    /// every cell, and the snapshot's row count is the table's.
    @Test(arguments: cases)
    func theCheckFindsEachCellThatDoesNotReadAsStored(_ c: Case) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute([
            "CREATE TABLE p (k INTEGER, x \(c.declared))",
            "INSERT INTO p VALUES (1, \(c.value))", "INSERT INTO p VALUES (2, \(c.value))",
        ])
        let source = source(f, c)
        let pushed = try source.compute(Self.count)
        #expect((pushed != nil) == c.clean, "\(c)")
        if c.clean {
            // The row count a pushed report's read gives comes from the check's statement.
            let snapshot = try #require(try source.openSnapshot())
            defer { snapshot.close() }
            #expect(try snapshot.compute(Self.count, period: nil) != nil)
            #expect(try snapshot.read(columns: [], selection: .all).table.rowCount == 2)
            let read = try source.read(columns: nil, selection: .all, provenance: false)
            #expect(read.table.rowCount == 2)
            #expect(pushed?.rows == [[.int(2)]])
        }
    }

    /// Texts that the C `nfc()` returns as they are and texts it hands to Swift (decomposed marks,
    /// other scripts, a NUL, malformed UTF-8): grouped in SQLite, the groups and counts a read
    /// gives the engine.
    @Test func nfcInSQLiteGroupsAsTheReadNormalises() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        let texts = [
            "'Tân Uyên'", "'Ta\u{0302}n Uye\u{0302}n'", "'Mường Tè'", "'Mu\u{031B}\u{0300}o\u{031B}ng Te\u{0300}'",
            "'plain ascii'", "'café'", "'cafe\u{0301}'", "'\u{212B}ngström'", "'\u{00C5}ngström'", "'\u{2126}'",
            "'\u{03A9}'", "'\u{1100}\u{1161}'", "'\u{AC00}'", "'ﬁ'", "'Đ' || char(0) || 'x'", "'Đ'",
            "CAST(x'C3' AS TEXT)", "CAST(x'41C328' AS TEXT)", "CAST(x'E1B8' AS TEXT)", "CAST(x'E1BB' AS TEXT)",
            "'ỹ'", "'y\u{0303}\u{0309}'", "'\u{1EF9}'", "'ǅ'",
        ]
        var statements = ["CREATE TABLE p (k INTEGER, x TEXT)"]
        for (i, t) in texts.enumerated() {
            for copy in 0...(i % 3) { statements.append("INSERT INTO p VALUES (\(i * 10 + copy), \(t))") }
        }
        try await f.execute(statements)
        let c = Case(declared: "TEXT", type: .string, required: true, value: "", clean: true)
        let source = source(f, c)
        var report = Self.count
        report.groupBy = ["x"]
        report.sort = [SortKey(column: "x", descending: false)]
        let pushed = try #require(try source.compute(report), "pushed down")
        let table = try source.read(columns: nil, selection: .all, provenance: false).table
        let expected = try ReportEngine(calculators: BuiltinCalculators.registry).execute(report, on: table)
        #expect(pushed.rows == expected.rows)
        #expect(pushed.rows.count < texts.count)  // NFC and NFD spellings grouped
        // A filter on a decomposed spelling finds the precomposed one too.
        report.filter = try CompiledFilter.compile("x == 'Ta\u{0302}n Uye\u{0302}n'", schema: source.schema).get()
        let filtered = try #require(try source.compute(report))
        #expect(filtered.rows == [[.string("Tân Uyên"), .int(3)]])
    }
}
