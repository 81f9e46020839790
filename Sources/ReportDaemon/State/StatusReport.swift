import Foundation
import ReportCore
import ReportIO

/// What `reportd status` shows: whether the daemon runs, and per report its last run, next slot,
/// failures in a row, and whether a slot is overdue. Built from the state folder alone (the
/// daemon's pid file, each report's state and history), so it works whether or not the daemon runs.
public struct StatusReport: Codable, Sendable {
    public var daemon: Daemon
    public var reports: [Report]
    /// False when any report's last run failed, a slot is overdue, or the daemon is running but
    /// its heartbeat stopped: what `status` exits 1 for.
    public var ok: Bool

    public struct Daemon: Codable, Sendable {
        public var running: Bool
        public var pid: Int?
        public var startedAt: String?
        public var version: String?
        public var status: String?
        /// Seconds since the daemon's last heartbeat.
        public var heartbeatAgeSeconds: Int?
        /// Running, but the heartbeat is older than three intervals: hung or stopped (SIGSTOP).
        public var unresponsive: Bool

        enum CodingKeys: String, CodingKey {
            case running, pid, version, status, unresponsive
            case startedAt = "started_at"
            case heartbeatAgeSeconds = "heartbeat_age_seconds"
        }
    }

    public struct Report: Codable, Sendable {
        public var name: String
        public var title: String
        public var schedule: String
        public var timezone: String
        public var nextSlot: String?
        public var lastRun: LastRun?
        public var lastSuccess: String?
        public var failuresInARow: Int
        public var runsTotal: Int
        public var failuresTotal: Int
        /// The first slot after the last completed one, when it is more than its grace in the past
        /// and has not completed: a run that should have happened did not (yet).
        public var overdueSince: String?
        /// The slot the daemon is running for this report now, if it is.
        public var runningSlot: String?
        /// The newest history record, in full (`status NAME`).
        public var lastRecord: RunRecord?

        enum CodingKeys: String, CodingKey {
            case name, title, schedule, timezone
            case nextSlot = "next_slot"
            case lastRun = "last_run"
            case lastSuccess = "last_success"
            case failuresInARow = "failures_in_a_row"
            case runsTotal = "runs_total"
            case failuresTotal = "failures_total"
            case overdueSince = "overdue_since"
            case runningSlot = "running_slot"
            case lastRecord = "last_record"
        }
    }

    public struct LastRun: Codable, Sendable {
        public var slot: String
        public var trigger: String
        public var outcome: String
        public var finishedAt: String
        public var durationSeconds: Double?
        public var rowsUsed: Int?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case slot, trigger, outcome, error
            case finishedAt = "finished_at"
            case durationSeconds = "duration_seconds"
            case rowsUsed = "rows_used"
        }
    }

    /// A slot is overdue once it is this far past and still not completed (or the report's timeout,
    /// when longer, plus a minute).
    public static let overdueGrace: TimeInterval = 600

    /// Builds the status of `reports` (all configured reports, or the one asked for).
    public static func make(
        reports: [LoadedReport], stateDirectory: String, now: Date = Date(), withLastRecord: Bool = false
    ) -> StatusReport {
        let probe = DaemonPresence.probe(stateDirectory: stateDirectory)
        let store = StateStore(directory: stateDirectory)
        let history = RunHistory(stateDirectory: stateDirectory)
        let utc = TimeZone(identifier: "UTC")!
        let daemon = Daemon(
            running: probe.running, pid: probe.info?.pid,
            startedAt: probe.info.map { SlotTime(date: $0.startedAt, timeZone: utc).iso8601 },
            version: probe.info?.version, status: probe.running ? probe.info?.status : nil,
            heartbeatAgeSeconds: probe.running ? probe.heartbeat.map { max(0, Int(now.timeIntervalSince($0))) } : nil,
            unresponsive: probe.isStale(now: now))
        var ok = !daemon.unresponsive
        var rows: [Report] = []
        for loaded in reports {
            let d = loaded.definition
            let zone = TimeZone(identifier: d.timezone) ?? utc
            func local(_ date: Date) -> String { SlotTime(date: date, timeZone: zone).iso8601 }
            let state = store.load(d.name)
            var report = Report(
                name: d.name, title: d.title, schedule: d.schedule.description, timezone: d.timezone,
                nextSlot: d.schedule.nextSlot(after: now, in: zone).map(local),
                lastRun: state.lastRun.map {
                    LastRun(
                        slot: local($0.slot), trigger: $0.trigger, outcome: $0.outcome, finishedAt: local($0.finishedAt),
                        durationSeconds: $0.duration.map { ($0 * 1000).rounded() / 1000 }, rowsUsed: $0.rowsUsed,
                        error: $0.error)
                },
                lastSuccess: state.lastSuccess.map { local($0.finishedAt) },
                failuresInARow: state.lastRun?.failuresInARow ?? 0, runsTotal: state.runsTotal,
                failuresTotal: state.failuresTotal)
            if probe.running { report.runningSlot = probe.info?.running?[d.name] }
            // A slot is not overdue while the daemon is running the report (a long run).
            if report.runningSlot == nil, let last = state.lastCompletedSlot,
                let due = d.schedule.nextSlot(after: last, in: zone)
            {
                let grace = max(overdueGrace, TimeInterval(d.timeout ?? 0) + 60)
                if due.addingTimeInterval(grace) < now { report.overdueSince = local(due) }
            }
            if withLastRecord { report.lastRecord = (try? history.records(d.name, limit: 1))?.last }
            if report.lastRun?.outcome == "failed" || report.overdueSince != nil { ok = false }
            rows.append(report)
        }
        return StatusReport(daemon: daemon, reports: rows, ok: ok)
    }
}
