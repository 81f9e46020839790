public import Foundation
public import ReportCore

extension StatusReport {
    /// The slot that is overdue, or nil: the first slot after the last completed one, when it is
    /// more than its grace in the past (`overdueGrace`, or the report's timeout plus a minute when
    /// that is longer). The one rule `status` and the daemon's overdue notices share; a report that
    /// never completed a slot, or that is running, is not overdue.
    public static func overdueSlot(
        schedule: Schedule, zone: TimeZone, timeout: Int?, lastCompleted: Date?, now: Date
    ) -> Date? {
        guard let last = lastCompleted, let due = schedule.nextSlot(after: last, in: zone) else { return nil }
        let grace = max(overdueGrace, TimeInterval(timeout ?? 0) + 60)
        return due.addingTimeInterval(grace) < now ? due : nil
    }
}
