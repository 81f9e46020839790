import Testing

@testable import ReportCore
@testable import SourceCSV

/// The CSV read's day number fast path (issue 20) against `Day(year:month:day:)`: every
/// year, month and day number around and inside 1901–2099 (nonexistent dates included: day 0,
/// 29 February of a common year, 1900 and 2100, 31 April, month 0 and 13).
@Suite(.blocking) struct DateFastPathTests {
    @Test func dayNumbersAreDaysFor1890To2110() {
        var checked = 0
        var mismatches: [String] = []
        for year in 1890...2110 {
            for month in 0...13 {
                for day in 0...32 {
                    let fast = ColumnSink.dayNumber(year: year, month: month, day: day)
                    let plain = ColumnSink.dayNumberReference(year: year, month: month, day: day)
                    if fast != plain { mismatches.append("\(year)-\(month)-\(day): \(String(describing: fast)) vs \(String(describing: plain))") }
                    checked += 1
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(checked == 221 * 14 * 33)
        #expect(ColumnSink.dayNumber(year: 2024, month: 2, day: 29) == Day(iso: "2024-02-29")?.daysSinceEpoch)
        #expect(ColumnSink.dayNumber(year: 2023, month: 2, day: 29) == nil)
        #expect(ColumnSink.dayNumber(year: 1970, month: 1, day: 1) == 0)
    }

    /// Dates at the edges of the fast path's years and of the calendar, against their ISO form.
    @Test func datesAtTheEdgesMatchTheirISOForm() {
        let days = ["1901-01-01", "1969-12-31", "1970-01-01", "2000-02-29", "2024-12-31", "2099-12-31", "2100-03-01", "1899-07-04", "0001-01-01", "9999-12-31"]
        for text in days {
            let expected = Day(iso: text)!.daysSinceEpoch
            let y = Int(text.prefix(4))!
            let m = Int(text.dropFirst(5).prefix(2))!
            let d = Int(text.suffix(2))!
            #expect(ColumnSink.dayNumber(year: y, month: m, day: d) == expected, "\(text)")
        }
    }
}
