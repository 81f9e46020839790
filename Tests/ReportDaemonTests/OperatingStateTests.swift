import Foundation
import Logging
import ReportCore
@testable import ReportConfig
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.blocking) struct MetricsFileTests {
    @Test func metricsFollowTheTextFormat() throws {
        var a = ReportState()
        a.runsTotal = 3
        a.failuresTotal = 1
        let finished = Date(timeIntervalSince1970: 1_795_000_000)
        a.lastRun = .init(
            slot: finished, trigger: .schedule, outcome: .success, finishedAt: finished, error: nil,
            failuresInARow: 0, duration: 1.5, rowsUsed: 30, rowsRejected: 2)
        a.lastSuccess = a.lastRun
        let text = MetricsFile.render([("a", a), ("we\"ird\\name", ReportState())], now: finished)
        #expect(text.contains("reportd_report_runs_total{report=\"a\"} 3\n"))
        #expect(text.contains("reportd_report_failures_total{report=\"a\"} 1\n"))
        #expect(text.contains("reportd_report_last_success_timestamp_seconds{report=\"a\"} 1795000000\n"))
        #expect(text.contains("reportd_report_last_duration_seconds{report=\"a\"} 1.5\n"))
        #expect(text.contains("reportd_report_rows_used{report=\"a\"} 30\n"))
        #expect(text.contains("reportd_report_rows_rejected{report=\"a\"} 2\n"))
        #expect(text.contains("reportd_report_runs_total{report=\"we\\\"ird\\\\name\"} 0\n"))
        // A report that never ran has no last-success sample (rather than a misleading 0).
        #expect(!text.contains("reportd_report_last_success_timestamp_seconds{report=\"we"))
        #expect(text.contains("# TYPE reportd_report_runs_total counter\n"))
        #expect(text.hasSuffix("\n"))
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }
}

@Suite(.blocking) struct DaemonPresenceTests {
    @Test func aClaimedStateFolderShowsARunningDaemonAndRefusesAnother() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("presence-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        #expect(!DaemonPresence.probe(stateDirectory: state).running)
        do {
            let presence = try DaemonPresence.claim(stateDirectory: state, config: "/etc/reportd/reportd.yaml")
            presence.update(status: "3 reports loaded, 1 running", running: ["a": "2026-11-29T06:00:00+07:00"])
            let probe = DaemonPresence.probe(stateDirectory: state)
            #expect(probe.running && probe.info?.pid == Int(getpid()))
            #expect(probe.info?.status == "3 reports loaded, 1 running")
            #expect(probe.info?.running == ["a": "2026-11-29T06:00:00+07:00"])
            #expect(!probe.isStale())
            #expect(probe.isStale(now: Date().addingTimeInterval(4 * DaemonPresence.heartbeatInterval)))
            #expect(throws: PresenceError.self) {
                _ = try DaemonPresence.claim(stateDirectory: state, config: "other.yaml")
            }
            var info = stat()
            #expect(stat(state + "/reportd.pid", &info) == 0 && info.st_mode & 0o7777 == 0o600)
        }
        // Released with the object (as with the process): not running, the last pid still told.
        let after = DaemonPresence.probe(stateDirectory: state)
        #expect(!after.running && after.info?.pid == Int(getpid()))
    }
}

@Suite(.blocking) struct StatusReportTests {
    static func report(_ name: String, schedule: String = "0 6 * * *", timeout: Int? = nil) throws -> LoadedReport {
        var d = ReportDefinition(
            name: name, title: name, dataset: "things", schedule: try Schedule.parse(schedule),
            timezone: "Asia/Ho_Chi_Minh", metrics: [])
        d.timeout = timeout
        return LoadedReport(definition: d, file: "\(name).yaml")
    }

    @Test func failuresAndOverdueSlotsMakeTheStatusNotOK() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let store = StateStore(directory: state)
        // 2026-11-10 06:00 +07:00 = 2026-11-09T23:00Z
        let slot = Date(timeIntervalSince1970: 1_794_265_200)
        _ = try store.record("ok", slot: slot, trigger: .schedule, error: nil, at: slot.addingTimeInterval(2))
        _ = try store.record("bad", slot: slot, trigger: .schedule, error: "boom", at: slot.addingTimeInterval(2))
        _ = try store.record("bad", slot: slot, trigger: .retry, error: "boom again", at: slot.addingTimeInterval(40))
        let reports = try [Self.report("ok"), Self.report("bad"), Self.report("new")]

        // Five minutes after the next slot: not yet overdue; only the failure counts.
        let soon = StatusReport.make(
            reports: reports, stateDirectory: state, now: slot.addingTimeInterval(86_400 + 300))
        #expect(!soon.ok)
        #expect(soon.reports.map(\.overdueSince) == [nil, nil, nil])
        let bad = soon.reports[1]
        #expect(bad.failuresInARow == 2 && bad.lastRun?.error == "boom again" && bad.runsTotal == 2)
        #expect(soon.reports[2].lastRun == nil && soon.reports[2].runsTotal == 0)

        // An hour after the next slot with no run: overdue.
        let late = StatusReport.make(reports: [reports[0]], stateDirectory: state, now: slot.addingTimeInterval(90_000))
        #expect(!late.ok)
        #expect(late.reports[0].overdueSince == "2026-11-11T06:00:00+07:00")
        // …unless the daemon is running it right now (a long run is not a missed one).
        do {
            let presence = try DaemonPresence.claim(stateDirectory: state, config: "reportd.yaml")
            presence.update(status: "1 running", running: ["ok": "2026-11-11T06:00:00+07:00"])
            let running = StatusReport.make(
                reports: [reports[0]], stateDirectory: state, now: slot.addingTimeInterval(90_000))
            #expect(running.reports[0].overdueSince == nil)
            #expect(running.reports[0].runningSlot == "2026-11-11T06:00:00+07:00")
            #expect(running.ok && running.daemon.running)
        }
        let fine = StatusReport.make(reports: [reports[0]], stateDirectory: state, now: slot.addingTimeInterval(3_600))
        #expect(fine.ok && fine.reports[0].nextSlot == "2026-11-11T06:00:00+07:00")
        #expect(!fine.daemon.running)
    }
}

@Suite(.blocking) struct JournalFieldTests {
    @Test func fieldNamesFollowTheJournalsRules() {
        #expect(JournalLogHandler.fieldName("report.name") == "REPORT")
        #expect(JournalLogHandler.fieldName("report.slot") == "SLOT")
        #expect(JournalLogHandler.fieldName("run.outcome") == "OUTCOME")
        #expect(JournalLogHandler.fieldName("duration.ms") == "DURATION_MS")
        #expect(JournalLogHandler.fieldName("_secret") == nil)
        #expect(JournalLogHandler.fieldName("1st") == nil)
        #expect(JournalLogHandler.fieldName("message") == nil)
        #expect(JournalLogHandler.fieldName(String(repeating: "x", count: 65)) == nil)
    }

    @Test func valuesWithLineBreaksUseTheBinaryForm() {
        let bytes = JournalLogHandler.datagram([("A", "one"), ("B", "two\nlines")])
        var expected = Array("A=one\nB\n".utf8)
        expected += [9, 0, 0, 0, 0, 0, 0, 0]
        expected += Array("two\nlines\n".utf8)
        #expect(bytes == expected)
    }
}
