import Foundation
import ReportIO

/// What the daemon remembers about one report between runs and restarts.
public struct ReportState: Codable, Sendable, Equatable {
    /// The last slot that completed successfully: it is never run again, and catch-up counts
    /// missed slots from it.
    public var lastCompletedSlot: Date?
    public var lastRun: LastRun?

    public struct LastRun: Codable, Sendable, Equatable {
        public var slot: Date
        public var trigger: String
        public var outcome: String
        public var finishedAt: Date
        public var error: String?
        /// Failed attempts in a row for this report.
        public var failuresInARow: Int
    }

    public init(lastCompletedSlot: Date? = nil, lastRun: LastRun? = nil) {
        self.lastCompletedSlot = lastCompletedSlot
        self.lastRun = lastRun
    }

    enum CodingKeys: String, CodingKey {
        case lastCompletedSlot = "last_completed_slot"
        case lastRun = "last_run"
    }
}

extension ReportState.LastRun {
    enum CodingKeys: String, CodingKey {
        case slot, trigger, outcome, error
        case finishedAt = "finished_at"
        case failuresInARow = "failures_in_a_row"
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
        try Publisher(root: directory, permissions: .private)
            .publish(files: [Publisher.File(name: "\(report).json", bytes: Array(data))])
    }

    /// Records a finished run: the outcome always, the completed slot when it succeeded.
    public func record(_ report: String, slot: Date, trigger: String, error: String?, at finished: Date) throws
        -> ReportState
    {
        var state = load(report)
        let previousFailures = state.lastRun?.outcome == "failed" ? state.lastRun?.failuresInARow ?? 0 : 0
        state.lastRun = ReportState.LastRun(
            slot: slot, trigger: trigger, outcome: error == nil ? "success" : "failed", finishedAt: finished,
            error: error,
            failuresInARow: error == nil ? 0 : previousFailures + 1)
        if error == nil, trigger != "manual", state.lastCompletedSlot.map({ slot > $0 }) ?? true {
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
