import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a report's files into `output.root` so that readers of the shared folder never see a
/// partial file, and no write follows a symbolic link planted there.
///
/// Each file is written to a hidden temporary file in its final folder and fsynced; once every file
/// of the run is written, each is renamed over its final name (rename replaces a link rather than
/// following it), and the folder is fsynced. A run that cannot write all its files (a full disk)
/// leaves nothing behind and replaces nothing. The
/// report's folder is opened with `O_NOFOLLOW | O_DIRECTORY` relative to the root's descriptor, and
/// every file is created with `O_EXCL | O_NOFOLLOW` relative to that folder's descriptor, so nothing
/// is written outside `output.root`. (The root itself is the administrator's path: links in it are
/// followed.)
///
/// Modes and group are set explicitly with `fchown`/`fchmod` on every file and on every folder
/// the publisher creates, so the process's umask neither widens nor narrows them.
public struct Publisher: Sendable {
    public let root: String
    /// Modes and group of what is published.
    public var permissions: Permissions
    /// The report's time zone, in which run stamps are read to order runs by real time (a stamp
    /// without an offset is a local time; see `SlotTime.instant(ofStamp:in:)`).
    public var timeZone = TimeZone(identifier: "UTC")!
    /// The runs reportd wrote, by stamp, with their instants (from the manifest, and the run being
    /// published); nil: every run found by name counts, ordered by its stamp read in `timeZone`.
    ///
    /// Why: a stamp is a local time without an offset. When a report's `timezone` changes, the old
    /// stamps read in the new zone land hours off, and retention deleted the run it had just
    /// published while `latest.*` stayed frozen; a file planted under a run's name dated 2099 froze
    /// `latest.*` for good. Ordered by the instants reportd recorded, and ignoring future names it
    /// did not record, neither happens (issue 13).
    public var runInstants: [String: Date]?

    public init(root: String, permissions: Permissions = .shared) {
        self.root = root
        self.permissions = permissions
    }

    /// The modes and group given to published files and to the folders the publisher creates.
    public struct Permissions: Sendable, Equatable {
        /// Mode of every published file (exactly this; the umask plays no part).
        public var fileMode: mode_t
        /// Mode of every folder the publisher creates (the root when missing, report folders).
        /// Existing folders keep theirs.
        public var folderMode: mode_t
        /// Group of published files and created folders; `nil` leaves the one the system gives
        /// (the folder's group under a setgid folder, else the process's).
        public var group: gid_t?
        /// How the group was written in the config, for messages.
        public var groupName: String?
        /// Owner of created files and folders, when root writes into a folder that belongs to
        /// another user (see `private(in:)`); `nil` leaves the creator's.
        public var owner: uid_t?

        public init(fileMode: mode_t, folderMode: mode_t, group: gid_t? = nil, groupName: String? = nil) {
            self.fileMode = fileMode
            self.folderMode = folderMode
            self.group = group
            self.groupName = groupName
        }

        /// The output defaults: group-readable, nothing for others, folders setgid so their files
        /// keep the folder's group (`output.file_mode: "0640"`, `output.folder_mode: "2750"`).
        public static let shared = Permissions(fileMode: 0o640, folderMode: 0o2750)
        /// The state folder: the daemon's user alone.
        public static let `private` = Permissions(fileMode: 0o600, folderMode: 0o700)

        /// `.private`, for files in the state folder at `path`. When root writes there (an
        /// administrator's `sudo reportd run`) and the folder belongs to another user (the
        /// service's), what root creates is given to that user and group: otherwise the daemon
        /// could no longer read its report's state or append to its history.
        public static func `private`(in path: String) -> Permissions {
            var permissions = Permissions.private
            var info = stat()
            if geteuid() == 0, stat(path, &info) == 0, info.st_uid != 0 {
                permissions.owner = info.st_uid
                permissions.group = info.st_gid
            }
            return permissions
        }
    }

