public import Foundation

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

    /// `2026-11-29T060000`, as in output file names; a slot on the second pass of a repeated hour
    /// carries its offset, with no colon (`2027-10-31T023000+0100`), so that it never shares the
    /// first pass's name (SPEC.md, "Outputs").
    public var stamp: String {
        let (c, offset) = parts
        let local =
            "\(Self.pad(c.year, 4))-\(Self.pad(c.month))-\(Self.pad(c.day))T\(Self.pad(c.hour))\(Self.pad(c.minute))\(Self.pad(c.second))"
        guard LocalClock.isSecondPass(date, in: timeZone) else { return local }
        let o = abs(offset)
        return local + (offset < 0 ? "-" : "+") + Self.pad(o / 3600) + Self.pad((o % 3600) / 60)
    }

    /// The instant a file name's stamp stands for, read in `timeZone`: with an offset, exactly;
    /// without, the first pass of its local time (or, for a skipped time, its transition). Orders
    /// runs by real time, which the names alone do not around a repeated hour. Nil when `stamp` is
    /// not one.
    public static func instant(ofStamp stamp: some StringProtocol, in timeZone: TimeZone) -> Date? {
        let b = Array(stamp.utf8)
        guard b.count == 17 || b.count == 22, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T")
        else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            var v = 0
            for i in from..<(from + length) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2),
            let mi = number(13, 2), let s = number(15, 2), let day = Day(year: y, month: mo, day: d)
        else { return nil }
        let wall = Int64(day.daysSinceEpoch) * 86400 + Int64(h * 3600 + mi * 60 + s)
        if b.count == 22 {
            guard b[17] == UInt8(ascii: "+") || b[17] == UInt8(ascii: "-"), let oh = number(18, 2), let om = number(20, 2)
            else { return nil }
            let offset = Int64(oh * 3600 + om * 60) * (b[17] == UInt8(ascii: "-") ? -1 : 1)
            return Date(timeIntervalSince1970: TimeInterval(wall - offset))
        }
        return LocalClock.instants(ofLocal: wall, in: timeZone).first
            ?? LocalClock.transition(skipping: wall, in: timeZone) ?? Date(timeIntervalSince1970: TimeInterval(wall))
    }
}
