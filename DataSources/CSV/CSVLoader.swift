import Foundation
public import ReportCore
import ReportFiles
import SourceFiles

/// `format: csv`: RFC 4180 files with a header row (see SPEC.md, "Datasets").
public struct CSVSourceKind: DatasetSourceKind {
    public static let format = "csv"
    public static let fileExtensions = ["csv"]

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource {
        FileDatasetSource(settings) { settings, columns, checksum throws(DatasetError) in
            try CSVLoader.loadOnce(
                settings, columns: columns, blockSize: CSVLoader.blockSize, checksum: checksum, limits: .standard)
        }
    }
}

/// Reads CSV dataset files into typed columns.
package enum CSVLoader {
    /// How much of a file is read and typed at a time (`CSVStream`).
    static let blockSize = 16 << 20

    /// Reads `config`'s file.
    ///
    /// - Parameter columns: the columns to keep in memory (those the reports read); every column is
    ///   still checked against the schema, so a bad cell fails (or is rejected) whichever reports
    ///   run. `nil` keeps them all.
    /// - Throws: `DatasetError` naming FILE:LINE:COLUMN for the first bad row (unless rows are rejected),
    ///   or the file when it cannot be read.
    ///   - checksum: whether to compute the file's SHA-256 (JSON and text outputs show it).
    package static func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        throws(DatasetError) -> LoadedDataset
    {
        try load(config, columns: columns, blockSize: blockSize, checksum: checksum)
    }

    /// - Parameters:
    ///   - blockSize: how much of a CSV file is read and typed at a time (`CSVStream`).
    ///   - limits: the largest header, record and cell of a CSV file (tests lower them).
    ///
    /// A file that changes while it is read is read again (`FileDataset.untilUnchanged`).
    static func load(
        _ config: DatasetConfig, columns: Set<String>?, blockSize: Int, checksum: Bool = true,
        limits: CSVLimits = .standard, step: Int = CSVStream.checksumStep, access: CSVStream.Access = .mapped
    ) throws(DatasetError) -> LoadedDataset {
        try FileDataset.untilUnchanged(config) { () throws(DatasetError) in
            try loadOnce(
                config, columns: columns, blockSize: blockSize, checksum: checksum, limits: limits, step: step,
                access: access)
        }
    }

    static func loadOnce(
        _ config: DatasetConfig, columns: Set<String>?, blockSize: Int, checksum: Bool, limits: CSVLimits,
        step: Int = CSVStream.checksumStep, access: CSVStream.Access = .mapped
    ) throws(DatasetError) -> LoadedDataset {
        let display = DisplayPath.of(config.path)
        if let encoding = try transcoding(config, display: display) {
            return try loadTranscoded(
                config, from: encoding, display: display, columns: columns, checksum: checksum, limits: limits)
        }
        var stream = CSVStream(
            config: config, display: display, columns: columns, blockSize: blockSize, checksum: checksum,
            limits: limits)
        stream.step = step
        stream.access = access
        if case .loaded(let dataset) = try stream.read() { return dataset }
        // Otherwise the blocks disagreed with a sequential read: read it whole, in one pass.
        let bytes = try FileDataset.bytes(of: config, display: display)
        // The checksums are computed on a core of their own while the chunks are typed.
        let digests = Locked(("", UInt64(0)))
        var loaded = try readCSV(
            bytes, config: config, display: display, columns: columns, parts: defaultParts(bytes.count),
            limits: limits,
            alsoDo: {
                let sha = checksum ? FileDataset.sha256(bytes) : ""
                let fingerprint = Fingerprint.of(bytes)
                digests.withLock { $0 = (sha, fingerprint) }
            })
        (loaded.sha256, loaded.fingerprint) = digests.withLock { $0 }
        return loaded
    }

    /// The encoding to convert the file from, or nil for UTF-8 (read as it streams): the dataset's
    /// `encoding`, unless the file starts with a byte-order mark, which decides.
    static func transcoding(_ config: DatasetConfig, display: String) throws(DatasetError) -> (CSVEncoding, Int)? {
        var head = [UInt8](repeating: 0, count: 4)
        let fd = open(config.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd >= 0 {
            defer { close(fd) }
            var kind = stat()
            if fstat(fd, &kind) == 0, kind.st_mode & S_IFMT == S_IFREG {
                let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
                head.removeSubrange(max(0, n)...)
            } else {
                head = []
            }
        } else {
            head = []
        }
        // An unreadable file: the streamed read says why.
        return head.withUnsafeBufferPointer { conversion(head: $0, declared: config.csv.encoding) }
    }

    /// The encoding to convert from (and the byte-order mark's length to skip), nil for UTF-8: a
    /// byte-order mark at the start of the file decides, else the declared encoding.
    static func conversion(head: UnsafeBufferPointer<UInt8>, declared: CSVEncoding) -> (CSVEncoding, Int)? {
        if let (encoding, length) = Transcoder.byteOrderMark(head) { return encoding == .utf8 ? nil : (encoding, length) }
        return declared == .utf8 ? nil : (declared, 0)
    }

    /// Reads a file that is not UTF-8: whole, converted to UTF-8 by iconv, then typed as a UTF-8
    /// file is. The checksums are those of the file's own bytes.
    static func loadTranscoded(
        _ config: DatasetConfig, from encoding: (CSVEncoding, Int), display: String, columns: Set<String>?,
        checksum: Bool, limits: CSVLimits
    ) throws(DatasetError) -> LoadedDataset {
        let bytes = try FileDataset.bytes(of: config, display: display)
        // The file, its UTF-8 (up to one and a half times larger) and the typed columns.
        if let refusal = MemoryHeadroom.refusal(datasetBytes: bytes.count, factor: 3) {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "cannot read dataset '\(config.name)': \(refusal)")
        }
        let text: [UInt8]
        switch Transcoder.utf8(bytes, from: encoding.0, skip: encoding.1) {
        case .success(let converted): text = converted
        case .failure(let failure):
            throw DatasetError(file: display, line: failure.line, column: failure.column, message: failure.message)
        }
        var loaded = try readCSV(
            text, config: config, display: display, columns: columns, parts: defaultParts(text.count), limits: limits)
        loaded.sha256 = checksum ? FileDataset.sha256(bytes) : ""
        loaded.fingerprint = Fingerprint.of(bytes)
        return loaded
    }

    /// Chunks to cut a file into: two per core, so the cores stay busy when chunks differ in
    /// cost; one below 1 MiB, where threads cost more than they save.
    static func defaultParts(_ size: Int) -> Int {
        size < 1 << 20 ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount) * 2
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
        reader.delimiter = config.csv.delimiter
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
        var rows = CSVDatasetReader(
            schema: schema, positions: positions, headerCount: header.count, keep: FileDataset.projected(schema, columns),
            rejectBadRows: config.onBadRows == .reject, limits: limits)
        rows.delimiter = config.csv.delimiter
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
        limits: CSVLimits = .standard, batchRows: Int? = nil, utf8Segment: Int? = nil,
        alsoDo extra: (@Sendable () -> Void)? = nil
    ) throws(DatasetError) -> LoadedDataset {
        var (reader, header, bodyStart, bodyLine) = try bytes.withUnsafeBufferPointer { buffer throws(DatasetError) in
            try prepare(buffer, config: config, display: display, columns: columns, limits: limits)
        }
        if let batchRows { reader.batchRows = batchRows }
        if let utf8Segment { reader.utf8Segment = utf8Segment }
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
}
