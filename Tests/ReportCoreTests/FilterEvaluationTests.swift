import Testing

@testable import ReportCore

private let schema = DatasetSchema(columns: [
    ColumnSpec(name: "district", type: .string),
    ColumnSpec(name: "year", type: .int),
    ColumnSpec(name: "amount", type: .decimal),
    ColumnSpec(name: "started", type: .date),
    ColumnSpec(name: "active", type: .bool),
    ColumnSpec(name: "x", type: .int),
    ColumnSpec(name: "y", type: .int),
    ColumnSpec(name: "ceiling", type: .decimal),
])

private func day(_ iso: String) -> Value { .date(Day(iso: iso)!) }

/// Six rows with nulls scattered over every column:
///
/// | row | district  | year | amount  | started    | active | x   | y   | ceiling |
/// | 0   | Sìn Hồ    | 2021 | 150.5   | 2021-03-15 | true   | 5   | 1   | 200     |
/// | 1   | Mường Tè  | 2022 | 80      | 2022-07-01 | false  | –   | 1   | 50      |
/// | 2   | Phong Thổ | 2023 | –       | 2023-01-10 | –      | 7   | 0   | 100     |
/// | 3   | –         | 2024 | 1000.25 | –          | true   | 5   | –   | 1000.25 |
/// | 4   | Sìn Hồ    | 2025 | -3.5    | 2024-02-29 | false  | –   | 0   | –       |
/// | 5   | Tam Đường | –    | 0       | 2025-12-31 | true   | 3   | 2   | -1      |
private let table: Table = {
    let rows: [[Value]] = [
        [
            .string("Sìn Hồ"), .int(2021), .decimal(150.5), day("2021-03-15"), .bool(true), .int(5), .int(1),
            .decimal(200),
        ],
        [.string("Mường Tè"), .int(2022), .decimal(80), day("2022-07-01"), .bool(false), .null, .int(1), .decimal(50)],
        [.string("Phong Thổ"), .int(2023), .null, day("2023-01-10"), .null, .int(7), .int(0), .decimal(100)],
        [.null, .int(2024), .decimal(1000.25), .null, .bool(true), .int(5), .null, .decimal(1000.25)],
        [.string("Sìn Hồ"), .int(2025), .decimal(-3.5), day("2024-02-29"), .bool(false), .null, .int(0), .null],
        [.string("Tam Đường"), .null, .decimal(0), day("2025-12-31"), .bool(true), .int(3), .int(2), .decimal(-1)],
    ]
    var builders = schema.columns.map { ColumnBuilder(spec: $0) }
    for row in rows {
        for (c, value) in row.enumerated() { builders[c].append(value) }
    }
    return Table(schema: schema, columns: builders.map { $0.build() })
}()

private func compileErrors(_ source: String) -> [FilterError] {
    switch CompiledFilter.compile(source, schema: schema) {
    case .success: return []
    case .failure(let list): return list.errors
    }
}

private func matching(_ source: String) throws -> [Int] {
    try CompiledFilter.compile(source, schema: schema).get().matchingRows(in: table)
}

@Suite struct FilterEvaluationTests {
    // MARK: Type checking

    @Test(arguments: [
        ("distrct == 'x'", 0, "unknown column 'distrct' (did you mean 'district'?)"),
        ("year > 2020 and yaer < 2025", 16, "unknown column 'yaer' (did you mean 'year'?)"),
        ("district == 5", 12, "cannot compare string column 'district' with number 5"),
        ("5 == district", 0, "cannot compare string column 'district' with number 5"),
        ("year == 'five'", 8, "cannot compare int column 'year' with string 'five'"),
        ("year == true", 8, "cannot compare int column 'year' with true"),
        ("amount > 'a lot'", 9, "cannot compare decimal column 'amount' with string"),
        ("started >= '2024-13-01'", 11, "is not a date"),
        ("started == 'yesterday'", 11, "write dates as 'YYYY-MM-DD'"),
        ("started == '2023-02-29'", 11, "is not a date"),
        ("started > 20240101", 10, "cannot compare date column 'started' with number"),
        ("active < true", 9, "bool column 'active' takes only == and !="),
        ("active >= false", 10, "takes only == and !="),
        ("active == 1", 10, "cannot compare bool column 'active' with number 1"),
        ("district", 0, "column 'district' is string, not bool"),
        ("2021", 0, "a value alone is not a condition"),
        ("1 == 2", 0, "a comparison needs a column on one side"),
        ("'x' in ['x']", 0, "the left side of 'in' must be a column"),
        ("year in [2021, district]", 15, "takes values, not the column 'district'"),
        ("year in [2021, 'x']", 15, "cannot compare int column 'year' with string 'x'"),
        ("year == 1.2.3", 8, "'1.2.3' is not a number"),
        ("district == year", 0, "cannot compare string column 'district' with int column 'year'"),
        ("started < amount", 0, "cannot compare date column 'started' with decimal column 'amount'"),
    ])
    func typeErrorsAreReportedAtTheirOffset(source: String, offset: Int, fragment: String) {
        let errors = compileErrors(source)
        #expect(errors.count == 1)
        #expect(errors.first?.offset == offset)
        #expect(errors.first?.message.contains(fragment) == true, "\(errors)")
    }

    @Test func unknownColumnWithoutAPlausibleGuessHasNoSuggestion() {
        let errors = compileErrors("zzzzzzzz == 1")
        #expect(errors.map(\.message) == ["unknown column 'zzzzzzzz'"])
    }

