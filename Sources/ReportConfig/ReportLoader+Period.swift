import Foundation
import ReportCore
import Yams

extension ConfigLoader {
    static let periodKeys = ["every", "date_column", "covers", "cutoff_day", "week_starts"]

    /// `period:`, `compare:` and `cumulative:` of a report, checked against the dataset's schema
    /// (a date column) and the schedule (`validate`'s warnings); nil without `period:`.
    func parsePeriod(
        _ f: Fields, schema: DatasetSchema?, schedule: Schedule?, timezone: String, _ file: inout YAMLFile
    ) -> PeriodRule? {
        guard let node = f["period"] else {
            for key in ["compare", "cumulative"] {
                if let n = f.keyNode(key) {
                    file.error("'\(key)' needs 'period:' (the period whose figures it compares or accumulates)", at: n)
                }
            }
            return nil
        }
        guard let p = file.fields(node, what: "'period'", allowed: Self.periodKeys) else { return nil }
        var every: PeriodRule.Every?
        if let n = p["every"] {
            every = file.choice(n, "'period.every'", as: PeriodRule.Every.self)
        } else {
            file.error("'period' needs 'every': day, week, month, quarter, half or year", at: node)
        }
        var dateColumn: String?
        if let n = p["date_column"] {
            if let name = file.string(n, "'period.date_column'") {
                dateColumn = name
                if let schema {
                    if let column = schema.column(named: name) {
                        if column.type != .date {
                            file.error(
                                "'period.date_column' must be a date column: '\(name)' is \(column.type.rawValue)",
                                at: n)
                        }
                    } else {
                        let dates = schema.columns.filter { $0.type == .date }.map(\.name)
                        var message = "unknown column '\(name)' in period.date_column"
                        if let guess = closestMatch(to: name, among: schema.columnNames) {
                            message += " (did you mean '\(guess)'?)"
                        } else if !dates.isEmpty {
                            message += " (the dataset's date columns are \(dates.joined(separator: ", ")))"
                        } else {
                            message += " (the dataset has no date column)"
                        }
                        file.error(message, at: n)
                    }
                }
            }
        } else {
            file.error("'period' needs 'date_column', the date column that places each row in a period", at: node)
        }
        guard let every, let dateColumn else { return nil }
        var rule = PeriodRule(every: every, dateColumn: dateColumn)
        if let n = p["covers"], let v = file.choice(n, "'period.covers'", as: PeriodRule.Covers.self) {
            rule.covers = v
        }
        if let n = p["cutoff_day"] {
            if every == .day || every == .week {
                file.error(
                    "'period.cutoff_day' applies to month, quarter, half and year periods, not to every: \(every.rawValue) (remove it)",
                    at: p.keyNode("cutoff_day") ?? n)
            } else if let v = file.int(n, "'period.cutoff_day'", range: 1...28) {
                rule.cutoffDay = v
            }
        }
        if let n = p["week_starts"] {
            if every != .week {
                file.error("'period.week_starts' applies to every: week only", at: p.keyNode("week_starts") ?? n)
            } else if let v = file.choice(n, "'period.week_starts'", as: PeriodRule.Weekday.self) {
                rule.weekStarts = v
            }
        }
        if let n = f["compare"], let list = file.stringList(n, "'compare'") {
            for (text, item) in list {
                if let kind = PeriodRule.Comparison(rawValue: text) {
                    if rule.compare.contains(kind) {
                        file.error("'\(text)' is listed twice in compare", at: item)
                    } else {
                        rule.compare.append(kind)
                    }
                } else {
                    let options = PeriodRule.Comparison.allCases.map(\.rawValue)
                    var message = "unknown comparison '\(text)' (use \(options.joined(separator: " or ")))"
                    if let guess = closestMatch(to: text, among: options) { message += "; did you mean '\(guess)'?" }
                    file.error(message, at: item)
                }
            }
        }
        if let n = f["cumulative"] {
            rule.cumulative = file.choice(n, "'cumulative'", as: PeriodRule.Cumulative.self)
        }
        if let schedule, let zone = TimeZone(identifier: timezone) {
            for warning in rule.warnings(schedule: schedule, in: zone, from: Date()) {
                file.warning(warning, at: node)
            }
        }
        return rule
    }

    /// A metric or group column named like a column the period adds to another metric is an error.
    func checkPeriodColumns(
        _ rule: PeriodRule, metrics: [MetricDefinition], groupBy: [String], at root: Node, _ file: inout YAMLFile
    ) {
        let taken = Set(groupBy + metrics.map(\.name))
        for metric in metrics {
            var single = ReportDefinition(
                name: "x", title: "", dataset: "", schedule: .every(seconds: 60), timezone: "UTC", metrics: [metric])
            single.period = rule
            for name in single.outputMetricNames.dropFirst() where taken.contains(name) {
                file.error(
                    "output column '\(name)' is both a column of the report and the one 'compare'/'cumulative' add to metric '\(metric.name)': rename it",
                    at: root)
            }
        }
    }
}

extension ReportJSONSchema {
    /// The JSON Schema of `period:`, `compare:` and `cumulative:`.
    static var periodProperties: [String: Any] {
        [
            "period": [
                "type": "object", "additionalProperties": false, "required": ["every", "date_column"],
                "description": "the period each run reports on; without it a report covers the whole dataset",
                "properties": [
                    "every": ["enum": PeriodRule.Every.allCases.map(\.rawValue)],
                    "date_column": ["type": "string", "description": "a date column of the dataset"],
                    "covers": [
                        "enum": PeriodRule.Covers.allCases.map(\.rawValue),
                        "description":
                            "previous (default): the latest period ended before the slot's date; current: the period containing it, to that date",
                    ],
                    "cutoff_day": [
                        "type": "integer", "minimum": 1, "maximum": 28,
                        "description":
                            "month and longer periods: c > 1 runs a period from day c of the month before its first month to day c-1 of its last",
                    ],
                    "week_starts": ["enum": PeriodRule.Weekday.allCases.map(\.rawValue)],
                ],
            ],
            "compare": [
                "type": "array", "uniqueItems": true, "items": ["enum": PeriodRule.Comparison.allCases.map(\.rawValue)],
            ],
            "cumulative": ["enum": PeriodRule.Cumulative.allCases.map(\.rawValue)],
        ]
    }
}
