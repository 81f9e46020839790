import Foundation
import ReportCore
import ReportFiles
@testable import ReportState
import Testing

@testable import ReportConfig
@testable import ReportRun
import ReportSources

/// The dataset cache through the `DatasetSource` seam: it keys on the source's version and asks
/// the source to confirm, whatever the source reads from.
@Suite struct DatasetSourceSeamTests {
    /// A source of rows held in memory, counting its reads (what a database source would be).
    final class CountingSource: DatasetSource, @unchecked Sendable {
        let name = "numbers"
        let schema = DatasetSchema(columns: [ColumnSpec(name: "n", type: .int, required: true)])
        var currentVersion: DatasetVersion? = DatasetVersion("1")
        var confirms = true
        var reads = 0

        func version() -> DatasetVersion? { currentVersion }

        func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
            -> LoadedDataset
        {
            reads += 1
            var builder = ColumnBuilder(spec: schema.columns[0], capacity: 2)
            builder.append(.int(1))
            builder.append(.int(Int64(reads)))
            return LoadedDataset(
                table: Table(schema: schema, columns: [builder.build()], rowCount: 2), rejected: [], header: ["n"],
                sha256: provenance ? "sha" : "")
        }

        func confirm(_ cached: LoadedDataset) -> Bool { confirms }
    }

    @Test func anUnchangedVersionIsServedFromMemory() throws {
        let source = CountingSource()
        let cache = DatasetCache(limitMiB: 16)
        _ = try cache.load(source).get()
        _ = try cache.load(source).get()
        #expect(source.reads == 1)
        #expect(cache.statistics.hits == 1)
        source.currentVersion = DatasetVersion("2")
        _ = try cache.load(source).get()
        #expect(source.reads == 2)
    }

    @Test func aSourceThatCannotTellItsVersionIsNeverCached() throws {
        let source = CountingSource()
        source.currentVersion = nil
        let cache = DatasetCache(limitMiB: 16)
        _ = try cache.load(source).get()
        _ = try cache.load(source).get()
        #expect(source.reads == 2)
    }

    @Test func aCachedReadTheSourceDoesNotConfirmIsReadAgain() throws {
        let source = CountingSource()
        let cache = DatasetCache(limitMiB: 16)
        _ = try cache.load(source).get()
        source.confirms = false
        _ = try cache.load(source).get()
        #expect(source.reads == 2)
    }

    @Test func theRegistryMakesSourcesByFormatAndGuessesByExtension() {
        let registry = BuiltinSources.registry
        #expect(registry.formats == ["csv", "json", "sqlite", "postgres", "xlsx"])
        #expect(registry.format(forPath: "data/Projects.JSON") == "json")
        #expect(registry.format(forPath: "data/Projects.XLSX") == "xlsx")
        #expect(registry.format(forPath: "data/projects.txt") == nil)
        let settings = DatasetConfig(
            name: "d", format: "ods", path: "d.ods", schemaPath: "s.yaml", schema: DatasetSchema(columns: []),
            onBadRows: .fail)
        #expect(registry.source(for: settings) == nil)
    }

    /// The runner keeps each failure's kind for the scheduler (which retries only those that may pass).
    @Test func theRunnerKeepsTheKindOfEachFailure() {
        #expect(ReportRunner.kind(of: RunError(report: "r", message: "overflow", kind: .calculation)) == .calculation)
        #expect(ReportRunner.kind(of: DatasetError(file: "d.csv", line: 2, column: 1, message: "bad")) == .data)
        #expect(ReportRunner.kind(of: RunLockError(report: "r", holder: "1")) == .refused)
        #expect(ReportRunner.kind(of: FileError(code: .diskFull, path: "/o", message: "full")) == .io)
    }
}
