import Foundation
import Testing
import TestSupport

/// `next`, `list` and `run --slot` through the real binary.
@Suite(.blocking) struct ScheduleCommandsTests {
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
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,3\n", reports: ["a": Fixture.report("a", schedule: "0 6 * * *")])
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

    // MARK: Issue 12, point 1: a backfill names a past slot of the schedule

    @Test func backfillOfAFutureTimeOrANonSlotIsRefusedAndChangesNothing() throws {
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,3\n", reports: ["a": Fixture.report("a", schedule: "0 6 * * *")])
        let future = try runReportd(["run", "a", "--config", f.config, "--slot", "2099-01-01T06:00"])
        #expect(future.status == 2, "\(future.stderr)")
        #expect(future.stderr.contains("is in the future"), "\(future.stderr)")
        #expect(future.stderr.contains("the latest past slot is"), "\(future.stderr)")
        let off = try runReportd(["run", "a", "--config", f.config, "--slot", "2026-11-23T07:00"])
        #expect(off.status == 2)
        #expect(
            off.stderr.contains(
                "is not a slot of '0 6 * * *' in Asia/Ho_Chi_Minh; the nearest slots are 2026-11-23T06:00:00+07:00 before and 2026-11-24T06:00:00+07:00 after"
            ), "\(off.stderr)")
        let odd = try runReportd(["run", "a", "--config", f.config, "--slot", "2026-11-23T06:00:17"])
        #expect(odd.status == 2 && odd.stderr.contains("is not a slot"), "\(odd.stderr)")
        // Nothing ran: no outputs, no state, no history.
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a").path))
        let state = f.folder.appendingPathComponent("state")
        #expect(filesIn(state).filter { $0.hasPrefix("a") || $0.hasSuffix(".jsonl") }.isEmpty, "\(filesIn(state))")
        let list = try runReportd(["list", "--config", f.config])
        #expect(list.stdout.contains("never"), "\(list.stdout)")
    }

    @Test func aPlainDateMeansThatDaysOnlySlot() throws {
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,3\n",
            reports: [
                "a": Fixture.report("a", schedule: "0 6 * * *"), "b": Fixture.report("b", schedule: "0 6,18 * * *"),
            ])
        let one = try runReportd(["run", "a", "--config", f.config, "--slot", "2026-11-02"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(filesIn(f.output.appendingPathComponent("a")).contains("a_2026-11-02T060000.csv"))
        let two = try runReportd(["run", "b", "--config", f.config, "--slot", "2026-11-02"])
        #expect(two.status == 2)
        #expect(
            two.stderr.contains("has 2 slots of '0 6,18 * * *' in Asia/Ho_Chi_Minh: 2026-11-02T06:00:00+07:00, 2026-11-02T18:00:00+07:00"),
            "\(two.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("b").path))
    }

    // MARK: Issue 24, point 2: the repeated hour

    @Test func aSecondPassSlotCarriesItsOffsetAndLatestIsTheNewest() throws {
        // Europe/Berlin, 25 October 2026: 03:00 CEST falls back to 02:00 CET; */30 runs on both passes.
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,3\n",
            reports: ["b": Fixture.report("b", schedule: "*/30 * * * *", extra: "timezone: Europe/Berlin")])
        let ambiguous = try runReportd(["run", "b", "--config", f.config, "--slot", "2026-10-25T02:30"])
        #expect(ambiguous.status == 2)
        #expect(
            ambiguous.stderr.contains(
                "happens twice in Europe/Berlin (the clocks go back): 2026-10-25T02:30:00+02:00 (2026-10-25T00:30:00Z) and 2026-10-25T02:30:00+01:00 (2026-10-25T01:30:00Z)"
            ), "\(ambiguous.stderr)")
        let folder = f.output.appendingPathComponent("b")
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        // The second pass's 02:00 (01:00 UTC), then the first pass's 02:30 (00:30 UTC), which is older
        // although its name sorts after.
        for slot in ["2026-10-25T02:00+01:00", "2026-10-25T02:30+02:00", "2026-10-25T02:00+02:00"] {
            let out = try runReportd(["run", "b", "--config", f.config, "--slot", slot])
            #expect(out.status == 0, "\(slot): \(out.stderr)")
        }
        let names = filesIn(folder).filter { $0.hasSuffix(".json") && $0.hasPrefix("b_") }
        #expect(
            names == ["b_2026-10-25T020000+0100.json", "b_2026-10-25T020000.json", "b_2026-10-25T023000.json"],
            "\(names)")
        let latest = try readJSON(folder.appendingPathComponent("latest.json"))
        #expect(latest["slot"] as? String == "2026-10-25T02:00:00+01:00")
        let first = try readJSON(folder.appendingPathComponent("b_2026-10-25T020000.json"))
        #expect(first["slot"] as? String == "2026-10-25T02:00:00+02:00")
        // The manifest lists the three runs newest first, by real time.
        let manifest = try readJSON(folder.appendingPathComponent("manifest.json"))
        let stamps = (manifest["runs"] as? [[String: Any]])?.compactMap { $0["stamp"] as? String }
        #expect(stamps == ["2026-10-25T020000+0100", "2026-10-25T023000", "2026-10-25T020000"])
        #expect(manifest["latest"] as? String == "2026-10-25T020000+0100")
    }

    // MARK: Issue 24, point 3: validate

    @Test func validateNamesANeverFiringFieldAndWarnsOnLongIntervalsInDSTZones() throws {
        let f = try Fixture(
            csv: "district,year,amount\n",
            reports: [
                "never": Fixture.report("never", schedule: "0 0 30 2 *"),
                "drift": Fixture.report("drift", schedule: "every 2h", extra: "timezone: Europe/Berlin"),
                "month": Fixture.report("month", schedule: "0 18 L * mon-fri"),
            ])
        let out = try runReportd(["validate", "--config", f.config])
        #expect(out.status == 1)
        #expect(
            out.stderr.contains(
                "reports.d/never.yaml:4:16: error: invalid schedule '0 0 30 2 *': day of month field '30': no month of the month field '2' has that day"
            ), "\(out.stderr)")
        #expect(out.stderr.contains("reports.d/drift.yaml:4:11: warning: 'every 2h'"), "\(out.stderr)")
        #expect(out.stderr.contains("0 */2 * * *"))
        #expect(out.stderr.contains("reports.d/month.yaml:4:11: warning:"), "\(out.stderr)")
        #expect(out.stderr.contains("write LW in day of month"))
        // Warnings alone leave the config valid.
        try FileManager.default.removeItem(at: f.folder.appendingPathComponent("reports.d/never.yaml"))
        let warned = try runReportd(["validate", "--config", f.config])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("warning:"))
    }

    @Test func nextFindsARareDayYearsAhead() throws {
        let f = try Fixture(
            csv: "district,year,amount\n", reports: ["leap": Fixture.report("leap", schedule: "0 0 29 2 */7")])
        let out = try runReportd(["next", "leap", "--config", f.config, "--count", "2", "--from", "2027-01-01T00:00:00Z"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("2032-02-29T00:00:00+07:00"), "\(out.stdout)")
        #expect(out.stdout.contains("\n2060-02-29T00:00:00+07:00"), "\(out.stdout)")
    }
}
