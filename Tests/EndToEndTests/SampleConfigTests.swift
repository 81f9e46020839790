import Foundation
import Testing
import TestSupport

/// Runs the real `reportd` binary on the sample config and reads what it wrote.
@Suite(.blocking) struct SampleConfigTests {
    @Test func validateAcceptsTheSampleConfig() throws {
        let out = try runReportd([
            "validate", "--config", packageRoot.appendingPathComponent("config/reportd.yaml").path,
        ])
        #expect(out.status == 0, "\(out.stderr)")
        // Six reports, and the quarterly report by district that shows periods (issue 25).
        #expect(out.stdout.contains("OK: 8 reports, 3 datasets"))
    }

    @Test func configComesFromTheEnvironmentWhenNotGiven() throws {
        let out = try runReportd(
            ["validate"],
            environment: ["REPORTD_CONFIG": packageRoot.appendingPathComponent("config/reportd.yaml").path])
        #expect(out.status == 0, "\(out.stderr)")
    }

    @Test func sampleReportsReproduceThePublishedFigures() throws {
        let folder = try copyOfSampleConfig()
        let out = try runReportd(["run", "--config", folder.appendingPathComponent("config/reportd.yaml").path])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let root = folder.appendingPathComponent("var/reports")
        #expect(
            filesIn(root) == [
                "concentration-by-program", "district-offices", "funding-by-program", "funding-by-year",
                "impact-by-beneficiary", "index.html", "support-by-activity",
                "support-by-district", "support-by-district-quarterly",
            ])

