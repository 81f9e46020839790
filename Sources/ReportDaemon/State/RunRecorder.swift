public import Foundation
public import Logging
public import ReportConfig
public import ReportState

/// Records a finished run everywhere it is remembered: the report's state (last run, counters,
/// completed slot), its run history, and the metrics file. Used by the daemon and by `reportd run`.
public struct RunRecorder: Sendable {
    public let store: StateStore
    public let history: RunHistory
    public let metricsFile: String?
    /// The configured reports, whose states the metrics file shows.
    public let reports: [String]

    public init(store: StateStore, daemon: DaemonConfig, reports: [String]) {
        self.store = store
        self.history = RunHistory(
            stateDirectory: store.directory, keep: daemon.historyKeep, detailed: daemon.historyDetailed)
        self.metricsFile = daemon.metricsFile
        self.reports = reports.sorted()
    }

    /// What could not be recorded (each part is tried whatever the others did).
    public struct Problems: Sendable {
        public var state: (any Error)?
        public var history: (any Error)?
        public var metrics: (any Error)?
        public var isEmpty: Bool { state == nil && history == nil && metrics == nil }
    }

    /// Records `outcome`, which ran for `trigger` (attempt 1, 2…), finishing at `finished`.
    @discardableResult
    public func record(_ outcome: RunResult, trigger: RunTrigger, attempt: Int = 1, finished: Date = Date())
        -> Problems
    {
        var problems = Problems()
        do {
            _ = try store.record(
                outcome.report, slot: outcome.slotDate, trigger: trigger, error: outcome.error, at: finished,
                duration: outcome.duration, rowsUsed: outcome.dataset?.rowsUsed,
                rowsRejected: outcome.dataset?.rowsRejected, skippedCondition: outcome.skippedCondition)
        } catch {
            problems.state = error
        }
        do {
            try history.append(RunRecord(outcome, trigger: trigger, attempt: attempt, finished: finished))
        } catch {
            problems.history = error
        }
        do { try writeMetrics() } catch { problems.metrics = error }
        return problems
    }

    /// Rewrites the metrics file (when configured) from the configured reports' states.
    public func writeMetrics(now: Date = Date()) throws {
        guard let metricsFile else { return }
        let mail = DeliveryStateStore(stateDirectory: store.directory)
        try MetricsFile.write(
            reports.map { ($0, store.load($0)) },
            deliveries: Dictionary(uniqueKeysWithValues: reports.map { ($0, mail.load($0)) }), to: metricsFile)
    }

    /// Logs what `record` could not do.
    public func log(_ problems: Problems, logger: Logger) {
        if let e = problems.state { logger.error("cannot write the report's state: \(e)") }
        if let e = problems.history { logger.error("cannot append to the run history: \(e)") }
        if let e = problems.metrics { logger.error("cannot write the metrics file: \(e)") }
    }
}