    @Test func everyTypeErrorIsCollectedNotOnlyTheFirst() {
        let errors = compileErrors("foo == 1 or district == 2 or started == 'soon'")
        #expect(errors.map(\.offset) == [0, 24, 40])
    }

    @Test func syntaxErrorsComeBackThroughCompile() {
        #expect(compileErrors("year = 2021").map(\.offset) == [5])
    }

    @Test(arguments: [
        "year == 2021", "amount == 80", "year < 2022.5", "year == 99999999999999999999", "2021 <= year",
        "district in ['a', 'b']", "active", "not active", "active != true", "x > y", "year > amount",
        "started < started", "true", "false",
    ])
    func wellTypedFiltersCompile(source: String) {
        #expect(compileErrors(source).isEmpty)
    }

    // MARK: Evaluation

    @Test(arguments: [
        // Comparisons on int columns; null years never match.
        ("year == 2022", [1]),
        ("year != 2022", [0, 2, 3, 4]),
        ("year < 2023", [0, 1]),
        ("year <= 2023", [0, 1, 2]),
        ("year > 2023", [3, 4]),
        ("year >= 2023", [2, 3, 4]),
        ("2023 < year", [3, 4]),
        ("2023 >= year", [0, 1, 2]),
        ("year < 2022.5", [0, 1]),
        // Decimal columns.
        ("amount > 100", [0, 3]),
        ("amount <= 0", [4, 5]),
        ("amount == 80", [1]),
        ("amount == 1000.25", [3]),
        ("amount > -3.5", [0, 1, 3, 5]),
        // Strings, Vietnamese included.
        ("district == 'Sìn Hồ'", [0, 4]),
        ("district != 'Sìn Hồ'", [1, 2, 5]),
        ("district == \"Mường Tè\"", [1]),
        ("district == 'Sin Ho'", []),
        // Membership.
        ("district in ['Mường Tè', 'Tam Đường']", [1, 5]),
        ("year in [2021, 2025]", [0, 4]),
        ("year in [2021, 2024.0]", [0, 3]),
        ("year in []", []),
        ("not district in ['Sìn Hồ']", [1, 2, 5]),
        // Bools.
        ("active", [0, 3, 5]),
        ("active == true", [0, 3, 5]),
        ("active == false", [1, 4]),
        ("active != true", [1, 4]),
        ("not active", [1, 4]),
        ("true", [0, 1, 2, 3, 4, 5]),
        ("false", []),
        // Dates with 'YYYY-MM-DD' literals.
        ("started >= '2022-01-01' and started < '2024-01-01'", [1, 2]),
        ("started == '2024-02-29'", [4]),
        ("started > '2024-12-31'", [5]),
        ("started <= \"2021-03-15\"", [0]),
        ("started != '2021-03-15'", [1, 2, 4, 5]),
        // Logic.
        ("year >= 2022 and year <= 2024", [1, 2, 3]),
        ("year == 2021 or district == 'Tam Đường'", [0, 5]),
        ("year == 2021 or year == 2022 and active", [0]),
        ("(year == 2021 or year == 2022) and not active", [1]),
        ("not (year == 2022)", [0, 2, 3, 4]),
        // Column against column.
        ("amount < ceiling", [0]),
        ("amount <= ceiling", [0, 3]),
        ("amount == ceiling", [3]),
        ("year > amount", [0, 1, 3, 4]),
        ("x > y", [0, 2, 5]),
        ("x != y", [0, 2, 5]),
    ])
    func matchingRowsFollowsTheFilter(source: String, expected: [Int]) throws {
        #expect(try matching(source) == expected)
    }

    // MARK: Three-valued logic with nulls (x is null in rows 1 and 4, y in row 3)

    @Test func notEqualDropsNullCells() throws {
        #expect(try matching("x != 5") == [2, 5])
    }

    @Test func negatedComparisonDropsNullCells() throws {
        #expect(try matching("not (x == 5)") == [2, 5])
    }

    @Test func orKeepsARowWithANullOperandWhenTheOtherSideIsTrue() throws {
        // Row 1: x is null, y == 1. Row 4: x is null, y == 0 (unknown or false: dropped).
        #expect(try matching("x == 5 or y == 1") == [0, 1, 3])
    }

    @Test func andWithUnknownIsFalseOnlyWhenTheOtherSideIsFalse() throws {
        #expect(try matching("x == 5 and y == 1") == [0])
        // not(unknown and false) = not false = true (row 4); not(unknown and true) stays unknown (rows 1, 3).
        #expect(try matching("not (x == 5 and y == 1)") == [2, 4, 5])
    }

    @Test func nullStringsAndBoolsNeverMatchAnyComparison() throws {
        #expect(try matching("district != 'nowhere'") == [0, 1, 2, 4, 5])
        #expect(try matching("active or not active") == [0, 1, 3, 4, 5])
    }

    @Test func decomposedLiteralMatchesComposedCells() throws {
        let nfd = "Si\u{0300}n Ho\u{0302}\u{0300}"
        #expect(try matching("district == '\(nfd)'") == [0, 4])
    }

    @Test func emptyTableMatchesNothing() throws {
        let empty = Table(schema: schema, columns: schema.columns.map { ColumnBuilder(spec: $0).build() })
        let filter = try CompiledFilter.compile("year > 0 or true", schema: schema).get()
        #expect(filter.matchingRows(in: empty).isEmpty)
        #expect(filter.source == "year > 0 or true")
    }
}
