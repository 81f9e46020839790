import Foundation
import Logging
import ReportCore
import ReportCluster
import ReportConfig
import ReportState

#if canImport(Glibc)
    import Glibc
#endif

/// The scheduler's state and rules, driven by `SchedulerService` one event at a time.
struct SchedulerCore {
    struct Entry {
        var report: LoadedReport
        var zone: TimeZone
        var next: Date?
    }

    private(set) var set: ReportSet
    let clock: any WallClock
    let store: StateStore?
    let logger: Logger
    private var entries: [String: Entry] = [:]
    private var queue: [RunRequest] = []
    private var running: [String: (RunRequest, RunControl)] = [:]
    private var retries: [(due: Date, request: RunRequest)] = []
    private(set) var isShuttingDown = false
    /// Slots that came due while the daemon was paused or the clock jumped and that `catch_up`
    /// did not run, since start.
    private(set) var missedSlots = 0
    /// Whether this node belongs to a cluster (`cluster:`): the cluster's record, not the state
    /// folder, says which slots are done (each claim decides), and catch-up waits for the
    /// database's answer (`clusterReachable`).
    var clustered: Bool { self.set.daemon.cluster != nil }
    /// What `status` says of the cluster's database while it does not answer.
    private(set) var clusterProblem: String?
    /// The longest wait before a retry.
    static let longestRetryDelay: TimeInterval = 3600

    init(set: ReportSet, clock: any WallClock, store: StateStore?, logger: Logger) {
        self.set = set
        self.clock = clock
        self.store = store
        self.logger = logger
    }

    var hasRunning: Bool { !running.isEmpty }

    /// Where finished runs are recorded: the state, the run history, the metrics file.
    var recorder: RunRecorder? {
        store.map { RunRecorder(store: $0, daemon: set.daemon, reports: Array(set.reports.keys)) }
    }

    /// Rewrites the metrics file (at start and after a reload, so added and removed reports show).
    func writeMetrics() {
        do { try recorder?.writeMetrics() } catch { logger.error("cannot write the metrics file: \(error)") }
    }

    /// Records every report file's state for `status` (`STATE/reportd.reports.json`), at start and
    /// after each reload.
    func writeLoadedReports(now: Date) {
        guard let store else { return }
        let record = LoadedReportsFile(
            pid: Int(getpid()), version: ReportdVersion.current, config: set.daemon.file, loadedAt: now,
            files: set.files)
        do {
            try record.save(stateDirectory: store.directory)
        } catch {
            logger.error("cannot write \(LoadedReportsFile.fileName) in the state folder: \(error)")
        }
    }

    /// Loads state, queues catch-up runs and computes every report's next slot.
    mutating func start(now: Date) {
        for name in set.reports.keys.sorted() {
            let report = set.reports[name]!
            let entry = makeEntry(report, now: now)
            entries[name] = entry
            // A cluster's catch-up waits for the database: it knows which slots any node completed.
            if clustered { continue }
            let last = store?.load(name).lastCompletedSlot
            for slot in CatchUp.slots(
                report.definition.schedule, in: entry.zone, lastCompleted: last, now: now,
                policy: report.definition.catchUp)
            {
                log(name, slot).notice("catching up a slot missed while the daemon was down")
                offer(
                    RunRequest(
                        report: report.definition, daemon: set.daemon, slot: slot, trigger: .catchUp,
                        columns: set.columnsRead(dataset: report.definition.dataset)))
            }
        }
        writeMetrics()
        writeLoadedReports(now: now)
        logger.notice(
            "scheduler started",
            metadata: ["reports": "\(entries.count)", "max_concurrent": "\(set.daemon.maxConcurrent)"])
    }

    private func makeEntry(_ report: LoadedReport, now: Date) -> Entry {
        let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
        return Entry(report: report, zone: zone, next: report.definition.schedule.nextSlot(after: now, in: zone))
    }

    /// The earliest time something is due: a slot or a retry.
    func nextDue() -> Date? {
        guard !isShuttingDown else { return nil }
        let slots = entries.values.compactMap(\.next)
        return (slots + retries.map(\.due)).min()
    }

