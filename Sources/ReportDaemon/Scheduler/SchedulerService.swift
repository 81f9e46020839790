import Foundation
import Logging
import ReportCore
import ReportIO
import ServiceLifecycle
import UnixSignals

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
    let events: AsyncStream<Event>
    let eventSink: AsyncStream<Event>.Continuation

    enum Event: Sendable {
        case timer
        case finished(RunRequest, RunOutcome)
        case reload
        case shutdown
        case graceExpired
    }

    /// - Parameters:
    ///   - reloadOnSIGHUP: trap SIGHUP and reload; tests call `requestReload()` instead.
    public init(
        reports: ReportSet, clock: any WallClock, executor: any RunExecutor, store: StateStore?,
        reloader: @escaping Reloader, notifier: SystemdNotifier = SystemdNotifier(), presence: DaemonPresence? = nil,
        logger: Logger,
        reloadOnSIGHUP: Bool = true
    ) {
        self.initial = reports
        self.clock = clock
        self.executor = executor
        self.store = store
        self.reloader = reloader
        self.notifier = notifier
        self.presence = presence
        self.logger = logger
        self.reloadSignals = reloadOnSIGHUP
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
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
                if let interval = SystemdNotifier.watchdogInterval() {
                    let notifier = self.notifier
                    group.addTask {
                        while !Task.isCancelled {
                            notifier.notify("WATCHDOG=1")
                            try? await Task.sleep(for: interval)
                        }
                    }
                }
                if let presence = self.presence {
                    // The heartbeat `reportd status` reads; a task, so a busy run never delays it.
                    group.addTask {
                        while !Task.isCancelled {
                            presence.beat()
                            try? await Task.sleep(for: .seconds(DaemonPresence.heartbeatInterval))
                        }
                    }
                }
                core.start(now: clock.now())
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
                dispatch()
                rearm()
                for await event in events {
                    switch event {
                    case .timer:
                        core.fireDue(now: clock.now())
                    case .finished(let request, let outcome):
                        core.finished(request, outcome: outcome, now: clock.now())
                    case .reload:
                        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
                        let (daemon, files, diagnostics) = reloader()
                        core.reload(daemon: daemon, files: files, diagnostics: diagnostics, now: clock.now())
                        notifier.notify("READY=1\nSTATUS=\(core.status())")
                        lastStatus = ""
                    case .shutdown:
                        notifier.notify("STOPPING=1")
                        core.beginShutdown()
                        let grace = core.set.daemon.shutdownGrace
                        let clock = self.clock
                        if core.hasRunning {
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
                    }
                    if core.isShuttingDown && !core.hasRunning { break }
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
                group.cancelAll()
            }
        } onGracefulShutdown: {
            sink.yield(.shutdown)
        }
        logger.notice("stopped")
    }
}
