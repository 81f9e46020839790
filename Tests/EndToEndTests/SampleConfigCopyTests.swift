import Foundation
import Testing
import TestSupport

/// The sample config works wherever it is copied (issue 12, point 7): its plugin is a regular file,
/// not a relative link that `cp -r config elsewhere` leaves dangling or drops.
@Suite(.blocking) struct SampleConfigCopyTests {
    @Test func samplePluginIsARegularFileIdenticalToTheExample() throws {
        let plugin = packageRoot.appendingPathComponent("config/plugins.d/hhi.py")
        let attributes = try FileManager.default.attributesOfItem(atPath: plugin.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular, "config/plugins.d/hhi.py is not a regular file")
        #expect(FileManager.default.isExecutableFile(atPath: plugin.path))
        // One source of truth: the example is the documented original; the sample's copy must not drift.
        let example = packageRoot.appendingPathComponent("examples/plugins/hhi-python/hhi.py")
        #expect(
            try Data(contentsOf: plugin) == Data(contentsOf: example),
            "config/plugins.d/hhi.py differs from examples/plugins/hhi-python/hhi.py: change both")
    }

    /// `cp -r config elsewhere` (the config folder alone, nothing beside it): validate passes, the
    /// plugin's report runs, and its page charts the index.
    @Test func configCopiedAloneStillValidatesAndRunsThePlugin() throws {
        let folder = try temporaryFolder("config-copy")
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("elsewhere")
        let cp = Process()
        cp.executableURL = URL(fileURLWithPath: "/bin/cp")
        cp.arguments = ["-r", packageRoot.appendingPathComponent("config").path, copy.path]
        let copied = try runCollecting(cp)
        try #require(copied.status == 0, "\(copied.stderr)")
        let config = copy.appendingPathComponent("reportd.yaml").path

        let valid = try runReportd(["validate", "--config", config])
        #expect(valid.status == 0, "\(valid.stdout)\n\(valid.stderr)")
        #expect(valid.stderr.isEmpty, "validate warned: \(valid.stderr)")

        let run = try runReportd(["run", "--config", config, "concentration-by-program"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        // The sample's output root is ../var/reports, beside the copied folder.
        let reports = folder.appendingPathComponent("var/reports/concentration-by-program")
        let json = try readJSON(reports.appendingPathComponent("latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 2 && rows.allSatisfy { $0["hhi"] is Double }, "\(rows)")
        let page = try String(contentsOf: reports.appendingPathComponent("latest.html"), encoding: .utf8)
        #expect(
            page.contains("<figcaption>Chỉ số tập trung HHI theo Chương trình</figcaption>"),
            "the page does not chart the index")
    }

    /// No tracked file is matched by `.gitignore` (issue 12 saw `config/reportd.yaml` listed there:
    /// an edit to the sample config would then be easy to lose). Needs a git checkout and git.
    @Test func noTrackedFileIsIgnored() throws {
        guard FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent(".git").path),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/git")
        else {
            print("noTrackedFileIsIgnored: not a git checkout or no git; skipped")
            return
        }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", packageRoot.path, "ls-files", "--cached", "--ignored", "--exclude-standard"]
        let out = try runCollecting(git)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.isEmpty, "tracked files that .gitignore lists:\n\(out.stdout)")
    }
}