    /// Queues every slot and retry that is due.
    mutating func fireDue(now: Date) {
        for name in entries.keys.sorted() {
            guard var entry = entries[name], let next = entry.next, next <= now else { continue }
            let schedule = entry.report.definition.schedule
            // After a pause (SIGSTOP, a suspended machine) or a clock jump, several slots may have
            // passed at once: they are said and counted, and `catch_up` decides which run, as it
            // does after downtime (before, all but the latest were dropped without a word).
            var slot = next
            var passed = 1
            while let later = schedule.nextSlot(after: slot, in: entry.zone), later <= now {
                slot = later
                passed += 1
            }
            entry.next = schedule.nextSlot(after: slot, in: entry.zone)
            entries[name] = entry
            var slots = [slot]
            var trigger = RunTrigger.schedule
            if passed > 1 {
                let policy = entry.report.definition.catchUp
                slots = CatchUp.slots(
                    schedule, in: entry.zone, lastCompleted: next.addingTimeInterval(-1), now: now, policy: policy)
                trigger = .catchUp
                missedSlots += passed - slots.count
                let zone = entry.zone
                let message =
                    "\(passed) slots came due at once (from \(SlotTime(date: next, timeZone: zone).iso8601)): the daemon "
                    + "was paused or the clock jumped; catch_up: \(policy.rawValue) runs \(slots.count) of them"
                log(name, slot).warning(
                    "\(message)",
                    metadata: [
                        "slots.passed": "\(passed)", "slots.run": "\(slots.count)", "slots.missed_total": "\(missedSlots)",
                    ])
            }
            for slot in slots {
                offer(
                    RunRequest(
                        report: entry.report.definition, daemon: set.daemon, slot: slot, trigger: trigger,
                        columns: set.columnsRead(dataset: entry.report.definition.dataset)))
            }
        }
        let due = retries.filter { $0.due <= now }
        retries.removeAll { $0.due <= now }
        for retry in due where entries[retry.request.report.name] != nil {
            offer(retry.request)
        }
    }

    /// Adds a run to the queue, or skips it by the report's overlap policy.
    mutating func offer(_ request: RunRequest) {
        guard !isShuttingDown else { return }
        let name = request.report.name
        if !clustered, let last = store?.load(name).lastCompletedSlot, request.slot <= last, request.trigger != .retry {
            log(name, request.slot).info("slot already completed; not running it again")
            return
        }
        let busy = running[name] != nil || queue.contains { $0.report.name == name }
        if busy {
            if queue.contains(where: { $0.report.name == name && $0.slot == request.slot }) { return }
            if request.report.overlap == .skip && request.trigger == .schedule {
                log(name, request.slot).warning(
                    "skipped: the previous run of this report is still running (overlap: skip)")
                return
            }
        }
        queue.append(request)
    }

    /// Runs that may start now (within `max_concurrent`, one per report), removed from the queue.
    mutating func startable() -> [(RunRequest, RunControl)] {
        var started: [(RunRequest, RunControl)] = []
        var index = 0
        while index < queue.count, running.count < set.daemon.maxConcurrent {
            let request = queue[index]
            if running[request.report.name] != nil {
                index += 1
                continue
            }
            queue.remove(at: index)
            let control = RunControl()
            running[request.report.name] = (request, control)
            log(request.report.name, request.slot).info(
                "run started",
                metadata: ["run.trigger": "\(request.trigger.rawValue)", "run.attempt": "\(request.attempt + 1)"])
            started.append((request, control))
        }
        return started
    }

    /// How a finished run left its slot: what the mail desk acts on.
    enum RunEnd: Sendable {
        case succeeded
        /// No verdict on the slot yet: a retry is scheduled (or the run was refused by another
        /// process's lock).
        case pending
        /// Failed with no retry to come (spent, not worth it, or shutting down).
        case failedFinally
    }

    /// How long after a failed run of `request` its retry comes, or nil when none will: its
    /// retries are spent, or its failure (`failure`) repeats on every attempt. `retry_delay` (30 s
    /// by default), then twice as long each time, at most an hour. A cluster run tells the
    /// database this before `finished` decides (`ClusterStore.release(_:retryIn:)`).
    static func retryDelay(after request: RunRequest, failure: RunFailure?) -> TimeInterval? {
        if let failure, failure.isDeterministic { return nil }
        guard request.attempt < request.report.retries else { return nil }
        return min(TimeInterval(request.report.retryDelay) * pow(2, Double(request.attempt)), longestRetryDelay)
    }

