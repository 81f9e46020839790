/// What a report reports on (`period:`, `compare:`, `cumulative:`): the kind of period, the date
/// column that places each row in one, which period a slot covers, and the extra ranges.
///
/// Pure: every range is a function of (slot, zone, rule); see `PeriodRule+Slot.swift`.
public struct PeriodRule: Sendable, Hashable {
    /// The length of a period.
    public enum Every: String, Sendable, CaseIterable {
        case day, week, month, quarter, half, year

        /// Months in one period, for the month-based kinds; nil for day and week.
        public var months: Int? {
            switch self {
            case .day, .week: return nil
            case .month: return 1
            case .quarter: return 3
            case .half: return 6
            case .year: return 12
            }
        }
    }

    /// Which period a slot covers.
    public enum Covers: String, Sendable, CaseIterable {
        /// The latest period whose last day is before the slot's local date.
        case previous
        /// The period that contains the slot's local date, from its first day to that date.
        case current
    }

    /// The day a week starts on; ISO numbering 1 (Monday) to 7 (Sunday).
    public enum Weekday: String, Sendable, CaseIterable {
        case monday, tuesday, wednesday, thursday, friday, saturday, sunday

        public var isoNumber: Int { Weekday.allCases.firstIndex(of: self)! + 1 }
    }

    /// A compared period (`compare:`).
    public enum Comparison: String, Sendable, CaseIterable {
        case previousPeriod = "previous_period"
        case samePeriodLastYear = "same_period_last_year"
    }

    /// A cumulative range (`cumulative:`).
    public enum Cumulative: String, Sendable, CaseIterable {
        case yearToDate = "year_to_date"
    }

    public var every: Every
    /// A date column of the dataset.
    public var dateColumn: String
    public var covers: Covers = .previous
    /// 1 (calendar periods) to 28; only for month and longer periods.
    public var cutoffDay: Int = 1
    public var weekStarts: Weekday = .monday
    public var compare: [Comparison] = []
    public var cumulative: Cumulative?

    public init(every: Every, dateColumn: String) {
        self.every = every
        self.dateColumn = dateColumn
    }

    /// The period of this rule's kind that contains `day`.
    public func period(containing day: Day) -> Period {
        switch every {
        case .day:
            return Period(kind: .day, year: day.components.year, number: Int(day.daysSinceEpoch), first: day, last: day)
        case .week:
            let offset = (Period.isoWeekday(day) - weekStarts.isoNumber + 7) % 7
            let start = day.adding(-offset)
            let (weekYear, week) = Period.isoWeek(of: start.adding(3))
            return Period(kind: .week, year: weekYear, number: week, first: start, last: start.adding(6))
        case .month, .quarter, .half, .year:
            let length = every.months!
            var (year, month, d) = day.components
            if cutoffDay > 1, d >= cutoffDay {
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
            }
            return monthPeriod(year: year, number: (month - 1) / length + 1)
        }
    }

    /// The period `number` (month 1–12, quarter 1–4, half 1–2, year 1, ISO week 1–53) of `year`;
    /// for days, `number` is the day's days since the epoch. Nil when it does not exist (week 53 of
    /// a year without one).
    public func period(year: Int, number: Int) -> Period? {
        switch every {
        case .day:
            return period(containing: Day(daysSinceEpoch: Int32(number)))
        case .week:
            guard number >= 1, number <= Period.isoWeeksIn(year: year) else { return nil }
            // The Monday of ISO week `number`, then the week's 4th day within it.
            guard let jan4 = Day(year: year, month: 1, day: 4) else { return nil }
            let monday1 = jan4.adding(-(Period.isoWeekday(jan4) - 1))
            let fourthWeekday = (weekStarts.isoNumber + 3 - 1) % 7 + 1
            let fourth = monday1.adding(7 * (number - 1) + fourthWeekday - 1)
            return period(containing: fourth.adding(-3))
        case .month, .quarter, .half, .year:
            guard number >= 1, number <= 12 / every.months! else { return nil }
            return monthPeriod(year: year, number: number)
        }
    }

    private func monthPeriod(year: Int, number: Int) -> Period {
        let length = every.months!
        let lastMonth = number * length
        let firstMonth = lastMonth - length + 1
        let first: Day
        let last: Day
        if cutoffDay > 1 {
            let (fy, fm) = firstMonth == 1 ? (year - 1, 12) : (year, firstMonth - 1)
            first = Day(year: fy, month: fm, day: cutoffDay)!
            last = Day(year: year, month: lastMonth, day: cutoffDay - 1)!
        } else {
            first = Day(year: year, month: firstMonth, day: 1)!
            last = Day(year: year, month: lastMonth, day: Day.daysInMonth(year: year, month: lastMonth))!
        }
        return Period(kind: every, year: year, number: number, first: first, last: last)
    }

