/// The type of a dataset column, as a schema file names it.
public enum ColumnType: String, Sendable, CaseIterable, CustomStringConvertible {
    case string, int, decimal, date, bool

    public var isNumeric: Bool { self == .int || self == .decimal }
    public var description: String { rawValue }
}

/// One column of a dataset schema.
public struct ColumnSpec: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    /// A required column rejects empty cells; others read them as null.
    public var required: Bool
    /// What outputs for people (text, HTML, spreadsheets) call the column (`label:`); nil: its name.
    public var label: String?
    /// Labels of a string column's codes (`values:`), shown by the same outputs in place of the codes.
    public var values: ValueLabels

    public init(
        name: String, type: ColumnType, required: Bool = false, label: String? = nil, values: ValueLabels = ValueLabels()
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.label = label
        self.values = values
    }
}

/// The typed columns of a dataset, in file order.
public struct DatasetSchema: Sendable, Hashable {
    public var columns: [ColumnSpec]

    public init(columns: [ColumnSpec]) { self.columns = columns }

    public func column(named name: String) -> ColumnSpec? { columns.first { $0.name == name } }
    public var columnNames: [String] { columns.map(\.name) }
}
