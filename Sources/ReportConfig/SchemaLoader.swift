import ReportCore
import Yams

/// Reads a dataset schema file:
///
/// ```yaml
/// columns:
///   project_id: {type: string, required: true}
///   year: int                      # shorthand for {type: int}
/// ```
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
            if case .scalar = value {
                typeNode = value
            } else if let spec = file.fields(value, what: "column '\(name)'", allowed: ["type", "required"]) {
                guard let t = spec["type"] else {
                    file.error(
                        "column '\(name)' needs 'type' (\(ColumnType.allCases.map(\.rawValue).joined(separator: ", ")))",
                        at: value)
                    continue
                }
                typeNode = t
                if let r = spec["required"], let b = file.bool(r, "'required'") { required = b }
            } else {
                continue
            }
            guard let type = file.choice(typeNode, "the type of column '\(name)'", as: ColumnType.self) else {
                continue
            }
            columns.append(ColumnSpec(name: name, type: type, required: required))
        }
        if columns.isEmpty, !file.hasErrors { file.error("the schema defines no columns", at: columnsNode) }
        return file.hasErrors ? nil : DatasetSchema(columns: columns)
    }
}
