import CCSVScan
import Dispatch
import Foundation
import ReportCore

#if canImport(Glibc)
import Glibc
import ReportFiles
#endif

/// A fast 64-bit checksum of a file's bytes, so the dataset cache can tell that a file changed
/// even when its size and modification time did not (a copy that preserves times, a clock set
/// back).
///
/// Not SHA-256, which the outputs carry: that runs at about 1 GB/s here, too slow to recheck a
/// large file before every cached run. The file is cut into 8 MiB segments hashed on every core,
/// and the segment hashes are combined in order. A segment's hash is XXH3's structure (eight 64-bit
/// lanes, a 32 × 32-bit multiply per 8 bytes, written here in CCSVScan's Fingerprint.c with an
/// AVX2 path; the same value on every CPU). It only has to notice accidental change, not resist an
/// attacker who can already rewrite the dataset.
///
/// The value is kept in the run history and shown by `status` (the dataset's `checksum`), but nothing
/// compares it across processes (the cache lives in memory): when a version of reportd changes the
/// hash, history records before and after it show different checksums for the same bytes.
package enum Fingerprint {
    static let segment = 8 << 20
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9

    /// The fingerprint of bytes in memory.
    package static func of(_ bytes: [UInt8]) -> UInt64 {
        let count = (bytes.count + segment - 1) / segment
        let hashes = Locked([UInt64](repeating: 0, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let start = i * segment
            let h = bytes.withUnsafeBufferPointer { b in
                hash(b.baseAddress! + start, min(segment, b.count - start))
            }
            hashes.withLock { $0[i] = h }
        }
        return combine(hashes.withLock { $0 }, length: bytes.count)
    }

    /// The fingerprint of the file at `path` as it is now, read in segments without keeping it in
    /// memory; nil when it cannot be read or changes size meanwhile.
    package static func ofFile(_ path: String, expectedSize: Int) -> UInt64? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Never a named pipe: that would block this thread until something wrote to it.
        var kind = stat()
        guard fstat(fd, &kind) == 0, kind.st_mode & S_IFMT == S_IFREG else { return nil }
        let count = (expectedSize + segment - 1) / segment
        let hashes = Locked([UInt64](repeating: 0, count: count))
        let failed = Locked(false)
        let workers = max(1, min(count, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // One buffer per worker, reused for each of its segments.
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: segment)
            defer { buffer.deallocate() }
            for i in stride(from: worker, to: count, by: workers) {
                let start = i * segment
                let length = min(segment, expectedSize - start)
                guard FileIO.fill(fd, buffer, count: length, at: start) else {
                    failed.withLock { $0 = true }
                    return
                }
                let h = hash(UnsafePointer(buffer), length)
                hashes.withLock { $0[i] = h }
            }
        }
        guard !failed.withLock({ $0 }), FileIO.endsAt(fd, expectedSize) else { return nil }
        return combine(hashes.withLock { $0 }, length: expectedSize)
    }

    /// The fingerprint of bytes that arrive in pieces, in order (a file being streamed). Each piece
    /// is hashed where it lies, whole 1,024-byte blocks at a time into the current segment's state
    /// (the same value as hashing the segment whole), so a reader that adds each piece just after
    /// reading it hashes bytes that are still in the cache; only the bytes of a block split between
    /// two pieces are gathered first.
    package struct Accumulator {
        private var hashes: [UInt64] = []
        /// The current segment: its state, the bytes taken into it, and the start of its next block
        /// when a piece ended inside it.
        private var state = reportd_fingerprint_state()
        private var taken = 0
        private var partial: [UInt8] = []
        private var length = 0

        package init() { reportd_fingerprint_start(&state) }

        private static let block = Int(REPORTD_FINGERPRINT_BLOCK)

        package mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int) {
            length += n
            var i = 0
            while i < n {
                // At most the rest of the current segment (a whole number of blocks).
                let end = i + min(n - i, segment - taken - partial.count)
                if !partial.isEmpty {
                    let fill = min(Self.block - partial.count, end - i)
                    partial.append(contentsOf: UnsafeBufferPointer(start: p + i, count: fill))
                    i += fill
                    if partial.count == Self.block {
                        partial.withUnsafeBufferPointer {
                            reportd_fingerprint_blocks_level(-1, &state, $0.baseAddress, $0.count)
                        }
                        taken += Self.block
                        partial.removeAll(keepingCapacity: true)
                    }
                }
                if partial.isEmpty {
                    let whole = (end - i) / Self.block * Self.block
                    reportd_fingerprint_blocks_level(-1, &state, p + i, whole)
                    taken += whole
                    i += whole
                    if i < end {
                        partial.append(contentsOf: UnsafeBufferPointer(start: p + i, count: end - i))
                        i = end
                    }
                }
                if taken == segment {
                    hashes.append(reportd_fingerprint_finish_level(-1, &state, nil, 0, segment))
                    reportd_fingerprint_start(&state)
                    taken = 0
                }
            }
        }

        package func finish() -> UInt64 {
            var all = hashes
            if taken + partial.count > 0 {
                var last = state
                all.append(
                    partial.withUnsafeBufferPointer {
                        reportd_fingerprint_finish_level(-1, &last, $0.baseAddress, $0.count, taken + $0.count)
                    })
            }
            return combine(all, length: length)
        }
    }

    static func combine(_ hashes: [UInt64], length: Int) -> UInt64 {
        var h = p3 ^ UInt64(length)
        for s in hashes { h = mix(h ^ s) }
        return h
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        return h ^ (h >> 32)
    }

    /// The hash of one segment (or of the whole input when it is shorter).
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        reportd_fingerprint_hash(p, n)
    }
}
