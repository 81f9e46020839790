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
    /// the other cells.
    @Test func aTextComparisonNormalisesOnlyWhatIsNotASCII() throws {
        let filter = try CompiledFilter.compile("name == 'Kelvin' and kind in ['x', 'y']", schema: Self.schema).get()
        var parameters: [Value] = []
        let condition = SQLFilterCompiler(dialect: .postgres, schema: Self.schema).condition(
            filter.tree, parameters: &parameters)
        #expect(
            condition.contains(
                "CASE WHEN \"name\" COLLATE \"C\" <> '' AND octet_length(\"name\") = length(\"name\") "
                    + "THEN (\"name\" COLLATE \"C\" = $1 COLLATE \"C\") ELSE"),
            "\(condition)")
        #expect(condition.contains("THEN (\"kind\" COLLATE \"C\" IN ($2 COLLATE \"C\", $3 COLLATE \"C\")) ELSE"))
        #expect(parameters == [.string("Kelvin"), .string("x"), .string("y")])
        // SQLite tests the stored text with its own function (see SQLiteStoredTextTests).
        var other: [Value] = []
        let sqlite = SQLFilterCompiler(dialect: .sqlite, schema: Self.schema).condition(filter.tree, parameters: &other)
        #expect(sqlite.contains("CASE WHEN stored_nfc(\"name\") THEN"))
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
