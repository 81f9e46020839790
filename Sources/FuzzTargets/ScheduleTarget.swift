import Foundation
import ReportCore

extension FuzzTarget {
    /// Schedules: the input is three parts, one a line: a time zone, a Unix time, and the schedule
    /// text (the rest of the input). A time zone that is not a known name picks one of the known
    /// zones by a hash of the line, and the time is folded into 1900–2200, so every input runs.
    ///
    /// Invariants: a parse error's offset lies within the text; a parsed schedule's description
    /// parses back to the same schedule; the next slot is after the given time (for `every N`, at
    /// most N later); a cron slot's local minute, hour and day match the expression unless the slot
    /// is a daylight-saving transition (a skipped local time); a parsed cron expression always
    /// finds a slot; three successive slots increase.
    public static let schedule = FuzzTarget(name: "fuzz-schedule", corpus: "schedule") {
        bytes throws(InvariantViolation) in
        let input = ScheduleInput(bytes)
        let length = input.text.unicodeScalars.count
        let schedule: Schedule
        do throws(ScheduleError) {
            schedule = try Schedule.parse(input.text)
        } catch {
            try check(
                (0...length).contains(error.offset),
                "error offset \(error.offset) outside '\(input.text)' (\(length) scalars): \(error.message)")
            return
        }
        let again: Schedule
        do {
            again = try Schedule.parse(schedule.description)
        } catch {
            throw InvariantViolation("'\(input.text)' parses, its description '\(schedule)' does not: \(error)")
        }
        try check(again == schedule, "'\(input.text)' and its description '\(schedule)' differ")

        let zone = input.timeZone
        let after = input.date
        let next = schedule.nextSlot(after: after, in: zone)
        switch schedule {
        case .every(let seconds):
            guard let next else { throw InvariantViolation("'\(input.text)' has no next slot") }
            try check(
                next > after && next.timeIntervalSince(after) <= Double(seconds),
                "'\(input.text)' after \(after) in \(zone.identifier): \(next) is not within the interval")
        case .cron(let cron):
            // `parse` refuses a schedule that never fires (checked over the 400-year cycle).
            guard let next else {
                throw InvariantViolation("'\(input.text)' after \(after) in \(zone.identifier): no slot")
            }
            try check(next > after, "'\(input.text)' after \(after) in \(zone.identifier): \(next) is not later")
            let offset = zone.secondsFromGMT(for: next)
            let local = Int64(next.timeIntervalSince1970) + Int64(offset)
            let day = Int32((local - ((local % 86400) + 86400) % 86400) / 86400)
            let (year, month, dayOfMonth) = Day(daysSinceEpoch: day).components
            let weekday = Int(((Int64(day) % 7) + 7 + 4) % 7)
            let secondOfDay = Int(((local % 86400) + 86400) % 86400)
            let matches =
                cron.matches(year: year, month: month, day: dayOfMonth, weekday: weekday)
                && cron.hours.contains(secondOfDay / 3600) && cron.minutes.contains(secondOfDay / 60 % 60)
                && secondOfDay % 60 == 0
            let transition = zone.secondsFromGMT(for: next.addingTimeInterval(-1)) != offset
            try check(
                matches || transition,
                "'\(input.text)' after \(after) in \(zone.identifier): \(next) (local \(Day(daysSinceEpoch: day)) second \(secondOfDay)) does not match and is no transition"
            )
        }
        let slots = schedule.slots(after: after, count: 3, in: zone)
        try check(zip(slots, slots.dropFirst()).allSatisfy { $0 < $1 }, "slots do not increase: \(slots)")
    }
}

/// The parts of a schedule target's input.
struct ScheduleInput {
    var timeZone: TimeZone
    var date: Date
    var text: String

    static let zones = TimeZone.knownTimeZoneIdentifiers.sorted()

    init(_ bytes: [UInt8]) {
        let input = String(decoding: bytes, as: UTF8.self)
        let lines = input.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        let zoneLine = lines.count > 1 ? String(lines[0]) : "UTC"
        let timeLine = lines.count > 2 ? String(lines[1]) : "0"
        text = String(lines.last ?? "")
        if let zone = TimeZone(identifier: zoneLine) {
            timeZone = zone
        } else {
            // FNV-1a: stable across runs, unlike `hashValue`.
            let hash = zoneLine.utf8.reduce(UInt64(14_695_981_039_346_656_037)) {
                ($0 ^ UInt64($1)) &* 1_099_511_628_211
            }
            timeZone = TimeZone(identifier: Self.zones[Int(hash % UInt64(Self.zones.count))]) ?? .gmt
        }
        // 1900-01-01 to 2200-01-01, in whole and fractional seconds.
        let low = -2_208_988_800.0
        let span = 9_466_848_000.0
        let seconds = Double(timeLine.trimmingCharacters(in: .whitespaces)) ?? Double(timeLine.utf8.count)
        let folded = seconds.isFinite ? (seconds - low).truncatingRemainder(dividingBy: span) : 0
        date = Date(timeIntervalSince1970: low + (folded < 0 ? folded + span : folded))
    }
}
