public import ReportCore

/// Compiles a checked filter to a SQL condition with bound parameters.
///
/// The engine's rules carry over: comparisons with null are unknown and logic is three-valued
/// (SQL's own), a row is kept only when the condition is true (`WHERE`); text is compared in NFC
/// and in UTF-8 byte order; an int column against a decimal literal compares exactly (SQLite and
/// PostgreSQL compare integers with reals by value).
public struct SQLFilterCompiler: Sendable {
    public let dialect: SQLDialect
    public let schema: DatasetSchema

    public init(dialect: SQLDialect, schema: DatasetSchema) {
        self.dialect = dialect
        self.schema = schema
    }

    /// The condition of `tree`; its parameters are numbered from `parameters.count + 1`, appended
    /// to `parameters`.
    ///
    /// The condition is exact in three-valued logic wherever it stands, except that a comparison
    /// outside any `not` (which only decides whether `WHERE` keeps a row) may be false where the
    /// engine's is unknown: see `keptOnly`.
    public func condition(_ tree: FilterTree, parameters: inout [Value]) -> String {
        condition(tree, parameters: &parameters, kept: true)
    }

    /// `kept`: the subtree stands under no `not`, so the whole condition is true exactly when the
    /// engine's is whatever this subtree gives for unknown instead of false (`and` and `or` are
    /// monotone: a true result stays true for every way of deciding its unknown parts).
    func condition(_ tree: FilterTree, parameters: inout [Value], kept: Bool) -> String {
        switch tree {
        case .and(let a, let b):
            return
                "(\(condition(a, parameters: &parameters, kept: kept)) AND \(condition(b, parameters: &parameters, kept: kept)))"
        case .or(let a, let b):
            return
                "(\(condition(a, parameters: &parameters, kept: kept)) OR \(condition(b, parameters: &parameters, kept: kept)))"
        case .not(let a):
            return "(NOT \(condition(a, parameters: &parameters, kept: false)))"
        case .constant(let b):
            return b ? "(1 = 1)" : "(1 = 0)"
        case .boolColumn(let name):
            return "(\(dialect.identifier(name)) = TRUE)"
        case .compare(let name, let op, let value):
            if kept, op == .equal, let equal = keptOnly(name, [value], &parameters) { return equal }
            let right = bind(value, &parameters)
            return storedFirst([name]) { "(\($0(name)) \(Self.sql(op)) \(right))" }
        case .compareColumns(let a, let op, let b):
            return storedFirst([a, b]) { "(\($0(a)) \(Self.sql(op)) \($0(b)))" }
        case .isNull(let name):
            // The engine reads an empty text as null (SPEC, "Dataset sources"): a text column is
            // null when it is NULL or ''. Only `''` itself: normalising never empties a text.
            let quoted = dialect.identifier(name)
            guard schema.column(named: name)?.type == .string else { return "(\(quoted) IS NULL)" }
            return "(\(quoted) IS NULL OR \(quoted) = '')"
        case .member(let name, let values):
            guard !values.isEmpty else {
                // Unknown for a null cell, false otherwise, as `x in []` in the engine (so that
                // `not x in []` keeps no null cell either): `x <> x` is exactly that.
                let cell = column(name)
                return "(\(cell) <> \(cell))"
            }
            if kept, let member = keptOnly(name, values, &parameters) { return member }
            let list = values.map { bind($0, &parameters) }.joined(separator: ", ")
            return storedFirst([name]) { "(\($0(name)) IN (\(list)))" }
        }
    }

    /// A comparison `build(column)` of text columns as the engine makes it, without normalising
    /// every row: when each text operand is a non-empty text certainly in NFC as stored
    /// (`SQLDialect.storedInNFC`: ASCII on PostgreSQL), the stored text itself in byte order;
    /// otherwise the text normalised (`column`). Exact in every case (three-valued too: a null or
    /// empty cell takes the normalised branch and is null there), and the normalisation runs only
    /// on the rare cells that need it. Measured by hand on a million rows with PostgreSQL:
    /// `status = 'completed'` 0.38 s, this form 0.44 s, `normalize` on every row 1.3 s.
    func storedFirst(_ names: [String], _ build: ((String) -> String) -> String) -> String {
        let texts = names.filter { schema.column(named: $0)?.type == .string }
        guard !texts.isEmpty else { return build(column) }
        let plain = texts.map { dialect.storedInNFC(dialect.identifier($0)) }.joined(separator: " AND ")
        let stored = build { name in
            let quoted = dialect.identifier(name)
            return schema.column(named: name)?.type == .string ? dialect.bytewise(quoted) : quoted
        }
        return "(CASE WHEN \(plain) THEN \(stored) ELSE \(build(column)) END)"
    }

    /// `column = value` (one value) or `column IN (values)` of a text column against non-empty
    /// texts, where only a true result matters (a row `WHERE` keeps: `kept`): the stored text in
    /// byte order, or, for a cell that is not ASCII, its NFC form. Without the `CASE` of
    /// `storedFirst`, the server tests only the equality on the common rows (by hand on a million
    /// rows: `year >= 2021 and status == 'completed'` 0.35 s so, 0.42 s with the `CASE`, the
    /// hand-written `status = 'completed'` 0.35 s). True exactly when the engine's comparison is:
    /// an ASCII cell is its own NFC form; a stored text equal to a value (in NFC) has that NFC
    /// form; a cell that is not ASCII takes the normalised branch. Where the engine's comparison is
    /// unknown (a null cell: null here too; an empty text, which the engine reads as null) this
    /// one is false or null, which `WHERE` treats alike; under `not` it would not be, and the
    /// exact form is used there. Nil when it does not apply (not PostgreSQL, not a text column,
    /// an empty or non-text value).
    func keptOnly(_ name: String, _ values: [Value], _ parameters: inout [Value]) -> String? {
        guard dialect == .postgres, schema.column(named: name)?.type == .string, !values.isEmpty,
            values.allSatisfy({
                if case .string(let text) = $0 { return !text.isEmpty }
                return false
            })
        else { return nil }
        let list = values.map { bind($0, &parameters) }
        let test = list.count == 1 ? "= \(list[0])" : "IN (\(list.joined(separator: ", ")))"
        let quoted = dialect.identifier(name)
        return "(\(dialect.bytewise(quoted)) \(test) OR (octet_length(\(quoted)) <> length(\(quoted)) AND "
            + "\(column(name)) \(test)))"
    }

    /// A column as the engine sees it: text in NFC and byte order, an empty text null.
    public func column(_ name: String) -> String {
        let quoted = dialect.identifier(name)
        guard schema.column(named: name)?.type == .string else { return quoted }
        return dialect.bytewise(dialect.text(quoted))
    }

    private func bind(_ value: Value, _ parameters: inout [Value]) -> String {
        if case .string(let text) = value {
            parameters.append(.string(NFC.normalize(text)))
        } else {
            parameters.append(value)
        }
        let placeholder = dialect.placeholder(parameters.count)
        return value.isString ? dialect.bytewise(placeholder) : placeholder
    }

    static func sql(_ op: ComparisonOperator) -> String {
        switch op {
        case .equal: return "="
        case .notEqual: return "<>"
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        }
    }
}

extension Value {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
