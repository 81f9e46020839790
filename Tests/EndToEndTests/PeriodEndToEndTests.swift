import Foundation
import Testing
import TestSupport

/// Issue 25 through the real binary: periods against DuckDB, `next`, `run --period`, an empty period.
@Suite(.blocking) struct PeriodEndToEndTests {
    /// `period_differential.py` beside this file: every kind of period, both `covers`, cut-off days
    /// 1 and 15, compare and cumulative, over a generated dataset of 2019–2026, checked against
    /// ranges computed in Python from the SPEC's words and figures from DuckDB over those ranges;
    /// `run --period` against `run --slot` for each report. A missing `duckdb` fails the test.
    @Test func periodsMatchDuckDB() throws {
        let binary = try reportdBinary()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("period_differential.py")
        let workdir = try temporaryFolder("periods")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--reportd", binary.path, "--workdir", workdir.path]
        let out = try runCollecting(process, mergingErrors: true)
        #expect(out.status == 0, "\(out.stdout)\n(files kept in \(workdir.path))")
        if out.status == 0 { try? FileManager.default.removeItem(at: workdir) }
    }

    /// A folder with a dataset of dated rows and the given report files.
    struct Folder {
        let url: URL
        var config: String { url.appendingPathComponent("reportd.yaml").path }
        var output: URL { url.appendingPathComponent("out") }

