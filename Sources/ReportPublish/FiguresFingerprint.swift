import Crypto
public import ReportCore

/// The fingerprint of a report's figures for `changed` (`publish_when`, alerts): the SHA-256 of
/// its columns, rows, totals and period, never of timestamps, provenance or rejected counts, so
/// that the same figures computed again give the same fingerprint.
public enum FiguresFingerprint {
    public static func of(_ result: ReportResult) -> String {
        var text = "columns"
        for column in result.columns { text += "\u{1F}\(column.name)\u{1E}\(column.role.rawValue)\u{1E}\(column.type)" }
        for row in result.rows { text += "\nrow" + row.map(cell).joined() }
        if let totals = result.totals { text += "\ntotals" + totals.map(cell).joined() }
        if let period = result.period { text += "\nperiod" + period.ranges.map { "\u{1F}\($0)" }.joined() }
        return Hex.string(SHA256.hash(data: Array(text.utf8)))
    }

    /// The key of the period the figures are for: its ranges, or `all` without `period:`.
    public static func periodKey(_ result: ReportResult) -> String {
        result.period.map { $0.ranges.map(\.description).joined(separator: " ") } ?? "all"
    }

    private static func cell(_ value: Value) -> String {
        switch value {
        case .null: return "\u{1F}n"
        case .int(let v): return "\u{1F}i\(v)"
        case .decimal(let v): return "\u{1F}d\(v)"
        case .string(let s): return "\u{1F}s\(s.utf8.count):\(s)"
        case .bool(let b): return "\u{1F}b\(b)"
        case .date(let d): return "\u{1F}t\(d)"
        }
    }
}
