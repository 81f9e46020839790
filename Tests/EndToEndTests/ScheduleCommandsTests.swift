import Foundation
import Testing

/// `next`, `list` and `run --slot` through the real binary.
@Suite struct ScheduleCommandsTests {
    @Test func nextPrintsLocalTimesWithOffsets() throws {
        let report = Fixture.report("weekly").replacingOccurrences(of: "@daily", with: "0 6 * * 1")
        let f = try Fixture(csv: "district,year,amount\n", reports: ["weekly": report])
        let out = try runReportd([
            "next", "weekly", "--config", f.config, "--count", "3", "--from", "2026-11-29T00:00:00+07:00",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "2026-11-30T06:00:00+07:00  (2026-11-29T23:00:00Z)",
                "2026-12-07T06:00:00+07:00  (2026-12-06T23:00:00Z)",
                "2026-12-14T06:00:00+07:00  (2026-12-13T23:00:00Z)",
            ])
    }

    @Test func nextFollowsDSTInTheReportsZone() throws {
        let report = Fixture.report("berlin", extra: "timezone: Europe/Berlin").replacingOccurrences(
            of: "@daily", with: "30 2 * * *")
        let f = try Fixture(csv: "district,year,amount\n", reports: ["berlin": report])
        let out = try runReportd(["next", "berlin", "--config", f.config, "--count", "2", "--from", "2026-03-28T12:00"])
        #expect(out.status == 0, "\(out.stderr)")
        // 02:30 does not exist on 29 March: the run is at the transition, 03:00 CEST.
        #expect(out.stdout.hasPrefix("2026-03-29T03:00:00+02:00"))
        #expect(out.stdout.contains("\n2026-03-30T02:30:00+02:00"))
    }

    @Test func nextRejectsAnUnknownReport() throws {
        let f = try Fixture(csv: "district,year,amount\n", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["next", "b", "--config", f.config])
        #expect(out.status == 2)
        #expect(out.stderr.contains("no valid report named 'b'"))
    }

    @Test func backfillWritesTheSlotsFilesAndListShowsIt() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,3\n", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "a", "--config", f.config, "--slot", "2026-11-23T06:00"])
        #expect(out.status == 0, "\(out.stderr)")
        let folder = f.output.appendingPathComponent("a")
        #expect(filesIn(folder).contains("a_2026-11-23T060000.csv"))
        let json = try readJSON(folder.appendingPathComponent("a_2026-11-23T060000.json"))
        #expect(json["slot"] as? String == "2026-11-23T06:00:00+07:00")
        // A second backfill of the same slot replaces its files instead of adding a set.
        let again = try runReportd(["run", "a", "--config", f.config, "--slot", "2026-11-23T06:00:00+07:00"])
        #expect(again.status == 0)
        #expect(filesIn(folder).filter { $0.hasPrefix("a_") }.count == 3)
        let list = try runReportd(["list", "--config", f.config])
        #expect(list.status == 0)
        let line = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("a ") })
        #expect(line.contains("2026-11-23T06:00:00+07:00 (backfill)"))
        #expect(line.hasSuffix("success"))
    }

    @Test func badSlotIsAUsageError() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,3\n", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "a", "--config", f.config, "--slot", "last tuesday"])
        #expect(out.status != 0 && out.status != 1)
        #expect(out.stderr.contains("is not a time like 2026-11-23T06:00"))
    }
}