        init(reports: [String: String], csv: String = Folder.csv) throws {
            url = try temporaryFolder("period")
            let fm = FileManager.default
            try fm.createDirectory(at: url.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
            try """
            timezone: Asia/Ho_Chi_Minh
            reports: reports.d
            state: state
            output: {root: out, keep: 10}
            datasets:
              sales: {format: csv, path: data.csv, schema: schema.yaml}
            """.write(to: url.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
            try "columns:\n  district: {type: string}\n  amount: {type: int}\n  day: {type: date}\n"
                .write(to: url.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
            try csv.write(to: url.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
            for (name, text) in reports {
                try text.write(
                    to: url.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
            }
        }

        static let csv = """
            district,amount,day
            Sìn Hồ,100,2025-11-03
            Tam Đường,250,2025-11-20
            Sìn Hồ,40,2024-11-10
            Sìn Hồ,7,

            """

        static func report(
            _ name: String, schedule: String, period: String, extra: String = "", zone: String = "Asia/Ho_Chi_Minh"
        ) -> String {
            """
            name: \(name)
            title: "Doanh số {period}"
            dataset: sales
            schedule: "\(schedule)"
            timezone: \(zone)
            period: \(period)
            \(extra)
            metrics:
              - {name: rows, calc: count}
              - {name: amount, calc: sum, column: amount}

            """
        }
    }

    @Test func nextNamesEachSlotsPeriodAcrossAYearEndAndADSTChange() throws {
        let f = try Folder(reports: [
            "monthly": Folder.report(
                "monthly", schedule: "0 6 1 * *", period: "{every: month, date_column: day}", extra: "locale: vi-VN",
                zone: "Europe/Berlin"),
            "daily": Folder.report(
                "daily", schedule: "30 2 * * *", period: "{every: day, date_column: day}", zone: "Europe/Berlin"),
        ])
        let monthly = try runReportd([
            "next", "monthly", "--config", f.config, "--count", "4", "--from", "2026-10-20T00:00",
        ])
        #expect(monthly.status == 0, "\(monthly.stderr)")
        #expect(
            monthly.stdout.split(separator: "\n") == [
                // 25 October: summer time ends, +02:00 becomes +01:00.
                "2026-11-01T06:00:00+01:00  (2026-11-01T05:00:00Z)  Tháng 10/2026 (01/10/2026 – 31/10/2026)",
                "2026-12-01T06:00:00+01:00  (2026-12-01T05:00:00Z)  Tháng 11/2026 (01/11/2026 – 30/11/2026)",
                "2027-01-01T06:00:00+01:00  (2027-01-01T05:00:00Z)  Tháng 12/2026 (01/12/2026 – 31/12/2026)",
                "2027-02-01T06:00:00+01:00  (2027-02-01T05:00:00Z)  Tháng 1/2027 (01/01/2027 – 31/01/2027)",
            ])
        // 02:30 does not exist on 29 March 2026 in Berlin: the run is at 03:00 CEST and still
        // reports on 28 March.
        let daily = try runReportd([
            "next", "daily", "--config", f.config, "--count", "2", "--from", "2026-03-28T12:00",
        ])
        #expect(
            daily.stdout.split(separator: "\n") == [
                "2026-03-29T03:00:00+02:00  (2026-03-29T01:00:00Z)  28 March 2026 (28/03/2026 – 28/03/2026)",
                "2026-03-30T02:30:00+02:00  (2026-03-30T00:30:00Z)  29 March 2026 (29/03/2026 – 29/03/2026)",
            ], "\(daily.stdout)")
    }

    @Test func runPeriodNamesTheSlotAndRefusesWhatNoSlotReportsOn() throws {
        let f = try Folder(reports: [
            "monthly": Folder.report(
                "monthly", schedule: "0 6 1 * *",
                period: "{every: month, date_column: day}\ncompare: [same_period_last_year]\ntotals: true",
                extra: "locale: vi-VN\nformats: [csv, json, text, html]"),
            "weekdays": Folder.report(
                "weekdays", schedule: "0 17 * * 1-5", period: "{every: day, date_column: day, covers: current}"),
        ])
        let out = try runReportd(["run", "--config", f.config, "--period", "2025-11", "monthly"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("monthly/monthly_2025-12-01T060000.json"))
        #expect(json["title"] as? String == "Doanh số Tháng 11/2025")
        let period = try #require(json["period"] as? [String: Any])
        #expect(period["start"] as? String == "2025-11-01" && period["end"] as? String == "2025-11-30")
        let dataset = try #require(json["dataset"] as? [String: Any])
        #expect(dataset["rows_outside_period"] as? Int == 1)
        #expect(dataset["rows_used"] as? Int == 2)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["amount"] as? Int == 350 && totals["amount_same_period_last_year"] as? Int == 40)
        #expect(totals["amount_vs_same_period_last_year_pct"] as? Double == 775)
        // The run is in the history, with its period.
        let history = try runReportd(["history", "monthly", "--config", f.config])
        #expect(history.stdout.contains("PERIOD") && history.stdout.contains("2025-11"), "\(history.stdout)")
        let manifest = try String(
            contentsOf: f.output.appendingPathComponent("monthly/manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"label\" : \"Tháng 11/2025\""), "\(manifest)")
        let html = try String(contentsOf: f.output.appendingPathComponent("monthly/latest.html"), encoding: .utf8)
        #expect(html.contains("<p class=\"period\">Kỳ báo cáo: Tháng 11/2025, 01/11/2025 – 30/11/2025</p>"), "\(html)")
        #expect(html.contains("<p class=\"period\">Cùng kỳ năm trước: Tháng 11/2024, 01/11/2024 – 30/11/2024</p>"))
        let index = try String(contentsOf: f.output.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("<br>Tháng 11/2025</td>"), "\(index)")
        let status = try runReportd(["status", "monthly", "--config", f.config])
        #expect(status.stdout.contains("period: 2025-11, Tháng 11/2025, 2025-11-01 to 2025-11-30"), "\(status.stdout)")

        // Refusals, each naming what would work; nothing runs.
        let cases: [([String], String)] = [
            (["--period", "2025-Q4", "monthly"], "name a month such as 2026-11"),
            // The slot in the report's own zone, as every command shows slots.
            (["--period", "2099-01", "monthly"], "the slot of 2099-02-01T06:00:00"),
            (["--period", "2099-01", "monthly"], "still to come"),
            (
                ["--period", "2025-11-29", "weekdays"],
                "the nearest periods it reports on are 2025-11-28 and 2025-12-01"
            ),
            (["--period", "2025-13", "monthly"], "is not a period"),
        ]
        for (arguments, message) in cases {
            let refused = try runReportd(["run", "--config", f.config] + arguments)
            #expect(refused.status == 2, "\(arguments)")
            #expect(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        let both = try runReportd([
            "run", "--config", f.config, "--period", "2025-11", "--slot", "2025-12-01T06:00", "monthly",
        ])
        #expect(both.status != 0)
        #expect(filesIn(f.output.appendingPathComponent("weekdays")).isEmpty)
        let help = try runReportd(["run", "--help"])
        #expect(help.stdout.contains("--period") && help.stdout.contains("covers: previous"), "\(help.stdout)")
    }

    @Test func aPeriodWithoutRowsIsAValidReportThatSaysSo() throws {
        let f = try Folder(reports: [
            "monthly": Folder.report("monthly", schedule: "0 6 1 * *", period: "{every: month, date_column: day}"),
            "vi": Folder.report(
                "vi", schedule: "0 6 1 * *", period: "{every: month, date_column: day}",
                extra: "locale: vi-VN\ngroup_by: [district]"),
        ])
        let out = try runReportd(["run", "--config", f.config, "--slot", "2025-03-01T06:00"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("monthly/latest.json"))
        #expect((json["rows"] as? [[String: Any]])?.first?["amount"] as? Int == 0)
        #expect((json["rows"] as? [[String: Any]])?.first?["rows"] as? Int == 0)
        let text = try String(contentsOf: f.output.appendingPathComponent("monthly/latest.txt"), encoding: .utf8)
        #expect(text.hasPrefix("Doanh số February 2025\nPeriod: February 2025, 01/02/2025 – 28/02/2025\n"), "\(text)")
        #expect(text.contains("No rows in the period."), "\(text)")
        let vi = try String(contentsOf: f.output.appendingPathComponent("vi/latest.txt"), encoding: .utf8)
        #expect(vi.contains("(không có dòng nào)") && vi.contains("Không có dữ liệu trong kỳ báo cáo."), "\(vi)")
        let csv = try String(contentsOf: f.output.appendingPathComponent("vi/latest.csv"), encoding: .utf8)
        #expect(csv == "district,rows,amount\n")
    }
}
