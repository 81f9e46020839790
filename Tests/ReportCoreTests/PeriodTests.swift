import Foundation
import Testing

@testable import ReportCore

private func day(_ text: String) -> Day { Day(iso: text)! }
private func range(_ start: String, _ end: String) -> DateRange { DateRange(start: day(start), end: day(end)) }

private func rule(
    _ every: PeriodRule.Every, covers: PeriodRule.Covers = .previous, cutoff: Int = 1,
    compare: [PeriodRule.Comparison] = [], ytd: Bool = false, weekStarts: PeriodRule.Weekday = .monday
) -> PeriodRule {
    var r = PeriodRule(every: every, dateColumn: "d")
    r.covers = covers
    r.cutoffDay = cutoff
    r.compare = compare
    r.cumulative = ytd ? .yearToDate : nil
    r.weekStarts = weekStarts
    return r
}

@Suite struct PeriodBoundaryTests {
    @Test func cutOffFifteenGivesTheSpecExamples() {
        #expect(rule(.month, cutoff: 15).period(year: 2026, number: 11)!.range == range("2026-10-15", "2026-11-14"))
        #expect(rule(.quarter, cutoff: 15).period(year: 2026, number: 4)!.range == range("2026-09-15", "2026-12-14"))
        #expect(rule(.half, cutoff: 15).period(year: 2026, number: 1)!.range == range("2025-12-15", "2026-06-14"))
        #expect(rule(.year, cutoff: 15).period(year: 2026, number: 1)!.range == range("2025-12-15", "2026-12-14"))
    }

    @Test func cutOffPlacesADayInThePeriodOfTheMonthItEndsIn() {
        let month = rule(.month, cutoff: 15)
        #expect(month.period(containing: day("2026-11-14")).name == "2026-11")
        #expect(month.period(containing: day("2026-11-15")).name == "2026-12")
        #expect(month.period(containing: day("2026-12-15")).name == "2027-01")
        #expect(rule(.year, cutoff: 15).period(containing: day("2026-12-15")).name == "2027")
        #expect(rule(.quarter, cutoff: 15).period(containing: day("2026-09-14")).name == "2026-Q3")
    }

    @Test func yearToDateStartsOnTheCutOffOfTheYearBefore() {
        let month = rule(.month, cutoff: 15, ytd: true)
        // Tháng 1/2027, from 15/12/2026, starts the year 2027.
        let january = month.period(year: 2027, number: 1)!
        #expect(january.range == range("2026-12-15", "2027-01-14"))
        #expect(month.yearStart(of: january) == day("2026-12-15"))
        #expect(month.yearStart(of: month.period(year: 2026, number: 11)!) == day("2025-12-15"))
        // A run on 20 January 2027 (covers previous) reports Tháng 1/2027 with its year to date.
        let run = month.runPeriod(slotDay: day("2027-01-20"))
        #expect(run.period.name == "2027-01")
        #expect(run.yearToDate == range("2026-12-15", "2027-01-14"))
    }

    @Test func calendarPeriods() {
        #expect(rule(.month).period(containing: day("2026-11-30")).range == range("2026-11-01", "2026-11-30"))
        #expect(rule(.month).period(containing: day("2028-02-10")).range == range("2028-02-01", "2028-02-29"))
        #expect(rule(.quarter).period(containing: day("2026-11-30")).range == range("2026-10-01", "2026-12-31"))
        #expect(rule(.half).period(containing: day("2026-07-01")).range == range("2026-07-01", "2026-12-31"))
        #expect(rule(.year).period(containing: day("2026-07-01")).range == range("2026-01-01", "2026-12-31"))
        #expect(rule(.day).period(containing: day("2026-07-01")).range == range("2026-07-01", "2026-07-01"))
    }

    @Test func isoWeeks() {
        let week = rule(.week)
        #expect(week.period(containing: day("2026-11-25")).name == "2026-W48")
        #expect(week.period(year: 2026, number: 48)!.range == range("2026-11-23", "2026-11-29"))
        // 2026 has 53 ISO weeks (1 January 2026 is a Thursday); its week 53 runs into 2027.
        #expect(week.period(year: 2026, number: 53)!.range == range("2026-12-28", "2027-01-03"))
        #expect(week.period(containing: day("2027-01-03")).name == "2026-W53")
        #expect(week.period(year: 2025, number: 53) == nil)
        #expect(week.period(containing: day("2024-12-30")).name == "2025-W01")
    }

