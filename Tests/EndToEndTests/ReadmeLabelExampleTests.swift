import Foundation
import Testing
import TestSupport

/// README's "Labels and language" shows a labelled vi-VN report and what it publishes: run on the
/// sample config at the slot the README names, it must publish exactly that text and that CSV.
@Suite(.blocking) struct ReadmeLabelExampleTests {
    @Test func theLabelledReportPublishesWhatTheReadmeShows() throws {
        let blocks = try ReadmePeriodExampleTests.blocks(under: "## Labels and language")
        let yaml = try #require(blocks.first { $0.hasPrefix("# reports.d/support-by-program-vi.yaml") })
        let shownText = try #require(blocks.first { $0.hasPrefix("Kinh phí khuyến công theo chương trình và loại hình") })
        let shownCSV = try #require(blocks.first { $0.hasPrefix("Chương trình;") })
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        try yaml.write(
            to: folder.appendingPathComponent("config/reports.d/support-by-program-vi.yaml"), atomically: true,
            encoding: .utf8)
        let config = folder.appendingPathComponent("config/reportd.yaml").path
        let run = try runReportd(["run", "--config", config, "--slot", "2026-11-30T06:00", "support-by-program-vi"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = folder.appendingPathComponent("var/reports/support-by-program-vi")
        let text = try String(contentsOf: out.appendingPathComponent("latest.txt"), encoding: .utf8)
        #expect(text == shownText, "README.md shows\n\(shownText)\nreportd published\n\(text)")
        // The CSV: the daemon's BOM and CRLF, then what the README shows.
        let csv = try [UInt8](Data(contentsOf: out.appendingPathComponent("latest.csv")))
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let body = String(decoding: csv.dropFirst(3), as: UTF8.self)
        #expect(body.hasSuffix("\r\n") && !body.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(body.replacingOccurrences(of: "\r\n", with: "\n") == shownCSV, "\(body)")
        // The JSON keeps the codes and carries the labels the README quotes.
        let json = try readJSON(out.appendingPathComponent("latest.json"))
        let columns = try #require(json["columns"] as? [[String: Any]])
        #expect(columns[0]["label"] as? String == "Chương trình")
        #expect(
            columns[0]["values"] as? [String: String]
                == ["national": "Khuyến công quốc gia", "local": "Khuyến công địa phương"])
        #expect((json["rows"] as? [[String: Any]])?.first?["program"] as? String == "local")
    }
}
