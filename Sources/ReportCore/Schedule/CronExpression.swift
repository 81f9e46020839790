/// A parsed 5-field cron expression: minute, hour, day of month, month, day of week.
///
/// Each field accepts `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, and
/// (for month and day of week) three-letter English names. Day of week 7 is Sunday, like 0.
/// As in Vixie cron, when both day fields are restricted a day matches if either matches.
public struct CronExpression: Sendable, Hashable {
    public let source: String
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday.
    public let daysOfWeek: Set<Int>
    public let dayOfMonthRestricted: Bool
    public let dayOfWeekRestricted: Bool

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

    /// Parses five whitespace-separated fields.
    /// - Throws: `ScheduleError` with the offset of the bad field.
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
        for (i, (part, at)) in parts.enumerated() {
            sets.append(try parseField(part, fields[i], offset: at))
        }
        var dow = sets[4]
        if dow.remove(7) != nil { dow.insert(0) }
        return CronExpression(
            source: text.trimmingSpaces, minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3],
            daysOfWeek: dow, dayOfMonthRestricted: !parts[2].0.hasPrefix("*"),
            dayOfWeekRestricted: !parts[4].0.hasPrefix("*"))
    }

    private static func parseField(_ text: Substring, _ field: Field, offset: Int) throws(ScheduleError) -> Set<Int> {
        var result = Set<Int>()
        var itemOffset = offset
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            defer { itemOffset += item.count + 1 }
            func fail(_ why: String) -> ScheduleError {
                ScheduleError(offset: itemOffset, message: "\(field.name) field '\(item)': \(why)")
            }
            guard !item.isEmpty else { throw fail("empty list item") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw fail("more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw fail("the step after '/' must be a positive number") }
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
                guard let a = value(bounds[0], field) else { throw fail("'\(bounds[0])' is not a valid \(field.name)") }
                low = a
                if bounds.count == 2 {
                    guard let b = value(bounds[1], field) else {
                        throw fail("'\(bounds[1])' is not a valid \(field.name)")
                    }
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

    private static func value(_ text: Substring, _ field: Field) -> Int? {
        if let n = Int(text) { return n }
        if let i = field.names.firstIndex(of: text.lowercased()) { return i + field.range.lowerBound }
        return nil
    }

    /// Whether a local calendar day matches the day-of-month, month and day-of-week fields.
    public func matches(month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): return daysOfMonth.contains(day)
        case (false, true): return daysOfWeek.contains(weekday)
        case (false, false): return true
        }
    }
}