    @Test func weeksStartingOnSundayAreNumberedByTheirFourthDay() {
        let week = rule(.week, weekStarts: .sunday)
        let p = week.period(containing: day("2026-11-29"))  // a Sunday: its week starts that day
        #expect(p.range == range("2026-11-29", "2026-12-05"))
        #expect(p.name == "2026-W49")  // its 4th day, Wednesday 2 December, is in ISO week 49
        #expect(week.period(year: 2026, number: 49) == p)
    }

    @Test func weekFiftyThreeAgainstAYearWithoutOne() {
        let week = rule(.week)
        let w53 = week.period(year: 2026, number: 53)!
        #expect(week.samePeriodLastYear(w53).name == "2025-W52")
        #expect(week.samePeriodLastYear(week.period(year: 2027, number: 10)!).name == "2026-W10")
    }

    @Test func weeklyYearToDateUsesTheIsoWeekYear() {
        let run = rule(.week, ytd: true).runPeriod(slotDay: day("2027-01-05"))  // in 2027-W01: covers 2026-W53
        #expect(run.period.name == "2026-W53")
        #expect(run.yearToDate == range("2025-12-29", "2027-01-03"))
        let later = rule(.week, ytd: true).runPeriod(slotDay: day("2027-03-10"))
        #expect(later.yearToDate?.start == day("2027-01-04"))
    }

    @Test func dayComparisonsAndTwentyNinthOfFebruary() {
        let days = rule(.day, compare: [.previousPeriod, .samePeriodLastYear])
        let run = days.runPeriod(slotDay: day("2028-03-01"))
        #expect(run.period.range == range("2028-02-29", "2028-02-29"))
        #expect(run.compared.map(\.range) == [range("2028-02-28", "2028-02-28"), range("2027-02-28", "2027-02-28")])
    }

    @Test func monthMovedBackIsClipped() {
        #expect(day("2026-05-31").movedBack(months: 3) == day("2026-02-28"))
        #expect(day("2028-02-29").movedBack(months: 12) == day("2027-02-28"))
        #expect(day("2026-01-31").movedBack(months: 1) == day("2025-12-31"))
    }
}

@Suite struct PeriodCoversTests {
    @Test func previousIsTheLatestPeriodEndedBeforeTheSlotsDate() {
        let month = rule(.month)
        #expect(month.coveredPeriod(slotDay: day("2026-12-01")).name == "2026-11")
        #expect(month.coveredPeriod(slotDay: day("2026-12-20")).name == "2026-11")
        // On the month's last day the month has not ended: the month before.
        #expect(month.coveredPeriod(slotDay: day("2026-11-30")).name == "2026-10")
        #expect(rule(.year).coveredPeriod(slotDay: day("2027-01-01")).name == "2026")
    }

    @Test func currentRunsToTheSlotsDate() {
        let run = rule(.month, covers: .current, compare: [.samePeriodLastYear, .previousPeriod], ytd: true)
            .runPeriod(slotDay: day("2026-11-20"))
        #expect(run.period.name == "2026-11")
        #expect(run.range == range("2026-11-01", "2026-11-20"))
        #expect(run.compared.map(\.range) == [range("2025-11-01", "2025-11-20"), range("2026-10-01", "2026-10-20")])
        #expect(run.yearToDate == range("2026-01-01", "2026-11-20"))
    }

    @Test func currentQuarterToDateAgainstThePreviousIsClippedToMonthEnd() {
        let run = rule(.quarter, covers: .current, compare: [.previousPeriod, .samePeriodLastYear])
            .runPeriod(slotDay: day("2026-05-31"))
        #expect(run.range == range("2026-04-01", "2026-05-31"))
        #expect(run.compared.map(\.range) == [range("2026-01-01", "2026-02-28"), range("2025-04-01", "2025-05-31")])
    }

