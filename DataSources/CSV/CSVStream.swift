import CCSVScan
import Crypto
import Dispatch
import Foundation
import ReportCore
import SourceFiles

#if canImport(Glibc)
import Glibc
import ReportFiles
#endif

/// Reads a CSV dataset from its file block by block, typing each block on a free core while the
/// next is read, so the whole file is never in memory: peak memory is the kept columns plus a few
/// blocks, far below the file's size, and reading overlaps typing.
///
/// Each block is read into a fresh buffer after the unfinished record the last one left over, and
/// ends at its last line break preceded by an even number of quotes (see `CSVDatasetReader` for
/// why that is a record boundary). A block whose rows do not end exactly there, or that meets a
/// syntax error, means the quoting misled the cut (or the file is broken): the file is then read
/// again whole, in one pass, and that pass decides, so every outcome is a sequential read's.
/// The checksums (SHA-256 for the outputs, the cache's fingerprint) are taken on the blocks as
/// they are read, a quarter of a megabyte at a time (`checksumStep`).
///
/// What is carried from block to block is bounded by `CSVLimits`: a header is looked for in its
/// first `headerBytes` only, and an unfinished record longer than `cellBytes` is handed to the
/// record reader, which either finds the records a stray quote hid from the quote count or fails
/// on the limit the record passes (before: a 2 GB line was carried whole, rescanned at every
/// block, 8 minutes and 6.3 GB for an error).
struct CSVStream {
    let config: DatasetConfig
    let display: String
    let columns: Set<String>?
    let blockSize: Int
    /// Whether to compute the SHA-256 (about a tenth of the CPU time of a read).
    let checksum: Bool
    var limits = CSVLimits.standard
    /// The reads that make up a block, each checksummed while it is still in the cache.
    static let checksumStep = 256 << 10
    /// This stream's step (tests make it small).
    var step = CSVStream.checksumStep

    /// How the file's bytes reach the reader.
    enum Access: Sendable {
        /// Mapped into memory and read in place when the system maps it (`reportd_map_file`),
        /// copied as with `.read` otherwise.
        case mapped
        /// Copied into reused buffers with `read(2)` (the tests compare the two).
        case read
    }

    /// This stream's access.
    var access = Access.mapped
    /// Called with how far the file is read after each step (tests change the file there).
    var afterStep: ((Int) -> Void)?

    /// The file mapped into memory: the blocks are views of it instead of copies in buffers.
    ///
    /// Why (issue 20): copying the file from the page cache into buffers with `read(2)` was about
    /// 13 % of a 10M-row run's CPU, all of it on the thread that feeds the typing workers; a
    /// mapping shows the page cache's pages themselves (in a C loop over the file, 0.25 s of CPU
    /// instead of 0.42-0.51 s for 1.8 GB). A page that cannot be read (the file shrank while
    /// mapped, an I/O error) reads as zeros and marks the mapping damaged instead of killing the
    /// process with SIGBUS (MappedFile.c); `read()` then reports the file as changed.
    /// The pages of each typed block are dropped from the process as it is done with them, so
    /// its memory holds a few blocks of the file, as with the buffers.
    private struct Mapping: @unchecked Sendable {
        let handle: Int32
        let base: UnsafePointer<UInt8>
        let size: Int
    }

