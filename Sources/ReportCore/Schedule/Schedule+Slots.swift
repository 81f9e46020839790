public import Foundation

extension Schedule {
    /// The first slot strictly after `date`, in `timeZone`; `nil` when the schedule never fires
    /// (which `parse` refuses, so only for an expression built otherwise).
    ///
    /// Daylight-saving rules (SPEC.md, "Scheduling semantics"): every cron slot inside one skipped
    /// interval runs as one run, at the transition; a repeated hour runs once, on its first pass,
    /// for a fixed-time schedule, and on both passes for one whose minute or hour field starts
    /// with `*`. `every N` slots are evenly spaced in real time, aligned to multiples of N from
    /// local standard-time midnight, so they neither bunch nor gap at a DST change (and run on
    /// both passes).
    public func nextSlot(after date: Date, in timeZone: TimeZone) -> Date? {
        switch self {
        case .every(let seconds):
            let t = Int64(date.timeIntervalSince1970.rounded(.down))
            let standardOffset =
                Int64(timeZone.secondsFromGMT(for: date)) - Int64(timeZone.daylightSavingTimeOffset(for: date))
            let n = Int64(seconds)
            let local = t + standardOffset
            let next = floorDivide(local, n) * n + n
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

    /// The last slot strictly before `date`; `nil` when there is none in the 400 years before it.
    public func previousSlot(before date: Date, in timeZone: TimeZone) -> Date? {
        let end = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up))
        // Walk forward from ever earlier starts: a frequent schedule is found in the first window,
        // a rare one (29 February on a Sunday) in a later one, without walking many slots.
        let day: TimeInterval = 86400
        let windows: [TimeInterval] = [3600, day, 32 * day, 366 * day, 8 * 366 * day, 50 * 366 * day, 401 * 366 * day]
        for window in windows {
            var cursor = end.addingTimeInterval(-window)
            var last: Date?
            while let next = nextSlot(after: cursor, in: timeZone), next < end {
                last = next
                cursor = next
            }
            if let last { return last }
        }
        return nil
    }

    /// Whether `date` (whole seconds) is one of the slots.
    public func isSlot(_ date: Date, in timeZone: TimeZone) -> Bool {
        nextSlot(after: date.addingTimeInterval(-1), in: timeZone) == date
    }
}

extension CronExpression {
    func nextSlot(after date: Date, in timeZone: TimeZone) -> Date? {
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        let localNow = after + Int64(timeZone.secondsFromGMT(for: date))
        // Start a day early: the first occurrence of a repeated hour can precede `date`'s local day.
        let (startYear, startMonth, startDay) = Day(daysSinceEpoch: Int32(floorDivide(localNow, 86400) - 1)).components
        var year = startYear
        var month = startMonth
        var firstDay = startDay
        // Month by month, so that a rare day (29 February on a Sunday) is found in at most 400
        // years of months without walking each day; `parse` guarantees one within the cycle.
        for _ in 0..<(401 * 12 + 2) {
            if months.contains(month), let first = Day(year: year, month: month, day: 1) {
                let length = Day.daysInMonth(year: year, month: month)
                let firstWeekday = Self.weekday(of: first.daysSinceEpoch)
                for d in firstDay...length where dayMatches(day: d, weekday: (firstWeekday + d - 1) % 7, length: length) {
                    let day = Int64(first.daysSinceEpoch) + Int64(d - 1)
                    if let slot = firstSlot(onDay: day, after: after, in: timeZone) {
                        return Date(timeIntervalSince1970: TimeInterval(slot))
                    }
                }
            }
            firstDay = 1
            month += 1
            if month > 12 {
                month = 1
                year += 1
            }
        }
        return nil
    }