    /// The period before `period`.
    public func previous(_ period: Period) -> Period {
        self.period(containing: period.first.adding(-1))
    }

    /// The period after `period`.
    public func next(_ period: Period) -> Period {
        self.period(containing: period.last.adding(1))
    }

    /// The same period of the year before: the same number (week 53 becomes 52 when that year has
    /// none); for a day, the same date (29 February: 28 February).
    public func samePeriodLastYear(_ period: Period) -> Period {
        switch every {
        case .day:
            let (y, m, d) = period.first.components
            let day = Day(year: y - 1, month: m, day: min(d, Day.daysInMonth(year: y - 1, month: m)))!
            return self.period(containing: day)
        case .week:
            return self.period(year: period.year - 1, number: period.number)
                ?? self.period(year: period.year - 1, number: period.number - 1)!
        case .month, .quarter, .half, .year:
            return self.period(year: period.year - 1, number: period.number)!
        }
    }

    /// The first day of the year `period` belongs to, with this rule's cut-off (for weeks, the
    /// first week of its ISO week-year; for days, 1 January).
    public func yearStart(of period: Period) -> Day {
        switch every {
        case .day: return Day(year: period.year, month: 1, day: 1)!
        case .week: return self.period(year: period.year, number: 1)!.first
        case .month, .quarter, .half, .year:
            var yearRule = self
            yearRule.every = .year
            return yearRule.period(year: period.year, number: 1)!.first
        }
    }
}

/// One period: its kind, its year (the ISO week-year for weeks; with a cut-off, the year of the
/// month it ends in), its number within the year, and its first and last local dates.
public struct Period: Sendable, Hashable, CustomStringConvertible {
    public var kind: PeriodRule.Every
    public var year: Int
    /// Month 1–12, quarter 1–4, half 1–2, year 1, ISO week 1–53; for a day, its days since the epoch.
    public var number: Int
    public var first: Day
    public var last: Day

    public var range: DateRange { DateRange(start: first, end: last) }

    /// The name `run --period` takes: `2026-11`, `2026-Q4`, `2026-H1`, `2026`, `2026-W48`, `2026-11-30`.
    public var name: String {
        switch kind {
        case .day: return first.description
        case .week: return "\(Period.pad(year, 4))-W\(Period.pad(number, 2))"
        case .month: return "\(Period.pad(year, 4))-\(Period.pad(number, 2))"
        case .quarter: return "\(Period.pad(year, 4))-Q\(number)"
        case .half: return "\(Period.pad(year, 4))-H\(number)"
        case .year: return Period.pad(year, 4)
        }
    }

    public var description: String { name }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// ISO weekday, 1 (Monday) to 7 (Sunday).
    static func isoWeekday(_ day: Day) -> Int {
        // 1970-01-01 was a Thursday (4).
        let d = Int(day.daysSinceEpoch)
        return ((d + 3) % 7 + 7) % 7 + 1
    }

    /// The ISO week-year and week number of `day`.
    static func isoWeek(of day: Day) -> (year: Int, week: Int) {
        let thursday = day.adding(4 - isoWeekday(day))
        let year = thursday.components.year
        let jan1 = Day(year: year, month: 1, day: 1)!
        return (year, Int(thursday.daysSinceEpoch - jan1.daysSinceEpoch) / 7 + 1)
    }

    /// 52 or 53.
    static func isoWeeksIn(year: Int) -> Int {
        guard let dec28 = Day(year: year, month: 12, day: 28) else { return 52 }
        return isoWeek(of: dec28).week
    }
}

/// Local dates from `start` to `end`, both inclusive.
public struct DateRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Day
    public var end: Day

    public init(start: Day, end: Day) {
        self.start = start
        self.end = end
    }

    public func contains(_ day: Day) -> Bool { day >= start && day <= end }

    /// Days in the range (0 when `end` is before `start`).
    public var dayCount: Int { max(0, Int(end.daysSinceEpoch - start.daysSinceEpoch) + 1) }

    public var description: String { "\(start)…\(end)" }
}

extension Day {
    /// The date `days` later (earlier when negative).
    public func adding(_ days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + Int32(days)) }

    /// The same day of the month `months` earlier (later when negative), clipped to that month's
    /// last day.
    public func movedBack(months: Int) -> Day {
        let (y, m, d) = components
        let index = y * 12 + (m - 1) - months
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        let month = index - year * 12 + 1
        return Day(year: year, month: month, day: min(d, Day.daysInMonth(year: year, month: month)))!
    }
}
