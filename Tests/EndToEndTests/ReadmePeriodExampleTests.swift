import Foundation
import Testing
import TestSupport

/// README's "Reports by period" shows a monthly report and the text it publishes: the report,
/// run as the README says on the sample config, must publish exactly that text, so that the
/// example stays true when periods, labels or the text writer change.
@Suite(.blocking) struct ReadmePeriodExampleTests {
    /// The fenced blocks of the README section headed `heading`, in order, without their fences.
    static func blocks(under heading: String) throws -> [String] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "\n" + heading + "\n"))
        let rest = readme[start.upperBound...]
        let section = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        var blocks: [String] = []
        var current: [Substring]?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let body = current {
                    blocks.append(body.joined(separator: "\n") + "\n")
                    current = nil
                } else {
                    current = []
                }
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    @Test func theMonthlyExamplePublishesTheTextTheReadmeShows() throws {
        let blocks = try Self.blocks(under: "## Reports by period")
        // The report's YAML, then the text of its run.
        let yaml = try #require(blocks.first { $0.hasPrefix("# reports.d/support-by-month.yaml") })
        let shown = try #require(blocks.first { $0.hasPrefix("Kinh phí khuyến công Tháng 4/2025") })
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        try yaml.write(
            to: folder.appendingPathComponent("config/reports.d/support-by-month.yaml"), atomically: true,
            encoding: .utf8)
        let config = folder.appendingPathComponent("config/reportd.yaml").path
        let run = try runReportd(["run", "--config", config, "--period", "2025-04", "support-by-month"])
        #expect(run.status == 0, "\(run.stderr)")
        let published = folder.appendingPathComponent("var/reports/support-by-month/support-by-month_2025-04-16T070000.txt")
        let text = try String(contentsOf: published, encoding: .utf8)
        #expect(text == shown, "README.md shows\n\(shown)\nreportd published\n\(text)")
    }

    @Test func theSamplesQuarterlyReportPublishesTheTextTheReadmeShows() throws {
        let blocks = try Self.blocks(under: "## Reports by period")
        let shown = try #require(blocks.first { $0.hasPrefix("Kinh phí hỗ trợ khuyến công theo huyện, Quý III/2025") })
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config/reportd.yaml").path
        let run = try runReportd(["run", "--config", config, "--period", "2025-Q3", "support-by-district-quarterly"])
        #expect(run.status == 0, "\(run.stderr)")
        let published = folder.appendingPathComponent(
            "var/reports/support-by-district-quarterly/support-by-district-quarterly_2025-10-05T070000.txt")
        let text = try String(contentsOf: published, encoding: .utf8)
        #expect(text == shown, "README.md shows\n\(shown)\nreportd published\n\(text)")
    }
}
