import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// The packed storage of CSV columns (issue 20: 1-, 2- or 4-byte string codes and ints, widened as
/// the blocks of a file come; validity flags only for a column with an empty cell) against what
/// the file says, read in blocks and in one pass.
@Suite(.blocking) struct PackedColumnsTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "code", type: .string),
        ColumnSpec(name: "n", type: .int),
        ColumnSpec(name: "year", type: .int, required: true),
        ColumnSpec(name: "late_null", type: .int),
    ])

    /// A file whose string dictionary passes 255 and then 65,535 values, whose `n` moves from a
    /// byte's range to 2, 4 and 8 bytes, downward and upward (to both ends of 64 bits), whose
    /// `year` never needs more than a byte, and whose `late_null` has its first empty cell near
    /// the end; with the value each cell must give.
    static func file(seed: UInt64) -> (bytes: [UInt8], expected: [[Value]]) {
        var g = SeededGenerator(seed: seed)
        var text = "code,n,year,late_null\n"
        var expected: [[Value]] = []
        let rows = 140_000
        for i in 0..<rows {
            // Distinct codes: 0..<200 first, then up to 300, then up to 70,000.
            let distinct = i < 20_000 ? 200 : i < 40_000 ? 300 : 70_000
            var code: Value = Int.random(in: 0..<20, using: &g) == 0 ? .null : .string("v\(Int.random(in: 0..<distinct, using: &g))·ơ")
            // Each of the 70,000 once, so that the dictionary passes 65,535 values.
            if i >= 40_000 && i < 110_000 { code = .string("v\(i - 40_000)·ơ") }
            let n: Value
            switch i {
            case ..<10_000: n = .int(Int64.random(in: 100...300, using: &g))
            case ..<30_000: n = .int(Int64.random(in: -20_000...300, using: &g))
            case ..<60_000: n = .int(Int64.random(in: -3_000_000_000...1_000_000_000, using: &g))
            case 100_000: n = .int(.min)
            case 100_001: n = .int(.max)
            default: n = Int.random(in: 0..<7, using: &g) == 0 ? .null : .int(Int64.random(in: -5...5, using: &g))
            }
            let year = Value.int(Int64(2019 + i % 7))
            let late: Value = i >= 130_000 && i % 11 == 0 ? .null : .int(Int64(i))
            expected.append([code, n, year, late])
            func cell(_ v: Value) -> String {
                switch v {
                case .null: return ""
                case .int(let x): return String(x)
                case .string(let s): return s
                default: return "?"
                }
            }
            text += "\(cell(code)),\(cell(n)),\(cell(year)),\(cell(late))\n"
        }
        return (Array(text.utf8), expected)
    }

    static func render(_ expected: [[Value]]) -> String {
        var lines = ["rows \(expected.count)", "columns \(schema.columnNames)"]
        for row in expected { lines.append(row.map { "\($0)" }.joined(separator: "|")) }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [4096, 100_000, 16 << 20])
    func everyWidthGivesTheFileValues(blockSize: Int) throws {
        let (bytes, expected) = Self.file(seed: UInt64(blockSize))
        let want = Self.render(expected)
        #expect(
            try ParallelCSVTests.streamed(bytes, schema: Self.schema, blockSize: blockSize, onBadRows: .fail) == want)
        #expect(ParallelCSVTests.outcome(bytes, schema: Self.schema, parts: 3, onBadRows: .fail) == want)
    }

    /// The widths the columns end with: the storage really is packed.
    @Test func theColumnsArePacked() throws {
        let (bytes, _) = Self.file(seed: 1)
        let loaded = try CSVLoader.readCSV(
            bytes, config: ParallelCSVTests.config(onBadRows: .fail, schema: Self.schema), display: "data.csv",
            columns: nil, parts: 2)
        func words(_ name: String) -> Int? {
            switch loaded.table.column(name)?.storage {
            case .int(let v)?: return v.bytesPerValue
            case .string(let codes, _)?: return codes.bytesPerValue
            default: return nil
            }
        }
        #expect(words("code") == 4)
        #expect(words("n") == 8)
        #expect(words("year") == 1)
        #expect(words("late_null") == 4)
        #expect(loaded.table.column("year")?.valid.hasNulls == false)
        #expect(loaded.table.column("late_null")?.valid.hasNulls == true)
        #expect(loaded.table.column("n")?.valid.hasNulls == true)
    }

    /// Small files: a dictionary that stays within a byte, and one column of nulls only.
    @Test func smallColumnsStayNarrow() throws {
        let text = "code,n,year,late_null\n" + (0..<300).map { "c\($0 % 7),,\(2000 + $0 % 3),\($0)\n" }.joined()
        let loaded = try CSVLoader.readCSV(
            Array(text.utf8), config: ParallelCSVTests.config(onBadRows: .fail, schema: Self.schema),
            display: "data.csv", columns: nil, parts: 3)
        guard case .string(let codes, let dictionary) = loaded.table.column("code")?.storage,
            case .int(let n) = loaded.table.column("n")?.storage, case .int(let late) = loaded.table.column("late_null")?.storage
        else {
            Issue.record("types")
            return
        }
        #expect(codes.bytesPerValue == 1 && dictionary.count == 7)
        #expect(n.bytesPerValue == 1)
        #expect((0..<300).allSatisfy { loaded.table.column("n")!.isNull($0) })
        #expect(late.bytesPerValue == 2 && Array(late) == (0..<300).map(Int64.init))
    }
}
