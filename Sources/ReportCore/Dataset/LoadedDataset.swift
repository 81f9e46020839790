/// A dataset read and typed by its schema.
public struct LoadedDataset: Sendable {
    public var table: Table
    public var rejected: [RejectedRow]
    /// The header as read (CSV) or the schema's column names (JSON), for the rejected-rows file.
    public var header: [String]
    /// SHA-256 of the file's bytes, hex; empty when the load was asked not to compute it (no
    /// output of the run shows it).
    public var sha256: String
    /// A fast checksum of the same bytes (`Fingerprint`), for the cache to notice a changed file.
    public var fingerprint: UInt64 = 0
    /// Where a database dataset's rows came from (nil for a file: `sha256` says what it was).
    public var provenance: DatasetProvenance?
    /// Set when the read kept only the rows of a `RowSelection`: the whole source's figures.
    public var selected: SelectionFigures?

    public init(table: Table, rejected: [RejectedRow], header: [String], sha256: String, fingerprint: UInt64 = 0) {
        self.table = table
        self.rejected = rejected
        self.header = header
        self.sha256 = sha256
        self.fingerprint = fingerprint
    }
}

extension LoadedDataset {
    /// An estimate of the memory the typed columns take.
    public var estimatedBytes: Int {
        var total = 0
        for column in table.columns {
            total += column.cellBytes
            if case .string(_, let dictionary) = column.storage {
                total += dictionary.reduce(0) { $0 + $1.utf8.count + 32 }
            }
        }
        return total + rejected.count * 256
    }
}
