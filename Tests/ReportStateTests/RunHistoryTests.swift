import Foundation
import ReportCore
import Testing

import ReportFiles
@testable import ReportState
@testable import ReportPublish

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RunHistoryTests {
    static func outcome(_ report: String, _ i: Int, error: String? = nil) -> RunResult {
        var o = RunResult(
            report: report, slot: "2026-11-\(String(format: "%02d", i % 28 + 1))T06:00:00+07:00",
            slotDate: Date(timeIntervalSince1970: 1_790_000_000 + Double(i) * 86_400),
            started: Date(timeIntervalSince1970: 1_790_000_000 + Double(i) * 86_400), duration: 0.25,
            files: [PublishedFile(path: "\(report)/\(report)_x.csv", contents: Array("a,b\n\(i),2\n".utf8))],
            dataset: DatasetFigures(name: "things", rows: 10, rowsUsed: 7, rowsRejected: 1, sha256: ""),
            datasetChecksum: "00112233aabbccdd", calculators: [CalculatorUse(name: "sum", provider: "CalcSum")],
            error: error)
        o.duration = Double(i)
        return o
    }

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func recordsAreAppendedAndReadBackNewestLast() throws {
        let state = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = RunHistory(stateDirectory: state)
        for i in 0..<3 {
            try history.append(RunRecord(Self.outcome("a", i, error: i == 1 ? "boom" : nil), trigger: .schedule))
        }
        let records = try history.records("a")
        #expect(records.map(\.durationSeconds) == [0, 1, 2])
        #expect(records.map(\.outcome) == [.success, .failed, .success])
        #expect(records[1].error == "boom")
        #expect(records[0].dataset?.rowsUsed == 7 && records[0].dataset?.sha256 == nil)
        #expect(records[0].files?.first?.sha256 == PublishedFile.sha256(Array("a,b\n0,2\n".utf8)))
        #expect(try history.records("a", limit: 2).map(\.durationSeconds) == [1, 2])
        #expect(try history.records("unknown").isEmpty)
        var info = stat()
        #expect(stat(state + "/history", &info) == 0 && info.st_mode & 0o7777 == 0o700)
        #expect(stat(state + "/history/a.jsonl", &info) == 0 && info.st_mode & 0o7777 == 0o600)
    }

    @Test func theHistoryStaysWithinItsBoundsAndKeepsTheNewestDetailed() throws {
        let state = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = RunHistory(stateDirectory: state, keep: 20, detailed: 5)
        for i in 0..<200 {
            try history.append(RunRecord(Self.outcome("a", i), trigger: .schedule))
            let count = try history.records("a").count
            #expect(count <= 22, "after \(i + 1) appends: \(count) records")
        }
        let records = try history.records("a")
        #expect(records.count >= 20)
        #expect(records.last?.durationSeconds == 199)
        // Oldest dropped in order, none lost in between.
        let durations = records.map(\.durationSeconds)
        #expect(durations == (Int(durations.first!)...199).map(Double.init))
        let detailed = records.filter { $0.files != nil }
        #expect((5...6).contains(detailed.count), "\(detailed.count) detailed")
        #expect(detailed.map(\.durationSeconds) == Array(durations.suffix(detailed.count)))
        #expect(records.filter { $0.files == nil }.allSatisfy { $0.compacted == true && $0.calculators == nil })
        #expect(records.allSatisfy { $0.dataset?.rowsUsed == 7 })
    }

    @Test func aLineCutShortByACrashIsSkippedAndTheNextRecordStartsAFreshLine() throws {
        let state = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = RunHistory(stateDirectory: state)
        try history.append(RunRecord(Self.outcome("a", 0), trigger: .schedule))
        let handle = try #require(FileHandle(forWritingAtPath: state + "/history/a.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"report\":\"a\",\"slot\":\"2026-".utf8))
        try handle.close()
        try history.append(RunRecord(Self.outcome("a", 1), trigger: .retry, attempt: 2))
        let records = try history.records("a")
        #expect(records.map(\.durationSeconds) == [0, 1])
        #expect(records.last?.attempt == 2 && records.last?.trigger == .retry)
    }

    @Test func concurrentAppendersLoseNothing() throws {
        let state = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let history = RunHistory(stateDirectory: state, keep: 10_000, detailed: 10_000)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<25 { try? history.append(RunRecord(Self.outcome("a", worker * 100 + i), trigger: .manual)) }
        }
        let records = try history.records("a")
        #expect(records.count == 100)
        #expect(Set(records.map(\.durationSeconds)).count == 100)
    }
}

