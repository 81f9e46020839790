import Crypto
import Foundation
import ReportCore

/// A dataset read and typed by its schema.
public struct LoadedDataset: Sendable {
    public var table: Table
    public var rejected: [RejectedRow]
    /// The header as read (CSV) or the schema's column names (JSON), for the rejected-rows file.
    public var header: [String]
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String
}

/// Reads dataset files (CSV, JSON) into typed columns.
public enum DatasetLoader {
    /// Reads `config`'s file.
    /// - Throws: `DatasetError` naming FILE:LINE:COLUMN for the first bad row (unless rows are rejected),
    ///   or the file when it cannot be read.
    public static func load(_ config: DatasetConfig) throws(DatasetError) -> LoadedDataset {
        let display = DisplayPath.of(config.path)
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: config.path)))
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0,
                message: "cannot read dataset '\(config.name)': \(FileProblem.describe(error))")
        }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        var loaded: LoadedDataset
        switch config.format {
        case .csv: loaded = try readCSV(bytes, config: config, display: display)
        case .json: loaded = try readJSON(bytes, config: config, display: display)
        }
        loaded.sha256 = digest
        return loaded
    }

    static func readCSV(_ bytes: [UInt8], config: DatasetConfig, display: String) throws(DatasetError) -> LoadedDataset
    {
        let schema = config.schema
        var reader = CSVRecordReader(bytes: bytes)
        var fields: [CSVRecordReader.Field] = []
        func syntax(_ e: CSVRecordReader.SyntaxError) -> DatasetError {
            DatasetError(
                file: display, line: e.line, column: reader.column(offset: e.offset, lineStart: e.lineStart),
                message: e.message)
        }
        let headerLine: Int?
        do { headerLine = try reader.next(into: &fields) } catch { throw syntax(error) }
        guard headerLine != nil else {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "the file is empty: a CSV dataset needs a header row")
        }
        let header = fields.map { String(decoding: reader.raw($0), as: UTF8.self).trimmingCharacters(in: .whitespaces) }
        var positions: [Int] = []
        for column in schema.columns {
            guard let index = header.firstIndex(of: column.name) else {
                var message =
                    "the header has no column '\(column.name)', which the schema \(DisplayPath.of(config.schemaPath)) defines"
                if let guess = closestMatch(to: column.name, among: header) {
                    message += " (is '\(guess)' a misspelling?)"
                }
                throw DatasetError(file: display, line: headerLine!, column: 1, message: message)
            }
            positions.append(index)
        }
        for (i, name) in header.enumerated() where header[..<i].contains(name) {
            throw DatasetError(
                file: display, line: headerLine!, column: 1, message: "the header names column '\(name)' twice")
        }

        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: bytes.count / 100) }
        var rejected: [RejectedRow] = []
        var row = [Value](repeating: .null, count: schema.columns.count)
        while true {
            let line: Int?
            do {
                line = try reader.next(into: &fields)
            } catch {
                let e = syntax(error)
                guard config.onBadRows == .reject else { throw e }
                // A quote that never closes swallows the rest of the file: nothing after it can be read.
                rejected.append(RejectedRow(line: e.line, reason: e.message, fields: []))
                break
            }
            guard let line else { break }
            var problem: (line: Int, column: Int, message: String)?
            if fields.count != header.count {
                problem = (line, 1, "this row has \(fields.count) fields, the header has \(header.count)")
            } else {
                for (c, spec) in schema.columns.enumerated() {
                    let field = fields[positions[c]]
                    switch CellParser.parse(reader.raw(field), as: spec.type) {
                    case .value(let v): row[c] = v
                    case .null:
                        if spec.required {
                            problem = (
                                field.line,
                                reader.column(
                                    offset: field.quoted ? field.start - 1 : field.start, lineStart: field.lineStart),
                                "column '\(spec.name)' is required but empty"
                            )
                        }
                        row[c] = .null
                    case .invalid(let why):
                        problem = (
                            field.line,
                            reader.column(
                                offset: field.quoted ? field.start - 1 : field.start, lineStart: field.lineStart),
                            "column '\(spec.name)': \(why)"
                        )
                    }
                    if problem != nil { break }
                }
            }
            if let problem {
                guard config.onBadRows == .reject else {
                    throw DatasetError(
                        file: display, line: problem.line, column: problem.column, message: problem.message)
                }
                rejected.append(
                    RejectedRow(
                        line: line, reason: problem.message,
                        fields: fields.map { String(decoding: reader.raw($0), as: UTF8.self) }))
                continue
            }
            for c in 0..<builders.count { builders[c].append(row[c]) }
        }
        return LoadedDataset(
            table: Table(schema: schema, columns: builders.map { $0.build() }), rejected: rejected, header: header,
            sha256: "")
    }

    static func readJSON(_ bytes: [UInt8], config: DatasetConfig, display: String) throws(DatasetError) -> LoadedDataset
    {
        let schema = config.schema
        let records: [[String: JSONCell]]
        do {
            records = try JSONDecoder().decode([[String: JSONCell]].self, from: Data(bytes))
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "not a JSON array of objects: \(JSONCell.explain(error))")
        }
        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: records.count) }
        var rejected: [RejectedRow] = []
        var row = [Value](repeating: .null, count: schema.columns.count)
        for (index, record) in records.enumerated() {
            var problem: String?
            for (c, spec) in schema.columns.enumerated() {
                switch (record[spec.name] ?? .null).value(as: spec.type) {
                case .success(let v):
                    row[c] = v
                    if v.isNull && spec.required { problem = "column '\(spec.name)' is required but missing or null" }
                case .failure(let why): problem = "column '\(spec.name)': \(why.message)"
                }
                if problem != nil { break }
            }
            if let problem {
                guard config.onBadRows == .reject else {
                    throw DatasetError(file: display, line: 0, column: 0, message: "record \(index + 1): \(problem)")
                }
                rejected.append(
                    RejectedRow(
                        line: index + 1, reason: problem, fields: schema.columns.map { (record[$0.name] ?? .null).text }
                    ))
                continue
            }
            for c in 0..<builders.count { builders[c].append(row[c]) }
        }
        return LoadedDataset(
            table: Table(schema: schema, columns: builders.map { $0.build() }), rejected: rejected,
            header: schema.columnNames, sha256: "")
    }
}

/// One JSON value of a record, decoded without losing 64-bit integers.
enum JSONCell: Decodable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), other

    struct Mismatch: Error { var message: String }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            self = .other
        }
    }

    var text: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .other: return "(object or array)"
        }
    }

    func value(as type: ColumnType) -> Result<Value, Mismatch> {
        switch (type, self) {
        case (_, .null): return .success(.null)
        case (.string, .string(let s)): return .success(s.isEmpty ? .null : .string(s))
        case (.int, .int(let i)): return .success(.int(i))
        case (.decimal, .int(let i)): return .success(.decimal(Double(i)))
        case (.decimal, .double(let d)): return .success(.decimal(d))
        case (.bool, .bool(let b)): return .success(.bool(b))
        case (.date, .string(let s)):
            if let d = Day(iso: s) { return .success(.date(d)) }
            return .failure(Mismatch(message: "'\(s)' is not a date (YYYY-MM-DD)"))
        default: return .failure(Mismatch(message: "\(text) is not \(type == .int ? "an" : "a") \(type)"))
        }
    }

    static func explain(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        }
        return "\(error)"
    }
}
