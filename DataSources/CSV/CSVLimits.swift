/// The largest header, record and cell a CSV dataset may hold (issue 13).
///
/// Without them a file with no line break made the streamed reader carry one ever-growing record
/// from block to block (a 2 GB line: 8 minutes and 6.3 GB for an error, or an abort), and a 100 MB
/// header line took 3.6 GB in field positions. Past a limit the read fails with a located error,
/// whatever `on_bad_rows` says: such a record is not a row to set aside (it would have to be kept
/// whole in the rejected-rows file) but a file that is not the CSV the schema describes.
struct CSVLimits: Sendable, Equatable {
    /// Bytes of the header record.
    var headerBytes: Int
    /// Fields of any record, the header included.
    var columns: Int
    /// Bytes of one record (a quoted field may span lines: its lines together).
    var recordBytes: Int
    /// Bytes of one cell.
    var cellBytes: Int

    /// What a dataset may hold: far beyond any real export (Excel stops at 16,384 columns and
    /// 32,767 characters per cell), small enough that a read's memory stays bounded.
    static let standard = CSVLimits(
        headerBytes: 1 << 20, columns: 100_000, recordBytes: 64 << 20, cellBytes: 16 << 20)

    /// The limits of the header record, which is also bounded by `headerBytes`.
    var forHeader: CSVLimits {
        var limits = self
        limits.recordBytes = min(recordBytes, headerBytes)
        limits.cellBytes = min(cellBytes, headerBytes)
        return limits
    }

    /// `bytes` as text: "64 MiB", "1 MiB", "512 KiB", "300 bytes".
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// `n` with thousands separators, as the README writes counts.
    static func count(_ n: Int) -> String {
        var digits = Array(String(n))
        var i = digits.count - 3
        while i > 0 {
            digits.insert(",", at: i)
            i -= 3
        }
        return String(digits)
    }
}
