public import ReportCore

/// Writes a result as the JSON document of SPEC.md.
///
/// Column names and codes are kept as the data has them; an entry of `columns` has `"label"` when
/// the schema column or the metric has a label, and a group column `"values"` (code → label) when
/// its schema column labels its codes.
///
/// Hand-written rather than `JSONEncoder`: the document's keys must keep their order (report, title,
/// …, rows), row objects must follow the report's column order, 64-bit integers must stay exact,
/// and undefined numbers must be `null`; a small writer states all of that directly.
public struct JSONWriter: ReportWriter {
    public static let format = "json"
    public static let fileExtension = "json"

    public init() {}

    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] { Self.render(result, context: context) }

    public static func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        var out = "{\n"
        out += "  \"report\": \(string(context.report.name)),\n"
        out += "  \"title\": \(string(context.report.title)),\n"
        if let split = context.split {
            out += "  \"split\": {\"column\": \(string(split.column)), \"value\": \(string(split.value))},\n"
        }
        out += "  \"slot\": \(string(context.slot)),\n"
        out += "  \"generated_at\": \(string(context.generatedAt)),\n"
        let d = context.dataset
        out += "  \"dataset\": {\"name\": \(string(d.name)), \"rows\": \(d.rows), \"rows_used\": \(d.rowsUsed), "
        out += "\"rows_rejected\": \(d.rowsRejected), "
        if let outside = result.rowsOutsidePeriod { out += "\"rows_outside_period\": \(outside), " }
        if let source = d.provenance {
            // A database dataset: its source, table or query and snapshot time, not a file's checksum.
            out += "\"source\": {\"format\": \(string(source.source)), "
            if let table = source.table { out += "\"table\": \(string(table)), " }
            if let query = source.query { out += "\"query\": \(string(query)), " }
            out += "\"snapshot_time\": \(string(source.snapshotISO8601))}},\n"
        } else {
            out += "\"sha256\": \(string(d.sha256))},\n"
        }
        if let period = result.period { out += periodMembers(period, locale: context.report.locale) }
        out += "  \"columns\": [\n"
        out += result.columns.map { c in
            var o = "    {\"name\": \(string(c.name)), \"role\": \(string(c.role.rawValue))"
            if let calc = c.calc { o += ", \"calc\": \(string(calc))" }
            o += ", \"type\": \(string(c.type.rawValue))"
            // Names and codes stay what they are; labels are added beside them, when the schema or
            // the metric gives them.
            if let label = c.label { o += ", \"label\": \(string(label))" }
            if !c.values.isEmpty {
                o += ", \"values\": {"
                o += c.values.entries.map { "\(string($0.code)): \(string($0.label))" }.joined(separator: ", ") + "}"
            }
            return o + "}"
        }.joined(separator: ",\n")
        out += "\n  ],\n"
        out += "  \"rows\": ["
        if !result.rows.isEmpty {
            out += "\n"
            out += result.rows.map { row in "    " + object(result.columns.map(\.name), row) }.joined(separator: ",\n")
            out += "\n  "
        }
        out += "]"
        if let totals = result.totals {
            let names = result.columns.filter { $0.role == .metric }.map(\.name)
            out += ",\n  \"totals\": " + object(names, totals)
        }
        out += "\n}\n"
        return Array(out.utf8)
    }

    static func object(_ names: [String], _ values: [Value]) -> String {
        "{" + zip(names, values).map { "\(string($0)): \(value($1))" }.joined(separator: ", ") + "}"
    }

    static func value(_ v: Value) -> String { JSONText.value(v) }

    static func string(_ s: String) -> String { JSONText.string(s) }
}
