import Foundation
import Testing

@testable import ReportCore

/// Issue 24's schedule points: Debian cron's day rule, the repeated and skipped hours, what cron
/// refuses or never fires, and the month-end extensions (SPEC.md, "Scheduling semantics").
@Suite struct ScheduleRulesTests {
    // MARK: The day rule

    @Test func aDayFieldStartingWithAStarMakesTheRuleAnd() throws {
        // The issue's reproduction: the odd days, so the 31st and the next 1st both run.
        #expect(
            try slots("0 6 */2 * *", "Europe/Berlin", after: "2027-10-31T00:00:00Z", count: 4)
                == [
                    utc("2027-10-31T05:00:00Z"), utc("2027-11-01T05:00:00Z"), utc("2027-11-03T05:00:00Z"),
                    utc("2027-11-05T05:00:00Z"),
                ])
        // Sunday, Tuesday, Thursday and Saturday only.
        let weekdays = try slots("0 9 * * */2", "UTC", after: "2027-11-01T00:00:00Z", count: 4)
        #expect(weekdays == ["2027-11-02", "2027-11-04", "2027-11-06", "2027-11-07"].map { utc("\($0)T09:00:00Z") })
        // A 1st that is a Sunday, Tuesday, Thursday or Saturday: 2027-02-01 is a Monday, 2027-03-01 too,
        // 2027-04-01 a Thursday.
        #expect(try slots("0 0 1 * */2", "UTC", after: "2027-01-15T00:00:00Z", count: 1) == [utc("2027-04-01T00:00:00Z")])
    }

    @Test func bothDayFieldsRestrictedStayOr() throws {
        let c = try CronExpression.parse("0 0 1,15 * mon")
        #expect(c.matches(year: 2027, month: 11, day: 15, weekday: 1))
        #expect(c.matches(year: 2027, month: 11, day: 8, weekday: 1))
        #expect(c.matches(year: 2027, month: 11, day: 1, weekday: 1))
        #expect(!c.matches(year: 2027, month: 11, day: 9, weekday: 2))
    }

    // MARK: Daylight saving

    @Test func aStarScheduleRunsOnBothPassesOfTheRepeatedHour() throws {
        // Europe/Berlin, 31 October 2027: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
        let got = try slots("*/30 * * * *", "Europe/Berlin", after: "2027-10-30T23:59:00Z", count: 6)
        #expect(
            got == [
                "00:00", "00:30", "01:00", "01:30", "02:00", "02:30",
            ].map { utc("2027-10-31T\($0):00Z") })
        // A star in the minute field alone is enough.
        let hourly = try slots("15 * * * *", "Europe/Berlin", after: "2027-10-30T23:59:00Z", count: 3)
        #expect(hourly == ["00:15", "01:15", "02:15"].map { utc("2027-10-31T\($0):00Z") })
    }

    @Test func aFixedTimeScheduleRunsOnceOnTheFirstPass() throws {
        #expect(
            try slots("30 2 * * *", "Europe/Berlin", after: "2027-10-30T12:00:00Z", count: 2)
                == [utc("2027-10-31T00:30:00Z"), utc("2027-11-01T01:30:00Z")])
        #expect(
            try slots("0,30 2 * * *", "Europe/Berlin", after: "2027-10-30T12:00:00Z", count: 3)
                == [utc("2027-10-31T00:00:00Z"), utc("2027-10-31T00:30:00Z"), utc("2027-11-01T01:00:00Z")])
    }

    @Test func lordHowesHalfHourRepeatsForStarSchedules() throws {
        // Lord Howe falls back 30 minutes at 02:00 (+11 to +10:30) on 4 April 2027: 01:30-02:00 twice.
        let got = try slots("*/15 1 * * *", "Australia/Lord_Howe", after: "2027-04-03T13:59:00Z", count: 6)
        let local = got.map { LocalClock.wall(of: $0, in: TimeZone(identifier: "Australia/Lord_Howe")!) % 86400 / 60 }
        #expect(local == [60, 75, 90, 105, 90, 105])
        #expect(zip(got, got.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func apiasSkippedDayRunsOnceAtTheTransition() throws {
        // 2011-12-30 did not happen in Pacific/Apia: 29 December 23:59:59 -10:00 was followed by
        // 31 December 00:00 +14:00 (10:00 UTC on the 30th).
        #expect(
            try slots("0 6 * * *", "Pacific/Apia", after: "2011-12-29T12:00:00Z", count: 3)
                == [utc("2011-12-29T16:00:00Z"), utc("2011-12-30T10:00:00Z"), utc("2011-12-30T16:00:00Z")])
        // Every half hour of the lost day is one run, the transition, which is also 31 December 00:00.
        #expect(
            try slots("*/30 * * * *", "Pacific/Apia", after: "2011-12-30T09:00:00Z", count: 3)
                == [utc("2011-12-30T09:30:00Z"), utc("2011-12-30T10:00:00Z"), utc("2011-12-30T10:30:00Z")])
    }

    @Test func secondPassIsRecognised() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(!LocalClock.isSecondPass(utc("2027-10-31T00:30:00Z"), in: berlin))
        #expect(LocalClock.isSecondPass(utc("2027-10-31T01:30:00Z"), in: berlin))
        #expect(!LocalClock.isSecondPass(utc("2027-10-31T02:30:00Z"), in: berlin))
        let wall = Int64(Day(year: 2027, month: 10, day: 31)!.daysSinceEpoch) * 86400 + 9000
        #expect(LocalClock.instants(ofLocal: wall, in: berlin) == [utc("2027-10-31T00:30:00Z"), utc("2027-10-31T01:30:00Z")])
        let skipped = Int64(Day(year: 2027, month: 3, day: 28)!.daysSinceEpoch) * 86400 + 9000
        #expect(LocalClock.instants(ofLocal: skipped, in: berlin).isEmpty)
        #expect(LocalClock.transition(skipping: skipped, in: berlin) == utc("2027-03-28T01:00:00Z"))
    }

    // MARK: What cron refuses, and what never fires

    @Test(arguments: [
        ("+5 * * * *", 0, "without '+'"),
        ("0 0 30 2 *", 4, "day of month field '30': no month of the month field '2' has that day"),
        ("0 0 31 4,6,9,11 *", 4, "day of month field '31'"),
        ("0 0 */31 * 1#2", 4, "never fall on the same day"),
        ("0 0 ? * mon", 4, "'?'"),
        ("0 0 15W * *", 4, "nearest weekday"),
        ("0 0 L-3 * *", 4, "offsets from the month's last day"),
        ("0 0 * * 1#6", 8, "'#' takes 1 to 5"),
        ("0 0 L/2 * *", 4, "take no step"),
        ("0 0 1-L * *", 4, "not in a range"),
        ("0 0 * * 1-5L", 8, "not in a range or step"),
        ("0 0 * * L", 8, "5L is the month's last Friday"),
        ("0 0 * * 1#2-3", 8, "not in a range or step"),
        ("0 */+2 * * *", 2, "the step"),
    ])
    func refusedWithAHint(text: String, offset: Int, fragment: String) {
        let error = #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        #expect(error?.offset == offset, "\(error?.message ?? "")")
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func aRareDayIsFoundAcrossTheCycle() throws {
        // 29 February on a Sunday (AND: the day-of-week field starts with '*'): 2032, then 2060.
        #expect(
            try slots("0 0 29 2 */7", "UTC", after: "2027-01-01T00:00:00Z", count: 2)
                == [utc("2032-02-29T00:00:00Z"), utc("2060-02-29T00:00:00Z")])
        #expect(try Schedule.parse("0 0 29 2 */7").previousSlot(before: utc("2032-01-01T00:00:00Z"), in: .gmt) == utc("2004-02-29T00:00:00Z"))
    }

    @Test func fiveSlashFifteenIsFiveToFiftyNine() throws {
        #expect(try CronExpression.parse("5/15 * * * *").minutes == [5, 20, 35, 50])
    }

    @Test(arguments: [
        ("every 7m", "use every 6m or every 8m"),
        ("every 25h", "use every 24h, or a cron expression"),
        ("every 7s", "use every 6s or every 8s"),
        ("every 48h", "use every 24h"),
    ])
    func anIntervalMustDivideADay(text: String, hint: String) {
        let error = #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        #expect(error?.message.contains("does not divide a day") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(hint) == true, "\(error?.message ?? "")")
    }

    @Test func warnings() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let hanoi = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let twoHours = try Schedule.parse("every 2h")
        #expect(twoHours.warnings(in: berlin).first?.contains("0 */2 * * *") == true)
        #expect(twoHours.warnings(in: hanoi).isEmpty)
        #expect(try Schedule.parse("every 1h").warnings(in: berlin).isEmpty)
        #expect(try Schedule.parse("0 18 L * mon-fri").warnings(in: hanoi).first?.contains("LW") == true)
        #expect(try Schedule.parse("0 18 LW * *").warnings(in: hanoi).isEmpty)
        #expect(try Schedule.parse("0 18 L * *").warnings(in: hanoi).isEmpty)
    }

    // MARK: Month ends

    @Test func lastDayOfTheMonth() throws {
        #expect(
            try slots("0 18 L * *", "UTC", after: "2028-01-15T00:00:00Z", count: 4)
                == ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"].map { utc("\($0)T18:00:00Z") })
    }

    @Test func lastWeekdayOfTheMonth() throws {
        // February 2027 ends on a Sunday (Friday 26th), July 2027 on a Saturday (Friday 30th),
        // March 2027 on a Wednesday.
        #expect(
            try slots("0 9 LW * *", "UTC", after: "2027-02-01T00:00:00Z", count: 2)
                == [utc("2027-02-26T09:00:00Z"), utc("2027-03-31T09:00:00Z")])
        #expect(try slots("0 9 LW 7 *", "UTC", after: "2027-01-01T00:00:00Z", count: 1) == [utc("2027-07-30T09:00:00Z")])
    }

    @Test func lastAndNthWeekdays() throws {
        #expect(
            try slots("0 9 * * 5L", "UTC", after: "2027-01-01T00:00:00Z", count: 3)
                == ["2027-01-29", "2027-02-26", "2027-03-26"].map { utc("\($0)T09:00:00Z") })
        #expect(
            try slots("0 9 * * mon#2", "UTC", after: "2027-01-01T00:00:00Z", count: 2)
                == ["2027-01-11", "2027-02-08"].map { utc("\($0)T09:00:00Z") })
        #expect(try slots("0 9 * * 1#2", "UTC", after: "2027-01-01T00:00:00Z", count: 1) == [utc("2027-01-11T09:00:00Z")])
        // In a list, and OR with a restricted day of month: the 1st, or the second Monday.
        #expect(
            try slots("0 9 1 * 1#2,5L", "UTC", after: "2027-01-01T10:00:00Z", count: 3)
                == ["2027-01-11", "2027-01-29", "2027-02-01"].map { utc("\($0)T09:00:00Z") })
    }
}
