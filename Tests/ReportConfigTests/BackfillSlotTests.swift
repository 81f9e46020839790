import Foundation
import ReportCore
import Testing
import TestSupport

@testable import ReportConfig
import ReportFiles
@testable import ReportPublish

/// Issue 12, point 1, and issue 24, point 2: what `run --slot` accepts, and how second-pass run
/// names order.
@Suite(.blocking) struct BackfillSlotTests {
    let hanoi = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let now = Date(timeIntervalSince1970: 1_795_995_200)  // 2026-11-29T23:33:20Z, 06:33 in Hanoi

    func resolve(_ text: String, _ schedule: String, _ zone: TimeZone) throws -> BackfillSlot.Resolution {
        BackfillSlot.resolve(text, schedule: try Schedule.parse(schedule), zone: zone, now: now)
    }

    @Test func aPastSlotResolves() throws {
        #expect(try resolve("2026-11-23T06:00", "0 6 * * *", hanoi) == .slot(Date(timeIntervalSince1970: 1_795_388_400)))
        #expect(try resolve("2026-11-22T23:00Z", "0 6 * * *", hanoi) == .slot(Date(timeIntervalSince1970: 1_795_388_400)))
        #expect(try resolve("2026-11-23", "0 6 * * *", hanoi) == .slot(Date(timeIntervalSince1970: 1_795_388_400)))
    }

    @Test func refusals() throws {
        guard case .refused(let future) = try resolve("2026-12-01T06:00", "0 6 * * *", hanoi) else {
            Issue.record("a future slot resolved")
            return
        }
        #expect(future.contains("is in the future"))
        #expect(future.contains("the latest past slot is 2026-11-30T06:00:00+07:00, the next is 2026-12-01T06:00:00+07:00"))
        guard case .refused(let off) = try resolve("2000-01-01T06:30", "0 6 * * *", hanoi) else {
            Issue.record("a time off the schedule resolved")
            return
        }
        #expect(off.contains("the nearest slots are 2000-01-01T06:00:00+07:00 before and 2000-01-02T06:00:00+07:00 after"), "\(off)")
        guard case .refused(let none) = try resolve("2026-11-02", "0 0 1 * *", hanoi) else {
            Issue.record("a day without a slot resolved")
            return
        }
        #expect(none.contains("has no slot"), "\(none)")
        #expect(try resolve("last tuesday", "0 6 * * *", hanoi) == .notATime)
        #expect(try resolve("2026-02-30", "0 6 * * *", hanoi) == .notATime)
    }

    @Test func theRepeatedAndSkippedHours() throws {
        guard case .refused(let twice) = try resolve("2026-10-25T02:30", "*/30 * * * *", berlin) else {
            Issue.record("an ambiguous local time resolved")
            return
        }
        #expect(twice.contains("2026-10-25T02:30:00+02:00 (2026-10-25T00:30:00Z) and 2026-10-25T02:30:00+01:00 (2026-10-25T01:30:00Z)"))
        #expect(try resolve("2026-10-25T02:30+01:00", "*/30 * * * *", berlin) == .slot(Date(timeIntervalSince1970: 1_792_891_800)))
        // 02:30 on 29 March 2026 does not exist: the slot ran at the transition, 03:00 CEST.
        let transition = Date(timeIntervalSince1970: 1_774_746_000)
        #expect(try resolve("2026-03-29T02:30", "30 2 * * *", berlin) == .slot(transition))
        #expect(try resolve("2026-03-29T03:00", "30 2 * * *", berlin) == .slot(transition))
        #expect(try resolve("2026-03-29", "30 2 * * *", berlin) == .slot(transition))
        // every N: its slots are a grid in real time.
        #expect(try resolve("2026-10-25T02:00+01:00", "every 30m", berlin) == .slot(Date(timeIntervalSince1970: 1_792_890_000)))
    }

    @Test func secondPassStampsAndTheirOrder() throws {
        let secondPass = SlotTime(date: Date(timeIntervalSince1970: 1_792_891_800), timeZone: berlin)
        #expect(secondPass.stamp == "2026-10-25T023000+0100")
        let firstPass = SlotTime(date: Date(timeIntervalSince1970: 1_792_888_200), timeZone: berlin)
        #expect(firstPass.stamp == "2026-10-25T023000")
        #expect(SlotTime.instant(ofStamp: secondPass.stamp, in: berlin) == secondPass.date)
        #expect(SlotTime.instant(ofStamp: firstPass.stamp, in: berlin) == firstPass.date)
        #expect(SlotTime.instant(ofStamp: "2026-10-25T0230", in: berlin) == nil)
        var publisher = Publisher(root: "/nonexistent")
        publisher.timeZone = berlin
        let ordered = publisher.newestFirst([
            "2026-10-25T023000", "2026-10-25T020000+0100", "2026-10-25T030000", "2026-10-25T020000",
            "2026-10-25T023000+0100",
        ])
        #expect(
            ordered == [
                "2026-10-25T030000", "2026-10-25T023000+0100", "2026-10-25T020000+0100", "2026-10-25T023000",
                "2026-10-25T020000",
            ])
    }
}
