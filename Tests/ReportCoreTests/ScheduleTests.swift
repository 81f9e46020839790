import Testing

@testable import ReportCore

private func cron(_ text: String) throws -> CronExpression { try CronExpression.parse(text) }

@Suite struct ScheduleTests {
    // MARK: Fields

    @Test func starCoversEveryValueOfEachField() throws {
        let c = try cron("* * * * *")
        #expect(c.minutes == Set(0...59))
        #expect(c.hours == Set(0...23))
        #expect(c.daysOfMonth == Set(1...31))
        #expect(c.months == Set(1...12))
        #expect(c.daysOfWeek == Set(0...6))
        #expect(!c.dayOfMonthRestricted)
        #expect(!c.dayOfWeekRestricted)
    }

    @Test func singleValuesRangesAndLists() throws {
        let c = try cron("5 9-17 1,15,31 3-5 1-5")
        #expect(c.minutes == [5])
        #expect(c.hours == Set(9...17))
        #expect(c.daysOfMonth == [1, 15, 31])
        #expect(c.months == [3, 4, 5])
        #expect(c.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(c.dayOfMonthRestricted)
        #expect(c.dayOfWeekRestricted)
    }

    @Test func listsMayMixRangesAndSteps() throws {
        let c = try cron("0,10-12,50-59/5 * * * *")
        #expect(c.minutes == [0, 10, 11, 12, 50, 55])
    }

    @Test(arguments: [
        ("*/15 * * * *", Set([0, 15, 30, 45])),
        ("1-10/3 * * * *", Set([1, 4, 7, 10])),
        ("5/10 * * * *", Set([5, 15, 25, 35, 45, 55])),
        ("0-59/30 * * * *", Set([0, 30])),
        ("*/60 * * * *", Set([0])),
        ("59/5 * * * *", Set([59])),
    ])
    func minuteSteps(text: String, minutes: Set<Int>) throws {
        #expect(try cron(text).minutes == minutes)
    }

    @Test func stepsInOtherFields() throws {
        let c = try cron("0 */6 */10 */3 */2")
        #expect(c.hours == [0, 6, 12, 18])
        #expect(c.daysOfMonth == [1, 11, 21, 31])
        #expect(c.months == [1, 4, 7, 10])
        #expect(c.daysOfWeek == [0, 2, 4, 6])
    }

    @Test(arguments: [
        ("0 0 * JAN *", Set([1])),
        ("0 0 * jan-Mar *", Set([1, 2, 3])),
        ("0 0 * Jun,DEC *", Set([6, 12])),
        ("0 0 * feb-dec/2 *", Set([2, 4, 6, 8, 10, 12])),
        ("0 0 * 1,jul *", Set([1, 7])),
    ])
    func monthNamesAreCaseInsensitive(text: String, months: Set<Int>) throws {
        #expect(try cron(text).months == months)
    }

    @Test(arguments: [
        ("0 0 * * MON-FRI", Set([1, 2, 3, 4, 5])),
        ("0 0 * * sun", Set([0])),
        ("0 0 * * Sat,SUN", Set([6, 0])),
        ("0 0 * * wed", Set([3])),
        ("0 0 * * 7", Set([0])),
        ("0 0 * * 0,7", Set([0])),
        ("0 0 * * 5-7", Set([5, 6, 0])),
        ("0 0 * * 1-7", Set(0...6)),
    ])
    func dayOfWeekNamesAndSevenIsSunday(text: String, days: Set<Int>) throws {
        #expect(try cron(text).daysOfWeek == days)
    }

    @Test func fieldsMayBeSeparatedByRunsOfSpacesAndTabs() throws {
        let c = try cron("  30\t 6  *  * 1 ")
        #expect(c.minutes == [30])
        #expect(c.hours == [6])
        #expect(c.daysOfWeek == [1])
        #expect(c.source == "30\t 6  *  * 1")
    }

    // MARK: Macros and intervals

