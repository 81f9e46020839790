import Foundation
import ReportCore
import Testing

@testable import ReportRun

/// The snapshots that the runs of one slot share in `serve` (`DatasetSnapshots`).
@Suite struct DatasetSnapshotsTests {
    /// A source whose snapshots count their opening and closing (what a database's would hold: a
    /// connection and a transaction).
    final class Source: DatasetSource, @unchecked Sendable {
        final class Snapshot: DatasetSnapshot, @unchecked Sendable {
            let provenance = DatasetProvenance(source: "test", table: "t", snapshotTime: Date())
            let source: Source
            init(_ source: Source) { self.source = source }
            func read(columns: Set<String>?, selection: RowSelection) throws(DatasetError) -> LoadedDataset {
                LoadedDataset(
                    table: Table(schema: DatasetSchema(columns: []), columns: [], rowCount: 0), rejected: [],
                    header: [], sha256: "")
            }
            func compute(_ report: ReportDefinition, period: RunPeriod?) throws(DatasetError) -> ReportResult? { nil }
            func close() { source.lock.withLock { source.closed += 1 } }
        }

        let name = "db"
        let schema = DatasetSchema(columns: [])
        let lock = NSLock()
        var opened = 0
        var closed = 0
        var fails = false
        var hasSnapshots = true

        func version() -> DatasetVersion? { nil }
        func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
            -> LoadedDataset
        {
            LoadedDataset(
                table: Table(schema: schema, columns: [], rowCount: 0), rejected: [], header: [], sha256: "")
        }
        func openSnapshot() throws(DatasetError) -> (any DatasetSnapshot)? {
            guard hasSnapshots else { return nil }
            if fails { throw DatasetError(file: "db", line: 0, column: 0, message: "dataset 'db': down") }
            lock.withLock { opened += 1 }
            return Snapshot(self)
        }
    }

    @Test func theRunsOfOneSlotShareOneSnapshotClosedByTheLast() throws {
        let source = Source()
        let pool = DatasetSnapshots()
        let slot = Date(timeIntervalSince1970: 1_800_000_000)
        let a = try #require(try pool.acquire(source, slot: slot).get())
        let b = try #require(try pool.acquire(source, slot: slot).get())
        #expect(a.snapshot === b.snapshot)
        #expect(source.opened == 1)
        a.release()
        a.release()  // a second release of one lease counts once
        #expect(source.closed == 0)
        b.release()
        #expect(source.closed == 1)
        #expect(pool.openCount == 0)
        // Later, or another slot: a snapshot of its own.
        let c = try #require(try pool.acquire(source, slot: slot).get())
        let d = try #require(try pool.acquire(source, slot: slot.addingTimeInterval(3600)).get())
        #expect(c.snapshot !== d.snapshot)
        #expect(source.opened == 3)
        c.release()
        d.release()
        #expect(source.closed == 3)
    }

    @Test func aSourceWithoutSnapshotsOrOneThatFailsHoldsNothing() {
        let source = Source()
        let pool = DatasetSnapshots()
        source.hasSnapshots = false
        guard case .success(nil) = pool.acquire(source, slot: Date()) else {
            Issue.record("a lease without a snapshot")
            return
        }
        source.hasSnapshots = true
        source.fails = true
        guard case .failure(let error) = pool.acquire(source, slot: Date()) else {
            Issue.record("no failure")
            return
        }
        #expect(error.message == "dataset 'db': down")
        #expect(pool.openCount == 0)
    }
}
