public import ReportCore

/// The SQL a database source speaks: how identifiers are quoted, how parameters are written and
/// how text is normalised and compared so that results equal the in-memory engine's.
public enum SQLDialect: Sendable, Hashable {
    case sqlite
    case postgres

    /// `name` as a quoted identifier: in double quotes, a double quote inside doubled. Any name is
    /// safe (a NUL byte, which neither database allows in a name, is refused by the caller's schema).
    public func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The placeholder of the `index`-th (1-based) bound parameter.
    public func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: return "?\(index)"
        case .postgres: return "$\(index)"
        }
    }

    /// A text column's value in NFC, as the file readers give it (SQLite: the `nfc()` function the
    /// source registers on its connection; PostgreSQL 13 and later: `normalize`).
    public func nfc(_ expression: String) -> String {
        switch self {
        case .sqlite: return "nfc(\(expression))"
        case .postgres: return "normalize(\(expression), NFC)"
        }
    }

    /// A text column's value as the engine reads it: in NFC, and an empty text is null (as an
    /// empty CSV cell is).
    public func text(_ expression: String) -> String { "NULLIF(\(nfc(expression)), '')" }

    /// A condition true when the text column `quoted` holds a non-empty text that is certainly in
    /// NFC as stored, so that the stored text compares as the engine's would (an empty text is
    /// null there); false or null otherwise (null, empty, or text that may need normalising).
    /// PostgreSQL: non-empty ASCII (`octet_length = length`). SQLite: `stored_nfc()`, a C function
    /// the source registers (valid UTF-8 of scalars that are NFC on their own, Vietnamese's
    /// precomposed letters among them); SQLite's `length()` counts a byte that is not UTF-8 as a
    /// character, so `octet_length = length` would not prove a text is ASCII there.
    public func storedInNFC(_ quoted: String) -> String {
        switch self {
        case .sqlite: return "stored_nfc(\(quoted))"
        case .postgres: return "\(quoted) COLLATE \"C\" <> '' AND octet_length(\(quoted)) = length(\(quoted))"
        }
    }

    /// A text comparison's operand in byte order of its UTF-8 (the engine's order): SQLite's
    /// default BINARY collation already is; PostgreSQL needs the "C" collation.
    public func bytewise(_ expression: String) -> String {
        switch self {
        case .sqlite: return expression
        case .postgres: return "\(expression) COLLATE \"C\""
        }
    }

    /// The rows of a table or of a query, for a FROM clause.
    public func relation(_ relation: SQLRelation) -> String {
        switch relation {
        case .table(let name): return identifier(name)
        case .query(let text): return "(\(text)) AS \"reportd_query\""
        }
    }
}

/// Where a database dataset's rows are: a table (or view), or the rows of a query.
public enum SQLRelation: Sendable, Hashable {
    case table(String)
    case query(String)
}

/// A statement's text with its bound parameters, in placeholder order. No value is ever in `text`.
public struct SQLStatement: Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var parameters: [Value]

    public init(text: String, parameters: [Value]) {
        self.text = text
        self.parameters = parameters
    }

    public var description: String { text }
}