    /// A block's bytes, owned by whoever holds it last (the worker that types it gives them back).
    private struct Block: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
        let count: Int
    }

    /// Block buffers of one size, reused from block to block. Why: a fresh 16 MiB buffer per block
    /// is fresh memory, and the kernel zeroes every page of it on first touch (a tenth of a 10M-row
    /// read's CPU was page faults); at most a few blocks are in flight, so a few buffers serve the
    /// whole file. A block that needs more (a long unfinished record carried over) gets its own.
    private final class BufferPool: @unchecked Sendable {
        let size: Int
        private let lock = NSLock()
        private var free: [UnsafeMutablePointer<UInt8>] = []

        init(size: Int) { self.size = size }

        deinit { for p in free { p.deallocate() } }

        /// A buffer of at least `capacity` bytes.
        func take(_ capacity: Int) -> UnsafeMutablePointer<UInt8> {
            guard capacity <= size else { return .allocate(capacity: capacity) }
            lock.lock()
            defer { lock.unlock() }
            return free.popLast() ?? .allocate(capacity: size)
        }

        /// Gives back a buffer `take(capacity)` returned.
        func give(_ p: UnsafeMutablePointer<UInt8>, capacity: Int) {
            guard capacity <= size else {
                p.deallocate()
                return
            }
            lock.lock()
            defer { lock.unlock() }
            free.append(p)
        }
    }

    /// Where the typed blocks are joined, in file order, as they come (see `ColumnSink.Joiner`).
    private struct Joined {
        enum Stop {
            case readWhole
            case failure(DatasetError)
        }

        /// The next block to join, and the typed blocks waiting for those before them.
        var next = 0
        var waiting: [Int: (chunk: CSVDatasetReader.Chunk, end: Int, atLimit: Bool)] = [:]
        var columns: [ColumnSink.Joiner]?
        var rows = 0
        var rejected: [RejectedRow] = []
        var lineBase: Int
        /// Set by the first block that decides the read (later blocks are dropped).
        var stop: Stop?
    }

    enum Outcome {
        case loaded(LoadedDataset)
        /// The blocks disagree with a sequential read: read the file whole instead.
        case readWhole
    }

    func read() throws(DatasetError) -> Outcome {
        let fd: Int32
        let info: stat
        do throws(FileBytes.Failure) {
            (fd, info) = try FileBytes.openRegular(config.path)
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "cannot read dataset '\(config.name)': \(error.message)")
        }
        defer { close(fd) }
        // Blocks are read and typed as they come: about the file's size in columns and strings.
        if let refusal = MemoryHeadroom.refusal(datasetBytes: Int(info.st_size), factor: 1) {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "cannot read dataset '\(config.name)': \(refusal)")
        }
        var mapping: Mapping?
        if access != .read, info.st_size > 0 {
            var base: UnsafePointer<UInt8>?
            let handle = reportd_map_file(fd, Int(info.st_size), &base)
            if handle >= 0, let base { mapping = Mapping(handle: handle, base: base, size: Int(info.st_size)) }
        }
        guard let mapping else { return try read(fd, size: Int(info.st_size), mapping: nil) }
        defer { reportd_unmap_file(mapping.handle) }
        let outcome = Result { () throws(DatasetError) in try read(fd, size: Int(info.st_size), mapping: mapping) }
        // Zeros stood in for pages that could not be read: nothing read is the file's.
        if reportd_mapping_damaged(mapping.handle) != 0 {
            throw DatasetError(
                file: display, line: 0, column: 0,
                message:
                    "cannot read dataset '\(config.name)': the file shrank while it was being read, or part of it could not be read (an I/O error)"
            )
        }
        return try outcome.get()
    }

    /// Reads the open file `fd` of `size` bytes (as it was opened), from `mapping` when it is mapped.
    private func read(_ fd: Int32, size: Int, mapping: Mapping?) throws(DatasetError) -> Outcome {

        var sha = SHA256()
        var fingerprint = Fingerprint.Accumulator()
        // The unfinished record carried to the next block, and whether the file is all read.
        var carry: [UInt8] = []
        var atEnd = false
        // How far the file is read, and (mapped) where the unfinished record starts in it.
        var scanned = 0
        var carryFrom = 0

        let pool = BufferPool(size: blockSize + blockSize / 4)
        /// Gives a block's buffer back to the pool (a mapped block has none).
        func give(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
            if mapping == nil { pool.give(base, capacity: capacity) }
        }
        /// Where the bytes of the block last read stop being known valid UTF-8 without a NUL.
        var utf8CheckedTo = 0
        /// Reads the next block after `carry`; returns it whole (carry included), the capacity
        /// to give back to the pool, and the quotes in it; sets `utf8CheckedTo`.
        func nextBuffer() throws(DatasetError) -> (UnsafeMutablePointer<UInt8>, Int, Int, Int) {
            let carried = mapping == nil ? carry.count : scanned - carryFrom
            let capacity = carried + blockSize
            let base: UnsafeMutablePointer<UInt8>
            if let mapping {
                // Never written: the buffers' type, for the read's one code path.
                base = UnsafeMutablePointer(mutating: mapping.base + carryFrom)
            } else {
                base = pool.take(capacity)
                carry.withUnsafeBufferPointer { c in
                    if let from = c.baseAddress { base.update(from: from, count: c.count) }
                }
            }
            var count = carried
            var quotes = CSVDatasetReader.countQuotes(base, count)
            utf8CheckedTo = 0
            var utf8Failed = false
            // Read in steps of `checksumStep`, each checksummed just after it is read, while it is
            // still in the cache: hashed after the whole 16 MiB block, the fingerprint ran at the
            // memory's speed (perf of a 10M-row run: 89-112 samples that way, 41-64 this way).
            atEnd = false
            while count < capacity, !atEnd {
                let step = min(self.step, capacity - count)
                let filled: Result<Int, FileErrno>
                if let mapping {
                    filled = .success(min(step, mapping.size - scanned))
                } else {
                    filled = FileIO.fill(fd, base + count, count: step)
                }
                switch filled {
                case .failure(let failure):
                    give(base, capacity: capacity)
                    throw cannotRead(failure.code)
                case .success(let n):
                    if checksum { sha.update(bufferPointer: UnsafeRawBufferPointer(start: base + count, count: n)) }
                    fingerprint.add(base + count, n)
                    // The quotes, counted here for the same reason (`lastRecordEnd` needs them).
                    quotes += CSVDatasetReader.countQuotes(base + count, n)
                    count += n
                    scanned += n
                    atEnd = n < step
                    afterStep?(scanned)
                    // And the UTF-8 check the typing needs (`CSVDatasetReader.parse`), up to the
                    // last character's first byte (the bytes after it may go on in the next
                    // step), from the first bytes (the carry's) until a step fails.
                    if !utf8Failed {
                        var cut = count
                        if !atEnd {
                            let floor = max(utf8CheckedTo, count - 4)
                            cut = floor
                            var k = count - 1
                            while k >= floor {
                                if base[k] & 0xC0 != 0x80 {
                                    cut = k
                                    break
                                }
                                k -= 1
                            }
                        }
                        if cut > utf8CheckedTo {
                            if UTF8Check.isValid(base + utf8CheckedTo, count: cut - utf8CheckedTo, allowingNUL: false) {
                                utf8CheckedTo = cut
                            } else {
                                utf8Failed = true
                            }
                        }
                    }
                }
            }
            // Debug builds (the tests' streamed reads) check the count kept step by step.
            // (Unless a mapped file shrank: its pages then changed to zeros after they were counted.)
            assert(
                quotes == CSVDatasetReader.countQuotes(base, count)
                    || mapping.map { reportd_mapping_damaged($0.handle) != 0 } == true,
                "quotes counted step by step")
            return (base, count, capacity, quotes)
        }

        // The header: read until a whole first record is in hand, or more than a header may take.
        var (base, count, capacity, quotes) = try nextBuffer()
        while !atEnd, count <= limits.headerBytes + 3, Self.lastRecordEnd(base, count, quotes: quotes) == nil {
            // Mapped, the carry is where it is: the next block starts at the same place.
            if mapping == nil { carry = Array(UnsafeBufferPointer(start: base, count: count)) }
            give(base, capacity: capacity)
            (base, count, capacity, quotes) = try nextBuffer()
        }
        let prepared: (CSVDatasetReader, [String], Int, Int)
        do {
            prepared = try CSVLoader.prepare(
                UnsafeBufferPointer(start: base, count: count), config: config, display: display, columns: columns,
                limits: limits)
        } catch {
            give(base, capacity: capacity)
            // A stray quote can make the quote count end the first record too early, so the header
            // was read from a buffer that stops inside it: only a whole read can tell (found by
            // fuzz-csv). Errors the buffer holds whole (a limit, a UTF-16 file) are settled.
            if !atEnd, !error.settled { return .readWhole }
            throw error
        }
        let (reader, header, bodyStart, bodyLine) = prepared
        if !atEnd, bodyStart >= count {
            // The header ran to the end of the buffer without a line break: the same cause.
            give(base, capacity: capacity)
            return .readWhole
        }

        // Blocks are typed on worker threads; at most two per core wait or run at once. Each typed
        // block is joined into the columns as soon as the blocks before it are, in file order,
        // and its own arrays are freed: the first block that fails, or disagrees with a
        // sequential read, decides the read, as when the blocks were joined at the end.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let slots = DispatchSemaphore(value: cores * 2)
        let group = DispatchGroup()
        let schemaColumns = config.schema.columns
        let keptIndices = schemaColumns.indices.filter { reader.keep[$0] }
        let fileSize = size
        let fileName = display
        let joined = Locked(Joined(lineBase: bodyLine))
        /// Joins the waiting blocks that are next in file order.
        @Sendable func joinReady() {
            joined.withLock { state in
                while state.stop == nil, let waiting = state.waiting.removeValue(forKey: state.next) {
                    let (chunk, end, atLimit) = waiting
                    state.next += 1
                    if chunk.syntaxError {
                        state.stop = .readWhole
                    } else if let failure = chunk.failure {
                        state.stop = .failure(
                            DatasetError(
                                file: fileName, line: state.lineBase + failure.line - 1, column: failure.column,
                                message: failure.message))
                    } else if atLimit || chunk.end != end {
                        state.stop = .readWhole
                    }
                    guard state.stop == nil else { break }
                    state.rejected += chunk.rejected.map { row in
                        var row = row
                        row.line += state.lineBase - 1
                        return row
                    }
                    state.lineBase += chunk.linesPassed
                    state.rows += chunk.rows
                    if state.columns == nil {
                        // Room for the whole file's rows at the first block's bytes per row (a
                        // little more: pages reserved and never written cost no memory).
                        let estimate = chunk.rows == 0 ? 0 : Int(Double(chunk.rows) * Double(fileSize) / Double(max(1, end)) * 1.05) + 1024
                        state.columns = keptIndices.map {
                            ColumnSink.Joiner(spec: schemaColumns[$0], capacity: estimate)
                        }
                    }
                    for (i, c) in keptIndices.enumerated() { state.columns![i].append(chunk.sinks[c]) }
                }
                if state.stop != nil { state.waiting.removeAll() }
            }
        }
        func submit(_ block: Block, capacity: Int, index: Int, from start: Int, atLimit: Bool, checkedTo: Int) {
            slots.wait()
            group.enter()
            DispatchQueue.global().async {
                let chunk = reader.parse(
                    UnsafeBufferPointer(start: block.base, count: block.count), from: start, stopAt: .max,
                    capacity: (block.count - start) / 100, utf8CheckedTo: checkedTo)
                if let mapping {
                    reportd_mapping_release(mapping.handle, mapping.base.distance(to: block.base), block.count)
                } else {
                    pool.give(block.base, capacity: capacity)
                }
                joined.withLock { state in
                    if state.stop == nil { state.waiting[index] = (chunk, block.count, atLimit) }
                }
                joinReady()
                slots.signal()
                group.leave()
            }
        }

        var index = 0
        var start = bodyStart
        // The block that ends inside a record past a limit: its rows must end in that failure.
        var cutAtLimit: Int?
        while true {
            var cut = atEnd ? count : max(start, Self.lastRecordEnd(base, count, quotes: quotes) ?? start)
            if !atEnd, count - cut > min(limits.recordBytes, limits.cellBytes) {
                // No record end the quote count trusts in more than a cell may take: the reader
                // finds where the records end (perhaps none yet), or the limit the record passes.
                guard let found = Self.recordsEnd(base, count, from: start, limits: limits, delimiter: config.csv.delimiter) else {
                    give(base, capacity: capacity)
                    group.wait()
                    return .readWhole
                }
                if found.limited {
                    cut = count
                    cutAtLimit = index
                } else {
                    cut = found.end
                }
            }
            if mapping == nil {
                carry = Array(UnsafeBufferPointer(start: base + cut, count: count - cut))
            } else {
                carryFrom += cut
            }
            if cut > start {
                submit(
                    Block(base: base, count: cut), capacity: capacity, index: index, from: start,
                    atLimit: cutAtLimit == index, checkedTo: min(utf8CheckedTo, cut))
                index += 1
            } else {
                give(base, capacity: capacity)
            }
            // The rest of the file is not needed: the read fails in that block.
            if atEnd || cutAtLimit != nil { break }
            start = 0
            do {
                (base, count, capacity, quotes) = try nextBuffer()
            } catch {
                group.wait()
                throw error
            }
        }
        group.wait()

        var state = joined.withLock { s in
            defer { s = Joined(lineBase: 0) }
            return s
        }
        switch state.stop {
        case .readWhole?: return .readWhole
        case .failure(let error)?: throw error
        case nil: break
        }
        var columns = state.columns ?? keptIndices.map { ColumnSink.Joiner(spec: schemaColumns[$0], capacity: 0) }
        state.columns = nil
        let kept = columns.indices.map { columns[$0].finish() }
        let rows = state.rows
        let rejected = state.rejected
        let digest = checksum ? Hex.string(sha.finalize()) : ""
        var loaded = LoadedDataset(
            table: Table(schema: DatasetSchema(columns: kept.map(\.spec)), columns: kept, rowCount: rows),
            rejected: rejected, header: header, sha256: digest)
        loaded.fingerprint = fingerprint.finish()
        return .loaded(loaded)
    }

    private func cannotRead(_ code: Int32) -> DatasetError {
        DatasetError(
            file: display, line: 0, column: 0,
            message: "cannot read dataset '\(config.name)': \(FileBytes.describe(code))")
    }

    /// Just past the last record of `base[start..<count]` that ends with a line feed in the buffer,
    /// as the record reader reads them, and whether a limit stops the reader first (the record
    /// after `end` passes it); nil when a syntax error comes first (a whole read decides).
    static func recordsEnd(
        _ base: UnsafePointer<UInt8>, _ count: Int, from start: Int, limits: CSVLimits, delimiter: UInt8
    )
        -> (end: Int, limited: Bool)?
    {
        var reader = CSVRecordReader(
            bytes: UnsafeBufferPointer(start: base, count: count), start: start, line: 1, limits: limits)
        reader.delimiter = delimiter
        let fields = CSVRecordReader.Fields()
        var end = start
        while true {
            do throws(CSVRecordReader.SyntaxError) {
                guard try reader.next(into: fields) != nil else { return (end, false) }
            } catch {
                switch error.kind {
                case .limit: return (end, true)
                case .unterminated: return (end, false)
                case .other: return nil
                }
            }
            guard reader.position <= count, base[reader.position - 1] == 10 else { return (end, false) }
            end = reader.position
        }
    }

    /// Just past the last line break of `base[0..<count]` with an even number of quotes before it,
    /// or nil when there is none.
    /// `quotes`: the quotes in `base[0..<count]` when the caller has counted them.
    static func lastRecordEnd(_ base: UnsafePointer<UInt8>, _ count: Int, quotes counted: Int? = nil) -> Int? {
        var quotes = counted ?? CSVDatasetReader.countQuotes(base, count)
        var i = count
        while i > 0 {
            i -= 1
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                quotes -= 1
            } else if c == 10, quotes % 2 == 0 {
                return i + 1
            }
        }
        return nil
    }
}
