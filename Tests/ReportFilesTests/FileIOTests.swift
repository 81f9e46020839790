import Foundation
import Testing

@testable import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct FileIOTests {
    private func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "reportfiles-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func readToEndReadsPastAWrongSizeHint() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = FileManager.default.createFile(atPath: folder + "/f", contents: Data(bytes))
        let fd = open(folder + "/f", O_RDONLY)
        defer { close(fd) }
        // A hint far below the size: the file grew after fstat.
        #expect(FileIO.readToEnd(fd, sizeHint: 10) == .success(bytes))
    }

    @Test func readToEndStopsAtTheLimit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/f", contents: Data(repeating: 7, count: 10_000))
        let fd = open(folder + "/f", O_RDONLY)
        defer { close(fd) }
        #expect(FileIO.readToEnd(fd, sizeHint: 0, limit: 9_999) == .failure(.tooLarge))
        lseek(fd, 0, SEEK_SET)
        #expect(FileIO.readToEnd(fd, sizeHint: 0, limit: 10_000).map(\.count) == .success(10_000))
    }

    @Test func readToEndOfAFolderIsItsErrno() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        #expect(FileIO.readToEnd(fd, sizeHint: 0) == .failure(.errno(EISDIR)))
    }

    @Test func preadFillAndEnd() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/f", contents: Data([1, 2, 3, 4, 5]))
        let fd = open(folder + "/f", O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 3)
        #expect(buffer.withUnsafeMutableBytes { FileIO.fill(fd, $0.baseAddress!, count: 3, at: 2) })
        #expect(buffer == [3, 4, 5])
        #expect(!buffer.withUnsafeMutableBytes { FileIO.fill(fd, $0.baseAddress!, count: 3, at: 3) })
        #expect(FileIO.endsAt(fd, 5))
        #expect(!FileIO.endsAt(fd, 4))
    }

    @Test func writeAllToAClosedPipeIsEPIPE() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        let previous = signal(SIGPIPE, SIG_IGN)
        defer {
            signal(SIGPIPE, previous)
            close(ends[1])
        }
        #expect(FileIO.writeAll(ends[1], [1, 2, 3]) == EPIPE)
    }

    @Test func forEachBlockSeesEveryByteInOrder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = (0..<70_001).map { UInt8(truncatingIfNeeded: $0) }
        _ = FileManager.default.createFile(atPath: folder + "/f", contents: Data(bytes))
        let fd = open(folder + "/f", O_RDONLY)
        defer { close(fd) }
        var seen: [UInt8] = []
        var blocks = 0
        #expect(FileIO.forEachBlock(fd, blockSize: 1 << 12) { seen += $0; blocks += 1; return true } == nil)
        #expect(seen == bytes)
        #expect(blocks == (70_001 + 4095) / 4096)
    }

    @Test func atomicWriteLeavesOnlyTheFilesWithTheirMode() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try ConfinedFolder.open(atPath: root + "/a/b", permissions: .private)
        defer { close(folder) }
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: "one", bytes: [1]), ConfinedFolder.File(name: "two", bytes: [2, 2])],
            in: folder, path: root + "/a/b", permissions: .private)
        #expect(ConfinedFolder.list(folder).sorted() == ["one", "two"])
        #expect(ConfinedFolder.readFile("two", in: folder) == [2, 2])
        var info = stat()
        #expect(stat(root + "/a/b/one", &info) == 0 && info.st_mode & 0o7777 == 0o600)
        #expect(stat(root + "/a/b", &info) == 0 && info.st_mode & 0o7777 == 0o700)
        // A name that is not one plain component is refused before anything is written.
        #expect(throws: FileError.self) {
            try ConfinedFolder.writeAtomically(
                [ConfinedFolder.File(name: "../x", bytes: [1])], in: folder, path: root, permissions: .private)
        }
        #expect(ConfinedFolder.list(folder).sorted() == ["one", "two"])
    }

    @Test func lockFileIsPrivateAndLocks() throws {
        let state = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let first = try #require(LockFile.open("r.lock", in: "locks", of: state))
        defer { close(first) }
        #expect(FileIO.lock(first, LOCK_EX | LOCK_NB) == 0)
        let second = try #require(LockFile.open("r.lock", in: "locks", of: state))
        defer { close(second) }
        #expect(FileIO.lock(second, LOCK_EX | LOCK_NB) == EWOULDBLOCK)
        var info = stat()
        #expect(stat(state + "/locks/r.lock", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(LockFile.open("../r.lock", in: "locks", of: state) == nil)
    }

    @Test func fileErrorKeepsItsErrnoAndMessage() {
        let error = FileError(EACCES, path: "/x", doing: "writing")
        #expect(error.code == .permissionDenied)
        #expect(error.systemError == EACCES)
        #expect(error.description == "/x: permission denied (writing)")
    }
}