    @Test func currentWeekComparesTheSameNumberOfDays() {
        let run = rule(.week, covers: .current, compare: [.previousPeriod, .samePeriodLastYear])
            .runPeriod(slotDay: day("2026-11-25"))  // Wednesday of 2026-W48
        #expect(run.range == range("2026-11-23", "2026-11-25"))
        #expect(run.compared.map(\.range) == [range("2026-11-16", "2026-11-18"), range("2025-11-24", "2025-11-26")])
    }

    @Test func previousPeriodWithCutOffAndComparisons() {
        let run = rule(.month, cutoff: 15, compare: [.previousPeriod, .samePeriodLastYear], ytd: true)
            .runPeriod(slotDay: day("2026-11-16"))
        #expect(run.period.name == "2026-11")
        #expect(run.range == range("2026-10-15", "2026-11-14"))
        #expect(run.compared.map(\.range) == [range("2026-09-15", "2026-10-14"), range("2025-10-15", "2025-11-14")])
        #expect(run.yearToDate == range("2025-12-15", "2026-11-14"))
        #expect(run.ranges.count == 4)
    }

    @Test(arguments: [
        // 00:30 on 1 December in Ho Chi Minh City is 17:30 UTC on 30 November: December 1 decides.
        ("2026-11-30T17:30:00Z", "Asia/Ho_Chi_Minh", "2026-11"),
        ("2026-11-30T17:30:00Z", "UTC", "2026-10"),
        // 21:00 on 30 November in Los Angeles is 05:00 UTC on 1 December: November 30 decides.
        ("2026-12-01T05:00:00Z", "America/Los_Angeles", "2026-10"),
        ("2026-12-01T05:00:00Z", "UTC", "2026-11"),
        ("2026-12-01T10:59:00Z", "Pacific/Kiritimati", "2026-11"),  // +14: 00:59 on 2 December
        ("2026-12-01T10:59:00Z", "Pacific/Pago_Pago", "2026-10"),  // −11: 23:59 on 30 November
    ])
    func theSlotsLocalDateDecides(instant: String, zone: String, expected: String) {
        let r = rule(.month)
        #expect(r.runPeriod(slot: utc(instant), in: TimeZone(identifier: zone)!).period.name == expected)
    }
}

@Suite struct PeriodLabelTests {
    @Test func vietnameseLabels() {
        let vi = "vi-VN"
        #expect(
            PeriodLabel.label(rule(.day).period(containing: day("2026-11-30")), range: nil, locale: vi)
                == "Ngày 30/11/2026")
        #expect(
            PeriodLabel.label(rule(.week).period(year: 2026, number: 48)!, range: nil, locale: vi) == "Tuần 48/2026")
        #expect(
            PeriodLabel.label(rule(.month).period(year: 2026, number: 11)!, range: nil, locale: vi) == "Tháng 11/2026")
        #expect(
            PeriodLabel.label(rule(.quarter).period(year: 2026, number: 4)!, range: nil, locale: vi) == "Quý IV/2026")
        #expect(
            PeriodLabel.label(rule(.half).period(year: 2026, number: 1)!, range: nil, locale: vi)
                == "6 tháng đầu năm 2026")
        #expect(
            PeriodLabel.label(rule(.half).period(year: 2026, number: 2)!, range: nil, locale: vi)
                == "6 tháng cuối năm 2026")
        #expect(PeriodLabel.label(rule(.year).period(year: 2026, number: 1)!, range: nil, locale: vi) == "Năm 2026")
    }

    @Test func englishLabels() {
        #expect(
            PeriodLabel.label(rule(.day).period(containing: day("2026-11-30")), range: nil, locale: nil)
                == "30 November 2026")
        #expect(
            PeriodLabel.label(rule(.week).period(year: 2026, number: 48)!, range: nil, locale: "en") == "Week 48, 2026")
        #expect(
            PeriodLabel.label(rule(.month).period(year: 2026, number: 11)!, range: nil, locale: nil) == "November 2026")
        #expect(PeriodLabel.label(rule(.quarter).period(year: 2026, number: 4)!, range: nil, locale: nil) == "Q4 2026")
        #expect(PeriodLabel.label(rule(.half).period(year: 2026, number: 1)!, range: nil, locale: nil) == "H1 2026")
        #expect(PeriodLabel.label(rule(.year).period(year: 2026, number: 1)!, range: nil, locale: nil) == "2026")
    }

    @Test func datesFollowTheLabelWithACutOffOrCoversCurrent() {
        #expect(
            rule(.month, cutoff: 15).runPeriod(slotDay: day("2026-11-20")).label(locale: "vi-VN")
                == "Tháng 11/2026 (15/10/2026 – 14/11/2026)")
        #expect(
            rule(.month, covers: .current).runPeriod(slotDay: day("2026-11-20")).label(locale: nil)
                == "November 2026 (01/11/2026 – 20/11/2026)")
        #expect(rule(.month).runPeriod(slotDay: day("2026-12-01")).label(locale: "vi-VN") == "Tháng 11/2026")
        #expect(PeriodLabel.comparedTitle(.samePeriodLastYear, locale: "vi-VN") == "Cùng kỳ năm trước")
        #expect(PeriodLabel.changeTitle(.samePeriodLastYear, locale: "vi-VN") == "Tăng/giảm so với cùng kỳ (%)")
        #expect(PeriodLabel.comparedTitle(.previousPeriod, locale: "vi-VN") == "Kỳ trước")
        #expect(PeriodLabel.changeTitle(.previousPeriod, locale: "vi-VN") == "Tăng/giảm so với kỳ trước (%)")
        #expect(PeriodLabel.changeTitle(.previousPeriod, locale: nil) == "Change vs previous period (%)")
        #expect(PeriodLabel.changeTitle(.samePeriodLastYear, locale: nil) == "Change vs same period last year (%)")
        #expect(PeriodLabel.cumulativeTitle(locale: "vi-VN") == "Lũy kế từ đầu năm")
    }
}

