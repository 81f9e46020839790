import Testing

@testable import ReportCore

/// The parse tree as a compact S-expression, without offsets: `(or (== a #1) (and ...))`.
/// Numbers are written `#text`, strings `'text'`, columns bare.
private func sexpr(_ e: FilterExpression) -> String {
    switch e {
    case .and(let a, let b): return "(and \(sexpr(a)) \(sexpr(b)))"
    case .or(let a, let b): return "(or \(sexpr(a)) \(sexpr(b)))"
    case .not(let a): return "(not \(sexpr(a)))"
    case .compare(let l, let op, let r): return "(\(op.rawValue) \(operand(l)) \(operand(r)))"
    case .member(let l, let items): return "(in \(operand(l)) [\(items.map(operand).joined(separator: " "))])"
    case .operand(let o): return operand(o)
    }
}

private func operand(_ o: FilterOperand) -> String {
    switch o.kind {
    case .column(let name): return name
    case .number(let text): return "#\(text)"
    case .string(let s): return "'\(s)'"
    case .bool(let b): return "\(b)"
    }
}

private func parsed(_ source: String) throws -> String { sexpr(try FilterParser.parse(source)) }

@Suite struct FilterParserTests {
    // MARK: Precedence: not > comparison > and > or

    @Test(arguments: [
        ("a == 1 or b == 2 and c == 3", "(or (== a #1) (and (== b #2) (== c #3)))"),
        ("a == 1 and b == 2 or c == 3", "(or (and (== a #1) (== b #2)) (== c #3))"),
        ("not a == 1 and b == 2", "(and (not (== a #1)) (== b #2))"),
        ("not a == 1 or b == 2", "(or (not (== a #1)) (== b #2))"),
        ("a == 1 or not b == 2 and c == 3", "(or (== a #1) (and (not (== b #2)) (== c #3)))"),
        ("not not a == 1", "(not (not (== a #1)))"),
        ("a == 1 or b == 2 or c == 3", "(or (or (== a #1) (== b #2)) (== c #3))"),
        ("a == 1 and b == 2 and c == 3", "(and (and (== a #1) (== b #2)) (== c #3))"),
        ("a in [1, 2] and b != 3", "(and (in a [#1 #2]) (!= b #3))"),
    ])
    func precedenceAndAssociativity(source: String, expected: String) throws {
        #expect(try parsed(source) == expected)
    }

    @Test(arguments: [
        ("(a == 1 or b == 2) and c == 3", "(and (or (== a #1) (== b #2)) (== c #3))"),
        ("not (a == 1 or b == 2)", "(not (or (== a #1) (== b #2)))"),
        ("a == 1 and (b == 2 or (c == 3 and d == 4))", "(and (== a #1) (or (== b #2) (and (== c #3) (== d #4))))"),
        ("((a == 1))", "(== a #1)"),
        ("(active)", "active"),
    ])
    func parenthesesOverridePrecedence(source: String, expected: String) throws {
        #expect(try parsed(source) == expected)
    }

    @Test(arguments: [
        ("a == 1", "(== a #1)"), ("a != 1", "(!= a #1)"), ("a < 1", "(< a #1)"),
        ("a <= 1", "(<= a #1)"), ("a > 1", "(> a #1)"), ("a >= 1", "(>= a #1)"),
        ("a>=1", "(>= a #1)"), ("1 < a", "(< #1 a)"), ("a == b", "(== a b)"),
    ])
    func comparisonOperators(source: String, expected: String) throws {
        #expect(try parsed(source) == expected)
    }

    // MARK: Strings

