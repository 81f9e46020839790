public import Foundation
public import ReportCore
public import ReportConfig
public import ReportState

/// One run to perform: a report, its slot, and the daemon config it runs under.
public struct RunRequest: Sendable {
    public var report: ReportDefinition
    public var daemon: DaemonConfig
    public var slot: Date
    public var trigger: RunTrigger
    /// 0 for the first attempt, then 1, 2… for retries.
    public var attempt: Int
    /// The dataset columns that all the daemon's reports on this report's dataset read, so that
    /// one cached read serves them all (`nil`: the report's own).
    public var columns: Set<String>?

    public init(
        report: ReportDefinition, daemon: DaemonConfig, slot: Date, trigger: RunTrigger, attempt: Int = 0,
        columns: Set<String>? = nil
    ) {
        self.columns = columns
        self.report = report
        self.daemon = daemon
        self.slot = slot
        self.trigger = trigger
        self.attempt = attempt
    }
}
