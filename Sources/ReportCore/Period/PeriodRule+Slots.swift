public import Foundation

/// Why a period cannot be reported on (`run --period`).
public struct PeriodError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Period {
    /// The kind, year and number a period name gives: `2026-11`, `2026-Q4`, `2026-H1`, `2026`,
    /// `2026-W48`, `2026-11-30`; nil when it is none of these.
    public static func parseName(_ text: String) -> (kind: PeriodRule.Every, year: Int, number: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        func digits(_ s: String, _ count: Int) -> Int? {
            guard s.count == count, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(s)
        }
        guard let first = parts.first, let year = digits(first, 4) else { return nil }
        switch parts.count {
        case 1: return (.year, year, 1)
        case 2:
            let p = parts[1].uppercased()
            if let month = digits(p, 2) { return (1...12).contains(month) ? (.month, year, month) : nil }
            guard let letter = p.first, let n = Int(p.dropFirst()), p.count >= 2, p.dropFirst().allSatisfy(\.isNumber)
            else { return nil }
            switch letter {
            case "Q": return (1...4).contains(n) ? (.quarter, year, n) : nil
            case "H": return (1...2).contains(n) ? (.half, year, n) : nil
            case "W": return p.count == 3 && (1...53).contains(n) ? (.week, year, n) : nil
            default: return nil
            }
        case 3:
            guard let day = Day(iso: text) else { return nil }
            return (.day, year, Int(day.daysSinceEpoch))
        default: return nil
        }
    }

    /// How to write a period of `kind`: "a month such as 2026-11".
    static func form(of kind: PeriodRule.Every) -> String {
        switch kind {
        case .day: return "a day such as 2026-11-30"
        case .week: return "an ISO week such as 2026-W48"
        case .month: return "a month such as 2026-11"
        case .quarter: return "a quarter such as 2026-Q4"
        case .half: return "a half-year such as 2026-H1"
        case .year: return "a year such as 2026"
        }
    }
}

extension PeriodRule {
    /// The period `text` names, of this rule's kind.
    /// - Throws: `PeriodError` for a name that is not a period, or one of another kind (naming the
    ///   right form, and the period of this kind around it).
    public func period(named text: String) throws(PeriodError) -> Period {
        guard let (kind, year, number) = Period.parseName(text) else {
            throw PeriodError(
                "'\(text)' is not a period: write 2026-11 (a month), 2026-Q4, 2026-H1, 2026, 2026-W48 or 2026-11-30 (a day)"
            )
        }
        guard kind == every else {
            // The period of this report's kind that contains the named one's last day, as an example.
            var other = PeriodRule(every: kind, dateColumn: dateColumn)
            other.weekStarts = weekStarts
            let named = other.period(year: year, number: number)
            let example = named.map { period(containing: $0.last).name }
            throw PeriodError(
                "'\(text)' is a \(kind.rawValue), but this report reports by \(every.rawValue): name \(Period.form(of: every))"
                    + (example.map { " (the \(every.rawValue) that contains the end of \(text) is \($0))" } ?? ""))
        }
        guard let period = period(year: year, number: number) else {
            throw PeriodError("\(year) has no ISO week \(number) (it has \(Period.isoWeeksIn(year: year)) weeks)")
        }
        return period
    }

    /// The first instant of local date `day` in `zone` (the transition when midnight is skipped).
    public static func startOfLocalDay(_ day: Day, in zone: TimeZone) -> Date {
        let wall = Int64(day.daysSinceEpoch) * 86400
        if let first = LocalClock.instants(ofLocal: wall, in: zone).first { return first }
        return LocalClock.transition(skipping: wall, in: zone) ?? Date(timeIntervalSince1970: TimeInterval(wall))
    }

