import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, a free port on
/// 127.0.0.1 only, trust authentication for 127.0.0.1 but for the role `reportd_pw`, which logs in
/// with a password (`PostgresCluster.password`), and every statement logged (`log_statement =
/// 'all'`) to `logFile`. Run as `nobody` when the tests run as root (PostgreSQL refuses root).
///
/// One cluster serves a whole test run (`shared()`), stopped when the process exits; a cluster
/// left by a killed run is stopped and removed by the next one. PostgreSQL missing is an error
/// that says what to install, never a skipped test.
public final class PostgresCluster: Sendable {
    public let folder: String
    public let port: Int
    public let binaries: String
    public let tls: Bool

    public static let password = "s3cret-Pässwort"
    public static let passwordRole = "reportd_pw"

    public var data: String { folder + "/data" }
    public var logFile: String { folder + "/server.log" }

    private static let started = ClusterLock<[Bool: Result<PostgresCluster, ClusterError>]>([:])

    /// A server of the caller's own, not shared with other suites (a test that stops and starts
    /// it: `pause()`, `resume()`); stopped when the process exits, or by `stop()`.
    public static func separate() throws -> PostgresCluster {
        let made = try PostgresCluster(tls: false, label: "own-\(UUID().uuidString.prefix(8).lowercased())")
        atexit_register(made)
        // A commit acknowledged is a commit kept, also when the server is stopped at once: the shared
        // server's `synchronous_commit = off` loses the last commits on an immediate stop.
        do {
            try made.psql("ALTER SYSTEM SET synchronous_commit = on")
            try made.psql("SELECT pg_reload_conf()")
        } catch {
            throw ClusterError(description: "\(error)")
        }
        return made
    }

    /// Stops the server at once (`immediate`, as a crash or a cut cable looks to clients), keeping
    /// its data.
    public func pause() throws {
        _ = try run([binaries + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], as: true)
    }

