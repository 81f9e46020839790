import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 26 through the real binary: `split_by` over a generated dataset, each value's files
/// checked against a computation here; `split_max`; `publish_when` with an empty filter and with
/// `changed` across runs and periods; history, status and the metrics file. One test at a time:
/// each blocks a thread of the test process on the binary for seconds, and six side by side
/// starved the scheduler's tests of the cooperative pool in a full `swift test` on two cores.
@Suite(.blocking, .serialized) struct SplitEndToEndTests {
    static let districts = [
        "Thành phố Lai Châu", "Tam Đường", "Phong Thổ", "Sìn Hồ", "Mường Tè", "Than Uyên", "Tân Uyên", "Nậm Nhùn",
    ]
    static let slugs = [
        "thanh-pho-lai-chau", "tam-duong", "phong-tho", "sin-ho", "muong-te", "than-uyen", "tan-uyen", "nam-nhun",
    ]

    struct Row {
        var district: String
        var program: String
        var year: Int
        var amount: Int?
    }

    /// Rows over the eight districts (some typed in NFD, as a spreadsheet may), a few blank
    /// districts and hostile values, from a seed.
    static func rows(seed: UInt64, count: Int = 600, hostile: Bool = true) -> [Row] {
        var random = SeededGenerator(seed: seed)
        let programs = ["Nông thôn mới", "Giảm nghèo", "Dân tộc thiểu số"]
        var rows: [Row] = []
        for i in 0..<count {
            var district = districts[Int(random.next() % 8)]
            if i % 7 == 0 { district = district.decomposedStringWithCanonicalMapping }
            if i % 50 == 3 { district = "" }
            rows.append(
                Row(
                    district: district, program: programs[Int(random.next() % 3)],
                    year: 2020 + Int(random.next() % 6), amount: i % 31 == 5 ? nil : Int(random.next() % 5_000_000)))
        }
        if hostile {
            for value in ["../../etc", "a/b", "CON", ".."] {
                rows.append(Row(district: value, program: programs[0], year: 2024, amount: 1))
            }
        }
        return rows
    }

    static func csv(_ rows: [Row]) -> String {
        func field(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"\(s)\"" : s }
        return "district,program,year,amount\n"
            + rows.map { "\(field($0.district)),\($0.program),\($0.year),\($0.amount.map(String.init) ?? "")\n" }.joined()
    }

    /// A folder with the dataset and the given reports.
    final class Folder {
        let url: URL
        var config: String { url.appendingPathComponent("reportd.yaml").path }
        var output: URL { url.appendingPathComponent("out") }