    /// The slot whose run reports on `period` (`run --period`): with `covers: previous` the first
    /// slot on a date after the period whose period it is; with `current` the last slot inside
    /// it, or `now` while the period is still running. Never a slot after `now`.
    /// - Throws: `PeriodError` when no slot reports on it (naming the nearest periods that are
    ///   reported on), or when its slot is still to come.
    public func slot(reportingOn period: Period, schedule: Schedule, in zone: TimeZone, now: Date) throws(PeriodError)
        -> Date
    {
        let today = Self.localDay(of: now, in: zone)
        let window: Period  // the period in which the slots that report on `period` fall
        switch covers {
        case .previous: window = next(period)
        case .current:
            if period.range.contains(today) {
                return Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            }
            if period.first > today {
                throw PeriodError("\(period.name) has not begun yet (today is \(today) in \(zone.identifier))")
            }
            window = period
        }
        let windowStart = Self.startOfLocalDay(window.first, in: zone)
        let windowEnd = Self.startOfLocalDay(window.last.adding(1), in: zone)
        let found: Date?
        switch covers {
        case .previous:
            found = schedule.nextSlot(after: windowStart.addingTimeInterval(-1), in: zone).flatMap {
                $0 < windowEnd ? $0 : nil
            }
        case .current:
            found = schedule.previousSlot(before: windowEnd, in: zone).flatMap { $0 >= windowStart ? $0 : nil }
        }
        guard let slot = found else {
            var nearest: [String] = []
            if let before = schedule.previousSlot(before: windowStart, in: zone) {
                nearest.append(coveredPeriod(slotDay: Self.localDay(of: before, in: zone)).name)
            }
            if let after = schedule.nextSlot(after: windowEnd.addingTimeInterval(-1), in: zone) {
                nearest.append(coveredPeriod(slotDay: Self.localDay(of: after, in: zone)).name)
            }
            let where_ =
                covers == .previous
                ? "on \(window.first)…\(window.last), the dates whose slots report on it (covers: previous)"
                : "inside it (covers: current)"
            throw PeriodError(
                "no slot of the schedule reports on \(period.name): it has no slot \(where_)"
                    + (nearest.isEmpty
                        ? "" : "; the nearest periods it reports on are \(nearest.joined(separator: " and "))"))
        }
        if slot > now {
            throw PeriodError(
                "\(period.name) is reported on by the slot of \(SlotTime(date: slot, timeZone: zone).iso8601), which is still to come: a period is run once its slot has passed"
            )
        }
        return slot
    }

    /// What `validate` warns about in a valid rule with this schedule: with `covers: previous`, a
    /// slot on the last day of its period (it reports the period before), and a schedule that fires
    /// more often than the period (the same figures each time). Looks at the slots after `from`
    /// (at most two years, 3,000 slots).
    public func warnings(schedule: Schedule, in zone: TimeZone, from: Date) -> [String] {
        guard covers == .previous else { return [] }
        var out: [String] = []
        var lastDayShown = false
        var repeatShown = false
        var previousCovered: Period?
        var cursor = from
        let horizon = from.addingTimeInterval(2 * 366 * 86400)
        for _ in 0..<3000 {
            guard let slot = schedule.nextSlot(after: cursor, in: zone), slot < horizon else { break }
            cursor = slot
            let day = Self.localDay(of: slot, in: zone)
            let containing = period(containing: day)
            let covered = previous(containing)
            if every != .day, !lastDayShown, day == containing.last {
                lastDayShown = true
                out.append(
                    "the slot on \(day) falls on the last day of its \(every.rawValue) (\(containing.name)): with covers: previous it reports \(covered.name), the \(every.rawValue) before; for a report at the end of the period write covers: current, or schedule it on the first day after the period"
                )
            }
            if !repeatShown, covered == previousCovered {
                repeatShown = true
                out.append(
                    "the schedule fires more than once per \(every.rawValue) (twice for \(covered.name)): with covers: previous every run of a \(every.rawValue) reports the same period; schedule it once per \(every.rawValue), or write covers: current"
                )
            }
            previousCovered = covered
            if lastDayShown && repeatShown { break }
        }
        return out
    }
}
