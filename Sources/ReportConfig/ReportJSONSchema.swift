import Foundation
public import ReportCore

/// The JSON Schema (draft 2020-12) of a report definition file, for editors with yaml-language-server.
///
/// Built from the calculator registry, so `calc` completes to every calculator and each metric's
/// parameters are offered for the calculator it names.
public enum ReportJSONSchema {
    /// - Parameters:
    ///   - calculators: the calculators `calc` completes to, with their parameters.
    ///   - complete: whether `calculators` holds every calculator reports may name (the plugins of
    ///     a daemon config included). When false (no config given), `calc` also admits any other
    ///     calculator name, which a plugin may provide: the sample's `hhi` report still validates.
    public static func make(calculators: CalculatorRegistry, formats: [String], complete: Bool = true) -> String {
        let descriptors = calculators.descriptors
        let metricVariants: [[String: Any]] = descriptors.map { d in
            var properties: [String: Any] = [
                "name": ["type": "string", "description": "the output column"],
                "calc": ["const": d.name, "description": d.summary],
                "unit": ["enum": TextUnit.allCases.map(\.rawValue), "description": "how text output shows amounts"],
                "label": [
                    "type": "string", "minLength": 1,
                    "description": "what text, HTML and spreadsheets call the column (CSV with header: labels too)",
                ],
            ]
            for p in d.parameters {
                switch p.kind {
                case .column:
                    properties[p.name] = ["type": "string", "description": "\(p.summary) (\(p.kindDescription))"]
                case .number(let r):
                    properties[p.name] = [
                        "type": "number", "minimum": r.lowerBound, "maximum": r.upperBound, "description": p.summary,
                    ]
                case .string: properties[p.name] = ["type": "string", "description": p.summary]
                }
            }
            return [
                "if": ["properties": ["calc": ["const": d.name]], "required": ["calc"]],
                "then": [
                    "properties": properties, "additionalProperties": false,
                    "required": ["name", "calc"] + d.parameters.filter(\.required).map(\.name),
                ],
            ]
        }
        var schema: [String: Any] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://reportd.invalid/schema/report.json",
            "title": "reportd report definition",
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "dataset", "schedule", "metrics"],
            "properties": [
                "name": [
                    "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$",
                    "description": "unique; names the output folder",
                ],
                "title": ["type": "string"],
                "description": ["type": "string"],
                "dataset": ["type": "string", "description": "a dataset of the daemon config"],
                "schedule": [
                    "type": "string",
                    "description":
                        "5-field cron (lists, ranges, steps, names; L and LW in day of month, 5L and 1#2 in day of week) | @hourly @daily @weekly @monthly @yearly | every N{s,m,h}, N dividing a day",
                    "pattern":
                        "^\\s*(@(hourly|daily|midnight|weekly|monthly|yearly|annually)|every\\s*[0-9]+[smh]|[0-9A-Za-z*/,#-]+(\\s+[0-9A-Za-z*/,#-]+){4})\\s*$",
                ],
                "timezone": ["type": "string", "description": "IANA time zone, e.g. Asia/Ho_Chi_Minh"],
                "catch_up": ["enum": ReportDefinition.CatchUp.allCases.map(\.rawValue)],
                "overlap": ["enum": ReportDefinition.Overlap.allCases.map(\.rawValue)],
                "retries": ["type": "integer", "minimum": 0, "maximum": 10],
                "retry_delay": ["type": "string", "pattern": "^[0-9]+[smhd]?$"],
                "timeout": ["type": "string", "pattern": "^[0-9]+[smhd]?$"],
                "filter": ["type": "string", "description": "e.g. year >= 2021 and status == 'completed'"],
                "group_by": ["type": "array", "items": ["type": "string"]],
                "metrics": [
                    "type": "array", "minItems": 1,
                    "items": [
                        "type": "object", "required": ["name", "calc"],
                        "properties": ["calc": calcSchema(descriptors.map(\.name), complete: complete), "name": ["type": "string"]],
                        "allOf": metricVariants,
                    ],
                ],
                "sort": [
                    "type": "array",
                    "items": [
                        "type": "object", "additionalProperties": false, "required": ["by"],
                        "properties": ["by": ["type": "string"], "order": ["enum": SortKey.orderNames]],
                    ],
                ],
                "limit": ["type": "integer", "minimum": 1],
                "totals": ["type": "boolean"],
                "formats": ["type": "array", "items": ["enum": formats]],
                "csv": [
                    "type": "object", "additionalProperties": false,
                    "properties": [
                        "bom": ["type": "boolean"], "line_endings": ["enum": ["lf", "crlf"]],
                        "delimiter": [
                            "enum": [",", ";", "\t", "tab"],
                            "description": "with ';' decimals are written with a comma, as Excel in a Vietnamese locale reads them",
                        ],
                        "header": [
                            "enum": ["names", "labels"], "description": "the columns' names (default) or their labels",
                        ],
                    ],
                ],
                "locale": [
                    "enum": ReportLocale.known,
                    "description": "the words text and HTML add, number grouping and string order; default: the daemon's, else en-US",
                ],
                "chart": [
                    "type": "object", "additionalProperties": false,
                    "properties": [
                        "metric": ["type": "string"],
                        "type": ["enum": ["auto", "bars", "line", "none"]],
                    ],
                ],
            ],
        ]
        if var properties = schema["properties"] as? [String: Any] {
            properties.merge(periodProperties) { $1 }
            properties.merge(mailProperties) { $1 }
            properties.merge(splitProperties) { $1 }
            schema["properties"] = properties
        }
        // Serializing these plain dictionaries, arrays, strings and numbers cannot fail.
        let data = try! JSONSerialization.data(
            withJSONObject: schema, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// `calc`: one of `names`; or, when those may not be all, any other name a plugin could have.
    static func calcSchema(_ names: [String], complete: Bool) -> [String: Any] {
        let known: [String: Any] = ["enum": names]
        guard !complete else { return known }
        return [
            "anyOf": [
                known,
                [
                    "type": "string", "pattern": "^[a-z0-9_]+$",
                    "description": "a plugin's calculator (`reportd schema --config FILE` lists them)",
                ],
            ]
        ]
    }
}
