import Foundation
import Testing

@testable import ReportCore

/// Parses `2026-03-29T01:00:00Z`.
func utc(_ text: String) -> Date {
    let parts = text.dropLast().split(separator: "T")
    let d = parts[0].split(separator: "-").map { Int($0)! }
    let t = parts[1].split(separator: ":").map { Int($0)! }
    let day = Day(year: d[0], month: d[1], day: d[2])!
    let seconds = Int(day.daysSinceEpoch) * 86400 + t[0] * 3600 + t[1] * 60 + t[2]
    return Date(timeIntervalSince1970: TimeInterval(seconds))
}

func slots(_ schedule: String, _ zone: String, after: String, count: Int) throws -> [Date] {
    try Schedule.parse(schedule).slots(after: utc(after), count: count, in: TimeZone(identifier: zone)!)
}

@Suite struct ScheduleSlotTests {
    @Test func plainDailySlotInAZoneWithoutDST() throws {
        // 06:00 in Ho Chi Minh City (+07:00) is 23:00 UTC the day before.
        #expect(
            try slots("0 6 * * *", "Asia/Ho_Chi_Minh", after: "2026-11-29T00:00:00Z", count: 2)
                == [utc("2026-11-29T23:00:00Z"), utc("2026-11-30T23:00:00Z")])
    }

    @Test func skippedHourRunsOnceAtTheTransitionInBerlin() throws {
        // 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist that day.
        #expect(
            try slots("30 2 * * *", "Europe/Berlin", after: "2026-03-28T12:00:00Z", count: 2)
                == [utc("2026-03-29T01:00:00Z"), utc("2026-03-30T00:30:00Z")])
    }

    @Test func slotsInsideTheGapCollapseIntoOneRun() throws {
        // Every 20 minutes through the skipped hour: 02:00, 02:20, 02:40 all become 03:00 CEST,
        // which is also a slot itself: one run, not four.
        let got = try slots("*/20 * * * *", "Europe/Berlin", after: "2026-03-29T00:30:00Z", count: 4)
        #expect(
            got == [
                utc("2026-03-29T00:40:00Z"), utc("2026-03-29T01:00:00Z"), utc("2026-03-29T01:20:00Z"),
                utc("2026-03-29T01:40:00Z"),
            ])
    }

    @Test func repeatedHourRunsOnceInBerlin() throws {
        // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, runs once (the first).
        #expect(
            try slots("30 2 * * *", "Europe/Berlin", after: "2026-10-24T12:00:00Z", count: 2)
                == [utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")])
    }

    @Test func halfHourlySlotsRunOnBothPassesOfTheRepeatedHour() throws {
        let got = try slots("*/30 * * * *", "Europe/Berlin", after: "2026-10-24T23:59:00Z", count: 5)
        // 02:00 and 02:30 CEST, then 02:00 and 02:30 CET (Debian cron: a '*' schedule follows
        // elapsed time), then 03:00 CET: no 90-minute hole.
        #expect(
            got == [
                utc("2026-10-25T00:00:00Z"), utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:00:00Z"),
                utc("2026-10-25T01:30:00Z"), utc("2026-10-25T02:00:00Z"),
            ])
    }

    @Test func newYorkSpringForward() throws {
        // 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        #expect(
            try slots("0 2 * * *", "America/New_York", after: "2026-03-07T12:00:00Z", count: 3)
                == [utc("2026-03-08T07:00:00Z"), utc("2026-03-09T06:00:00Z"), utc("2026-03-10T06:00:00Z")])
    }

    @Test func newYorkFallBack() throws {
        // 1 November 2026: 02:00 EDT falls back to 01:00 EST; 01:30 is repeated and runs at its first (EDT).
        #expect(
            try slots("30 1 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", count: 2)
                == [utc("2026-11-01T05:30:00Z"), utc("2026-11-02T06:30:00Z")])
        // 02:00 exists once that day, in EST.
        #expect(
            try slots("0 2 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", count: 1) == [
                utc("2026-11-01T07:00:00Z")
            ])
    }

    @Test func monthEndsSkipShortMonths() throws {
        #expect(
            try slots("0 0 31 * *", "UTC", after: "2026-01-31T00:00:00Z", count: 3)
                == [utc("2026-03-31T00:00:00Z"), utc("2026-05-31T00:00:00Z"), utc("2026-07-31T00:00:00Z")])
    }

    @Test func leapDayWaitsForALeapYear() throws {
        #expect(
            try slots("0 12 29 2 *", "UTC", after: "2026-01-01T00:00:00Z", count: 2)
                == [utc("2028-02-29T12:00:00Z"), utc("2032-02-29T12:00:00Z")])
    }

    @Test func restrictedDayOfMonthAndWeekMatchEither() throws {
        // The 13th, or any Friday (Vixie cron): Fri 4 Dec, Fri 11 Dec, Sun 13 Dec, Fri 18 Dec.
        #expect(
            try slots("0 0 13 * fri", "UTC", after: "2026-12-01T00:00:00Z", count: 4)
                == [
                    utc("2026-12-04T00:00:00Z"), utc("2026-12-11T00:00:00Z"), utc("2026-12-13T00:00:00Z"),
                    utc("2026-12-18T00:00:00Z"),
                ])
    }

    @Test func macrosFireWhereCronWould() throws {
        #expect(try slots("@monthly", "UTC", after: "2026-11-29T10:00:00Z", count: 1) == [utc("2026-12-01T00:00:00Z")])
        #expect(try slots("@weekly", "UTC", after: "2026-11-29T10:00:00Z", count: 1) == [utc("2026-12-06T00:00:00Z")])
        #expect(try slots("@hourly", "UTC", after: "2026-11-29T10:00:00Z", count: 1) == [utc("2026-11-29T11:00:00Z")])
        #expect(try slots("@yearly", "UTC", after: "2026-11-29T10:00:00Z", count: 1) == [utc("2027-01-01T00:00:00Z")])
    }

    @Test func everyIntervalCrossesMidnightInLocalTime() throws {
        // 23:50 in Ho Chi Minh City is 16:50 UTC; every 15m is aligned to local midnight.
        #expect(
            try slots("every 15m", "Asia/Ho_Chi_Minh", after: "2026-11-29T16:50:00Z", count: 3)
                == [utc("2026-11-29T17:00:00Z"), utc("2026-11-29T17:15:00Z"), utc("2026-11-29T17:30:00Z")])
        // every 6h: 00:00, 06:00, 12:00, 18:00 local.
        #expect(
            try slots("every 6h", "Asia/Ho_Chi_Minh", after: "2026-11-29T00:00:00Z", count: 2)
                == [utc("2026-11-29T05:00:00Z"), utc("2026-11-29T11:00:00Z")])
    }

    @Test func everyIntervalKeepsRealSpacingAcrossDST() throws {
        let got = try slots("every 30m", "Europe/Berlin", after: "2026-10-25T00:10:00Z", count: 4)
        #expect(
            got == [
                utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:00:00Z"), utc("2026-10-25T01:30:00Z"),
                utc("2026-10-25T02:00:00Z"),
            ])
    }

    @Test func slotsAreStrictlyIncreasingOverAYearOfTransitions() throws {
        for zone in ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Ho_Chi_Minh"] {
            let got = try slots("*/30 1-3 * * *", zone, after: "2026-01-01T00:00:00Z", count: 2000)
            #expect(got.count == 2000)
            #expect(zip(got, got.dropFirst()).allSatisfy { $0 < $1 }, "\(zone)")
        }
    }
}
