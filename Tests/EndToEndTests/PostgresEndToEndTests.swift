import Foundation
import Testing
import TestSupport

/// The real `reportd` on the sample projects in CSV and in a PostgreSQL table of the test run's
/// throwaway cluster.
@Suite(.blocking, .serialized) struct PostgresEndToEndTests {
    /// A report the server computes (pushdown): every pushed metric, a filter of several operators.
    static let pushed = """
        title: "Pushed down"
        schedule: "0 7 1 * *"
        filter: "year >= 2022 and district != 'Sìn Hồ' or status in ['completed'] and not (jobs_created < 10)"
        group_by: [district, status]
        metrics:
          - {name: projects, calc: count}
          - {name: support, calc: sum, column: state_support_vnd}
          - {name: mean_jobs, calc: mean, column: jobs_created}
          - {name: first_start, calc: min, column: start_date}
          - {name: last_title, calc: max, column: title}
          - {name: crafts, calc: count_distinct, column: craft}
          - {name: median_support, calc: median, column: state_support_vnd}
          - {name: p90_jobs, calc: percentile, column: jobs_created, p: 90}
        sort:
          - {by: projects, order: desc}
        limit: 7
        totals: true
        formats: [csv, json, text, html]

        """

    static let createTable = """
        CREATE TABLE projects (project_id text, title text, year bigint, program text, activity text,
          district text, beneficiary text, beneficiary_type text, craft text, state_support_vnd bigint,
          counterpart_vnd bigint, products_branded bigint, jobs_created bigint, status text, start_date date);
        """

