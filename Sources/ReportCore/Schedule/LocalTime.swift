public import Foundation

/// Reads the times administrators type: `2026-11-23T06:00`, `2026-11-23T06:00:00`, `2026-11-23 06:00`
/// (local time in a given zone), or the same with `Z` or an offset such as `+07:00`.
public enum LocalTime {
    /// What was typed: the local wall time (seconds since the epoch as if the zone were UTC), the
    /// offset when one was given, and whether it was a plain date (`2026-11-23`, wall at midnight).
    public struct Components: Sendable, Hashable {
        public var wall: Int64
        public var offset: Int?
        public var dateOnly: Bool
    }

    /// The parts of `text`, without a zone; nil when it is not a time (nor a plain date).
    public static func components(_ text: String) -> Components? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        var offset: Int?
        if s.hasSuffix("Z") {
            offset = 0
            s = s.dropLast()
        } else if s.count > 10, let signIndex = s.index(s.endIndex, offsetBy: -6, limitedBy: s.startIndex),
            s[signIndex] == "+" || s[signIndex] == "-"
        {
            let parts = s[s.index(after: signIndex)...].split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...14).contains(h), (0...59).contains(m)
            else { return nil }
            offset = (s[signIndex] == "-" ? -1 : 1) * (h * 3600 + m * 60)
            s = s[..<signIndex]
        }
        let halves = s.split(whereSeparator: { $0 == "T" || $0 == " " })
        guard (1...2).contains(halves.count) else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard date.count == 3, let y = date[0], let mo = date[1], let d = date[2], let day = Day(year: y, month: mo, day: d)
        else { return nil }
        if halves.count == 1 {
            guard offset == nil else { return nil }
            return Components(wall: Int64(day.daysSinceEpoch) * 86400, offset: nil, dateOnly: true)
        }
        let time = halves[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(time.count), let h = time[0], let mi = time[1], (0...23).contains(h), (0...59).contains(mi)
        else { return nil }
        let sec = time.count == 3 ? time[2] : 0
        guard let sec, (0...59).contains(sec) else { return nil }
        let wall = Int64(day.daysSinceEpoch) * 86400 + Int64(h * 3600 + mi * 60 + sec)
        return Components(wall: wall, offset: offset, dateOnly: false)
    }

    /// The instant `text` names in `zone` (a date and a time; a plain date is not one). A local
    /// time that happens twice is its first pass; one the clocks skip is the transition.
    public static func parse(_ text: String, in zone: TimeZone) -> Date? {
        guard let c = components(text), !c.dateOnly else { return nil }
        if let offset = c.offset { return Date(timeIntervalSince1970: TimeInterval(c.wall - Int64(offset))) }
        return LocalClock.instants(ofLocal: c.wall, in: zone).first ?? LocalClock.transition(skipping: c.wall, in: zone)
    }
}