    /// Records a finished run and schedules a retry when it failed and retries remain.
    @discardableResult
    mutating func finished(_ request: RunRequest, outcome: RunResult, now: Date) -> RunEnd {
        let name = request.report.name
        running[name] = nil
        var log = log(name, request.slot)
        // A cluster node that ran nothing for the slot records nothing and does not retry.
        switch outcome.skipped {
        case .elsewhere(let node, let done)?:
            log.info(
                "\(done ? "already completed" : "claimed") by \(node.map { "node '\($0)'" } ?? "another node"): not run here")
            return .pending
        case .unreachable(let why)?:
            log.warning("not run: the cluster database is unreachable (\(why)); caught up by catch_up when it returns")
            return .pending
        case .lostClaim(let why)?:
            log.warning("ran but published nothing: \(why)")
            return .pending
        case nil:
            break
        }
        if let recorder {
            recorder.log(
                recorder.record(outcome, trigger: request.trigger, attempt: request.attempt + 1, finished: now),
                logger: log)
        }
        log[metadataKey: "run.trigger"] = "\(request.trigger.rawValue)"
        log[metadataKey: "run.outcome"] = "\(outcome.succeeded ? "success" : "failed")"
        log[metadataKey: "duration.ms"] = "\(Int(outcome.duration * 1000))"
        guard let error = outcome.error else {
            if let condition = outcome.skippedCondition {
                log.info("run completed, skipped (condition): publish_when is false: \(condition)")
            } else {
                log.info("run succeeded")
            }
            return .succeeded
        }
        if let kind = outcome.failure, kind.isDeterministic {
            // An overflow or a definition that does not fit fails the same way on every attempt.
            log.error("run failed: \(error) (not retried: a \(kind.rawValue) error repeats until the data or the report changes)")
        } else if let delay = Self.retryDelay(after: request, failure: outcome.failure), !isShuttingDown,
            entries[name] != nil
        {
            var retry = request
            retry.attempt += 1
            retry.trigger = .retry
            retries.append((now.addingTimeInterval(delay), retry))
            log.warning(
                "run failed, retrying in \(Int(delay))s (attempt \(retry.attempt + 1) of \(request.report.retries + 1)): \(error)"
            )
            return .pending
        } else {
            log.error("run failed: \(error)")
        }
        // A run refused because another process runs the report is not a failure of the slot.
        return outcome.refused ? .pending : .failedFinally
    }

    mutating func reload(
        daemon: DaemonConfig?, files: [ConfigLoader.ReportFileResult], diagnostics: [Diagnostic], now: Date
    ) {
        for d in diagnostics + files.flatMap(\.diagnostics) {
            // A warning (a schedule that shifts in summer, `L * mon-fri`) leaves the report valid.
            logger.log(
                level: d.severity == .warning ? .warning : .error, "\(d.description)",
                metadata: ["config.file": "\(d.file)"])
        }
        let (next, changes) = set.reloaded(daemon: daemon, files: files, now: now)
        if changes.rejectedDaemonConfig {
            logger.error("reload rejected: the daemon config is invalid; the running configuration stays in force")
            return
        }
        if let listing = changes.unlistedReportsFolder {
            logger.error(
                "reload rejected: the reports folder cannot be listed (\(listing.message)); every report keeps its definition"
            )
            return
        }
        set = next
        for name in changes.removed {
            entries[name] = nil
            queue.removeAll { $0.report.name == name }
            retries.removeAll { $0.request.report.name == name }
            logger.notice("report removed; it will not run again", metadata: ["report.name": "\(name)"])
        }
        let zone = TimeZone(identifier: set.daemon.timezone) ?? TimeZone(identifier: "UTC")!
        for state in changes.files where !state.condition.isHealthy {
            var metadata: Logger.Metadata = ["config.file": "\(state.file)"]
            if let name = state.report { metadata["report.name"] = "\(name)" }
            logger.warning("\(state.reason(in: zone) ?? "")", metadata: metadata)
        }
        for (name, report) in set.reports {
            let old = entries[name]
            let sameSchedule =
                old.map {
                    $0.report.definition.schedule == report.definition.schedule
                        && $0.report.definition.timezone == report.definition.timezone
                } ?? false
            var entry = makeEntry(report, now: now)
            if sameSchedule, let old { entry.next = old.next }
            entries[name] = entry
        }
        for name in changes.added { logger.notice("report added", metadata: ["report.name": "\(name)"]) }
        writeMetrics()
        writeLoadedReports(now: now)
        logger.notice(
            "\(changes.summary(initial: false))",
            metadata: [
                "reports": "\(entries.count)", "added": "\(changes.added.count)", "removed": "\(changes.removed.count)",
                "kept_previous": "\(changes.kept.count)", "refused": "\(changes.refused.count)",
                "not_loaded": "\(changes.notLoaded.count)",
            ])
    }

