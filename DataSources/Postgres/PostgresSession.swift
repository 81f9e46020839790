import Foundation
import Logging
import PostgresNIO
import ReportCore

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to a PostgreSQL server, used synchronously by a run's thread.
///
/// The bridge from the synchronous `DatasetSource` seam to postgres-nio: every call is started on
/// the connection's NIO event loop and the calling thread waits for its `EventLoopFuture`, with a
/// deadline. The callers are a run's dispatch thread (`serve` runs reports on
/// `DispatchQueue.global()`, never on the Swift concurrency pool), `reportd run`'s main thread,
/// and the config loader; none is an event loop thread, so the loop that completes the future is
/// never the one waiting for it. postgres-nio's `EventLoopFuture` API is used rather than its
/// async one (and `PostgresConnection` rather than `PostgresClient`): nothing here needs a Swift
/// concurrency thread to make progress, so a blocked caller can never starve the work it waits
/// for; and `PostgresClient` retries a refused or failed connection for ever while its queries
/// wait (postgres-nio issues 565 and 602), where a report must fail at once with the cause.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let dataset: String
    let address: PostgresAddress
    /// The URL, as errors name the dataset's location (it holds no password).
    let url: String
    /// Seconds a statement may take: the server cancels it (`statement_timeout`), and the
    /// connection is closed if no answer came a few seconds later (a server that went silent).
    let timeout: Int
    /// Whether the connection came from the idle pool (a failure on it is retried once on a new one).
    let reused: Bool
    /// The idle pool's key of the server (URL, password file, timeout).
    let poolKey: String

    private init(
        connection: PostgresConnection, dataset: String, address: PostgresAddress, url: String, timeout: Int,
        reused: Bool, poolKey: String
    ) {
        self.poolKey = poolKey
        self.connection = connection
        self.dataset = dataset
        self.address = address
        self.url = url
        self.timeout = timeout
        self.reused = reused
    }

    static let logger: Logger = {
        var logger = Logger(label: "reportd.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// The default `timeout` of a statement, in seconds.
    static let defaultTimeout = 60

    /// Opens a session for `settings`: an idle connection to the same server kept from an earlier
    /// read when there is one (`serve`), a new one otherwise (TCP, TLS per `sslmode`, login), all
    /// within the connect deadline.
    static func open(_ settings: DatasetConfig, fresh: Bool = false) throws(DatasetError) -> PostgresSession {
        let url = settings.url ?? settings.path
        let address: PostgresAddress
        switch PostgresAddress.parse(url) {
        case .success(let a): address = a
        case .failure(let problem): throw error(url, settings.name, problem.message)
        }
        let timeout = settings.timeout ?? defaultTimeout
        let key = PostgresIdlePool.key(url: url, passwordFile: settings.passwordFile, timeout: timeout)
        if !fresh, let idle = PostgresIdlePool.shared.take(key) {
            return PostgresSession(
                connection: idle, dataset: settings.name, address: address, url: url, timeout: timeout, reused: true,
                poolKey: key)
        }
        let password = try settings.passwordFile.map { file throws(DatasetError) in
            try readPassword(file, url: url, dataset: settings.name)
        }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: password,
            database: address.database, tls: try tls(address, url: url, dataset: settings.name))
        configuration.options.connectTimeout = .seconds(Int64(address.connectTimeout))
        // The name the certificate must hold (SNI takes no IP address: an IP is checked by NIOSSL
        // against the certificate's IP names without it).
        if address.sslMode == .verifyFull, !address.hostIsIPAddress {
            configuration.options.tlsServerName = address.host
        }
        // Session settings in the startup packet: no round trip. Dates and numbers as text in ISO
        // form; the server cancels a statement that runs past the dataset's timeout; a scan
        // starts at the table's first row (the order a read gives rows in).
        configuration.options.additionalStartupParameters = [
            ("application_name", "reportd"), ("DateStyle", "ISO, YMD"), ("extra_float_digits", "1"),
            ("statement_timeout", "\(timeout * 1000)"), ("synchronize_seqscans", "off"),
            ("default_transaction_read_only", "on"),
        ]
        let loop = PostgresConnection.defaultEventLoopGroup.next()
        let future = PostgresConnection.connect(
            on: loop, configuration: configuration,
            id: nextID.withLock {
                $0 += 1; return $0
            }, logger: logger)
        // The connect deadline is postgres-nio's (TCP, TLS and login), and this wait's, a little
        // longer, in case one of its steps ever waits without one.
        do {
            let connection = try wait(future, on: loop, seconds: address.connectTimeout + 2, what: "connecting")
            return PostgresSession(
                connection: connection, dataset: settings.name, address: address, url: url, timeout: timeout,
                reused: false, poolKey: key)
        } catch {
            throw Self.error(url, settings.name, describe(error, address: address, connecting: true))
        }
    }

    static let nextID = Locked(0)

    /// The rows of `sql` with `binds` (`$1`, `$2`, ...), each cell as text (nil for null); the
    /// statements cast what they select to text.
    func rows(_ sql: String, _ binds: [Value] = []) throws(DatasetError) -> [[String?]] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { Self.bind(value, into: &bindings) }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let collected = Locked<[[String?]]>([])
        let future = connection.query(query, logger: Self.logger) { row in
            var cells: [String?] = []
            cells.reserveCapacity(row.count)
            for cell in row { cells.append(cell.bytes.map { String(buffer: $0) }) }
            collected.withLock { $0.append(cells) }
        }
        do {
            _ = try Self.wait(future, on: connection.eventLoop, seconds: timeout + 5, what: "running a statement")
        } catch {
            if error is SessionTimeout { _ = try? connection.close().wait() }
            throw Self.error(url, dataset, Self.describe(error, address: address, connecting: false))
        }
        return collected.withLock { $0 }
    }

    /// Runs `sql` with `binds` and gives each row's cells as text (nil for null) to `onRow` as the
    /// rows arrive, on the connection's event loop, one row at a time: nothing of the result is
    /// kept here. An error `onRow` throws cancels the statement and is thrown as it is.
    func stream(
        _ sql: String, _ binds: [Value] = [], onRow: @escaping @Sendable ([String?]) throws(DatasetError) -> Void
    ) throws(DatasetError) {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { Self.bind(value, into: &bindings) }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let future = connection.query(query, logger: Self.logger) { row in
            var cells: [String?] = []
            cells.reserveCapacity(row.count)
            for cell in row { cells.append(cell.bytes.map { String(buffer: $0) }) }
            try onRow(cells)
        }
        do {
            _ = try Self.wait(future, on: connection.eventLoop, seconds: timeout + 5, what: "running a statement")
        } catch let error as DatasetError {
            throw error
        } catch {
            if error is SessionTimeout { _ = try? connection.close().wait() }
            throw Self.error(url, dataset, Self.describe(error, address: address, connecting: false))
        }
    }

    /// The names and type oids of the columns of `sql`'s first row (which must have one).
    func describe(_ sql: String) throws(DatasetError) -> [(name: String, oid: UInt32)] {
        let described = Locked<[(name: String, oid: UInt32)]>([])
        let future = connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger) { row in
            let columns = row.map { ($0.columnName, $0.dataType.rawValue) }
            described.withLock { $0 = columns }
        }
        do {
            _ = try Self.wait(future, on: connection.eventLoop, seconds: timeout + 5, what: "running a statement")
        } catch {
            if error is SessionTimeout { _ = try? connection.close().wait() }
            throw Self.error(url, dataset, Self.describe(error, address: address, connecting: false))
        }
        return described.withLock { $0 }
    }

    /// Runs `sql` for its effect.
    func execute(_ sql: String) throws(DatasetError) { _ = try rows(sql) }

    /// Gives the connection back to the idle pool (a later read on the same server reuses it), or
    /// closes it when it is no longer usable.
    func release(healthy: Bool) {
        guard healthy, !connection.isClosed else {
            close()
            return
        }
        PostgresIdlePool.shared.put(connection, key: poolKey)
    }

    func close() {
        _ = try? Self.wait(connection.close(), on: connection.eventLoop, seconds: 5, what: "closing")
    }

    static func bind(_ value: Value, into bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .int(let v): bindings.append(v)
        case .decimal(let v): bindings.append(v)
        case .string(let s): bindings.append(s)
        case .bool(let b): bindings.append(b)
        // A date as ISO text, typed by the server from the column it meets.
        // A date in PostgreSQL's binary form: days since 2000-01-01.
        case .date(let d):
            bindings.append(PostgresData(type: .date, value: ByteBuffer(integer: d.daysSinceEpoch - 10_957)))
        }
    }

    /// The password in `file`: its first line. The file must be a regular file that its owner alone
    /// may read (mode 0600 or 0400), as libpq asks of `.pgpass`.
    static func readPassword(_ file: String, url: String, dataset: String) throws(DatasetError) -> String {
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw error(url, dataset, "cannot read the password file \(file): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else {
            throw error(url, dataset, "the password file \(file) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw error(
                url, dataset,
                "the password file \(file) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): "
                    + "make it 0600 or 0400 (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw error(url, dataset, "cannot read the password file \(file)")
        }
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(line.hasSuffix("\r") ? line.dropLast() : line)
    }

    /// TLS per `sslmode`: none; TLS without checking the certificate (`allow`, `prefer`,
    /// `require`); TLS whose certificate chains to a trusted root (`verify-ca`) and names the host
    /// (`verify-full`), trusting the system's roots or `sslrootcert`.
    static func tls(_ address: PostgresAddress, url: String, dataset: String) throws(DatasetError)
        -> PostgresConnection.Configuration.TLS
    {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch address.sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let root = address.rootCertificate {
            configuration.trustRoots = .file(root)
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            switch address.sslMode {
            case .allow, .prefer: return .prefer(context)
            default: return .require(context)
            }
        } catch {
            throw Self.error(url, dataset, "cannot set up TLS: \(error)")
        }
    }

    struct SessionTimeout: Error {
        var what: String
        var seconds: Int
    }

    /// Waits on the calling thread (never an event loop's) for `future`, at most `seconds`.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, on loop: any EventLoop, seconds: Int, what: String)
        throws -> T
    {
        let promise = loop.makePromise(of: T.self)
        let deadline = loop.scheduleTask(in: .seconds(Int64(seconds))) {
            promise.fail(SessionTimeout(what: what, seconds: seconds))
        }
        future.whenComplete { result in
            deadline.cancel()
            promise.completeWith(result)
        }
        return try promise.futureResult.wait()
    }

    static func error(_ url: String, _ dataset: String, _ message: String) -> DatasetError {
        DatasetError(file: url, line: 0, column: 0, message: "dataset '\(dataset)': \(message)")
    }

    /// The cause of `error` in a few words, with the server's own message when it sent one.
    static func describe(_ error: any Error, address: PostgresAddress, connecting: Bool) -> String {
        if let timeout = error as? SessionTimeout {
            return "no answer from the server (\(address.endpoint)) within \(timeout.seconds)s while \(timeout.what)"
        }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "error \(state)"
            switch state {
            case "28P01", "28000": return "login refused by \(address.endpoint): \(message)"
            case "57014": return "\(message) (the dataset's timeout)"
            case "57P01", "57P02", "57P03": return "the server closed the connection: \(message)"
            case "3D000": return "login refused by \(address.endpoint): \(message)"
            default: return state.isEmpty ? message : "\(message) (SQLSTATE \(state))"
            }
        }
        switch error.code {
        case .sslUnsupported:
            return
                "the server \(address.endpoint) does not offer TLS, which sslmode=\(address.sslMode.rawValue) requires"
        case .connectionError:
            return connectionFailure(error.underlying, address: address)
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return
                "the connection to \(address.endpoint) was lost\(connecting ? " while logging in" : " during the run")"
        case .authMechanismRequiresPassword:
            return "login refused by \(address.endpoint): the server asks for a password; give 'password_file'"
        case .unsupportedAuthMechanism:
            return "login refused by \(address.endpoint): its authentication method is not supported"
        default:
            return "\(error.code)"
        }
    }

    static func connectionFailure(_ underlying: (any Error)?, address: PostgresAddress) -> String {
        if let failure = underlying as? NIOConnectionError {
            if let single = failure.connectionErrors.first?.error as? IOError {
                return "\(String(cString: strerror(single.errnoCode)).lowercased()) (\(address.endpoint))"
            }
            if failure.dnsAError != nil || failure.dnsAAAAError != nil {
                return "cannot resolve the host '\(address.host)'"
            }
        }
        if let io = underlying as? IOError {
            return "\(String(cString: strerror(io.errnoCode)).lowercased()) (\(address.endpoint))"
        }
        if let channel = underlying as? ChannelError, case .connectTimeout = channel {
            return "no answer from \(address.endpoint) within \(address.connectTimeout)s (connect_timeout)"
        }
        if let tls = underlying as? NIOSSLError {
            return "TLS failed with \(address.endpoint): \(tls)"
        }
        if let tls = underlying as? BoringSSLError {
            return "TLS failed with \(address.endpoint): \(tls)"
        }
        return "cannot connect to \(address.endpoint): \(underlying.map { "\($0)" } ?? "unknown error")"
    }
}

/// Connections kept open between reads, per server (URL, password file and timeout): `serve`
/// reuses them, so a run does not connect and log in again. At most a few per server; a
/// connection is taken by one read at a time.
final class PostgresIdlePool: Sendable {
    static let shared = PostgresIdlePool()
    static let perServer = 4

    private let idle = Locked<[String: [PostgresConnection]]>([:])

    static func key(url: String, passwordFile: String?, timeout: Int) -> String {
        "\(url)\u{0}\(passwordFile ?? "")\u{0}\(timeout)"
    }

    func take(_ key: String) -> PostgresConnection? {
        idle.withLock { all in
            while var list = all[key], let last = list.popLast() {
                all[key] = list
                if !last.isClosed { return last }
            }
            return nil
        }
    }

    func put(_ connection: PostgresConnection, key: String) {
        let extra: PostgresConnection? = idle.withLock { all in
            var list = all[key, default: []]
            guard list.count < Self.perServer else { return connection }
            list.append(connection)
            all[key] = list
            return nil
        }
        if let extra { let _: EventLoopFuture<Void> = extra.close() }
    }
}
