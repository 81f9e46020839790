import Foundation
import ReportCore
import ReportFiles
import SourceFiles

/// Reads one sheet's XML into typed columns: row 1 is the header, every later row a data row.
/// A bad cell is located as `FILE!SHEET!B12`.
struct SheetReader {
    let config: DatasetConfig
    /// `FILE!SHEET`, the prefix of every location.
    let display: String
    let columns: Set<String>?
    let shared: [String]
    let dateStyles: Set<Int>
    let date1904: Bool

    /// One cell as the sheet holds it.
    enum Cell {
        case empty
        case text(String)
        case number(String, dateStyled: Bool)
        case bool(Bool)
        case error(String)

        /// The cell as text (for a string column, and for the rejected-rows file).
        var text: String {
            switch self {
            case .empty: return ""
            case .text(let s): return s
            case .number(let v, _): return v
            case .bool(let b): return b ? "TRUE" : "FALSE"
            case .error(let e): return e
            }
        }
    }

    func located(_ reference: String, _ message: String) -> DatasetError {
        DatasetError(file: display + "!" + reference, line: 0, column: 0, message: message)
    }

    mutating func read(_ buffer: UnsafeBufferPointer<UInt8>, partName: String) throws(DatasetError) -> LoadedDataset {
        let schema = config.schema
        var scanner = XMLScanner(buffer)
        var header: [String] = []
        var positions: [Int] = []
        var builders = schema.columns.map { ColumnBuilder(spec: $0) }
        var rejected: [RejectedRow] = []
        var rows = 0
        var headerSeen = false
        var lastRow = 0
        var typed = [Value](repeating: .null, count: schema.columns.count)

        func malformed(_ failure: XMLScanner.Failure) -> DatasetError {
            DatasetError(
                file: display, line: 0, column: 0,
                message: "malformed XML in \(partName) at byte \(failure.offset): \(failure.message)")
        }

        func xml<T>(_ body: () throws(XMLScanner.Failure) -> T) throws(DatasetError) -> T {
            do throws(XMLScanner.Failure) { return try body() } catch { throw malformed(error) }
        }
        do {
            while let event = try xml({ () throws(XMLScanner.Failure) in try scanner.next() }) {
                guard case .start("row", let attributes, let selfClosing) = event else { continue }
                var number = lastRow + 1
                if let r = attributes["r"] {
                    guard let n = Int(r), n > lastRow, n <= 1_048_576 else {
                        throw malformed(XMLScanner.Failure(offset: scanner.position, message: "row number '\(r)' out of order"))
                    }
                    number = n
                }
                lastRow = number
                let cells = selfClosing ? [:] : try xml({ () throws(XMLScanner.Failure) in try readRow(&scanner, row: number) })
                if !headerSeen {
                    headerSeen = true
                    guard number == 1 else {
                        throw located("A1", "row 1 must be the header (the sheet's first row is \(number))")
                    }
                    let width = (cells.keys.max() ?? -1) + 1
                    header = (0..<width).map {
                        NFC.normalize((cells[$0]?.text ?? "").trimmingCharacters(in: .whitespaces))
                    }
                    positions = try mapHeader(header)
                    continue
                }
                if cells.isEmpty { continue }
                var problem: (String, String)?
                for (c, spec) in schema.columns.enumerated() {
                    let column = positions[c]
                    let reference = Self.columnName(column) + String(number)
                    switch type(cells[column] ?? .empty, as: spec) {
                    case .success(let value):
                        if value.isNull && spec.required {
                            problem = (reference, "column '\(spec.name)' is required but empty")
                        }
                        typed[c] = value
                    case .failure(let why):
                        problem = (reference, "column '\(spec.name)': \(why.message)")
                    }
                    if problem != nil { break }
                }
                if let (reference, message) = problem {
                    guard config.onBadRows == .reject else { throw located(reference, message) }
                    let width = max(header.count, (cells.keys.max() ?? -1) + 1)
                    rejected.append(
                        RejectedRow(
                            line: number, reason: "\(reference): \(message)",
                            fields: (0..<width).map { cells[$0]?.text ?? "" }))
                    continue
                }
                for c in builders.indices { builders[c].append(typed[c]) }
                rows += 1
            }
        }
        guard headerSeen else { throw located("A1", "the sheet is empty: a dataset sheet needs a header in row 1") }
        let keep = FileDataset.projected(schema, columns)
        let kept = schema.columns.indices.filter { keep[$0] }
        return LoadedDataset(
            table: Table(
                schema: DatasetSchema(columns: kept.map { schema.columns[$0] }),
                columns: kept.map { builders[$0].build() }, rowCount: rows),
            rejected: rejected, header: header, sha256: "")
    }

    /// Where each schema column is in the header.
    private func mapHeader(_ header: [String]) throws(DatasetError) -> [Int] {
        var positions: [Int] = []
        for column in config.schema.columns {
            guard let index = header.firstIndex(of: column.name) else {
                var message =
                    "the header (row 1) has no column '\(column.name)', which the schema \(DisplayPath.of(config.schemaPath)) defines"
                if let guess = closestMatch(to: column.name, among: header) { message += " (is '\(guess)' a misspelling?)" }
                throw located("A1", message)
            }
            positions.append(index)
        }
        var seen = Set<String>()
        for (i, name) in header.enumerated() where !name.isEmpty && !seen.insert(name).inserted {
            throw located(Self.columnName(i) + "1", "the header names column '\(name.escapingControlCharacters)' twice")
        }
        return positions
    }