    /// The earliest slot of local day `day` (days since the epoch) after `after`, if any.
    private func firstSlot(onDay day: Int64, after: Int64, in timeZone: TimeZone) -> Int64? {
        let dayStart = day * 86400
        let clock = LocalClock.Window(from: dayStart - 86400, to: dayStart + 2 * 86400, in: timeZone)
        let hourList = hours.sorted()
        let minuteList = minutes.sorted()
        guard let transition = clock.transition else {
            // One offset all day: wall times and instants keep their order.
            for hour in hourList where dayStart + Int64(hour) * 3600 + 3599 - clock.before > after {
                for minute in minuteList {
                    let instant = dayStart + Int64(hour) * 3600 + Int64(minute) * 60 - clock.before
                    if instant > after { return instant }
                }
            }
            return nil
        }
        // A transition near this day: each wall time's instants, the earliest after `after`. A
        // second pass can come after later wall times' first passes, so every one is looked at.
        var best: Int64?
        for hour in hourList {
            for minute in minuteList {
                let wall = dayStart + Int64(hour) * 3600 + Int64(minute) * 60
                let instants = clock.instants(ofLocal: wall)
                let chosen = instants.isEmpty ? [transition] : followsElapsedTime ? instants : [instants[0]]
                for t in chosen where t > after && t < (best ?? .max) { best = t }
            }
        }
        return best
    }
}

/// Local wall-clock times (seconds since the epoch as if the zone were UTC) and the instants they
/// name in a time zone, without `DateFormatter` (see TOOLCHAIN.md).
public enum LocalClock {
    /// The zone's offsets over a span of instants, assuming at most one change within it (a few
    /// days: no zone changes its offset twice in that time).
    struct Window {
        /// The offset at the start of the span, and after the transition if there is one.
        let before: Int64
        let after: Int64
        /// The first instant with the new offset.
        let transition: Int64?

        init(from start: Int64, to end: Int64, in timeZone: TimeZone) {
            func offset(_ t: Int64) -> Int64 { Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t)))) }
            before = offset(start)
            after = offset(end)
            guard before != after else {
                transition = nil
                return
            }
            // The first instant whose offset is no longer the starting one.
            var low = start
            var high = end
            while high - low > 1 {
                let mid = low + (high - low) / 2
                if offset(mid) == before { low = mid } else { high = mid }
            }
            transition = high
        }

        /// The instants of local wall time `wall`, earliest first: one, two (a repeated time), or
        /// none (a skipped time).
        func instants(ofLocal wall: Int64) -> [Int64] {
            guard let transition else { return [wall - before] }
            var out: [Int64] = []
            if wall - before < transition { out.append(wall - before) }
            if wall - after >= transition { out.append(wall - after) }
            return out
        }
    }

    static func window(around wall: Int64, in timeZone: TimeZone) -> Window {
        Window(from: wall - 2 * 86400, to: wall + 2 * 86400, in: timeZone)
    }

    /// The instants at which local time `wall` occurs in `timeZone`, earliest first: one; two in a
    /// repeated hour (first and second pass); none in a skipped interval.
    public static func instants(ofLocal wall: Int64, in timeZone: TimeZone) -> [Date] {
        window(around: wall, in: timeZone).instants(ofLocal: wall).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// For a local time inside a skipped interval, the transition that skips it (where its slots
    /// run); nil for a local time that exists.
    public static func transition(skipping wall: Int64, in timeZone: TimeZone) -> Date? {
        let window = window(around: wall, in: timeZone)
        guard window.instants(ofLocal: wall).isEmpty, let t = window.transition else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(t))
    }

    /// The local wall time of `date` in `timeZone`.
    public static func wall(of date: Date, in timeZone: TimeZone) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(timeZone.secondsFromGMT(for: date))
    }

    /// Whether `date` is the second pass of a repeated local time: the same wall time came earlier.
    public static func isSecondPass(_ date: Date, in timeZone: TimeZone) -> Bool {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        let instants = window(around: wall(of: date, in: timeZone), in: timeZone).instants(ofLocal: wall(of: date, in: timeZone))
        return instants.count > 1 && instants[0] < t
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : (a - b + 1) / b
}