    @Test(arguments: [
        ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"), ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"), ("  @daily  ", "0 0 * * *"),
    ])
    func macrosExpandToCron(macro: String, expansion: String) throws {
        #expect(try Schedule.parse(macro) == .cron(try cron(expansion)))
    }

    @Test func hourlyFiresAtMinuteZeroOfEveryHour() throws {
        guard case .cron(let c) = try Schedule.parse("@hourly") else {
            Issue.record("not cron")
            return
        }
        #expect(c.minutes == [0])
        #expect(c.hours == Set(0...23))
    }

    @Test(arguments: [
        ("every 15m", 900), ("every 30s", 30), ("every 2h", 7200), ("every 1m", 60),
        ("every 90s", 90), (" every 5m ", 300), ("every  10m", 600),
    ])
    func intervals(text: String, seconds: Int) throws {
        #expect(try Schedule.parse(text) == .every(seconds: seconds))
    }

    @Test(arguments: [
        ("every 15m", "every 15m"), ("every 120m", "every 2h"), ("every 90s", "every 90s"),
        ("every 60s", "every 1m"), ("0 6 * * 1", "0 6 * * 1"), ("@daily", "0 0 * * *"),
    ])
    func descriptionNormalisesTheSchedule(text: String, description: String) throws {
        #expect(try Schedule.parse(text).description == description)
    }

    @Test func plainCronGoesThroughScheduleParse() throws {
        #expect(try Schedule.parse("0 6 * * 1") == .cron(try cron("0 6 * * 1")))
    }

    // MARK: Errors

    @Test(arguments: [
        ("60 * * * *", 0, "minute"),
        ("0 24 * * *", 2, "hour"),
        ("0 0 0 * *", 4, "day of month"),
        ("0 0 32 * *", 4, "day of month"),
        ("0 0 * 13 *", 6, "month"),
        ("0 0 * 0 *", 6, "month"),
        ("0 0 * * 8", 8, "day of week"),
        ("0 0 1-32 * *", 4, "day of month"),
        ("0 1,2,25 * * *", 6, "hour"),
        ("0  6 99 * *", 5, "day of month"),
    ])
    func outOfRangeValuesNameTheFieldAtItsOffset(text: String, offset: Int, field: String) {
        let error = #expect(throws: ScheduleError.self) { try CronExpression.parse(text) }
        #expect(error?.offset == offset)
        #expect(error?.message.hasPrefix("\(field) field") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("out of range") == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        ("0 0 * * 5-1", 8, "day of week field '5-1': the range runs backwards (5 > 1)"),
        ("30-10 * * * *", 0, "minute field '30-10': the range runs backwards"),
        ("*/0 * * * *", 0, "minute field '*/0': the step after '/' must be a positive number"),
        ("0 0 1-10/0 * *", 4, "day of month field '1-10/0': the step after '/' must be a positive number"),
        ("0 */-2 * * *", 2, "hour field '*/-2': the step"),
        ("0 */x * * *", 2, "hour field '*/x': the step"),
        ("1,,2 * * * *", 2, "minute field '': empty list item"),
        ("1-2-3 * * * *", 0, "minute field '1-2-3': a range has one '-'"),
        ("*/5/2 * * * *", 0, "minute field '*/5/2': more than one '/'"),
        ("0 0 * foo *", 6, "month field 'foo': 'foo' is not a valid month"),
        ("0 0 * * mon-xyz", 8, "'xyz' is not a valid day of week"),
        ("0 0 * * jan", 8, "'jan' is not a valid day of week"),
        ("0 0 mon * *", 4, "'mon' is not a valid day of month"),
        ("a 0 * * *", 0, "'a' is not a valid minute"),
    ])
    func malformedFieldsNameTheFieldAtItsOffset(text: String, offset: Int, message: String) {
        let error = #expect(throws: ScheduleError.self) { try CronExpression.parse(text) }
        #expect(error?.offset == offset)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [("0 0 * *", 4), ("0 0 * * * *", 6), ("", 0), ("*", 1)])
    func wrongFieldCount(text: String, count: Int) {
        let error = #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        #expect(error?.offset == 0)
        #expect(error?.message.contains("5 fields") == true)
        #expect(error?.message.contains("has \(count)") == true, "\(error?.message ?? "")")
    }

    @Test(arguments: ["@fortnightly", "@", "@Daily", "@reboot"])
    func unknownMacro(text: String) {
        let error = #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        #expect(error?.offset == 0)
        #expect(error?.message.contains("unknown macro '\(text)'") == true)
    }

    @Test(arguments: [
        ("every 15x", 8, "unknown interval unit 'x'"),
        ("every 3d", 7, "unknown interval unit 'd'"),
        ("every 0m", 6, "is not an interval"),
        ("every -5m", 6, "is not an interval"),
        ("every m", 6, "is not an interval"),
        ("every", 5, "is not an interval"),  // the end of the text, where the number is missing
        ("every 15 m", 6, "is not an interval"),
        ("every 9000h", 6, "longer than a year"),
    ])
    func badIntervals(text: String, offset: Int, fragment: String) {
        let error = #expect(throws: ScheduleError.self) { try Schedule.parse(text) }
        #expect(error?.offset == offset)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    // MARK: Matching days

    @Test func onlyDayOfMonthRestricted() throws {
        let c = try cron("0 0 13 * *")
        #expect(c.matches(year: 2028, month: 1, day: 13, weekday: 5))
        #expect(c.matches(year: 2028, month: 7, day: 13, weekday: 0))
        #expect(!c.matches(year: 2028, month: 1, day: 14, weekday: 5))
    }

    @Test func onlyDayOfWeekRestricted() throws {
        let c = try cron("0 0 * * fri")
        #expect(c.matches(year: 2028, month: 1, day: 13, weekday: 5))
        #expect(c.matches(year: 2028, month: 1, day: 20, weekday: 5))
        #expect(!c.matches(year: 2028, month: 1, day: 13, weekday: 4))
    }

    @Test func bothDayFieldsRestrictedMatchEitherAsVixieCron() throws {
        // "On the 1st and 15th, and on every Monday."
        let c = try cron("0 0 1,15 * 1")
        #expect(c.matches(year: 2028, month: 3, day: 1, weekday: 3))
        #expect(c.matches(year: 2028, month: 3, day: 15, weekday: 5))
        #expect(c.matches(year: 2028, month: 3, day: 2, weekday: 1))
        #expect(!c.matches(year: 2028, month: 3, day: 2, weekday: 3))
    }

    @Test func monthRestrictsEvenWhenADayFieldMatches() throws {
        let c = try cron("0 0 13 6 5")
        #expect(c.matches(year: 2028, month: 6, day: 13, weekday: 1))
        #expect(c.matches(year: 2028, month: 6, day: 2, weekday: 5))
        #expect(!c.matches(year: 2028, month: 5, day: 13, weekday: 5))
        #expect(!c.matches(year: 2028, month: 6, day: 2, weekday: 4))
    }

    @Test func unrestrictedDaysMatchEveryDay() throws {
        let c = try cron("0 0 * * *")
        for weekday in 0...6 { #expect(c.matches(year: 2028, month: 2, day: 29, weekday: weekday)) }
    }

    @Test func sundayAsSevenMatchesWeekdayZero() throws {
        let c = try cron("0 0 * * 7")
        #expect(c.matches(year: 2028, month: 1, day: 4, weekday: 0))
        #expect(!c.matches(year: 2028, month: 1, day: 5, weekday: 1))
    }
}
