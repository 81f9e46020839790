/// The syntax tree of a filter, as parsed, before it is checked against a schema.
public indirect enum FilterExpression: Sendable, Hashable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case compare(FilterOperand, ComparisonOperator, FilterOperand)
    case member(FilterOperand, [FilterOperand])
    /// A lone operand in a boolean position: a `bool` column, `true` or `false`.
    case operand(FilterOperand)
}

public enum ComparisonOperator: String, Sendable, Hashable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    var flipped: ComparisonOperator {
        switch self {
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        default: return self
        }
    }
}

/// A column name or a literal, with its offset in the filter text.
public struct FilterOperand: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case column(String)
        case number(String)
        case string(String)
        case bool(Bool)
    }

    public var kind: Kind
    public var offset: Int
}
