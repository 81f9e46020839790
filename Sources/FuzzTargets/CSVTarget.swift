import Foundation
import ReportCore
import ReportConfig
import SourceCSV

extension FuzzTarget {
    /// The CSV dataset reader: the input is a data file's contents, read with a small schema of
    /// every column type (header `id,year,amount,start_date,active,status`).
    ///
    /// Invariants: the streamed read in small blocks (64 bytes, or 7, 16 or 33: the input's length
    /// picks one) gives the same table, rejected rows and checksum as the default 16 MiB block, or
    /// the same error; so does a read of the bytes in memory cut into 3 chunks typed in parallel.
    /// Errors carry a line within the file. The input's length also picks `on_bad_rows` (fail or
    /// reject), so that each input costs three reads, not six.
    public static let csv = FuzzTarget(name: "fuzz-csv", corpus: "csv") { bytes throws(InvariantViolation) in
        let path = FuzzScratch.folder + "/data.csv"
        FuzzScratch.write(bytes, to: path)
        let lines = bytes.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
        let mode: DatasetConfig.BadRows = bytes.count % 2 == 0 ? .fail : .reject
        let blockSize = [64, 7, 16, 33][bytes.count / 2 % 4]
        let config = DatasetConfig(
            name: "data", format: "csv", path: path, schema: CSVFixture.schema, onBadRows: mode)
        let reference = CSVOutcome { () throws(DatasetError) in try CSVLoader.load(config) }
        if case .failed(let e) = reference {
            try check(
                e.line >= 0 && e.line <= lines && e.column >= 0, "error outside the file (\(lines) lines): \(e)")
        }
        let small = CSVOutcome { () throws(DatasetError) in
            try CSVLoader.loadForFuzzing(config, blockSize: blockSize)
        }
        try check(
            small == reference, "\(mode) with \(blockSize)-byte blocks: \(small) but by default \(reference)")
        let parts = CSVOutcome { () throws(DatasetError) in
            var loaded = try CSVLoader.readCSVForFuzzing(bytes, config: config, parts: 3)
            loaded.sha256 = ""
            return loaded
        }
        try check(parts == reference.withoutChecksum, "\(mode) in 3 parts: \(parts) but by default \(reference)")
    }
}

enum CSVFixture {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true),
        ColumnSpec(name: "year", type: .int, required: true),
        ColumnSpec(name: "amount", type: .decimal),
        ColumnSpec(name: "start_date", type: .date),
        ColumnSpec(name: "active", type: .bool),
        ColumnSpec(name: "status", type: .string),
    ])
}

/// A load's outcome in comparable form.
enum CSVOutcome: Equatable, CustomStringConvertible {
    case loaded(rows: [[String]], rejected: [String], header: [String], sha256: String)
    case failed(DatasetError)

    init(_ load: () throws(DatasetError) -> LoadedDataset) {
        do {
            let d = try load()
            let rows = (0..<d.table.rowCount).map { r in d.table.columns.map { Self.cell($0.value(at: r)) } }
            self = .loaded(
                rows: rows, rejected: d.rejected.map { "\($0.line): \($0.reason) \($0.fields)" }, header: d.header,
                sha256: d.sha256)
        } catch {
            self = .failed(error)
        }
    }

    /// A cell exactly: decimals by bit pattern (so -0.0 and NaN compare as read).
    static func cell(_ v: Value) -> String {
        if case .decimal(let d) = v { return "decimal:\(d.bitPattern)" }
        return "\(v)"
    }

    var withoutChecksum: CSVOutcome {
        if case .loaded(let rows, let rejected, let header, _) = self {
            return .loaded(rows: rows, rejected: rejected, header: header, sha256: "")
        }
        return self
    }

    static func == (a: CSVOutcome, b: CSVOutcome) -> Bool {
        switch (a, b) {
        case (.loaded(let r1, let j1, let h1, let s1), .loaded(let r2, let j2, let h2, let s2)):
            return r1 == r2 && j1 == j2 && h1 == h2 && s1 == s2
        case (.failed(let e1), .failed(let e2)):
            return e1.line == e2.line && e1.column == e2.column && e1.message == e2.message
        default: return false
        }
    }

    var description: String {
        switch self {
        case .loaded(let rows, let rejected, _, _): return "\(rows.count) rows \(rows.prefix(3)), rejected \(rejected)"
        case .failed(let e): return "error \(e.line):\(e.column): \(e.message)"
        }
    }
}

/// A private folder for the files the targets read, made once per process.
enum FuzzScratch {
    static let folder: String = {
        let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("reportd-fuzz-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FuzzScratch.folder) }
        return path
    }()

    /// Replaces the file's contents in place (no temporary file, no fsync: it is scratch).
    static func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { fatalError("cannot write \(path): errno \(errno)") }
            done += n
        }
    }
}
