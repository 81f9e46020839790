import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import ReportConfig
@testable import SourceCSV
@testable import SourceFiles
@testable import SourceJSON

/// Issue 13, points 6 and 7: the largest header, record and cell a CSV dataset may hold. Past a
/// limit the read fails with a located error, the same whether the file is read whole (in one or
/// in several chunks) or streamed in blocks of any size. The limits are lowered here so that files
/// of a few hundred kilobytes stand for the gigabyte lines of the issue.
@Suite(.blocking) struct CSVLimitsTests {
    static let limits = CSVLimits(headerBytes: 1024, columns: 50, recordBytes: 64 << 10, cellBytes: 16 << 10)

    /// What every way of reading gives: the error (LINE:COLUMN: message) or the rows read (name
    /// and amount of each) and the lines rejected.
    static func outcomes(_ bytes: [UInt8], onBadRows: DatasetConfig.BadRows = .fail) throws -> [String] {
        let folder = try MalformedDatasetTests.Folder()
        let config = try folder.dataset(bytes, onBadRows: onBadRows)
        func render(_ read: () throws(DatasetError) -> LoadedDataset) -> String {
            do {
                let loaded = try read()
                let names = loaded.table.column("name")!, amounts = loaded.table.column("amount")!
                let rows = (0..<loaded.table.rowCount).map { "\(names.value(at: $0))=\(amounts.value(at: $0))" }
                return "rows \(rows.joined(separator: ";")) rejected \(loaded.rejected.map(\.line))"
            } catch {
                return "\(error.line):\(error.column): \(error.message)"
            }
        }
        var all: [String] = []
        for parts in [1, 4] {
            all.append(
                render { () throws(DatasetError) in
                    try CSVLoader.readCSV(bytes, config: config, display: "d", parts: parts, limits: limits)
                })
        }
        for blockSize in [64, 4096, 1 << 20] {
            all.append(
                render { () throws(DatasetError) in
                    try CSVLoader.load(config, columns: nil, blockSize: blockSize, limits: limits)
                })
        }
        return all
    }

    /// The one outcome every way of reading gives.
    static func outcome(_ bytes: [UInt8], onBadRows: DatasetConfig.BadRows = .fail) throws -> String {
        let all = try outcomes(bytes, onBadRows: onBadRows)
        #expect(Set(all).count == 1, "the reads disagree: \(all)")
        return all[0]
    }

    static func rows(_ count: Int, from first: Int = 0) -> String {
        (first..<first + count).map { "r\($0),\($0)\n" }.joined()
    }