        for report in filesIn(root) where report != "index.html" {
            // The split report's values' folders and index (issue 26) are checked below.
            let files = filesIn(root.appendingPathComponent(report)).filter { $0.contains(".") && $0 != "index.html" }
            // Four slot files, four latest files, the manifest, nothing hidden or temporary left behind.
            #expect(files.count == 9, "\(report): \(files)")
            #expect(files.contains("manifest.json"), "\(report): \(files)")
            #expect(
                files.filter { $0.hasPrefix("latest.") } == ["latest.csv", "latest.html", "latest.json", "latest.txt"])
            #expect(files.filter { $0.hasPrefix("\(report)_") && $0.hasSuffix(".json") }.count == 1)
            #expect(!files.contains { $0.hasPrefix(".") }, "\(report): \(files)")
        }

        // The split report: one folder per district, listed by its index; the districts' project
        // counts and amounts add up to the province's.
        let offices = root.appendingPathComponent("district-offices")
        let values = filesIn(offices).filter { !$0.contains(".") }
        #expect(
            values == ["muong-te", "nam-nhun", "phong-tho", "sin-ho", "tam-duong", "tan-uyen", "than-uyen", "thanh-pho-lai-chau"])
        var officeProjects = 0
        var officeSupport = 0
        for value in values {
            let totals = try readJSON(offices.appendingPathComponent("\(value)/latest.json"))["totals"] as? [String: Any]
            officeProjects += totals?["projects"] as? Int ?? 0
            officeSupport += totals?["state_support_vnd"] as? Int ?? 0
        }
        let province = try readJSON(offices.appendingPathComponent("latest.json"))["totals"] as? [String: Any]
        #expect(officeProjects == 30 && province?["projects"] as? Int == 30)
        #expect(officeSupport == province?["state_support_vnd"] as? Int)
        let index = try String(contentsOf: offices.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("href=\"muong-te/latest.csv\"") && index.contains("Mường Tè"))

        // Funding by programme: 10 national projects with 3.1 billion, 20 local with over 1.6 billion.
        let program = try readJSON(root.appendingPathComponent("funding-by-program/latest.json"))
        let rows = try #require(program["rows"] as? [[String: Any]])
        let national = try #require(rows.first { $0["program"] as? String == "national" })
        let local = try #require(rows.first { $0["program"] as? String == "local" })
        #expect(national["projects"] as? Int == 10)
        #expect(national["state_support_vnd"] as? Int == 3_100_000_000)
        #expect(local["projects"] as? Int == 20)
        let localSupport = try #require(local["state_support_vnd"] as? Int)
        #expect(localSupport > 1_600_000_000 && localSupport < 1_700_000_000)
        let totals = try #require(program["totals"] as? [String: Any])
        #expect(totals["projects"] as? Int == 30)
        let support = try #require(totals["state_support_vnd"] as? Int)
        #expect(support > 4_700_000_000 && support < 4_800_000_000)
        let counterpart = try #require(totals["counterpart_vnd"] as? Int)
        #expect(counterpart > 4_100_000_000 && counterpart < 4_200_000_000)
        let dataset = try #require(program["dataset"] as? [String: Any])
        #expect(dataset["rows"] as? Int == 30)
        #expect(dataset["rows_rejected"] as? Int == 0)
        #expect((dataset["sha256"] as? String)?.count == 64)

        // 24 products helped to register a brand.
        let impact = try readJSON(root.appendingPathComponent("impact-by-beneficiary/latest.json"))
        let impactRows = try #require(impact["rows"] as? [[String: Any]])
        #expect(impactRows.compactMap { $0["products_branded"] as? Int }.reduce(0, +) == 24)

        // Every sample CSV is Excel-ready (the daemon's `output.csv`): a BOM and CRLF line endings.
        for report in try FileManager.default.contentsOfDirectory(atPath: root.path) where !report.hasSuffix(".html") {
            let file = root.appendingPathComponent(report).appendingPathComponent("latest.csv")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            let bytes = try [UInt8](Data(contentsOf: file))
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "\(report): no BOM")
            #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("\r\n"), "\(report): not CRLF")
        }
        // funding-by-program heads its CSV with labels.
        let programCSV = try String(
            contentsOf: root.appendingPathComponent("funding-by-program/latest.csv"), encoding: .utf8)
        #expect(programCSV.hasPrefix("Chương trình,Số đề án,Kinh phí hỗ trợ,Vốn đối ứng,"), "\(programCSV)")
        // Sorted in Vietnamese order where the group key is a string (the label here).
        let activities = try String(
            contentsOf: root.appendingPathComponent("support-by-activity/latest.txt"), encoding: .utf8)
        let order = ["Chuyển giao công nghệ", "Đào tạo nghề", "Đăng ký nhãn hiệu", "Hội chợ, triển lãm"].compactMap {
            activities.range(of: "\n" + $0)?.lowerBound
        }
        #expect(order.count == 4 && order == order.sorted(), "\(activities)")

        // The Excel-flavoured CSV: a BOM and CRLF line endings.
        let csv = try Data(contentsOf: root.appendingPathComponent("funding-by-program/latest.csv"))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: csv, as: UTF8.self).contains("\r\n"))

        // Text in vi-VN grouping, aligned, with the dataset line.
        let text = try String(
            contentsOf: root.appendingPathComponent("support-by-district/latest.txt"), encoding: .utf8)
        #expect(
            text.contains("4.745.200.000")
                || text.range(of: #"4\.7\d\d\.\d{3}\.\d{3}"#, options: .regularExpression) != nil)
        #expect(text.contains("Dữ liệu projects: 30 dòng, 30 dùng, 0 bị loại"))

        // Issue 24: the 90th percentile of whole-đồng amounts, with no binary noise in CSV or JSON
        // (Phong Thổ: 85 + 0.7 × 265 million, which a double computes as 270500000.00000006).
        let districtCSV = try String(
            contentsOf: root.appendingPathComponent("support-by-district/latest.csv"), encoding: .utf8)
        // The sample config's `output.csv` gives every CSV a BOM and CRLF line endings.
        #expect(districtCSV.contains("Phong Thổ,4,556000000,80500000,270500000\r\n"), "\(districtCSV)")
        #expect(!districtCSV.contains(".0000000"), "\(districtCSV)")
        let districtJSON = try String(
            contentsOf: root.appendingPathComponent("support-by-district/latest.json"), encoding: .utf8)
        #expect(districtJSON.contains("\"p90_support_vnd\": 270500000}"), "\(districtJSON)")
        #expect(!districtJSON.contains(".0000000"), "\(districtJSON)")

        // Amounts in tỷ đồng where the report asks, with the vi-VN decimal comma.
        let programText = try String(
            contentsOf: root.appendingPathComponent("funding-by-program/latest.txt"), encoding: .utf8)
        #expect(programText.contains("3,10 tỷ đồng"), "\(programText)")
        #expect(programText.contains("4,75 tỷ đồng"), "\(programText)")
    }

    @Test func slotFilesAndLatestHoldTheSameBytes() throws {
        let folder = try copyOfSampleConfig()
        let out = try runReportd([
            "run", "--config", folder.appendingPathComponent("config/reportd.yaml").path, "funding-by-year",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let dir = folder.appendingPathComponent("var/reports/funding-by-year")
        #expect(filesIn(folder.appendingPathComponent("var/reports")) == ["funding-by-year", "index.html"])
        for ext in ["csv", "json", "txt", "html"] {
            let slot = try #require(filesIn(dir).first { $0.hasPrefix("funding-by-year_") && $0.hasSuffix("." + ext) })
            #expect(slot.range(of: #"^funding-by-year_\d{4}-\d{2}-\d{2}T\d{6}\."#, options: .regularExpression) != nil)
            #expect(
                try Data(contentsOf: dir.appendingPathComponent(slot))
                    == Data(contentsOf: dir.appendingPathComponent("latest.\(ext)")))
        }
    }

    /// Issue 25: the annual report reports on the year named, whatever today's date, with the
    /// year before as its same period last year.
    @Test func fundingByYearForThePeriod2025GivesTheSeedsFigures() throws {
        let folder = try copyOfSampleConfig()
        let out = try runReportd([
            "run", "--config", folder.appendingPathComponent("config/reportd.yaml").path, "--period", "2025",
            "funding-by-year",
        ])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let dir = folder.appendingPathComponent("var/reports/funding-by-year")
        // Named by the slot that reports on 2025: 06:00 on 5 January 2026.
        #expect(filesIn(dir).contains("funding-by-year_2026-01-05T060000.json"), "\(filesIn(dir))")
        let json = try readJSON(dir.appendingPathComponent("latest.json"))
        #expect(json["title"] as? String == "Kinh phí khuyến công theo chương trình, Năm 2025")
        let period = try #require(json["period"] as? [String: Any])
        #expect(period["start"] as? String == "2025-01-01" && period["end"] as? String == "2025-12-31")
        #expect(period["label"] as? String == "Năm 2025")
        let totals = try #require(json["totals"] as? [String: Any])
        // The seed's 2025 projects (by start date): 7, with 1,085,000,000 đồng; 2024: 6, 1,030,200,000.
        #expect(totals["projects"] as? Int == 7)
        #expect(totals["state_support_vnd"] as? Int == 1_085_000_000)
        #expect(totals["projects_same_period_last_year"] as? Int == 6)
        #expect(totals["state_support_vnd_same_period_last_year"] as? Int == 1_030_200_000)
        let text = try String(contentsOf: dir.appendingPathComponent("latest.txt"), encoding: .utf8)
        #expect(text.contains("Kỳ báo cáo: Năm 2025, 01/01/2025 – 31/12/2025"), "\(text)")
        #expect(text.contains("Cùng kỳ năm trước: Năm 2024, 01/01/2024 – 31/12/2024"), "\(text)")
        // CSV is unchanged by periods: a header and one row per group.
        let csv = try String(contentsOf: dir.appendingPathComponent("latest.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("program,projects,projects_same_period_last_year,"), "\(csv)")
    }

    @Test func unknownReportNameIsAUsageError() throws {
        let out = try runReportd([
            "run", "--config", packageRoot.appendingPathComponent("config/reportd.yaml").path, "funding-by-programme",
        ])
        #expect(out.status == 2)
        #expect(
            out.stderr.contains("no report named 'funding-by-programme'")
                && out.stderr.contains("did you mean 'funding-by-program'?"))
    }

    @Test func calculatorsListsEveryCalculatorWithParameters() throws {
        let out = try runReportd(["calculators"])
        #expect(out.status == 0)
        for name in [
            "count", "count_distinct", "sum", "mean", "min", "max", "median", "percentile", "stddev", "ratio", "share",
            "growth",
        ] {
            #expect(out.stdout.contains("\n\(name) — ") || out.stdout.hasPrefix("\(name) — "), "\(name)")
        }
        #expect(out.stdout.contains("p: number 0–100, required"))
        #expect(out.stdout.contains("[CalcGrowth]"))
    }

    @Test func schemaIsJSONSchemaListingEveryCalculator() throws {
        let out = try runReportd(["schema"])
        #expect(out.status == 0)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(
            Set(properties.keys).isSuperset(of: [
                "name", "dataset", "schedule", "metrics", "filter", "group_by", "sort", "formats",
            ]))
        #expect(out.stdout.contains("\"count_distinct\""))
    }

    @Test func listShowsEveryReport() throws {
        let out = try runReportd(["list", "--config", packageRoot.appendingPathComponent("config/reportd.yaml").path])
        #expect(out.status == 0)
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == 9)  // the header and eight reports
        #expect(lines.contains { $0.hasPrefix("funding-by-program ") && $0.contains("Asia/Ho_Chi_Minh") })
        #expect(lines.first?.contains("NEXT RUN") == true && lines.first?.contains("OUTCOME") == true)
        // Every report shows its next slot as local time with the +07:00 offset.
        for line in lines.dropFirst() {
            #expect(line.range(of: #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00"#, options: .regularExpression) != nil, "\(line)")
        }
    }
}

