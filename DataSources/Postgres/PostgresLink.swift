import Foundation
import Logging
import PostgresNIO
public import ReportCore

/// A read-write connection to a PostgreSQL server for reportd's own records (the cluster's claims,
/// `cluster:`), over the same connection code as the datasets': the URL, `password_file`, `sslmode`
/// and deadlines of `PostgresSession`, a `PostgresConnection` whose futures the calling thread
/// waits for (never an event loop's, never a Swift concurrency thread), never `PostgresClient`
/// (which retries a refused login for ever while its queries wait).
public final class PostgresLink: @unchecked Sendable {
    // @unchecked: the connection is postgres-nio's (Sendable); the rest is immutable.
    let connection: PostgresConnection
    let address: PostgresAddress
    /// Seconds a statement may take (server-side `statement_timeout`, and this side's wait).
    public let timeout: Int

    /// Why a statement or the connection failed; `unreachable` when the server could not be
    /// reached or the connection was lost (nothing the server decided).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var unreachable: Bool
        /// The SQLSTATE the server sent, if any.
        public var sqlState: String?
        public var description: String { message }
    }

    private init(connection: PostgresConnection, address: PostgresAddress, timeout: Int) {
        self.connection = connection
        self.address = address
        self.timeout = timeout
    }

    /// What is wrong with `url` as a libpq URI reportd accepts; nil when it is fine.
    public static func problem(inURL url: String) -> String? {
        switch PostgresAddress.parse(url) {
        case .success: return nil
        case .failure(let problem): return problem.message
        }
    }

    /// `host:port` of `url`, as messages name the server.
    public static func endpoint(of url: String) -> String {
        (try? PostgresAddress.parse(url).get())?.endpoint ?? url
    }

    /// Connects (TCP, TLS per `sslmode`, login) within `connectTimeout` seconds (the URL's
    /// `connect_timeout` when lower), with `timeout` as every statement's deadline.
    public static func connect(
        url: String, passwordFile: String?, timeout: Int, connectTimeout: Int, applicationName: String
    ) throws(Failure) -> PostgresLink {
        let address: PostgresAddress
        switch PostgresAddress.parse(url) {
        case .success(let a): address = a
        case .failure(let problem): throw Failure(message: problem.message, unreachable: false)
        }
        let password: String?
        let tls: PostgresConnection.Configuration.TLS
        do {
            password = try passwordFile.map { file throws(DatasetError) in
                try PostgresSession.readPassword(file, url: url, dataset: "cluster")
            }
            tls = try PostgresSession.tls(address, url: url, dataset: "cluster")
        } catch {
            throw Failure(message: Self.strip(error.message), unreachable: false)
        }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: password,
            database: address.database, tls: tls)
        let seconds = max(1, min(connectTimeout, address.connectTimeout))
        configuration.options.connectTimeout = .seconds(Int64(seconds))
        if address.sslMode == .verifyFull, !address.hostIsIPAddress {
            configuration.options.tlsServerName = address.host
        }
        configuration.options.additionalStartupParameters = [
            ("application_name", applicationName), ("statement_timeout", "\(timeout * 1000)"),
            // A transaction left open by a paused node must not hold its rows for ever.
            ("idle_in_transaction_session_timeout", "\(max(timeout, 2) * 1000)"),
        ]
        let loop = PostgresConnection.defaultEventLoopGroup.next()
        let future = PostgresConnection.connect(
            on: loop, configuration: configuration,
            id: PostgresSession.nextID.withLock {
                $0 += 1
                return $0
            }, logger: PostgresSession.logger)
        do {
            let connection = try PostgresSession.wait(future, on: loop, seconds: seconds + 2, what: "connecting")
            return PostgresLink(connection: connection, address: address, timeout: timeout)
        } catch {
            throw Self.failure(error, address: address, connecting: true)
        }
    }

    /// Whether the connection is closed (lost, or closed after a statement that got no answer).
    public var isClosed: Bool { connection.isClosed }

    /// The rows of `sql` with `binds` (`$1`, `$2`, ...), each cell as text (nil for null).
    public func rows(_ sql: String, _ binds: [Value] = []) throws(Failure) -> [[String?]] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { PostgresSession.bind(value, into: &bindings) }
        let collected = Locked<[[String?]]>([])
        let future = connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: PostgresSession.logger) {
            row in
            var cells: [String?] = []
            for cell in row { cells.append(cell.bytes.map { String(buffer: $0) }) }
            collected.withLock { $0.append(cells) }
        }
        do {
            _ = try PostgresSession.wait(future, on: connection.eventLoop, seconds: timeout + 2, what: "running a statement")
        } catch {
            if error is PostgresSession.SessionTimeout { close() }
            throw Self.failure(error, address: address, connecting: false)
        }
        return collected.withLock { $0 }
    }

    /// Runs `sql` for its effect.
    public func execute(_ sql: String, _ binds: [Value] = []) throws(Failure) { _ = try rows(sql, binds) }

    public func close() {
        _ = try? PostgresSession.wait(connection.close(), on: connection.eventLoop, seconds: 5, what: "closing")
    }

    static func failure(_ error: any Error, address: PostgresAddress, connecting: Bool) -> Failure {
        let message = PostgresSession.describe(error, address: address, connecting: connecting)
        var state: String?
        var unreachable = connecting || error is PostgresSession.SessionTimeout
        if let psql = error as? PSQLError {
            state = psql.serverInfo?[.sqlState]
            switch psql.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                unreachable = true
            default: break
            }
            if let state, state.hasPrefix("57P") || state.hasPrefix("08") { unreachable = true }
            if let state, state.hasPrefix("28") || state == "3D000" { unreachable = false }
        }
        return Failure(message: message, unreachable: unreachable, sqlState: state)
    }

    /// A dataset error's message without the `dataset 'cluster': ` it starts with.
    static func strip(_ message: String) -> String {
        let prefix = "dataset 'cluster': "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }
}
