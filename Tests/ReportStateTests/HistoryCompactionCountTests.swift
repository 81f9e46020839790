import Foundation
import Testing

@testable import ReportState

/// The count of detailed lines that decides a history's compaction (`memmem`, then on to the next
/// line) against the per-line search it replaced: markers at a line's start and end, twice on a
/// line, split by a line break, in empty lines and a last line without its break.
@Suite struct HistoryCompactionCountTests {
    @Test func theMemmemCountIsThePerLineCount() {
        let pieces = ["\"files\":", "\"files\"", ":", "{\"a\":1}", "\n", "\n\n", "files", "\"", "x", "\"files\":[]"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        var texts: [String] = ["", "\n", "\"files\":", "\"files\":\n\"files\":", "\"fil\nes\":"]
        for _ in 0..<3_000 { texts.append((0..<next(30)).map { _ in pieces[next(pieces.count)] }.joined()) }
        var markers = 0
        for text in texts {
            let bytes = Array(text.utf8)
            let plain = RunHistory.linesHoldingFilesPlain(bytes)
            #expect(RunHistory.linesHoldingFiles(bytes) == plain, "\(text.debugDescription)")
            markers += plain
        }
        #expect(markers > 1_000)
    }
}
