import Foundation
import Testing
import TestSupport

/// The real `reportd` writing workbooks and reading them: every sample report as XLSX checked
/// against its JSON by openpyxl and LibreOffice (Tests/EndToEndTests/xlsx_check.py), and the
/// sample projects read from the workbook config/data/projects.xlsx giving what the CSV gives.
@Suite(.blocking) struct XLSXEndToEndTests {
    /// Runs the checker on one report's latest workbook and JSON.
    func check(_ folder: URL, soffice: Bool) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", packageRoot.appendingPathComponent("Tests/EndToEndTests/xlsx_check.py").path,
                folder.appendingPathComponent("latest.xlsx").path, folder.appendingPathComponent("latest.json").path,
            ] + (soffice ? ["--soffice"] : [])
        return try runCollecting(process, mergingErrors: true)
    }

    /// A copy of the sample config whose reports also write XLSX, with one more report over a
    /// dataset of awkward cells (formulas, big integers, dates, nulls).
    func workbookConfig() throws -> URL {
        let config = try copyOfSampleConfig().appendingPathComponent("config")
        let reports = config.appendingPathComponent("reports.d")
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".yaml") {
            let url = reports.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let changed = text.replacingOccurrences(of: "formats: [csv, json, text, html]", with: "formats: [json, xlsx]")
            #expect(changed != text, "\(file) lists its formats")
            try changed.write(to: url, atomically: true, encoding: .utf8)
        }
        try """
            columns:
              name: {type: string, required: true}
              amount: {type: int}
              share: {type: decimal}
              day: {type: date}
              done: {type: bool}

            """.write(to: config.appendingPathComponent("data/awkward.schema.yaml"), atomically: true, encoding: .utf8)
        try """
            name,amount,share,day,done
            =1+2,9007199254740993,0.1,2024-02-29,true
            +SUM(A1),-9007199254740993,0.3333333333333333,1900-03-01,false
            @cmd,9007199254740992,,,
            Mường Tè,45000000,1e-7,2026-11-29,true
            "  spaced  ",,-2.5,9999-12-31,

            """.write(to: config.appendingPathComponent("data/awkward.csv"), atomically: true, encoding: .utf8)
        let daemon = config.appendingPathComponent("reportd.yaml")
        try (String(contentsOf: daemon, encoding: .utf8) + """
              awkward:
                path: data/awkward.csv
                schema: data/awkward.schema.yaml

            """).write(to: daemon, atomically: true, encoding: .utf8)
        try """
            name: awkward
            title: "Ô khó: =1+2, số lớn, ngày"
            dataset: awkward
            schedule: "@daily"
            group_by: [name, day, done]
            metrics:
              - {name: amount, calc: sum, column: amount}
              - {name: share, calc: mean, column: share}
            totals: true
            formats: [json, xlsx, csv]

            """.write(to: reports.appendingPathComponent("awkward.yaml"), atomically: true, encoding: .utf8)
        return config
    }

    @Test func everySampleReportAsAWorkbookReadsBackAsItsJSON() throws {
        let config = try workbookConfig()
        let out = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        where !name.hasPrefix(".") && !name.hasSuffix(".html") {
            let folder = root.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(files.contains("latest.xlsx"), "\(name): \(files)")
            #expect(files.contains { $0.hasPrefix(name + "_") && $0.hasSuffix(".xlsx") }, "\(name): \(files)")
            // LibreOffice for the awkward cells and one sample report (each conversion starts an
            // office process: a few seconds); openpyxl for all.
            let result = try check(folder, soffice: name == "awkward" || name == "support-by-district")
            #expect(result.status == 0, "\(name): \(result.stdout)")
            checked += 1
        }
        #expect(checked == 9)  // eight sample reports (a split one since issue 26) and one more
        // The formula-like text arrives as text in the workbook and defused in the CSV.
        let csv = try String(
            contentsOf: root.appendingPathComponent("awkward/latest.csv"), encoding: .utf8)
        #expect(csv.contains("'=1+2"), "\(csv)")
    }

    /// The same rows from the CSV and from the workbook (config/data/projects.xlsx): every sample
    /// report gives the same CSV and the same JSON but for the dataset's name and checksum.
    @Test func theSampleReportsGiveTheSameFiguresFromTheWorkbook() throws {
        let config = try copyOfSampleConfig().appendingPathComponent("config")
        let reports = config.appendingPathComponent("reports.d")
        for file in try FileManager.default.contentsOfDirectory(atPath: reports.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: reports.appendingPathComponent(file), encoding: .utf8)
            let twin = text.replacingOccurrences(of: "\ndataset: projects\n", with: "\ndataset: projects_xlsx\n")
                .replacingOccurrences(of: "name: ", with: "name: x-", options: .anchored)
                .replacingOccurrences(of: "\nname: ", with: "\nname: x-")
            #expect(twin != text, "\(file) names the dataset")
            try twin.write(to: reports.appendingPathComponent("x-" + file), atomically: true, encoding: .utf8)
        }
        let out = try runReportd(["run", "--config", "reportd.yaml"], in: config)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let root = config.deletingLastPathComponent().appendingPathComponent("var/reports")
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name.hasPrefix("x-") {
            let csv = root.appendingPathComponent(String(name.dropFirst(2)))
            let xlsx = root.appendingPathComponent(name)
            #expect(
                try Data(contentsOf: csv.appendingPathComponent("latest.csv"))
                    == Data(contentsOf: xlsx.appendingPathComponent("latest.csv")), "\(name)")
            var a = try readJSON(csv.appendingPathComponent("latest.json"))
            var b = try readJSON(xlsx.appendingPathComponent("latest.json"))
            for key in ["report", "dataset", "title", "generated_at", "slot"] {
                a[key] = nil
                b[key] = nil
            }
            #expect(NSDictionary(dictionary: a) == NSDictionary(dictionary: b), "\(name)")
            compared += 1
        }
        #expect(compared == 8)  // the sample reports, a split one since issue 26
    }

    /// A bad cell in the workbook fails the run naming FILE!SHEET!CELL; validate checks the sheet.
    @Test func aMissingSheetIsNamedWhenTheReportRuns() throws {
        let config = try copyOfSampleConfig().appendingPathComponent("config")
        let daemon = config.appendingPathComponent("reportd.yaml")
        let text = try String(contentsOf: daemon, encoding: .utf8)
        try text.replacingOccurrences(of: "sheet: \"Đề án\"", with: "sheet: \"De an\"").write(
            to: daemon, atomically: true, encoding: .utf8)
        try """
            name: from-workbook
            title: "Từ bảng tính"
            dataset: projects_xlsx
            schedule: "@daily"
            metrics: [{name: projects, calc: count}]
            formats: [json]

            """.write(to: config.appendingPathComponent("reports.d/from-workbook.yaml"), atomically: true, encoding: .utf8)
        let out = try runReportd(["run", "--config", "reportd.yaml", "from-workbook"], in: config)
        #expect(out.status != 0)
        #expect(
            (out.stdout + out.stderr).contains("the workbook has no sheet 'De an' (its sheets: 'Đề án')"),
            "\(out.stdout)\(out.stderr)")
    }
}
