import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server's address from a libpq URI (`postgresql://user@host:port/database?sslmode=require`),
/// checked offline when the config loads.
///
/// A password in the URI is refused: it would show wherever the URL is shown (logs, errors,
/// `status`, the run history). It goes in `password_file`.
struct PostgresAddress: Sendable, Hashable {
    /// libpq's `sslmode` values, and what reportd does with each (see the README).
    enum SSLMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate (as `prefer`; libpq
        /// tries without TLS first).
        case allow
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked (libpq's `require` without a root
        /// certificate).
        case require
        /// TLS; the certificate must chain to a trusted root (the system's, or `sslrootcert`).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate must name the host.
        case verifyFull = "verify-full"
    }

    var user: String
    var host: String
    var port: Int
    var database: String
    var sslMode: SSLMode = .prefer
    /// A file of PEM certificates to trust instead of the system's (`sslrootcert`).
    var rootCertificate: String?
    /// Seconds a connection (TCP, TLS and login) may take (`connect_timeout`); 10 by default.
    var connectTimeout: Int = 10

    /// `host:port`, as messages name the server.
    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var hostIsIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static let parameters = ["sslmode", "sslrootcert", "connect_timeout", "application_name"]

    /// The address in `url`, or what is wrong with it.
    static func parse(_ url: String) -> Result<PostgresAddress, PostgresURLProblem> {
        var rest = Substring(url)
        guard let scheme = ["postgresql://", "postgres://"].first(where: { rest.hasPrefix($0) }) else {
            return .failure(
                .init("'url' must be a libpq URI starting with postgresql:// (postgresql://user@host:5432/database)"))
        }
        rest = rest.dropFirst(scheme.count)
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var user = PostgresAddress.currentUser()
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            if info.contains(":") {
                return .failure(
                    .init(
                        "'url' must not hold a password (it would show in logs and errors): "
                            + "put it in a file named by 'password_file'"))
            }
            guard let decoded = String(info).removingPercentEncoding, !decoded.isEmpty else {
                return .failure(.init("'url' has a bad user name"))
            }
            user = decoded
            rest = rest[rest.index(after: at)...]
        }
        var host = "localhost"
        var port = 5432
        var hostPart = rest
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                return .failure(.init("'url' has a bad IPv6 address"))
            }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") {
                guard let p = Int(hostPart.dropFirst()), (1...65535).contains(p) else {
                    return .failure(.init("'url' has a bad port '\(hostPart.dropFirst())'"))
                }
                port = p
            } else if !hostPart.isEmpty {
                return .failure(.init("'url' has a bad host"))
            }
        } else {
            if let colon = hostPart.lastIndex(of: ":") {
                guard let p = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(p) else {
                    return .failure(.init("'url' has a bad port '\(hostPart[hostPart.index(after: colon)...])'"))
                }
                port = p
                hostPart = hostPart[..<colon]
            }
            if hostPart.contains(",") {
                return .failure(.init("'url' names several hosts; reportd connects to one"))
            }
            if !hostPart.isEmpty {
                guard let decoded = String(hostPart).removingPercentEncoding else {
                    return .failure(.init("'url' has a bad host"))
                }
                host = decoded
            }
        }
        guard let database = path.removingPercentEncoding else {
            return .failure(.init("'url' has a bad database name"))
        }
        var address = PostgresAddress(
            user: user, host: host, port: port, database: database.isEmpty ? user : database)
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    return .failure(
                        .init(
                            "unknown sslmode '\(value)' in 'url': use one of "
                                + SSLMode.allCases.map(\.rawValue).joined(separator: ", ")))
                }
                address.sslMode = mode
            case "sslrootcert":
                address.rootCertificate = value
            case "connect_timeout":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    return .failure(.init("'connect_timeout' in 'url' must be a number of seconds from 1 to 3600"))
                }
                address.connectTimeout = seconds
            case "application_name":
                break
            case "password":
                return .failure(
                    .init(
                        "'url' must not hold a password (it would show in logs and errors): "
                            + "put it in a file named by 'password_file'"))
            default:
                return .failure(
                    .init(
                        "unknown parameter '\(key)' in 'url': reportd takes "
                            + parameters.joined(separator: ", ")))
            }
        }
        return .success(address)
    }

    /// The name of the user running reportd, libpq's default user name.
    static func currentUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "postgres"
    }
}

struct PostgresURLProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
