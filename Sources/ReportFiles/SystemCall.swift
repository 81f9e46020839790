#if canImport(Glibc)
    public import Glibc
#elseif canImport(Musl)
    public import Musl
#elseif canImport(Darwin)
    public import Darwin
#endif

// System calls with EINTR handled once: a call interrupted by a signal (SIGHUP, SIGCHLD of a
// plugin) before it did anything is made again; every other result is the caller's.

/// Makes `call` again while it fails with EINTR; returns its first other result.
@inlinable
public func retryingInterrupted<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}

/// Reading and writing whole buffers on descriptors.
public enum FileIO {
    /// Writes all of `bytes` to `fd`.
    /// - Returns: 0, or the `errno` of the write that failed (then part may have been written).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var written = 0
        while written < bytes.count {
            let n = retryingInterrupted { write(fd, bytes.baseAddress! + written, bytes.count - written) }
            if n < 0 { return errno }
            // A write of nothing where something was asked: report it as an I/O error, never loop.
            if n == 0 { return EIO }
            written += n
        }
        return 0
    }

    /// Writes all of `bytes` to `fd`; 0 or the `errno` of the write that failed.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Reads from `fd` into `buffer` until it is full or the file ends.
    /// - Returns: the bytes read (fewer than asked only at the end of the file), or the `errno`.
    public static func fill(
        _ fd: Int32, _ buffer: UnsafeMutableRawPointer, count: Int
    ) -> Swift.Result<Int, FileErrno> {
        var done = 0
        while done < count {
            let n = retryingInterrupted { read(fd, buffer + done, count - done) }
            if n < 0 { return .failure(FileErrno(errno)) }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` with `pread`; false when the file
    /// ended first or a read failed.
    public static func fill(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Bool {
        var done = 0
        while done < count {
            let n = retryingInterrupted { pread(fd, buffer + done, count - done, off_t(offset + done)) }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Whether the file at `fd` ends at `size`: nothing can be read there.
    public static func endsAt(_ fd: Int32, _ size: Int) -> Bool {
        var probe: UInt8 = 0
        return retryingInterrupted { pread(fd, &probe, 1, off_t(size)) } == 0
    }

    /// Reads `fd` to its end, `blockSize` bytes at a time, handing each block to `body` (which
    /// returns false to stop reading).
    /// - Returns: nil when the file was read to its end or `body` stopped, else the `errno`.
    public static func forEachBlock(
        _ fd: Int32, blockSize: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> Int32? {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = retryingInterrupted { read(fd, buffer, blockSize) }
            if n < 0 { return errno }
            if n == 0 { return nil }
            guard body(UnsafeRawBufferPointer(start: buffer, count: n)) else { return nil }
        }
    }

    /// Why `readToEnd` stopped.
    public enum ReadFailure: Error, Sendable, Equatable {
        /// A read failed with this `errno`.
        case errno(Int32)
        /// The file grew past the limit while it was read.
        case tooLarge
    }

    /// The whole of `fd` from where it stands to its end, read straight into the array returned.
    ///
    /// `sizeHint` (the size `fstat` gave) is only a hint: a file that grows while it is read is
    /// read to its end, up to `limit` bytes.
    public static func readToEnd(
        _ fd: Int32, sizeHint: Int, limit: Int = .max
    ) -> Swift.Result<[UInt8], ReadFailure> {
        var capacity = max(sizeHint + 1, 4096)
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
                switch fill(fd, buffer.baseAddress! + already, count: capacity - already) {
                case .failure(let code): failure = code.code
                case .success(let n):
                    count += n
                    reachedEnd = count < capacity
                }
            }
            if failure != 0 { return .failure(.errno(failure)) }
            if bytes.count > limit { return .failure(.tooLarge) }
            if reachedEnd { return .success(bytes) }
            capacity = min(capacity * 2, limit == .max ? .max : limit + 1)
        }
    }

    /// Takes `operation` (`LOCK_EX`, `LOCK_SH`, with `LOCK_NB` or not) on `fd` with `flock`.
    /// - Returns: 0, or the `errno` (`EWOULDBLOCK` when `LOCK_NB` found it held).
    @discardableResult
    public static func lock(_ fd: Int32, _ operation: Int32) -> Int32 {
        retryingInterrupted { flock(fd, operation) } == 0 ? 0 : errno
    }
}

/// An `errno` value, as the error of a system call.
public struct FileErrno: Error, Sendable, Equatable {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
}
