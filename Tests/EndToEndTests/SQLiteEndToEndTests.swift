import Foundation
import Testing

/// The real `reportd` on the sample projects in CSV and in SQLite (config/data/projects.sqlite).
@Suite struct SQLiteEndToEndTests {
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

    /// Every sample report (and `pushed`) twice: on the CSV dataset and on the SQLite one.
    func twinConfig() throws -> URL {
        let root = try copyOfSampleConfig()
        let config = root.appendingPathComponent("config")
        let reports = config.appendingPathComponent("reports.d")
        try Self.pushed.replacingOccurrences(of: "title:", with: "name: pushed\ndataset: projects\ntitle:")
            .write(to: reports.appendingPathComponent("pushed.yaml"), atomically: true, encoding: .utf8)
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
        let config = try twinConfig()
        // The CSV's schema for the database too: the same labels and value labels, which are also
        // the sort keys of a labelled group column.
        let daemon = config.appendingPathComponent("reportd.yaml")
        try String(contentsOf: daemon, encoding: .utf8).replacingOccurrences(
            of: "    table: projects ", with: "    schema: data/projects.schema.yaml\n    table: projects "
        ).write(to: daemon, atomically: true, encoding: .utf8)
        let out = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
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
            for key in ["report", "dataset", "title", "generated_at", "slot"] {
                a[key] = nil
                b[key] = nil
            }
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b), "\(name)")
            compared += 1
        }
        #expect(compared == 8)
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
}
