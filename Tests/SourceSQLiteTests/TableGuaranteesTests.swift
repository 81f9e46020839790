import Foundation
import ReportCore
import SQLiteNIO
import SourceSQLite
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cell check leaves out what a table's own definition guarantees (a STRICT table's types,
/// NOT NULL, CHECK constraints in the forms recognised), and only that: what the table does not
/// guarantee is still checked, and a bad cell still fails the run naming the column and the row.
@Suite struct TableGuaranteesTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string, required: true), ColumnSpec(name: "note", type: .string),
        ColumnSpec(name: "year", type: .int, required: true), ColumnSpec(name: "amount", type: .decimal),
        ColumnSpec(name: "done", type: .bool, required: true), ColumnSpec(name: "start", type: .date),
    ])

    static func source(_ f: SQLiteFixture) -> SQLiteDatasetSource {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: f.path, schemaPath: "", schema: schema, onBadRows: .fail)
        s.table = "p"
        return SQLiteDatasetSource(s)
    }

    static let count = CellCheckTests.count

    /// A STRICT table whose columns are NOT NULL where required and carry the CHECKs for what the
    /// types leave open (non-empty text, 0 or 1, an ISO date): the check reads no cell, only the
    /// row count, and the report is computed by SQLite.
    @Test(arguments: [
        // Column and table constraints, quoted names, comments, either side of IS, AND inside a CHECK.
        """
        CREATE TABLE p (
          name TEXT NOT NULL CHECK (name <> ''),   -- a comment (with a parenthesis
          note TEXT,
          "year" INTEGER NOT NULL,
          [amount] REAL,
          done INT NOT NULL CHECK ("done" IN (0, 1)),
          start TEXT /* a date */ CHECK (date(start, '+0 days') IS start)
        ) STRICT
        """,
        """
        CREATE TABLE "p" (name TEXT NOT NULL, note TEXT, year INT NOT NULL, amount REAL, done INTEGER NOT NULL,
          start TEXT, CHECK ((length(name) > 0) AND done IN (1, 0) AND start IS date(start, '+0 days'))) STRICT
        """,
    ])
    func aStrictTableWithItsConstraintsIsNotScanned(_ create: String) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute([
            create, "INSERT INTO p VALUES ('Tân Uyên', NULL, 2021, 1.5, 1, '2021-03-04')",
            "INSERT INTO p VALUES ('Mường Tè', 'x', 2022, NULL, 0, NULL)",
        ])
        let source = Self.source(f)
        let snapshot = try #require(try source.openSnapshot())
        defer { snapshot.close() }
        #expect(try snapshot.compute(Self.count, period: nil)?.rows == [[.int(2)]])
        #expect(try snapshot.read(columns: [], selection: .all).table.rowCount == 2)
        #expect(try source.cellCheckStatement() == "SELECT COUNT(*) FROM \"p\"")
        // SQLite itself refuses what the constraints forbid.
        await #expect(throws: (any Error).self) {
            try await f.execute(["INSERT INTO p VALUES ('', NULL, 1, 1, 1, NULL)"])
        }
        await #expect(throws: (any Error).self) {
            try await f.execute(["INSERT INTO p VALUES ('a', NULL, 1, 1, 2, NULL)"])
        }
        await #expect(throws: (any Error).self) {
            try await f.execute(["INSERT INTO p VALUES ('a', NULL, 1, 1, 1, '2021-02-30')"])
        }
    }

    /// A table and the bad cell it lets in (no constraint, one in a form not recognised, or a type
    /// a plain table does not enforce), and the column the error must name.
    struct Case: CustomStringConvertible, Sendable {
        var create: String
        var bad: String
        var column: String
        var description: String { "\(column): \(bad) in \(create)" }
    }

    static let strictColumns =
        "name TEXT NOT NULL, note TEXT, year INTEGER NOT NULL, amount REAL, done INTEGER NOT NULL"

    static let cases: [Case] = [
        // STRICT TEXT says nothing of a date's format.
        Case(
            create: "CREATE TABLE p (\(strictColumns), start TEXT) STRICT", bad: "'x', NULL, 1, 1, 1, '2021-02-30'",
            column: "start"),
        // `=` lets a bad date through: date() is null for it, and a null CHECK passes.
        Case(
            create: "CREATE TABLE p (\(strictColumns), start TEXT CHECK (date(start, '+0 days') = start)) STRICT",
            bad: "'x', NULL, 1, 1, 1, 'soon'", column: "start"),
        // A required text: NOT NULL without a CHECK lets an empty text in; a CHECK with OR proves nothing.
        Case(
            create: "CREATE TABLE p (\(strictColumns), start TEXT) STRICT", bad: "'', NULL, 1, 1, 1, NULL",
            column: "name"),
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL CHECK (name <> '' OR year > 0), note TEXT, year INTEGER NOT NULL, amount REAL, done INTEGER NOT NULL, start TEXT) STRICT",
            bad: "'', NULL, 1, 1, 1, NULL", column: "name"),
        // A required column that is not NOT NULL.
        Case(
            create:
                "CREATE TABLE p (name TEXT, note TEXT, year INTEGER NOT NULL, amount REAL, done INTEGER NOT NULL, start TEXT) STRICT",
            bad: "NULL, NULL, 1, 1, 1, NULL", column: "name"),
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL, note TEXT, year INTEGER, amount REAL, done INTEGER NOT NULL, start TEXT) STRICT",
            bad: "'x', NULL, NULL, 1, 1, NULL", column: "year"),
        // A bool: STRICT INTEGER holds any integer; a CHECK with another set is not recognised.
        Case(
            create: "CREATE TABLE p (\(strictColumns), start TEXT) STRICT", bad: "'x', NULL, 1, 1, 2, NULL",
            column: "done"),
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL, note TEXT, year INTEGER NOT NULL, amount REAL, done INTEGER NOT NULL CHECK (done IN (0, 1, 2)), start TEXT) STRICT",
            bad: "'x', NULL, 1, 1, 2, NULL", column: "done"),
        // ANY holds anything.
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL, note TEXT, year ANY NOT NULL, amount REAL, done INTEGER NOT NULL, start TEXT) STRICT",
            bad: "'x', NULL, 'abc', 1, 1, NULL", column: "year"),
        // Not STRICT: NOT NULL and CHECK (done IN (0, 1)) do not make the types hold.
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL, note TEXT, year INTEGER NOT NULL, amount REAL, done BOOLEAN NOT NULL, start DATE)",
            bad: "'x', NULL, 'abc', 1, 1, NULL", column: "year"),
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL, note TEXT, year INTEGER NOT NULL, amount REAL, done NOT NULL CHECK (done IN (0, 1)), start DATE)",
            bad: "'x', NULL, 1, 1, 1.0, NULL", column: "done"),
        Case(
            create:
                "CREATE TABLE p (name TEXT NOT NULL CHECK (name <> ''), note TEXT, year INTEGER NOT NULL, amount REAL, done BOOLEAN NOT NULL, start DATE)",
            bad: "x'61', NULL, 1, 1, 1, NULL", column: "name"),
        // A CHECK on another column of the same name in a comment or a string does not count.
        Case(
            create:
                "CREATE TABLE p (\(strictColumns), start TEXT /* CHECK (date(start, '+0 days') IS start) */, note2 TEXT DEFAULT 'CHECK (date(start, ''+0 days'') IS start)') STRICT",
            bad: "'x', NULL, 1, 1, 1, '2021-13-01', NULL", column: "start"),
    ]

    /// What the table does not guarantee is still checked: the report is not computed by SQLite,
    /// and the run fails on the bad cell with its row and column, as a CSV read would.
    @Test(arguments: cases)
    func whatTheTableDoesNotGuaranteeIsStillChecked(_ c: Case) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute([
            c.create,
            "INSERT INTO p (name, note, year, amount, done, start) VALUES ('a', NULL, 2021, 1.5, 1, '2021-03-04')",
            "INSERT INTO p VALUES (\(c.bad))",
        ])
        let source = Self.source(f)
        let snapshot = try #require(try source.openSnapshot())
        defer { snapshot.close() }
        #expect(try snapshot.compute(Self.count, period: nil) == nil, "\(c)")
        let error = #expect(throws: DatasetError.self) { try snapshot.read(columns: [], selection: .all) }
        #expect(
            error?.message.contains("dataset 'db': row 2, column '\(c.column)'") == true, "\(String(describing: error))"
        )
        #expect(try source.cellCheckStatement().contains("CASE WHEN"))
    }
}

