import Foundation
import Testing

@testable import ReportCore
import ReportFiles
@testable import ReportPublish

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A temporary output root; removed when the test ends.
private final class OutputRoot {
    let path: String
    let outside: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-publish-\(UUID().uuidString)")
        path = base.appendingPathComponent("root").path
        outside = base.appendingPathComponent("outside").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    func names(_ report: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(path)/\(report)").sorted()
    }

    func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(relative)")))
    }
}

/// Whether `path` itself (not what it points to) is a regular file.
private func isRegularFile(_ path: String) -> Bool {
    var st = stat()
    guard lstat(path, &st) == 0 else { return false }
    return (st.st_mode & S_IFMT) == S_IFREG
}

/// The publisher (moved from WriterTests when the writers became modules of their own).
@Suite struct PublisherTests {
    private let csvName = "r_2026-11-29T060000.csv"

    @Test func publishWritesExactBytesAndLeavesNoTemporaryFile() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        let csv = Array("a,b\nSìn Hồ,1\n".utf8)
        let json = Array("{\"x\": 1}\n".utf8)
        try publisher.publish(
            report: "r",
            files: [
                .init(name: csvName, bytes: csv), .init(name: "r_2026-11-29T060000.json", bytes: json),
                .init(name: "latest.csv", bytes: csv), .init(name: "empty.txt", bytes: []),
            ])
        #expect(try root.names("r") == ["empty.txt", "latest.csv", csvName, "r_2026-11-29T060000.json"].sorted())
        #expect(try root.bytes("r/\(csvName)") == csv)
        #expect(try root.bytes("r/latest.csv") == csv)
        #expect(try root.bytes("r/r_2026-11-29T060000.json") == json)
        #expect(try root.bytes("r/empty.txt") == [])
        #expect(try !root.names("r").contains { $0.hasPrefix(".") })
    }

    @Test func publishCreatesAMissingRoot() throws {
        let root = try OutputRoot()
        let nested = root.path + "/a/b"
        try Publisher(root: nested).publish(report: "r", files: [.init(name: "latest.txt", bytes: [65])])
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: nested + "/r/latest.txt"))) == [65])
    }

    @Test func republishingReplacesTheFiles() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: csvName, bytes: Array("first, and longer\n".utf8))])
        try publisher.publish(report: "r", files: [.init(name: csvName, bytes: Array("second\n".utf8))])
        #expect(try root.bytes("r/\(csvName)") == Array("second\n".utf8))
        #expect(try root.names("r") == [csvName])
    }

    @Test func symlinkPlantedAtTheReportFolderIsRefused() throws {
        let root = try OutputRoot()
        try FileManager.default.createSymbolicLink(atPath: "\(root.path)/r", withDestinationPath: root.outside)
        let error = #expect(throws: PublishError.self) {
            try Publisher(root: root.path).publish(report: "r", files: [.init(name: "latest.csv", bytes: [1, 2, 3])])
        }
        #expect(error?.code == .symlinkRefused)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.outside).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(root.path)/r"))  // the link is left for the admin
        #expect(throws: PublishError.self) { try Publisher(root: root.path).applyRetention(report: "r", keep: 1) }
    }

    @Test func danglingSymlinkAtTheReportFolderIsRefused() throws {
        let root = try OutputRoot()
        let target = root.outside + "/not-yet"
        try FileManager.default.createSymbolicLink(atPath: "\(root.path)/r", withDestinationPath: target)
        let error = #expect(throws: PublishError.self) {
            try Publisher(root: root.path).publish(report: "r", files: [.init(name: "latest.csv", bytes: [1])])
        }
        #expect(error?.code == .symlinkRefused)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func symlinkPlantedAtLatestIsReplacedNotFollowed() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: csvName, bytes: [1])])
        let victim = root.outside + "/passwd"
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: "\(root.path)/r/latest.csv", withDestinationPath: victim)
        let csv = Array("a\n1\n".utf8)
        try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: csv)])
        #expect(isRegularFile("\(root.path)/r/latest.csv"))
        #expect(try root.bytes("r/latest.csv") == csv)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: victim))) == Array("secret\n".utf8))
    }

    @Test func retentionRemovesTheOldestStampsAndKeepsLatest() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        let stamps = [
            "2026-11-25T060000", "2026-11-26T060000", "2026-11-27T060000", "2026-11-28T060000", "2026-11-29T060000",
        ]
        for stamp in stamps.shuffled() {
            try publisher.publish(
                report: "r",
                files: ["csv", "json", "txt"].map { Publisher.File(name: "r_\(stamp).\($0)", bytes: Array(stamp.utf8)) }
                    + [Publisher.File(name: "latest.csv", bytes: Array(stamp.utf8))])
        }
        try publisher.publish(report: "r", files: [.init(name: "r_2026-11-24T060000.rejected.csv", bytes: [1])])
        try publisher.publish(report: "r", files: [.init(name: "notes.txt", bytes: [1])])
        let removed = try publisher.applyRetention(report: "r", keep: 2)
        let expectedRemoved =
            ["2026-11-24T060000"].map { "r_\($0).rejected.csv" }
            + stamps.prefix(3).flatMap { s in ["csv", "json", "txt"].map { "r_\(s).\($0)" } }
        #expect(removed.sorted() == expectedRemoved.sorted())
        let kept = stamps.suffix(2).flatMap { s in ["csv", "json", "txt"].map { "r_\(s).\($0)" } }
        #expect(try root.names("r") == (kept + ["latest.csv", "notes.txt"]).sorted())
    }

    @Test func retentionWithFewerRunsThanKeepRemovesNothing() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        try publisher.publish(
            report: "r", files: [.init(name: csvName, bytes: [1]), .init(name: "latest.csv", bytes: [1])])
        #expect(try publisher.applyRetention(report: "r", keep: 1).isEmpty)
        #expect(try publisher.applyRetention(report: "r", keep: 30).isEmpty)
        #expect(try root.names("r") == ["latest.csv", csvName].sorted())
    }

    @Test func retentionIgnoresOtherReportsWithASharedPrefix() throws {
        let root = try OutputRoot()
        let publisher = Publisher(root: root.path)
        try publisher.publish(
            report: "r",
            files: [
                .init(name: "r_2026-11-28T060000.csv", bytes: [1]), .init(name: "r_2026-11-29T060000.csv", bytes: [1]),
                .init(name: "r_x_2026-11-20T060000.csv", bytes: [1]),
            ])
        let removed = try publisher.applyRetention(report: "r", keep: 1)
        #expect(removed == ["r_2026-11-28T060000.csv"])
        #expect(try root.names("r").contains("r_x_2026-11-20T060000.csv"))
    }
}
