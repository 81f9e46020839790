import ReportCore
import ReportSQL
import Testing

@Suite struct SQLFilterTests {
    let schema = DatasetSchema(columns: [
        ColumnSpec(name: "district", type: .string), ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .decimal), ColumnSpec(name: "start", type: .date),
        ColumnSpec(name: "done", type: .bool), ColumnSpec(name: "we\"ird name", type: .int),
    ])

    func compile(_ filter: String, _ dialect: SQLDialect = .sqlite) throws -> SQLStatement {
        let compiled = try CompiledFilter.compile(filter, schema: schema).get()
        var parameters: [Value] = []
        let text = SQLFilterCompiler(dialect: dialect, schema: schema).condition(compiled.tree, parameters: &parameters)
        return SQLStatement(text: text, parameters: parameters)
    }

    @Test(arguments: [
        ("year == 2021", "(\"year\" = ?1)"), ("year != 2021", "(\"year\" <> ?1)"), ("year < 2021", "(\"year\" < ?1)"),
        ("year <= 2021", "(\"year\" <= ?1)"), ("year > 2021", "(\"year\" > ?1)"), ("year >= 2021", "(\"year\" >= ?1)"),
    ])
    func everyComparison(_ filter: String, _ sql: String) throws {
        let statement = try compile(filter)
        #expect(statement.text == sql)
        #expect(statement.parameters == [.int(2021)])
    }

    @Test func textIsComparedInNFCAndItsValueIsBound() throws {
        // "Tân Uyên" written decomposed (NFD): bound in NFC, never in the text.
        let nfd = "Ta\u{0302}n Uye\u{0302}n"
        let statement = try compile("district == '\(nfd)'")
        // SQLite: the stored text when stored_nfc() says it is in NFC (and not empty), normalised otherwise.
        #expect(
            statement.text
                == "(CASE WHEN stored_nfc(\"district\") THEN (\"district\" = ?1) "
                + "ELSE (NULLIF(nfc(\"district\"), '') = ?1) END)")
        #expect(statement.parameters == [.string("Tân Uyên")])
        let postgres = try compile("district >= 'Tân'", .postgres)
        // PostgreSQL: the stored text when it is non-empty ASCII (in NFC), normalised otherwise.
        #expect(
            postgres.text
                == "(CASE WHEN \"district\" COLLATE \"C\" <> '' AND octet_length(\"district\") = length(\"district\") "
                + "THEN (\"district\" COLLATE \"C\" >= $1 COLLATE \"C\") "
                + "ELSE (NULLIF(normalize(\"district\", NFC), '') COLLATE \"C\" >= $1 COLLATE \"C\") END)")
    }

    @Test func anInjectionAttemptStaysAParameter() throws {
        let value = "x'); DROP TABLE projects; --"
        let statement = try compile("district == \"\(value)\" or district in ['a', 'b']")
        #expect(!statement.text.contains("DROP"))
        #expect(!statement.text.contains("x'"))
        #expect(
            statement.text
                == "((CASE WHEN stored_nfc(\"district\") THEN (\"district\" = ?1) ELSE (NULLIF(nfc(\"district\"), '') = ?1) END) "
                + "OR (CASE WHEN stored_nfc(\"district\") THEN (\"district\" IN (?2, ?3)) "
                + "ELSE (NULLIF(nfc(\"district\"), '') IN (?2, ?3)) END))")
        #expect(statement.parameters == [.string(value), .string("a"), .string("b")])
    }

    @Test func logicAndTheOtherNodes() throws {
        #expect(try compile("not (done and year >= 2022)").text == "(NOT ((\"done\" = TRUE) AND (\"year\" >= ?1)))")
        #expect(try compile("done == false").text == "(\"done\" = ?1)")
        #expect(try compile("done == false").parameters == [.bool(false)])
        #expect(try compile("amount > year").text == "(\"amount\" > \"year\")")
        #expect(try compile("start >= '2022-01-01'").parameters == [.date(Day(year: 2022, month: 1, day: 1)!)])
        #expect(try compile("year in [2023, 2021]").text == "(\"year\" IN (?1, ?2))")
        #expect(try compile("year in [2023, 2021]").parameters == [.int(2021), .int(2023)])
        // An int column never equals a fractional literal: the engine rewrites it, SQL follows.
        #expect(try compile("year == 2021.5").parameters == [.int(Int64.min)])
        #expect(try compile("year in [2021.5]").text == "(\"year\" <> \"year\")")
    }

    /// `is null` (made by split reports for the rows without a value): an empty text is null to
    /// the engine, so a text column's test takes `''` too; other columns' is SQL's `IS NULL`.
    @Test func isNullOfATextColumnTakesTheEmptyTextToo() {
        for dialect in [SQLDialect.sqlite, .postgres] {
            var parameters: [Value] = []
            let compiler = SQLFilterCompiler(dialect: dialect, schema: schema)
            #expect(compiler.condition(.isNull(column: "district"), parameters: &parameters) == "(\"district\" IS NULL OR \"district\" = '')")
            #expect(compiler.condition(.isNull(column: "year"), parameters: &parameters) == "(\"year\" IS NULL)")
            #expect(parameters.isEmpty)
        }
    }

    @Test func identifiersAreQuotedWithQuotesDoubled() throws {
        #expect(SQLDialect.sqlite.identifier("we\"ird name") == "\"we\"\"ird name\"")
        #expect(SQLDialect.postgres.placeholder(3) == "$3")
    }

    @Test func theAggregateStatementGroupsInNFC() throws {
        let filter = try CompiledFilter.compile("year >= 2022", schema: schema).get()
        let statement = SQLAggregateQuery(dialect: .sqlite, schema: schema).statement(
            from: .table("projects"), filter: filter.tree, groupBy: ["district"],
            aggregates: [
                .count, .sum("year"), .mean("amount"), .min("district"), .max("start"), .countDistinct("district"),
            ])
        #expect(
            statement.text
                == "SELECT NULLIF(nfc(\"district\"), ''), COUNT(*), SUM(\"year\"), AVG(\"amount\"), MIN(NULLIF(nfc(\"district\"), '')), "
                + "MAX(\"start\"), COUNT(DISTINCT NULLIF(nfc(\"district\"), '')) FROM \"projects\" WHERE (\"year\" >= ?1) "
                + "GROUP BY NULLIF(nfc(\"district\"), '')")
        #expect(statement.parameters == [.int(2022)])
        let query = SQLAggregateQuery(dialect: .postgres, schema: schema).statement(
            from: .query("SELECT * FROM p"), filter: nil, groupBy: [], aggregates: [.count])
        #expect(query.text == "SELECT COUNT(*) FROM (SELECT * FROM p) AS \"reportd_query\"")
    }
}
