import Foundation
import Testing
import TestSupport

/// The real `reportd` on the sample projects in CSV and in SQLite (config/data/projects.sqlite).
@Suite(.blocking) struct SQLiteEndToEndTests {
    /// A report that SQLite computes (pushdown): every pushed metric, a filter of several operators.
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
        sort:
          - {by: projects, order: desc}
        limit: 7
        totals: true
        formats: [csv, json, text, html]

        """

    /// share, ratio and growth, which SQLite computes from its grouped sums.
    static let derived = """
        title: "Derived"
        schedule: "0 7 1 * *"
        filter: "status != 'cancelled'"
        group_by: [district, year]
        metrics:
          - {name: share, calc: share, column: state_support_vnd}
          - {name: leverage, calc: ratio, numerator: counterpart_vnd, denominator: state_support_vnd}
          - {name: growth, calc: growth, column: state_support_vnd, period: year}
          - {name: projects, calc: count}
        sort:
          - {by: share, order: desc}
        totals: true
        formats: [csv, json, text, html]

        """

    /// A period report with both comparisons and the year to date: each range computed by SQLite.
    static let periodic = """
        title: "Quarter {period}"
        schedule: "0 7 5 1,4,7,10 *"
        period: {every: quarter, date_column: start_date}
        compare: [previous_period, same_period_last_year]
        cumulative: year_to_date
        filter: "district != 'Sìn Hồ'"
        group_by: [program]
        metrics:
          - {name: projects, calc: count}
          - {name: support, calc: sum, column: state_support_vnd}
          - {name: share, calc: share, column: state_support_vnd}
          - {name: crafts, calc: count_distinct, column: craft}
          - {name: first_start, calc: min, column: start_date}
        sort:
          - {by: support, order: desc}
        totals: true
        formats: [csv, json, text, html]

