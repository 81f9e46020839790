public import Foundation
import ReportCore
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// `STATE/reportd.pid`: how `reportd status` knows whether the daemon is running and alive.
///
/// `serve` holds an exclusive flock on the file for its whole life (so a second daemon on the same
/// state folder refuses to start, and a crashed one leaves no stale claim: the kernel drops the
/// lock with the process), writes its pid, start time, version and systemd status line into it,
/// and touches its modification time every `heartbeatInterval` as a heartbeat. `status` reads the
/// file and tries a shared lock: refused means a daemon holds it.
public final class DaemonPresence: Sendable {
    /// Seconds between heartbeats; `status` calls a daemon whose heartbeat is older than three of
    /// them unresponsive.
    public static let heartbeatInterval: TimeInterval = 30
    public static let fileName = "reportd.pid"

    public struct Info: Codable, Sendable, Equatable {
        public var pid: Int
        public var startedAt: Date
        public var version: String
        public var config: String
        /// The systemd `STATUS=` text: reports loaded, running, the next run.
        public var status: String
        /// The reports running now, with the slot each runs (ISO 8601 with offset).
        public var running: [String: String]?

        enum CodingKeys: String, CodingKey {
            case pid, version, config, status, running
            case startedAt = "started_at"
        }
    }

    /// What `status` learns about the daemon.
    public struct Probe: Sendable {
        public var running: Bool
        public var info: Info?
        /// When the daemon last touched the file.
        public var heartbeat: Date?
        /// Why nothing could be learned (the state folder cannot be read), if so.
        public var problem: String?

        /// Whether a running daemon's heartbeat is older than three intervals.
        public func isStale(now: Date = Date()) -> Bool {
            guard running, let heartbeat else { return false }
            return now.timeIntervalSince(heartbeat) > 3 * DaemonPresence.heartbeatInterval
        }
    }

    /// The pid file's descriptor: replaced when the file was deleted and the claim is made again.
    private let descriptor: Locked<Int32>
    private var fd: Int32 { descriptor.withLock { $0 } }
    private let info: Locked<Info>
    public let path: String
    private let stateDirectory: String

    private init(fd: Int32, info: Info, path: String, stateDirectory: String) {
        self.descriptor = Locked(fd)
        self.info = Locked(info)
        self.path = path
        self.stateDirectory = stateDirectory
    }

    deinit {
        let fd = self.fd
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Claims the state folder for this daemon.
    /// - Throws: `PresenceError` naming the other daemon's pid when one holds it, or what failed.
    public static func claim(stateDirectory: String, config: String) throws -> DaemonPresence {
        let path = stateDirectory + "/" + fileName
        let fd = try lockedFile(stateDirectory: stateDirectory)
        let presence = DaemonPresence(
            fd: fd,
            info: Info(
                pid: Int(getpid()), startedAt: Date(), version: ReportdVersion.current, config: config,
                status: "starting"),
            path: path, stateDirectory: stateDirectory)
        presence.write()
        return presence
    }

    /// The pid file, opened (the state folder and the file created when missing) and locked.
    private static func lockedFile(stateDirectory: String) throws -> Int32 {
        let path = stateDirectory + "/" + fileName
        let state = try ConfinedFolder.open(atPath: stateDirectory, permissions: .private(in: stateDirectory))
        defer { close(state) }
        let fd = openat(state, fileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(errno, path: path, doing: "opening the pid file") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let other = read(fd).flatMap { try? JSONDecoder.presence.decode(Info.self, from: $0) }
            close(fd)
            throw PresenceError(path: path, pid: other?.pid)
        }
        do {
            try ConfinedFolder.setPermissions(fd, mode: 0o600, permissions: .private(in: stateDirectory), path: path)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// What a heartbeat found.
    public enum Beat: Sendable, Equatable {
        case alive
        /// The pid file had been deleted (the state folder removed under the daemon): the claim was
        /// made again on a new file.
        case reclaimed
        /// The pid file had been deleted and could not be claimed again (why).
        case lost(String)
    }

    /// Checks that the pid file is still the one this daemon locked; when it was deleted (its
    /// link count is 0: `rm -rf state` under a running daemon), creates and locks a new one at
    /// once, so `status` still finds the daemon and a second daemon is still refused.
    public func checkClaim() -> Beat {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_nlink == 0 else { return .alive }
        do {
            let fresh = try Self.lockedFile(stateDirectory: stateDirectory)
            let old = descriptor.withLock { fd in
                defer { fd = fresh }
                return fd
            }
            flock(old, LOCK_UN)
            close(old)
            write()
            return .reclaimed
        } catch {
            return .lost("\(error)")
        }
    }

    /// Notes the daemon's status line and the reports running now (written at once), and beats.
    public func update(status: String, running: [String: String]) {
        info.withLock {
            $0.status = status
            $0.running = running
        }
        write()
    }

    /// The heartbeat: touches the file's modification time.
    public func beat() {
        _ = futimens(fd, nil)
    }

    private func write() {
        let data = (try? JSONEncoder.presence.encode(info.withLock { $0 })) ?? Data()
        let bytes = Array(data) + [0x0A]
        _ = ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        beat()
    }

    /// Looks at the state folder's pid file without changing anything.
    public static func probe(stateDirectory: String) -> Probe {
        let path = stateDirectory + "/" + fileName
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return Probe(running: false) }
            return Probe(running: false, problem: "\(path): \(FileProblem.errno(errno))")
        }
        defer { close(fd) }
        var running = false
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
        } else {
            running = errno == EWOULDBLOCK
        }
        var st = stat()
        let heartbeat =
            fstat(fd, &st) == 0
            ? Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
            : nil
        // The daemon rewrites the file in place; a read that meets it half-written is tried again.
        var info: Info?
        for _ in 0..<5 {
            info = read(fd).flatMap { try? JSONDecoder.presence.decode(Info.self, from: $0) }
            if info != nil || !running { break }
            usleep(10_000)
        }
        return Probe(running: running, info: info, heartbeat: heartbeat)
    }

    private static func read(_ fd: Int32) -> Data? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Data(buffer[..<n]) : nil
    }
}

/// Another daemon holds the state folder.
public struct PresenceError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var pid: Int?

    public var description: String {
        "another reportd daemon is running with this state folder (\(path), pid \(pid.map(String.init) ?? "?")); "
            + "stop it first, or give this one another 'state' folder"
    }
}

extension JSONEncoder {
    fileprivate static var presence: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

extension JSONDecoder {
    fileprivate static var presence: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }
}
