import Foundation
import Testing
import TestSupport

@testable import ReportCore
@testable import SourceCSV

/// Regression tests for what the CSV fuzz target (fuzz-csv, Tests/Fuzz/csv) found.
@Suite(.blocking) struct CSVFuzzFindingsTests {
    /// A blank first line ended the first block's "whole first record" wait: the header was then
    /// read from a 7-byte block that cut it short, a different error than the sequential read's.
    @Test(arguments: [1, 2, 3, 7, 64])
    func blankLinesBeforeTheHeaderWaitForTheWholeHeader(blockSize: Int) throws {
        let header = "id,title,year,amount,rate,day,ok\n"
        for lead in ["\n", "\r\n", "\n\r\n\n", "\u{FEFF}\r\n"] {
            for body in ["KC-1,a,2021,5,,,\n", "KC-1,a,2021,5,,,\nKC-2,\"b\nc\",2022,6,,,\n", ""] {
                let bytes = Array((lead + header + body).utf8)
                let one = ParallelCSVTests.outcome(bytes, parts: 1, onBadRows: .fail)
                #expect(try ParallelCSVTests.streamed(bytes, blockSize: blockSize, onBadRows: .fail) == one)
            }
        }
        // The fuzzer's input: the header's last field is not a schema column either way, and the
        // message names the same near miss.
        let found: [UInt8] =
            [13, 10, 0xEF, 0xBB] + Array(",,,,,,".utf8) + [0xFF, 0xFF] + Array(",\u{BF}id,y0ear,a0,,,\n".utf8)
        let one = ParallelCSVTests.outcome(found, parts: 1, onBadRows: .fail)
        #expect(try ParallelCSVTests.streamed(found, blockSize: 7, onBadRows: .fail) == one)
    }

    /// A stray quote in an unquoted header field made the quote count take a line break inside a
    /// quoted header field for the header's end: a 7-byte block then cut the header short ("unterminated
    /// quoted field" where the sequential read names the missing column). The whole-file pass now
    /// reads such a header.
    @Test(arguments: [1, 7, 16, 33, 64, 1 << 20])
    func aHeaderMisjudgedByTheQuoteCountIsReadWhole(blockSize: Int) throws {
        let found = Array("id,\u{FF}year,amount,start_d, b\",2021,\"i\"\"NaN\"\"\nmulti\nline\",2022,,,,0,\n".utf8)
        let header = "id,ti\"tle,year,amount,rate,day,ok,\"x\ny\",z\n"
        for bytes in [found, Array((header + "KC-1,a,2021,5,,,,q,r\nKC-2,b,2022,6,,,,s,t\n").utf8)] {
            for mode in [DatasetConfig.BadRows.fail, .reject] {
                let one = ParallelCSVTests.outcome(bytes, parts: 1, onBadRows: mode)
                #expect(try ParallelCSVTests.streamed(bytes, blockSize: blockSize, onBadRows: mode) == one)
            }
        }
    }
}
