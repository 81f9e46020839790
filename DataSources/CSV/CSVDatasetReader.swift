import CCSVScan
import Dispatch
import ReportCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads the data rows of a CSV file into typed columns, on every core.
///
/// The body (after the header) is cut into chunks that each start at a record, so quoted line
/// breaks never straddle a cut: a line break is a record boundary exactly when an even number of
/// quotes precede it. Each chunk is typed into its own column sinks in parallel, then the chunks
/// are joined in file order (strings re-coded into one dictionary), so rows, groups and errors come
/// out exactly as a single pass would give them. The quote count is only right for well-formed
/// quoting; every chunk therefore checks that the chunk before it ended exactly where it starts,
/// and any disagreement (a stray quote inside an unquoted field) falls back to one sequential pass.
struct CSVDatasetReader: Sendable {
    struct Failure: Error, Sendable {
        var line: Int
        var column: Int
        var message: String
    }

    /// The kept columns (in schema order), the rows read and the rows rejected.
    struct Outcome {
        var columns: [Column]
        var rows: Int
        var rejected: [RejectedRow]
    }

    /// The rows of one chunk; lines are counted from 1 at the chunk's start.
    struct Chunk: Sendable {
        var sinks: [ColumnSink]
        var rows = 0
        var rejected: [RejectedRow] = []
        var failure: Failure?
        /// The chunk met a syntax error (either mode): a block streamed from the file may then
        /// have been cut inside a record, so `CSVStream` reads the file whole.
        var syntaxError = false
        /// Where the reader stopped, and the line breaks it passed.
        var end = 0
        var linesPassed = 0
    }

    let schema: DatasetSchema
    /// Where each schema column is in the header.
    let positions: [Int]
    let headerCount: Int
    /// Which schema columns are stored (the others are checked only).
    let keep: [Bool]
    let rejectBadRows: Bool
    var limits = CSVLimits.standard
    /// The byte between fields.
    var delimiter = UInt8(ascii: ",")

    /// Reads `bytes[start...]`, the first record being on line `line`, in `parts` chunks.
    /// - Parameter extra: work to do on a core of its own meanwhile (the checksum).
    /// - Returns: the kept columns, the row count and rejected rows, or the first failure with its
    ///   absolute line.
    func read(
        _ bytes: [UInt8], from start: Int, line: Int, parts: Int, alsoDo extra: (@Sendable () -> Void)? = nil
    ) -> Result<Outcome, Failure> {
        let cuts = parts > 1 ? Self.cuts(bytes, from: start, parts: parts) : [start, bytes.count]
        let chunkCount = cuts.count - 1
        let results = Locked([Chunk?](repeating: nil, count: chunkCount))
        let capacity = (bytes.count - start) / max(1, chunkCount) / 64
        DispatchQueue.concurrentPerform(iterations: chunkCount + (extra == nil ? 0 : 1)) { k in
            guard k < chunkCount else {
                extra?()
                return
            }
            let chunk = bytes.withUnsafeBufferPointer { buffer in
                parse(buffer, from: cuts[k], stopAt: k + 1 == chunkCount ? .max : cuts[k + 1], capacity: capacity)
            }
            results.withLock { $0[k] = chunk }
        }
        let chunks = results.withLock { $0.map { $0! } }

        // Join in file order; line numbers become absolute.
        var used: [Chunk] = []
        var lineBase = line
        for k in 0..<chunkCount {
            var chunk = chunks[k]
            if let failure = chunk.failure {
                return .failure(
                    Failure(line: lineBase + failure.line - 1, column: failure.column, message: failure.message))
            }
            for i in chunk.rejected.indices { chunk.rejected[i].line += lineBase - 1 }
            used.append(chunk)
            if k + 1 < chunkCount, chunk.end != cuts[k + 1] {
                // The quote count misled the cut (malformed quoting): read it all in one pass.
                var whole = bytes.withUnsafeBufferPointer { buffer in
                    parse(buffer, from: start, stopAt: .max, capacity: capacity)
                }
                if let failure = whole.failure {
                    return .failure(Failure(line: line + failure.line - 1, column: failure.column, message: failure.message))
                }
                for i in whole.rejected.indices { whole.rejected[i].line += line - 1 }
                used = [whole]
                break
            }
            lineBase += chunk.linesPassed
        }
        let columns = schema.columns.indices.filter { keep[$0] }.map { c in ColumnSink.join(used.map { $0.sinks[c] }) }
        return .success(
            Outcome(columns: columns, rows: used.reduce(0) { $0 + $1.rows }, rejected: used.flatMap(\.rejected)))
    }

