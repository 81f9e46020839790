import Foundation
import Testing

import ReportCore
import ReportFiles
@testable import ReportPublish

#if canImport(Glibc)
    import Glibc
#endif

/// The publisher after a fault: a failed publish changes nothing, and temporary files left by a
/// killed process are removed by the next publish.
@Suite struct PublisherRecoveryTests {
    final class Root {
        let path: String
        init() throws {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("reportd-recovery-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func names(_ report: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(report)")) ?? []).sorted()
        }
        func text(_ relative: String) -> String? {
            FileManager.default.contents(atPath: "\(path)/\(relative)").map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test func temporaryFileNamesAreRecognised() {
        #expect(ConfinedFolder.temporaryFilePID(".latest.csv.tmp-4242-17") == 4242)
        #expect(ConfinedFolder.temporaryFilePID(".r_2026-11-29T060000.json.tmp-1-4294967295") == 1)
        #expect(ConfinedFolder.temporaryFilePID("latest.csv") == nil)
        #expect(ConfinedFolder.temporaryFilePID("latest.csv.tmp-1-2") == nil)
        #expect(ConfinedFolder.temporaryFilePID(".latest.csv.tmp-x-2") == nil)
        #expect(ConfinedFolder.temporaryFilePID(".latest.csv.tmp-1-2-x") == nil)
        #expect(ConfinedFolder.temporaryFilePID(".notes") == nil)
        // Names carry the writer's host since several machines may share the folder (issue 17).
        #expect(
            ConfinedFolder.temporaryFileWriter(".latest.csv.tmp-report-1.example-4242-17")
                == .init(host: "report-1.example", pid: 4242))
        #expect(ConfinedFolder.temporaryFileWriter(".latest.csv.tmp-4242-17") == .init(host: nil, pid: 4242))
        #expect(ConfinedFolder.temporaryFileWriter(".latest.csv.tmp--4242-17") == nil)
        #expect(!ConfinedFolder.hostTag.isEmpty && !ConfinedFolder.hostTag.contains("/"))
    }

    /// A folder shared by several machines: another host's temporary file is never removed, whatever
    /// its pid says here; this host's file of a dead writer is, and so is one written before names
    /// carried the host (issue 17).
    @Test func onlyThisHostsDeadWritersFilesAreRemoved() throws {
        let root = try Root()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("a\n".utf8))])
        let pidMax =
            (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 4_194_304
        let dead = pidMax + 1
        let here = ".latest.json.tmp-\(ConfinedFolder.hostTag)-\(dead)-5"
        let elsewhere = ".latest.json.tmp-\(ConfinedFolder.hostTag)x-\(dead)-6"
        let older = ".latest.txt.tmp-\(dead)-7"
        for name in [here, elsewhere, older] {
            _ = FileManager.default.createFile(atPath: "\(root.path)/r/\(name)", contents: Data("{".utf8))
        }
        let removed = try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("b\n".utf8))])
        #expect(removed == [here, older].sorted())
        #expect(root.names("r") == [elsewhere, "latest.csv"].sorted())
    }

    /// The publish gate is asked once every file is written, before any rename: when it refuses,
    /// nothing a reader sees changes and no temporary file is left.
    @Test func aRefusingGatePublishesNothing() throws {
        let root = try Root()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("old\n".utf8))])
        struct Refused: Error {}
        let asked = Locked(0)
        let folder = "\(root.path)/r"
        #expect(throws: Refused.self) {
            try publisher.publish(
                report: "r",
                files: [
                    .init(name: "r_2026-11-29T060000.csv", bytes: Array("new\n".utf8)),
                    .init(name: "latest.csv", bytes: Array("new\n".utf8)),
                ],
                gate: {
                    // Both files are written (hidden) when the gate is asked.
                    let staged = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                    asked.withLock { $0 = staged.filter { $0.contains(".tmp-") }.count }
                    throw Refused()
                })
        }
        #expect(asked.withLock { $0 } == 2)
        #expect(root.names("r") == ["latest.csv"])
        #expect(root.text("r/latest.csv") == "old\n")
        try publisher.publish(
            report: "r", files: [.init(name: "latest.csv", bytes: Array("new\n".utf8))], gate: {})
        #expect(root.text("r/latest.csv") == "new\n")
    }

    @Test func aFailedPublishLeavesNothingNewAndReplacesNothing() throws {
        let root = try Root()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("old\n".utf8))])
        // The second file cannot be created (its folder does not exist): the first, already
        // written in full, must not be renamed into place either.
        #expect(throws: PublishError.self) {
            try publisher.publish(
                report: "r",
                files: [
                    .init(name: "r_2026-11-29T060000.csv", bytes: Array("new\n".utf8)),
                    .init(name: "latest.csv", bytes: Array("new\n".utf8)),
                    .init(name: "missing/latest.txt", bytes: Array("new\n".utf8)),
                ])
        }
        #expect(root.names("r") == ["latest.csv"])
        #expect(root.text("r/latest.csv") == "old\n")
    }

    @Test func temporaryFilesOfProcessesThatAreGoneAreRemoved() throws {
        let root = try Root()
        let publisher = Publisher(root: root.path)
        try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("a\n".utf8))])
        let pidMax =
            (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 4_194_304
        let gone = ".latest.json.tmp-\(pidMax + 1)-5"
        let mine = ".latest.csv.tmp-\(getpid())-6"
        let running = ".latest.txt.tmp-1-7"  // pid 1 always runs
        for name in [gone, mine, running, ".other"] {
            _ = FileManager.default.createFile(atPath: "\(root.path)/r/\(name)", contents: Data("{".utf8))
        }
        let removed = try publisher.publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("b\n".utf8))])
        #expect(removed == [gone])
        #expect(
            root.names("r")
                == [".latest.csv.tmp-\(getpid())-6", ".latest.txt.tmp-1-7", ".other", "latest.csv"].sorted())
        #expect(root.text("r/latest.csv") == "b\n")
    }
}
