import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A small config written into a temporary folder, run with the real binary; removed afterwards.
final class Fixture {
    let folder: URL
    var config: String { folder.appendingPathComponent("reportd.yaml").path }
    var output: URL { folder.appendingPathComponent("out") }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// - Parameter extraConfig: more top-level lines for `reportd.yaml` (`metrics_file: …`).
    init(
        csv: String, format: String = "csv", onBadRows: String = "fail", reports: [String: String],
        extraConfig: String = ""
    ) throws {
        folder = try temporaryFolder("fixture")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        try """
        timezone: Asia/Ho_Chi_Minh
        reports: reports.d
        state: state
        output: {root: out, keep: 5}
        datasets:
          things:
            format: \(format)
            path: data.\(format)
            schema: schema.yaml
            on_bad_rows: \(onBadRows)
        \(extraConfig)
        """.write(to: folder.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        try """
        columns:
          district: {type: string, required: true}
          year: {type: int, required: true}
          amount: {type: int}
        """.write(to: folder.appendingPathComponent("schema.yaml"), atomically: true, encoding: .utf8)
        try csv.write(to: folder.appendingPathComponent("data.\(format)"), atomically: true, encoding: .utf8)
        for (name, text) in reports {
            try text.write(
                to: folder.appendingPathComponent("reports.d/\(name).yaml"), atomically: true, encoding: .utf8)
        }
    }

    static func report(_ name: String, schedule: String = "@daily", extra: String = "") -> String {
        """
        name: \(name)
        title: "Tổng hợp theo huyện"
        dataset: things
        schedule: "\(schedule)"
        group_by: [district]
        metrics:
          - {name: rows, calc: count}
          - {name: amount, calc: sum, column: amount}
        \(extra)
        """
    }
}

@Suite(.blocking) struct FixtureRunTests {
    let goodCSV = "district,year,amount\n\"Sìn Hồ\",2024,100\nTam Đường,2024,250\n\"Sìn Hồ\",2025,\n"

    @Test func runWritesAllThreeFormats() throws {
        let f = try Fixture(csv: goodCSV, reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stderr)")
        let csv = try String(contentsOf: f.output.appendingPathComponent("a/latest.csv"), encoding: .utf8)
        #expect(csv == "district,rows,amount\nSìn Hồ,2,100\nTam Đường,1,250\n")
        let json = try readJSON(f.output.appendingPathComponent("a/latest.json"))
        #expect(json["report"] as? String == "a")
        #expect((json["generated_at"] as? String)?.hasSuffix("+07:00") == true)
        #expect(json["totals"] == nil)
    }

    @Test func badRowFailsTheRunNamingFileLineAndColumn() throws {
        let csv = "district,year,amount\nSìn Hồ,2024,100\nSìn Hồ,20x4,5\n"
        let f = try Fixture(csv: csv, reports: ["a": Fixture.report("a"), "b": Fixture.report("b")])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 1)
        #expect(out.stdout.contains("data.csv:3:8: error: column 'year': '20x4' is not an int"), "\(out.stdout)")
        // Nothing was published for a failed run.
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.json").path))
    }

