import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A per-report lock (flock on `STATE/locks/NAME.lock`), so that a manual `reportd run NAME` and
/// the daemon never run the same report at once.
public final class ReportLock {
    public enum Mode: Sendable {
        /// Wait until the other run ends.
        case wait
        /// Give up at once with an error.
        case refuse
    }

    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Takes the report's lock. Returns `nil` when the lock file cannot be created (a state folder
    /// this user may not write): the run then goes ahead unlocked, as before locks existed.
    /// - Throws: `RunLockError` in `.refuse` mode when another process holds the lock.
    public static func acquire(stateDirectory: String, report: String, mode: Mode) throws(RunLockError) -> ReportLock? {
        let folder = stateDirectory + "/locks"
        try? FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let path = "\(folder)/\(report).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { return nil }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                close(fd)
                return nil
            }
            if mode == .refuse {
                var buffer = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buffer, buffer.count, 0)
                let holder =
                    n > 0
                    ? String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    : "?"
                close(fd)
                throw RunLockError(report: report, holder: holder)
            }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    close(fd)
                    return nil
                }
            }
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        return ReportLock(fd: fd)
    }
}

/// Another process is running the report.
public struct RunLockError: Error, Sendable, CustomStringConvertible {
    public var report: String
    /// The pid written by the holder.
    public var holder: String

    public var description: String {
        "report '\(report)' is being run by another reportd process (pid \(holder)); wait for it, or use --wait"
    }
}
