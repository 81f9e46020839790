import ReportCore
import Yams

/// Reads a dataset schema file:
///
/// ```yaml
/// columns:
///   project_id: {type: string, required: true}
///   year: int                      # shorthand for {type: int}
///   program: {type: string, label: "Chương trình",
///             values: {national: "Khuyến công quốc gia", local: "Khuyến công địa phương"}}
/// ```
///
/// `label` names the column in outputs for people; `values` labels a string column's codes.
enum SchemaLoader {
    static func parse(_ file: inout YAMLFile) -> DatasetSchema? {
        guard let root = file.root, let fields = file.fields(root, what: "the schema", allowed: ["columns"]) else {
            return nil
        }
        guard let columnsNode = fields["columns"], case .mapping(let mapping) = columnsNode else {
            file.error("the schema needs 'columns', a mapping of column names to types", at: root)
            return nil
        }
        var columns: [ColumnSpec] = []
        for (key, value) in mapping {
            guard let name = file.string(key, "a column name") else { continue }
            let typeNode: Node
            var required = false
            var label: String?
            var values = ValueLabels()
            var valuesNode: Node?
            if case .scalar = value {
                typeNode = value
            } else if let spec = file.fields(value, what: "column '\(name)'", allowed: Self.columnKeys) {
                guard let t = spec["type"] else {
                    file.error(
                        "column '\(name)' needs 'type' (\(ColumnType.allCases.map(\.rawValue).joined(separator: ", ")))",
                        at: value)
                    continue
                }
                typeNode = t
                if let r = spec["required"], let b = file.bool(r, "'required'") { required = b }
                if let l = spec["label"] { label = file.label(l, "the label of column '\(name)'") }
                if let v = spec["values"] {
                    valuesNode = v
                    values = parseValues(v, column: name, &file)
                }
            } else {
                continue
            }
            guard let type = file.choice(typeNode, "the type of column '\(name)'", as: ColumnType.self) else {
                continue
            }
            if let valuesNode, type != .string {
                file.error(
                    "'values' labels the codes of a string column; column '\(name)' is \(type.rawValue)", at: valuesNode)
            }
            columns.append(ColumnSpec(name: name, type: type, required: required, label: label, values: values))
        }
        if columns.isEmpty, !file.hasErrors { file.error("the schema defines no columns", at: columnsNode) }
        return file.hasErrors ? nil : DatasetSchema(columns: columns)
    }

    static let columnKeys = ["type", "required", "label", "values"]

    /// `values: {code: label, ...}`: each code a string as the data holds it, each label a string.
    private static func parseValues(_ node: Node, column: String, _ file: inout YAMLFile) -> ValueLabels {
        guard case .mapping(let mapping) = node else {
            file.error("'values' of column '\(column)' must map codes to labels: {national: \"Khuyến công quốc gia\"}", at: node)
            return ValueLabels()
        }
        var values = ValueLabels()
        for (key, value) in mapping {
            // A code given twice is a duplicate key, which reading the YAML reports already.
            guard let code = file.string(key, "a code in 'values' of column '\(column)'") else { continue }
            if let label = file.label(value, "the label of '\(code)' in column '\(column)'") { values[code] = label }
        }
        return values
    }
}
