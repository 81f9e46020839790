import Foundation
import Testing
import TestSupport

/// The real `reportd` writing the `html` format and the output root's `index.html`.
@Suite(.blocking) struct HTMLOutputTests {
    static let csv =
        "district,year,amount\n\"Sìn Hồ\",2024,100\nTam Đường,2024,250\n\"Sìn Hồ\",2025,\nMường Tè,2025,-40\n"

    @Test func runWritesPagesAndAnIndexLinkingThem() throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: [
                // The amount first: the chart's metric, negative for one district.
                // A Vietnamese page (`locale: vi-VN`); the default en-US page is English.
                "by-district": Fixture.report("by-district", extra: "formats: [csv, html]\ntotals: true\nlocale: vi-VN")
                    .replacingOccurrences(
                        of: "  - {name: rows, calc: count}\n  - {name: amount, calc: sum, column: amount}",
                        with: "  - {name: amount, calc: sum, column: amount}\n  - {name: rows, calc: count}"),
                "by-year": Fixture.report("by-year", extra: "formats: [html, json]").replacingOccurrences(
                    of: "group_by: [district]", with: "group_by: [year]"),
                "plain": Fixture.report("plain", extra: "formats: [json]"),
            ])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")

        let folder = f.output.appendingPathComponent("by-district")
        let files = filesIn(folder)
        let slot = try #require(files.first { $0.hasPrefix("by-district_") && $0.hasSuffix(".html") }, "\(files)")
        #expect(slot.range(of: #"^by-district_\d{4}-\d{2}-\d{2}T\d{6}\.html$"#, options: .regularExpression) != nil)
        #expect(
            files.filter { !$0.hasPrefix(".") }.sorted()
                == [
                    slot.replacingOccurrences(of: ".html", with: ".csv"), slot, "latest.csv", "latest.html",
                    "manifest.json",
                ].sorted())
        let latest = try Data(contentsOf: folder.appendingPathComponent("latest.html"))
        #expect(try Data(contentsOf: folder.appendingPathComponent(slot)) == latest)

        let page = String(decoding: latest, as: UTF8.self)
        #expect(page.hasPrefix("<!doctype html>\n<html lang=\"vi\">"))
        #expect(page.contains("<title>Tổng hợp theo huyện</title>"))
        #expect(page.contains("<th scope=\"row\">Tam Đường</th>"))
        #expect(page.contains("<th scope=\"row\">Mường Tè</th><td class=\"num neg\">-40</td><td class=\"num\">1</td>"))
        #expect(page.contains("Tổng cộng</th><td class=\"num\">310</td><td class=\"num\">4</td>"))
        #expect(page.contains("<rect class=\"bar\"") && page.contains("<rect class=\"bar neg\""))
        #expect(page.contains("Dữ liệu <b>things</b>: 4 dòng, 4 dùng, 0 bị loại; sha256 <code"))
        #expect(page.contains("+07:00)</time>"))
        #expect(!page.contains("<script") && !page.contains("http:") && !page.contains("https:"))
        let years = try String(
            contentsOf: f.output.appendingPathComponent("by-year/latest.html"), encoding: .utf8)
        #expect(years.contains("<path d=\"M") && !years.contains("<rect class=\"bar"), "a line chart over years")
        #expect(years.contains("<html lang=\"en\">") && years.contains("Dataset <b>things</b>"), "en-US: English")

        // The index: every report folder, linked relatively, with its title and last run.
        let index = try String(contentsOf: f.output.appendingPathComponent("index.html"), encoding: .utf8)
        for link in [
            "by-district/latest.html", "by-district/latest.csv", "by-year/latest.html", "by-year/latest.json",
            "plain/latest.json",
        ] {
            #expect(index.contains("<a href=\"\(link)\""), "\(link)")
        }
        #expect(index.contains("<a href=\"by-district/latest.html\">Tổng hợp theo huyện</a>"))
        #expect(index.contains("3 reports"), "the index speaks the daemon config's language (en-US by default)")
        #expect(!index.contains("<a href=\"/") && !index.contains("file:"))
        let json = try readJSON(f.output.appendingPathComponent("by-year/latest.json"))
        let slotTime = try #require(json["slot"] as? String)
        #expect(
            index.contains("<time datetime=\"\(slotTime)\">"), "the run time from latest.json: \(slotTime) in \(index)")
        #expect(filesIn(f.output).filter { $0.hasPrefix(".") }.isEmpty, "no temporary file left in the root")
    }

    @Test func noIndexUntilAReportWritesHTMLThenEveryPublishKeepsItCurrent() throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: [
                "a": Fixture.report("a", extra: "formats: [csv]"),
                "b": Fixture.report("b", extra: "formats: [html]"),
            ])
        let first = try runReportd(["run", "--config", f.config, "a"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(filesIn(f.output) == ["a"], "a CSV-only setup gets no index")
        let second = try runReportd(["run", "--config", f.config, "b"])
        #expect(second.status == 0, "\(second.stderr)")
        let index = f.output.appendingPathComponent("index.html")
        let text = try String(contentsOf: index, encoding: .utf8)
        #expect(text.contains("<a href=\"a/latest.csv\"") && text.contains("<a href=\"b/latest.html\""))
        // A later run of the CSV-only report rewrites the index too.
        try FileManager.default.removeItem(at: f.output.appendingPathComponent("b"))
        let third = try runReportd(["run", "--config", f.config, "a"])
        #expect(third.status == 0, "\(third.stderr)")
        let after = try String(contentsOf: index, encoding: .utf8)
        #expect(after.contains("<a href=\"a/latest.csv\"") && !after.contains("b/latest.html"))
    }

    @Test func concurrentRunsDoNotLoseEachOthersEntry() async throws {
        let names = (1...6).map { "r\($0)" }
        let f = try Fixture(
            csv: Self.csv,
            reports: Dictionary(uniqueKeysWithValues: names.map { ($0, Fixture.report($0, extra: "formats: [html]")) }))
        let config = f.config
        // One process per report, all at once: each rewrites the index after its own publish.
        let outputs = try await withThrowingTaskGroup(of: ProcessOutput.self) { group in
            for name in names {
                group.addTask { try await offThePool { try runReportd(["run", "--config", config, name]) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for out in outputs { #expect(out.status == 0, "\(out.stderr)") }
        let index = try String(contentsOf: f.output.appendingPathComponent("index.html"), encoding: .utf8)
        for name in names { #expect(index.contains("<a href=\"\(name)/latest.html\""), "\(name) is missing") }
        #expect(index.contains("\(names.count) reports"))
    }

    @Test func validateSuggestsHTMLAndTheSchemaListsIt() throws {
        let f = try Fixture(csv: Self.csv, reports: ["a": Fixture.report("a", extra: "formats: [csv, htm]")])
        let out = try runReportd(["validate", "--config", f.config])
        #expect(out.status == 1)
        #expect(
            out.stderr.contains("unknown format 'htm' (use csv, json, text, html, xlsx); did you mean 'html'?"),
            "\(out.stderr)")
        let schema = try runReportd(["schema"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(schema.stdout.utf8)) as? [String: Any])
        let properties = try #require(object["properties"] as? [String: Any])
        let formats = try #require(properties["formats"] as? [String: Any])
        let items = try #require(formats["items"] as? [String: Any])
        #expect(items["enum"] as? [String] == ["csv", "json", "text", "html", "xlsx"])
    }

    @Test func retentionRemovesOldPagesWithTheirRun() throws {
        let f = try Fixture(csv: Self.csv, reports: ["a": Fixture.report("a", extra: "formats: [csv, html]")])
        let folder = f.output.appendingPathComponent("a")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Five older runs (keep: 5), each with a page.
        for day in 1...5 {
            for ext in ["csv", "html"] {
                try "old".write(
                    to: folder.appendingPathComponent("a_2020-01-0\(day)T060000.\(ext)"), atomically: true,
                    encoding: .utf8)
            }
        }
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stderr)")
        let names = filesIn(folder)
        #expect(!names.contains("a_2020-01-01T060000.html") && !names.contains("a_2020-01-01T060000.csv"), "\(names)")
        #expect(names.contains("a_2020-01-02T060000.html"))
        #expect(names.filter { $0.hasSuffix(".html") }.count == 6, "five runs kept, and latest.html: \(names)")
    }
}
