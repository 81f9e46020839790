/// A parsed 5-field cron expression: minute, hour, day of month, month, day of week.
///
/// Each field accepts `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (= `a-max/n`),
/// lists `a,b`, and (for month and day of week) three-letter English names in any case. Day of
/// week 7 is Sunday, like 0. Beyond Vixie cron, for month-end reports: `L` (the month's last day)
/// and `LW` (its last weekday) in day of month, `5L` (the month's last Friday) and `1#2` or
/// `mon#2` (its second Monday) in day of week; they stand alone or in lists, never in ranges or
/// steps.
///
/// The day rule is Debian cron's (SPEC.md, "Scheduling semantics"): when both day fields are
/// restricted a day matches if either matches; when one of them starts with `*` (as `*/2` does)
/// both must match.
public struct CronExpression: Sendable, Hashable {
    public let source: String
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    public let daysOfWeek: Set<Int>
    /// `L` in day of month: the month's last day.
    public let lastDayOfMonth: Bool
    /// `LW` in day of month: the month's last weekday (Monday to Friday).
    public let lastWeekdayOfMonth: Bool
    /// `5L` in day of week: the month's last Friday (0 = Sunday … 6 = Saturday).
    public let lastWeekdaysOfMonth: Set<Int>
    /// `1#2` in day of week: the month's second Monday.
    public let nthWeekdaysOfMonth: Set<NthWeekday>
    /// The day-of-month field's text does not start with `*`.
    public let dayOfMonthRestricted: Bool
    /// The day-of-week field's text does not start with `*`.
    public let dayOfWeekRestricted: Bool
    /// The minute or the hour field starts with `*`: such a schedule follows elapsed time and runs on
    /// both passes of a repeated hour; a fixed-time one runs on the first pass only (Debian cron).
    public let followsElapsedTime: Bool

    /// The `n`th `weekday` (0 = Sunday) of a month, n in 1…5.
    public struct NthWeekday: Sendable, Hashable {
        public let weekday: Int
        public let n: Int
    }

    struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]  // index + range.lowerBound = value
    }

    static let fields = [
        Field(name: "minute", range: 0...59, names: []),
        Field(name: "hour", range: 0...23, names: []),
        Field(name: "day of month", range: 1...31, names: []),
        Field(
            name: "month", range: 1...12,
            names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        Field(name: "day of week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    /// What a day field holds beyond plain values.
    struct DaySpecials {
        var last = false
        var lastWeekday = false
        var lastOf: Set<Int> = []
        var nth: Set<NthWeekday> = []
    }

    /// Parses five whitespace-separated fields.
    /// - Throws: `ScheduleError` with the offset of the bad field, also for a schedule that can never
    ///   fire (`0 0 30 2 *`), checked over the 400-year Gregorian cycle.
    public static func parse(_ text: String) throws(ScheduleError) -> CronExpression {
        var parts: [(Substring, Int)] = []
        var index = text.startIndex
        var offset = 0
        while index < text.endIndex {
            while index < text.endIndex, text[index] == " " || text[index] == "\t" {
                index = text.index(after: index)
                offset += 1
            }
            guard index < text.endIndex else { break }
            let start = index
            let startOffset = offset
            while index < text.endIndex, text[index] != " ", text[index] != "\t" {
                index = text.index(after: index)
                offset += 1
            }
            parts.append((text[start..<index], startOffset))
        }
        guard parts.count == 5 else {
            throw ScheduleError(
                offset: 0,
                message:
                    "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), '\(text)' has \(parts.count)"
            )
        }
        var sets: [Set<Int>] = []
        var specials = DaySpecials()
        for (i, (part, at)) in parts.enumerated() {
            sets.append(try parseField(part, fields[i], offset: at, specials: &specials))
        }
        var dow = sets[4]
        if dow.remove(7) != nil { dow.insert(0) }
        let cron = CronExpression(
            source: text.trimmingSpaces, minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3],
            daysOfWeek: dow, lastDayOfMonth: specials.last, lastWeekdayOfMonth: specials.lastWeekday,
            lastWeekdaysOfMonth: specials.lastOf, nthWeekdaysOfMonth: specials.nth,
            dayOfMonthRestricted: !parts[2].0.hasPrefix("*"), dayOfWeekRestricted: !parts[4].0.hasPrefix("*"),
            followsElapsedTime: parts[0].0.hasPrefix("*") || parts[1].0.hasPrefix("*"))
        if cron.firstFiringMonth(fromYear: 2000) == nil {
            throw cron.neverFires(dayOfMonth: parts[2], dayOfWeek: parts[4], month: parts[3])
        }
        return cron
    }

    /// The error for a schedule that never fires, naming the field at fault.
    private func neverFires(
        dayOfMonth: (Substring, Int), dayOfWeek: (Substring, Int), month: (Substring, Int)
    ) -> ScheduleError {
        let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let dayAlone =
            lastDayOfMonth || lastWeekdayOfMonth
            || months.contains { m in daysOfMonth.contains { $0 <= longest[m - 1] } }
        if !dayAlone {
            return ScheduleError(
                offset: dayOfMonth.1,
                message:
                    "day of month field '\(dayOfMonth.0)': no month of the month field '\(month.0)' has that day, so the schedule never fires"
            )
        }
        return ScheduleError(
            offset: dayOfMonth.1,
            message:
                "day of month field '\(dayOfMonth.0)' and day of week field '\(dayOfWeek.0)' must both match (one starts with '*') and never fall on the same day in the months '\(month.0)', checked over the 400-year calendar cycle: the schedule never fires"
        )
    }

    private static func parseField(
        _ text: Substring, _ field: Field, offset: Int, specials: inout DaySpecials
    ) throws(ScheduleError) -> Set<Int> {
        var result = Set<Int>()
        var itemOffset = offset
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            defer { itemOffset += item.count + 1 }
            func fail(_ why: String) -> ScheduleError {
                ScheduleError(offset: itemOffset, message: "\(field.name) field '\(item)': \(why)")
            }
            guard !item.isEmpty else { throw fail("empty list item") }
            if item.contains("?") {
                throw fail("'?' (Quartz's \"no specific value\") is not cron: write '*'")
            }
            let upper = item.uppercased()
            if field.name == "day of month", upper.contains("L") || upper.contains("W") {
                if upper == "L" {
                    specials.last = true
                } else if upper == "LW" {
                    specials.lastWeekday = true
                } else {
                    throw fail(dayOfMonthHint(upper))
                }
                continue
            }
            if field.name == "day of week" {
                if upper.contains("#") {
                    guard !upper.contains("-"), !upper.contains("/") else {
                        throw fail("'#' stands alone or in a list, not in a range or step (write 1#2,3#2)")
                    }
                    let halves = upper.split(separator: "#", omittingEmptySubsequences: false)
                    guard halves.count == 2, let weekday = value(halves[0], field), field.range.contains(weekday)
                    else {
                        throw fail("'#' follows a weekday: 1#2 or mon#2 is the month's second Monday")
                    }
                    guard let n = digits(halves[1]), (1...5).contains(n) else {
                        throw fail("'#' takes 1 to 5 (mon#5 is the fifth Monday, in the months that have one)")
                    }
                    specials.nth.insert(NthWeekday(weekday: weekday % 7, n: n))
                    continue
                }
                if upper.hasSuffix("L") {
                    guard !upper.contains("-"), !upper.contains("/") else {
                        throw fail("'L' stands alone or in a list, not in a range or step (write 1L,5L)")
                    }
                    guard upper.count > 1, let weekday = value(upper.dropLast(), field), field.range.contains(weekday)
                    else {
                        throw fail(
                            "'L' in day of week follows a weekday: 5L is the month's last Friday (the month's last day is L in day of month)"
                        )
                    }
                    specials.lastOf.insert(weekday % 7)
                    continue
                }
            }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = digits(pieces[1]), s > 0 else {
                    throw fail("the step after '/' must be a positive number")
                }
                step = s
            }
            let base = pieces[0]
            var low: Int
            var high: Int
            if base == "*" {
                low = field.range.lowerBound
                high = field.name == "day of week" ? 6 : field.range.upperBound
            } else {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw fail("a range has one '-'") }
                guard let a = value(bounds[0], field) else { throw fail(notAValue(bounds[0], field)) }
                low = a
                if bounds.count == 2 {
                    guard let b = value(bounds[1], field) else { throw fail(notAValue(bounds[1], field)) }
                    high = b
                } else {
                    high = pieces.count == 2 ? field.range.upperBound : a
                }
                for v in [low, high] where !field.range.contains(v) {
                    throw fail("\(v) is out of range \(field.range.lowerBound)-\(field.range.upperBound)")
                }
                guard low <= high else { throw fail("the range runs backwards (\(low) > \(high))") }
            }
            for v in stride(from: low, through: high, by: step) { result.insert(v) }
        }
        return result
    }

    /// Why a day-of-month item with `L` or `W` other than `L` and `LW` is refused.
    private static func dayOfMonthHint(_ item: String) -> String {
        if item.hasPrefix("L-") {
            return "offsets from the month's last day (L-3) are not supported: use L (the last day) or LW (the last weekday)"
        }
        if item.hasPrefix("L/") || item.hasPrefix("LW/") || item.contains("/") {
            return "'L' and 'LW' take no step: write L, LW, or a list such as 15,L"
        }
        if item.contains("-") {
            return "'L' and 'LW' stand alone or in a list, not in a range (write 1-5,L)"
        }
        if item.hasSuffix("W") {
            return "the nearest weekday to a day (15W) is not supported: only LW (the month's last weekday)"
        }
        return "'\(item)' is not a day: write a number 1-31, L (the last day) or LW (the last weekday)"
    }

    private static func notAValue(_ text: Substring, _ field: Field) -> String {
        if text.first == "+" { return "'\(text)' is not a valid \(field.name): write the number without '+'" }
        return "'\(text)' is not a valid \(field.name)"
    }

    /// A number written in ASCII digits only (`Int("+5")` would accept a sign).
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    private static func value(_ text: Substring, _ field: Field) -> Int? {
        if let n = digits(text) { return n }
        if let i = field.names.firstIndex(of: text.lowercased()) { return i + field.range.lowerBound }
        return nil
    }

    /// Whether a local calendar day matches the day-of-month, month and day-of-week fields.
    /// - Parameter weekday: 0 = Sunday … 6 = Saturday.
    public func matches(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        return dayMatches(day: day, weekday: weekday, length: Day.daysInMonth(year: year, month: month))
    }

    /// The day rule within a month of `length` days.
    func dayMatches(day: Int, weekday: Int, length: Int) -> Bool {
        var dom = daysOfMonth.contains(day) || (lastDayOfMonth && day == length)
        if lastWeekdayOfMonth, !dom, day >= length - 2 {
            // The last weekday: the last day, or the Friday before a month ending on a weekend.
            let lastWeekday = (weekday + length - day) % 7
            let target = lastWeekday == 0 ? length - 2 : lastWeekday == 6 ? length - 1 : length
            dom = day == target
        }
        var dow = daysOfWeek.contains(weekday) || (day + 7 > length && lastWeekdaysOfMonth.contains(weekday))
        if !dow, !nthWeekdaysOfMonth.isEmpty {
            dow = nthWeekdaysOfMonth.contains(NthWeekday(weekday: weekday, n: (day + 6) / 7))
        }
        if dayOfMonthRestricted && dayOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    /// The first month (as year and month) at or after January of `year` with a day that matches,
    /// within one 400-year Gregorian cycle (after which weekdays and leap years repeat); nil when
    /// the expression never fires.
    func firstFiringMonth(fromYear year: Int) -> (year: Int, month: Int)? {
        let monthList = months.sorted()
        for y in year..<(year + 400) {
            for month in monthList {
                let length = Day.daysInMonth(year: y, month: month)
                guard let first = Day(year: y, month: month, day: 1) else { continue }
                let firstWeekday = Self.weekday(of: first.daysSinceEpoch)
                for d in 1...length where dayMatches(day: d, weekday: (firstWeekday + d - 1) % 7, length: length) {
                    return (y, month)
                }
            }
        }
        return nil
    }

    /// 0 = Sunday; 1970-01-01 was a Thursday.
    static func weekday(of daysSinceEpoch: Int32) -> Int {
        Int((Int64(daysSinceEpoch) % 7 + 7 + 4) % 7)
    }
}
