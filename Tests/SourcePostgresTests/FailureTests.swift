import Dispatch
import Foundation
import ReportCalculators
import ReportCore
import SourcePostgres
import Testing
import TestSupport

/// Each way a PostgreSQL dataset can fail gives an error naming the dataset and the cause, and
/// never the password.
@Suite(.blocking, .serialized) struct FailureTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "amount", type: .int),
    ])

    func makeTable(_ fixture: PostgresFixture) throws {
        try fixture.sql(
            """
            CREATE TABLE p (district text, amount bigint);
            INSERT INTO p SELECT 'Tân Uyên', g FROM generate_series(1, 50) g;
            GRANT SELECT ON p TO \(PostgresCluster.passwordRole);
            """)
    }

    func count() throws -> ReportDefinition {
        ReportDefinition(
            name: "r", title: "r", dataset: "registry", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: [MetricDefinition(name: "n", calc: "count", parameters: MetricParameters([:]))])
    }

    /// The error of reading `settings`, as a run would show it.
    func failure(_ settings: DatasetConfig) -> String {
        do {
            _ = try PostgresDatasetSource(settings).read(columns: nil, selection: .all, provenance: false)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func aServerThatIsDownIsConnectionRefused() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let port = PostgresCluster.freePort()
        let message = failure(
            fixture.settings(schema: Self.schema, url: "postgresql://postgres@127.0.0.1:\(port)/x?sslmode=disable"))
        #expect(message.contains("dataset 'registry': connection refused (127.0.0.1:\(port))"), "\(message)")
    }

    @Test func anUnroutableServerFailsAtTheConnectDeadline() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        // 10.255.255.1 drops the SYN (or the network is unreachable): either way an error, never a hang.
        let message = failure(
            fixture.settings(schema: Self.schema, url: "postgresql://u@10.255.255.1:5432/x?connect_timeout=2"))
        #expect(message.contains("dataset 'registry': "), "\(message)")
        #expect(message != "no error")
    }

    @Test func aWrongPasswordOrRoleIsLoginRefusedWithoutThePassword() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try makeTable(fixture)
        let role = PostgresCluster.passwordRole
        let good = try fixture.file("good", PostgresCluster.password + "\n")
        let bad = try fixture.file("bad", "wrong-\(PostgresCluster.password)\n")
        let url = fixture.url(user: role)
        #expect(failure(fixture.settings(schema: Self.schema, url: url, passwordFile: good)) == "no error")
        let wrong = failure(fixture.settings(schema: Self.schema, url: url, passwordFile: bad))
        #expect(wrong.contains("dataset 'registry': login refused by 127.0.0.1:"), "\(wrong)")
        #expect(wrong.contains("password authentication failed"), "\(wrong)")
        #expect(!wrong.contains(PostgresCluster.password))
        let none = failure(fixture.settings(schema: Self.schema, url: url))
        #expect(none.contains("login refused"), "\(none)")
        #expect(none.contains("password_file"), "\(none)")
        let nobody = failure(fixture.settings(schema: Self.schema, url: fixture.url(user: "no_such_role")))
        #expect(nobody.contains("login refused") && nobody.contains("no_such_role"), "\(nobody)")
    }

    @Test func aPasswordFileOthersMayReadIsRefused() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let open = try fixture.file("open", PostgresCluster.password, mode: 0o644)
        let message = failure(
            fixture.settings(schema: Self.schema, url: fixture.url(user: PostgresCluster.passwordRole), passwordFile: open))
        #expect(message.contains("may be read by others (mode 644)"), "\(message)")
        #expect(!message.contains(PostgresCluster.password))
    }

    @Test func requiredTLSOnAServerWithoutIt() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try makeTable(fixture)
        let message = failure(fixture.settings(schema: Self.schema, url: fixture.url(sslmode: "require")))
        #expect(message.contains("does not offer TLS, which sslmode=require requires"), "\(message)")
        // prefer falls back to a plain connection.
        #expect(failure(fixture.settings(schema: Self.schema, url: fixture.url(sslmode: "prefer"))) == "no error")
    }

    @Test func tlsWithASelfSignedCertificate() throws {
        let fixture = try PostgresFixture(tls: true)
        defer { fixture.remove() }
        try makeTable(fixture)
        for mode in ["require", "prefer"] {
            #expect(failure(fixture.settings(schema: Self.schema, url: fixture.url(sslmode: mode))) == "no error")
        }
        // The system's roots do not hold the self-signed certificate.
        let unverified = failure(fixture.settings(schema: Self.schema, url: fixture.url(sslmode: "verify-full")))
        #expect(unverified.contains("TLS failed"), "\(unverified)")
        // Trusting it (sslrootcert) verifies it, and its name (127.0.0.1 is in its names).
        let root = fixture.cluster.rootCertificate
        #expect(
            failure(fixture.settings(schema: Self.schema, url: fixture.url(sslmode: "verify-full") + "&sslrootcert=\(root)"))
                == "no error")
        // A plain session on the TLS server is still one (sslmode=disable).
        let plain = try #require(try? PostgresDatasetSource(fixture.settings(schema: Self.schema)).compute(count()))
        #expect(plain.rows == [[.int(50)]])
    }

    @Test func aMissingTableColumnOrTypeIsNamed() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try makeTable(fixture)
        let table = failure(fixture.settings(table: "nope", schema: Self.schema))
        #expect(table.contains("dataset 'registry': relation \"nope\" does not exist"), "\(table)")
        let wider = DatasetSchema(columns: Self.schema.columns + [ColumnSpec(name: "year", type: .int)])
        let column = failure(fixture.settings(schema: wider))
        #expect(column.contains("column 'year' is not in table 'p' (it has: district, amount)"), "\(column)")
        let typed = DatasetSchema(columns: [ColumnSpec(name: "district", type: .int)])
        let type = failure(fixture.settings(schema: typed))
        #expect(type.contains("column 'district' is text on the server, but int in the schema"), "\(type)")
        // The catalog: a type reportd does not read is named with its column.
        try fixture.sql("CREATE TABLE t (at timestamptz, n int)")
        switch PostgresSourceKind().inferSchema(fixture.settings(table: "t", schema: DatasetSchema(columns: []))) {
        case .failure(let error)?:
            #expect(error.message.contains("column 'at' has the type timestamp with time zone"), "\(error)")
        default: Issue.record("no error")
        }
    }

    @Test func aStatementPastItsTimeoutFails() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try makeTable(fixture)
        let slow = fixture.settings(
            query: "SELECT district, amount FROM p WHERE pg_sleep(0.1) IS NOT NULL", schema: Self.schema, timeout: 1)
        let message = failure(slow)
        #expect(message.contains("dataset 'registry': canceling statement due to statement timeout"), "\(message)")
    }

    @Test func aConnectionDroppedMidRunFails() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        try makeTable(fixture)
        let slow = fixture.settings(query: "SELECT district, amount FROM p, pg_sleep(0.2)", schema: Self.schema)
        let result = ClusterResult()
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.set(self.failure(slow))
            done.signal()
        }.start()
        // Terminates reportd's backend from another connection while its statement runs.
        var terminated = ""
        for _ in 0..<100 {
            terminated = try fixture.cluster.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'reportd' "
                    + "AND datname = '\(fixture.database)' AND query LIKE '%pg_sleep%'")
            if terminated.contains("t") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(terminated.contains("t"))
        done.wait()
        let message = result.get()
        #expect(
            message.contains("dataset 'registry': the server closed the connection: terminating connection")
                || message.contains("dataset 'registry': the connection to 127.0.0.1"), "\(message)")
        // The next read connects again.
        #expect(failure(fixture.settings(schema: Self.schema)) == "no error")
    }
}

final class ClusterResult: @unchecked Sendable {
    private var value = ""
    private let lock = NSLock()
    func set(_ v: String) { lock.withLock { value = v } }
    func get() -> String { lock.withLock { value } }
}

/// The servers the tests start outlive the test that started them: they must hold none of the test
/// process's descriptors (a pipe end they kept once left another test waiting for ever).
@Suite(.blocking) struct ClusterProcessTests {
    @Test func aStartedProgramInheritsNoDescriptorOfTheTests() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)  // not close-on-exec: inherited unless the spawn closes it
        defer {
            close(fds[0])
            close(fds[1])
        }
        var info = stat()
        #expect(fstat(fds[1], &info) == 0)
        let listing = try PostgresCluster.runProcess(["sh", "-c", "ls -l /proc/$$/fd"])
        #expect(listing.contains("/dev/null"), "the listing is the shell's descriptors: \(listing)")
        #expect(!listing.contains("pipe:[\(info.st_ino)]"), "the test's pipe reached the program:\n\(listing)")
    }
}
