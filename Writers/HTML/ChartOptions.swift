public import ReportCore

/// The `chart:` options of a report's HTML page.
public struct ChartOptions: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A line chart when the first group column is a period (a date, or a year by its name),
        /// horizontal bars otherwise.
        case auto
        case bars
        /// A line over the first group column's values in table order, whatever its name.
        case line
        /// No chart.
        case none
    }

    /// The metric to draw; the first numeric metric when nil.
    public var metric: String?
    public var kind: Kind = .auto

    public init(metric: String? = nil, kind: Kind = .auto) {
        self.metric = metric
        self.kind = kind
    }
}

extension ReportDefinition {
    /// The HTML page's chart (`chart:`): which metric, and which kind.
    public var chart: ChartOptions {
        get { writerOptions[ChartOptions.self] ?? ChartOptions() }
        set { writerOptions[ChartOptions.self] = newValue }
    }
}

extension HTMLWriter: ConfigurableWriter {
    /// `chart: {metric: support, type: line}` in the report file.
    public static let settingsKey = "chart"
    public static let settingsKeys = ["metric", "type"]

    public static func readSettings(_ settings: inout some SettingsReader, into report: inout ReportDefinition) {
        if let name = settings.string("metric") {
            let names = report.metrics.map(\.name)
            if names.contains(name) {
                report.chart.metric = name
            } else {
                var message = "'chart.metric' names no metric of this report: '\(name)'"
                if let guess = closestMatch(to: name, among: names) { message += "; did you mean '\(guess)'?" }
                settings.error(message, at: "metric")
            }
        }
        if let kind = settings.choice("type", as: ChartOptions.Kind.self) { report.chart.kind = kind }
    }
}
