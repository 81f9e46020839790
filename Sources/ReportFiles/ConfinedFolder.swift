import Foundation

#if canImport(Glibc)
    public import Glibc
#elseif canImport(Musl)
    public import Musl
#elseif canImport(Darwin)
    public import Darwin
#endif

/// The modes and group given to files and to the folders created for them (published outputs,
/// the state folder's files).
public struct FilePermissions: Sendable, Equatable {
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
    public static let shared = FilePermissions(fileMode: 0o640, folderMode: 0o2750)
    /// The state folder: the daemon's user alone.
    public static let `private` = FilePermissions(fileMode: 0o600, folderMode: 0o700)

    /// `.private`, for files in the state folder at `path`. When root writes there (an
    /// administrator's `sudo reportd run`) and the folder belongs to another user (the
    /// service's), what root creates is given to that user and group: otherwise the daemon
    /// could no longer read its report's state or append to its history.
    public static func `private`(in path: String) -> FilePermissions {
        var permissions = FilePermissions.private
        var info = stat()
        if geteuid() == 0, stat(path, &info) == 0, info.st_uid != 0 {
            permissions.owner = info.st_uid
            permissions.group = info.st_gid
        }
        return permissions
    }
}


/// Opening and creating folders by descriptor, with explicit modes, and writing files in them
/// without following a link: the output root and its report folders, the state folder and its
/// `locks/` and `history/` folders. Everything written stays inside the folder it was opened from.
public enum ConfinedFolder {
    /// Missing parents of a configured folder (the output root, the state folder) are created with
    /// this mode, set explicitly: reachable, never writable by others, whatever the umask.
    public static let parentFolderMode: mode_t = 0o755

