import Foundation
public import Logging
public import ReportCore
public import ReportConfig
public import ServiceLifecycle
import UnixSignals
public import ReportState
import ReportMail
public import ReportCluster

/// The daemon's scheduler: runs every report at its slots, catches up after downtime, retries,
/// enforces timeouts and `max_concurrent`, reloads on SIGHUP and shuts down gracefully.
///
/// One task owns all scheduling state and handles one event at a time (a timer firing, a run
/// finishing, a reload, shutdown), so there are no locks around it; runs execute as child tasks
/// and never block the loop.
public final class SchedulerService: Service, Sendable {
    /// Loads the configuration again (SIGHUP): the daemon config, or `nil` when it is invalid, and
    /// every report file's result.
    public typealias Reloader = @Sendable () -> (DaemonConfig?, [ConfigLoader.ReportFileResult], [Diagnostic])

    let initial: ReportSet
    let clock: any WallClock
    let executor: any RunExecutor
    let reloader: Reloader
    let store: StateStore?
    let notifier: SystemdNotifier
    /// The state folder's pid file, which this daemon holds and beats (`reportd status`).
    let presence: DaemonPresence?
    let logger: Logger
    let reloadSignals: Bool
    /// Seconds a reload may take, instead of `reloadDeadline(pluginTimeout:)` (tests).
    let reloadDeadlineOverride: Int?
    let events: AsyncStream<Event>
    let eventSink: AsyncStream<Event>.Continuation
    /// Sends the mail (`mail:`): deliveries and notices (MailDesk).
    let mailSender: any MailSender
    /// Seconds between the checks for overdue slots (when mail is configured).
    let overdueCheckInterval: Double
    /// This node's heartbeat in its cluster (`cluster:`); nil: a single node.
    let clusterAgent: ClusterAgent?
    /// Where alert states are kept when the tests say; nil: the cluster's database with `cluster:`,
    /// else the state folder.
    let alertMemory: (any ReportMemory)?

    enum Event: Sendable {
        case timer
        case finished(RunRequest, RunResult)
        case reload
        case shutdown
        case graceExpired
        case mailed(MailDesk.Done)
        /// A run's alerts were checked (off the loop); the notices to send.
        case alerted([MailDesk.Job])
        case overdueCheck
        /// A cluster node's overdue check ended (off the loop: it asks the cluster's database).
        case overdueChecked([MailDesk.Job])
        case cluster(ClusterAgent.Event)
    }

    /// - Parameters:
    ///   - reloadOnSIGHUP: trap SIGHUP and reload; tests call `requestReload()` instead.
    public init(
        reports: ReportSet, clock: any WallClock, executor: any RunExecutor, store: StateStore?,
        reloader: @escaping Reloader, notifier: SystemdNotifier = SystemdNotifier(), presence: DaemonPresence? = nil,
        logger: Logger,
        reloadOnSIGHUP: Bool = true, reloadDeadline: Int? = nil, mailSender: any MailSender = SendmailSender(),
        overdueCheckInterval: Double = 60, clusterAgent: ClusterAgent? = nil, alertMemory: (any ReportMemory)? = nil
    ) {
        self.clusterAgent = clusterAgent
        self.alertMemory = alertMemory
        self.mailSender = mailSender
        self.overdueCheckInterval = overdueCheckInterval
        self.initial = reports
        self.clock = clock
        self.executor = executor
        self.store = store
        self.reloader = reloader
        self.notifier = notifier
        self.presence = presence
        self.logger = logger
        self.reloadSignals = reloadOnSIGHUP
        self.reloadDeadlineOverride = reloadDeadline
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
    }

    /// Which event the loop is handling, and since when (the watchdog reads it).
    let loop = LoopProgress()

