public import Foundation

/// The date ranges of one run of a report with `period:`: the period it covers, the compared
/// periods and the year to date, each with its label.
public struct RunPeriod: Sendable, Hashable {
    /// A compared range (`compare:`).
    public struct Compared: Sendable, Hashable {
        public var kind: PeriodRule.Comparison
        public var period: Period
        /// The compared period, or under `covers: current` its same elapsed slice.
        public var range: DateRange
    }

    public var rule: PeriodRule
    /// The slot's local date.
    public var slotDay: Day
    public var period: Period
    /// The period's range; under `covers: current` it ends on the slot's date.
    public var range: DateRange
    public var compared: [Compared]
    /// From the first day of the period's year to the range's end (`cumulative: year_to_date`).
    public var yearToDate: DateRange?

    /// Every range of the run, the period's first: what a source must read.
    public var ranges: [DateRange] { [range] + compared.map(\.range) + (yearToDate.map { [$0] } ?? []) }

    /// Whether the label is followed by the dates (a cut-off day, or `covers: current`).
    public var showsDates: Bool { rule.cutoffDay > 1 || rule.covers == .current }

    /// "Tháng 11/2026", "November 2026", followed by the dates where `showsDates`.
    public func label(locale: String?) -> String {
        PeriodLabel.label(period, range: showsDates ? range : nil, locale: locale)
    }

    /// The label of a compared range.
    public func label(of compared: Compared, locale: String?) -> String {
        PeriodLabel.label(compared.period, range: showsDates ? compared.range : nil, locale: locale)
    }

    /// The year to date's label: "Lũy kế từ đầu năm (01/01/2026 – 30/11/2026)".
    public func yearToDateLabel(locale: String?) -> String? {
        yearToDate.map {
            PeriodLabel.cumulativeTitle(locale: locale) + " (" + PeriodLabel.dates($0, locale: locale) + ")"
        }
    }
}

extension PeriodRule {
    /// The local date of `slot` in `zone`: it decides the period, not the UTC date.
    public static func localDay(of slot: Date, in zone: TimeZone) -> Day {
        Day(daysSinceEpoch: Int32(floorDivide(LocalClock.wall(of: slot, in: zone), 86400)))
    }

    /// The period a slot on local date `day` covers.
    public func coveredPeriod(slotDay day: Day) -> Period {
        let containing = period(containing: day)
        // The latest period whose last day is before `day` is always the one before the period
        // containing it (that one ends on or after `day`).
        return covers == .previous ? previous(containing) : containing
    }

    /// The ranges of the run for the slot at `slot` in `zone`.
    public func runPeriod(slot: Date, in zone: TimeZone) -> RunPeriod {
        runPeriod(slotDay: Self.localDay(of: slot, in: zone))
    }

    /// The ranges of the run for a slot on local date `day`.
    public func runPeriod(slotDay day: Day) -> RunPeriod {
        let period = coveredPeriod(slotDay: day)
        let range = covers == .current ? DateRange(start: period.first, end: day) : period.range
        var compared: [RunPeriod.Compared] = []
        for kind in compare {
            let other = kind == .previousPeriod ? previous(period) : samePeriodLastYear(period)
            var otherRange = other.range
            if covers == .current {
                let end: Day
                switch every {
                case .day: end = other.last
                case .week: end = other.first.adding(Int(day.daysSinceEpoch - period.first.daysSinceEpoch))
                case .month, .quarter, .half, .year:
                    end = day.movedBack(months: kind == .samePeriodLastYear ? 12 : every.months!)
                }
                otherRange = DateRange(start: other.first, end: min(end, other.last))
            }
            compared.append(RunPeriod.Compared(kind: kind, period: other, range: otherRange))
        }
        let yearToDate = cumulative.map { _ in DateRange(start: yearStart(of: period), end: range.end) }
        return RunPeriod(
            rule: self, slotDay: day, period: period, range: range, compared: compared, yearToDate: yearToDate)
    }
}

/// The words of period labels, in Vietnamese (`locale: vi-VN`) and English.
public enum PeriodLabel {
    static func isVietnamese(_ locale: String?) -> Bool { locale?.lowercased().hasPrefix("vi") ?? false }

    static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    static let roman = ["I", "II", "III", "IV"]

    /// The label of `period`, followed by `range`'s dates when given.
    public static func label(_ period: Period, range: DateRange?, locale: String?) -> String {
        let vi = isVietnamese(locale)
        let (y, m, d) = period.first.components
        let year = String(period.year)
        let name: String
        switch period.kind {
        case .day:
            name = vi ? "Ngày \(Period.pad(d, 2))/\(Period.pad(m, 2))/\(y)" : "\(d) \(englishMonths[m - 1]) \(y)"
        case .week: name = vi ? "Tuần \(period.number)/\(year)" : "Week \(period.number), \(year)"
        case .month:
            name = vi ? "Tháng \(period.number)/\(year)" : "\(englishMonths[period.number - 1]) \(year)"
        case .quarter: name = vi ? "Quý \(roman[period.number - 1])/\(year)" : "Q\(period.number) \(year)"
        case .half:
            name =
                vi ? "6 tháng \(period.number == 1 ? "đầu" : "cuối") năm \(year)" : "H\(period.number) \(year)"
        case .year: name = vi ? "Năm \(year)" : year
        }
        guard let range else { return name }
        return name + " (" + dates(range, locale: locale) + ")"
    }

    /// "15/10/2026 – 14/11/2026" (in English too: day first, as the SPEC writes them).
    public static func dates(_ range: DateRange, locale: String?) -> String {
        func short(_ day: Day) -> String {
            let (y, m, d) = day.components
            return "\(Period.pad(d, 2))/\(Period.pad(m, 2))/\(Period.pad(y, 4))"
        }
        return short(range.start) + " – " + short(range.end)
    }

    /// The column title of a compared value: "Cùng kỳ năm trước", "Same period last year".
    public static func comparedTitle(_ kind: PeriodRule.Comparison, locale: String?) -> String {
        let vi = isVietnamese(locale)
        switch kind {
        case .previousPeriod: return vi ? "Kỳ trước" : "Previous period"
        case .samePeriodLastYear: return vi ? "Cùng kỳ năm trước" : "Same period last year"
        }
    }

    /// The column title of a change: "Tăng/giảm so với cùng kỳ (%)".
    public static func changeTitle(_ kind: PeriodRule.Comparison, locale: String?) -> String {
        let vi = isVietnamese(locale)
        switch kind {
        case .previousPeriod: return vi ? "Tăng/giảm so với kỳ trước (%)" : "Change vs previous period (%)"
        case .samePeriodLastYear:
            return vi ? "Tăng/giảm so với cùng kỳ (%)" : "Change vs same period last year (%)"
        }
    }

    /// "Lũy kế từ đầu năm", "Year to date".
    public static func cumulativeTitle(locale: String?) -> String {
        isVietnamese(locale) ? "Lũy kế từ đầu năm" : "Year to date"
    }
}
