import ReportCore
import NIOCore
import ReportFiles
import SQLiteNIO
import VaporCSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// One read-only connection to a database file, used synchronously on the caller's thread.
///
/// It speaks to the SQLite that sqlite-nio carries through its C interface: a statement's rows
/// come straight from `sqlite3_step` (no hop to a thread pool and back, no row object with its
/// column names per row), and `nfc()` is a C-callable function that returns text already in NFC
/// as it is, without making a Swift string of it. The caller is a run's thread (never an event
/// loop nor a task of the cooperative pool); the connection is opened in serialized mode.
final class SQLiteReadConnection {
    private var db: OpaquePointer?
    let dataset: String
    let path: String

    /// Milliseconds a statement waits for a writer's lock before it fails ("database is locked").
    static let busyTimeoutMilliseconds: Int32 = 5_000

    private init(db: OpaquePointer, dataset: String, path: String) {
        self.db = db
        self.dataset = dataset
        self.path = path
    }

    deinit { close() }

    /// Opens `path` read-only (a `file:` URI with `mode=ro`: never created, never written), with a
    /// busy timeout, the `nfc()` function registered, and checks that it is a database.
    static func open(path: String, dataset: String) throws(DatasetError) -> SQLiteReadConnection {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw error(path, dataset, "cannot open the database: \(String(cString: strerror(errno)))")
        }
        // SQLite would open a named pipe and wait for a writer for ever, as a file reader would.
        if let kind = FileBytes.kindUnlessRegular(info) {
            throw error(path, dataset, "cannot open the database: it is \(kind.rawValue), not a database file")
        }
        let uri = "file:" + percentEncoded(path) + "?mode=ro"
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX
        let opened = sqlite_nio_sqlite3_open_v2(uri, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message =
                handle.flatMap { sqlite_nio_sqlite3_errmsg($0).map { String(cString: $0) } }
                ?? String(cString: sqlite_nio_sqlite3_errstr(opened))
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw error(path, dataset, "cannot open the database: \(message)")
        }
        let box = SQLiteReadConnection(db: handle, dataset: dataset, path: path)
        do throws(DatasetError) {
            // A bounded wait for a writer's lock (SQLiteNIO's own handler waits for ever).
            sqlite_nio_sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
            let registered = sqlite_nio_sqlite3_create_function_v2(
                handle, "nfc", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, nfcFunction, nil, nil, nil)
            guard registered == SQLITE_OK else { throw box.lastError() }
            let stored = sqlite_nio_sqlite3_create_function_v2(
                handle, "stored_nfc", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, storedNFCFunction, nil, nil, nil)
            guard stored == SQLITE_OK else { throw box.lastError() }
            // Reading the schema fails at once when the file is not a database.
            _ = try box.rows("SELECT count(*) FROM sqlite_master", [])
        } catch {
            box.close()
            throw error
        }
        return box
    }

    /// The rows of `sql` with `binds`, or the database's error naming the dataset.
    func rows(_ sql: String, _ binds: [SQLiteData]) throws(DatasetError) -> [SQLiteResultRow] {
        var names: [String] = []
        var rows: [SQLiteResultRow] = []
        try run(sql, binds, names: { names = $0 }) { cells in rows.append(SQLiteResultRow(names: names, cells: cells)) }
        return rows
    }

    /// Calls `body` with each row's cells of `sql` with `binds`, one row at a time.
    func each(
        _ sql: String, _ binds: [SQLiteData], body: ([SQLiteData]) throws(DatasetError) -> Void
    ) throws(DatasetError) {
        try run(sql, binds, names: { _ in }, body: body)
    }

    private func run(
        _ sql: String, _ binds: [SQLiteData], names: ([String]) -> Void,
        body: ([SQLiteData]) throws(DatasetError) -> Void
    ) throws(DatasetError) {
        guard let db else { throw Self.error(path, dataset, "the connection is closed") }
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw lastError()
        }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
            switch value {
            case .integer(let v): code = sqlite_nio_sqlite3_bind_int64(statement, index, sqlite3_int64(v))
            case .float(let v): code = sqlite_nio_sqlite3_bind_double(statement, index, v)
            case .text(let t): code = sqlite_nio_sqlite3_bind_text(statement, index, t, -1, Self.transient)
            case .null, .blob: code = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw lastError() }
        }
        let count = sqlite_nio_sqlite3_column_count(statement)
        names((0..<count).map { sqlite_nio_sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? "" })
        var cells: [SQLiteData] = []
        cells.reserveCapacity(Int(count))
        while true {
            let step = sqlite_nio_sqlite3_step(statement)
            if step == SQLITE_DONE { return }
            guard step == SQLITE_ROW else { throw lastError() }
            cells.removeAll(keepingCapacity: true)
            for i in 0..<count {
                switch sqlite_nio_sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: cells.append(.integer(SQLiteInt64(sqlite_nio_sqlite3_column_int64(statement, i))))
                case SQLITE_FLOAT: cells.append(.float(sqlite_nio_sqlite3_column_double(statement, i)))
                case SQLITE_TEXT:
                    // As SQLiteNIO reads text: up to a NUL, invalid UTF-8 repaired.
                    cells.append(.text(sqlite_nio_sqlite3_column_text(statement, i).map { String(cString: $0) } ?? ""))
                case SQLITE_BLOB:
                    var buffer = ByteBufferAllocator().buffer(capacity: 0)
                    let n = Int(sqlite_nio_sqlite3_column_bytes(statement, i))
                    if let blob = sqlite_nio_sqlite3_column_blob(statement, i) {
                        buffer.writeBytes(UnsafeRawBufferPointer(start: blob, count: n))
                    }
                    cells.append(.blob(buffer))
                default: cells.append(.null)
                }
            }
            try body(cells)
        }
    }

    private func lastError() -> DatasetError {
        let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0).map { String(cString: $0) } } ?? "unknown error"
        return Self.error(path, dataset, message)
    }

    func close() {
        guard let db else { return }
        sqlite_nio_sqlite3_close_v2(db)
        self.db = nil
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// `nfc(text)`: the text in Unicode Normalization Form C, as the file readers give text; other
    /// values unchanged (a blob: null). Text whose bytes are certainly NFC already (see
    /// `certainlyNFC`) is returned as it is, without a Swift string; the rest goes through
    /// `NFC.normalize` after being read as SQLiteNIO reads text.
    static let nfcFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
        context, _, arguments in
        guard let value = arguments?[0] else { return sqlite_nio_sqlite3_result_null(context) }
        switch sqlite_nio_sqlite3_value_type(value) {
        case SQLITE_INTEGER, SQLITE_FLOAT:
            sqlite_nio_sqlite3_result_value(context, value)
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_value_text(value) else { return sqlite_nio_sqlite3_result_text(context, "", 0, nil) }
            let n = Int(sqlite_nio_sqlite3_value_bytes(value))
            if certainlyNFC(text, count: n) {
                sqlite_nio_sqlite3_result_value(context, value)
            } else {
                let normalized = NFC.normalize(String(cString: text))
                sqlite_nio_sqlite3_result_text(context, normalized, -1, SQLiteReadConnection.transient)
            }
        default:
            sqlite_nio_sqlite3_result_null(context)
        }
    }

    /// `stored_nfc(value)`: 1 when the value is a non-empty text whose bytes are certainly NFC
    /// (see `certainlyNFC`), so that the stored text is the engine's; 0 otherwise (null, empty, a
    /// number, a blob, text that may need normalising or is not UTF-8). The pre-test of
    /// `SQLFilterCompiler`'s stored branch: one call per row that copies nothing, where `nfc()`
    /// returns a copy of its text.
    static let storedNFCFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
        context, _, arguments in
        guard let value = arguments?[0], sqlite_nio_sqlite3_value_type(value) == SQLITE_TEXT,
            let text = sqlite_nio_sqlite3_value_text(value)
        else { return sqlite_nio_sqlite3_result_int(context, 0) }
        let n = Int(sqlite_nio_sqlite3_value_bytes(value))
        sqlite_nio_sqlite3_result_int(context, n > 0 && certainlyNFC(text, count: n) ? 1 : 0)
    }

    /// Whether `count` bytes are valid UTF-8 without a NUL, every scalar below U+0300 or in
    /// U+1E00–U+1EFF (`NFC.isCertainlyNormalized`'s set): such text reads as the same string and
    /// is NFC already. Anything else (another scalar, a NUL, a malformed sequence) says false.
    static func certainlyNFC(_ p: UnsafePointer<UInt8>, count n: Int) -> Bool {
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b == 0 { return false }
                i += 1
            } else if b >= 0xC2, b < 0xCC {
                // U+0080–U+02FF: 0xC2 0x80 … 0xCB 0xBF.
                guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return false }
                i += 2
            } else if b == 0xE1 {
                // U+1E00–U+1EFF: 0xE1 0xB8 0x80 … 0xE1 0xBB 0xBF.
                guard i + 2 < n, p[i + 1] >= 0xB8, p[i + 1] <= 0xBB, p[i + 2] & 0xC0 == 0x80 else { return false }
                i += 3
            } else {
                return false
            }
        }
        return true
    }

    static func error(_ path: String, _ dataset: String, _ message: String) -> DatasetError {
        DatasetError(file: path, line: 0, column: 0, message: "dataset '\(dataset)': \(message)")
    }

    /// `path` with the characters a URI gives a meaning to percent-encoded.
    static func percentEncoded(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x21, 0x7f...:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            default:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }
}

/// One row of a statement: its cells, and the statement's column names.
struct SQLiteResultRow {
    let names: [String]
    let cells: [SQLiteData]

    var columns: [SQLiteResultColumn] { zip(names, cells).map { SQLiteResultColumn(name: $0, data: $1) } }
}

struct SQLiteResultColumn {
    let name: String
    let data: SQLiteData
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