    /// Seconds a reload may take before the daemon gives up on it and keeps its configuration:
    /// the plugins' handshakes may take `plugin_timeout` each (they run side by side), and reading
    /// report files is bounded (regular files of at most 4 MiB).
    static func reloadDeadline(pluginTimeout: Int) -> Int { pluginTimeout + 30 }

    /// How long the loop may stay on one event before the watchdog stops vouching for it.
    static func stuckAfter(pluginTimeout: Int) -> Duration { .seconds(reloadDeadline(pluginTimeout: pluginTimeout) + 30) }

    /// Runs `reloader` on a thread of its own and waits at most `seconds` for it; nil when it did
    /// not finish in time (it is left to finish on its thread and its result dropped).
    ///
    /// Why a thread: loading reads files and waits for plugin processes, blocking calls that must
    /// not hold one of the few threads of Swift's cooperative pool, nor the scheduler's loop
    /// forever.
    static func load(
        _ reloader: @escaping Reloader, within seconds: Int
    ) async -> (DaemonConfig?, [ConfigLoader.ReportFileResult], [Diagnostic])? {
        await withCheckedContinuation { continuation in
            let resumed = Locked(false)
            @Sendable func finish(_ value: (DaemonConfig?, [ConfigLoader.ReportFileResult], [Diagnostic])?) {
                let first = resumed.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            Thread { finish(reloader()) }.start()
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { finish(nil) }
        }
    }

    /// Asks for a reload, as SIGHUP does.
    public func requestReload() { eventSink.yield(.reload) }

    public func run() async throws {
        let signals = reloadSignals ? await UnixSignalsSequence(trapping: .sighup) : nil
        var core = SchedulerCore(set: initial, clock: clock, store: store, logger: logger)
        let sink = eventSink
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let signals {
                    group.addTask {
                        for await _ in signals.cancelOnGracefulShutdown() { sink.yield(.reload) }
                    }
                }
                // The watchdog and the heartbeat vouch for the loop: while it has been on one event
                // longer than any event may take (a reload is bounded by its deadline), they stop,
                // so systemd and `reportd status` see a daemon that no longer schedules.
                let loop = self.loop
                let stuckAfter = Self.stuckAfter(pluginTimeout: initial.daemon.pluginTimeout)
                if let interval = SystemdNotifier.watchdogInterval() {
                    let notifier = self.notifier
                    group.addTask {
                        while !Task.isCancelled {
                            if !loop.isStuck(after: stuckAfter) { notifier.notify("WATCHDOG=1") }
                            try? await Task.sleep(for: interval)
                        }
                    }
                }
                if let presence = self.presence {
                    // The heartbeat `reportd status` reads; a task, so a busy run never delays it.
                    // Every 2 s it also checks that the pid file still exists: deleting the state
                    // folder under the daemon let a second daemon start and run every slot twice.
                    let logger = self.logger
                    group.addTask {
                        var last = ContinuousClock.now
                        var lostSaid = false
                        while !Task.isCancelled {
                            switch presence.checkClaim() {
                            case .alive: break
                            case .lost where lostSaid: break
                            case .reclaimed:
                                lostSaid = false
                                let message =
                                    "the pid file \(presence.path) was deleted (the state folder removed?): claimed "
                                    + "it again; last-run times and history written before are lost"
                                logger.critical("\(message)")
                            case .lost(let why):
                                lostSaid = true
                                logger.critical(
                                    "the pid file \(presence.path) was deleted and cannot be claimed again: \(why)")
                            }
                            if ContinuousClock.now - last >= .seconds(DaemonPresence.heartbeatInterval),
                                !loop.isStuck(after: stuckAfter)
                            {
                                presence.beat()
                                last = .now
                            }
                            try? await Task.sleep(for: .seconds(2))
                        }
                    }
                }
                core.start(now: clock.now())
                if let agent = clusterAgent {
                    agent.setReports(core.reportNames)
                    agent.start { sink.yield(.cluster($0)) }
                }
                notifier.notify("READY=1\nSTATUS=\(core.status())")
                presence?.update(status: core.status(), running: core.runningSlots())
                // The timer is the one unstructured task: it is replaced whenever the next due time
                // changes, and a child of the group could not be cancelled on its own.
                var timer: Task<Void, Never>?
                var graceTimer: Task<Void, Never>?
                var lastStatus = ""
                var lastPresence: (status: String, running: [String: String]) = ("", [:])
                func rearm() {
                    timer?.cancel()
                    guard let due = core.nextDue() else { return }
                    let clock = self.clock
                    timer = Task {
                        do {
                            try await clock.sleep(until: due)
                            sink.yield(.timer)
                        } catch {}
                    }
                }
                func dispatch() {
                    for (request, control) in core.startable() {
                        let executor = self.executor
                        let clock = self.clock
                        group.addTask {
                            var timeout: Task<Void, Never>?
                            if let seconds = request.report.timeout {
                                let deadline = clock.now().addingTimeInterval(TimeInterval(seconds))
                                // Unstructured so that it can be cancelled when the run ends first.
                                timeout = Task {
                                    do {
                                        try await clock.sleep(until: deadline)
                                        control.stop("timed out after \(seconds)s")
                                    } catch {}
                                }
                            }
                            let outcome = await executor.execute(request, control: control)
                            timeout?.cancel()
                            sink.yield(.finished(request, outcome))
                        }
                    }
                }
                // Mail: sent on threads of their own, recorded back on this loop (`.mailed`).
                let mailStop = Locked(false)
                var mailInFlight = 0
                // Alert checks read and write the report's memory (files, or the cluster's database
                // with its statement deadline): off the loop, so a slow database cannot hold up the
                // schedule. One serial queue, so that a report's checks run in the order its runs
                // finished (two checks out of order could leave the state of the older figures).
                let alertQueue = DispatchQueue(label: "reportd.alerts")
                var alertsInFlight = 0
                var overdueChecks = false
                // Messages wait in the state folder's outbox until their attempts end, so that a
                // shutdown does not lose them: the next start sends them.
                let outbox = store.map { MailOutbox(stateDirectory: $0.directory) }
                func send(_ jobs: [MailDesk.Job]) {
                    for job in jobs {
                        mailInFlight += 1
                        let (sender, logger) = (self.mailSender, self.logger)
                        group.addTask {
                            let done = await withCheckedContinuation { continuation in
                                // Writing a message reads files and sendmail blocks: off the cooperative pool.
                                DispatchQueue.global().async {
                                    continuation.resume(
                                        returning: MailDesk.perform(
                                            job, sender: sender, outbox: outbox, shouldStop: { mailStop.withLock { $0 } },
                                            logger: logger))
                                }
                            }
                            sink.yield(.mailed(done))
                        }
                    }
                }
                // A cluster node's overdue checks ask the cluster's database which slots any node
                // completed and which node tells the owners: off the loop, one at a time.
                let clusterNotices = clusterAgent.map { MailDesk.ClusterNotices(store: $0.store) }
                let overdueQueue = DispatchQueue(label: "reportd.overdue")
                var overdueInFlight = false
                func startOverdueChecks() {
                    guard !overdueChecks, MailDesk.checksOverdue(core.set.daemon), store != nil else { return }
                    overdueChecks = true
                    // At once (slots may have passed while the daemon was down), then every interval.
                    sink.yield(.overdueCheck)
                    let (clock, interval) = (self.clock, self.overdueCheckInterval)
                    group.addTask {
                        while !Task.isCancelled {
                            do { try await clock.sleep(until: clock.now().addingTimeInterval(interval)) } catch { return }
                            sink.yield(.overdueCheck)
                        }
                    }
                }
                // A database whose catalog could not be read (its server down at boot): its
                // reports are left out, and the daemon loads again after 5 s, 10 s, 20 s … at most
                // every 5 minutes, until every dataset has been read.
                var catalogRetry: Task<Void, Never>?
                var catalogDelay: TimeInterval = 5
                func retryUnreadableCatalogs() {
                    let waiting = core.set.daemon.datasets.filter { $0.unreadable != nil }.map(\.name)
                    guard !waiting.isEmpty else {
                        catalogDelay = 5
                        return
                    }
                    guard catalogRetry == nil, !core.isShuttingDown else { return }
                    let (clock, delay) = (self.clock, catalogDelay)
                    catalogDelay = min(catalogDelay * 2, 300)
                    logger.notice(
                        "loading again in \(Int(delay))s: waiting for the dataset(s) \(waiting.joined(separator: ", "))")
                    catalogRetry = Task {
                        do { try await clock.sleep(until: clock.now().addingTimeInterval(delay)) } catch { return }
                        sink.yield(.reload)
                    }
                }
                if let outbox { send(MailDesk.resends(daemon: core.set.daemon, outbox: outbox, logger: logger)) }
                startOverdueChecks()
                retryUnreadableCatalogs()
                dispatch()
                rearm()
                for await event in events {
                    loop.begin()
                    defer { loop.end() }
                    switch event {
                    case .timer:
                        core.fireDue(now: clock.now())
                    case .finished(let request, let outcome):
                        let end = core.finished(request, outcome: outcome, now: clock.now())
                        send(
                            MailDesk.jobs(
                                after: request, outcome: outcome, end: end, daemon: core.set.daemon,
                                stateDirectory: store?.directory, logger: logger))
                        if let store, AlertDesk.checks(after: request, outcome: outcome) {
                            let memory =
                                alertMemory ?? clusterAgent.map { ClusterReportMemory(store: $0.store) as any ReportMemory }
                                ?? FolderReportMemory(stateDirectory: store.directory)
                            let (recorder, logger) = (core.recorder, self.logger)
                            alertsInFlight += 1
                            // Not a task of the group: a check that never ends must not keep the
                            // group (and the daemon) from ending after the grace period.
                            Task {
                                let jobs = await withCheckedContinuation { continuation in
                                    alertQueue.async {
                                        continuation.resume(
                                            returning: AlertDesk.jobs(
                                                after: request, outcome: outcome, memory: memory, recorder: recorder,
                                                logger: logger))
                                    }
                                }
                                sink.yield(.alerted(jobs))
                            }
                        }
                    case .mailed(let done):
                        mailInFlight -= 1
                        MailDesk.finish(done, recorder: core.recorder, logger: logger)
                    case .alerted(let jobs):
                        // The change is recorded already: its notice goes out even while shutting down.
                        alertsInFlight -= 1
                        send(jobs)
                    case .overdueCheck:
                        if let store, !core.isShuttingDown, let clusterNotices {
                            guard !overdueInFlight else { break }
                            overdueInFlight = true
                            let (reports, running, daemon, now, logger) = (
                                core.set.reports.values.map(\.definition), Set(core.runningSlots().keys),
                                core.set.daemon, clock.now(), self.logger
                            )
                            overdueQueue.async {
                                sink.yield(
                                    .overdueChecked(
                                        MailDesk.overdueJobs(
                                            reports: reports, running: running, daemon: daemon,
                                            stateDirectory: store.directory, now: now, cluster: clusterNotices,
                                            logger: logger)))
                            }
                        } else if let store, !core.isShuttingDown {
                            send(
                                MailDesk.overdueJobs(
                                    reports: core.set.reports.values.map(\.definition),
                                    running: Set(core.runningSlots().keys), daemon: core.set.daemon,
                                    stateDirectory: store.directory, now: clock.now(), logger: logger))
                        }
                    case .overdueChecked(let jobs):
                        overdueInFlight = false
                        // Noted already (in the state folder and the cluster's database): sent even
                        // while shutting down, as an alert's notice is.
                        send(jobs)
                    case .cluster(.reachable(let completed, let outage)):
                        if !core.isShuttingDown {
                            core.clusterReachable(
                                lastCompleted: completed.mapValues(\.slot), after: outage, now: clock.now())
                        }
                    case .cluster(.unreachable(let why)):
                        core.clusterUnreachable(why, now: clock.now())
                    case .cluster(.stale(let claims)):
                        if !core.isShuttingDown { core.offerStale(claims) }
                    case .reload:
                        catalogRetry?.cancel()
                        catalogRetry = nil
                        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
                        let deadline =
                            reloadDeadlineOverride ?? Self.reloadDeadline(pluginTimeout: core.set.daemon.pluginTimeout)
                        if let (daemon, files, diagnostics) = await Self.load(reloader, within: deadline) {
                            core.reload(daemon: daemon, files: files, diagnostics: diagnostics, now: clock.now())
                            clusterAgent?.setReports(core.reportNames)
                            startOverdueChecks()
                            retryUnreadableCatalogs()
                        } else {
                            retryUnreadableCatalogs()
                            let message =
                                "reload did not finish within \(deadline)s (a plugin or a file that does not answer?); "
                                + "the running configuration stays in force"
                            logger.error("\(message)")
                        }
                        notifier.notify("READY=1\nSTATUS=\(core.status())")
                        lastStatus = ""
                    case .shutdown:
                        notifier.notify("STOPPING=1")
                        core.beginShutdown()
                        let grace = core.set.daemon.shutdownGrace
                        let clock = self.clock
                        if core.hasRunning || mailInFlight > 0 || alertsInFlight > 0 || overdueInFlight {
                            // The deadline is fixed now, not when the timer task first runs.
                            let deadline = clock.now().addingTimeInterval(TimeInterval(grace))
                            logger.notice("shutting down: waiting up to \(grace)s for running reports")
                            graceTimer = Task {
                                do {
                                    try await clock.sleep(until: deadline)
                                    sink.yield(.graceExpired)
                                } catch {}
                            }
                        }
                    case .graceExpired:
                        core.stopAll("shutdown grace period of \(core.set.daemon.shutdownGrace)s expired")
                        // Mail still being sent is given up (recorded as failed, said in the log).
                        mailStop.withLock { $0 = true }
                    }
                    // An alert or cluster overdue check cannot be stopped; once the grace period is
                    // over (`mailStop`) the daemon stops without waiting for one (its change is
                    // recorded, its notice not sent).
                    if core.isShuttingDown && !core.hasRunning && mailInFlight == 0
                        && ((alertsInFlight == 0 && !overdueInFlight) || mailStop.withLock({ $0 }))
                    {
                        break
                    }
                    dispatch()
                    rearm()
                    let status = core.status()
                    if status != lastStatus {
                        notifier.notify("STATUS=\(status)")
                        lastStatus = status
                    }
                    // The pid file: the status line and which reports run (which changes with every
                    // start and end, the status text not always).
                    let running = core.runningSlots()
                    if status != lastPresence.status || running != lastPresence.running {
                        presence?.update(status: status, running: running)
                        lastPresence = (status, running)
                    }
                }
                timer?.cancel()
                graceTimer?.cancel()
                catalogRetry?.cancel()
                clusterAgent?.stop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            sink.yield(.shutdown)
        }
        logger.notice("stopped")
    }
}

/// When the scheduler's loop began the event it is handling; nil while it waits for the next.
final class LoopProgress: Sendable {
    private let busySince = Locked<ContinuousClock.Instant?>(nil)

    func begin() { busySince.withLock { $0 = .now } }
    func end() { busySince.withLock { $0 = nil } }

    /// Whether the loop has been on one event for longer than `limit`.
    func isStuck(after limit: Duration) -> Bool {
        busySince.withLock { since in since.map { ContinuousClock.now - $0 > limit } ?? false }
    }
}
