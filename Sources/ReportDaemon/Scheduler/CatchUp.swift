public import Foundation
public import ReportCore

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
        // Only the newest `limit` missed slots can run, so the walk starts near `now` and reaches
        // back (doubling) only until it has found more than that, or `lastCompleted`: a report
        // scheduled every second and down for months is not walked slot by slot since then.
        var reach: TimeInterval = 3600
        var missed: [Date] = []
        while true {
            let start = max(lastCompleted, now.addingTimeInterval(-reach))
            var found = 0
            missed = []
            var cursor = start
            while let next = schedule.nextSlot(after: cursor, in: timeZone), next <= now {
                missed.append(next)
                found += 1
                if missed.count > limit { missed.removeFirst() }
                cursor = next
            }
            if found > limit || start == lastCompleted { break }
            reach *= 2
        }
        switch policy {
        case .none: return []
        case .once: return missed.suffix(1)
        case .all: return Array(missed.suffix(limit))
        }
    }
}