    /// Starts the paused server again on the same port.
    public func resume() throws {
        _ = try run([binaries + "/pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "start"], as: true)
    }

    /// The run's cluster (without TLS, or with TLS and a self-signed certificate), started at the
    /// first call.
    public static func shared(tls: Bool = false) throws -> PostgresCluster {
        try started.withLock { clusters in
            if let known = clusters[tls] { return known }
            if clusters.isEmpty { removeStale() }
            let made = Result { () throws(ClusterError) in try PostgresCluster(tls: tls) }
            if case .success(let cluster) = made { atexit_register(cluster) }
            clusters[tls] = made
            return made
        }.get()
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public var description: String
    }

    private init(tls: Bool, label: String? = nil) throws(ClusterError) {
        self.tls = tls
        guard let bin = Self.findBinaries() else {
            throw ClusterError(
                description:
                    "PostgreSQL's server programs (initdb, pg_ctl, postgres) are not installed: "
                    + "install Debian's 'postgresql' package (apt-get install postgresql), as .ci/run does")
        }
        binaries = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "reportd-pg-\(getpid())-\(label ?? (tls ? "tls" : "plain"))"
        ).path
        try? FileManager.default.removeItem(atPath: folder)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "\(getpid())\n".write(toFile: folder + "/owner.pid", atomically: true, encoding: .utf8)
        } catch {
            throw ClusterError(description: "cannot make \(folder): \(error)")
        }
        chmod(folder, 0o755)
        port = Self.freePort()
        try Self.asServerUser(Self.chownCommand(folder))
        try run(
            [bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            as: true)
        var conf = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''
            log_statement = 'all'
            log_line_prefix = '%m [%p] %u@%d '
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_connections = 60
            shared_buffers = 32MB

            """
        if tls {
            try makeCertificate()
            conf += "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
        }
        let hba = """
            host all \(Self.passwordRole) 127.0.0.1/32 scram-sha-256
            host all all 127.0.0.1/32 trust

            """
        try append(conf, to: data + "/postgresql.conf")
        try write(hba, to: data + "/pg_hba.conf")
        try run([bin + "/pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "start"], as: true)
        do { try psql("CREATE ROLE \(Self.passwordRole) LOGIN PASSWORD '\(Self.password)'") } catch {
            throw ClusterError(description: "\(error)")
        }
    }

    /// A connection URL for `database` (no password in it).
    public func url(database: String, user: String = "postgres", sslmode: String = "disable") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=\(sslmode)"
    }

    /// A new, empty database; its name.
    public func createDatabase(_ prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try psql("CREATE DATABASE \(name)")
        _ = try psql("GRANT ALL ON SCHEMA public TO PUBLIC", database: name)
        return name
    }

    /// Runs `sql` with psql (stops at the first error); its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let input = folder + "/input-\(UUID().uuidString).sql"
        try write(sql, to: input)
        defer { try? FileManager.default.removeItem(atPath: input) }
        return try run(
            [
                binaries + "/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                "-U", "postgres", "-d", database, "-f", input,
            ], as: false)
    }

    /// The server's log so far (every statement, with `log_statement = 'all'`).
    public func log() -> String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Stops the server at once and removes its folder.
    public func stop() {
        _ = try? run([binaries + "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], as: true)
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - Helpers

    private func makeCertificate() throws(ClusterError) {
        try run(
            [
                "openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-newkey", "rsa:2048", "-subj",
                "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                data + "/server.key", "-out", data + "/server.crt",
            ], as: false)
        try Self.asServerUser(Self.chownCommand(data + "/server.key"))
        try Self.asServerUser(Self.chownCommand(data + "/server.crt"))
        chmod(data + "/server.key", 0o600)
        // A copy the tests' clients may trust (sslrootcert).
        _ = try? FileManager.default.copyItem(atPath: data + "/server.crt", toPath: folder + "/root.crt")
        chmod(folder + "/root.crt", 0o644)
    }

    /// The CA file to trust this cluster's certificate (`sslrootcert`), when it has TLS.
    public var rootCertificate: String { folder + "/root.crt" }

    private func append(_ text: String, to path: String) throws(ClusterError) {
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ClusterError(description: "cannot write \(path)")
        }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        handle.closeFile()
    }

    private func write(_ text: String, to path: String) throws(ClusterError) {
        do { try text.write(toFile: path, atomically: false, encoding: .utf8) } catch {
            throw ClusterError(description: "cannot write \(path): \(error)")
        }
    }

    static var isRoot: Bool { geteuid() == 0 }

    static func chownCommand(_ path: String) -> [String] { ["chown", "-R", "nobody:nogroup", path] }

    static func asServerUser(_ command: [String]) throws(ClusterError) {
        guard isRoot else { return }
        _ = try runProcess(command)
    }

    /// Runs `command` (as `nobody` when `asServer` and the tests run as root); its output.
    @discardableResult
    private func run(_ command: [String], as asServer: Bool) throws(ClusterError) -> String {
        var command = command
        if asServer && Self.isRoot {
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] + command
        }
        return try Self.runProcess(command, folder: folder)
    }

    /// Runs `command` (found in the PATH) and waits for it; its standard output.
    ///
    /// posix_spawn and waitpid, with the output in files: Foundation's `Process` waits for
    /// descriptors that `pg_ctl start`'s server inherits and keeps open, so it never saw pg_ctl end.
    @discardableResult
    public static func runProcess(_ command: [String], folder: String? = nil) throws(ClusterError) -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-pg-out-\(UUID().uuidString)")
        let outPath = base.path + ".out"
        let errPath = base.path + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else open in the test process reaches the server: it outlives the test that
        // started it, and a pipe end it kept (another test's mail server's input, a `reportd`'s
        // output) would keep that pipe from ever reaching its end (a whole test run once hung so).
        _ = spawnClosesFrom(&actions, 3)
        var shell = "cd \"$0\" && exec env LC_ALL=C.UTF-8 PGCONNECT_TIMEOUT=10 \"$@\""
        if folder == nil { shell = "exec env LC_ALL=C.UTF-8 PGCONNECT_TIMEOUT=10 \"$@\"" }
        let arguments = ["/bin/sh", "-c", shell, folder ?? "sh"] + command
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw ClusterError(description: "cannot run \(command.joined(separator: " ")): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw ClusterError(
                description: "\(command.joined(separator: " ")) failed (status \(status)): \(errors)\(text)")
        }
        return text
    }

    /// PostgreSQL's server programs: `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin,
    /// then the PATH.
    static func findBinaries() -> String? {
        func hasServer(_ dir: String) -> Bool {
            FileManager.default.isExecutableFile(atPath: dir + "/initdb")
                && FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl")
        }
        if let dir = try? runProcess(["pg_config", "--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines),
            hasServer(dir)
        {
            return dir
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where hasServer("\(root)/\(v)/bin") { return "\(root)/\(v)/bin" }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where hasServer(String(dir)) {
            return String(dir)
        }
        return nil
    }

    /// A port that was free on 127.0.0.1 a moment ago.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Stops and removes the clusters of earlier runs whose process has gone (a killed run).
    static func removeStale() {
        let temp = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temp)) ?? [] where name.hasPrefix("reportd-pg-") {
            let folder = temp + "/" + name
            guard let text = try? String(contentsOfFile: folder + "/owner.pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                if let bin = findBinaries() {
                    var command = [bin + "/pg_ctl", "-D", folder + "/data", "-m", "immediate", "-w", "stop"]
                    if isRoot { command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] + command }
                    _ = try? runProcess(command)
                }
                try? FileManager.default.removeItem(atPath: folder)
            }
        }
    }
}

/// The clusters to stop when the test process exits.
private let runningClusters = ClusterLock<[PostgresCluster]>([])

private func atexit_register(_ cluster: PostgresCluster) {
    let first = runningClusters.withLock { list in
        list.append(cluster)
        return list.count == 1
    }
    if first {
        atexit {
            for cluster in runningClusters.withLock({ $0 }) { cluster.stop() }
        }
    }
}

/// A lock around a value (TestSupport depends on no package with one).
final class ClusterLock<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module does
/// not import: the child closes every descriptor from `lowest` up.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnClosesFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32
