import Crypto
import Foundation
import ReportCore
import ReportFiles

/// Reads dataset files (CSV, JSON) into typed columns.
public enum DatasetLoader {
    /// Reads `config`'s file.
    ///
    /// - Parameter columns: the columns to keep in memory (those the reports read); every column is
    ///   still checked against the schema, so a bad cell fails (or is rejected) whichever reports
    ///   run. `nil` keeps them all.
    /// - Throws: `DatasetError` naming FILE:LINE:COLUMN for the first bad row (unless rows are rejected),
    ///   or the file when it cannot be read.
    ///   - checksum: whether to compute the file's SHA-256 (JSON and text outputs show it).
    public static func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        throws(DatasetError) -> LoadedDataset
    {
        try load(config, columns: columns, blockSize: 16 << 20, checksum: checksum)
    }

    /// How many times a dataset that changes while it is read is read again before giving up.
    static let attempts = 3

    /// - Parameters:
    ///   - blockSize: how much of a CSV file is read and typed at a time (`CSVStream`).
    ///   - limits: the largest header, record and cell of a CSV file (tests lower them).
    ///
    /// A file rewritten in place while it is read could mix old and new rows: the file's size,
    /// modification time and inode are compared before and after each read, and a read that saw
    /// them change (whether it succeeded or failed) is thrown away and done again, up to
    /// `attempts` times; then the run fails saying so. A file replaced by an atomic rename is read
    /// whole, old or new, and never mixed.
    static func load(
        _ config: DatasetConfig, columns: Set<String>?, blockSize: Int, checksum: Bool = true,
        limits: CSVLimits = .standard
    ) throws(DatasetError) -> LoadedDataset {
        for _ in 1..<attempts {
            let before = DatasetCache.identity(of: config.path)
            let result = Result { () throws(DatasetError) in
                try loadOnce(config, columns: columns, blockSize: blockSize, checksum: checksum, limits: limits)
            }
            if before == DatasetCache.identity(of: config.path) { return try result.get() }
        }
        let before = DatasetCache.identity(of: config.path)
        let result = Result { () throws(DatasetError) in
            try loadOnce(config, columns: columns, blockSize: blockSize, checksum: checksum, limits: limits)
        }
        guard before == DatasetCache.identity(of: config.path) else {
            throw DatasetError(
                file: DisplayPath.of(config.path), line: 0, column: 0,
                message:
                    "the file changed while it was being read, \(attempts) times in a row; a program is still writing it (write it to a temporary name and rename it into place)"
            )
        }
        return try result.get()
    }

    static func loadOnce(
        _ config: DatasetConfig, columns: Set<String>?, blockSize: Int, checksum: Bool, limits: CSVLimits
    ) throws(DatasetError) -> LoadedDataset {
        let display = DisplayPath.of(config.path)
        if config.format == CSVSourceKind.format {
            let stream = CSVStream(
                config: config, display: display, columns: columns, blockSize: blockSize, checksum: checksum,
                limits: limits)
            if case .loaded(let dataset) = try stream.read() { return dataset }
            // Otherwise the blocks disagreed with a sequential read: read it whole, in one pass.
        }
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(config.path, parts: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0,
                message: "cannot read dataset '\(config.name)': \(error.message)")
        }
        switch config.format {
        case CSVSourceKind.format:
            // The checksums are computed on a core of their own while the chunks are typed.
            let digests = Locked(("", UInt64(0)))
            var loaded = try readCSV(
                bytes, config: config, display: display, columns: columns, parts: defaultParts(bytes.count),
                limits: limits,
                alsoDo: {
                    let sha = checksum ? sha256(bytes) : ""
                    let fingerprint = Fingerprint.of(bytes)
                    digests.withLock { $0 = (sha, fingerprint) }
                })
            (loaded.sha256, loaded.fingerprint) = digests.withLock { $0 }
            return loaded
        case JSONSourceKind.format:
            var loaded = try readJSON(bytes, config: config, display: display, columns: columns)
            loaded.sha256 = checksum ? sha256(bytes) : ""
            loaded.fingerprint = Fingerprint.of(bytes)
            return loaded
        default:
            throw DatasetError(
                file: display, line: 0, column: 0, message: "no reader for the dataset format '\(config.format)'")
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// The SHA-256 of the file at `path` as it is now, read a mebibyte at a time; nil when it
    /// cannot be read.
    public static func sha256(ofFile path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Never a named pipe: that would block this thread until something wrote to it.
        var kind = stat()
        guard fstat(fd, &kind) == 0, kind.st_mode & S_IFMT == S_IFREG else { return nil }
        var hasher = SHA256()
        let failure = FileIO.forEachBlock(fd, blockSize: 1 << 20) { block in
            hasher.update(bufferPointer: block)
            return true
        }
        return failure == nil ? hex(hasher.finalize()) : nil
    }

    static func hex(_ digest: SHA256.Digest) -> String { Hex.string(digest) }

    /// Chunks to cut a file into: two per core, so the cores stay busy when chunks differ in
    /// cost; one below 1 MiB, where threads cost more than they save.
    static func defaultParts(_ size: Int) -> Int {
        size < 1 << 20 ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount) * 2
    }

