/// The period a run reported on, as the run history, the manifest, `status` and `index.html` name
/// it: `2026-11`, 2026-11-01 to 2026-11-30, "Tháng 11/2026".
public struct PeriodRecord: Codable, Sendable, Equatable {
    /// The name `run --period` takes.
    public var name: String
    /// First and last local date of the range reported on, ISO 8601.
    public var start: String
    public var end: String
    public var label: String

    public init(name: String, start: String, end: String, label: String) {
        self.name = name
        self.start = start
        self.end = end
        self.label = label
    }

    /// The record of `period`, its label in `locale`.
    public init(_ period: RunPeriod, locale: String?) {
        self.init(
            name: period.period.name, start: period.range.start.description, end: period.range.end.description,
            label: period.label(locale: locale))
    }
}
