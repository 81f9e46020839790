import Foundation
import ReportCore
import SQLiteNIO
import SourceSQLite
import Testing

@Suite struct SQLiteDatasetSourceTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string, required: true), ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .decimal), ColumnSpec(name: "start", type: .date),
        ColumnSpec(name: "done", type: .bool),
    ])

    func settings(_ path: String, table: String? = "p", query: String? = nil, schema: DatasetSchema = schema)
        -> DatasetConfig
    {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: path, schemaPath: "", schema: schema, onBadRows: .fail)
        s.table = table
        s.query = query
        return s
    }

    func makeTable(_ f: SQLiteFixture) async throws {
        try await f.execute(
            [
                "CREATE TABLE p (district TEXT NOT NULL, year INTEGER, amount REAL, start DATE, done BOOLEAN)",
                "INSERT INTO p VALUES (?1, 2021, 1.5, '2021-03-22', 1)",
                "INSERT INTO p VALUES ('Tân Uyên', NULL, NULL, NULL, 0)",
            ], binds: [[], [.text("Ta\u{0302}n Uye\u{0302}n")]])
    }

    @Test func readsTypedRowsInNFC() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeTable(f)
        let loaded = try SQLiteDatasetSource(settings(f.path)).read(columns: nil, selection: .all, provenance: false)
        #expect(loaded.table.rowCount == 2)
        let district = loaded.table.column("district")!
        #expect(district.value(at: 0) == .string("Tân Uyên"))
        #expect(district.value(at: 0) == district.value(at: 1))
        #expect(loaded.table.column("year")!.value(at: 1) == .null)
        #expect(loaded.table.column("start")!.value(at: 0) == .date(Day(year: 2021, month: 3, day: 22)!))
        #expect(loaded.table.column("done")!.value(at: 0) == .bool(true))
        let some = try SQLiteDatasetSource(settings(f.path)).read(columns: ["year"], selection: .all, provenance: false)
        #expect(some.table.columns.map(\.name) == ["year"])
    }

    @Test func theSchemaComesFromTheDeclaredTypes() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeTable(f)
        let schema = try SQLiteDatasetSource(settings(f.path)).databaseSchema()
        #expect(schema.columns.map(\.type) == [.string, .int, .decimal, .date, .bool])
        let query = try SQLiteDatasetSource(settings(f.path, table: nil, query: "SELECT year, district FROM p"))
            .databaseSchema()
        #expect(query.columns.map(\.name) == ["year", "district"])
        #expect(query.columns.map(\.type) == [.int, .string])
    }

    @Test func theVersionChangesWhenTheDatabaseIsWritten() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeTable(f)
        let source = SQLiteDatasetSource(settings(f.path))
        let before = try #require(source.version())
        try await f.execute(["INSERT INTO p VALUES ('Sìn Hồ', 2022, 2, '2022-01-01', 0)"])
        #expect(source.version() != before)
    }

    func failure(_ source: SQLiteDatasetSource) -> String {
        do {
            _ = try source.read(columns: nil, selection: .all, provenance: false)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func failuresNameTheDatasetAndTheCause() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        #expect(
            failure(SQLiteDatasetSource(settings(f.path))).hasSuffix(
                "error: dataset 'db': cannot open the database: No such file or directory"))
        #expect(!FileManager.default.fileExists(atPath: f.path), "a read never creates the file")
        // A named pipe is refused at once (SQLite would wait for a writer for ever), a folder too.
        #expect(mkfifo(f.path, 0o600) == 0)
        #expect(
            failure(SQLiteDatasetSource(settings(f.path))).hasSuffix(
                "dataset 'db': cannot open the database: it is a named pipe, not a database file"))
        try FileManager.default.removeItem(atPath: f.path)
        try FileManager.default.createDirectory(atPath: f.path, withIntermediateDirectories: false)
        #expect(
            failure(SQLiteDatasetSource(settings(f.path))).hasSuffix(
                "dataset 'db': cannot open the database: it is a folder, not a database file"))
        try FileManager.default.removeItem(atPath: f.path)
        try "district,year\n".write(toFile: f.path, atomically: true, encoding: .utf8)
        #expect(failure(SQLiteDatasetSource(settings(f.path))).contains("dataset 'db': file is not a database"))
        try FileManager.default.removeItem(atPath: f.path)
        try await makeTable(f)
        #expect(
            failure(SQLiteDatasetSource(settings(f.path, table: "q"))).contains(
                "dataset 'db': no table or view 'q' in the database"))
        let extra = DatasetSchema(columns: Self.schema.columns + [ColumnSpec(name: "craft", type: .string)])
        #expect(
            failure(SQLiteDatasetSource(settings(f.path, schema: extra))).contains(
                "dataset 'db': column 'craft' is not in table 'p'"))
        let wrong = DatasetSchema(columns: [ColumnSpec(name: "district", type: .int)])
        #expect(
            failure(SQLiteDatasetSource(settings(f.path, schema: wrong))).contains(
                "dataset 'db': column 'district' is TEXT in the database, but int in the schema"))
        try await f.execute(["INSERT INTO p VALUES ('Sìn Hồ', 'n/a', 2, '2022-01-01', 0)"])
        #expect(
            failure(SQLiteDatasetSource(settings(f.path))).contains(
                "dataset 'db': row 3, column 'year': text 'n/a' is not int"))
        #expect(
            failure(SQLiteDatasetSource(settings(f.path, table: nil, query: "SELECT nope FROM p"))).contains(
                "dataset 'db': no such column: nope"))
    }

    @Test func aLockedDatabaseFailsAfterTheBusyTimeout() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeTable(f)
        let writer = try await SQLiteConnection.open(storage: .file(path: f.path))
        _ = try await writer.query("BEGIN EXCLUSIVE")
        _ = try await writer.query("INSERT INTO p VALUES ('x', 1, 1, NULL, 0)")
        let message = failure(SQLiteDatasetSource(settings(f.path)))
        _ = try await writer.query("ROLLBACK")
        try await writer.close()
        #expect(message.contains("dataset 'db': database is locked"))
    }
}
