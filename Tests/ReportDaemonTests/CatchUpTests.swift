import Foundation
import ReportCore
import Testing
import TestSupport

@testable import ReportDaemon

/// `CatchUp.slots` walks back from `now` rather than forward from the last completed slot; it must
/// give exactly what the plain walk from the last completed slot gives.
@Suite(.blocking) struct CatchUpTests {
    /// The plain walk: every slot after `lastCompleted` up to `now`.
    static func reference(
        _ schedule: Schedule, in zone: TimeZone, lastCompleted: Date, now: Date, policy: ReportDefinition.CatchUp
    ) -> [Date] {
        var missed: [Date] = []
        var cursor = lastCompleted
        while let next = schedule.nextSlot(after: cursor, in: zone), next <= now {
            missed.append(next)
            cursor = next
        }
        switch policy {
        case .none: return []
        case .once: return missed.suffix(1)
        case .all: return Array(missed.suffix(CatchUp.limit))
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var schedule: String
        var zone: String
        /// The longest downtime tried, in days (the plain walk must stay affordable).
        var days: Double
        var testDescription: String { "\(schedule) in \(zone)" }
    }

    @Test(arguments: [
        Case(schedule: "every 9s", zone: "Asia/Ho_Chi_Minh", days: 3),
        Case(schedule: "every 15m", zone: "Europe/Berlin", days: 60),
        Case(schedule: "*/15 * * * *", zone: "America/New_York", days: 40),
        Case(schedule: "30 2 * * *", zone: "Europe/Berlin", days: 400),
        Case(schedule: "0 6 * * mon-fri", zone: "Asia/Ho_Chi_Minh", days: 400),
        Case(schedule: "@hourly", zone: "Australia/Lord_Howe", days: 90),
        Case(schedule: "0 0 29 2 *", zone: "UTC", days: 3000),
        Case(schedule: "0 6 1 1 *", zone: "Asia/Ho_Chi_Minh", days: 1500),
    ])
    func walkingBackGivesWhatTheWalkFromTheLastSlotGives(_ c: Case) throws {
        let schedule = try Schedule.parse(c.schedule)
        let zone = try #require(TimeZone(identifier: c.zone))
        var state: UInt64 = 0x5EED
        func random(_ upper: Double) -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * upper
        }
        for _ in 0..<12 {
            let now = Date(timeIntervalSince1970: 1_700_000_000 + random(200_000_000))
            let last = now.addingTimeInterval(-random(c.days * 86_400))
            for policy in [ReportDefinition.CatchUp.once, .all] {
                let fast = CatchUp.slots(schedule, in: zone, lastCompleted: last, now: now, policy: policy)
                let plain = Self.reference(schedule, in: zone, lastCompleted: last, now: now, policy: policy)
                #expect(fast == plain, "\(c.schedule) \(policy) last \(last) now \(now)")
            }
        }
    }

    /// The case that took 19 s before READY: every second, last completed 11 months ago (28 million
    /// slots to walk from there; now an hour's worth).
    @Test func aSecondlyScheduleDownForMonthsFindsItsSlotsAtOnce() throws {
        let schedule = try Schedule.parse("every 1s")
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let last = now.addingTimeInterval(-330 * 86_400)
        let all = CatchUp.slots(schedule, in: TimeZone(identifier: "UTC")!, lastCompleted: last, now: now, policy: .all)
        let once = CatchUp.slots(schedule, in: TimeZone(identifier: "UTC")!, lastCompleted: last, now: now, policy: .once)
        #expect(all.count == CatchUp.limit && all.last == now && all.first == now.addingTimeInterval(-23))
        #expect(once == [now])
    }
}

/// Issue 25: a catch-up runs each missed slot's period once, because a run's period is a function
/// of its slot: the missed slots of a monthly report give each missed month once, in order.
@Suite(.blocking) struct CatchUpPeriodTests {
    @Test func eachMissedSlotReportsOnItsOwnPeriod() throws {
        let schedule = try Schedule.parse("0 6 1 * *")
        let zone = try #require(TimeZone(identifier: "Asia/Ho_Chi_Minh"))
        var rule = PeriodRule(every: .month, dateColumn: "day")
        rule.cutoffDay = 15
        // Down from just after the slot of 1 March 2026 to 10 September 2026: six slots missed.
        let last = Date(timeIntervalSince1970: 1_772_319_600)  // 2026-03-01T06:00:00+07:00
        let now = Date(timeIntervalSince1970: 1_789_000_000)  // 2026-09-10
        let missed = CatchUp.slots(schedule, in: zone, lastCompleted: last, now: now, policy: .all)
        #expect(missed.count == 6)
        let periods = missed.map { rule.runPeriod(slot: $0, in: zone).period.name }
        #expect(periods == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"])
        let once = CatchUp.slots(schedule, in: zone, lastCompleted: last, now: now, policy: .once)
        #expect(once.map { rule.runPeriod(slot: $0, in: zone).period.name } == ["2026-08"])
    }
}
