import Foundation
import ReportConfig
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

#if canImport(Glibc)
    import Glibc
#endif

/// The state folder, its `NAME.json` files and its per-report lock files are private, and no write
/// there follows a planted link (issue 6, promises 4 and 5).
@Suite(.blocking) struct StatePrivacyTests {
    final class Folders {
        let base: String
        var state: String { base + "/var/state" }
        var outside: String { base + "/outside" }

        init() throws {
            base =
                FileManager.default.temporaryDirectory.appendingPathComponent("reportd-state-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: base) }

        func victim(_ name: String) throws -> String {
            let path = outside + "/" + name
            try Data("do not touch\n".utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
    }

    func info(_ path: String) -> stat? {
        var s = stat()
        return lstat(path, &s) == 0 ? s : nil
    }

    func mode(_ path: String) -> mode_t? { info(path).map { $0.st_mode & 0o7777 } }

    @Test func theStateFolderAndItsFilesArePrivate() throws {
        let f = try Folders()
        let store = StateStore(directory: f.state)
        _ = try store.record(
            "r", slot: Date(timeIntervalSince1970: 1_800_000_000), trigger: .schedule, error: nil, at: Date())
        #expect(mode(f.state) == 0o700)
        #expect(mode(f.state + "/r.json") == 0o600)
        #expect(mode(f.base + "/var") == 0o755)
        #expect(store.load("r").lastCompletedSlot == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.state) == ["r.json"])
    }

    @Test func aLinkPlantedAtAStateFileIsReplacedNotFollowed() throws {
        let f = try Folders()
        let victim = try f.victim("passwd")
        try FileManager.default.createDirectory(atPath: f.state, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.state + "/r.json", withDestinationPath: victim)
        _ = try StateStore(directory: f.state).record("r", slot: Date(), trigger: .manual, error: nil, at: Date())
        #expect(try f.text(victim) == "do not touch\n")
        #expect((info(f.state + "/r.json")?.st_mode ?? 0) & S_IFMT == S_IFREG)
        #expect(mode(f.state + "/r.json") == 0o600)
    }

    @Test func theLockFileAndItsFolderArePrivate() throws {
        let f = try Folders()
        let lock = try ReportLock.acquire(stateDirectory: f.state, report: "r", mode: .refuse)
        #expect(lock != nil)
        #expect(mode(f.state) == 0o700)
        #expect(mode(f.state + "/locks") == 0o700)
        #expect(mode(f.state + "/locks/r.lock") == 0o600)
        #expect(try f.text(f.state + "/locks/r.lock") == "\(getpid())\n")
        // Held: a second taker in refuse mode is told who holds it (flock is per open file).
        #expect(throws: RunLockError.self) {
            _ = try ReportLock.acquire(stateDirectory: f.state, report: "r", mode: .refuse)
        }
        withExtendedLifetime(lock) {}
    }

    @Test func aLinkPlantedAtTheLockFileIsNeverWrittenThrough() throws {
        let f = try Folders()
        let victim = try f.victim("shadow")
        try FileManager.default.createDirectory(atPath: f.state + "/locks", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.state + "/locks/r.lock", withDestinationPath: victim)
        let lock = try ReportLock.acquire(stateDirectory: f.state, report: "r", mode: .refuse)
        #expect(lock == nil)  // the run goes ahead unlocked, as with any lock file it cannot open
        #expect(try f.text(victim) == "do not touch\n")
    }

    @Test func aLinkPlantedAtTheLocksFolderIsNeverWrittenThrough() throws {
        let f = try Folders()
        try FileManager.default.createDirectory(atPath: f.state, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.state + "/locks", withDestinationPath: f.outside)
        let lock = try ReportLock.acquire(stateDirectory: f.state, report: "r", mode: .refuse)
        #expect(lock == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.outside).isEmpty)
    }
}
