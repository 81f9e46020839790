import ReportCore

extension JSONWriter {
    /// The JSON members `"period"`, `"compare"` and `"cumulative"`, each line ending with ",\n".
    static func periodMembers(_ period: RunPeriod, locale: String?) -> String {
        func range(_ r: DateRange, _ label: String) -> String {
            "{\"start\": \"\(r.start)\", \"end\": \"\(r.end)\", \"label\": \(string(label))}"
        }
        var out = "  \"period\": " + range(period.range, period.label(locale: locale)) + ",\n"
        if !period.compared.isEmpty {
            out += "  \"compare\": {"
            out += period.compared.map {
                "\(string($0.kind.rawValue)): " + range($0.range, period.label(of: $0, locale: locale))
            }.joined(separator: ", ")
            out += "},\n"
        }
        if let ytd = period.yearToDate, let label = period.yearToDateLabel(locale: locale) {
            out += "  \"cumulative\": {\"year_to_date\": " + range(ytd, label) + "},\n"
        }
        return out
    }
}
