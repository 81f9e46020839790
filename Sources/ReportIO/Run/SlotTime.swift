import Foundation

/// A run's time as reportd writes it: local time in the report's zone, with its UTC offset.
///
/// Built from `Calendar` components rather than `DateFormatter`, which crashes on servers without
/// zoneinfo (see TOOLCHAIN.md).
public struct SlotTime: Sendable, Hashable {
    public let date: Date
    public let timeZone: TimeZone

    public init(date: Date, timeZone: TimeZone) {
        // Slots are whole seconds: file names carry no fractions.
        self.date = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        self.timeZone = timeZone
    }

    private var parts: (DateComponents, Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return (c, timeZone.secondsFromGMT(for: date))
    }

    private static func pad(_ v: Int?, _ width: Int = 2) -> String {
        let s = String(v ?? 0)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `2026-11-29T06:00:00+07:00`
    public var iso8601: String {
        let (c, offset) = parts
        let sign = offset < 0 ? "-" : "+"
        let o = abs(offset)
        let zone = "\(sign)\(Self.pad(o / 3600)):\(Self.pad((o % 3600) / 60))"
        return
            "\(Self.pad(c.year, 4))-\(Self.pad(c.month))-\(Self.pad(c.day))T\(Self.pad(c.hour)):\(Self.pad(c.minute)):\(Self.pad(c.second))\(zone)"
    }

    /// `2026-11-29T060000`, as in output file names.
    public var stamp: String {
        let (c, _) = parts
        return
            "\(Self.pad(c.year, 4))-\(Self.pad(c.month))-\(Self.pad(c.day))T\(Self.pad(c.hour))\(Self.pad(c.minute))\(Self.pad(c.second))"
    }
}
