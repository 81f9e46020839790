import Foundation

/// Reads the times administrators type: `2026-11-23T06:00`, `2026-11-23T06:00:00`, `2026-11-23 06:00`
/// (local time in a given zone), or the same with `Z` or an offset such as `+07:00`.
public enum LocalTime {
    public static func parse(_ text: String, in zone: TimeZone) -> Date? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        var offset: Int?
        if s.hasSuffix("Z") {
            offset = 0
            s = s.dropLast()
        } else if s.count > 6, let signIndex = s.index(s.endIndex, offsetBy: -6, limitedBy: s.startIndex),
            s[signIndex] == "+" || s[signIndex] == "-"
        {
            let parts = s[s.index(after: signIndex)...].split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
            offset = (s[signIndex] == "-" ? -1 : 1) * (h * 3600 + m * 60)
            s = s[..<signIndex]
        }
        let halves = s.split(whereSeparator: { $0 == "T" || $0 == " " })
        guard halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "-").compactMap { Int($0) }
        let time = halves[1].split(separator: ":").compactMap { Int($0) }
        guard date.count == 3, (2...3).contains(time.count), (0...23).contains(time[0]), (0...59).contains(time[1])
        else {
            return nil
        }
        var components = DateComponents(
            year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1],
            second: time.count == 3 ? time[2] : 0)
        var calendar = Calendar(identifier: .gregorian)
        if let offset {
            calendar.timeZone = TimeZone(secondsFromGMT: offset)!
        } else {
            calendar.timeZone = zone
        }
        components.timeZone = calendar.timeZone
        guard let result = calendar.date(from: components),
            calendar.component(.day, from: result) == date[2]
        else { return nil }
        return result
    }
}
