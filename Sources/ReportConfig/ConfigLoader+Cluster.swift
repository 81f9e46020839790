import Foundation
import ReportCore
import ReportFiles
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// Several nodes sharing one schedule (`cluster:` of the daemon config; SPEC.md, "Several machines").
public struct ClusterSettings: Sendable, Equatable {
    /// The PostgreSQL server where the nodes agree (a libpq URI, no password in it).
    public var url: String
    /// This node's name (default: the host name).
    public var node: String
    /// Seconds a node may stay silent before its claims are presumed dead.
    public var lease: Int
    /// A file holding the password (mode 0600 or 0400).
    public var passwordFile: String?
    /// Where `url` is written in the daemon config (`FILE`, 1-based line and column), for the
    /// errors found when the PostgreSQL client reads it in full.
    public var urlLocation: (file: String, line: Int, column: Int)?

    public static func == (a: ClusterSettings, b: ClusterSettings) -> Bool {
        a.url == b.url && a.node == b.node && a.lease == b.lease && a.passwordFile == b.passwordFile
    }

    public init(url: String, node: String, lease: Int = 30, passwordFile: String? = nil) {
        self.url = url
        self.node = node
        self.lease = lease
        self.passwordFile = passwordFile
    }

    /// The shortest and longest `lease` accepted.
    public static let leaseRange = 2...3600

    /// This machine's host name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

extension ConfigLoader {
    static let clusterKeys = ["url", "node", "lease", "password_file"]

    /// `cluster:` of the daemon config, or nil when absent or invalid.
    func parseCluster(_ node: Node?, base: String, _ file: inout YAMLFile) -> ClusterSettings? {
        guard let node, let fields = file.fields(node, what: "'cluster'", allowed: Self.clusterKeys) else { return nil }
        var valid = true
        var url = ""
        if let n = fields["url"] {
            if let text = file.string(n, "'cluster.url'") {
                if let problem = Self.clusterURLProblem(text) {
                    file.error("'cluster.url' \(problem)", at: n)
                    valid = false
                } else {
                    url = text
                }
            } else {
                valid = false
            }
        } else {
            file.error(
                "'cluster' needs 'url', the PostgreSQL database where the nodes agree "
                    + "(postgresql://reportd@db.example:5432/reportd)", at: node)
            valid = false
        }
        var name = ClusterSettings.hostName()
        if let n = fields["node"], let text = file.string(n, "'cluster.node'") {
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            if text.isEmpty || text.count > 63 || !text.unicodeScalars.allSatisfy(allowed.contains) {
                file.error(
                    "'cluster.node' must be 1 to 63 letters, digits, '.', '_' or '-' (a name such as report-1), "
                        + "not '\(text)'", at: n)
                valid = false
            } else {
                name = text
            }
        } else if fields["node"] != nil {
            valid = false
        }
        var lease = 30
        if let n = fields["lease"] {
            if let v = file.duration(n, "'cluster.lease'") {
                if ClusterSettings.leaseRange.contains(v) {
                    lease = v
                } else {
                    file.error("'cluster.lease' must be from 2s to 1h (30s to 2m suits most sites), not \(v)s", at: n)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        var passwordFile: String?
        if let f = fields["password_file"] {
            if let path = file.path(f, "'cluster.password_file'") {
                passwordFile = DisplayPath.resolve(path, against: base)
            } else {
                valid = false
            }
        }
        guard valid else { return nil }
        var settings = ClusterSettings(url: url, node: name, lease: lease, passwordFile: passwordFile)
        if let mark = fields["url"]?.mark { settings.urlLocation = (file.displayPath, mark.line, mark.column) }
        return settings
    }

    /// What is wrong with a cluster URL at a glance (the PostgreSQL client parses it in full when
    /// the node connects): nil when it looks like a libpq URI without a password.
    static func clusterURLProblem(_ url: String) -> String? {
        guard let scheme = ["postgresql://", "postgres://"].first(where: { url.hasPrefix($0) }) else {
            return "must be a libpq URI starting with postgresql:// (postgresql://reportd@db.example:5432/reportd)"
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
            return "must not hold a password (it would show in logs and status): put it in 'cluster.password_file'"
        }
        if url.contains("password=") {
            return "must not hold a password (it would show in logs and status): put it in 'cluster.password_file'"
        }
        return nil
    }
}
