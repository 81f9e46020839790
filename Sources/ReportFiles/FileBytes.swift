import Dispatch
import Synchronization

#if canImport(Glibc)
public import Glibc
#endif

/// Reads a whole file into memory with read(2), straight into the array that is parsed.
///
/// `Data(contentsOf:)` followed by `Array(_:)` copied every byte twice (5 % of a run at a million
/// rows). The file is read, not mapped: a dataset truncated while mapped would kill the daemon
/// with SIGBUS, while a read only sees fewer bytes. A large file is read by one thread per core
/// (`pread` of one piece each): most of a read's time is the kernel filling fresh pages, and each
/// core fills its own.
public enum FileBytes {
    public struct Failure: Error {
        public var message: String
    }

    /// Opens a dataset file for reading: only a regular file (opened with `O_NONBLOCK`, so a named
    /// pipe at the dataset's path fails the run at once instead of blocking its thread forever).
    /// - Returns: the descriptor, which the caller closes, and the file's status.
    public static func openRegular(_ path: String) throws(Failure) -> (Int32, stat) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw Failure(message: describe(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw Failure(message: describe(code))
        }
        guard let kind = kindUnlessRegular(info) else { return (fd, info) }
        close(fd)
        if kind == .folder { throw Failure(message: describe(EISDIR)) }
        throw Failure(message: "it is \(kind.rawValue): datasets are read from regular files")
    }

    public static func read(_ path: String, parts: Int = 1) throws(Failure) -> [UInt8] {
        let (fd, info) = try openRegular(path)
        defer { close(fd) }
        let size = Int(info.st_size)
        // The bytes, then the typed columns and strings built from them.
        if let refusal = MemoryHeadroom.refusal(datasetBytes: size, factor: 2) { throw Failure(message: refusal) }
        if parts > 1, size >= 8 << 20, let whole = readInPieces(fd, size: size, parts: parts) { return whole }
        // The size is a hint: a file that grows while it is read is read to its end.
        switch FileIO.readToEnd(fd, sizeHint: size) {
        case .success(let bytes): return bytes
        case .failure(.errno(let code)): throw Failure(message: describe(code))
        case .failure(.tooLarge): throw Failure(message: describe(EFBIG))
        }
    }

    /// The file's `size` bytes read in `parts` pieces at once, or nil when the file did not have
    /// exactly `size` bytes throughout (it changed meanwhile): the caller then reads it in one go.
    private static func readInPieces(_ fd: Int32, size: Int, parts: Int) -> [UInt8]? {
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            nonisolated(unsafe) let base = buffer.baseAddress!
            let piece = (size + parts - 1) / parts
            let short = Mutex(false)
            DispatchQueue.concurrentPerform(iterations: parts) { k in
                let offset = k * piece
                let end = min(size, offset + piece)
                if offset < end, !FileIO.fill(fd, base + offset, count: end - offset, at: offset) {
                    short.withLock { $0 = true }
                }
            }
            complete = !short.withLock { $0 } && FileIO.endsAt(fd, size)
            count = complete ? size : 0
        }
        return complete ? bytes : nil
    }

    /// What a file is when it is not a regular file (the files reportd reads: report definitions,
    /// schemas, datasets), or nil when it is one.
    public enum Kind: String, Sendable {
        case folder = "a folder"
        case pipe = "a named pipe"
        case other = "a device or a socket"
    }

    public static func kindUnlessRegular(_ info: stat) -> Kind? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return .folder
        case S_IFIFO: return .pipe
        default: return .other
        }
    }

    public static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        default: return String(cString: strerror(code))
        }
    }
}
