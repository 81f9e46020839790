extension ReportDefinition {
    /// The metric columns of the report's outputs: each metric, followed by the columns its
    /// period adds (the compared values, their change in percent, the year to date). A change
    /// column is listed for every metric although the engine leaves it out for `share`, `growth`
    /// and metrics that are not numbers.
    public var outputMetricNames: [String] {
        guard let rule = period else { return metrics.map(\.name) }
        return metrics.flatMap { metric in
            [metric.name]
                + rule.compare.flatMap { ["\(metric.name)_\($0.rawValue)", "\(metric.name)_vs_\($0.rawValue)_pct"] }
                + (rule.cumulative == nil ? [] : ["\(metric.name)_year_to_date"])
        }
    }
}
