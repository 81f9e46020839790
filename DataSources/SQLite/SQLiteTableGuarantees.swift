import ReportCore

/// What a table's own definition guarantees of every row it holds, read from its schema: a
/// `STRICT` table's declared column types (SQLite 3.37 and later refuse a value of another type),
/// `NOT NULL`, and a few `CHECK` constraints in forms recognised exactly (anything else counts for
/// nothing). SQLite refuses a write that breaks any of them, and `PRAGMA integrity_check` reports
/// a row that breaks one as an error in the database; the cell check leaves out what they
/// guarantee (see `SQLiteDatasetSource.badCell`).
struct TableGuarantees: Sendable, Equatable {
    /// What is guaranteed of one column's cells.
    struct Column: Sendable, Equatable {
        /// The declared type of a `STRICT` table's column, upper-cased (`INT`, `INTEGER`, `REAL`,
        /// `TEXT`, `BLOB`, `ANY`); nil in any other table, and for a generated column.
        var strictType: String?
        /// `NOT NULL`: no cell is null.
        var notNull = false
        /// `CHECK (c <> '')` (or `!=`, `> ''`, `length(c) > 0`, `length(c) >= 1`): no cell is an empty text.
        var notEmpty = false
        /// `CHECK (c IN (0, 1))`: a non-null cell is 0 or 1 (as the integer it is, in a STRICT
        /// integer column).
        var zeroOrOne = false
        /// `CHECK (date(c, '+0 days') IS c)` (either side): a non-null cell is the text of a valid
        /// ISO date (`date()` gives it back as it is).
        var isoDate = false

        /// Whether every non-null cell is stored as an integer (a STRICT `INT`/`INTEGER` column).
        var integers: Bool { strictType == "INT" || strictType == "INTEGER" }
        /// Whether every non-null cell is stored as a number (a STRICT `REAL` or integer column).
        var numbers: Bool { integers || strictType == "REAL" }
        /// Whether every non-null cell is stored as text (a STRICT `TEXT` column).
        var texts: Bool { strictType == "TEXT" }
    }

    /// Per column, by its name in ASCII lower case (SQLite's column names are case-insensitive).
    var columns: [String: Column] = [:]

    func column(_ name: String) -> Column { columns[Self.folded(name)] ?? Column() }

