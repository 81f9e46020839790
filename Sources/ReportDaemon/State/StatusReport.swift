public import Foundation
import ReportCore
public import ReportConfig
public import ReportState

/// What `reportd status` shows: whether the daemon runs, every report file and whether its report
/// runs (loaded, on its previous definition, refused, not loaded), and per report its last run,
/// next slot, failures in a row, and whether a slot is overdue. Built from the state folder (the
/// daemon's pid file, its record of the report files it loaded, each report's state and history),
/// so it works whether or not the daemon runs.
public struct StatusReport: Codable, Sendable {
    public var daemon: Daemon
    public var reports: [Report]
    /// False when any report file is not loaded as it says (previous definition kept, refused, not
    /// loaded, invalid), any report's last run failed, a slot is overdue, or the daemon is running
    /// but its heartbeat stopped: what `status` exits 1 for.
    public var ok: Bool
    /// Whether the report files' states are the running daemon's record (else `status` checked
    /// the files itself: no daemon runs, or it has not recorded them yet).
    public var filesFromDaemon: Bool

    /// The cluster this node belongs to (`cluster:`): its nodes and who ran each report's last
    /// slot; nil on a single node.
    public var cluster: Cluster?

    /// Messages that wait in the state folder's mail outbox (a shutdown interrupted them, or they
    /// are being sent now); nil when none.
    public var mailOutbox: MailOutboxStatus?

    enum CodingKeys: String, CodingKey {
        case daemon, reports, ok, cluster
        case filesFromDaemon = "files_from_daemon"
        case mailOutbox = "mail_outbox"
    }

    public struct MailOutboxStatus: Codable, Sendable {
        public var messages: Int
        /// When the oldest was queued, in the daemon's time zone.
        public var oldestQueued: String?

        enum CodingKeys: String, CodingKey {
            case messages
            case oldestQueued = "oldest_queued"
        }
    }

    /// The cluster's view, read from its database.
    public struct Cluster: Codable, Sendable {
        /// This node's name.
        public var node: String
        /// The database as messages name it (`host:port`), and why it did not answer.
        public var database: String
        public var unreachable: String?
        public var nodes: [Node]
        /// Per report, the newest slot any node completed and the node that ran it.
        public var lastSlots: [LastSlot]

        public init(node: String, database: String, unreachable: String?, nodes: [Node], lastSlots: [LastSlot]) {
            self.node = node
            self.database = database
            self.unreachable = unreachable
            self.nodes = nodes
            self.lastSlots = lastSlots
        }

        public struct Node: Codable, Sendable {
            public var node: String
            public var host: String
            public var pid: Int
            public var version: String
            public var lastHeartbeat: String
            public var heartbeatAgeSeconds: Double

            public init(node: String, host: String, pid: Int, version: String, lastHeartbeat: String, heartbeatAgeSeconds: Double) {
                self.node = node
                self.host = host
                self.pid = pid
                self.version = version
                self.lastHeartbeat = lastHeartbeat
                self.heartbeatAgeSeconds = heartbeatAgeSeconds
            }

            enum CodingKeys: String, CodingKey {
                case node, host, pid, version
                case lastHeartbeat = "last_heartbeat"
                case heartbeatAgeSeconds = "heartbeat_age_seconds"
            }
        }

        public struct LastSlot: Codable, Sendable {
            public var report: String
            public var slot: String
            public var node: String

            public init(report: String, slot: String, node: String) {
                self.report = report
                self.slot = slot
                self.node = node
            }
        }

        enum CodingKeys: String, CodingKey {
            case node, database, unreachable, nodes
            case lastSlots = "last_slots"
        }
    }

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
        /// The report's name; for a file without a usable name, the file.
        public var name: String
        /// The report file, as messages name it.
        public var file: String
        /// Whether the report runs as its file says, and if not, why (`reason`).
        public var state: ReportFileState.Condition
        /// When the file entered `state`, in the report's (or the daemon's) time zone.
        public var stateSince: String?
        /// The file's first error, `FILE:LINE:COL: error: MESSAGE`, when it is invalid.
        public var firstError: String?
        /// Why the report is not well, in one line: its state, a failed last run or an overdue slot.
        public var problem: String?
        /// Title, schedule and time zone of the definition that runs; nil when none runs.
        public var title: String?
        public var schedule: String?
        public var timezone: String?
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
        /// The last mail delivery of the report's outputs, when it has `deliver:`.
        public var lastDelivery: LastRun?
        public var deliveriesTotal: Int?
        public var deliveryFailuresTotal: Int?

        enum CodingKeys: String, CodingKey {
            case name, file, state, problem, title, schedule, timezone
            case stateSince = "state_since"
            case firstError = "first_error"
            case nextSlot = "next_slot"
            case lastRun = "last_run"
            case lastSuccess = "last_success"
            case failuresInARow = "failures_in_a_row"
            case runsTotal = "runs_total"
            case failuresTotal = "failures_total"
            case overdueSince = "overdue_since"
            case runningSlot = "running_slot"
            case lastRecord = "last_record"
            case lastDelivery = "last_delivery"
            case deliveriesTotal = "deliveries_total"
            case deliveryFailuresTotal = "delivery_failures_total"
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
        /// `publish_when`, when it was false (`outcome` is then `skipped (condition)`).
        public var condition: String?

        enum CodingKeys: String, CodingKey {
            case slot, trigger, outcome, error, condition
            case finishedAt = "finished_at"
            case durationSeconds = "duration_seconds"
            case rowsUsed = "rows_used"
        }
    }

    /// A slot is overdue once it is this far past and still not completed (or the report's timeout,
    /// when longer, plus a minute).
    public static let overdueGrace: TimeInterval = 600

