import Foundation
import ReportCalculators
import ReportCore
import ReportSQL
import SQLiteNIO
import SourceSQLite
import Testing

/// Text compared and grouped as stored where that is exact, normalised where it is not: the
/// engine's figures over the rows of the same table read for it, with spellings that only meet in
/// NFC (precomposed and decomposed, the Kelvin sign U+212A whose NFC is the ASCII 'K'), empty
/// texts and nulls; and the statements SQLite ran.
@Suite struct SQLiteStoredTextTests {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "name", type: .string), ColumnSpec(name: "kind", type: .string),
        ColumnSpec(name: "amount", type: .int), ColumnSpec(name: "start", type: .date),
    ])

    static let kelvin = "\u{212A}elvin"
    static let names: [String?] = [
        "Tân Uyên", "Ta\u{0302}n Uye\u{0302}n", "Kelvin", kelvin, "", nil, "Sìn Hồ", "completed", "Zeta", "a",
    ]

    /// 120 rows cycling through `spellings`; `kind` ASCII, empty or null (its groups meet only as
    /// '' and null), sometimes equal to the name.
    func makeDatabase(_ f: SQLiteFixture, spellings: [String?] = names) async throws {
        var statements = ["CREATE TABLE p (name TEXT, kind TEXT, amount INTEGER, start DATE)"]
        var binds: [[SQLiteData]] = [[]]
        for i in 0..<120 {
            statements.append("INSERT INTO p VALUES (?1, ?2, ?3, ?4)")
            let name: SQLiteData = spellings[i % spellings.count].map { .text($0) } ?? .null
            let kind: SQLiteData =
                i % 7 == 0 ? .text("Kelvin") : (i % 3 == 0 ? (i % 2 == 0 ? .text("") : .null) : .text(["x", "y", "completed"][i % 3]))
            let amount: SQLiteData = i % 13 == 4 ? .null : .integer(SQLiteInt64(i * 37 % 101))
            let start: SQLiteData = .text(String(format: "2024-%02d-%02d", 1 + i % 12, 1 + i % 28))
            binds.append([name, kind, amount, start])
        }
        try await f.execute(statements, binds: binds)
    }

    func settings(_ path: String) -> DatasetConfig {
        var s = DatasetConfig(
            name: "db", format: "sqlite", path: path, schemaPath: "", schema: Self.schema, onBadRows: .fail)
        s.table = "p"
        return s
    }

    func report(
        filter: String?, groupBy: [String], metrics: [(String, String, [String: ParameterValue])], sorted: Bool = false
    ) throws -> ReportDefinition {
        var r = ReportDefinition(
            name: "r", title: "r", dataset: "db", schedule: try Schedule.parse("0 7 * * *"), timezone: "UTC",
            metrics: metrics.map { MetricDefinition(name: $0.0, calc: $0.1, parameters: MetricParameters($0.2)) })
        if let filter { r.filter = try CompiledFilter.compile(filter, schema: Self.schema).get() }
        r.groupBy = groupBy
        r.totals = true
        if sorted { r.sort = [SortKey(column: "n", descending: true)] }
        return r
    }

    static let filters: [String?] = [
        nil, "name == 'Kelvin'", "name != 'Kelvin'", "not name == 'Kelvin'", "name < 'Kelvin'", "name >= 'Kelvin'",
        "name == 'Tân Uyên'", "name > 'Sìn Hồ'", "name in ['Kelvin', 'Tân Uyên', 'completed']",
        "not name in ['Kelvin', 'a']", "name == kind", "name != kind", "not name < kind", "name == ''",
        "not name != ''", "name == 'K\u{212A}'", "name in ['\(kelvin)']", "amount > 50 or name == 'Zeta'",
        "not (name == 'Kelvin' or kind == 'x')", "kind == ''", "not kind == 'x'", "not name in []",
    ]

    /// Metrics that merge across spellings (counts, sums, mean, min and max of a column that is
    /// not text, share from the grouped sums) and those that do not (min of text, a count of
    /// distinct values).
    static let merging: [(String, String, [String: ParameterValue])] = [
        ("n", "count", [:]), ("s", "sum", ["column": .string("amount")]), ("m", "mean", ["column": .string("amount")]),
        ("lo", "min", ["column": .string("amount")]), ("hi", "max", ["column": .string("start")]),
        ("sh", "share", ["column": .string("amount")]),
    ]
    static let holistic: [(String, String, [String: ParameterValue])] = [
        ("n", "count", [:]), ("d", "count_distinct", ["column": .string("name")]),
        ("first", "min", ["column": .string("name")]), ("last", "max", ["column": .string("kind")]),
    ]

    @Test(arguments: filters)
    func textFiltersAndGroupsGiveTheEnginesFiguresForEverySpelling(filter: String?) async throws {
        let f = try SQLiteFixture()
        defer { f.remove() }
        try await makeDatabase(f)
        let source = SQLiteDatasetSource(settings(f.path))
        let table = try source.read(columns: nil, selection: .all, provenance: false).table
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for metrics in [Self.merging, Self.holistic] {
            for groupBy in [[], ["kind"], ["name"], ["name", "kind"]] as [[String]] {
                for sorted in [false, true] {
                    let definition = try report(filter: filter, groupBy: groupBy, metrics: metrics, sorted: sorted)
                    let label = "\(filter ?? "-") \(groupBy) \(metrics.map(\.1)) sorted \(sorted)"
                    let pushed = try #require(try source.compute(definition), "pushed down: \(label)")
                    let expected = try engine.execute(definition, on: table)
                    #expect(pushed.rows == expected.rows, "\(label)")
                    #expect(pushed.totals == expected.totals, "\(label)")
                    #expect(pushed.rowsUsed == expected.rowsUsed, "\(label)")
                }
            }
        }
    }

    /// A text comparison compares the stored text when `stored_nfc()` says it is the engine's, and
    /// normalises only the other cells; three-valued (a null or empty cell takes the normalised
    /// branch, null there).
    @Test func aTextComparisonNormalisesOnlyTheCellsThatMayNeedIt() throws {
        let filter = try CompiledFilter.compile("name == 'Kelvin' and amount > 3", schema: Self.schema).get()
        var parameters: [Value] = []
        let condition = SQLFilterCompiler(dialect: .sqlite, schema: Self.schema).condition(
            filter.tree, parameters: &parameters)
        #expect(
            condition.hasPrefix(
                "((CASE WHEN stored_nfc(\"name\") THEN (\"name\" = ?1) ELSE (NULLIF(nfc(\"name\"), '') = ?1) END)"),
            "\(condition)")
        #expect(condition.hasSuffix("AND (\"amount\" > ?2))"), "\(condition)")
    }

    /// Grouped by text as stored, in one statement, when every aggregate merges or no two stored
    /// spellings meet; run again grouped in NFC only when spellings meet and an aggregate does not
    /// merge (a count of distinct values, min or max of text). Figures the engine's either way.
    @Test func textGroupsAreStoredAndRegroupedInNFCOnlyWhenSpellingsMeet() async throws {
        let engine = ReportEngine(calculators: BuiltinCalculators.registry)
        for (spellings, meet) in [
            (["Kelvin", "Tân Uyên", "a"] as [String?], false),
            (["Kelvin", Self.kelvin, "Tân Uyên", nil] as [String?], true),
            (["Tân Uyên", "Ta\u{0302}n Uye\u{0302}n", "Kelvin"] as [String?], true),
            (["Kelvin", "", nil, "a"] as [String?], true),
        ] {
            let f = try SQLiteFixture()
            defer { f.remove() }
            try await makeDatabase(f, spellings: spellings)
            let source = SQLiteDatasetSource(settings(f.path))
            let table = try source.read(columns: nil, selection: .all, provenance: false).table
            for (metrics, merges) in [(Self.merging, true), (Self.holistic, false)] {
                let definition = try report(filter: "amount >= 3", groupBy: ["name"], metrics: metrics)
                let before = SQLiteDatasetSource.readStatements(path: f.path).count
                let pushed = try #require(try source.compute(definition))
                let expected = try engine.execute(definition, on: table)
                #expect(pushed.rows == expected.rows, "\(spellings) \(merges)")
                #expect(pushed.totals == expected.totals)
                let grouped = SQLiteDatasetSource.readStatements(path: f.path).dropFirst(before).map(\.text).filter {
                    $0.contains("GROUP BY")
                }
                let regrouped = meet && !merges
                #expect(grouped.count == (regrouped ? 2 : 1), "\(spellings) \(merges): \(grouped)")
                #expect(grouped.first?.hasSuffix("GROUP BY \"name\"") == true, "\(grouped)")
                if regrouped { #expect(grouped.last?.hasSuffix("GROUP BY NULLIF(nfc(\"name\"), '')") == true) }
            }
        }
    }
}