    /// The sample config with the projects in a new database on the cluster, as dataset
    /// `projects_pg` (`extra` appended to its settings), and every sample report (and `pushed`)
    /// twice: on the CSV dataset and on the PostgreSQL one.
    func twinConfig(extra: String = "    schema: data/projects.schema.yaml\n") throws -> (URL, PostgresCluster, String) {
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase("e2e")
        let root = try copyOfSampleConfig()
        let config = root.appendingPathComponent("config")
        let csv = config.appendingPathComponent("data/projects.csv").path
        try cluster.psql(Self.createTable + "\n\\copy projects FROM '\(csv)' WITH (FORMAT csv, HEADER true)\n", database: database)
        let daemon = config.appendingPathComponent("reportd.yaml")
        let text = try String(contentsOf: daemon, encoding: .utf8)
        try (text + """
              projects_pg:
                format: postgres
                url: \(cluster.url(database: database))
                table: projects

            """ + extra).write(to: daemon, atomically: true, encoding: .utf8)
        let reports = config.appendingPathComponent("reports.d")
        try Self.pushed.replacingOccurrences(of: "title:", with: "name: pushed\ndataset: projects\ntitle:")
            .write(to: reports.appendingPathComponent("pushed.yaml"), atomically: true, encoding: .utf8)
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: reports.appendingPathComponent(file), encoding: .utf8)
            let twin = text.replacingOccurrences(of: "\ndataset: projects\n", with: "\ndataset: projects_pg\n")
            #expect(twin != text, "\(file) names the dataset")
            try twin.replacingOccurrences(of: "\nname: ", with: "\nname: pg-")
                .replacingOccurrences(of: "name: ", with: "name: pg-", options: .anchored)
                .write(to: reports.appendingPathComponent("pg-" + file), atomically: true, encoding: .utf8)
        }
        return (config, cluster, database)
    }

    @Test func theSampleReportsGiveTheSameFilesFromPostgres() throws {
        let (config, _, _) = try twinConfig()
        let out = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name.hasPrefix("pg-") {
            let csv = root.appendingPathComponent(String(name.dropFirst(3)))
            let db = root.appendingPathComponent(name)
            #expect(
                try Data(contentsOf: csv.appendingPathComponent("latest.csv"))
                    == Data(contentsOf: db.appendingPathComponent("latest.csv")), "\(name)")
            var a = try readJSON(csv.appendingPathComponent("latest.json"))
            var b = try readJSON(db.appendingPathComponent("latest.json"))
            for key in ["report", "dataset", "title", "generated_at", "slot"] {
                a[key] = nil
                b[key] = nil
            }
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b), "\(name)")
            compared += 1
        }
        // The sample reports (eight since issue 26's split one) and `pushed`.
        #expect(compared == 9)
    }

    @Test func validateStaysOfflineUnlessAskedToConnect() throws {
        let dead = PostgresCluster.freePort()
        let (config, _, _) = try twinConfig(
            extra: """
                  pg_down:
                    format: postgres
                    url: postgresql://reportd@127.0.0.1:\(dead)/registry?sslmode=disable
                    table: projects

                """)
        // pg_down and projects_pg have no schema file: validate checks their reports without columns.
        var out = try runReportd(["validate", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("note: dataset 'pg_down' has no schema file"), "\(out.stdout)")
        out = try runReportd(["validate", "--connect", "--config", "reportd.yaml"], in: config)
        #expect(out.status != 0)
        #expect(
            out.stderr.contains("dataset 'pg_down': connection refused (127.0.0.1:\(dead))"), "\(out.stderr)")
        #expect(!out.stderr.contains("projects_pg"), "the live server's dataset checks out: \(out.stderr)")
        // A misspelt column in a report on the live server shows with --connect (the catalog's
        // columns), once the daemon config itself is sound (pg_down gone).
        let daemonFile = config.appendingPathComponent("reportd.yaml")
        let daemonText = try String(contentsOf: daemonFile, encoding: .utf8)
        try String(daemonText[..<daemonText.range(of: "  pg_down:")!.lowerBound]).write(
            to: daemonFile, atomically: true, encoding: .utf8)
        let reports = config.appendingPathComponent("reports.d")
        let file = reports.appendingPathComponent("pg-support-by-district.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "state_support_vnd", with: "state_suport_vnd").write(
            to: file, atomically: true, encoding: .utf8)
        out = try runReportd(["validate", "--connect", "--config", "reportd.yaml"], in: config)
        #expect(out.stderr.contains("state_suport_vnd"), "\(out.stderr)")
    }

    @Test func aPasswordIsNeverShownAndFailuresPublishNothing() throws {
        let password = PostgresCluster.password
        let (config, cluster, database) = try twinConfig(extra: "")
        let file = config.appendingPathComponent("reportd.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        let wrong = config.appendingPathComponent("wrong.password")
        try ("x" + password + "\n").write(to: wrong, atomically: true, encoding: .utf8)
        chmod(wrong.path, 0o600)
        text = text.replacingOccurrences(
            of: "url: \(cluster.url(database: database))",
            with: "url: \(cluster.url(database: database, user: PostgresCluster.passwordRole))\n    password_file: wrong.password\n    schema: data/projects.schema.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        var out = try runReportd(["run", "--config", "reportd.yaml", "pg-pushed"], in: config)
        #expect(out.status != 0)
        #expect(out.stderr.contains("dataset 'projects_pg': login refused by 127.0.0.1:"), "\(out.stderr)")
        let root = config.deletingLastPathComponent()
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("var/reports/pg-pushed").path))
        // A password in the URL is refused where it is written.
        let withPassword = text.replacingOccurrences(
            of: "\(PostgresCluster.passwordRole)@", with: "\(PostgresCluster.passwordRole):\(password)@")
        try withPassword.write(to: file, atomically: true, encoding: .utf8)
        out = try runReportd(["validate", "--config", "reportd.yaml"], in: config)
        #expect(out.status != 0)
        #expect(out.stderr.contains("reportd.yaml:"), "located: \(out.stderr)")
        #expect(out.stderr.contains("'url' must not hold a password"), "\(out.stderr)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        // Right password: published; the password is in no output, state file, log or status.
        try (password + "\n").write(to: wrong, atomically: true, encoding: .utf8)
        chmod(wrong.path, 0o600)
        try cluster.psql("GRANT SELECT ON projects TO \(PostgresCluster.passwordRole)", database: database)
        out = try runReportd(["run", "--config", "reportd.yaml", "pg-pushed"], in: config)
        #expect(out.status == 0, "\(out.stderr)")
        let status = try runReportd(["status", "--config", "reportd.yaml"], in: config)
        let history = try runReportd(["history", "--config", "reportd.yaml", "pg-pushed"], in: config)
        for shown in [out.stdout, out.stderr, status.stdout, status.stderr, history.stdout, history.stderr] {
            #expect(!shown.contains(password))
        }
        let everything = FileManager.default.enumerator(atPath: root.appendingPathComponent("var").path)
        var files = 0
        while let name = everything?.nextObject() as? String {
            let data = (try? Data(contentsOf: root.appendingPathComponent("var/" + name))) ?? Data()
            #expect(data.range(of: Data(password.utf8)) == nil, "\(name)")
            files += 1
        }
        #expect(files > 3)
    }

    /// `serve` on a postgres dataset: runs publish; a missing table fails runs (logged with the
    /// dataset and the cause) while the daemon lives; the table back, runs publish again; a
    /// connection the server dropped between runs is replaced.
    @Test func serveLivesThroughDatabaseFailures() throws {
        let (config, cluster, database) = try twinConfig()
        let reports = config.appendingPathComponent("reports.d")
        try """
            name: pg-fast
            title: "Fast"
            dataset: projects_pg
            schedule: "every 2s"
            group_by: [district]
            metrics:
              - {name: projects, calc: count}
              - {name: support, calc: sum, column: state_support_vnd}
            formats: [json]

            """.write(to: reports.appendingPathComponent("pg-fast.yaml"), atomically: true, encoding: .utf8)
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(
            config: config.appendingPathComponent("reportd.yaml").path, in: config, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        _ = try listener.waitFor("READY=1")
        let fast = config.deletingLastPathComponent().appendingPathComponent("var/reports/pg-fast")
        func published() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: fast.path)) ?? []).filter {
                $0.hasSuffix(".json") && $0 != "latest.json"
            }.count
        }
        try waitBlocking("a first run", timeout: 30) { published() >= 1 }
        try cluster.psql("ALTER TABLE projects RENAME TO projects_away", database: database)
        try waitBlocking("a failed run in the log", timeout: 30) {
            logText().contains("dataset 'projects_pg': relation \"projects\" does not exist")
        }
        #expect(process.isRunning)
        try cluster.psql("ALTER TABLE projects_away RENAME TO projects", database: database)
        let before = published()
        try waitBlocking("runs again", timeout: 30) { published() >= before + 1 }
        // The idle connection dies between runs: the next run connects again.
        try cluster.psql(
            // Only this test's database: the cluster is shared by every suite of the test run, and
            // a terminate across it once killed another suite's statement mid-run.
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'reportd' "
                + "AND datname = '\(database)'",
            database: database)
        let after = published()
        try waitBlocking("runs after the connection was dropped", timeout: 30) { published() >= after + 2 }
        kill(process.processIdentifier, SIGTERM)
        try waitBlocking("exit", timeout: 15) { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }

    /// `serve` started while its database server is down (a boot where reportd comes up first):
    /// it starts, leaves out only the reports on that dataset (saying why, at the report's
    /// `dataset:`), loads again until the server answers, and then runs them; a report on another
    /// dataset runs all along. A reload while the server is down keeps the columns read before.
    /// Before, the daemon exited with the connection error.
    @Test func serveStartsBeforeItsDatabaseAndLoadsItsReportsWhenItAnswers() throws {
        let server = try PostgresCluster.separate()
        defer { server.stop() }
        let database = try server.createDatabase("boot")
        _ = try server.psql(
            Self.createTable + "\nINSERT INTO projects (district, state_support_vnd) VALUES ('Sìn Hồ', 5);",
            database: database)
        let root = try temporaryFolder("pgboot")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        try """
            timezone: UTC
            reports: reports.d
            state: state
            output: {root: out, keep: 100}
            datasets:
              registry: {format: postgres, url: "\(server.url(database: database))", table: projects, timeout: 5s}
              local: {format: csv, path: data.csv, schema: schema.yaml}

            """.write(to: root.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        try "columns:\n  district: {type: string}\n".write(
            to: root.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        try "district\nSìn Hồ\n".write(to: root.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        for (name, dataset) in [("pg", "registry"), ("files", "local")] {
            try """
                name: \(name)
                dataset: \(dataset)
                schedule: "every 2s"
                filter: "district == 'Sìn Hồ'"
                group_by: [district]
                metrics: [{name: projects, calc: count}]
                formats: [csv]

                """.write(to: root.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
        }
        func published(_ report: String) -> Int {
            filesIn(root.appendingPathComponent("out/\(report)")).filter { $0.hasPrefix("\(report)_") }.count
        }
        try server.pause()
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(
            config: root.appendingPathComponent("reportd.yaml").path, in: root, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        _ = try listener.waitFor("READY=1")
        try waitBlocking("the other dataset's report to run", timeout: 30) { published("files") >= 1 }
        let log = logText()
        #expect(log.contains("reports.d/pg.yaml:2:10: error: dataset 'registry': connection refused"), "\(log)")
        #expect(log.contains("report 'pg' is loaded once the dataset can be read"), "\(log)")
        #expect(log.contains("loading again in 5s: waiting for the dataset(s) registry"), "\(log)")
        #expect(published("pg") == 0)
        #expect(process.isRunning)
        try server.resume()
        try waitBlocking("the report on the database to load and run", timeout: 60) { published("pg") >= 1 }
        // Down again, and a reload (SIGHUP): the report stays, on the columns read before.
        func refusals() -> Int { logText().components(separatedBy: "reports.d/pg.yaml:2:10: error:").count - 1 }
        let refusedBefore = refusals()
        #expect(refusedBefore >= 1)
        try server.pause()
        kill(process.processIdentifier, SIGHUP)
        try waitBlocking("the reload to keep the columns read before", timeout: 30) {
            logText().contains("stay in force until it can be read again")
        }
        try server.resume()
        let before = published("pg")
        try waitBlocking("the report to run on after the reload", timeout: 60) { published("pg") >= before + 1 }
        #expect(refusals() == refusedBefore, "the reload refused the report again")
        kill(process.processIdentifier, SIGTERM)
        try waitBlocking("exit", timeout: 15) { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }
}
