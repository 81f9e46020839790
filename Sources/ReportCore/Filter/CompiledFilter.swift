/// A filter checked against a dataset schema, ready to evaluate.
///
/// Comparisons with a null cell are unknown, and logic is three-valued as in SQL (`not unknown` is
/// unknown); a row is kept only when the whole filter is true. So `status != 'completed'` does not keep
/// rows with an empty status, exactly as DuckDB or PostgreSQL would.
public struct CompiledFilter: Sendable {
    indirect enum Node: Sendable, Hashable {
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case constant(Bool)
        case boolColumn(String)
        case compareLiteral(column: String, ComparisonOperator, Value)
        case compareColumns(String, ComparisonOperator, String)
        case member(column: String, Set<Value>)
        /// The cell is null (true) or not (false), never unknown: the rows of a split's `_empty`.
        case isNull(String)
    }

    let root: Node
    /// The filter's source text.
    public let source: String

    /// The dataset columns the filter reads.
    public var columns: Set<String> {
        var names: Set<String> = []
        func walk(_ node: Node) {
            switch node {
            case .and(let a, let b), .or(let a, let b):
                walk(a)
                walk(b)
            case .not(let a): walk(a)
            case .constant: break
            case .boolColumn(let c), .compareLiteral(let c, _, _), .member(let c, _), .isNull(let c): names.insert(c)
            case .compareColumns(let a, _, let b): names.formUnion([a, b])
            }
        }
        walk(root)
        return names
    }

    /// Type-checks `expression` against `schema`, collecting every problem.
    /// - Returns: the compiled filter, or every error found (unknown columns, type mismatches, bad literals).
    public static func compile(
        _ expression: FilterExpression, source: String, schema: DatasetSchema
    ) -> Result<CompiledFilter, FilterErrorList> {
        var checker = FilterChecker(schema: schema)
        let node = checker.check(expression)
        if checker.errors.isEmpty { return .success(CompiledFilter(root: node, source: source)) }
        return .failure(FilterErrorList(errors: checker.errors))
    }

    /// Parses and compiles `source` in one step.
    public static func compile(_ source: String, schema: DatasetSchema) -> Result<CompiledFilter, FilterErrorList> {
        do {
            return compile(try FilterParser.parse(source), source: source, schema: schema)
        } catch {
            return .failure(FilterErrorList(errors: [error]))
        }
    }
}

/// Every error found in one filter.
public struct FilterErrorList: Error, Sendable {
    public var errors: [FilterError]
}

/// Three-valued truth, one byte per row.
enum Truth {
    static let no: UInt8 = 0
    static let yes: UInt8 = 1
    static let unknown: UInt8 = 2

    /// 1 for `yes`, 0 for `no` and `unknown` (`yes` is the only value with bit 0 set), as
    /// arithmetic: a comparison made the compiler branch on each row, unpredictably.
    @inline(__always) static func yesBit(_ t: UInt8) -> Int { Int(t & 1) }
}

struct FilterChecker {
    let schema: DatasetSchema
    var errors: [FilterError] = []

    mutating func check(_ e: FilterExpression) -> CompiledFilter.Node {
        switch e {
        case .and(let a, let b): return .and(check(a), check(b))
        case .or(let a, let b): return .or(check(a), check(b))
        case .not(let a): return .not(check(a))
        case .operand(let o):
            switch o.kind {
            case .bool(let b): return .constant(b)
            case .column(let name):
                guard let spec = column(name, at: o.offset) else { return .constant(false) }
                if spec.type != .bool {
                    errors.append(
                        FilterError(
                            offset: o.offset,
                            message:
                                "column '\(name)' is \(spec.type), not bool: compare it with a value (e.g. \(name) == ...)"
                        ))
                }
                return .boolColumn(name)
            default:
                errors.append(
                    FilterError(offset: o.offset, message: "a value alone is not a condition: compare a column with it")
                )
                return .constant(false)
            }
        case .compare(let l, let op, let r):
            switch (l.kind, r.kind) {
            case (.column(let a), .column(let b)):
                // `status == completed`: a bare word compared with a text column is a text without quotes.
                if let hint = quoteHint(bare: b, at: r.offset, comparedWith: a)
                    ?? quoteHint(bare: a, at: l.offset, comparedWith: b)
                {
                    errors.append(hint)
                    return .constant(false)
                }
                guard let sa = column(a, at: l.offset), let sb = column(b, at: r.offset) else {
                    return .constant(false)
                }
                let comparable = sa.type == sb.type || (sa.type.isNumeric && sb.type.isNumeric)
                if !comparable {
                    errors.append(
                        FilterError(
                            offset: l.offset,
                            message: "cannot compare \(sa.type) column '\(a)' with \(sb.type) column '\(b)'"))
                }
                return .compareColumns(a, op, b)
            case (.column(let a), _):
                guard let spec = column(a, at: l.offset), let v = literal(r, for: spec, op: op) else {
                    return .constant(false)
                }
                return Self.exactInt(column: a, op, v, spec: spec, literal: r)
            case (_, .column(let b)):
                guard let spec = column(b, at: r.offset), let v = literal(l, for: spec, op: op) else {
                    return .constant(false)
                }
                return Self.exactInt(column: b, op.flipped, v, spec: spec, literal: l)
            default:
                errors.append(FilterError(offset: l.offset, message: "a comparison needs a column on one side"))
                return .constant(false)
            }
        case .member(let l, let items):
            guard case .column(let name) = l.kind else {
                errors.append(FilterError(offset: l.offset, message: "the left side of 'in' must be a column"))
                return .constant(false)
            }
            guard let spec = column(name, at: l.offset) else { return .constant(false) }
            var set = Set<Value>()
            for item in items {
                if case .column(let other) = item.kind {
                    errors.append(
                        quoteHint(bare: other, at: item.offset, comparedWith: name)
                            ?? FilterError(
                                offset: item.offset, message: "'in [...]' takes values, not the column '\(other)'"))
                } else if let v = literal(item, for: spec, op: .equal) {
                    // An int column never equals a fractional literal: such items cannot match.
                    if spec.type == .int, case .number(let text) = item.kind, let exact = ExactDecimal(text) {
                        if !exact.hasFraction, let whole = exact.floor { set.insert(.int(whole)) }
                        if exact.floor != nil { continue }
                    }
                    set.insert(v)
                }
            }
            return .member(column: name, set)
        }
    }