    /// A name in ASCII lower case, as SQLite compares names.
    static func folded(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The guarantees of a table, from `PRAGMA table_list` (is it STRICT), `table_xinfo` (declared
    /// types, `NOT NULL`, generated columns) and its `CREATE TABLE` text (`CHECK` constraints).
    /// Empty for a view, a query or an unknown name.
    static func read(table: String, on db: SQLiteReadConnection) throws(DatasetError) -> TableGuarantees {
        let sql = try db.rows(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE", [.text(table)])
        guard sql.count == 1, let text = sql[0].cells[0].string else { return TableGuarantees() }
        let strict =
            try db.rows(
                "SELECT strict FROM pragma_table_list(?1) WHERE schema = 'main' AND type = 'table'", [.text(table)]
            ).first?.cells[0].integer == 1
        var guarantees = TableGuarantees()
        // hidden: 0 an ordinary column, 1 hidden (virtual tables), 2 or 3 generated.
        for row in try db.rows(
            "SELECT name, type, \"notnull\", hidden FROM pragma_table_xinfo(?1)", [.text(table)])
        {
            let cells = row.cells
            guard let name = cells[0].string, cells[3].integer == 0 else { continue }
            var column = Column()
            if strict { column.strictType = (cells[1].string ?? "").uppercased() }
            column.notNull = cells[2].integer == 1
            guarantees.columns[folded(name)] = column
        }
        for check in CheckConstraints.atoms(of: text) {
            guard let (name, kind) = CheckConstraints.recognise(check), var column = guarantees.columns[name] else {
                continue
            }
            switch kind {
            case .notEmpty: column.notEmpty = true
            case .zeroOrOne: column.zeroOrOne = true
            case .isoDate: column.isoDate = true
            }
            guarantees.columns[name] = column
        }
        return guarantees
    }
}

/// The `CHECK` constraints of a `CREATE TABLE` statement, cut into the conditions joined by a
/// top-level `AND`, and the few forms `TableGuarantees` recognises.
///
/// Splitting at `AND` is sound for the recognised forms: a row passes `CHECK (a AND b)` only when
/// neither is false, and each recognised condition is null only for a null cell.
enum CheckConstraints {
    enum Token: Equatable {
        /// A bare word or number, in ASCII lower case.
        case word(String)
        /// A quoted name ("c", `c` or [c]), as written inside the quotes.
        case quoted(String)
        /// A string literal's text.
        case string(String)
        /// An operator or punctuation ("(", "<>", ",").
        case symbol(String)
    }

    enum Kind { case notEmpty, zeroOrOne, isoDate }

    /// The SQL text's tokens (comments and white space left out). Never fails: an unterminated
    /// quote or comment ends the text.
    static func tokens(_ sql: String) -> [Token] {
        let b = Array(sql.utf8)
        var out: [Token] = []
        var i = 0
        func quoted(_ close: UInt8) -> String {
            var bytes: [UInt8] = []
            i += 1
            while i < b.count {
                if b[i] == close {
                    if close != UInt8(ascii: "]"), i + 1 < b.count, b[i + 1] == close {
                        bytes.append(close)
                        i += 2
                        continue
                    }
                    i += 1
                    break
                }
                bytes.append(b[i])
                i += 1
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        func isWord(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 36 || c >= 0x80
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case 9, 10, 12, 13, 32:
                i += 1
            case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"):
                while i < b.count && b[i] != 10 { i += 1 }
            case UInt8(ascii: "/") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "*"):
                i += 2
                while i < b.count && !(b[i] == UInt8(ascii: "*") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "/")) {
                    i += 1
                }
                i += 2
            case UInt8(ascii: "'"):
                out.append(.string(quoted(c)))
            case UInt8(ascii: "\""), UInt8(ascii: "`"):
                out.append(.quoted(quoted(c)))
            case UInt8(ascii: "["):
                out.append(.quoted(quoted(UInt8(ascii: "]"))))
            case _ where isWord(c):
                let start = i
                while i < b.count && isWord(b[i]) { i += 1 }
                out.append(.word(TableGuarantees.folded(String(decoding: b[start..<i], as: UTF8.self))))
            default:
                let two = i + 1 < b.count ? String(decoding: b[i...i + 1], as: UTF8.self) : ""
                if ["<>", "!=", "<=", ">=", "==", "||", "<<", ">>"].contains(two) {
                    out.append(.symbol(two))
                    i += 2
                } else {
                    out.append(.symbol(String(decoding: [c], as: UTF8.self)))
                    i += 1
                }
            }
        }
        return out
    }

    /// The conditions of every `CHECK (...)` in `sql`, each cut at its top-level `AND`s, outer
    /// parentheses removed.
    static func atoms(of sql: String) -> [[Token]] {
        let t = tokens(sql)
        var out: [[Token]] = []
        var i = 0
        while i + 1 < t.count {
            guard t[i] == .word("check"), t[i + 1] == .symbol("(") else {
                i += 1
                continue
            }
            // The tokens up to the matching parenthesis, cut at the AND at depth 0.
            var depth = 0
            var atom: [Token] = []
            var j = i + 2
            while j < t.count {
                let token = t[j]
                if token == .symbol("(") { depth += 1 }
                if token == .symbol(")") {
                    if depth == 0 { break }
                    depth -= 1
                }
                if depth == 0 && token == .word("and") {
                    out.append(unwrapped(atom))
                    atom = []
                } else {
                    atom.append(token)
                }
                j += 1
            }
            out.append(unwrapped(atom))
            i = j
        }
        return out
    }

    /// `atom` without parentheses around the whole of it.
    static func unwrapped(_ atom: [Token]) -> [Token] {
        var atom = atom
        while atom.count >= 2, atom.first == .symbol("("), atom.last == .symbol(")") {
            // Only when the first parenthesis closes at the end ("(a) OR (b)" is not wrapped).
            var depth = 0
            var closesAtEnd = true
            for (k, token) in atom.enumerated() {
                if token == .symbol("(") { depth += 1 }
                if token == .symbol(")") { depth -= 1 }
                if depth == 0 && k < atom.count - 1 {
                    closesAtEnd = false
                    break
                }
            }
            guard closesAtEnd else { break }
            atom = Array(atom.dropFirst().dropLast())
        }
        return atom
    }

    /// The column (ASCII lower case) and what a condition guarantees of it, when it is one of the
    /// recognised forms; nil for anything else.
    static func recognise(_ atom: [Token]) -> (column: String, kind: Kind)? {
        func name(_ token: Token) -> String? {
            switch token {
            case .word(let w) where !keywords.contains(w) && !(w.utf8.first.map { $0 >= 48 && $0 <= 57 } ?? true):
                return w
            case .quoted(let q): return TableGuarantees.folded(q)
            default: return nil
            }
        }
        let empty = Token.string("")
        switch atom.count {
        case 3:
            // c <> '', c != '', c > ''
            if let c = name(atom[0]), [Token.symbol("<>"), .symbol("!="), .symbol(">")].contains(atom[1]),
                atom[2] == empty
            {
                return (c, .notEmpty)
            }
        case 6:
            // length(c) > 0, length(c) >= 1
            if atom[0] == .word("length"), atom[1] == .symbol("("), let c = name(atom[2]), atom[3] == .symbol(")"),
                (atom[4] == .symbol(">") && atom[5] == .word("0"))
                    || (atom[4] == .symbol(">=") && atom[5] == .word("1"))
            {
                return (c, .notEmpty)
            }
        case 7:
            // c IN (0, 1), c IN (1, 0)
            if let c = name(atom[0]), atom[1] == .word("in"), atom[2] == .symbol("("), atom[4] == .symbol(","),
                atom[6] == .symbol(")"),
                (atom[3] == .word("0") && atom[5] == .word("1")) || (atom[3] == .word("1") && atom[5] == .word("0"))
            {
                return (c, .zeroOrOne)
            }
        case 8:
            // date(c, '+0 days') IS c, c IS date(c, '+0 days')
            let call: [Token?] = [.word("date"), .symbol("("), nil, .symbol(","), .string("+0 days"), .symbol(")")]
            func isCall(_ tokens: ArraySlice<Token>) -> String? {
                guard tokens.count == 6 else { return nil }
                for (expected, token) in zip(call, tokens) where expected != nil && expected != token { return nil }
                return name(tokens[tokens.startIndex + 2])
            }
            if let c = isCall(atom[0..<6]), atom[6] == .word("is"), name(atom[7]) == c { return (c, .isoDate) }
            if let c = name(atom[0]), atom[1] == .word("is"), isCall(atom[2..<8]) == c { return (c, .isoDate) }
        default:
            break
        }
        return nil
    }

    /// Words that are never a bare column name in the recognised forms.
    static let keywords: Set<String> = ["not", "null", "is", "in", "and", "or", "date", "length", "true", "false"]
}
