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
/// is written outside `output.root`.
public struct Publisher: Sendable {
    public let root: String
    /// Mode of published files (before the umask).
    public var fileMode: mode_t = 0o644

    public init(root: String) { self.root = root }

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
        let stale = removeStaleTemporaries(in: folder)
        var staged: [String] = []
        var renamed = 0
        // Whatever was written but not renamed (a failure part-way) is removed.
        defer { for temp in staged[renamed...] { unlinkat(folder, temp, 0) } }
        for file in files { staged.append(try stage(file, in: folder, report: report)) }
        for (temp, file) in zip(staged, files) {
            guard renameat(folder, temp, folder, file.name) == 0 else {
                throw error(errno, path: "\(root)/\(report)/\(file.name)", doing: "renaming into place")
            }
            renamed += 1
        }
        if fsync(folder) != 0 && errno != EINVAL {
            throw error(errno, path: "\(root)/\(report)", doing: "syncing the folder")
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
    public func applyRetention(report: String, keep: Int) throws(PublishError) -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        let names = listFolder(folder)
        let prefix = report + "_"
        var byStamp: [String: [String]] = [:]
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), rest.distance(from: rest.startIndex, to: dot) == 17 else {
                continue
            }
            byStamp[String(rest[..<dot]), default: []].append(name)
        }
        let stamps = byStamp.keys.sorted(by: >)
        guard stamps.count > keep else { return [] }
        var removed: [String] = []
        for stamp in stamps[keep...] {
            for name in byStamp[stamp]! where unlinkat(folder, name, 0) == 0 { removed.append(name) }
        }
        return removed
    }

    // MARK: Low level

    func openReportFolder(_ report: String) throws(PublishError) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw PublishError(
                code: .io, path: root, message: "cannot create the output root: \(FileProblem.describe(error))")
        }
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw self.error(errno, path: root, doing: "opening the output root") }
        defer { close(rootFD) }
        if mkdirat(rootFD, report, 0o755) != 0, errno != EEXIST {
            throw error(errno, path: "\(root)/\(report)", doing: "creating the report folder")
        }
        let fd = openat(rootFD, report, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ELOOP || e == ENOTDIR {
                throw PublishError(
                    code: .symlinkRefused, path: "\(root)/\(report)",
                    message: "is a symbolic link or not a folder; reportd will not write through it (remove it)")
            }
            throw error(e, path: "\(root)/\(report)", doing: "opening the report folder")
        }
        return fd
    }

    /// Writes `file` in full to a new hidden temporary file in the folder and syncs it.
    /// - Returns: the temporary file's name; on failure it is removed.
    private func stage(_ file: File, in folder: Int32, report: String) throws(PublishError) -> String {
        let finalPath = "\(root)/\(report)/\(file.name)"
        let temp = ".\(file.name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = openat(folder, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw error(errno, path: finalPath, doing: "creating a temporary file") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlinkat(folder, temp, 0) }
        }
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

    private func listFolder(_ fd: Int32) -> [String] {
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

    private func error(_ code: Int32, path: String, doing: String) -> PublishError {
        switch code {
        case ENOSPC:
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