/// The JSON Schema of `reportd schema`, checked by an independent validator (Python's jsonschema).
@Suite(.blocking) struct JSONSchemaTests {
    @Test func sampleReportsValidateAndBrokenOnesDoNot() throws {
        let folder = try temporaryFolder("schema")
        // With the sample config, the schema also knows its plugins' calculators (hhi).
        let out = try runReportd(["schema", "--config", packageRoot.appendingPathComponent("config/reportd.yaml").path])
        #expect(out.status == 0)
        let schemaFile = folder.appendingPathComponent("report.schema.json")
        try out.stdout.write(to: schemaFile, atomically: true, encoding: .utf8)
        let reports = try FileManager.default.contentsOfDirectory(
            atPath: packageRoot.appendingPathComponent("config/reports.d").path
        )
        .filter { $0.hasSuffix(".yaml") }.map { packageRoot.appendingPathComponent("config/reports.d/\($0)").path }
        let samples = try FileManager.default.contentsOfDirectory(
            atPath: packageRoot.appendingPathComponent("Plugins").path
        )
        .map { packageRoot.appendingPathComponent("Plugins/\($0)/sample.yaml").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        let broken = [
            "name: ../x\ndataset: p\nschedule: '@daily'\nmetrics: [{name: a, calc: count}]\n",
            "name: a\ndataset: p\nschedule: '@daily'\nmetrics: [{name: a, calc: percentile, column: x, p: 150}]\n",
            "name: a\ndataset: p\nschedule: '@daily'\ncolour: red\nmetrics: [{name: a, calc: count}]\n",
            "name: a\ndataset: p\nschedule: '@daily'\nmetrics: [{name: a, calc: sum}]\n",
            "name: a\ndataset: p\nschedule: '@daily'\nmetrics: [{name: a, calc: median, column: x, p: 5}]\n",
        ]
        var brokenPaths: [String] = []
        for (i, text) in broken.enumerated() {
            let path = folder.appendingPathComponent("broken\(i).yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            brokenPaths.append(path)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "schema_check.py"
        ).path
        process.arguments = ["python3", script, schemaFile.path] + reports + samples + ["--"] + brokenPaths
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: readToEnd(pipe.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("\(reports.count + samples.count) valid, 5 invalid files checked"), "\(output)")
    }
}