    /// Builds the status of `reports` (all configured reports, or the one asked for), all loaded.
    public static func make(
        reports: [LoadedReport], stateDirectory: String, now: Date = Date(), withLastRecord: Bool = false
    ) -> StatusReport {
        let files = reports.map { ReportFileState.loaded($0, since: nil) }
        return make(
            view: ReportFilesView(files: files, fromDaemon: false), stateDirectory: stateDirectory, now: now,
            withLastRecord: withLastRecord)
    }

    /// Builds the status of every report file of `view` (in its order), or of the report `only`.
    public static func make(
        view: ReportFilesView, stateDirectory: String, daemonTimeZone: String = "UTC", now: Date = Date(),
        withLastRecord: Bool = false, only: String? = nil, clusterCompleted: [String: Date]? = nil
    ) -> StatusReport {
        let probe = DaemonPresence.probe(stateDirectory: stateDirectory)
        let store = StateStore(directory: stateDirectory)
        let history = RunHistory(stateDirectory: stateDirectory)
        let utc = TimeZone(identifier: "UTC")!
        let daemonZone = TimeZone(identifier: daemonTimeZone) ?? utc
        let daemon = Daemon(
            running: probe.running, pid: probe.info?.pid,
            startedAt: probe.info.map { SlotTime(date: $0.startedAt, timeZone: utc).iso8601 },
            version: probe.info?.version, status: probe.running ? probe.info?.status : nil,
            heartbeatAgeSeconds: probe.running ? probe.heartbeat.map { max(0, Int(now.timeIntervalSince($0))) } : nil,
            unresponsive: probe.isStale(now: now))
        var ok = !daemon.unresponsive
        var rows: [Report] = []
        for file in view.files where only == nil || file.report == only {
            let d = file.report.flatMap { file.definition?.reportDefinition(name: $0) }
            let zone = d.flatMap { TimeZone(identifier: $0.timezone) } ?? daemonZone
            func local(_ date: Date) -> String { SlotTime(date: date, timeZone: zone).iso8601 }
            var report = Report(
                name: file.label, file: file.file, state: file.condition, stateSince: file.since.map(local),
                firstError: file.firstError?.description, problem: file.reason(in: zone), title: d?.title,
                schedule: d?.schedule.description, timezone: d?.timezone,
                failuresInARow: 0, runsTotal: 0, failuresTotal: 0)
            if !file.condition.isHealthy { ok = false }
            if let name = file.report {
                let state = store.load(name)
                report.lastRun = state.lastRun.map {
                    LastRun(
                        slot: local($0.slot), trigger: $0.trigger.rawValue,
                        outcome: $0.skippedCondition == nil ? $0.outcome.rawValue : "skipped (condition)",
                        finishedAt: local($0.finishedAt),
                        durationSeconds: $0.duration.map { ($0 * 1000).rounded() / 1000 }, rowsUsed: $0.rowsUsed,
                        error: $0.error, condition: $0.skippedCondition)
                }
                report.lastSuccess = state.lastSuccess.map { local($0.finishedAt) }
                report.failuresInARow = state.lastRun?.failuresInARow ?? 0
                report.runsTotal = state.runsTotal
                report.failuresTotal = state.failuresTotal
                if let d {
                    report.nextSlot = d.schedule.nextSlot(after: now, in: zone).map(local)
                    if probe.running { report.runningSlot = probe.info?.running?[name] }
                    // A slot is not overdue while the daemon is running the report (a long run).
                    if report.runningSlot == nil,
                        let due = overdueSlot(
                            schedule: d.schedule, zone: zone, timeout: d.timeout, lastCompleted: [clusterCompleted?[name], state.lastCompletedSlot].compactMap { $0 }.max(),
                            now: now)
                    {
                        report.overdueSince = local(due)
                    }
                }
                if withLastRecord {
                    report.lastRecord = (try? history.records(name, limit: 10))?.last { $0.trigger != .delivery && $0.trigger != .alert }
                }
                // Mail (issue 19): the last delivery, for reports that deliver or did.
                let mail = DeliveryStateStore(stateDirectory: stateDirectory).load(name)
                if let delivery = mail.lastDelivery {
                    report.lastDelivery = LastRun(
                        slot: local(delivery.slot), trigger: RunTrigger.delivery.rawValue,
                        outcome: delivery.outcome.rawValue, finishedAt: local(delivery.finishedAt), durationSeconds: nil,
                        rowsUsed: nil, error: delivery.error)
                    report.deliveriesTotal = mail.deliveriesTotal
                    report.deliveryFailuresTotal = mail.deliveryFailuresTotal
                }
                if report.problem == nil, let overdue = report.overdueSince {
                    report.problem = "the slot \(overdue) is overdue (not completed)"
                }
                if report.problem == nil, let last = report.lastRun, last.outcome == "failed" {
                    report.problem = "the last run failed: \(last.error ?? "?")"
                }
                if report.problem == nil, let delivery = report.lastDelivery, delivery.outcome == "failed" {
                    report.problem = "the last delivery failed (the report is published): \(delivery.error ?? "?")"
                }
                if report.lastRun?.outcome == "failed" || report.overdueSince != nil
                    || report.lastDelivery?.outcome == "failed"
                {
                    ok = false
                }
            }
            rows.append(report)
        }
        var status = StatusReport(daemon: daemon, reports: rows, ok: ok, filesFromDaemon: view.fromDaemon)
        let waiting = MailOutbox(stateDirectory: stateDirectory).waiting()
        if waiting.count > 0 {
            status.mailOutbox = MailOutboxStatus(
                messages: waiting.count, oldestQueued: waiting.oldest.map { SlotTime(date: $0, timeZone: daemonZone).iso8601 })
        }
        return status
    }
}