        """

    /// Every sample report (and `pushed`) twice: on the CSV dataset and on the SQLite one.
    /// `labelled`: the database dataset gets the CSV's schema too, with its labels and value
    /// labels (the sort keys of a labelled group column), so the twins' outputs are alike.
    func twinConfig(labelled: Bool = false) throws -> URL {
        let root = try copyOfSampleConfig()
        let config = root.appendingPathComponent("config")
        if labelled {
            let daemon = config.appendingPathComponent("reportd.yaml")
            try String(contentsOf: daemon, encoding: .utf8).replacingOccurrences(
                of: "    table: projects ", with: "    schema: data/projects.schema.yaml\n    table: projects "
            ).write(to: daemon, atomically: true, encoding: .utf8)
        }
        let reports = config.appendingPathComponent("reports.d")
        for (name, text) in [("pushed", Self.pushed), ("derived", Self.derived), ("periodic", Self.periodic)] {
            try text.replacingOccurrences(of: "title:", with: "name: \(name)\ndataset: projects\ntitle:")
                .write(to: reports.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: reports.appendingPathComponent(file), encoding: .utf8)
            let twin = text.replacingOccurrences(of: "\ndataset: projects\n", with: "\ndataset: projects_sqlite\n")
                .replacingOccurrences(of: "name: ", with: "name: db-", options: .anchored)
            #expect(twin != text, "\(file) names the dataset")
            try twin.replacingOccurrences(of: "\nname: ", with: "\nname: db-")
                .write(to: reports.appendingPathComponent("db-" + file), atomically: true, encoding: .utf8)
        }
        return config
    }

    @Test func theSampleReportsGiveTheSameFiguresFromSQLite() throws {
        let config = try twinConfig(labelled: true)
        let out = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        // Eight sample reports (a split one since issue 26) and the three above.
        #expect(try compareTwins(config) == 11)
    }

    /// The period reports on quarters with rows (and rows in the compared quarters): the same files.
    @Test(arguments: [
        ("2024-Q2", ["periodic", "support-by-district-quarterly"]), ("2023-Q4", ["periodic"]),
        ("2025-Q1", ["periodic", "support-by-district-quarterly"]), ("2024", ["funding-by-year"]),
    ])
    func periodReportsGiveTheSameFiguresFromSQLite(period: String, names: [String]) throws {
        let config = try twinConfig(labelled: true)
        let out = try runReportd(
            ["run", "--config", "reportd.yaml", "--period", period] + names + names.map { "db-" + $0 }, in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(try compareTwins(config) == names.count)
    }

    /// The database dataset's JSON, text and HTML name the source, the table and the snapshot
    /// time where a file's show its SHA-256.
    @Test func aDatabaseDatasetShowsItsSourceInsteadOfAChecksum() throws {
        let config = try twinConfig()
        let out = try runReportd(["run", "--config", "reportd.yaml", "pushed", "db-pushed"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        let json = try readJSON(root.appendingPathComponent("db-pushed/latest.json"))
        let dataset = try #require(json["dataset"] as? [String: Any])
        #expect(dataset["sha256"] == nil)
        let source = try #require(dataset["source"] as? [String: Any])
        #expect(source["format"] as? String == "sqlite")
        #expect(source["table"] as? String == "projects")
        let time = try #require(source["snapshot_time"] as? String)
        #expect(time.count == 24 && time.hasSuffix("Z"), "\(time)")
        let text = try String(contentsOf: root.appendingPathComponent("db-pushed/latest.txt"), encoding: .utf8)
        // (The sample config's locale is vi-VN: "chụp lúc", taken at.)
        #expect(text.contains("; sqlite table projects, chụp lúc \(time)\n"), "\(text)")
        let html = try String(contentsOf: root.appendingPathComponent("db-pushed/latest.html"), encoding: .utf8)
        #expect(html.contains("sqlite <code>table projects</code>, chụp lúc <time>\(time)</time>"))
        // The file dataset keeps its checksum.
        let file = try readJSON(root.appendingPathComponent("pushed/latest.json"))
        #expect(((file["dataset"] as? [String: Any])?["sha256"] as? String)?.count == 64)
        // The run history (and so `status`) names the snapshot instead of a checksum.
        let status = try runReportd(["status", "--config", "reportd.yaml", "db-pushed"], in: config)
        #expect(status.stdout.contains(", sqlite table projects, snapshot \(time)\n"), "\(status.stdout)")
    }

    /// The twins' CSV files are byte for byte the same, and their JSON too but for the run's and
    /// the dataset's own lines; the number of pairs compared.
    func compareTwins(_ config: URL) throws -> Int {
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name.hasPrefix("db-") {
            let csv = root.appendingPathComponent(String(name.dropFirst(3)))
            let db = root.appendingPathComponent(name)
            #expect(
                try Data(contentsOf: csv.appendingPathComponent("latest.csv"))
                    == Data(contentsOf: db.appendingPathComponent("latest.csv")), "\(name)")
            var a = try readJSON(csv.appendingPathComponent("latest.json"))
            var b = try readJSON(db.appendingPathComponent("latest.json"))
            for key in ["report", "title", "generated_at", "slot"] {
                a[key] = nil
                b[key] = nil
            }
            // The dataset's figures alike; its name, checksum or source are its own.
            for key in ["name", "sha256", "source"] {
                a["dataset"] = (a["dataset"] as? [String: Any])?.filter { $0.key != key }
                b["dataset"] = (b["dataset"] as? [String: Any])?.filter { $0.key != key }
            }
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b), "\(name)")
            compared += 1
        }
        return compared
    }

    @Test func failuresNameTheDatasetAndPublishNothing() throws {
        let config = try twinConfig()
        let data = config.appendingPathComponent("data/projects.sqlite")
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        func run(_ report: String) throws -> ProcessOutput {
            try runReportd(["run", "--config", "reportd.yaml", report], in: config)
        }
        // Not a database.
        try Data("project_id,title\n".utf8).write(to: data)
        var out = try run("db-pushed")
        #expect(out.status != 0)
        #expect(
            (out.stdout + out.stderr).contains("dataset 'projects_sqlite': file is not a database"), "\(out.stderr)")
        // Missing.
        try FileManager.default.removeItem(at: data)
        out = try run("db-support-by-district")
        #expect(out.status != 0)
        #expect(
            (out.stdout + out.stderr).contains(
                "dataset 'projects_sqlite': cannot open the database: No such file or directory"),
            "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data.path), "never created")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("db-pushed").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("db-support-by-district").path))
    }

    @Test func aMissingTableIsAConfigErrorWhenNoSchemaIsGiven() throws {
        let config = try twinConfig()
        let file = config.appendingPathComponent("reportd.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "table: projects ", with: "table: projetcs ").write(
            to: file, atomically: true, encoding: .utf8)
        let out = try runReportd(["validate", "--config", "reportd.yaml"], in: config)
        #expect(out.status != 0)
        #expect(
            out.stderr.contains("dataset 'projects_sqlite': no table or view 'projetcs' in the database"),
            "\(out.stderr)")
    }

    /// Runs `sql` on the database at `path` with Python's sqlite3 and sets the file's times back to
    /// what they were.
    func writeKeepingTimes(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import os, sqlite3, sys
            st = os.stat(sys.argv[1])
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute(sys.argv[2])
            c.close()
            os.utime(sys.argv[1], ns=(st.st_atime_ns, st.st_mtime_ns))
            """, path, sql,
        ]
        let out = try runCollecting(process, mergingErrors: true)
        #expect(out.status == 0, "\(out.stdout)")
    }

    /// The plain table's cell check is kept in the state folder between `reportd run`s, and a bad
    /// cell written between two runs with the file's times set back is still found (rollback
    /// journal and WAL); a damaged kept file is only a check more.
    @Test(arguments: ["DELETE", "WAL"])
    func theKeptCellCheckNeverLetsABadCellThrough(journal: String) throws {
        let config = try twinConfig()
        let data = config.appendingPathComponent("data/projects.sqlite").path
        try writeKeepingTimes(data, "PRAGMA journal_mode=\(journal)")
        func run() throws -> ProcessOutput { try runReportd(["run", "--config", "reportd.yaml", "db-pushed"], in: config) }
        var out = try run()
        #expect(out.status == 0, "\(out.stderr)")
        let kept = config.deletingLastPathComponent().appendingPathComponent("var/state/sqlite-checks").path
        let files = try FileManager.default.contentsOfDirectory(atPath: kept)
        #expect(files.count == 1, "\(files)")
        out = try run()
        #expect(out.status == 0, "\(out.stderr)")
        try writeKeepingTimes(data, "UPDATE projects SET jobs_created = 'many' WHERE rowid = 3")
        out = try run()
        #expect(out.status != 0)
        #expect(out.stderr.contains("column 'jobs_created': text 'many' is not int"), "\(out.stderr)")
        // Clean again, then the kept file cut short: checked, and right.
        try writeKeepingTimes(data, "UPDATE projects SET jobs_created = 12 WHERE rowid = 3")
        #expect(try run().status == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: kept) {
            let path = kept + "/" + file
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: path))
        }
        #expect(try run().status == 0)
        try writeKeepingTimes(data, "UPDATE projects SET jobs_created = 'many' WHERE rowid = 3")
        out = try run()
        #expect(out.status != 0)
        #expect(out.stderr.contains("column 'jobs_created'"), "\(out.stderr)")
    }
}