    /// The error for `bare`, a word that names no column, compared with the text (or date) column
    /// `other`: most likely a text written without quotes. Nil when that is not the case.
    private func quoteHint(bare: String, at offset: Int, comparedWith other: String) -> FilterError? {
        guard schema.column(named: bare) == nil, let spec = schema.column(named: other),
            spec.type == .string || spec.type == .date
        else { return nil }
        var message = "unknown column '\(bare)'"
        if let guess = closestMatch(to: bare, among: schema.columnNames) {
            message += " (did you mean '\(guess)'?); to compare '\(other)' with the text, quote it: '\(bare)'"
        } else {
            message += ": to compare '\(other)' with the text, quote it: '\(bare)'"
        }
        return FilterError(offset: offset, message: message)
    }

    private mutating func column(_ name: String, at offset: Int) -> ColumnSpec? {
        if let spec = schema.column(named: name) { return spec }
        var message = "unknown column '\(name)'"
        if let guess = closestMatch(to: name, among: schema.columnNames) { message += " (did you mean '\(guess)'?)" }
        errors.append(FilterError(offset: offset, message: message))
        return nil
    }

    /// A comparison of an int column with a number literal, decided exactly from the literal's text
    /// (a Double cannot hold 9007199254740992.5): `x >= 2.5` is `x > 2`, `x == 2.5` is never true.
    /// Null cells stay unknown, because the result is still a comparison on the column.
    static func exactInt(
        column: String, _ op: ComparisonOperator, _ value: Value, spec: ColumnSpec, literal: FilterOperand
    ) -> CompiledFilter.Node {
        guard spec.type == .int, case .number(let text) = literal.kind, let exact = ExactDecimal(text),
            let floor = exact.floor, exact.hasFraction
        else {
            if spec.type == .int, case .number(let text) = literal.kind, let exact = ExactDecimal(text),
                let floor = exact.floor
            {
                return .compareLiteral(column: column, op, .int(floor))
            }
            return .compareLiteral(column: column, op, value)
        }
        switch op {
        case .equal: return .compareLiteral(column: column, .less, .int(Int64.min))  // false unless null
        case .notEqual: return .compareLiteral(column: column, .greaterOrEqual, .int(Int64.min))  // true unless null
        case .less, .lessOrEqual: return .compareLiteral(column: column, .lessOrEqual, .int(floor))
        case .greater, .greaterOrEqual: return .compareLiteral(column: column, .greater, .int(floor))
        }
    }

    /// Converts a literal to the column's type, or records why it cannot be compared with it.
    private mutating func literal(_ o: FilterOperand, for spec: ColumnSpec, op: ComparisonOperator) -> Value? {
        func mismatch(_ what: String) -> Value? {
            errors.append(
                FilterError(offset: o.offset, message: "cannot compare \(spec.type) column '\(spec.name)' with \(what)")
            )
            return nil
        }
        switch (spec.type, o.kind) {
        case (.int, .number(let text)), (.decimal, .number(let text)):
            if spec.type == .int, let v = Int64(text) { return .int(v) }
            if let v = Double(text), v.isFinite { return .decimal(v) }
            errors.append(FilterError(offset: o.offset, message: "'\(text)' is not a number"))
            return nil
        case (.string, .string(let s)): return .string(s)
        case (.date, .string(let s)):
            if let d = Day(iso: s) { return .date(d) }
            errors.append(
                FilterError(
                    offset: o.offset,
                    message: "'\(s)' is not a date: write dates as 'YYYY-MM-DD' to compare with '\(spec.name)'"))
            return nil
        case (.bool, .bool(let b)):
            if op != .equal && op != .notEqual {
                errors.append(FilterError(offset: o.offset, message: "bool column '\(spec.name)' takes only == and !="))
                return nil
            }
            return .bool(b)
        case (_, .number(let t)): return mismatch("number \(t)")
        case (_, .string(let s)): return mismatch("string '\(s)'")
        case (_, .bool(let b)): return mismatch("\(b)")
        case (_, .column): return nil
        }
    }
}

/// A number literal in plain decimal notation, read exactly: its floor as an integer and whether
/// it has a non-zero fraction. `nil` for exponents and integers beyond 64 bits.
struct ExactDecimal {
    var floor: Int64?
    var hasFraction: Bool

    init?(_ text: String) {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative || digits.first == "+" { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            !(parts.first?.isEmpty ?? true) || parts.count == 2
        else { return nil }
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        hasFraction = parts.count == 2 && parts[1].contains { $0 != "0" }
        guard let magnitude = Int64(whole) else {
            floor = nil
            return
        }
        // floor(-2.5) is -3.
        floor = negative ? (hasFraction ? -magnitude - 1 : -magnitude) : magnitude
    }
}
