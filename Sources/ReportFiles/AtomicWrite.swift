import Foundation

#if canImport(Glibc)
    public import Glibc
#elseif canImport(Musl)
    public import Musl
#elseif canImport(Darwin)
    public import Darwin
#endif

/// Atomic writes into a confined folder.
extension ConfinedFolder {
    /// One file to publish.
    public struct File: Sendable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Writes `files` into the open folder `folder` (at `path`, for messages), in order, each
    /// atomically, with `permissions`: each is written in full to a hidden temporary file and
    /// synced; only when all are written are they renamed into place, in order, and the folder
    /// synced. A failure part-way removes the temporary files and changes nothing a reader sees.
    /// Temporary files left by a process that is gone are removed first.
    /// - Returns: the names of the stale temporary files removed.
    @discardableResult
    public static func writeAtomically(
        _ files: [File], in folder: Int32, path: String, permissions: FilePermissions
    ) throws(FileError) -> [String] {
        do {
            return try writeAtomically(files, in: folder, path: path, permissions: permissions, gate: nil)
        } catch let error as FileError {
            throw error
        } catch {
            // Without a gate only file errors are thrown.
            throw FileError(EIO, path: path, doing: "publishing (\(error))")
        }
    }

    /// As `writeAtomically(_:in:path:permissions:)`, asking `gate` once every file is written and
    /// synced, immediately before the first rename: an error it throws removes the temporary files
    /// and is rethrown, and nothing a reader sees changes (a cluster's fencing check, see
    /// `PublishGate`). With `syncFolder` false the folder is not synced after the renames: the
    /// caller syncs it (`syncFolder(_:path:)`, or a next atomic write into it, whose folder sync
    /// makes these renames durable too), also when it fails before.
    @discardableResult
    public static func writeAtomically(
        _ files: [File], in folder: Int32, path: String, permissions: FilePermissions, gate: (() throws -> Void)?,
        syncFolder: Bool = true
    ) throws -> [String] {
        let stale = removeStaleTemporaries(in: folder)
        var staged: [String] = []
        var renamed = 0
        // Whatever was written but not renamed (a failure part-way) is removed.
        defer { for temp in staged[renamed...] { unlinkat(folder, temp, 0) } }
        for file in files { staged.append(try stage(file, in: folder, folderPath: path, permissions: permissions)) }
        try gate?()
        for (temp, file) in zip(staged, files) {
            guard renameat(folder, temp, folder, file.name) == 0 else {
                throw FileError(errno, path: "\(path)/\(file.name)", doing: "renaming into place")
            }
            renamed += 1
        }
        if syncFolder { try Self.syncFolder(folder, path: path) }
        return stale
    }

    /// Makes the renames and removals done in the open folder durable (a file system that cannot
    /// sync a folder, EINVAL, is left as it is).
    public static func syncFolder(_ folder: Int32, path: String) throws(FileError) {
        if fsync(folder) != 0 && errno != EINVAL {
            throw FileError(errno, path: path, doing: "syncing the folder")
        }
    }

    /// Writes `files` atomically into the folder at `path` (created with `permissions` when
    /// missing, as `open(atPath:permissions:)` does).
    @discardableResult
    public static func writeAtomically(
        _ files: [File], intoFolderAt path: String, permissions: FilePermissions
    ) throws(FileError) -> [String] {
        let folder = try open(atPath: path, permissions: permissions)
        defer { close(folder) }
        return try writeAtomically(files, in: folder, path: path, permissions: permissions)
    }

    /// The host part of temporary file names: this machine's name, with any character other than
    /// letters, digits, `.` and `_` replaced by `_` (a `-` would be read as a separator).
    public static let hostTag: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let tag = String(
            name.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "_")
                    ? Character(scalar) : "_"
            })
        return tag.isEmpty ? "localhost" : tag
    }()

    /// The writer of one of the publisher's temporary files: the host tag (nil in names written
    /// before temporary files carried it) and the pid.
    public struct TemporaryWriter: Equatable, Sendable {
        public var host: String?
        public var pid: pid_t

        public init(host: String?, pid: pid_t) {
            self.host = host
            self.pid = pid
        }
    }

    /// Whether `name` is one of the publisher's temporary files (`.NAME.tmp-HOST-PID-RANDOM`, or
    /// `.NAME.tmp-PID-RANDOM` as earlier versions wrote them); who wrote it.
    public static func temporaryFileWriter(_ name: String) -> TemporaryWriter? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, let pid = pid_t(parts[parts.count - 2]), pid > 0, UInt32(parts[parts.count - 1]) != nil
        else { return nil }
        if parts.count == 2 { return TemporaryWriter(host: nil, pid: pid) }
        let host = parts.dropLast(2).joined(separator: "-")
        return host.isEmpty ? nil : TemporaryWriter(host: host, pid: pid)
    }

    /// The pid of the process that wrote the temporary file `name`, whichever host it ran on.
    public static func temporaryFilePID(_ name: String) -> pid_t? { temporaryFileWriter(name)?.pid }

    /// Removes temporary files whose writer is gone: a process killed between creating its
    /// temporary file and renaming it leaves one behind. Only files written on this host are
    /// judged (a pid means nothing on another machine sharing the folder): files of this process,
    /// of any process still running here (another reportd publishing now) and of other hosts are
    /// left alone.
    public static func removeStaleTemporaries(in folder: Int32) -> [String] {
        var removed: [String] = []
        for name in list(folder) {
            guard let writer = Self.temporaryFileWriter(name), writer.pid != getpid() else { continue }
            if let host = writer.host, host != hostTag { continue }
            if kill(writer.pid, 0) == 0 || errno != ESRCH { continue }
            if unlinkat(folder, name, 0) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Writes `file` in full to a new hidden temporary file in the folder, with its mode and
    /// group, and syncs it.
    /// - Returns: the temporary file's name; on failure it is removed.
    private static func stage(
        _ file: File, in folder: Int32, folderPath: String, permissions: FilePermissions
    ) throws(FileError) -> String {
        let finalPath = "\(folderPath)/\(file.name)"
        try checkName(file.name, path: finalPath)
        // Created private, then given its group and mode explicitly: the umask plays no part, and
        // nobody can open the file wider than intended while it is being written. A name taken by
        // something planted (O_EXCL refuses it, link or not) is retried with another.
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temp = ".\(file.name).tmp-\(hostTag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = openat(folder, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileError(errno, path: finalPath, doing: "creating a temporary file") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlinkat(folder, temp, 0) }
        }
        try setPermissions(fd, mode: permissions.fileMode, permissions: permissions, path: finalPath)
        let failure = FileIO.writeAll(fd, file.bytes)
        if failure != 0 { throw FileError(failure, path: finalPath, doing: "writing") }
        if fsync(fd) != 0 { throw FileError(errno, path: finalPath, doing: "syncing") }
        ok = true
        return temp
    }

    /// The names in the open folder `fd`, `.` and `..` left out.
    public static func list(_ fd: Int32) -> [String] {
        let dup = dup(fd)
        guard dup >= 0, let dir = fdopendir(dup) else { return [] }
        defer { closedir(dir) }
        // The copy shares the folder's read position: from the start, whatever listed it before.
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
