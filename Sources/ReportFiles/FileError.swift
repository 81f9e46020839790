#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a file or folder could not be written (published, recorded, locked): its path, what kind of
/// failure, and a message for people.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case diskFull, permissionDenied, symlinkRefused, unsafeName, io }

    public var code: Code
    public var path: String
    public var message: String
    /// The `errno` of the system call that failed, when one did.
    public var systemError: Int32?

    public init(code: Code, path: String, message: String, systemError: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.systemError = systemError
    }

    public var description: String { "\(path): \(message)" }

    /// The error of a system call that failed with `code` on `path` while `doing` something
    /// ("writing", "opening the folder").
    public init(_ code: Int32, path: String, doing: String) {
        self = Self.from(code, path: path, doing: doing)
        systemError = code
    }

    /// Free blocks and free inodes (for unprivileged users) of the volume holding `path`, or of
    /// its nearest existing parent.
    public static func freeOnVolume(of path: String) -> (blocks: UInt64, inodes: UInt64)? {
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

    private static func from(_ code: Int32, path: String, doing: String) -> FileError {
        switch code {
        case ENOSPC:
            // ENOSPC also means "no free inodes": say which, or an administrator frees space on
            // a volume that has plenty.
            if let (blocks, inodes) = freeOnVolume(of: path), inodes == 0, blocks > 0 {
                return FileError(
                    code: .diskFull, path: path,
                    message:
                        "the volume has no free inodes (room for no more files, though space is free) (\(doing)); "
                        + "remove files there (`df -i` shows it), such as old runs, or lower output.keep")
            }
            return FileError(
                code: .diskFull, path: path,
                message: "the disk is full: no space left on the device (\(doing)); free space on that volume")
        case EDQUOT:
            return FileError(
                code: .diskFull, path: path,
                message: "the disk is full: disk quota exceeded (\(doing)); free space or raise the quota")
        case EACCES, EPERM:
            return FileError(code: .permissionDenied, path: path, message: "permission denied (\(doing))")
        case ELOOP:
            return FileError(
                code: .symlinkRefused, path: path,
                message: "a symbolic link is in the way (\(doing)); reportd will not follow it")
        default:
            return FileError(code: .io, path: path, message: "\(FileProblem.errno(code)) (\(doing))")
        }
    }
}
