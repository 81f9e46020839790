/// A lexical token of the filter language.
struct FilterToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case keyword(String)  // and, or, not, in, true, false
        case symbol(String)  // == != < <= > >= ( ) [ ] ,
        case end
    }

    var kind: Kind
    var offset: Int
}

/// Splits filter text into tokens.
struct FilterLexer {
    private let scalars: [Unicode.Scalar]
    private var i = 0

    init(_ source: String) { scalars = Array(source.unicodeScalars) }

    static let keywords: Set<String> = ["and", "or", "not", "in", "true", "false"]

    mutating func tokenize() throws(FilterError) -> [FilterToken] {
        var tokens: [FilterToken] = []
        while true {
            while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
            guard i < scalars.count else {
                tokens.append(FilterToken(kind: .end, offset: i))
                return tokens
            }
            let start = i
            let c = scalars[i]
            if c == "'" || c == "\"" {
                tokens.append(FilterToken(kind: .string(try readString(quote: c)), offset: start))
            } else if c.isDigitASCII || (c == "-" && next(isDigit: true)) || (c == "." && next(isDigit: true)) {
                tokens.append(FilterToken(kind: .number(readNumber()), offset: start))
            } else if c == "_" || c.properties.isAlphabetic {
                var word = ""
                // A dot between words joins them (`totals.support_vnd` in `publish_when` and `alerts`).
                while i < scalars.count,
                    scalars[i] == "_" || scalars[i].properties.isAlphabetic || scalars[i].isDigitASCII
                        || (scalars[i] == "." && i + 1 < scalars.count
                            && (scalars[i + 1] == "_" || scalars[i + 1].properties.isAlphabetic))
                {
                    word.unicodeScalars.append(scalars[i])
                    i += 1
                }
                let kind: FilterToken.Kind = Self.keywords.contains(word) ? .keyword(word) : .identifier(word)
                tokens.append(FilterToken(kind: kind, offset: start))
            } else {
                let two = i + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[i + 1]])) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    i += 2
                    tokens.append(FilterToken(kind: .symbol(two), offset: start))
                } else if "<>()[],".unicodeScalars.contains(c) {
                    i += 1
                    tokens.append(FilterToken(kind: .symbol(String(c)), offset: start))
                } else if c == "=" {
                    throw FilterError(offset: start, message: "'=' is not an operator; use '==' to compare")
                } else if c == "&" || c == "|" || c == "!" {
                    throw FilterError(
                        offset: start, message: "unexpected '\(c)'; use 'and', 'or', 'not' and '!='")
                } else {
                    throw FilterError(offset: start, message: "unexpected character '\(c)'")
                }
            }
        }
    }

    private func next(isDigit: Bool) -> Bool {
        i + 1 < scalars.count && scalars[i + 1].isDigitASCII
    }

    private mutating func readNumber() -> String {
        var text = ""
        if scalars[i] == "-" {
            text.append("-")
            i += 1
        }
        while i < scalars.count, scalars[i].isDigitASCII || scalars[i] == "." || scalars[i] == "_" {
            if scalars[i] != "_" { text.unicodeScalars.append(scalars[i]) }
            i += 1
        }
        return text
    }

    private mutating func readString(quote: Unicode.Scalar) throws(FilterError) -> String {
        let start = i
        i += 1
        var text = ""
        while i < scalars.count {
            let c = scalars[i]
            if c == quote {
                i += 1
                // A literal compares with dataset cells, which are read in NFC (SPEC).
                return NFC.normalize(text)
            }
            if c == "\\", i + 1 < scalars.count {
                text.unicodeScalars.append(scalars[i + 1])
                i += 2
                continue
            }
            text.unicodeScalars.append(c)
            i += 1
        }
        throw FilterError(offset: start, message: "unterminated string: add the closing \(quote)")
    }
}

extension Unicode.Scalar {
    var isDigitASCII: Bool { value >= 48 && value <= 57 }
}
