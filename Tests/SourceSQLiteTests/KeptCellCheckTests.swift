import Foundation
import ReportCalculators
import ReportCore
import SQLiteNIO
import SourceSQLite
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The cell check's answer kept in the state folder (`stateDirectory`) across processes: used when
/// no write touched the database since, and never letting a bad cell through when one did (times
/// set back, rollback journal or WAL, a copy over the file), nor from a damaged kept file; a state
/// folder that cannot be written only means a check each time. A new process is played by
/// forgetting the answers this process keeps (`forgetCheckedVersions`).
@Suite(.serialized) struct KeptCellCheckTests {
    static let schema = PushdownTests.schema

    func settings(_ f: SQLiteFixture, state: String?) -> DatasetConfig {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: f.path, schemaPath: "", schema: Self.schema, onBadRows: .fail)
        s.table = "p"
        s.stateDirectory = state
        return s
    }

    var report: ReportDefinition {
        get throws {
            var r = ReportDefinition(
                name: "r", title: "r", dataset: "db", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
                metrics: [MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:]))])
            r.groupBy = ["year"]
            return r
        }
    }

    func checks(_ f: SQLiteFixture) -> Int { SQLiteDatasetSource.cellChecks(path: f.path) }

    /// As a new `reportd run`: nothing kept in this process; the report pushed down (nil: the
    /// cells are not clean, the engine reads and fails).
    func freshRun(_ source: SQLiteDatasetSource) throws -> ReportResult? {
        SQLiteDatasetSource.forgetCheckedVersions()
        return try source.compute(report)
    }

    /// Runs `statements` on the database, then sets its modification time back to what it was.
    func writeKeepingTimes(_ f: SQLiteFixture, _ statements: [String]) async throws {
        var before = stat()
        stat(f.path, &before)
        try await f.execute(statements)
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, f.path, &times, 0) == 0)
        var after = stat()
        stat(f.path, &after)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        #expect(after.st_size == before.st_size)
    }

    @Test func theAnswerIsKeptAcrossProcessesUntilTheDatabaseChanges() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f, rows: 50)
        let state = f.folder + "/state"
        let source = SQLiteDatasetSource(settings(f, state: state))
        let first = try #require(try freshRun(source))
        #expect(checks(f) == 1)
        let kept = try FileManager.default.contentsOfDirectory(atPath: state + "/sqlite-checks")
        #expect(kept.count == 1 && kept[0].hasSuffix(".check"), "\(kept)")
        // The next run: no check, the same figures.
        #expect(try freshRun(source)?.rows == first.rows)
        #expect(checks(f) == 1)
        // A write (rollback journal: the change counter moves): checked again.
        try await f.execute(["INSERT INTO p (year) VALUES (2021)"])
        #expect(try freshRun(source) != nil)
        #expect(checks(f) == 2)
        #expect(try freshRun(source) != nil)
        #expect(checks(f) == 2)
    }

    @Test(arguments: ["DELETE", "WAL"])
    func aBadCellWrittenBetweenTwoRunsWithItsTimesSetBackIsFound(journal: String) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute(["PRAGMA journal_mode=\(journal)"])
        try await PushdownTests().makeDatabase(f, rows: 50)
        let source = SQLiteDatasetSource(settings(f, state: f.folder + "/state"))
        #expect(try freshRun(source) != nil)
        #expect(try freshRun(source) != nil)
        // Rollback journal: kept. WAL: the read-only connection's own traffic on the -shm file
        // can move the version, and then the check runs again (never fewer checks).
        if journal == "DELETE" { #expect(checks(f) == 1) }
        let checked = checks(f)
        // In WAL mode the change counter stays and the log is gone once the writer closes: only
        // the file's change time tells.
        try await writeKeepingTimes(f, ["UPDATE p SET amount = 'many' WHERE rowid = 3"])
        #expect(try freshRun(source) == nil, "the bad cell is seen")
        #expect(checks(f) == checked + 1)
        #expect(throws: DatasetError.self) { try source.read(columns: nil, selection: .all, provenance: false) }
    }

    /// Another database's bytes written over the file (same inode, size and modification time,
    /// the same header but for a bad cell): checked again.
    @Test func aCopyOverTheFileIsCheckedAgain() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await f.execute(["PRAGMA journal_mode=WAL"])
        try await PushdownTests().makeDatabase(f, rows: 50)
        let clean = try Data(contentsOf: URL(fileURLWithPath: f.path))
        let source = SQLiteDatasetSource(settings(f, state: f.folder + "/state"))
        #expect(try freshRun(source) != nil)
        // The bad copy: the same file changed in WAL mode (no header field moves), its bytes kept.
        try await f.execute(["UPDATE p SET amount = 'many' WHERE rowid = 3"])
        let bad = try Data(contentsOf: URL(fileURLWithPath: f.path))
        #expect(bad.count == clean.count && bad != clean)
        #expect(bad.prefix(100) == clean.prefix(100), "the same header")
        try await f.execute(["UPDATE p SET amount = 5 WHERE rowid = 3"])
        SQLiteDatasetSource.forgetCheckedVersions()
        #expect(try freshRun(source) != nil)
        let checked = checks(f)
        // Written over the file in place, its times set back.
        var before = stat()
        stat(f.path, &before)
        let fd = open(f.path, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        _ = bad.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        var times = [before.st_atim, before.st_mtim]
        utimensat(AT_FDCWD, f.path, &times, 0)
        #expect(try freshRun(source) == nil, "the bad cell is seen")
        #expect(checks(f) == checked + 1)
    }

    @Test func aDamagedKeptAnswerIsOnlyACheckMore() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f, rows: 50)
        let state = f.folder + "/state"
        let source = SQLiteDatasetSource(settings(f, state: state))
        let expected = try #require(try freshRun(source))
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: state + "/sqlite-checks").first)
        let file = state + "/sqlite-checks/" + name
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        var damaged: [Data] = [good.prefix(good.count / 2), Data(), Data("garbage".utf8)]
        // One digit changed: the checksum (or the key) disagrees.
        var flipped = good
        if let at = flipped.lastIndex(of: UInt8(ascii: "0")) { flipped[at] = UInt8(ascii: "1") }
        damaged.append(flipped)
        for (i, bytes) in damaged.enumerated() {
            try bytes.write(to: URL(fileURLWithPath: file))
            let checked = checks(f)
            #expect(try freshRun(source)?.rows == expected.rows, "\(i)")
            #expect(checks(f) == checked + 1, "damaged file \(i) not used")
        }
    }

    @Test func aStateFolderThatCannotBeWrittenOnlyMeansACheckEachRun() async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await PushdownTests().makeDatabase(f, rows: 50)
        // A file where the state folder would be: nothing can be created under it (even by root).
        let blocked = f.folder + "/state"
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: blocked))
        let source = SQLiteDatasetSource(settings(f, state: blocked + "/inner"))
        let expected = try #require(try freshRun(source))
        #expect(try freshRun(source)?.rows == expected.rows)
        #expect(checks(f) == 2)
        // No state folder at all: the same.
        let plain = SQLiteDatasetSource(settings(f, state: nil))
        #expect(try freshRun(plain)?.rows == expected.rows)
        #expect(checks(f) == 3)
    }
}