@Suite struct PeriodNameTests {
    @Test(arguments: [
        ("2026-11", PeriodRule.Every.month, "2026-11"), ("2026-Q4", .quarter, "2026-Q4"),
        ("2026-q4", .quarter, "2026-Q4"),
        ("2026-H1", .half, "2026-H1"), ("2026", .year, "2026"), ("2026-W48", .week, "2026-W48"),
        ("2026-11-30", .day, "2026-11-30"),
    ])
    func parsesEveryForm(text: String, kind: PeriodRule.Every, name: String) throws {
        #expect(try rule(kind).period(named: text).name == name)
    }

    @Test(arguments: [
        "2026-13", "2026-Q5", "2026-H3", "26", "2026-W54", "2026-W5", "2026-02-30", "November", "2026-11-",
    ])
    func refusesWhatIsNoPeriod(text: String) {
        #expect(throws: PeriodError.self) { try rule(.month).period(named: text) }
    }

    @Test func anotherKindNamesTheRightForm() {
        do {
            _ = try rule(.month).period(named: "2026-Q4")
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("name a month such as 2026-11"))
            #expect(error.message.contains("2026-12"))
        }
        #expect(throws: PeriodError.self) { try rule(.week).period(named: "2025-W53") }
    }
}

@Suite struct PeriodSlotResolutionTests {
    let hcm = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    @Test func previousIsReportedByTheFirstSlotAfterIt() throws {
        let slot = try rule(.month).slot(
            reportingOn: rule(.month).period(named: "2026-11"), schedule: Schedule.parse("0 6 1 * *"), in: hcm,
            now: utc("2026-12-06T00:00:00Z"))
        #expect(slot == utc("2026-11-30T23:00:00Z"))  // 06:00 on 1 December, +07:00
        // With a cut-off, Tháng 11/2026 ends on 14 November: the slot of 15 November reports it.
        let cut = rule(.month, cutoff: 15)
        #expect(
            try cut.slot(
                reportingOn: cut.period(named: "2026-11"), schedule: Schedule.parse("0 6 15 * *"), in: hcm,
                now: utc("2026-12-06T00:00:00Z")) == utc("2026-11-14T23:00:00Z"))
    }

    @Test func neverAFutureSlot() throws {
        let r = rule(.month)
        #expect(throws: PeriodError.self) {
            try r.slot(
                reportingOn: r.period(named: "2026-12"), schedule: Schedule.parse("0 6 1 * *"), in: hcm,
                now: utc("2026-12-06T00:00:00Z"))
        }
        let current = rule(.month, covers: .current)
        #expect(throws: PeriodError.self) {
            try current.slot(
                reportingOn: current.period(named: "2027-01"), schedule: Schedule.parse("0 18 L * *"), in: hcm,
                now: utc("2026-12-06T00:00:00Z"))
        }
    }

    @Test func currentIsTheLastSlotInsideItOrNowWhileItRuns() throws {
        let r = rule(.month, covers: .current)
        let schedule = try Schedule.parse("0 18 L * *")
        #expect(
            try r.slot(
                reportingOn: r.period(named: "2026-11"), schedule: schedule, in: hcm, now: utc("2026-12-06T00:00:00Z"))
                == utc("2026-11-30T11:00:00Z"))
        #expect(
            try r.slot(
                reportingOn: r.period(named: "2026-12"), schedule: schedule, in: hcm, now: utc("2026-12-06T00:00:00Z"))
                == utc("2026-12-06T00:00:00Z"))
    }

    @Test func aDayNoSlotReportsOnIsRefusedWithTheNearest() throws {
        let r = rule(.day, covers: .current)
        let weekdays = try Schedule.parse("0 17 * * 1-5")
        do {
            _ = try r.slot(
                reportingOn: r.period(named: "2026-11-28"), schedule: weekdays, in: hcm,
                now: utc("2026-12-06T00:00:00Z"))
            Issue.record("a Saturday was accepted")
        } catch {
            #expect(error.message.contains("2026-11-27 and 2026-11-30"))
        }
        #expect(
            try r.slot(
                reportingOn: r.period(named: "2026-11-27"), schedule: weekdays, in: hcm,
                now: utc("2026-12-06T00:00:00Z"))
                == utc("2026-11-27T10:00:00Z"))
    }

    @Test func slotAndPeriodAgree() throws {
        // Every slot's period resolves back to that slot, for each kind and both covers.
        let cases: [(PeriodRule, String)] = [
            (rule(.month), "0 6 1 * *"), (rule(.month, cutoff: 15), "0 6 15 * *"), (rule(.quarter), "0 6 1 1,4,7,10 *"),
            (rule(.half, cutoff: 15), "0 6 15 6,12 *"), (rule(.year), "0 6 2 1 *"), (rule(.week), "0 6 * * 1"),
            (rule(.day), "0 6 * * *"), (rule(.month, covers: .current), "0 18 L * *"),
            (rule(.quarter, covers: .current), "0 18 L 3,6,9,12 *"), (rule(.week, covers: .current), "0 18 * * 5"),
        ]
        let now = utc("2026-12-06T00:00:00Z")
        for (r, text) in cases {
            let schedule = try Schedule.parse(text)
            for slot in schedule.slots(after: utc("2024-01-01T00:00:00Z"), count: 12, in: hcm) where slot < now {
                let covered = r.runPeriod(slot: slot, in: hcm).period
                let back = try r.slot(reportingOn: covered, schedule: schedule, in: hcm, now: now)
                #expect(back == slot, "\(text) \(r.every) \(covered.name)")
            }
        }
    }
}

@Suite struct PeriodWarningTests {
    let zone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    let from = utc("2026-12-06T00:00:00Z")

    @Test func slotOnTheLastDayWithCoversPrevious() throws {
        let warnings = rule(.month).warnings(schedule: try Schedule.parse("0 18 L * *"), in: zone, from: from)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("last day") == true)
        #expect(
            rule(.month, covers: .current).warnings(schedule: try Schedule.parse("0 18 L * *"), in: zone, from: from)
                .isEmpty)
    }

    @Test func firingMoreOftenThanThePeriod() throws {
        let warnings = rule(.month).warnings(schedule: try Schedule.parse("0 6 * * *"), in: zone, from: from)
        #expect(warnings.contains { $0.contains("more than once per month") })
        #expect(rule(.month).warnings(schedule: try Schedule.parse("0 6 1 * *"), in: zone, from: from).isEmpty)
        #expect(rule(.day).warnings(schedule: try Schedule.parse("0 6 * * *"), in: zone, from: from).isEmpty)
        #expect(!rule(.day).warnings(schedule: try Schedule.parse("0 6,18 * * *"), in: zone, from: from).isEmpty)
    }
}
