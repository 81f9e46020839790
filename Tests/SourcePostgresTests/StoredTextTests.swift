import Foundation
import ReportCalculators
import ReportCore
import ReportSQL
import SourcePostgres
import Testing
import TestSupport

/// Text compared and grouped as stored where that is exact, normalised where it is not: the
/// engine's figures over the same rows in a CSV file, with spellings that only meet in NFC
/// (precomposed and decomposed, the Kelvin sign U+212A whose NFC is the ASCII 'K'), empty texts
/// and nulls; and the statements the server ran.
@Suite(.blocking, .serialized) struct StoredTextTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string), ColumnSpec(name: "kind", type: .string),
        ColumnSpec(name: "amount", type: .int),
    ])

    static let kelvin = "\u{212A}elvin"
    static let names: [String?] = [
        "Tân Uyên", "Ta\u{0302}n Uye\u{0302}n", "Kelvin", kelvin, "", nil, "Sìn Hồ", "completed", "Zeta", "a",
    ]

    /// Rows cycling through the names; `kind` ASCII only (its groups never meet in NFC) and
    /// sometimes equal to the name.
    static func csv(spellings: [String?] = names) -> String {
        var text = "name,kind,amount\n"
        for i in 0..<120 {
            let name = spellings[i % spellings.count].map { "\"\($0)\"" } ?? ""
            let kind = i % 7 == 0 ? "Kelvin" : (i % 3 == 0 ? "" : ["x", "y", "completed"][i % 3])
            text += "\(name),\"\(kind)\",\(i * 37 % 101)\n"
        }
        return text
    }

    func report(filter: String?, groupBy: [String], metrics: [(String, String, [String: ParameterValue])])
        throws -> ReportDefinition
    {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "registry", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: metrics.map { MetricDefinition(name: $0.0, calc: $0.1, parameters: MetricParameters($0.2)) })
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: Self.schema).get() }
        r.groupBy = groupBy
        r.totals = true
        return r
    }

    func twins(_ fixture: PostgresFixture, csv text: String = csv()) throws -> (Table, PostgresDatasetSource) {
        let path = try fixture.file("rows.csv", text, mode: 0o644)
        var settings = DatasetConfig(
            name: "registry", format: "csv", path: path, schemaPath: "", schema: Self.schema, onBadRows: .fail)
        settings.table = nil
        let table = try TestDatasets.load(settings).table
        try fixture.sql(
            """
            CREATE TABLE p (name text, kind text, amount bigint);
            \\copy p FROM '\(path)' WITH (FORMAT csv, HEADER true)
            """)
        return (table, PostgresDatasetSource(fixture.settings(schema: Self.schema)))
    }

    static let filters = [
        "name == 'Kelvin'", "name != 'Kelvin'", "not name == 'Kelvin'", "name < 'Kelvin'", "name >= 'Kelvin'",
        "name == 'Tân Uyên'", "name > 'Sìn Hồ'", "name in ['Kelvin', 'Tân Uyên', 'completed']",
        "not name in ['Kelvin', 'a']", "name == kind", "name != kind", "not name < kind", "name == ''",
        "not name != ''", "name == 'K\u{212A}'", "name in ['\(kelvin)']", "amount > 50 or name == 'Zeta'",
        // Equality with text under `not` and beside other conditions: exact where it must be
        // (an empty cell's comparison is unknown, never false, under `not`).
        "not (name == 'Kelvin' or amount > 50)", "not (name in ['Zeta', 'a'] and amount > 10)",
        "name == 'Kelvin' or not name == 'Zeta'", "not (not name == 'Tân Uyên')", "name == '' or name == 'Zeta'",
        "name in ['K', 'Kelvin', 'Sìn Hồ']", "kind == 'Kelvin' and not kind in ['x']",
    ]

    static let metrics: [(String, String, [String: ParameterValue])] = [
        ("n", "count", [:]), ("s", "sum", ["column": .string("amount")]),
        ("med", "median", ["column": .string("amount")]), ("d", "count_distinct", ["column": .string("name")]),
        ("lo", "min", ["column": .string("name")]), ("hi", "max", ["column": .string("kind")]),
        ("sd", "stddev", ["column": .string("amount")]),
    ]

    @Test func filtersOnTextGiveTheEnginesRowsForEverySpelling() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let (csv, source) = try twins(fixture)
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for filter in Self.filters {
            for groupBy in [[], ["kind"], ["name"], ["name", "kind"]] as [[String]] {
                let definition = try report(filter: filter, groupBy: groupBy, metrics: Self.metrics)
                let label = "\(filter) \(groupBy)"
                let pushed = try #require(try source.compute(definition), "pushed down: \(label)")
                let expected = try engine.execute(definition, on: csv)
                #expect(pushed.rows == expected.rows, "\(label)")
                #expect(pushed.totals == expected.totals, "\(label)")
                #expect(pushed.rowsUsed == expected.rowsUsed, "\(label)")
            }
        }
    }

    /// A text comparison compares the stored text when it is non-empty ASCII and normalises only
    /// the other cells; an equality outside any `not` needs no `CASE`: the stored text, or the
    /// normalised text of a cell that is not ASCII.
    @Test func aTextComparisonNormalisesOnlyWhatIsNotASCII() throws {
        let filter = try CompiledFilter.compile(
            "name == 'Kelvin' and kind in ['x', 'y'] and not kind == 'z' and name < 'M'", schema: Self.schema
        ).get()
        var parameters: [Value] = []
        let condition = SQLFilterCompiler(dialect: .postgres, schema: Self.schema).condition(
            filter.tree, parameters: &parameters)
        #expect(
            condition.contains(
                "(\"name\" COLLATE \"C\" = $1 COLLATE \"C\" OR (octet_length(\"name\") <> length(\"name\") AND "
                    + "NULLIF(normalize(\"name\", NFC), '') COLLATE \"C\" = $1 COLLATE \"C\"))"),
            "\(condition)")
        #expect(
            condition.contains(
                "(\"kind\" COLLATE \"C\" IN ($2 COLLATE \"C\", $3 COLLATE \"C\") OR (octet_length(\"kind\") <> "
                    + "length(\"kind\") AND NULLIF(normalize(\"kind\", NFC), '') COLLATE \"C\" IN ($2 COLLATE \"C\", "
                    + "$3 COLLATE \"C\")))"),
            "\(condition)")
        // Under `not`, and for an order, the exact form.
        #expect(
            condition.contains(
                "(NOT (CASE WHEN \"kind\" COLLATE \"C\" <> '' AND octet_length(\"kind\") = length(\"kind\") "
                    + "THEN (\"kind\" COLLATE \"C\" = $4 COLLATE \"C\") ELSE"),
            "\(condition)")
        #expect(condition.contains("THEN (\"name\" COLLATE \"C\" < $5 COLLATE \"C\") ELSE"), "\(condition)")
        #expect(parameters == [.string("Kelvin"), .string("x"), .string("y"), .string("z"), .string("M")])
        // SQLite tests the stored text with its own function (see SQLiteStoredTextTests).
        var other: [Value] = []
        let sqlite = SQLFilterCompiler(dialect: .sqlite, schema: Self.schema).condition(filter.tree, parameters: &other)
        #expect(sqlite.contains("CASE WHEN stored_nfc(\"name\") THEN"))
    }

    /// The aggregates that merge (no percentile, no count of distinct values).
    static let merging: [(String, String, [String: ParameterValue])] = [
        ("n", "count", [:]), ("s", "sum", ["column": .string("amount")]),
        ("m", "mean", ["column": .string("amount")]), ("sd", "stddev", ["column": .string("amount")]),
        ("lo", "min", ["column": .string("amount")]), ("hi", "max", ["column": .string("amount")]),
        ("sh", "share", ["column": .string("amount")]),
        ("r", "ratio", ["numerator": .string("amount"), "denominator": .string("amount")]),
    ]

    /// A report whose aggregates all merge, grouped by text: grouped by the stored text itself
    /// (`GROUP BY "name"`, an empty text a group apart from null), and reportd merges the empty
    /// text's group into the null group (and the spellings that meet in NFC) with every such
    /// aggregate, sorted or not: the engine's figures.
    @Test func emptyAndNullTextGroupsMeetWithEveryMergingAggregate() throws {
        let fixture = try PostgresFixture()
        defer { fixture.remove() }
        let (csv, source) = try twins(fixture)
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for filter in [nil, "amount > 20", "name == 'Kelvin' or amount < 30", "not kind == 'x'"] as [String?] {
            for groupBy in [["name"], ["kind"], ["name", "kind"]] as [[String]] {
                for sorted in [false, true] {
                    var definition = try report(filter: filter, groupBy: groupBy, metrics: Self.merging)
                    if sorted { definition.sort = [SortKey(column: "s", descending: true)] }
                    let label = "\(filter ?? "-") \(groupBy) sorted: \(sorted)"
                    let before = fixture.cluster.log().utf8.count
                    let pushed = try #require(try source.compute(definition), "pushed down: \(label)")
                    let log = String(fixture.cluster.log().utf8.dropFirst(before))!
                    let expected = try engine.execute(definition, on: csv)
                    #expect(pushed.rows == expected.rows, "\(label)")
                    #expect(pushed.totals == expected.totals, "\(label)")
                    #expect(pushed.rowsUsed == expected.rowsUsed, "\(label)")
                    let grouped = log.split(separator: "\n").filter {
                        $0.contains("LOG:") && $0.contains(fixture.database) && $0.contains("GROUP BY")
                    }
                    let columns = groupBy.map { "\"\($0)\"" }.joined(separator: ", ")
                    #expect(grouped.count == 1, "\(label): \(grouped)")
                    #expect(grouped.first?.hasSuffix("GROUP BY \(columns)") == true, "\(label): \(grouped)")
                }
            }
        }
    }

    /// A report with a percentile and a count of distinct values grouped by text: one statement
    /// grouped as stored when no two stored spellings share their NFC form; when two do (the
    /// Kelvin sign and 'K'), the statement runs again grouped in NFC, and the figures are the
    /// engine's either way.
    @Test func holisticMetricsGroupAsStoredAndRegroupInNFCOnlyWhenSpellingsMeet() throws {
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for (spellings, meet) in [
            (["Kelvin", "Tân Uyên", "", nil, "a"] as [String?], false),
            (["Kelvin", Self.kelvin, "Tân Uyên", nil] as [String?], true),
            (["Tân Uyên", "Ta\u{0302}n Uye\u{0302}n", "Kelvin"] as [String?], true),
        ] {
            let fixture = try PostgresFixture()
            defer { fixture.remove() }
            let (csv, source) = try twins(fixture, csv: Self.csv(spellings: spellings))
            let definition = try report(filter: "amount >= 3", groupBy: ["name"], metrics: Self.metrics)
            let before = fixture.cluster.log().utf8.count
            let pushed = try #require(try source.compute(definition))
            let log = String(fixture.cluster.log().utf8.dropFirst(before))!
            let expected = try engine.execute(definition, on: csv)
            #expect(pushed.rows == expected.rows, "\(spellings)")
            #expect(pushed.totals == expected.totals)
            let grouped = log.split(separator: "\n").filter {
                $0.contains("LOG:") && $0.contains(fixture.database) && $0.contains("GROUP BY")
            }
            #expect(grouped.count == (meet ? 2 : 1), "\(grouped)")
            #expect(grouped.first?.hasSuffix("GROUP BY NULLIF(\"name\", '')") == true, "\(grouped)")
            if meet { #expect(grouped.last?.contains("normalize(\"name\", NFC)") == true) }
        }
    }
}