    @Test func aHeaderLongerThanItsLimitIsLocated() throws {
        // A 100 MB header line took 3.6 GB: now the header is looked for in its first kilobytes.
        let header = Array(("name,amount," + String(repeating: "x", count: 2000) + "\n" + Self.rows(10)).utf8)
        #expect(
            try Self.outcome(header)
                == "1:1: the header is longer than 1 KiB, the most a header may take: is this a CSV file with line breaks, and does every quote that opens a field close it?"
        )
        // A file without a single line break: the same, for a file of any size.
        let noBreak = Array("name,amount,".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 300_000)
        #expect(try Self.outcome(noBreak).hasPrefix("1:1: the header is longer than 1 KiB"))
    }

    @Test func aCarriageReturnOnlyFileIsNamedAlikeByEveryRead() throws {
        // The first line feed lies beyond the header's longest extent: a streamed read's first
        // buffer may not reach it, so neither does the whole read's wording.
        let bytes = Array(("name,amount\rok,1\r" + String(repeating: "z", count: 2000) + "\nb,2\n").utf8)
        #expect(try Self.outcome(bytes) == "1:12: \(CSVRecordReader.carriageReturnsOnly)")
    }

    @Test func aHeaderWithMoreColumnsThanTheLimitIsLocated() throws {
        let header = "name,amount," + (2..<60).map { "c\($0)" }.joined(separator: ",") + "\n"
        // The 51st column starts after "name,amount," and c2 … c49, each with its comma.
        let column = 1 + "name,amount,".count + (2..<50).map { "c\($0),".count }.reduce(0, +)
        #expect(
            try Self.outcome(Array((header + Self.rows(5)).utf8))
                == "1:\(column): the header has more than 50 columns, the most a dataset may have")
        // At the limit, the header is read (and the rows, of two fields, are then too short).
        let fifty = "name,amount," + (2..<50).map { "c\($0)" }.joined(separator: ",") + "\n"
        #expect(try Self.outcome(Array((fifty + Self.rows(3)).utf8)) == "2:1: this row has 2 fields, the header has 50")
    }

    @Test(arguments: [DatasetConfig.BadRows.fail, .reject])
    func aRowLongerThanTheLimitFailsTheRead(onBadRows: DatasetConfig.BadRows) throws {
        // Eight cells of 10 KiB: each within its limit, the line (80 KiB) not. Rejecting it would
        // keep it whole in the rejected-rows file: the read fails whatever on_bad_rows says.
        let cells = (0..<8).map { _ in String(repeating: "z", count: 10 << 10) }.joined(separator: ",")
        let text = "name,amount\n" + Self.rows(100) + cells + "\n" + Self.rows(100, from: 100)
        #expect(
            try Self.outcome(Array(text.utf8), onBadRows: onBadRows)
                == "102:1: this row is longer than 64 KiB, the most a row may take: is this a CSV file with line breaks, and does every quote that opens a field close it?"
        )
    }

    @Test(arguments: [DatasetConfig.BadRows.fail, .reject])
    func aCellLongerThanTheLimitIsLocated(onBadRows: DatasetConfig.BadRows) throws {
        let text = "name,amount\n" + Self.rows(50) + "x," + String(repeating: "9", count: 20 << 10) + "\n" + Self.rows(50)
        #expect(
            try Self.outcome(Array(text.utf8), onBadRows: onBadRows)
                == "52:3: this cell is longer than 16 KiB, the most a cell may hold: does every quote that opens a field close it?"
        )
    }

    @Test func aLineWithoutAnEndFailsOnTheCellLimit() throws {
        // The issue's 2 GB line, in small: the streamed reader carried it whole from block to
        // block, scanning it again at each.
        let bytes = Array(("name,amount\n" + Self.rows(20)).utf8) + [UInt8](repeating: UInt8(ascii: "q"), count: 1 << 20)
        #expect(try Self.outcome(bytes).hasPrefix("22:1: this cell is longer than 16 KiB"))
    }

    @Test func aStrayQuoteRunningPastTheLimitStillCostsOneLine() throws {
        // Under reject, a quote that never closes costs its line (SPEC, "Dataset schema"), though
        // the field it opens runs past the cell limit; under fail, the limit is the error, at the
        // quote.
        let text = "name,amount\n" + Self.rows(10) + "bad,\"open\n" + Self.rows(5_000, from: 10)
        let rejected = try Self.outcome(Array(text.utf8), onBadRows: .reject)
        #expect(rejected.hasSuffix("rejected [12]"), "\(rejected)")
        #expect(rejected.contains("r9=9;r10=10;"))
        #expect(rejected.contains(";r5009=5009 "))
        #expect(
            try Self.outcome(Array(text.utf8), onBadRows: .fail)
                == "12:5: this cell is longer than 16 KiB, the most a cell may hold: does every quote that opens a field close it?"
        )
    }

    @Test func recordsWithinTheLimitsAreReadAcrossBlocks() throws {
        // Long legal records: a quoted cell of 15 KiB spanning lines, a cell of 15 KiB, and a
        // quote inside an unquoted field that misleads the streamed reader's quote count for the
        // rest of the file (the record reader then finds where the records end).
        let quoted = "\"" + String(repeating: "long\n", count: 3 << 10) + "\",1\n"
        let wide = "w" + String(repeating: "x", count: 15 << 10) + "," + String(repeating: "7", count: 10) + "\n"
        let text = "name,amount\n" + Self.rows(10) + quoted + Self.rows(10, from: 10) + "a\"b,2\n" + Self.rows(3_000, from: 20)
            + wide
        let outcome = try Self.outcome(Array(text.utf8))
        #expect(outcome.hasPrefix("rows r0=0;"), "\(outcome.prefix(300))")
        #expect(outcome.contains(";a\"b=2;r20=20;"))
        #expect(outcome.hasSuffix("=7777777777 rejected []"))
    }
}
