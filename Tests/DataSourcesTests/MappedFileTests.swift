import CCSVScan
import Foundation
import ReportCore
import Testing
import TestSupport

@testable import SourceCSV
@testable import SourceFiles

#if canImport(Glibc)
import Glibc
#endif

/// The dataset file mapped into memory (issue 20, MappedFile.c): a page that can no longer be read
/// (the file shrank while it was mapped) reads as zeros and marks the mapping damaged instead of
/// killing the process with SIGBUS, and a streamed read over such a mapping is an error that says
/// so. (That the mapped read gives what the buffered one gives is checked by every test that
/// streams a file: `ParallelCSVTests.streamed` reads it both ways.)
@Suite(.blocking) struct MappedFileTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aShrunkFilesPagesReadAsZerosAndMarkTheMapping() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("data.bin").path
        let size = 256 << 10
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 % 251 + 1) }).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var base: UnsafePointer<UInt8>?
        let handle = reportd_map_file(fd, size, &base)
        try #require(handle >= 0)
        let bytes = try #require(base)
        defer { reportd_unmap_file(handle) }
        #expect(bytes[0] == 1 && bytes[size - 1] == UInt8((size - 1) % 251 + 1))
        // Dropped pages are mapped again from the file when read again.
        reportd_mapping_release(handle, 0, size)
        #expect(bytes[70_000] == UInt8(70_000 % 251 + 1))
        #expect(reportd_mapping_damaged(handle) == 0)

        // Another program cuts the file to 10,000 bytes: the pages past its end can no longer be
        // read. Without the guard, the next line ends the test process with SIGBUS.
        try #require(truncate(path, 10_000) == 0)
        #expect(bytes[200_000] == 0)
        #expect(reportd_mapping_damaged(handle) == 1)
        #expect(bytes[size - 1] == 0)
        // The page the file still holds reads as before.
        #expect(bytes[100] == UInt8(100 % 251 + 1))
    }

    @Test func anEmptyFileIsNotMapped() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("empty.csv").path
        try Data().write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var base: UnsafePointer<UInt8>?
        #expect(reportd_map_file(fd, 0, &base) == -1)
        #expect(base == nil)
    }

    /// A CSV file cut short while its mapped read is under way: the read fails with an error that
    /// says the file shrank, and the process goes on.
    @Test func aFileThatShrinksWhileItIsReadIsAnError() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("data.csv").path
        let bytes = ParallelCSVTests.csv(rows: 20_000, seed: 7, bad: false)
        try #require(bytes.count > 1 << 20)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var config = ParallelCSVTests.config()
        config.path = path
        var stream = CSVStream(config: config, display: "data.csv", columns: nil, blockSize: 64 << 10, checksum: true)
        stream.step = 16 << 10
        stream.access = .mapped
        // The file is cut after its 1,500th row: the generator's first rows are the same for any count.
        let kept = ParallelCSVTests.csv(rows: 1_500, seed: 7, bad: false)
        try #require(Array(bytes.prefix(kept.count)) == kept)
        let length = kept.count
        nonisolated(unsafe) var cut = false
        stream.afterStep = { scanned in
            if !cut, scanned >= 256 << 10 {
                cut = true
                _ = truncate(path, off_t(length))
            }
        }
        let error = #expect(throws: DatasetError.self) { try stream.read() }
        #expect(cut)
        #expect(error?.message.contains("the file shrank while it was being read") == true)

        // Read again as it is now, the file loads: the rows it still holds.
        let now = try CSVLoader.load(config, columns: nil, blockSize: 64 << 10, access: .mapped)
        #expect(now.table.rowCount == 1_500)
    }
}
