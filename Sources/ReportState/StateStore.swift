public import Foundation
import ReportFiles

/// What the daemon remembers about one report between runs and restarts.
public struct ReportState: Codable, Sendable, Equatable {
    /// The last slot that completed successfully: it is never run again, and catch-up counts
    /// missed slots from it.
    public var lastCompletedSlot: Date?
    public var lastRun: LastRun?
    /// The last successful run (for the metrics file and `status`).
    public var lastSuccess: LastRun?
    /// Runs and failed runs since the state began, whatever started them: the metrics file's
    /// counters, which survive compaction of the run history.
    public var runsTotal: Int = 0
    public var failuresTotal: Int = 0
    /// Runs that completed without publishing because `publish_when` was false.
    public var skippedTotal: Int = 0

    public struct LastRun: Codable, Sendable, Equatable {
        public var slot: Date
        public var trigger: RunTrigger
        public var outcome: RunOutcome
        public var finishedAt: Date
        public var error: String?
        /// Failed attempts in a row for this report.
        public var failuresInARow: Int
        /// Seconds the run took; nil in states written before reportd recorded it.
        public var duration: TimeInterval?
        public var rowsUsed: Int?
        public var rowsRejected: Int?
        /// The `publish_when` condition that was false: the run completed, publishing nothing.
        public var skippedCondition: String?
    }

    public init(lastCompletedSlot: Date? = nil, lastRun: LastRun? = nil) {
        self.lastCompletedSlot = lastCompletedSlot
        self.lastRun = lastRun
    }

    enum CodingKeys: String, CodingKey {
        case lastCompletedSlot = "last_completed_slot"
        case lastRun = "last_run"
        case lastSuccess = "last_success"
        case runsTotal = "runs_total"
        case failuresTotal = "failures_total"
        case skippedTotal = "skipped_total"
    }

    /// Reads states written by earlier versions too (no counters, no last success).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lastCompletedSlot = try c.decodeIfPresent(Date.self, forKey: .lastCompletedSlot)
        lastRun = try c.decodeIfPresent(LastRun.self, forKey: .lastRun)
        lastSuccess = try c.decodeIfPresent(LastRun.self, forKey: .lastSuccess)
        runsTotal = try c.decodeIfPresent(Int.self, forKey: .runsTotal) ?? 0
        failuresTotal = try c.decodeIfPresent(Int.self, forKey: .failuresTotal) ?? 0
        skippedTotal = try c.decodeIfPresent(Int.self, forKey: .skippedTotal) ?? 0
    }

    /// Writes `skipped_total` only once a run was skipped, so a state without one keeps the bytes
    /// earlier versions wrote.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(lastCompletedSlot, forKey: .lastCompletedSlot)
        try c.encodeIfPresent(lastRun, forKey: .lastRun)
        try c.encodeIfPresent(lastSuccess, forKey: .lastSuccess)
        try c.encode(runsTotal, forKey: .runsTotal)
        try c.encode(failuresTotal, forKey: .failuresTotal)
        if skippedTotal > 0 { try c.encode(skippedTotal, forKey: .skippedTotal) }
    }
}

extension ReportState.LastRun {
    enum CodingKeys: String, CodingKey {
        case slot, trigger, outcome, error, duration
        case finishedAt = "finished_at"
        case failuresInARow = "failures_in_a_row"
        case rowsUsed = "rows_used"
        case rowsRejected = "rows_rejected"
        case skippedCondition = "skipped_condition"
    }
}

/// Per-report state files under the `state` folder (`NAME.json`), each written atomically
/// (temporary file, fsync, rename) so a crash never leaves a half-written state, and privately
/// (folder 0700, files 0600).
public struct StateStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The report's state; empty when there is none yet. A damaged file reads as empty rather than
    /// stopping the daemon (the next run rewrites it).
    public func load(_ report: String) -> ReportState {
        guard let data = FileManager.default.contents(atPath: path(report)) else { return ReportState() }
        return (try? Self.decoder.decode(ReportState.self, from: data)) ?? ReportState()
    }

    /// Writes the report's state atomically. The state folder is private: created 0700 (with its
    /// missing parents 0755), each file 0600, whatever the umask; no write follows a link in it.
    public func save(_ state: ReportState, for report: String) throws {
        let data = try Self.encoder.encode(state)
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: "\(report).json", bytes: Array(data))], intoFolderAt: directory,
            permissions: .private(in: directory))
    }

    /// Records a finished run: the outcome and the counters always, the completed slot when it
    /// succeeded (and was not a manual run at an arbitrary time).
    public func record(
        _ report: String, slot: Date, trigger: RunTrigger, error: String?, at finished: Date,
        duration: TimeInterval? = nil, rowsUsed: Int? = nil, rowsRejected: Int? = nil, skippedCondition: String? = nil
    ) throws -> ReportState {
        var state = load(report)
        let previousFailures = state.lastRun?.outcome == .failed ? state.lastRun?.failuresInARow ?? 0 : 0
        var run = ReportState.LastRun(
            slot: slot, trigger: trigger, outcome: error == nil ? .success : .failed, finishedAt: finished,
            error: error, failuresInARow: error == nil ? 0 : previousFailures + 1, duration: duration,
            rowsUsed: rowsUsed, rowsRejected: rowsRejected)
        run.skippedCondition = error == nil ? skippedCondition : nil
        if run.skippedCondition != nil { state.skippedTotal += 1 }
        state.lastRun = run
        state.runsTotal += 1
        if error == nil {
            state.lastSuccess = run
        } else {
            state.failuresTotal += 1
        }
        if error == nil, trigger != .manual, state.lastCompletedSlot.map({ slot > $0 }) ?? true {
            state.lastCompletedSlot = slot
        }
        try save(state, for: report)
        return state
    }

    func path(_ report: String) -> String { "\(directory)/\(report).json" }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}
