public import ReportConfig
public import ReportCore
import ReportFiles

extension ReportTest.Fixture {
    /// The fixture's table: the data file's rows (read as a run reads its dataset), then the rows
    /// written in the test file, each cell typed by the schema as a CSV cell is.
    ///
    /// - Throws: `DatasetError` for a bad row (located in the data file or the test file), unless
    ///   the dataset rejects bad rows (`on_bad_rows: reject`), which then leaves them out.
    public func load(testFile: String) throws(DatasetError) -> Table {
        var fromFile: Table?
        if hasFile {
            guard let source else {
                throw DatasetError(
                    file: DisplayPath.of(dataset.path), line: 0, column: 0,
                    message: "no reader for the dataset format '\(dataset.format)'")
            }
            fromFile = try source.read(columns: nil, selection: .all, provenance: false).table
        }
        if rows.isEmpty, let fromFile { return fromFile }
        let schema = dataset.schema
        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: rows.count + (fromFile?.rowCount ?? 0)) }
        var count = 0
        if let fromFile {
            let columns = schema.columns.map { fromFile.column($0.name) }
            for r in 0..<fromFile.rowCount {
                for c in builders.indices { builders[c].append(columns[c]?.value(at: r) ?? .null) }
            }
            count = fromFile.rowCount
        }
        var typed = [Value](repeating: .null, count: schema.columns.count)
        rows: for row in rows {
            for (c, spec) in schema.columns.enumerated() {
                let cell = row.cells[spec.name] ?? .null
                var problem: String?
                if cell.isNull {
                    typed[c] = .null
                } else {
                    switch CellParser.parse(ArraySlice(cell.text.utf8), as: spec.type) {
                    case .value(let v): typed[c] = v
                    case .null: typed[c] = .null
                    case .invalid(let why): problem = "column '\(spec.name)': \(why)"
                    }
                }
                if problem == nil, spec.required, typed[c].isNull {
                    problem =
                        "column '\(spec.name)' is required but \(row.cells[spec.name] == nil ? "missing" : "empty")"
                }
                if let problem {
                    if dataset.onBadRows == .reject { continue rows }
                    throw DatasetError(
                        file: testFile, line: row.line, column: row.column, message: "fixture row: \(problem)")
                }
            }
            for c in builders.indices { builders[c].append(typed[c]) }
            count += 1
        }
        return Table(schema: schema, columns: builders.map { $0.build() }, rowCount: count)
    }
}