    /// The cluster's database answers (first contact, or back after an outage): every report's
    /// missed slots since the newest any node completed are offered by its `catch_up`; the claims
    /// decide which node runs each.
    mutating func clusterReachable(lastCompleted: [String: Date], after outage: TimeInterval?, now: Date) {
        clusterProblem = nil
        if let outage {
            logger.notice(
                "the cluster database answers again after \(Int(outage))s: catching up by each report's catch_up")
        } else {
            logger.notice("the cluster database answers", metadata: ["cluster.node": "\(set.daemon.cluster?.node ?? "")"])
        }
        for name in entries.keys.sorted() {
            guard let entry = entries[name] else { continue }
            let last = lastCompleted[name] ?? store?.load(name).lastCompletedSlot
            for slot in CatchUp.slots(
                entry.report.definition.schedule, in: entry.zone, lastCompleted: last, now: now,
                policy: entry.report.definition.catchUp)
            {
                log(name, slot).notice("catching up a slot no node completed")
                offer(
                    RunRequest(
                        report: entry.report.definition, daemon: set.daemon, slot: slot, trigger: .catchUp,
                        columns: set.columnsRead(dataset: entry.report.definition.dataset)))
            }
        }
    }

    /// The cluster's database stopped answering: no node can claim a slot.
    mutating func clusterUnreachable(_ why: String, now: Date) {
        clusterProblem = "cluster database unreachable since \(SlotTime(date: now, timeZone: TimeZone(identifier: "UTC")!).iso8601)"
        logger.error("the cluster database is unreachable: \(why); no slot runs on any node until it answers again")
    }

    /// Slots whose node stopped beating past its lease: offered here; the claim decides which
    /// node takes each over.
    mutating func offerStale(_ claims: [StaleClaim]) {
        for claim in claims {
            let (name, slot) = (claim.report, claim.slot)
            guard let entry = entries[name] else { continue }
            switch claim.phase {
            case .publishing:
                log(name, slot).warning(
                    "node '\(claim.node)' stopped beating while it published this slot: running it again here")
            case .retrying:
                log(name, slot).warning(
                    "node '\(claim.node)' was to retry this failed slot and has not within its lease: retrying it here")
            case .running:
                log(name, slot).warning("the node running this slot stopped beating past its lease: taking it over")
            }
            offer(
                RunRequest(
                    report: entry.report.definition, daemon: set.daemon, slot: slot, trigger: .catchUp,
                    columns: set.columnsRead(dataset: entry.report.definition.dataset)))
        }
    }

    /// The reports loaded.
    var reportNames: [String] { entries.keys.sorted() }

    mutating func beginShutdown() {
        isShuttingDown = true
        if !queue.isEmpty { logger.notice("shutting down: \(queue.count) queued runs will not start") }
        queue.removeAll()
        retries.removeAll()
    }

    func stopAll(_ reason: String) {
        for (name, (request, control)) in running {
            log(name, request.slot).warning("stopping the run without publishing: \(reason)")
            control.stop(reason)
        }
    }

    /// `STATUS=` text: reports loaded and the next run.
    func status() -> String {
        if isShuttingDown { return "Stopping: \(running.count) running" }
        var text = "\(entries.count) reports loaded"
        if let clusterProblem { text += "; \(clusterProblem)" }
        if !running.isEmpty { text += ", \(running.count) running" }
        if let (name, entry) = entries.filter({ $0.value.next != nil }).min(by: { $0.value.next! < $1.value.next! }) {
            text += "; next: \(name) at \(SlotTime(date: entry.next!, timeZone: entry.zone).iso8601)"
        }
        return text
    }

    /// The reports running now and their slots, for the pid file (`reportd status`).
    func runningSlots() -> [String: String] {
        running.mapValues { request, _ in
            SlotTime(date: request.slot, timeZone: entries[request.report.name]?.zone ?? TimeZone(identifier: "UTC")!)
                .iso8601
        }
    }

    /// The next slot of each report, for `list` and tests.
    func nextSlots() -> [String: Date] { entries.compactMapValues(\.next) }

    private func log(_ name: String, _ slot: Date) -> Logger {
        var l = logger
        l[metadataKey: "report.name"] = "\(name)"
        let zone = entries[name]?.zone ?? TimeZone(identifier: "UTC")!
        l[metadataKey: "report.slot"] = "\(SlotTime(date: slot, timeZone: zone).iso8601)"
        return l
    }
}
