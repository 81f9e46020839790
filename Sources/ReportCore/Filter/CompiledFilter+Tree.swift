/// A compiled filter's checked tree, for code outside the engine that translates it (the database
/// sources compile it to SQL `WHERE`). Literals are typed as the column they are compared with.
public indirect enum FilterTree: Sendable, Equatable {
    case and(FilterTree, FilterTree)
    case or(FilterTree, FilterTree)
    case not(FilterTree)
    case constant(Bool)
    /// A `bool` column in a boolean position.
    case boolColumn(String)
    case compare(column: String, ComparisonOperator, Value)
    case compareColumns(String, ComparisonOperator, String)
    /// `column in [...]`, the values in ascending order (an empty list matches nothing).
    case member(column: String, [Value])
    /// `column` is null: true or false, never unknown (SQL's `IS NULL`).
    case isNull(column: String)
}

extension CompiledFilter {
    /// The filter as checked against its schema.
    public var tree: FilterTree { Self.tree(root) }

    private static func tree(_ node: Node) -> FilterTree {
        switch node {
        case .and(let a, let b): return .and(tree(a), tree(b))
        case .or(let a, let b): return .or(tree(a), tree(b))
        case .not(let a): return .not(tree(a))
        case .constant(let b): return .constant(b)
        case .boolColumn(let c): return .boolColumn(c)
        case .compareLiteral(let c, let op, let v): return .compare(column: c, op, v)
        case .compareColumns(let a, let op, let b): return .compareColumns(a, op, b)
        case .member(let c, let set): return .member(column: c, set.sorted())
        case .isNull(let c): return .isNull(column: c)
        }
    }
}