    /// The table of `config.schema`'s columns that `columns` names (all when nil), in schema order.
    static func projected(_ schema: DatasetSchema, _ columns: Set<String>?) -> [Bool] {
        schema.columns.map { columns?.contains($0.name) ?? true }
    }

    /// Reads the header at the start of `buffer` and checks it against the schema.
    /// - Returns: the reader for the data rows, the header, and where the data rows start (byte
    ///   offset and line).
    ///
    /// A `settled` error is one a whole read gives too, though `buffer` is only the file's start.
    static func prepare(
        _ buffer: UnsafeBufferPointer<UInt8>, config: DatasetConfig, display: String, columns: Set<String>?,
        limits: CSVLimits = .standard
    ) throws(DatasetError) -> (CSVDatasetReader, [String], Int, Int) {
        let schema = config.schema
        if let encoding = utf16(buffer) {
            var error = DatasetError(
                file: display, line: 1, column: 1,
                message:
                    "the file is \(encoding) (it starts with that byte-order mark): save it as UTF-8 (Excel: \"CSV UTF-8\"; iconv -f UTF-16 -t UTF-8)"
            )
            error.settled = true
            throw error
        }
        var reader = CSVRecordReader(bytes: buffer, limits: limits.forHeader, readsHeader: true)
        let fields = CSVRecordReader.Fields()
        let line: Int?
        do throws(CSVRecordReader.SyntaxError) {
            line = try reader.next(into: fields)
        } catch {
            var message = error.message
            // No line feed in the header's longest extent: a streamed read's first buffer holds
            // that much (or the whole file), so it words the error as a whole read does.
            if message == CSVRecordReader.loneCarriageReturn,
                memchr(buffer.baseAddress!, 10, min(buffer.count, limits.headerBytes)) == nil
            {
                message = CSVRecordReader.carriageReturnsOnly
            }
            var failure = DatasetError(
                file: display, line: error.line,
                column: reader.column(offset: error.offset, lineStart: error.lineStart), message: message)
            // Only a quote still open at the buffer's end may be an artefact of where a block stops.
            failure.settled = error.kind != .unterminated
            throw failure
        }
        guard let headerLine = line else {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "the file is empty: a CSV dataset needs a header row")
        }
        if reader.recordEnd > reader.recordStart,
            memchr(buffer.baseAddress! + reader.recordStart, 0, reader.recordEnd - reader.recordStart) != nil
        {
            var error = DatasetError(
                file: display, line: headerLine, column: 1,
                message:
                    "the header holds NUL bytes (0x00): the file looks UTF-16 without a byte-order mark (save it as UTF-8; Excel: \"CSV UTF-8\") or damaged"
            )
            // Settled when the header's line break is in the buffer: a whole read sees the same.
            error.settled = reader.position <= buffer.count && buffer[reader.position - 1] == 10
            throw error
        }
        let header = fields.all.map {
            NFC.normalize(String(decoding: reader.raw($0), as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
        var positions: [Int] = []
        for column in schema.columns {
            guard let index = header.firstIndex(of: column.name) else {
                var message =
                    "the header has no column '\(column.name)', which the schema \(DisplayPath.of(config.schemaPath)) defines"
                if let guess = closestMatch(to: column.name, among: header) {
                    message += " (is '\(guess)' a misspelling?)"
                }
                throw DatasetError(file: display, line: headerLine, column: 1, message: message)
            }
            positions.append(index)
        }
        // One pass with a set (checking each name against those before it took 11.7 s for an
        // 80,000-column header). Empty names are not columns: Excel exports often end the header
        // with empty cells, and extra columns are ignored.
        var seen = Set<String>(minimumCapacity: header.count)
        for name in header where !name.isEmpty && !seen.insert(name).inserted {
            throw DatasetError(
                file: display, line: headerLine, column: 1,
                message: "the header names column '\(name.escapingControlCharacters)' twice")
        }
        let rows = CSVDatasetReader(
            schema: schema, positions: positions, headerCount: header.count, keep: projected(schema, columns),
            rejectBadRows: config.onBadRows == .reject, limits: limits)
        return (rows, header, reader.position, reader.line)
    }

    /// "UTF-16 (little-endian)" or "UTF-16 (big-endian)" when `bytes` start with that byte-order
    /// mark (UTF-32's little-endian one starts the same way: UTF-16 is by far the likelier).
    static func utf16(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count >= 2 else { return nil }
        if bytes[0] == 0xFF, bytes[1] == 0xFE { return "UTF-16 (little-endian)" }
        if bytes[0] == 0xFE, bytes[1] == 0xFF { return "UTF-16 (big-endian)" }
        return nil
    }

    static func readCSV(
        _ bytes: [UInt8], config: DatasetConfig, display: String, columns: Set<String>? = nil, parts: Int = 1,
        limits: CSVLimits = .standard, alsoDo extra: (@Sendable () -> Void)? = nil
    ) throws(DatasetError) -> LoadedDataset {
        let (reader, header, bodyStart, bodyLine) = try bytes.withUnsafeBufferPointer { buffer throws(DatasetError) in
            try prepare(buffer, config: config, display: display, columns: columns, limits: limits)
        }
        switch reader.read(bytes, from: bodyStart, line: bodyLine, parts: parts, alsoDo: extra) {
        case .failure(let failure):
            throw DatasetError(file: display, line: failure.line, column: failure.column, message: failure.message)
        case .success(let read):
            return LoadedDataset(
                table: Table(
                    schema: DatasetSchema(columns: read.columns.map(\.spec)), columns: read.columns,
                    rowCount: read.rows),
                rejected: read.rejected, header: header, sha256: "")
        }
    }

    static func readJSON(
        _ bytes: [UInt8], config: DatasetConfig, display: String, columns: Set<String>? = nil
    ) throws(DatasetError) -> LoadedDataset {
        let schema = config.schema
        let records: [[String: JSONCell]]
        do {
            records = try JSONDecoder().decode([[String: JSONCell]].self, from: Data(bytes))
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "not a JSON array of objects: \(JSONCell.explain(error))")
        }
        // A key twice in a record, a NUL in a string: the decoder accepts both silently.
        let found = bytes.withUnsafeBufferPointer { JSONCheck.problems($0) }
        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: records.count) }
        var rejected: [RejectedRow] = []
        var row = [Value](repeating: .null, count: schema.columns.count)
        for (index, record) in records.enumerated() {
            var problem: String?
            if let check = found[index] {
                guard config.onBadRows == .reject else {
                    throw DatasetError(
                        file: display, line: check.line, column: check.column,
                        message: "record \(index + 1): \(check.message)")
                }
                problem = check.message
            }
            for (c, spec) in schema.columns.enumerated() where problem == nil {
                switch (record[spec.name] ?? .null).value(as: spec.type) {
                case .success(let v):
                    row[c] = v
                    if v.isNull && spec.required { problem = "column '\(spec.name)' is required but missing or null" }
                case .failure(let why): problem = "column '\(spec.name)': \(why.message)"
                }
                if problem != nil { break }
            }
            if let problem {
                guard config.onBadRows == .reject else {
                    throw DatasetError(file: display, line: 0, column: 0, message: "record \(index + 1): \(problem)")
                }
                rejected.append(
                    RejectedRow(
                        line: index + 1, reason: problem, fields: schema.columns.map { (record[$0.name] ?? .null).text }
                    ))
                continue
            }
            for c in 0..<builders.count { builders[c].append(row[c]) }
        }
        let keep = projected(schema, columns)
        let kept = schema.columns.indices.filter { keep[$0] }
        return LoadedDataset(
            table: Table(
                schema: DatasetSchema(columns: kept.map { schema.columns[$0] }),
                columns: kept.map { builders[$0].build() }, rowCount: records.count - rejected.count),
            rejected: rejected, header: schema.columnNames, sha256: "")
    }
}
