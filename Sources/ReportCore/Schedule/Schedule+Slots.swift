import Foundation

extension Schedule {
    /// The first slot strictly after `date`, in `timeZone`; `nil` when the schedule never fires
    /// (a cron day that no month has, such as 31 February).
    ///
    /// Daylight-saving rules (SPEC.md, "Scheduling semantics"): a cron slot whose local time falls in
    /// a skipped hour fires once, at the transition; a slot in a repeated hour fires once, at its
    /// first occurrence. `every N` slots are evenly spaced in real time, aligned to multiples of N
    /// from local standard-time midnight, so they neither bunch nor gap at a DST change.
    public func nextSlot(after date: Date, in timeZone: TimeZone) -> Date? {
        switch self {
        case .every(let seconds):
            let t = Int64(date.timeIntervalSince1970.rounded(.down))
            let standardOffset =
                Int64(timeZone.secondsFromGMT(for: date)) - Int64(timeZone.daylightSavingTimeOffset(for: date))
            let n = Int64(seconds)
            let local = t + standardOffset
            let next = (local >= 0 ? local / n : (local - n + 1) / n) * n + n
            return Date(timeIntervalSince1970: TimeInterval(next - standardOffset))
        case .cron(let cron):
            return cron.nextSlot(after: date, in: timeZone)
        }
    }

    /// The next `count` slots after `date`.
    public func slots(after date: Date, count: Int, in timeZone: TimeZone) -> [Date] {
        var out: [Date] = []
        var cursor = date
        while out.count < count, let next = nextSlot(after: cursor, in: timeZone) {
            out.append(next)
            cursor = next
        }
        return out
    }
}

extension CronExpression {
    /// How far ahead to look: 29 February on a given weekday can be 28 years away.
    static let searchDays = 366 * 29

    func nextSlot(after date: Date, in timeZone: TimeZone) -> Date? {
        let after = date.timeIntervalSince1970
        let localNow = Int64(after.rounded(.down)) + Int64(timeZone.secondsFromGMT(for: date))
        // Start a day early: the first occurrence of a repeated hour can precede `date`'s local day.
        var day = Int32(floorDivide(localNow, 86400)) - 1
        let hourList = hours.sorted()
        let minuteList = minutes.sorted()
        for _ in 0..<Self.searchDays {
            defer { day += 1 }
            let (_, month, dayOfMonth) = Day(daysSinceEpoch: day).components
            // 1970-01-01 was a Thursday (4).
            let weekday = Int((Int64(day) % 7 + 7 + 4) % 7)
            guard matches(month: month, day: dayOfMonth, weekday: weekday) else { continue }
            for hour in hourList {
                for minute in minuteList {
                    let wall = Int64(day) * 86400 + Int64(hour) * 3600 + Int64(minute) * 60
                    let instant = Self.instant(ofLocal: wall, in: timeZone)
                    if instant.timeIntervalSince1970 > after { return instant }
                }
            }
        }
        return nil
    }

    /// The instant of a local wall-clock time (seconds since the epoch, as if UTC) in `timeZone`:
    /// the time itself when it exists once; its first occurrence when it is repeated; the
    /// transition instant when it falls in a skipped hour.
    static func instant(ofLocal wall: Int64, in timeZone: TimeZone) -> Date {
        let before = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(wall - 86400))))
        let after = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(wall + 86400))))
        var candidates: [Int64] = []
        for offset in Set([before, after]) {
            let t = wall - offset
            if Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))) == offset {
                candidates.append(t)
            }
        }
        if let first = candidates.min() { return Date(timeIntervalSince1970: TimeInterval(first)) }
        // In a gap: the wall time read with the new offset lies just before the transition.
        let probe = Date(timeIntervalSince1970: TimeInterval(wall - max(before, after)))
        if let transition = timeZone.nextDaylightSavingTimeTransition(after: probe) { return transition }
        return Date(timeIntervalSince1970: TimeInterval(wall - before))
    }
}

private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : (a - b + 1) / b
}
