/// The filters of a split report's values (`split_by`, SPEC "One file per office"): a value's
/// report is the report with `and COLUMN == value` added to its filter.
extension CompiledFilter {
    /// `column == value`, for a value read from the dataset (so typed as its column).
    public static func equal(column: String, value: Value) -> CompiledFilter {
        CompiledFilter(root: .compareLiteral(column: column, .equal, value), source: "\(column) == \(quoted(value))")
    }

    /// The rows of a split's `_empty`: `column` null, or one of `blanks` (texts of spaces alone).
    public static func nullOrBlank(column: String, blanks: Set<Value>) -> CompiledFilter {
        let node: Node = blanks.isEmpty ? .isNull(column) : .or(.isNull(column), .member(column: column, blanks))
        return CompiledFilter(root: node, source: "\(column) is empty")
    }

    /// This filter and `other`: rows both keep.
    public func and(_ other: CompiledFilter) -> CompiledFilter {
        CompiledFilter(root: .and(root, other.root), source: "(\(source)) and \(other.source)")
    }

    static func quoted(_ value: Value) -> String {
        switch value {
        case .string(let s):
            var text = "'"
            for c in s {
                if c == "\\" || c == "'" { text.append("\\") }
                text.append(c)
            }
            return text + "'"
        case .date(let d): return "'\(d)'"
        default: return value.description
        }
    }
}

extension ReportDefinition {
    /// The report of one value of its `split_by` column: its filter and `COLUMN == value` (a null
    /// `value`: the rows where the column is null or blank, `blanks` being the blank texts seen).
    public func restricted(to value: Value?, blanks: Set<Value> = []) -> ReportDefinition {
        guard let column = split?.column else { return self }
        var copy = self
        let clause: CompiledFilter =
            value.map { CompiledFilter.equal(column: column, value: $0) }
            ?? CompiledFilter.nullOrBlank(column: column, blanks: blanks)
        copy.filter = filter.map { $0.and(clause) } ?? clause
        return copy
    }
}
