import Foundation
public import ReportCore
import ReportFiles
import SourceFiles

/// `format: json`: a JSON array of objects, one per row (see SPEC.md, "Datasets").
public struct JSONSourceKind: DatasetSourceKind {
    public static let format = "json"
    public static let fileExtensions = ["json"]

    public init() {}

    public func makeSource(_ settings: DatasetConfig) -> any DatasetSource {
        FileDatasetSource(settings) { settings, columns, checksum throws(DatasetError) in
            try JSONLoader.loadOnce(settings, columns: columns, checksum: checksum)
        }
    }
}

/// Reads JSON dataset files into typed columns.
enum JSONLoader {
    /// Reads `config`'s file (reread while it changes), keeping `columns` (nil: all).
    static func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        throws(DatasetError) -> LoadedDataset
    {
        try FileDataset.untilUnchanged(config) { () throws(DatasetError) in
            try loadOnce(config, columns: columns, checksum: checksum)
        }
    }

    static func loadOnce(_ config: DatasetConfig, columns: Set<String>?, checksum: Bool) throws(DatasetError)
        -> LoadedDataset
    {
        let display = DisplayPath.of(config.path)
        let bytes = try FileDataset.bytes(of: config, display: display)
        var loaded = try readJSON(bytes, config: config, display: display, columns: columns)
        loaded.sha256 = checksum ? FileDataset.sha256(bytes) : ""
        loaded.fingerprint = Fingerprint.of(bytes)
        return loaded
    }

    static func readJSON(
        _ bytes: [UInt8], config: DatasetConfig, display: String, columns: Set<String>? = nil
    ) throws(DatasetError) -> LoadedDataset {
        let schema = config.schema
        let records: [[String: JSONCell]]
        do {
            records = try JSONDecoder().decode([[String: JSONCell]].self, from: Data(bytes))
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0, message: "not a JSON array of objects: \(JSONCell.explain(error))")
        }
        // A key twice in a record, a NUL in a string: the decoder accepts both silently.
        let found = bytes.withUnsafeBufferPointer { JSONCheck.problems($0) }
        var builders = schema.columns.map { ColumnBuilder(spec: $0, capacity: records.count) }
        var rejected: [RejectedRow] = []
        var row = [Value](repeating: .null, count: schema.columns.count)
        for (index, record) in records.enumerated() {
            var problem: String?
            if let check = found[index] {
                guard config.onBadRows == .reject else {
                    throw DatasetError(
                        file: display, line: check.line, column: check.column,
                        message: "record \(index + 1): \(check.message)")
                }
                problem = check.message
            }
            for (c, spec) in schema.columns.enumerated() where problem == nil {
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
        let keep = FileDataset.projected(schema, columns)
        let kept = schema.columns.indices.filter { keep[$0] }
        return LoadedDataset(
            table: Table(
                schema: DatasetSchema(columns: kept.map { schema.columns[$0] }),
                columns: kept.map { builders[$0].build() }, rowCount: records.count - rejected.count),
            rejected: rejected, header: schema.columnNames, sha256: "")
    }
}
