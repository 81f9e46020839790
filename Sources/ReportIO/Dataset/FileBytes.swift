import Dispatch
import ReportCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file into memory with read(2), straight into the array that is parsed.
///
/// `Data(contentsOf:)` followed by `Array(_:)` copied every byte twice (5 % of a run at a million
/// rows). The file is read, not mapped: a dataset truncated while mapped would kill the daemon
/// with SIGBUS, while a read only sees fewer bytes. A large file is read by one thread per core
/// (`pread` of one piece each): most of a read's time is the kernel filling fresh pages, and each
/// core fills its own.
enum FileBytes {
    struct Failure: Error {
        var message: String
    }

    /// Opens a dataset file for reading: only a regular file (opened with `O_NONBLOCK`, so a named
    /// pipe at the dataset's path fails the run at once instead of blocking its thread forever).
    /// - Returns: the descriptor, which the caller closes, and the file's status.
    static func openRegular(_ path: String) throws(Failure) -> (Int32, stat) {
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

    static func read(_ path: String, parts: Int = 1) throws(Failure) -> [UInt8] {
        let (fd, info) = try openRegular(path)
        defer { close(fd) }
        let size = Int(info.st_size)
        // The bytes, then the typed columns and strings built from them.
        if let refusal = MemoryHeadroom.refusal(datasetBytes: size, factor: 2) { throw Failure(message: refusal) }
        if parts > 1, size >= 8 << 20, let whole = readInPieces(fd, size: size, parts: parts) { return whole }
        // The size is a hint: a file that grows while it is read is read to its end.
        var capacity = max(Int(info.st_size) + 1, 4096)
        var bytes: [UInt8] = []
        while true {
            var failure: Int32 = 0
            var reachedEnd = false
            let already = bytes.count
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                if already > 0 {
                    bytes.withUnsafeBufferPointer { old in
                        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
                            from: old.baseAddress!, byteCount: already)
                    }
                }
                count = already
                while count < capacity {
                    let n = Glibc.read(fd, buffer.baseAddress! + count, capacity - count)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if n == 0 {
                        reachedEnd = true
                        return
                    }
                    count += n
                }
            }
            if failure != 0 { throw Failure(message: describe(failure)) }
            if reachedEnd { return bytes }
            capacity *= 2
        }
    }

    /// The file's `size` bytes read in `parts` pieces at once, or nil when the file did not have
    /// exactly `size` bytes throughout (it changed meanwhile): the caller then reads it in one go.
    private static func readInPieces(_ fd: Int32, size: Int, parts: Int) -> [UInt8]? {
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            nonisolated(unsafe) let base = buffer.baseAddress!
            let piece = (size + parts - 1) / parts
            let short = Locked(false)
            DispatchQueue.concurrentPerform(iterations: parts) { k in
                var offset = k * piece
                let end = min(size, offset + piece)
                while offset < end {
                    let n = pread(fd, base + offset, end - offset, off_t(offset))
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else {
                        short.withLock { $0 = true }
                        return
                    }
                    offset += n
                }
            }
            var probe: UInt8 = 0
            complete = !short.withLock { $0 } && pread(fd, &probe, 1, off_t(size)) == 0
            count = complete ? size : 0
        }
        return complete ? bytes : nil
    }

    /// What a file is when it is not a regular file (the files reportd reads: report definitions,
    /// schemas, datasets), or nil when it is one.
    enum Kind: String {
        case folder = "a folder"
        case pipe = "a named pipe"
        case other = "a device or a socket"
    }

    static func kindUnlessRegular(_ info: stat) -> Kind? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return .folder
        case S_IFIFO: return .pipe
        default: return .other
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        default: return String(cString: strerror(code))
        }
    }
}
