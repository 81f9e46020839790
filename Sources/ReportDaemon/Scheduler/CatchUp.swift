import Foundation
import ReportCore

/// Which missed slots run when the daemon starts after downtime.
public enum CatchUp {
    /// The most `all` ever runs at once: a report that was down for a year must not run 8,760 times.
    public static let limit = 24

    /// The slots after `lastCompleted` and up to `now` that the policy runs, oldest first.
    ///
    /// No state (a report never run) catches nothing up: its first run is its next slot.
    public static func slots(
        _ schedule: Schedule, in timeZone: TimeZone, lastCompleted: Date?, now: Date, policy: ReportDefinition.CatchUp
    ) -> [Date] {
        guard let lastCompleted, policy != .none else { return [] }
        var missed: [Date] = []
        var cursor = lastCompleted
        while let next = schedule.nextSlot(after: cursor, in: timeZone), next <= now {
            missed.append(next)
            if missed.count > limit { missed.removeFirst() }
            cursor = next
        }
        switch policy {
        case .none: return []
        case .once: return missed.suffix(1)
        case .all: return Array(missed.suffix(limit))
        }
    }
}