    /// Opens the folder an administrator configured (`output.root`, `state`), creating it (with
    /// `permissions.folderMode` and group) and its missing parents (0755) when needed. Links in this
    /// path are followed: it is the administrator's, not the shared folder's.
    /// - Returns: a descriptor opened `O_RDONLY | O_DIRECTORY`; the caller closes it.
    public static func open(atPath path: String, permissions: FilePermissions) throws(FileError) -> Int32 {
        let existing = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if existing >= 0 { return existing }
        guard errno == ENOENT else { throw FileError(errno, path: path, doing: "opening the folder") }
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var fd = Glibc.open(path.hasPrefix("/") ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(errno, path: path, doing: "opening the folder") }
        var walked = path.hasPrefix("/") ? "" : "."
        for (i, component) in components.enumerated() {
            walked += "/" + component
            let isLast = i == components.count - 1
            var child = openat(fd, component, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            var created = false
            if child < 0 && errno == ENOENT {
                // With the wanted permission bits (the umask can only narrow them; setgid comes from
                // a setgid parent or from fchmod below): see setPermissions.
                if mkdirat(fd, component, (isLast ? permissions.folderMode : parentFolderMode) & 0o777) == 0 {
                    created = true
                } else if errno != EEXIST {
                    let e = errno
                    close(fd)
                    throw FileError(e, path: walked, doing: "creating the folder")
                }
                child = openat(fd, component, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
            guard child >= 0 else {
                let e = errno
                close(fd)
                throw FileError(e, path: walked, doing: "opening the folder")
            }
            if created {
                do throws(FileError) {
                    if isLast {
                        try setPermissions(child, mode: permissions.folderMode, permissions: permissions, path: walked)
                    } else {
                        try setPermissions(
                            child, mode: parentFolderMode, permissions: FilePermissions(fileMode: 0, folderMode: 0),
                            path: walked)
                    }
                } catch {
                    // Not left behind with the wrong mode or group: the next run creates it again.
                    close(child)
                    unlinkat(fd, component, AT_REMOVEDIR)
                    close(fd)
                    throw error
                }
            }
            close(fd)
            fd = child
        }
        return fd
    }

    /// Opens (creating it when missing) the folder `name` inside `parent` without following a link:
    /// a link or a non-folder planted at the name is refused with `.symlinkRefused`, and nothing is
    /// written through it. A folder created here gets `permissions.folderMode` and group.
    public static func openChild(
        _ name: String, in parent: Int32, path: String, permissions: FilePermissions
    ) throws(FileError) -> Int32 {
        try checkName(name, path: path)
        var created = false
        if mkdirat(parent, name, permissions.folderMode & 0o777) == 0 {
            created = true
        } else if errno != EEXIST {
            throw FileError(errno, path: path, doing: "creating the report folder")
        }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ELOOP || e == ENOTDIR {
                throw FileError(
                    code: .symlinkRefused, path: path,
                    message: "is a symbolic link or not a folder; reportd will not write through it (remove it)")
            }
            throw FileError(e, path: path, doing: "opening the report folder")
        }
        if created {
            var info = stat()
            // Only a folder this process made: not one swapped in between mkdirat and openat.
            if fstat(fd, &info) == 0, info.st_uid == geteuid() {
                do throws(FileError) {
                    try setPermissions(fd, mode: permissions.folderMode, permissions: permissions, path: path)
                } catch {
                    // Not left behind with the wrong mode or group: the next run creates it again.
                    close(fd)
                    unlinkat(parent, name, AT_REMOVEDIR)
                    throw error
                }
            }
        }
        return fd
    }

    /// Gives the open file or folder `fd` the configured group (when one is set) and exactly `mode`.
    ///
    /// Each is changed only when it differs: under systemd's `RestrictSUIDSGID=yes` a `fchmod` that
    /// names the setgid bit is refused, while a folder that inherited the bit from a setgid parent
    /// (the installed output root is 2750) already has the default 2750 and needs no call. Likewise
    /// a file that took the configured group from a setgid folder needs no `fchown` (`@chown` is
    /// outside the unit's system-call filter). A file system without Unix modes (`fchmod`
    /// unsupported) is accepted as it is.
    public static func setPermissions(
        _ fd: Int32, mode: mode_t, permissions: FilePermissions, path: String
    ) throws(FileError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(errno, path: path, doing: "reading its mode") }
        if let owner = permissions.owner, info.st_uid != owner {
            if fchown(fd, owner, permissions.group ?? gid_t.max) != 0 {
                throw FileError(errno, path: path, doing: "giving it to the state folder's owner (uid \(owner))")
            }
            guard fstat(fd, &info) == 0 else { throw FileError(errno, path: path, doing: "reading its mode") }
        }
        if let group = permissions.group, info.st_gid != group {
            if fchown(fd, uid_t.max, group) != 0 {
                let e = errno
                let name = permissions.groupName ?? String(group)
                if e == EPERM || e == EACCES {
                    throw FileError(
                        code: .permissionDenied, path: path,
                        message:
                            "cannot give it to group '\(name)': permission denied (the user running reportd must be a member of the group set by 'output.group'; under the systemd unit, give the output root that group and mode 2750 instead, so everything inherits it)"
                    )
                }
                throw FileError(e, path: path, doing: "setting its group to '\(name)'")
            }
            guard fstat(fd, &info) == 0 else { throw FileError(errno, path: path, doing: "reading its mode") }
        }
        guard info.st_mode & 0o7777 != mode else { return }
        if fchmod(fd, mode) != 0 {
            let e = errno
            if e == ENOTSUP || e == EOPNOTSUPP { return }
            let shown = String(format: "%04o", mode)
            if e == EPERM, mode & (S_ISGID | S_ISUID) != 0 {
                throw FileError(
                    code: .permissionDenied, path: path,
                    message:
                        "cannot set mode \(shown): the setgid bit was refused (a service with RestrictSUIDSGID=yes may not set it; give the output root mode 2750 so new folders inherit it, or leave the 2 out of 'output.folder_mode')"
                )
            }
            throw FileError(e, path: path, doing: "setting its mode to \(shown)")
        }
    }

    /// A name the publisher creates inside a folder: one path component, never `.`/`..`, hidden or
    /// empty. Report names are checked at validate time; this keeps any other caller confined too.
    public static func checkName(_ name: String, path: String) throws(FileError) {
        let bytes = Array(name.utf8)
        let ok =
            !bytes.isEmpty && bytes.count <= 255 && bytes.first != UInt8(ascii: ".")
            && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0)
        guard ok else {
            throw FileError(
                code: .unsafeName, path: path,
                message: "'\(name)' is not a plain file name; reportd only writes plain names inside the output root")
        }
    }

    /// The contents of regular file `name` in `folder`, not following a link and never blocking on
    /// a named pipe; nil when it cannot be read or is larger than `atMost` bytes.
    public static func readFile(_ name: String, in folder: Int32, atMost: Int = .max) -> [UInt8]? {
        let fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= atMost else { return nil }
        guard case .success(let bytes) = FileIO.readToEnd(fd, sizeHint: Int(info.st_size)) else { return nil }
        return bytes
    }
}