@Suite struct ManifestTests {
    @Test func theManifestListsEveryKeptRunWithTheHashesOfItsFiles() throws {
        let root = try RunHistoryTests.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let publisher = Publisher(root: root)
        for day in 1...4 {
            let stamp = "2026-11-0\(day)T060000"
            try publisher.publish(
                report: "r",
                files: [
                    .init(name: "r_\(stamp).csv", bytes: Array("x\n\(day)\n".utf8)),
                    .init(name: "r_\(stamp).txt", bytes: Array("day \(day)\n".utf8)),
                    .init(name: "latest.csv", bytes: Array("x\n\(day)\n".utf8)),
                    .init(name: "latest.txt", bytes: Array("day \(day)\n".utf8)),
                ])
            try publisher.applyRetention(report: "r", keep: 3)
            try publisher.writeManifest(
                report: "r", title: "Tiêu đề", extensions: ["csv", "txt"], latest: stamp, known: [:], updatedAt: "now")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/r/manifest.json"))
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        #expect(manifest.title == "Tiêu đề" && manifest.latest == "2026-11-04T060000")
        #expect(manifest.runs.map(\.stamp) == ["2026-11-04T060000", "2026-11-03T060000", "2026-11-02T060000"])
        for run in manifest.runs {
            #expect(run.files.map(\.name) == ["r_\(run.stamp).csv", "r_\(run.stamp).txt"])
            for file in run.files {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/r/" + file.name))
                #expect(file.bytes == bytes.count && file.sha256 == PublishedFile.sha256(bytes))
            }
        }
        #expect(manifest.latestFiles.map(\.name) == ["latest.csv", "latest.txt"])
        #expect(manifest.latestFiles[0].sha256 == manifest.runs[0].files[0].sha256)
        // A file damaged after publishing shows in the next manifest with its new hash: the
        // manifest vouches for what is on the disk, not for what was written.
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: root + "/r/r_2026-11-02T060000.csv"))
        let again = try publisher.writeManifest(
            report: "r", title: "t", extensions: ["csv", "txt"], latest: nil, known: [:], updatedAt: "now")
        #expect(again.runs[2].files[0].sha256 == PublishedFile.sha256(Array("tampered".utf8)))
    }

    /// Files unchanged since the previous manifest keep their hashes without being read again: a
    /// file rewritten with the same size but dated back before that manifest is not noticed (the
    /// documented limit), while one rewritten now is.
    @Test func unchangedFilesKeepTheirHashesWithoutBeingReadAgain() throws {
        let root = try RunHistoryTests.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let publisher = Publisher(root: root)
        try publisher.publish(report: "r", files: [.init(name: "r_2026-11-01T060000.csv", bytes: Array("aaaa".utf8))])
        try publisher.publish(report: "r", files: [.init(name: "r_2026-11-02T060000.csv", bytes: Array("bbbb".utf8))])
        let first = try publisher.writeManifest(
            report: "r", title: "t", extensions: ["csv"], latest: nil, known: [:], updatedAt: "1")
        let old = root + "/r/r_2026-11-01T060000.csv"
        let recent = root + "/r/r_2026-11-02T060000.csv"
        // Same sizes, other bytes; the first dated back an hour, the second left as written now.
        try Data("xxxx".utf8).write(to: URL(fileURLWithPath: old))
        try Data("yyyy".utf8).write(to: URL(fileURLWithPath: recent))
        var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, old, &times, 0) == 0)
        let second = try publisher.writeManifest(
            report: "r", title: "t", extensions: ["csv"], latest: nil, known: [:], updatedAt: "2")
        let hashes = Dictionary(uniqueKeysWithValues: second.runs.flatMap(\.files).map { ($0.name, $0.sha256) })
        let before = Dictionary(uniqueKeysWithValues: first.runs.flatMap(\.files).map { ($0.name, $0.sha256) })
        #expect(hashes["r_2026-11-01T060000.csv"] == before["r_2026-11-01T060000.csv"])
        #expect(hashes["r_2026-11-02T060000.csv"] == PublishedFile.sha256(Array("yyyy".utf8)))
    }
}