        init(rows: [Row], reports: [String: String], extraConfig: String = "") throws {
            url = try temporaryFolder("split")
            let fm = FileManager.default
            try fm.createDirectory(at: url.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
            try """
            timezone: Asia/Ho_Chi_Minh
            reports: reports.d
            state: state
            output: {root: out, keep: 3}
            metrics_file: metrics/reportd.prom
            datasets:
              funds: {format: csv, path: data.csv, schema: schema.yaml}
            \(extraConfig)
            """.write(to: url.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
            try """
            columns:
              district: {type: string}
              program: {type: string, required: true}
              year: {type: int, required: true}
              amount: {type: int}
            """.write(to: url.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
            try write(rows)
            for (name, text) in reports {
                try text.write(to: url.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
            }
        }

        func write(_ rows: [Row]) throws {
            try SplitEndToEndTests.csv(rows).write(to: url.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: url) }

        func run(_ arguments: [String] = []) throws -> ProcessOutput {
            try runReportd(["run", "--config", config] + arguments)
        }

        func history(_ report: String) throws -> [[String: Any]] {
            let out = try runReportd(["history", "--config", config, "--json", "--limit", "1000", report])
            return out.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func slotFiles(_ folder: String, _ ext: String) -> [String] {
            filesIn(output.appendingPathComponent(folder)).filter { $0.hasSuffix(".\(ext)") && !$0.hasPrefix("latest") }
        }
    }

    static let splitReport = """
        name: by-district
        title: "Kinh phí theo chương trình"
        dataset: funds
        schedule: "@daily"
        group_by: [program]
        split_by: district
        totals: true
        formats: [csv, json, text, html, xlsx]
        metrics:
          - {name: projects, calc: count}
          - {name: support, calc: sum, column: amount}
        """

    /// Each value's CSV and JSON against a computation over the generated rows; the values'
    /// count and sum totals add up to the whole report's; the hostile values stay inside.
    @Test func eachValuesFilesMatchAComputationAndAddUpToTheWhole() throws {
        let rows = Self.rows(seed: 26)
        let f = try Folder(rows: rows, reports: ["by-district": Self.splitReport])
        let out = try f.run()
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = f.output.appendingPathComponent("by-district")
        let whole = try readJSON(root.appendingPathComponent("latest.json"))
        let wholeTotals = try #require(whole["totals"] as? [String: Any])
        var projects = 0
        var support = 0
        // Values as the data is read (NFC): an NFD spelling is the same value.
        let byValue = Dictionary(grouping: rows) { $0.district.precomposedStringWithCanonicalMapping }
        var folders: [String: String] = [:]
        for (district, slug) in zip(Self.districts, Self.slugs) { folders[district] = slug }
        folders[""] = "_empty"
        folders["../../etc"] = "etc"
        folders["a/b"] = "a-b"
        folders["CON"] = "con-x"
        for (value, slug) in folders {
            let valueRows = try #require(byValue[value], "\(value)")
            let folder = root.appendingPathComponent(slug)
            let json = try readJSON(folder.appendingPathComponent("latest.json"))
            #expect((json["title"] as? String)?.hasSuffix(" — \(value.isEmpty ? "(empty)" : value)") == true, "\(slug)")
            let split = try #require(json["split"] as? [String: Any])
            #expect(split["column"] as? String == "district" && split["value"] as? String == value)
            // Group by program: count of rows, sum of the amounts present.
            var expected: [String: (Int, Int)] = [:]
            for row in valueRows { expected[row.program, default: (0, 0)].0 += 1 }
            for row in valueRows { expected[row.program, default: (0, 0)].1 += row.amount ?? 0 }
            let got = try #require(json["rows"] as? [[String: Any]])
            #expect(got.count == expected.count, "\(slug)")
            for row in got {
                let program = try #require(row["program"] as? String)
                #expect(row["projects"] as? Int == expected[program]?.0, "\(slug) \(program)")
                #expect(row["support"] as? Int == expected[program]?.1, "\(slug) \(program)")
            }
            let totals = try #require(json["totals"] as? [String: Any])
            projects += totals["projects"] as? Int ?? 0
            support += totals["support"] as? Int ?? 0
            // Every format, slot file and latest.
            for ext in ["csv", "json", "txt", "html", "xlsx"] {
                #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("latest.\(ext)").path), "\(slug) \(ext)")
                #expect(f.slotFiles("by-district/\(slug)", ext).count == 1, "\(slug) \(ext)")
            }
            let csv = try String(contentsOf: folder.appendingPathComponent("latest.csv"), encoding: .utf8)
            #expect(csv.hasPrefix("program,projects,support\n"), "\(csv)")
        }
        // ".." has no letters left: x-<hash>.
        let hashed = filesIn(root).filter { $0.hasPrefix("x-") }
        #expect(hashed.count == 1, "\(filesIn(root))")
        #expect(projects + 1 == wholeTotals["projects"] as? Int, "the values' counts add up to the whole")
        #expect(support + 1 == wholeTotals["support"] as? Int, "the values' sums add up to the whole")
        // Nothing outside the report's folder; its index lists the values.
        #expect(Set(filesIn(f.output)).isSubset(of: ["by-district", "index.html", ".manifest.json"]), "\(filesIn(f.output))")
        let index = try String(contentsOf: root.appendingPathComponent("index.html"), encoding: .utf8)
        for (value, slug) in folders where !value.isEmpty {
            #expect(index.contains("href=\"\(slug)/\""), "\(slug)")
        }
        #expect(index.contains("Mường Tè") && index.contains("(empty)"))
        let record = try #require(try f.history("by-district").last)
        let values = try #require(record["split_values"] as? [String: String])
        #expect(values.count == 13)
        #expect(values["muong-te"] == "Mường Tè")
    }

    /// A second run keeps each value's folder; a value first seen later that collides with an
    /// earlier one's slug gets the hash, for good; a value that is gone keeps its files.
    @Test func slugsStayAcrossRunsAndGoneValuesKeepTheirFiles() throws {
        let rows = Self.rows(seed: 7, count: 80, hostile: false)
        let f = try Folder(rows: rows, reports: ["by-district": Self.splitReport])
        #expect(try f.run().status == 0)
        // "Muong Te" (no marks) arrives; "Sìn Hồ" is gone.
        var next = rows.filter { $0.district.precomposedStringWithCanonicalMapping != "Sìn Hồ" }
        next.append(Row(district: "Muong Te", program: "Giảm nghèo", year: 2024, amount: 5))
        try f.write(next)
        // Another slot stamp (manual runs are stamped to the second).
        sleep(1)
        #expect(try f.run().status == 0)
        let root = f.output.appendingPathComponent("by-district")
        let newcomer = try readJSON(root.appendingPathComponent("muong-te-\(try Self.hash("Muong Te"))/latest.json"))
        #expect((newcomer["split"] as? [String: Any])?["value"] as? String == "Muong Te")
        let first = try readJSON(root.appendingPathComponent("muong-te/latest.json"))
        #expect((first["split"] as? [String: Any])?["value"] as? String == "Mường Tè")
        #expect(f.slotFiles("by-district/muong-te", "csv").count == 2)
        #expect(f.slotFiles("by-district/sin-ho", "csv").count == 1, "the gone value keeps its older files")
    }

    static func hash(_ text: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import hashlib,sys,unicodedata; print(hashlib.sha256(unicodedata.normalize('NFC', sys.argv[1]).encode()).hexdigest()[:8])", text]
        let out = try runCollecting(process)
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func moreValuesThanSplitMaxFailBeforePublishingAnything() throws {
        let report = Self.splitReport + "\nsplit_max: 5\n"
        let f = try Folder(rows: Self.rows(seed: 3, count: 100, hostile: false), reports: ["by-district": report])
        let out = try f.run()
        #expect(out.status == 1)
        #expect(out.stdout.contains("gives 9 values, more than split_max (5)"), "\(out.stdout)")
        #expect(filesIn(f.output.appendingPathComponent("by-district")).isEmpty)
    }

    /// An empty filter with `publish_when: rows > 0`: the run completes, nothing is published, and
    /// history, status and the metrics file say so.
    @Test func publishWhenFalseCompletesWithoutPublishing() throws {
        let report = """
            name: empty
            dataset: funds
            schedule: "@daily"
            filter: "year > 3000"
            group_by: [district]
            publish_when: "rows > 0"
            metrics:
              - {name: projects, calc: count}
            """
        let f = try Folder(rows: Self.rows(seed: 1, count: 20, hostile: false), reports: ["empty": report])
        let out = try f.run()
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(f.slotFiles("empty", "csv").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("empty/latest.csv").path))
        let record = try #require(try f.history("empty").last)
        #expect(record["outcome"] as? String == "success")
        #expect(record["skipped"] as? String == "condition")
        #expect(record["condition"] as? String == "rows > 0")
        let status = try runReportd(["status", "--config", f.config, "empty"])
        #expect(status.stdout.contains("skipped (condition)"), "\(status.stdout)")
        #expect(status.stdout.contains("publish_when was false: rows > 0"), "\(status.stdout)")
        let metrics = try String(contentsOf: f.url.appendingPathComponent("metrics/reportd.prom"), encoding: .utf8)
        #expect(metrics.contains("reportd_report_skipped_total{report=\"empty\"} 1"), "\(metrics)")
        let text = try runReportd(["history", "--config", f.config, "empty"])
        #expect(text.stdout.contains("skipped (condition)"), "\(text.stdout)")
    }

    /// `changed` over three runs (same data, same data, changed data): published, skipped,
    /// published; and per period: a month's figures do not count as another month's.
    @Test func changedComparesWithTheLastPublishedFiguresOfThePeriod() throws {
        let report = """
            name: changes
            dataset: funds
            schedule: "@daily"
            group_by: [district]
            publish_when: "changed"
            metrics:
              - {name: projects, calc: count}
              - {name: support, calc: sum, column: amount}
            """
        var rows = Self.rows(seed: 5, count: 30, hostile: false)
        let f = try Folder(rows: rows, reports: ["changes": report])
        var published: [Int] = []
        for i in 0..<3 {
            if i == 2 {
                rows[0].amount = (rows[0].amount ?? 0) + 1
                try f.write(rows)
            }
            #expect(try f.run().status == 0)
            published.append(f.slotFiles("changes", "csv").count)
            // Distinct slot stamps: manual runs a second apart.
            sleep(1)
        }
        #expect(published == [1, 1, 2])
        let skipped = try f.history("changes").map { $0["skipped"] as? String }
        #expect(skipped == [nil, "condition", nil])

        let monthly = """
            name: monthly
            dataset: dated
            schedule: "0 6 1 * *"
            period: {every: month, date_column: day}
            group_by: [district]
            publish_when: "changed"
            metrics:
              - {name: projects, calc: count}
            """
        let g = try Folder(
            rows: [], reports: ["monthly": monthly],
            extraConfig: "  dated: {format: csv, path: dated.csv, schema: dated.yaml}")
        try "columns:\n  district: {type: string}\n  day: {type: date}\n".write(
            to: g.url.appendingPathComponent("dated.yaml"), atomically: true, encoding: .utf8)
        try "district,day\nSìn Hồ,2026-10-03\nSìn Hồ,2026-11-04\n".write(
            to: g.url.appendingPathComponent("dated.csv"), atomically: true, encoding: .utf8)
        // November's slot (October's figures), December's (November's: the same figures but
        // another period), then November's again (unchanged: skipped).
        for slot in ["2026-11-01T06:00:00+07:00", "2026-12-01T06:00:00+07:00", "2026-11-01T06:00:00+07:00"] {
            let out = try g.run(["monthly", "--slot", slot])
            #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        }
        #expect(try g.history("monthly").map { $0["skipped"] as? String } == [nil, nil, "condition"])
    }

    /// A split report over SQLite (computed by the engine over the rows one query reads, not
    /// pushed down) gives each district the same figures as over the CSV of the same projects.
    @Test func aSplitOverSQLiteMatchesTheSameSplitOverCSV() throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reports = folder.appendingPathComponent("config/reports.d")
        let csvReport = try String(contentsOf: reports.appendingPathComponent("district-offices.yaml"), encoding: .utf8)
        try csvReport.replacingOccurrences(of: "name: district-offices", with: "name: offices-sqlite")
            .replacingOccurrences(of: "dataset: projects", with: "dataset: projects_sqlite")
            .write(to: reports.appendingPathComponent("offices-sqlite.yaml"), atomically: true, encoding: .utf8)
        let out = try runReportd([
            "run", "--config", folder.appendingPathComponent("config/reportd.yaml").path, "district-offices",
            "offices-sqlite",
        ])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = folder.appendingPathComponent("var/reports")
        let values = filesIn(root.appendingPathComponent("district-offices")).filter { !$0.contains(".") }
        #expect(values.count == 8)
        #expect(filesIn(root.appendingPathComponent("offices-sqlite")).filter { !$0.contains(".") } == values)
        for value in values {
            let a = try readJSON(root.appendingPathComponent("district-offices/\(value)/latest.json"))
            let b = try readJSON(root.appendingPathComponent("offices-sqlite/\(value)/latest.json"))
            func figures(_ json: [String: Any]) throws -> Data {
                try JSONSerialization.data(
                    withJSONObject: ["r": json["rows"] ?? [], "t": json["totals"] ?? [:]], options: [.sortedKeys])
            }
            #expect(try figures(a) == figures(b), "\(value)")
        }
    }
}