    /// The cells of the row whose start was just read, by 0-based column.
    private func readRow(_ scanner: inout XMLScanner, row: Int) throws(XMLScanner.Failure) -> [Int: Cell] {
        var cells: [Int: Cell] = [:]
        var next = 0
        while let event = try scanner.next() {
            switch event {
            case .end("row"): return cells
            case .start("c", let a, let selfClosing):
                var column = next
                if let r = a["r"] {
                    guard let parsed = Self.column(of: r), parsed >= next else {
                        throw XMLScanner.Failure(offset: scanner.position, message: "cell reference '\(r)' out of order")
                    }
                    column = parsed
                }
                next = column + 1
                guard !selfClosing else { continue }
                let kind = a["t"] ?? "n"
                let style = a["s"].flatMap { Int($0) } ?? 0
                var value: String?
                var inline: String?
                while let inner = try scanner.next() {
                    if case .end("c") = inner { break }
                    if case .start("v", _, false) = inner { value = try scanner.text(until: "v") }
                    if case .start("is", _, false) = inner {
                        inline = SpreadsheetText.unescape(try scanner.text(until: "is", skipping: ["rPh"]))
                    }
                    if case .start(let other, _, false) = inner, other != "v", other != "is" {
                        _ = try scanner.text(until: other)  // a formula's text, an extension: not a value
                    }
                }
                let cell: Cell
                switch kind {
                case "s":
                    guard let v = value, let index = Int(v), index >= 0, index < shared.count else {
                        throw XMLScanner.Failure(
                            offset: scanner.position,
                            message: "cell \(Self.columnName(column))\(row) names shared string '\(value ?? "")', which the workbook lacks")
                    }
                    cell = .text(shared[index])
                case "inlineStr": cell = inline.map(Cell.text) ?? .empty
                case "str": cell = value.map { .text(SpreadsheetText.unescape($0)) } ?? .empty
                case "b": cell = value.map { .bool($0 == "1" || $0 == "true") } ?? .empty
                case "e": cell = .error(value ?? "#VALUE!")
                case "d": cell = value.map(Cell.text) ?? .empty
                default: cell = value.map { .number($0.trimmingCharacters(in: .whitespaces), dateStyled: dateStyles.contains(style)) } ?? .empty
                }
                cells[column] = cell
            default: break
            }
        }
        throw XMLScanner.Failure(offset: scanner.position, message: "the part ends inside row \(row)")
    }

    struct Invalid: Error {
        var message: String
    }

    /// A cell typed by its column's schema type.
    func type(_ cell: Cell, as spec: ColumnSpec) -> Result<Value, Invalid> {
        switch cell {
        case .empty: return .success(.null)
        case .error(let code): return .failure(Invalid(message: "the cell holds the error \(code)"))
        case .text(let s):
            if spec.type == .string {
                return .success(s.isEmpty ? .null : .string(NFC.normalize(s)))
            }
            return parse(Array(s.utf8), spec)
        case .bool(let b):
            switch spec.type {
            case .bool: return .success(.bool(b))
            case .string: return .success(.string(b ? "TRUE" : "FALSE"))
            default: return .failure(Invalid(message: "'\(b ? "TRUE" : "FALSE")' is a boolean, not \(spec.type)"))
            }
        case .number(let v, let dateStyled):
            guard let d = Double(v), d.isFinite else { return .failure(Invalid(message: "'\(v)' is not a number")) }
            switch spec.type {
            case .int:
                if let n = Int64(v) { return .success(.int(n)) }
                guard d == d.rounded(), abs(d) < 9.2e18 else {
                    return .failure(Invalid(message: "'\(v)' is not an int"))
                }
                return .success(.int(Int64(d)))
            case .decimal: return .success(.decimal(d))
            case .date:
                guard let day = SpreadsheetText.day(serial: d, date1904: date1904) else {
                    return .failure(Invalid(message: "'\(v)' is not a date serial Excel can show"))
                }
                return .success(.date(day))
            case .bool:
                if d == 1 { return .success(.bool(true)) }
                if d == 0 { return .success(.bool(false)) }
                return .failure(Invalid(message: "'\(v)' is not a bool (true or false)"))
            case .string:
                // A number in a text column: as Excel shows it without a format (a date as its
                // ISO date when the cell is formatted as one).
                if dateStyled, let day = SpreadsheetText.day(serial: d, date1904: date1904) {
                    return .success(.string(day.description))
                }
                return .success(.string(Int64(v) != nil ? v : Value.plainDecimal(d)))
            }
        }
    }

    private func parse(_ bytes: [UInt8], _ spec: ColumnSpec) -> Result<Value, Invalid> {
        switch CellParser.parse(bytes[...], as: spec.type) {
        case .value(let v): return .success(v)
        case .null: return .success(.null)
        case .invalid(let why): return .failure(Invalid(message: why))
        }
    }

    /// `B` for column 1.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var letters: [Character] = []
        while n > 0 {
            letters.append(Character(Unicode.Scalar(UInt8(65 + (n - 1) % 26))))
            n = (n - 1) / 26
        }
        return String(letters.reversed())
    }

    /// The 0-based column of a reference such as `B12`; nil when it is not one.
    static func column(of reference: String) -> Int? {
        var n = 0
        var letters = 0
        for u in reference.utf8 {
            if u >= 65 && u <= 90 {
                n = n * 26 + Int(u - 64)
                letters += 1
                if letters > 3 { return nil }
            } else if u >= 48 && u <= 57 {
                break
            } else {
                return nil
            }
        }
        guard letters > 0, n <= 16_384 else { return nil }
        return n - 1
    }
}
