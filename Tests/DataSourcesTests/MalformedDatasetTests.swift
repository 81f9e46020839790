import Foundation
import Synchronization
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON

/// Damaged datasets (issue 6, promise 3): each gives a located error or a stated outcome, never a
/// crash, a hang or a wrong figure. The common cases (unterminated quotes, wrong field counts,
/// non-numbers, invalid UTF-8, empty and header-only files) are in CSVReaderTests; these are the
/// rest.
@Suite(.blocking) struct MalformedDatasetTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string, required: true),
        ColumnSpec(name: "amount", type: .int),
    ])

    func expectError(_ error: DatasetError?, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = error.map { "\($0.line):\($0.column): \($0.message)" }
        #expect(got == expected, sourceLocation: sourceLocation)
    }

    final class Folder {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-bad-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }

        func dataset(_ bytes: [UInt8], onBadRows: DatasetConfig.BadRows = .fail) throws -> DatasetConfig {
            let path = url.appendingPathComponent("data.csv").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return DatasetConfig(
                name: "d", format: "csv", path: path, schemaPath: "schema.yaml", schema: MalformedDatasetTests.schema,
                onBadRows: onBadRows)
        }
    }

    @Test(arguments: [1 << 20, 64])
    func aNulByteInAStringCellIsALocatedError(blockSize: Int) throws {
        let folder = try Folder()
        let bytes = Array("name,amount\nok,1\nab".utf8) + [0] + Array("c,2\n".utf8)
        let config = try folder.dataset(bytes)
        let error = #expect(throws: DatasetError.self) { try CSVLoader.load(config, columns: nil, blockSize: blockSize) }
        #expect(error?.line == 3 && error?.column == 1)
        #expect(error?.message == "column 'name': holds a NUL byte (0x00): the file looks damaged")
    }

    /// Issue 13, point 10: a UTF-16 file (Excel's "Unicode Text", PowerShell's default) said the
    /// header had no column 'name'; a file with CR alone at its lines' ends, that a CR was alone.
    /// Now each says what the file is and what to do; and since issue 18 a UTF-16 file with its
    /// byte-order mark is read.
    @Test(arguments: [1 << 20, 64])
    func utf16AndCarriageReturnOnlyFilesAreNamed(blockSize: Int) throws {
        let folder = try Folder()
        let text = "\u{FEFF}name,amount\nok,1\n"
        func error(_ bytes: [UInt8]) throws -> DatasetError? {
            let config = try folder.dataset(bytes)
            return #expect(throws: DatasetError.self) { try CSVLoader.load(config, columns: nil, blockSize: blockSize) }
        }
        // With its byte-order mark, UTF-16 is read (issue 18: the mark decides the encoding).
        for bytes in [
            Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
            Array(text.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] },
        ] {
            let loaded = try CSVLoader.load(try folder.dataset(bytes), columns: nil, blockSize: blockSize)
            #expect(loaded.table.rowCount == 1 && loaded.table.columns[0].value(at: 0) == .string("ok"))
        }
        // Without its byte-order mark, UTF-16 puts NUL bytes in the header.
        let bare = try error(Array(text.utf16.dropFirst()).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(bare?.line == 1 && bare?.column == 1)
        #expect(bare?.message.hasPrefix("the header holds NUL bytes (0x00): the file looks UTF-16 without a byte-order mark") == true)

        let mac = try error(Array("name,amount\rok,1\rb,2\r".utf8))
        expectError(mac, "1:12: \(CSVRecordReader.carriageReturnsOnly)")
        #expect(mac?.message.hasPrefix("the file's lines end with a carriage return (CR) alone") == true)
        // A CR alone in a file that has line feeds keeps its own message.
        let mixed = try error(Array("name,amount\nok\r,1\n".utf8))
        expectError(mixed, "2:3: \(CSVRecordReader.loneCarriageReturn)")
    }

    @Test func aNulByteInANumberIsNotANumber() throws {
        let folder = try Folder()
        let config = try folder.dataset(Array("name,amount\nok,1".utf8) + [0] + Array("\n".utf8))
        let error = #expect(throws: DatasetError.self) { try CSVLoader.load(config) }
        #expect(error?.line == 2 && error?.column == 4)
        #expect(error?.message.hasPrefix("column 'amount': '1") == true)
    }

    @Test func nulPaddingAfterACrashIsRejectedRowByRow() throws {
        // A file system that lost the tail of a write can leave a block of zeros.
        let folder = try Folder()
        let bytes = Array("name,amount\na,1\nb,2\n".utf8) + [UInt8](repeating: 0, count: 4096) + Array("\nc,3\n".utf8)
        let config = try folder.dataset(bytes, onBadRows: .reject)
        let loaded = try CSVLoader.load(config)
        #expect(loaded.table.rowCount == 3)
        #expect(loaded.rejected.count == 1)
        #expect(loaded.rejected.first?.line == 4)
        #expect(loaded.rejected.first?.reason == "this row has 1 fields, the header has 2 (it holds NUL bytes (0x00): the file looks damaged)")
    }

    @Test func aHundredMegabyteLineIsReadWithoutHangingOrCrashing() throws {
        let folder = try Folder()
        // A 10 MB cell is data; a 100 MB cell is past the limit of 16 MiB: a located error.
        var bytes = Array("name,amount\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        bytes += Array(",1\nshort,2\n".utf8)
        let loaded = try CSVLoader.load(try folder.dataset(bytes))
        #expect(loaded.table.rowCount == 2)
        #expect(loaded.table.column("amount")?.value(at: 1) == .int(2))
        guard case .string(_, let dictionary) = loaded.table.column("name")!.storage else {
            Issue.record("name is a string column")
            return
        }
        #expect(dictionary.first?.utf8.count == 10 << 20)

        bytes += [UInt8](repeating: UInt8(ascii: "y"), count: 100 << 20)
        bytes += Array(",3,extra\n".utf8)
        let started = Date()
        let error = #expect(throws: DatasetError.self) { try CSVLoader.load(try folder.dataset(bytes)) }
        #expect(error?.line == 4 && error?.column == 1)
        #expect(error?.message.hasPrefix("this cell is longer than 16 MiB, the most a cell may hold") == true)
        // Not a timing assertion: an upper bound that only a quadratic scan or a hang would reach.
        #expect(Date().timeIntervalSince(started) < 300)
    }

    @Test func aFileRewrittenInPlaceWhileReadIsNeverMixed() throws {
        // Two versions of one file, rewritten in place (truncate, then write) over and over while
        // it is read in small blocks. A read that spans a rewrite is thrown away and done again:
        // no read may hold rows of both versions. (A read that falls wholly inside one rewrite
        // sees what the file holds at that instant, empty or a prefix of one version: that is
        // why writers should rename a finished file into place, as the README says.)
        let folder = try Folder()
        func version(_ name: String, rows: Int) -> [UInt8] {
            Array(("name,amount\n" + String(repeating: "\(name),1\n", count: rows)).utf8)
        }
        let versions = [version("old", rows: 150_000), version("new", rows: 90_000)]
        let config = try folder.dataset(versions[0])
        let stop = Mutex(false)
        let writer = Thread {
            var i = 0
            while !stop.withLock({ $0 }) {
                i += 1
                guard let handle = FileHandle(forWritingAtPath: config.path) else { continue }
                try? handle.truncate(atOffset: 0)
                try? handle.write(contentsOf: Data(versions[i % 2]))
                try? handle.close()
                // Modification times tick every few milliseconds on Linux: a rewrite that lands in
                // the same tick and restores the same size cannot be seen by size and time (see
                // CSVLoader.load). A writer that pauses between versions can always be seen.
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        writer.start()
        defer { stop.withLock { $0 = true } }
        var whole = 0
        var other = 0
        for _ in 0..<30 {
            do {
                let loaded = try CSVLoader.load(config, columns: nil, blockSize: 64 << 10)
                guard case .string(_, let dictionary) = loaded.table.column("name")!.storage else { continue }
                #expect(dictionary.count <= 1, "rows of both versions in one read: \(dictionary)")
                if loaded.table.rowCount == 150_000 || loaded.table.rowCount == 90_000 { whole += 1 } else { other += 1 }
            } catch {
                other += 1
            }
        }
        stop.withLock { $0 = true }
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        print("rewrite while read: \(whole) whole versions, \(other) empty, partial or refused reads")
        // Once the writer is done, the next read is whole.
        let settled = try CSVLoader.load(config, columns: nil, blockSize: 64 << 10)
        #expect(settled.table.rowCount == 150_000 || settled.table.rowCount == 90_000)
    }
}
