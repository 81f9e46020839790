/// Parses the filter language of SPEC.md by recursive descent.
///
/// Precedence, loosest first: `or`, `and`, `not`, then comparisons (`==` `!=` `<` `<=` `>` `>=` `in`).
public struct FilterParser {
    private var tokens: [FilterToken]
    /// The filter's text, to quote a run of bare words back in a hint.
    private let source: [Unicode.Scalar]
    private var position = 0
    /// Parentheses and `not`s open around the current token, and conditions read so far.
    private var depth = 0
    private var conditions = 0

    /// The deepest nesting of parentheses and `not` accepted. Parsing, checking and evaluating
    /// recurse once per level: 2,284 parentheses overflowed the stack (found by fuzz-filter).
    public static let maxDepth = 32
    /// The most conditions accepted; `a and b and c` nests one level per condition in the tree.
    public static let maxConditions = 256

    /// Parses `source` into a syntax tree.
    /// - Throws: `FilterError` at the offending position.
    public static func parse(_ source: String) throws(FilterError) -> FilterExpression {
        var lexer = FilterLexer(source)
        var parser = FilterParser(tokens: try lexer.tokenize(), source: Array(source.unicodeScalars))
        if case .end = parser.peek.kind {
            throw FilterError(offset: 0, message: "empty filter: remove the key or write a condition")
        }
        let expression = try parser.parseOr()
        guard case .end = parser.peek.kind else {
            throw FilterError(
                offset: parser.peek.offset,
                message: "unexpected \(parser.peek.describe()); expected 'and', 'or' or the end"
                    + parser.bareWordsHint())
        }
        return expression
    }

    private init(tokens: [FilterToken], source: [Unicode.Scalar]) {
        self.tokens = tokens
        self.source = source
    }

    /// When the current token is a word that follows a bare word compared with something
    /// (`district == Mường Tè`), a text with spaces written without quotes is the likely slip:
    /// `; to compare with the text, quote it: 'Mường Tè'`. Empty otherwise.
    private func bareWordsHint() -> String {
        func isWord(_ i: Int) -> Bool {
            guard tokens.indices.contains(i) else { return false }
            switch tokens[i].kind {
            case .identifier, .number: return true
            default: return false
            }
        }
        guard case .identifier = tokens[position].kind, position >= 2, case .identifier = tokens[position - 1].kind
        else { return "" }
        var first = position - 1
        while first > 0, case .identifier = tokens[first - 1].kind { first -= 1 }
        guard first > 0, case .symbol(let s) = tokens[first - 1].kind,
            ComparisonOperator(rawValue: s) != nil || s == "[" || s == ","
        else { return "" }
        var last = position
        while isWord(last + 1) { last += 1 }
        var end = min(tokens[min(last + 1, tokens.count - 1)].offset, source.count)
        let start = tokens[first].offset
        while end > start, source[end - 1].properties.isWhitespace { end -= 1 }
        guard start < end else { return "" }
        let words = String(String.UnicodeScalarView(source[start..<end]))
        let quote = words.contains("'") ? "\"" : "'"
        return "; to compare with the text, quote it: \(quote)\(words)\(quote)"
    }

    private var peek: FilterToken { tokens[position] }

    private mutating func advance() -> FilterToken {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    private mutating func accept(keyword: String) -> Bool {
        if case .keyword(keyword) = peek.kind {
            position += 1
            return true
        }
        return false
    }

    private mutating func accept(symbol: String) -> Bool {
        if case .symbol(symbol) = peek.kind {
            position += 1
            return true
        }
        return false
    }

    private mutating func parseOr() throws(FilterError) -> FilterExpression {
        var left = try parseAnd()
        while accept(keyword: "or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(FilterError) -> FilterExpression {
        var left = try parseNot()
        while accept(keyword: "and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(FilterError) -> FilterExpression {
        let offset = peek.offset
        if accept(keyword: "not") {
            try enter(at: offset)
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    /// One more level of nesting, refused past `maxDepth`.
    private mutating func enter(at offset: Int) throws(FilterError) {
        depth += 1
        if depth > Self.maxDepth {
            throw FilterError(
                offset: offset,
                message: "the filter nests parentheses and 'not' more than \(Self.maxDepth) deep: simplify it")
        }
    }

    private mutating func parseComparison() throws(FilterError) -> FilterExpression {
        let offset = peek.offset
        if accept(symbol: "(") {
            try enter(at: offset)
            defer { depth -= 1 }
            let inner = try parseOr()
            guard accept(symbol: ")") else {
                throw FilterError(
                    offset: peek.offset, message: "expected ')' but found \(peek.describe())" + bareWordsHint())
            }
            return inner
        }
        conditions += 1
        if conditions > Self.maxConditions {
            throw FilterError(
                offset: offset, message: "the filter has more than \(Self.maxConditions) conditions: split the report")
        }
        let left = try parseOperand()
        if case .symbol(let s) = peek.kind, let op = ComparisonOperator(rawValue: s) {
            position += 1
            return .compare(left, op, try parseOperand())
        }
        if accept(keyword: "in") {
            guard accept(symbol: "[") else {
                throw FilterError(offset: peek.offset, message: "expected '[' after 'in' but found \(peek.describe())")
            }
            var items: [FilterOperand] = []
            if !accept(symbol: "]") {
                repeat { items.append(try parseOperand()) } while accept(symbol: ",")
                guard accept(symbol: "]") else {
                    throw FilterError(
                        offset: peek.offset, message: "expected ',' or ']' but found \(peek.describe())" + bareWordsHint())
                }
            }
            return .member(left, items)
        }
        return .operand(left)
    }

    private mutating func parseOperand() throws(FilterError) -> FilterOperand {
        let token = advance()
        switch token.kind {
        case .identifier(let name): return FilterOperand(kind: .column(name), offset: token.offset)
        case .number(let text): return FilterOperand(kind: .number(text), offset: token.offset)
        case .string(let text): return FilterOperand(kind: .string(text), offset: token.offset)
        case .keyword("true"): return FilterOperand(kind: .bool(true), offset: token.offset)
        case .keyword("false"): return FilterOperand(kind: .bool(false), offset: token.offset)
        default:
            throw FilterError(
                offset: token.offset, message: "expected a column name or a value but found \(token.describe())")
        }
    }
}

extension FilterToken {
    func describe() -> String {
        switch kind {
        case .identifier(let s): return "'\(s)'"
        case .number(let s): return "number \(s)"
        case .string(let s): return "string '\(s)'"
        case .keyword(let s): return "'\(s)'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the filter"
        }
    }
}
