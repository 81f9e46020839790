import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ReportCore
import Testing

@testable import ReportConfig
import ReportRun
import SourceFiles
import TestSupport

@Suite struct DatasetCacheTests {
    /// A one-column CSV dataset in a fresh folder.
    func dataset(_ text: String, name: String = "d") throws -> (DatasetConfig, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("\(name).csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let config = DatasetConfig(
            name: name, format: "csv", path: file.path, schemaPath: "",
            schema: DatasetSchema(columns: [ColumnSpec(name: "n", type: .int)]), onBadRows: .fail)
        return (config, folder)
    }

    func values(_ result: Result<LoadedDataset, DatasetError>) throws -> [Value] {
        let table = try result.get().table
        return (0..<table.rowCount).map { table.columns[0].value(at: $0) }
    }

    @Test func anUnchangedFileIsReadOnce() throws {
        let (config, folder) = try dataset("n\n1\n2\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        #expect(try values(cache.load(config)) == [.int(1), .int(2)])
        #expect(try values(cache.load(config)) == [.int(1), .int(2)])
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
    }

    @Test func aChangedFileIsReadAgain() throws {
        let (config, folder) = try dataset("n\n1\n2\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        _ = cache.load(config)
        // Same size, new content: the modification time (or inode, after an atomic replace) tells.
        try "n\n7\n8\n".write(toFile: config.path, atomically: true, encoding: .utf8)
        #expect(try values(cache.load(config)) == [.int(7), .int(8)])
        #expect(cache.statistics.misses == 2)
    }

    @Test func aFileRewrittenInPlaceWithItsTimesRestoredIsReadAgain() throws {
        // Same size, same inode, modification time set back to the nanosecond: only the checksum
        // can tell (rsync --times, cp --preserve, a clock stepped back).
        let (config, folder) = try dataset("n\n1\n2\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        #expect(try values(cache.load(config)) == [.int(1), .int(2)])
        var before = stat()
        #expect(stat(config.path, &before) == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: config.path))
        try handle.write(contentsOf: Data("n\n3\n4\n".utf8))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, config.path, &times, 0) == 0)
        var after = stat()
        #expect(stat(config.path, &after) == 0)
        #expect(
            after.st_ino == before.st_ino && after.st_size == before.st_size
                && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        #expect(try values(cache.load(config)) == [.int(3), .int(4)])
        #expect(cache.statistics.hits == 0 && cache.statistics.misses == 2)
    }

    @Test func aReportReadingMoreColumnsWidensTheCachedRead() throws {
        var (config, folder) = try dataset("a,b\n1,2\n3,4\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        config.schema = DatasetSchema(columns: [ColumnSpec(name: "a", type: .int), ColumnSpec(name: "b", type: .int)])
        let cache = DatasetCache(limitMiB: 16)
        #expect(try cache.load(config, columns: ["a"]).get().table.schema.columnNames == ["a"])
        #expect(try cache.load(config, columns: ["a"]).get().table.schema.columnNames == ["a"])
        #expect(cache.statistics.hits == 1)
        // `b` was not kept: read again, keeping both, so the first report still hits afterwards.
        #expect(try cache.load(config, columns: ["b"]).get().table.schema.columnNames == ["a", "b"])
        #expect(try cache.load(config, columns: ["a"]).get().table.schema.columnNames == ["a", "b"])
        #expect(try cache.load(config).get().table.column("b")?.value(at: 1) == .int(4))
        #expect(cache.statistics.hits == 2 && cache.statistics.misses == 3)
    }

    @Test func aChecksumSkippedAtTheReadIsTakenFromTheFileWhenAReportNeedsIt() throws {
        let (config, folder) = try dataset("n\n1\n2\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        // CSV-only reports: no SHA-256 computed.
        #expect(try cache.load(config, checksum: false).get().sha256 == "")
        // A report with JSON output: served from the cache, with the file's SHA-256.
        let expected = FileDataset.sha256(Array("n\n1\n2\n".utf8))
        #expect(try cache.load(config, checksum: true).get().sha256 == expected)
        #expect(try cache.load(config, checksum: false).get().sha256 == expected)
        #expect(cache.statistics.hits == 2 && cache.statistics.misses == 1)
    }

    @Test func aChangedSchemaIsNotServedFromTheCache() throws {
        var (config, folder) = try dataset("n\n1\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        _ = cache.load(config)
        config.schema = DatasetSchema(columns: [ColumnSpec(name: "n", type: .decimal)])
        #expect(try values(cache.load(config)) == [.decimal(1)])
    }

    @Test func failuresAreNotCached() throws {
        let (config, folder) = try dataset("n\nx\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 16)
        guard case .failure = cache.load(config) else { Issue.record("a bad row must fail"); return }
        try "n\n5\n".write(toFile: config.path, atomically: true, encoding: .utf8)
        #expect(try values(cache.load(config)) == [.int(5)])
    }

    @Test func theLeastRecentlyUsedDatasetIsDroppedAtTheLimit() throws {
        // Each dataset is 8 bytes a row (values too far apart to pack narrower, no nulls): 70,000
        // rows is ~0.53 MiB; a 1 MiB limit holds one.
        let rows = (0..<70_000).map { String($0 * 1_000_000_000_000) }.joined(separator: "\n")
        let (a, folderA) = try dataset("n\n" + rows + "\n", name: "a")
        let (b, folderB) = try dataset("n\n" + rows + "\n", name: "b")
        defer {
            try? FileManager.default.removeItem(at: folderA)
            try? FileManager.default.removeItem(at: folderB)
        }
        let cache = DatasetCache(limitMiB: 1)
        _ = cache.load(a)
        _ = cache.load(b)  // evicts a
        _ = cache.load(b)  // hit
        _ = cache.load(a)  // miss again
        #expect(cache.statistics.hits == 1)
        #expect(cache.statistics.misses == 3)
    }

    @Test func aZeroLimitKeepsNothing() throws {
        let (config, folder) = try dataset("n\n1\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = DatasetCache(limitMiB: 0)
        _ = cache.load(config)
        _ = cache.load(config)
        #expect(cache.statistics.hits == 0)
    }
}

extension DatasetCache {
    /// The dataset of `config`, read through the source the built-in registry has for its format.
    fileprivate func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        -> Result<LoadedDataset, DatasetError>
    {
        Result { () throws(DatasetError) in try TestDatasets.source(config) }
            .flatMap { load($0, columns: columns, checksum: checksum) }
    }
}
