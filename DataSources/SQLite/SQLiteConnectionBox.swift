import Dispatch
import Logging
import ReportCore
import ReportFiles
import SQLiteNIO

#if canImport(Glibc)
    import Glibc
#endif

/// One read-only connection to a database file, used synchronously.
///
/// SQLiteNIO runs every call on NIO's thread pool and answers with a future; the caller's thread
/// waits on a semaphore until the future completes. The caller is a run's thread (never an event
/// loop nor a pool thread), so the pool always has a thread free for the call it waits for.
final class SQLiteReadConnection {
    let connection: SQLiteConnection
    let dataset: String
    let path: String

    /// Milliseconds a statement waits for a writer's lock before it fails ("database is locked").
    static let busyTimeoutMilliseconds = 5_000

    private init(connection: SQLiteConnection, dataset: String, path: String) {
        self.connection = connection
        self.dataset = dataset
        self.path = path
    }

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
        let opened: SQLiteConnection
        do {
            opened = try wait { SQLiteConnection.open(storage: .file(path: uri), logger: quietLogger).whenComplete($0) }
        } catch {
            throw Self.error(path, dataset, "cannot open the database: \(describe(error))")
        }
        let box = SQLiteReadConnection(connection: opened, dataset: dataset, path: path)
        do throws(DatasetError) {
            // Replaces SQLiteNIO's busy handler, which waits for ever, by a bounded wait.
            _ = try box.rows("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)", [])
            do {
                try wait { opened.install(customFunction: nfcFunction).whenComplete($0) }
            } catch {
                throw Self.error(path, dataset, describe(error))
            }
            // Reading the schema fails at once when the file is not a database.
            _ = try box.rows("SELECT count(*) FROM sqlite_master", [])
        } catch {
            box.close()
            throw error
        }
        return box
    }

    /// The rows of `sql` with `binds`, or the database's error naming the dataset.
    func rows(_ sql: String, _ binds: [SQLiteData]) throws(DatasetError) -> [SQLiteRow] {
        do {
            return try Self.wait { connection.query(sql, binds).whenComplete($0) }
        } catch {
            throw Self.error(path, dataset, Self.describe(error))
        }
    }

    func close() {
        _ = try? Self.wait { connection.close().whenComplete($0) }
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "reportd.sqlite")
        logger.logLevel = .critical
        return logger
    }()

    /// `nfc(text)`: the text in Unicode Normalization Form C, as the file readers give text; other
    /// values unchanged.
    static let nfcFunction = SQLiteCustomFunction("nfc", argumentCount: 1, pure: true) { args in
        switch args[0] {
        case .text(let text): return NFC.normalize(text)
        case .integer(let v): return v
        case .float(let v): return v
        case .blob, .null: return nil
        }
    }

    static func error(_ path: String, _ dataset: String, _ message: String) -> DatasetError {
        DatasetError(file: path, line: 0, column: 0, message: "dataset '\(dataset)': \(message)")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? SQLiteError { return error.message }
        return String(describing: error)
    }

    /// Waits on the calling thread for the future that `start` makes, through its `whenComplete`.
    static func wait<T: Sendable>(
        _ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void
    ) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Result<T, any Error>?>(nil)
        start { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
