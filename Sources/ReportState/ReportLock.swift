import Foundation
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// A per-report lock (flock on `STATE/locks/NAME.lock`), so that a manual `reportd run NAME` and
/// the daemon never run the same report at once.
///
/// The lock file is private (0600, in a `locks/` folder of mode 0700, in a state folder created
/// 0700), set explicitly whatever the umask, and opened without following a link: by descriptor
/// from the state folder, `locks` with `O_NOFOLLOW | O_DIRECTORY`, the file with `O_NOFOLLOW`.
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
        guard let fd = openLockFile(stateDirectory: stateDirectory, report: report) else { return nil }
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
            if FileIO.lock(fd, LOCK_EX) != 0 {
                close(fd)
                return nil
            }
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        return ReportLock(fd: fd)
    }
}

extension ReportLock {
    /// Opens (creating when missing) `STATE/locks/NAME.lock`, or nil when it cannot be.
    static func openLockFile(stateDirectory: String, report: String) -> Int32? {
        LockFile.open("\(report).lock", in: "locks", of: stateDirectory)
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