    @Test func aDatasetThatGoesBadLeavesThePreviousOutputsUntouched() throws {
        let f = try Fixture(csv: goodCSV, reports: ["a": Fixture.report("a")])
        #expect(try runReportd(["run", "--config", f.config]).status == 0)
        let folder = f.output.appendingPathComponent("a")
        let before = try filesIn(folder).map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) }
        // Damage of three kinds, each a failed run that publishes nothing and names the place.
        let damaged: [(bytes: [UInt8], located: String)] = [
            (Array("district,year,amount\nSìn Hồ,2024,100\n\"Tam Đường,2024,1\n".utf8), "data.csv:3:1: error: unterminated quoted field"),
            (Array("district,year,amount\nSìn Hồ,2024,1".utf8) + [0, 0] + Array("\n".utf8), "data.csv:2:13: error: column 'amount'"),
            (Array("district,year,amount\nS".utf8) + [0xC3, 0x28] + Array(",2024,1\n".utf8), "data.csv:2:1: error: column 'district': is not valid UTF-8"),
        ]
        for (bytes, located) in damaged {
            try Data(bytes).write(to: f.folder.appendingPathComponent("data.csv"))
            let out = try runReportd(["run", "--config", f.config])
            #expect(out.status == 1)
            #expect(out.stdout.contains(located), "\(out.stdout)")
            let after = try filesIn(folder).map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) }
            #expect(after.map(\.0) == before.map(\.0))
            #expect(zip(after, before).allSatisfy { $0.1 == $1.1 }, "the previous run's files are untouched")
        }
    }

    @Test func rejectedRowsAreWrittenBesideTheOutputsAndCounted() throws {
        let csv =
            "district,year,amount\nSìn Hồ,2024,100\nSìn Hồ,20x4,5\n,2024,7\nTam Đường,2024,1,extra\nTam Đường,2025,9\n"
        let f = try Fixture(csv: csv, onBadRows: "reject", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("a/latest.json"))
        let dataset = try #require(json["dataset"] as? [String: Any])
        #expect(dataset["rows"] as? Int == 2)
        #expect(dataset["rows_rejected"] as? Int == 3)
        let rejectedName = try #require(filesIn(f.output.appendingPathComponent("a")).first { $0.contains("rejected") })
        #expect(rejectedName.hasSuffix(".rejected.csv"))
        let rejected = try String(contentsOf: f.output.appendingPathComponent("a/\(rejectedName)"), encoding: .utf8)
        let lines = rejected.split(separator: "\n")
        #expect(lines.first == "line,reason,district,year,amount")
        #expect(lines.count == 4)
        #expect(rejected.contains("3,column 'year': '20x4' is not an int,Sìn Hồ,20x4,5"))
        #expect(rejected.contains("4,column 'district' is required but empty"))
        #expect(rejected.contains("5,\"this row has 4 fields, the header has 3\""))
        let text = try String(contentsOf: f.output.appendingPathComponent("a/latest.txt"), encoding: .utf8)
        #expect(text.contains("2 rows, 2 used, 3 rejected"))
    }

    @Test func invalidReportIsReportedAndTheOthersStillRun() throws {
        let broken = Fixture.report("broken").replacingOccurrences(of: "column: amount", with: "column: amont")
        let f = try Fixture(csv: goodCSV, reports: ["good": Fixture.report("good"), "broken": broken])
        let validate = try runReportd(["validate", "--config", f.config])
        #expect(validate.status == 1)
        #expect(
            validate.stderr.contains("broken.yaml:8:39: error: metric 'amount': unknown column 'amont'"),
            "\(validate.stderr)")
        let run = try runReportd(["run", "--config", f.config])
        #expect(run.status == 1)
        #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("good/latest.csv").path))
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("broken").path))
    }

    @Test func brokenDaemonConfigIsExitStatusTwo() throws {
        let f = try Fixture(csv: goodCSV, reports: ["a": Fixture.report("a")])
        try "timezone: Mars/Olympus\noutput: {root: out}\ndatasets: {}\n".write(
            toFile: f.config, atomically: true, encoding: .utf8)
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 2)
        #expect(out.stderr.contains("reportd.yaml:1:11: error: unknown time zone 'Mars/Olympus'"), "\(out.stderr)")
    }

    @Test func jsonDatasetsRunLikeCSV() throws {
        let json =
            #"[{"district": "Sìn Hồ", "year": 2024, "amount": 9007199254740993}, {"district": "Sìn Hồ", "year": 2025, "amount": 2}]"#
        let f = try Fixture(csv: json, format: "json", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stderr)")
        let csv = try String(contentsOf: f.output.appendingPathComponent("a/latest.csv"), encoding: .utf8)
        // 2^53 + 3: exact, not rounded through a double.
        #expect(csv == "district,rows,amount\nSìn Hồ,2,9007199254740995\n")
    }

    @Test func sortLimitAndTotals() throws {
        let csv = "district,year,amount\nA,2024,5\nB,2024,50\nC,2024,20\nD,2024,\n"
        let extra = "sort: [{by: amount, order: desc}]\nlimit: 3\ntotals: true\nformats: [json, text]"
        let f = try Fixture(csv: csv, reports: ["a": Fixture.report("a", extra: extra)])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("a/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.map { $0["district"] as? String } == ["B", "C", "A"])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["rows"] as? Int == 4 && totals["amount"] as? Int == 75)
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path))
        let text = try String(contentsOf: f.output.appendingPathComponent("a/latest.txt"), encoding: .utf8)
        #expect(text.contains("Total"))
    }

    @Test func integerOverflowFailsTheReportInsteadOfWrapping() throws {
        let csv = "district,year,amount\nA,2024,9223372036854775807\nA,2024,1\n"
        let f = try Fixture(csv: csv, reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 1)
        #expect(out.stdout.contains("overflows 64-bit integers"), "\(out.stdout)")
    }

    @Test func missingPluginsFolderIsAValidateError() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,1\n", reports: ["a": Fixture.report("a")])
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try (config + "\nplugins: no-such-folder\n").write(toFile: f.config, atomically: true, encoding: .utf8)
        let out = try runReportd(["validate", "--config", f.config])
        #expect(out.status == 1)
        #expect(out.stderr.contains("no-such-folder: error: the plugins folder does not exist"), "\(out.stderr)")
    }

    /// Holds the report's lock as a running daemon would.
    func holdLock(_ f: Fixture, _ report: String) throws -> Int32 {
        let folder = f.folder.appendingPathComponent("state/locks")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fd = open(folder.appendingPathComponent("\(report).lock").path, O_RDWR | O_CREAT, 0o640)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX) == 0)
        _ = write(fd, "4242\n", 5)
        return fd
    }

    @Test func aManualRunRefusesWhileTheReportIsRunningElsewhere() throws {
        let f = try Fixture(csv: goodCSV, reports: ["a": Fixture.report("a"), "b": Fixture.report("b")])
        let fd = try holdLock(f, "a")
        defer { close(fd) }
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 1)
        #expect(
            out.stdout.contains("FAILED a: report 'a' is being run by another reportd process (pid 4242)"),
            "\(out.stdout)")
        // The other report is not held up.
        #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("b/latest.csv").path))
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a").path))
    }

    @Test func aManualRunWithWaitRunsWhenTheLockIsReleased() throws {
        let f = try Fixture(csv: goodCSV, reports: ["a": Fixture.report("a")])
        let fd = try holdLock(f, "a")
        let process = Process()
        process.executableURL = try reportdBinary()
        process.arguments = ["run", "--config", f.config, "--wait", "a"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(700_000)
        #expect(process.isRunning, "it waits for the lock")
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path))
        close(fd)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path))
    }
}
