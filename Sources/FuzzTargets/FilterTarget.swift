import ReportCore

extension FuzzTarget {
    /// The filter language: the input is a filter's text (decoded as UTF-8, invalid bytes replaced),
    /// parsed and compiled against a schema of every column type, then evaluated on a small table.
    ///
    /// Invariants: every error's offset lies within the text; a filter that compiles evaluates to
    /// rows in order and in range; `not (F)` compiles too and never keeps a row that `F` keeps
    /// (three-valued logic: a row may be in neither, never in both).
    public static let filter = FuzzTarget(name: "fuzz-filter", corpus: "filter") { bytes throws(InvariantViolation) in
        let text = String(decoding: bytes, as: UTF8.self)
        let length = text.unicodeScalars.count
        switch CompiledFilter.compile(text, schema: FilterFixture.schema) {
        case .failure(let list):
            try check(!list.errors.isEmpty, "compile failed with no error")
            for e in list.errors {
                try check(
                    (0...length).contains(e.offset),
                    "error offset \(e.offset) outside the text (\(length) scalars): \(e.message)")
                try check(!e.message.isEmpty, "error with no message at \(e.offset)")
            }
        case .success(let compiled):
            let rows = compiled.matchingRows(in: FilterFixture.table)
            try check(rows == rows.sorted() && Set(rows).count == rows.count, "rows out of order: \(rows)")
            try check(rows.allSatisfy { (0..<FilterFixture.table.rowCount).contains($0) }, "row out of range: \(rows)")
            try check(
                compiled.columns.isSubset(of: Set(FilterFixture.schema.columnNames)),
                "reads unknown columns \(compiled.columns)")
            switch CompiledFilter.compile("not (\(text))", schema: FilterFixture.schema) {
            case .failure(let list):
                throw InvariantViolation("'\(text)' compiles but its negation does not: \(list.errors)")
            case .success(let negated):
                let both = Set(rows).intersection(negated.matchingRows(in: FilterFixture.table))
                try check(both.isEmpty, "rows \(both.sorted()) match both '\(text)' and its negation")
            }
        }
    }
}

/// The schema and table the filter target compiles and evaluates against.
enum FilterFixture {
    static let schema = DatasetSchema(columns: [
        ColumnSpec(name: "id", type: .string, required: true),
        ColumnSpec(name: "year", type: .int),
        ColumnSpec(name: "amount", type: .decimal),
        ColumnSpec(name: "start_date", type: .date),
        ColumnSpec(name: "active", type: .bool),
        ColumnSpec(name: "status", type: .string),
        ColumnSpec(name: "jobs", type: .int),
    ])

    /// Rows with nulls, extremes and ties, so comparisons meet every case.
    static let table: Table = {
        let rows: [[Value]] = [
            [
                .string("a"), .int(2021), .decimal(1.5), .date(Day(iso: "2021-03-22")!), .bool(true),
                .string("completed"), .int(30),
            ],
            [
                .string("b"), .int(2022), .decimal(-0.0), .date(Day(iso: "1970-01-01")!), .bool(false),
                .string("ongoing"), .int(0),
            ],
            [.string("c"), .null, .null, .null, .null, .null, .null],
            [
                .string("d"), .int(Int64.max), .decimal(9.007199254740993e15), .date(Day(iso: "2100-12-31")!),
                .bool(true), .string(""), .int(Int64.min),
            ],
            [
                .string("e"), .int(Int64.min), .decimal(-1e300), .date(Day(iso: "1900-02-28")!), .bool(false),
                .string("Completed"), .int(-1),
            ],
            [
                .string("f"), .int(2025), .decimal(2025), .date(Day(iso: "2025-12-31")!), .null, .string("completed"),
                .int(2025),
            ],
            [
                .string("g"), .int(0), .decimal(0.1), .date(Day(iso: "2024-02-29")!), .bool(true), .string("Đã xong"),
                .null,
            ],
        ]
        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: rows.count) }
        for row in rows {
            for (c, value) in row.enumerated() { builders[c].append(value) }
        }
        return Table(schema: schema, columns: builders.map { $0.build() })
    }()
}
