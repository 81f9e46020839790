public import Foundation

/// When a report runs: a 5-field cron expression, an @-macro, or a fixed interval.
public enum Schedule: Sendable, Hashable, CustomStringConvertible {
    case cron(CronExpression)
    /// `every N{s,m,h}`: slots at multiples of the interval (which divides a day), counted from
    /// local standard-time midnight.
    case every(seconds: Int)

    /// Parses a schedule as SPEC.md writes it.
    /// - Throws: `ScheduleError` naming the offending field and its offset in the text.
    public static func parse(_ text: String) throws(ScheduleError) -> Schedule {
        let trimmed = text.trimmingSpaces
        if trimmed.hasPrefix("@") {
            let macros = [
                "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
            ]
            guard let expansion = macros[trimmed] else {
                throw ScheduleError(
                    offset: 0,
                    message: "unknown macro '\(trimmed)' (use @hourly, @daily, @weekly, @monthly or @yearly)")
            }
            return .cron(try CronExpression.parse(expansion))
        }
        if trimmed.hasPrefix("every") {
            // Offsets count from `text`, leading blanks included.
            let lead = text.prefix { $0 == " " || $0 == "\t" }.count
            do {
                return try parseEvery(trimmed)
            } catch {
                throw ScheduleError(offset: lead + error.offset, message: error.message)
            }
        }
        return .cron(try CronExpression.parse(text))
    }

    private static func parseEvery(_ text: String) throws(ScheduleError) -> Schedule {
        let rest = text.dropFirst("every".count).trimmingSpaces
        guard let unit = rest.last, let n = Int(rest.dropLast()), n > 0 else {
            throw ScheduleError(
                offset: min(6, text.count),
                message: "'\(text)' is not an interval: write 'every' then a number and s, m or h (e.g. every 15m)")
        }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        default:
            throw ScheduleError(offset: text.count - 1, message: "unknown interval unit '\(unit)': use s, m or h")
        }
        // `every 9999999999999999h` overflows: longer than a year, like any interval past it.
        let (seconds, overflow) = n.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= 366 * 86400 else {
            throw ScheduleError(offset: 6, message: "interval '\(rest)' is longer than a year: use a cron expression")
        }
        guard 86400 % seconds == 0 else {
            throw ScheduleError(
                offset: 6,
                message:
                    "interval '\(rest)' does not divide a day, so its runs would drift off the midnight grid: \(nearestIntervals(to: seconds, unit: scale))"
            )
        }
        return .every(seconds: seconds)
    }

    /// The intervals nearest to `seconds` that divide a day, in the unit the user wrote.
    private static func nearestIntervals(to seconds: Int, unit: Int) -> String {
        let name = [1: "s", 60: "m", 3600: "h"][unit] ?? "s"
        let divisors = (1...(86400 / unit)).filter { (86400 / unit) % $0 == 0 }.map { $0 * unit }
        let below = divisors.last { $0 < seconds }
        let above = divisors.first { $0 > seconds }
        let choices = [below, above].compactMap { $0 }.map { "every \($0 / unit)\(name)" }
        var text = "use " + choices.joined(separator: " or ")
        if above == nil { text += ", or a cron expression for runs further apart" }
        return text
    }

    /// What `validate` warns about in a schedule that is valid: a day rule that is probably not the
    /// one meant (`L * mon-fri`), and `every N` of two hours or more in a zone with daylight saving.
    public func warnings(in timeZone: TimeZone) -> [String] {
        switch self {
        case .cron(let cron):
            guard cron.dayOfMonthRestricted, cron.dayOfWeekRestricted, cron.lastDayOfMonth
            else { return [] }
            return [
                "'\(cron.source)': both day fields are restricted, so a day matches either (the month's last day OR the day of week); for the month's last weekday write LW in day of month and * in day of week"
            ]
        case .every(let seconds):
            guard seconds >= 7200, timeZone.nextDaylightSavingTimeTransition(after: Date()) != nil else { return [] }
            let hours = seconds / 3600
            let cron =
                seconds % 3600 == 0 && 24 % hours == 0 ? "0 */\(hours) * * *" : "a cron expression such as 0 6,18 * * *"
            return [
                "'\(self)' counts from standard-time midnight in \(timeZone.identifier), which has daylight saving: its runs shift by an hour on the local clock in summer; for fixed local times write \(cron)"
            ]
        }
    }

    public var description: String {
        switch self {
        case .cron(let c): return c.source
        case .every(let s):
            if s % 3600 == 0 { return "every \(s / 3600)h" }
            if s % 60 == 0 { return "every \(s / 60)m" }
            return "every \(s)s"
        }
    }
}

/// A problem in a schedule, at an offset within its text.
public struct ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { message }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