    /// Records typed column by column at a time (`parse`); 1 types every record row by row (the
    /// plain path the tests compare with).
    var batchRows = CSVDatasetReader.defaultBatchRows
    static let defaultBatchRows = 128

    /// The bytes of a chunk checked for UTF-8 at a time, ahead of the records read (`parse`):
    /// well inside a core's cache. Tests set small ones.
    var utf8Segment = 256 << 10

    /// Types the records that start in `[start, stopAt)`; `bytes[start..<utf8CheckedTo]` are known
    /// to be valid UTF-8 without a NUL byte (`CSVStream` checks each step it reads while it is in
    /// the cache), and must end before a character's first byte or at the buffer's end.
    func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, stopAt: Int, capacity: Int, utf8CheckedTo: Int = 0
    ) -> Chunk {
        var chunk = Chunk(sinks: [])
        // The sinks are written through a pointer for the whole chunk: `chunk.sinks[c].append`
        // would check the array's uniqueness on every cell.
        var sinks = schema.columns.indices.map { ColumnSink(spec: schema.columns[$0], keep: keep[$0], capacity: capacity) }
        sinks.withUnsafeMutableBufferPointer { sinks in
            parse(bytes, from: start, stopAt: stopAt, utf8CheckedTo: utf8CheckedTo, into: &chunk, sinks: sinks)
        }
        chunk.sinks = sinks
        return chunk
    }

    private func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, stopAt: Int, utf8CheckedTo: Int,
        into chunk: inout Chunk, sinks: UnsafeMutableBufferPointer<ColumnSink>
    ) {
        var reader = CSVRecordReader(bytes: bytes, start: start, line: 1, limits: limits)
        reader.delimiter = delimiter
        let end = min(stopAt, bytes.count)
        let base = bytes.baseAddress!
        // One check of the chunk's bytes instead of one per string cell (see UTF8Check): the
        // cells of records inside `start..<checkedTo` are valid UTF-8 without a NUL byte. From the
        // first segment that fails, string cells are checked one by one.
        //
        // Fast path (issue 20): the chunk is checked a segment at a time (`utf8Segment` bytes, cut
        // before a character's first byte) just ahead of the records read, not whole first. Why: a
        // chunk is a block of the file (16 MiB), larger than a core's cache, so the bytes the
        // check had read were gone again when the splitter read them; a segment is still in the
        // cache when its records are split and typed. A cut before a byte that is not a
        // continuation byte leaves every sequence whole on one side, so the segments are valid
        // exactly when the whole is (a cut moves past at most three continuation bytes: a fourth
        // in a row is invalid on either side of any cut).
        var checkedTo = max(start, min(utf8CheckedTo, end))
        var allValid = true
        func check(through target: Int) {
            while allValid, checkedTo < min(target, end) {
                var segmentEnd = min(end, checkedTo + utf8Segment)
                var past = 0
                while past < 3, segmentEnd < end, base[segmentEnd] & 0xC0 == 0x80 {
                    segmentEnd += 1
                    past += 1
                }
                if UTF8Check.isValid(base + checkedTo, count: segmentEnd - checkedTo, allowingNUL: false) {
                    checkedTo = segmentEnd
                } else {
                    allValid = false
                }
            }
        }
        let fields = CSVRecordReader.Fields()
        var scratch: [UInt8] = []
        // Fast path (issue 20): in a chunk that is valid UTF-8, up to `batchRows` plain records
        // (one line each, the header's field count, quoted fields without a line break inside,
        // no empty cell where the schema requires a value) are split at once by
        // `reportd_csv_records` (CSVBatch.c: fields found from bit masks of 64 bytes, not one
        // vector scan per field) and their cells typed column by column
        // (`ColumnSink.appendBatch`). Why: split record by record, each field's end waited on a
        // load at the end of the field before it (a fifth of a 10M-row run's CPU); typed row by
        // row, every cell was a call that switched on its column's type and reached a different
        // sink, interner and branch history than the cell before (about 18 % more, in the call
        // and this loop). Anything a batch cannot take (a record the splitter stops before, a
        // cell the sinks refuse) is read by the row-by-row loop below, which stays the
        // reference: a batch with a bad cell is undone and read again row by row, so every
        // error, rejected row and string code comes out as that loop gives it (tests compare the
        // two on bad input).
        let spans = UnsafeMutablePointer<ColumnSink.Span>.allocate(capacity: batchRows > 1 ? batchRows * headerCount : 1)
        // The fields the schema requires a value in: the batch splitter stops before a record
        // with one empty, and the row-by-row loop reports it.
        var nonEmpty = [UInt8](repeating: 0, count: headerCount)
        for c in schema.columns.indices where schema.columns[c].required { nonEmpty[positions[c]] = 1 }
        defer { spans.deallocate() }
        // Records to read row by row before batching again: those of an undone batch, or the one
        // record a batch stopped before.
        var rowByRow = 0
        while true {
            if batchRows > 1, rowByRow == 0, allValid {
                // A batch reads only records whose bytes are checked: the buffer ends for it at
                // `checkedTo`, kept at least half a segment ahead.
                check(through: reader.position + utf8Segment / 2)
                var at = reader.position
                let n =
                    allValid
                    ? reportd_csv_records_level(
                        -1, base, checkedTo, &at, stopAt, delimiter, headerCount, batchRows, limits.recordBytes,
                        limits.cellBytes, nonEmpty, spans) : 0
                if n > 0 {
                    let batchStart = reader
                    reader.skipRecords(to: at, count: n)
                    if ColumnSink.appendBatch(
                        sinks, base: base, spans: spans, positions: positions, step: headerCount, rows: n)
                    {
                        chunk.rows += n
                        // A short batch stopped before a record it does not read (or at the end).
                        if n < batchRows { rowByRow = 1 }
                    } else {
                        for c in sinks.indices { sinks[c].truncate(to: chunk.rows) }
                        reader = batchStart
                        rowByRow = n
                    }
                } else {
                    rowByRow = 1
                }
                continue
            }
            if rowByRow > 0 { rowByRow -= 1 }
            let line: Int?
            do {
                line = try reader.next(into: fields, stopAt: stopAt)
            } catch {
                let failure = Failure(
                    line: error.line, column: reader.column(offset: error.offset, lineStart: error.lineStart),
                    message: error.message)
                // A limit fails the read whatever `on_bad_rows` says, and depends only on the bytes
                // before it: a block that starts at a record reports what a whole read would.
                guard error.kind != .limit else {
                    chunk.failure = failure
                    break
                }
                chunk.syntaxError = true
                guard rejectBadRows else {
                    chunk.failure = failure
                    break
                }
                // The record's first line is the bad row; reading goes on at its second line.
                chunk.rejected.append(
                    RejectedRow(line: reader.recordLine, reason: failure.message, fields: [reader.recordFirstLine]))
                reader.resumeAtSecondLine()
                continue
            }
            guard let line else { break }
            check(through: reader.position)
            let utf8Checked = allValid && checkedTo >= reader.position
            var problem: Failure?
            if fields.count != headerCount {
                var message = "this row has \(fields.count) fields, the header has \(headerCount)"
                if !utf8Checked, fields.count > 0 {
                    // On the record's first line only: how far a broken quoted field reaches past it
                    // depends on where the reader's chunk ends, and the message must not (a whole
                    // read and a read in parts give the same errors; found by fuzz-csv).
                    let from = fields[0].start
                    let recordEnd = fields[fields.count - 1].end
                    let lineEnd = memchr(base + from, 0x0A, max(0, recordEnd - from)).map {
                        UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0))
                    }
                    let to = lineEnd ?? recordEnd
                    if to > from, memchr(base + from, 0, to - from) != nil {
                        message += " (it holds NUL bytes (0x00): the file looks damaged)"
                    }
                }
                problem = Failure(line: line, column: 1, message: message)
            } else {
                for c in sinks.indices {
                    let field = fields[positions[c]]
                    do throws(ColumnSink.Problem) {
                        if field.escapedQuotes {
                            reader.unescape(field, into: &scratch)
                            try scratch.withUnsafeBufferPointer { s throws(ColumnSink.Problem) in
                                try sinks[c].append(s.baseAddress ?? base, count: s.count, utf8Checked: utf8Checked)
                            }
                        } else {
                            try sinks[c].append(
                                base + field.start, count: field.end - field.start, utf8Checked: utf8Checked)
                        }
                    } catch {
                        let column = reader.column(
                            offset: field.quoted ? field.start - 1 : field.start, lineStart: field.lineStart)
                        let spec = schema.columns[c]
                        switch error {
                        case .requiredButEmpty:
                            problem = Failure(
                                line: field.line, column: column, message: "column '\(spec.name)' is required but empty")
                        case .invalid(let why):
                            problem = Failure(line: field.line, column: column, message: "column '\(spec.name)': \(why)")
                        }
                        break
                    }
                }
            }
            if let problem {
                guard rejectBadRows else {
                    chunk.failure = problem
                    break
                }
                for c in sinks.indices { sinks[c].truncate(to: chunk.rows) }
                if reader.recordSpansLines {
                    // A bad record over several lines (often a stray quote that took the next
                    // lines in) costs its first line only: the rows after it are read as if it
                    // had not been there.
                    chunk.rejected.append(
                        RejectedRow(line: line, reason: problem.message, fields: [reader.recordFirstLine]))
                    reader.resumeAtSecondLine()
                } else {
                    chunk.rejected.append(
                        RejectedRow(
                            line: line, reason: problem.message,
                            fields: fields.all.map { String(decoding: reader.raw($0), as: UTF8.self) }))
                }
                continue
            }
            chunk.rows += 1
        }
        chunk.end = reader.position
        chunk.linesPassed = reader.line - 1
    }

    /// Cuts `bytes[start...]` into about `parts` pieces, each starting at a record: after a line
    /// break preceded by an even number of quotes. Quotes are counted on every core.
    static func cuts(_ bytes: [UInt8], from start: Int, parts: Int) -> [Int] {
        let length = bytes.count - start
        let nominal = (0...parts).map { start + length / parts * $0 }
        let counts = Locked([Int](repeating: 0, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let upper = k + 1 == parts ? bytes.count : nominal[k + 1]
            let n = bytes.withUnsafeBufferPointer { countQuotes($0.baseAddress! + nominal[k], upper - nominal[k]) }
            counts.withLock { $0[k] = n }
        }
        let quoteCounts = counts.withLock { $0 }
        var cuts = [start]
        var quotesBefore = 0
        bytes.withUnsafeBufferPointer { b in
            for k in 1..<parts {
                quotesBefore += quoteCounts[k - 1]
                var inQuotes = quotesBefore % 2 == 1
                var i = nominal[k]
                while i < b.count {
                    let c = b[i]
                    if c == UInt8(ascii: "\"") {
                        inQuotes.toggle()
                    } else if c == 10, !inQuotes {
                        break
                    }
                    i += 1
                }
                let cut = min(i + 1, b.count)
                if cut > cuts.last! { cuts.append(cut) }
            }
        }
        if cuts.last! < bytes.count { cuts.append(bytes.count) }
        if cuts.count == 1 { cuts.append(bytes.count) }
        return cuts
    }

    /// The number of `"` bytes.
    ///
    /// Fast path (issue 20): a C loop that clang compiles to vector instructions (CCSVScan), 2.5
    /// times faster than `countQuotesPlain` on the bench's data. Why: `CSVStream` counts the quotes
    /// of every block on the thread that reads the file, before the block can be handed out, and
    /// that count was 6 % of a 10M-row read's CPU.
    @inline(__always)
    static func countQuotes(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        reportd_count_byte(p, n, UInt8(ascii: "\""))
    }

    /// The plain count, eight bytes per step (an exact zero-byte count, no false positives): the
    /// reference the tests compare `countQuotes` with.
    static func countQuotesPlain(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let raw = UnsafeRawPointer(p)
        var count = 0
        var i = 0
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i + 8 <= n {
            let t = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x2222_2222_2222_2222
            let zeroBytes = ~(((t & low7) &+ low7) | t | low7)
            count += zeroBytes.nonzeroBitCount
            i += 8
        }
        while i < n {
            if p[i] == UInt8(ascii: "\"") { count += 1 }
            i += 1
        }
        return count
    }
}
