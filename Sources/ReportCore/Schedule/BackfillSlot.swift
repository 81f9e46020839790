public import Foundation

/// The slot a `run --slot` backfill names, or why it is refused (SPEC.md, "Commands", and issue
/// 12): a backfill reruns one past slot of the report's schedule, never a future time nor a time
/// the schedule does not name, since either would become the report's newest run and silence the
/// schedule up to it.
public enum BackfillSlot {
    public enum Resolution: Sendable, Equatable {
        case slot(Date)
        /// Why the text names no slot to run; said on standard error, exit status 2.
        case refused(String)
        /// The text is not a time.
        case notATime
    }

    /// Resolves `text` (`2026-11-23T06:00`, with seconds or an offset, or a plain date
    /// `2026-11-23`) against `schedule` in `zone`.
    public static func resolve(_ text: String, schedule: Schedule, zone: TimeZone, now: Date) -> Resolution {
        guard let parsed = LocalTime.components(text) else { return .notATime }
        func show(_ date: Date) -> String { SlotTime(date: date, timeZone: zone).iso8601 }
        func showBoth(_ date: Date) -> String {
            "\(show(date)) (\(SlotTime(date: date, timeZone: TimeZone(identifier: "UTC")!).iso8601.dropLast(6))Z)"
        }
        func nearest(_ date: Date) -> String {
            let before = schedule.previousSlot(before: date, in: zone)
            let after = schedule.nextSlot(after: date, in: zone)
            var parts: [String] = []
            if let before { parts.append("\(show(before)) before") }
            if let after { parts.append("\(show(after)) after") }
            return parts.isEmpty ? "the schedule names no slot" : "the nearest slots are " + parts.joined(separator: " and ")
        }
        let what = "'\(schedule)' in \(zone.identifier)"
        let date: Date
        if parsed.dateOnly {
            // The day's slots: from the local day's first instant to the next day's.
            let dayStart = parsed.wall
            let first =
                LocalClock.instants(ofLocal: dayStart, in: zone).first
                ?? LocalClock.transition(skipping: dayStart, in: zone) ?? Date(timeIntervalSince1970: TimeInterval(dayStart))
            var slots: [Date] = []
            var cursor = first.addingTimeInterval(-1)
            while slots.count <= 24, let next = schedule.nextSlot(after: cursor, in: zone),
                LocalClock.wall(of: next, in: zone) < dayStart + 86400
            {
                slots.append(next)
                cursor = next
            }
            guard slots.count == 1 else {
                if slots.isEmpty {
                    return .refused("\(text) has no slot of \(what); \(nearest(first))")
                }
                let listed = slots.prefix(24).map(show).joined(separator: ", ") + (slots.count > 24 ? ", …" : "")
                return .refused(
                    "\(text) has \(slots.count > 24 ? "more than 24" : String(slots.count)) slots of \(what): \(listed); name one with its time")
            }
            date = slots[0]
        } else if let offset = parsed.offset {
            date = Date(timeIntervalSince1970: TimeInterval(parsed.wall - Int64(offset)))
        } else {
            let instants = LocalClock.instants(ofLocal: parsed.wall, in: zone)
            if instants.count > 1 {
                return .refused(
                    "\(text) happens twice in \(zone.identifier) (the clocks go back): \(instants.map(showBoth).joined(separator: " and ")); add the offset to say which"
                )
            }
            // A local time the clocks skip: its slots run at the transition.
            date =
                instants.first ?? LocalClock.transition(skipping: parsed.wall, in: zone)
                ?? Date(timeIntervalSince1970: TimeInterval(parsed.wall))
        }
        if date > now {
            var message = "\(text) (\(show(date))) is in the future: a backfill reruns a past slot"
            if let last = schedule.previousSlot(before: now.addingTimeInterval(1), in: zone) {
                message += "; the latest past slot is \(show(last))"
            }
            if let next = schedule.nextSlot(after: now, in: zone) { message += ", the next is \(show(next))" }
            return .refused(message)
        }
        guard schedule.isSlot(date, in: zone) else {
            return .refused("\(text) (\(show(date))) is not a slot of \(what); \(nearest(date))")
        }
        return .slot(date)
    }
}