    @Test(arguments: [
        (#"s == 'Sìn Hồ'"#, "Sìn Hồ"),
        (#"s == "Sìn Hồ""#, "Sìn Hồ"),
        (#"s == "it's""#, "it's"),
        (#"s == 'say "hi"'"#, #"say "hi""#),
        (#"s == 'it\'s'"#, "it's"),
        (#"s == "say \"hi\"""#, #"say "hi""#),
        (#"s == 'a\\b'"#, #"a\b"#),
        (#"s == ''"#, ""),
        (#"s == 'a, b (c) [d] == e and f'"#, "a, b (c) [d] == e and f"),
    ])
    func stringLiteralsInBothQuoteStylesWithEscapes(source: String, value: String) throws {
        guard case .compare(_, .equal, let right) = try FilterParser.parse(source) else {
            Issue.record("not a comparison: \(source)")
            return
        }
        #expect(right.kind == .string(value))
    }

    // MARK: Lists, keywords, numbers

    @Test func inListTakesValuesOfAnyKind() throws {
        #expect(try parsed("district in ['Mường Tè', \"Sìn Hồ\"]") == "(in district ['Mường Tè' 'Sìn Hồ'])")
        #expect(try parsed("year in [2021, 2022.5, -3]") == "(in year [#2021 #2022.5 #-3])")
        #expect(try parsed("year in [2021]") == "(in year [#2021])")
        #expect(try parsed("year in []") == "(in year [])")
        #expect(try parsed("flag in [true, false]") == "(in flag [true false])")
        #expect(try parsed("not year in [1,2]") == "(not (in year [#1 #2]))")
    }

    @Test func trueAndFalseAreKeywordsNotColumns() throws {
        #expect(try parsed("active == true") == "(== active true)")
        #expect(try parsed("active != false") == "(!= active false)")
        #expect(try parsed("true") == "true")
        #expect(try parsed("not active") == "(not active)")
        guard case .operand(let o) = try FilterParser.parse("false") else {
            Issue.record("not an operand")
            return
        }
        #expect(o.kind == .bool(false))
    }

    @Test(arguments: ["order", "android", "notes", "index", "true_count", "falsehood", "in2", "_or"])
    func identifiersThatStartWithAKeywordAreColumns(name: String) throws {
        #expect(try parsed("\(name) == 1") == "(== \(name) #1)")
    }

    @Test func vietnameseColumnNamesAreIdentifiers() throws {
        #expect(try parsed("tỉnh == 'Lai Châu' and năm >= 2021") == "(and (== tỉnh 'Lai Châu') (>= năm #2021))")
    }

    @Test(arguments: [
        ("x == -5", "-5"), ("x > -1.5", "-1.5"), ("x == 2.75", "2.75"), ("x < .5", ".5"),
        ("x==-3", "-3"), ("x >= 1_000_000", "1000000"), ("x == 0", "0"),
        ("x == 9223372036854775807", "9223372036854775807"),
    ])
    func negativeAndDecimalNumbers(source: String, text: String) throws {
        guard case .compare(_, _, let right) = try FilterParser.parse(source) else {
            Issue.record("not a comparison: \(source)")
            return
        }
        #expect(right.kind == .number(text))
    }

    @Test func operandsCarryTheirOffsetInUnicodeScalars() throws {
        guard case .compare(let l, _, let r) = try FilterParser.parse("year >= 2021") else {
            Issue.record("not a comparison")
            return
        }
        #expect(l.offset == 0)
        #expect(r.offset == 8)
        // 'Hà Nội' (NFC) is 8 scalars with its quotes.
        guard case .compare(let s, _, let column) = try FilterParser.parse("'Hà Nội' == tỉnh") else {
            Issue.record("not a comparison")
            return
        }
        #expect(s.offset == 0)
        #expect(column.offset == 12)
        #expect(column.kind == .column("tỉnh"))
    }

    // MARK: Syntax errors, with their offsets

    @Test(arguments: [
        ("status == 'done", 10, "unterminated string"),
        ("status == \"done", 10, "unterminated string"),
        ("s == 'it\\'", 5, "unterminated string"),
        ("year = 2021", 5, "use '=='"),
        ("'Hà Nội' = x", 9, "use '=='"),
        ("(year == 1 or year == 2", 23, "expected ')'"),
        ("((year == 1) and year == 2", 26, "expected ')'"),
        ("year == 1 year == 2", 10, "unexpected 'year'"),
        ("year == 1)", 9, "unexpected ')'"),
        ("year == 1 2", 10, "unexpected number 2"),
        ("", 0, "empty filter"),
        ("   ", 0, "empty filter"),
        ("a == 1 && b == 2", 7, "use 'and'"),
        ("a == 1 || b == 2", 7, "use 'and', 'or'"),
        ("!active", 0, "use 'and', 'or', 'not'"),
        ("a in 1", 5, "expected '['"),
        ("a in [1, 2", 10, "expected ',' or ']'"),
        ("a in [1 2]", 8, "expected ',' or ']'"),
        ("a ==", 4, "expected a column name or a value"),
        ("a == 1 and", 10, "expected a column name or a value"),
        ("== 1", 0, "expected a column name or a value"),
        ("a == #", 5, "unexpected character '#'"),
        ("a - 3", 2, "unexpected character '-'"),
        ("a == 1 and ()", 12, "expected a column name or a value"),
    ])
    func syntaxErrorsPointAtTheOffendingPosition(source: String, offset: Int, fragment: String) {
        let error = #expect(throws: FilterError.self) { try FilterParser.parse(source) }
        #expect(error?.offset == offset)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error")")
    }

    @Test func errorDescriptionIsOneBasedColumn() {
        let e = FilterError(offset: 5, message: "'=' is not an operator; use '==' to compare")
        #expect(e.description == "filter column 6: '=' is not an operator; use '==' to compare")
        #expect(throws: FilterError(offset: 5, message: "'=' is not an operator; use '==' to compare")) {
            try FilterParser.parse("year = 2021")
        }
    }
}
