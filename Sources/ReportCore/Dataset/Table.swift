/// A loaded dataset: typed columns of equal length, in schema order.
public struct Table: Sendable {
    public let schema: DatasetSchema
    public let columns: [Column]
    public let rowCount: Int
    private let index: [String: Int]
    /// Which read this table is: copies of the value share it, another table never does. The work
    /// reports share in a run (`SharedWork`) is tied to it.
    let identity = TableIdentity()

    /// - Parameter rowCount: the number of rows, needed when there are no columns (a dataset read
    ///   for reports that only count rows); the columns' length otherwise.
    public init(schema: DatasetSchema, columns: [Column], rowCount: Int? = nil) {
        precondition(columns.count == schema.columns.count, "one column per schema column")
        precondition(columns.allSatisfy { $0.count == (rowCount ?? columns[0].count) }, "columns of equal length")
        self.schema = schema
        self.columns = columns
        self.rowCount = rowCount ?? columns.first?.count ?? 0
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() { index[c.name] = i }
        self.index = index
    }

    /// The column with that name, or `nil`.
    public func column(_ name: String) -> Column? {
        index[name].map { columns[$0] }
    }
}

/// The identity of one `Table` (see `Table.identity`).
final class TableIdentity: Sendable {}
