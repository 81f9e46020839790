import Foundation
import ReportCore
import Yams

/// `split_by`, `split_max`, `publish_when`, `alerts` and `email_by_value` (SPEC, "One file per
/// office, and only when it matters").
extension ConfigLoader {
    static let splitKeys = ["split_by", "split_max", "publish_when", "alerts"]
    static let alertKeys = ["when", "message", "notify"]

    /// Reads the keys into `d` (whose metrics and group columns are read already); `schema` is nil
    /// when the dataset's schema is not known yet (a database's, without `--connect`).
    func parseSplitKeys(
        _ f: Fields, into d: inout ReportDefinition, schema: DatasetSchema?, daemon: DaemonConfig,
        _ file: inout YAMLFile
    ) {
        if let n = f["split_by"], let column = file.string(n, "'split_by'") {
            if d.outputMetricNames.contains(column), schema?.column(named: column) == nil {
                file.error("'split_by' names the metric '\(column)': it must be a column of the dataset", at: n)
            } else if let schema, schema.column(named: column) == nil {
                var message = "unknown column '\(column)' in split_by"
                if let guess = closestMatch(to: column, among: schema.columnNames) {
                    message += " (did you mean '\(guess)'?)"
                } else {
                    message += " (the dataset's columns are \(schema.columnNames.joined(separator: ", ")))"
                }
                file.error(message, at: n)
            }
            d.split = SplitRule(column: column)
        }
        if let n = f["split_max"] {
            if let v = file.int(n, "'split_max'", range: 1...100_000) {
                if d.split == nil {
                    file.error("'split_max' needs 'split_by'", at: n)
                } else {
                    d.split?.max = v
                }
            }
        }
        let metrics = d.outputMetricNames
        if let n = f["publish_when"] { d.publishWhen = condition(n, "publish_when", metrics: metrics, &file) }
        if let n = f["alerts"] {
            guard case .sequence(let items) = n, !items.isEmpty else {
                file.error("'alerts' must be a list of {when, message, notify}", at: n)
                return
            }
            var seen: Set<String> = []
            for item in items {
                guard let fields = file.fields(item, what: "an alert", allowed: Self.alertKeys) else { continue }
                guard let whenNode = fields["when"] else {
                    file.error("an alert needs 'when', a condition such as \"rows == 0\"", at: item)
                    continue
                }
                let when = condition(whenNode, "alert 'when'", metrics: metrics, &file)
                if let when, !seen.insert(when.source).inserted {
                    file.error("two alerts have the same 'when' (an alert is known by it)", at: whenNode)
                }
                var message = when.map { "\(d.name): \($0.source)" } ?? ""
                if let m = fields["message"], let text = file.string(m, "the alert's 'message'") {
                    message = text
                    for name in Self.placeholders(in: text) where !Self.isKnownPlaceholder(name, metrics: metrics) {
                        var problem = "unknown placeholder {\(name)} in the alert's message (use {period}, {rows}, "
                            + "{rows_used} or {totals.METRIC})"
                        let known = ["period", "rows", "rows_used"] + metrics.map { "totals.\($0)" }
                        if let guess = closestMatch(to: name, among: known) { problem += "; did you mean {\(guess)}?" }
                        file.error(problem, at: m)
                    }
                }
                var notify: [MailAddress]?
                if let n = fields["notify"] {
                    if daemon.mail == nil {
                        file.error("an alert's 'notify' needs 'mail:' in the daemon config", at: n)
                    } else {
                        notify = parseAddresses(n, "'notify'", &file)
                    }
                }
                if let when { d.alerts.append(ReportAlert(when: when, message: message, notify: notify)) }
            }
        }
        if d.split == nil, let node = f["deliver"], d.deliveries.contains(where: { $0.byValue != nil }) {
            file.error("'email_by_value' needs 'split_by' (it sends each value's outputs)", at: node)
        }
    }

    /// A condition over the run's figures, its errors placed at their line and column.
    private func condition(_ node: Node, _ what: String, metrics: [String], _ file: inout YAMLFile)
        -> FiguresCondition?
    {
        guard let text = file.string(node, "'\(what)'") else { return nil }
        switch FiguresCondition.compile(text, metrics: metrics) {
        case .success(let c): return c
        case .failure(let list):
            for e in list.errors {
                let (line, column) = file.position(in: node, offset: e.offset)
                var message = e.message.replacingOccurrences(of: "unknown column", with: "unknown name")
                if message.hasPrefix("unknown name"), !message.contains("did you mean") {
                    message += " (\(what) reads rows, rows_used, changed and totals.METRIC)"
                }
                file.error("\(what): \(message)", line: line, column: column)
            }
            return nil
        }
    }

    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    static func isKnownPlaceholder(_ name: String, metrics: [String]) -> Bool {
        ["period", "rows", "rows_used"].contains(name)
            || (name.hasPrefix("totals.") && metrics.contains(String(name.dropFirst(7))))
    }

    /// `email_by_value` of a `deliver:` entry: value → addresses; the keys must be written in NFC,
    /// as the data is read.
    func parseByValue(_ node: Node, _ file: inout YAMLFile) -> [String: [MailAddress]]? {
        guard case .mapping(let mapping) = node, !mapping.isEmpty else {
            file.error("'email_by_value' must map values to addresses ({\"Mường Tè\": [a@example.org]})", at: node)
            return nil
        }
        var out: [String: [MailAddress]] = [:]
        var failed = false
        for (key, value) in mapping {
            guard case .scalar(let k) = key else {
                file.error("each key of 'email_by_value' must be a value of the split column", at: key)
                failed = true
                continue
            }
            // Bytes, not `==`: Swift's string equality holds between NFC and NFD spellings.
            if !NFC.normalize(k.string).utf8.elementsEqual(k.string.utf8) {
                file.error(
                    "the key '\(k.string)' of 'email_by_value' is not in NFC (write it with precomposed letters, "
                        + "as the data is read)", at: key)
                failed = true
                continue
            }
            guard let addresses = parseAddresses(value, "the addresses of '\(k.string)'", &file) else {
                failed = true
                continue
            }
            out[k.string] = addresses
        }
        return failed ? nil : out
    }
}

extension ReportJSONSchema {
    /// `split_by`, `split_max`, `publish_when` and `alerts` of a report.
    static var splitProperties: [String: Any] {
        let condition: [String: Any] = [
            "type": "string",
            "description":
                "the filter language over the run's figures: rows, rows_used, totals.METRIC, changed (e.g. rows > 0 and changed)",
        ]
        let addresses: [String: Any] = [
            "anyOf": [["type": "string"], ["type": "array", "minItems": 1, "items": ["type": "string"]]],
            "description": "mail addresses (name@example.org or \"Name <name@example.org>\")",
        ]
        return [
            "split_by": [
                "type": "string",
                "description": "a column of the dataset: one set of outputs per value under NAME/<slug>/, besides the whole report",
            ],
            "split_max": [
                "type": "integer", "minimum": 1, "maximum": 100_000,
                "description": "more values than this fail the run before publishing (default 1000)",
            ],
            "publish_when": condition,
            "alerts": [
                "type": "array", "minItems": 1,
                "items": [
                    "type": "object", "additionalProperties": false, "required": ["when"],
                    "properties": [
                        "when": condition,
                        "message": [
                            "type": "string",
                            "description": "the notice's text; {period}, {rows}, {rows_used} and {totals.METRIC} are filled in",
                        ],
                        "notify": addresses,
                    ],
                ],
            ],
        ]
    }
}