    /// One file to publish.
    public struct File: Sendable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Publishes `files` into the report's folder, in order, each atomically.
    ///
    /// Every file is first written in full to a hidden temporary file and synced; only when all of
    /// them are written are they renamed into place, in order. So a failure while writing (a full
    /// disk, an I/O error) removes the temporary files and changes nothing a reader can see: no
    /// file of the failed run appears and the previous files, `latest.*` included, stay as they were.
    ///
    /// Temporary files left in the folder by a process that was killed while publishing (its pid
    /// no longer runs) are removed first.
    ///
    /// - Returns: the names of the stale temporary files removed.
    @discardableResult
    public func publish(report: String, files: [File]) throws(PublishError) -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        return try write(files, in: folder, path: "\(root)/\(report)")
    }

    /// Publishes `files` into the root folder itself, in order, each atomically (the state store's
    /// `NAME.json` files).
    @discardableResult
    public func publish(files: [File]) throws(PublishError) -> [String] {
        let folder = try Self.openFolder(atPath: root, permissions: permissions)
        defer { close(folder) }
        return try write(files, in: folder, path: root)
    }

    func write(_ files: [File], in folder: Int32, path: String) throws(PublishError) -> [String] {
        let stale = removeStaleTemporaries(in: folder)
        var staged: [String] = []
        var renamed = 0
        // Whatever was written but not renamed (a failure part-way) is removed.
        defer { for temp in staged[renamed...] { unlinkat(folder, temp, 0) } }
        for file in files { staged.append(try stage(file, in: folder, folderPath: path)) }
        for (temp, file) in zip(staged, files) {
            guard renameat(folder, temp, folder, file.name) == 0 else {
                throw error(errno, path: "\(path)/\(file.name)", doing: "renaming into place")
            }
            renamed += 1
        }
        if fsync(folder) != 0 && errno != EINVAL {
            throw error(errno, path: path, doing: "syncing the folder")
        }
        return stale
    }

    /// Whether `name` is one of the publisher's temporary files (`.NAME.tmp-PID-RANDOM`); the pid
    /// of the process that wrote it.
    static func temporaryFilePID(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
        return pid
    }

    /// Removes temporary files whose writer is gone: a process killed between creating its
    /// temporary file and renaming it leaves one behind. Files of this process and of any process
    /// still running (another reportd publishing now) are left alone.
    func removeStaleTemporaries(in folder: Int32) -> [String] {
        var removed: [String] = []
        for name in listFolder(folder) {
            guard let pid = Self.temporaryFilePID(name), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }
            if unlinkat(folder, name, 0) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Removes the oldest runs beyond `keep` (a run = every file with one slot stamp).
    /// - Returns: the names removed.
    @discardableResult
    ///
    /// - Parameter protecting: the run just published, which is never removed, whatever the order.
    public func applyRetention(report: String, keep: Int, protecting: String? = nil) throws(PublishError) -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        let byStamp = Self.runs(of: report, in: listFolder(folder))
        var stamps = newestFirst(knownStamps(Array(byStamp.keys)))
        if let protecting, let index = stamps.firstIndex(of: protecting) {
            stamps.remove(at: index)
            stamps.insert(protecting, at: 0)
        }
        guard stamps.count > keep else { return [] }
        var removed: [String] = []
        for stamp in stamps[keep...] {
            for name in byStamp[stamp]! where unlinkat(folder, name, 0) == 0 { removed.append(name) }
        }
        return removed
    }

    /// Among `stamps`, those that can be runs reportd wrote: the ones it recorded, and, since a run
    /// killed before its manifest was rewritten is not recorded, any other that is not in the
    /// future (reportd never publishes a slot before its time); all when `runInstants` is nil.
    func knownStamps(_ stamps: [String], now: Date = Date()) -> [String] {
        guard let runInstants else { return stamps }
        return stamps.filter { stamp in
            if runInstants[stamp] != nil { return true }
            guard let date = SlotTime.instant(ofStamp: stamp[...], in: timeZone) else { return false }
            return date <= now.addingTimeInterval(60)
        }
    }

    /// The instant of a run: as recorded, else its stamp read in `timeZone`.
    func instant(of stamp: String) -> Date? {
        runInstants?[stamp] ?? SlotTime.instant(ofStamp: stamp[...], in: timeZone)
    }

    /// The files of each run among `names` (`REPORT_STAMP.EXT`), by slot stamp.
    static func runs(of report: String, in names: [String]) -> [String: [String]] {
        let prefix = report + "_"
        var byStamp: [String: [String]] = [:]
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            // `2026-11-29T060000`, or `2027-10-31T023000+0100` for a second pass (SPEC.md, "Outputs").
            guard let dot = rest.firstIndex(of: "."), [17, 22].contains(rest.distance(from: rest.startIndex, to: dot)),
                SlotTime.instant(ofStamp: rest[..<dot], in: TimeZone(identifier: "UTC")!) != nil
            else {
                continue
            }
            byStamp[String(rest[..<dot]), default: []].append(name)
        }
        return byStamp
    }

    /// `stamps` newest first by the instants they stand for in `timeZone` (ties, which only a
    /// changed zone can make, by name).
    func newestFirst(_ stamps: [String]) -> [String] {
        let zone = timeZone
        let keyed = stamps.map { ($0, runInstants?[$0] ?? SlotTime.instant(ofStamp: $0, in: zone) ?? .distantPast) }
        return keyed.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    }

    // MARK: Low level

    func openReportFolder(_ report: String) throws(PublishError) -> Int32 {
        let rootFD = try Self.openFolder(atPath: root, permissions: permissions)
        defer { close(rootFD) }
        return try Self.openChildFolder(report, in: rootFD, path: "\(root)/\(report)", permissions: permissions)
    }

    /// Writes `file` in full to a new hidden temporary file in the folder, with its mode and
    /// group, and syncs it.
    /// - Returns: the temporary file's name; on failure it is removed.
    private func stage(_ file: File, in folder: Int32, folderPath: String) throws(PublishError) -> String {
        let finalPath = "\(folderPath)/\(file.name)"
        try Self.checkName(file.name, path: finalPath)
        // Created private, then given its group and mode explicitly: the umask plays no part, and
        // nobody can open the file wider than intended while it is being written. A name taken by
        // something planted (O_EXCL refuses it, link or not) is retried with another.
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temp = ".\(file.name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = openat(folder, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw error(errno, path: finalPath, doing: "creating a temporary file") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlinkat(folder, temp, 0) }
        }
        try Self.setPermissions(fd, mode: permissions.fileMode, permissions: permissions, path: finalPath)
        var written = 0
        let total = file.bytes.count
        while written < total {
            let n = file.bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, total - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw error(errno, path: finalPath, doing: "writing")
            }
            written += n
        }
        if fsync(fd) != 0 { throw error(errno, path: finalPath, doing: "syncing") }
        ok = true
        return temp
    }

    func listFolder(_ fd: Int32) -> [String] {
        let dup = dup(fd)
        guard dup >= 0, let dir = fdopendir(dup) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Free blocks and free inodes (for unprivileged users) of the volume holding `path`, or of
    /// its nearest existing parent.
    static func freeOnVolume(of path: String) -> (blocks: UInt64, inodes: UInt64)? {
        var candidate = path
        while !candidate.isEmpty {
            var info = statvfs()
            if statvfs(candidate, &info) == 0 { return (UInt64(info.f_bavail), UInt64(info.f_favail)) }
            guard let slash = candidate.lastIndex(of: "/") else { return nil }
            candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
            if candidate == "/" {
                var root = statvfs()
                return statvfs("/", &root) == 0 ? (UInt64(root.f_bavail), UInt64(root.f_favail)) : nil
            }
        }
        return nil
    }

    private func error(_ code: Int32, path: String, doing: String) -> PublishError {
        Self.error(code, path: path, doing: doing)
    }

    static func error(_ code: Int32, path: String, doing: String) -> PublishError {
        switch code {
        case ENOSPC:
            // ENOSPC also means "no free inodes": say which, or an administrator frees space on
            // a volume that has plenty.
            if let (blocks, inodes) = Self.freeOnVolume(of: path), inodes == 0, blocks > 0 {
                return PublishError(
                    code: .diskFull, path: path,
                    message:
                        "the volume has no free inodes (room for no more files, though space is free) (\(doing)); "
                        + "remove files there (`df -i` shows it), such as old runs, or lower output.keep")
            }
            return PublishError(
                code: .diskFull, path: path,
                message: "the disk is full: no space left on the device (\(doing)); free space on that volume")
        case EDQUOT:
            return PublishError(
                code: .diskFull, path: path,
                message: "the disk is full: disk quota exceeded (\(doing)); free space or raise the quota")
        case EACCES, EPERM:
            return PublishError(code: .permissionDenied, path: path, message: "permission denied (\(doing))")
        case ELOOP:
            return PublishError(
                code: .symlinkRefused, path: path,
                message: "a symbolic link is in the way (\(doing)); reportd will not follow it")
        default:
            return PublishError(code: .io, path: path, message: "\(FileProblem.errno(code)) (\(doing))")
        }
    }
}