/// The cell check's answer is kept per database version in this process (`serve` runs many
/// snapshots): a write that keeps the files' sizes and modification times (two writes within one
/// tick of the file system's clock, simulated by setting the times back) still changes the
/// version, so a bad cell written after a check is found.
@Suite struct CellCheckCacheTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "k", type: .int, required: true), ColumnSpec(name: "x", type: .int, required: true),
    ])

    static func source(_ f: SQLiteFixture) -> SQLiteDatasetSource {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: f.path, schemaPath: "", schema: schema, onBadRows: .fail)
        s.table = "p"
        return SQLiteDatasetSource(s)
    }

    /// The modification times of the files at `paths` (those that exist).
    static func times(_ paths: [String]) -> [String: timespec] {
        var out: [String: timespec] = [:]
        for path in paths {
            var info = stat()
            if stat(path, &info) == 0 { out[path] = info.st_mtim }
        }
        return out
    }

    /// Sets the files' modification times back to `saved`.
    static func restore(_ saved: [String: timespec]) {
        for (path, time) in saved {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            var both = [info.st_atim, time]
            #expect(utimensat(AT_FDCWD, path, &both, 0) == 0)
        }
    }

    /// The first 32 bytes of a WAL file (its header: salts, checkpoint sequence).
    static func walHeader(_ path: String) throws -> Data {
        try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd()?.prefix(32) ?? Data()
    }

    /// Rollback-journal mode: an UPDATE in place keeps the file's size; the header's change
    /// counter moves.
    @Test func aBadCellWrittenInPlaceAfterACheckIsFound() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute([
            "CREATE TABLE p (k INTEGER, x INTEGER)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO p SELECT i, i FROM n",
        ])
        let source = Self.source(f)
        let size = try FileManager.default.attributesOfItem(atPath: f.path)[.size] as? Int
        #expect(try source.compute(CellCheckTests.count) != nil)
        #expect(try source.compute(CellCheckTests.count) != nil)
        let saved = Self.times([f.path])
        try await f.execute(["UPDATE p SET x = 'abc' WHERE k = 50"])
        Self.restore(saved)
        #expect(try FileManager.default.attributesOfItem(atPath: f.path)[.size] as? Int == size)
        #expect(try source.compute(CellCheckTests.count) == nil)
        #expect(throws: DatasetError.self) { try source.read(columns: nil, selection: .all, provenance: false) }
    }

    /// WAL mode: after a checkpoint the next write restarts the log from its start (its size kept,
    /// the database file untouched): the log header's salts move; a further commit to the
    /// restarted log moves neither its size nor its salts, only the WAL-index header.
    @Test func aBadCellWrittenToARestartedLogAfterACheckIsFound() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        let writer = try await SQLiteConnection.open(storage: .file(path: f.path))
        do {
            for sql in [
                "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", "CREATE TABLE p (k INTEGER, x INTEGER)",
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO p SELECT i, i FROM n",
                "PRAGMA wal_checkpoint(PASSIVE)",
            ] {
                _ = try await writer.query(sql)
            }
            let wal = f.path + "-wal"
            let size = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int
            let source = Self.source(f)
            #expect(try source.compute(CellCheckTests.count) != nil)
            let saved = Self.times([f.path, wal])
            _ = try await writer.query("UPDATE p SET x = 'abc' WHERE k = 7")
            Self.restore(saved)
            #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int == size)
            #expect(try source.compute(CellCheckTests.count) == nil)
            #expect(throws: DatasetError.self) { try source.read(columns: nil, selection: .all, provenance: false) }
            // Clean again, checked; then a bad cell in the same generation of the log.
            _ = try await writer.query("UPDATE p SET x = 7 WHERE k = 7")
            #expect(try source.compute(CellCheckTests.count) != nil)
            let header = try Self.walHeader(wal)
            let again = Self.times([f.path, wal])
            _ = try await writer.query("UPDATE p SET x = 'abc' WHERE k = 9")
            Self.restore(again)
            #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int == size)
            #expect(try Self.walHeader(wal) == header)
            #expect(try source.compute(CellCheckTests.count) == nil)
        } catch {
            try await writer.close()
            throw error
        }
        try await writer.close()
    }
}
