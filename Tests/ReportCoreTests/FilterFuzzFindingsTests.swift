import Testing

@testable import ReportCore

/// Regression tests for what the filter fuzz target (fuzz-filter, Tests/Fuzz/filter) found.
@Suite struct FilterFuzzFindingsTests {
    let schema = DatasetSchema(columns: [ColumnSpec(name: "year", type: .int), ColumnSpec(name: "active", type: .bool)])

    func error(_ source: String) -> FilterError? {
        do {
            _ = try FilterParser.parse(source)
            return nil
        } catch {
            return error
        }
    }

    /// 2,284 opening parentheses overflowed the stack of the recursive-descent parser (a crash of
    /// validate and of the daemon's reload); nesting now stops at 32 levels with an error at the
    /// first parenthesis too many.
    @Test func deepParenthesesAreAnErrorNotACrash() throws {
        let e = try #require(error(String(repeating: "(", count: 2284)))
        #expect(e.offset == FilterParser.maxDepth)
        #expect(e.message.contains("more than 32 deep"))
    }

    @Test func deepNotsAreAnErrorToo() throws {
        let e = try #require(error(String(repeating: "not ", count: 40) + "active"))
        #expect(e.offset == 4 * FilterParser.maxDepth)
        #expect(e.message.contains("more than 32 deep"))
    }

    @Test func nestingUpToTheLimitCompilesAndEvaluates() throws {
        let n = FilterParser.maxDepth
        let nested =
            String(repeating: "(", count: n / 2) + String(repeating: "not ", count: n / 2) + "active"
            + String(repeating: ")", count: n / 2)
        #expect(error(nested) == nil)
        guard case .success(let filter) = CompiledFilter.compile(nested, schema: schema) else {
            Issue.record("\(nested) does not compile")
            return
        }
        var year = ColumnBuilder(spec: schema.columns[0])
        var active = ColumnBuilder(spec: schema.columns[1])
        for v in [true, false] {
            year.append(.int(2021))
            active.append(.bool(v))
        }
        let table = Table(schema: schema, columns: [year.build(), active.build()])
        #expect(filter.matchingRows(in: table) == [0])  // an even number of nots
    }

    /// A chain of conditions nests one level per condition in the tree: it stops at 256.
    @Test func conditionsStopAt256() throws {
        let chain = { (n: Int) in (0..<n).map { "year == \($0)" }.joined(separator: " or ") }
        #expect(error(chain(FilterParser.maxConditions)) == nil)
        let e = try #require(error(chain(FilterParser.maxConditions + 1)))
        #expect(e.message.contains("more than 256 conditions"))
        #expect(e.offset == chain(FilterParser.maxConditions).unicodeScalars.count + 4)
    }
}
