package import ReportCore

// Entry points for the CSV fuzz target (Sources/FuzzTargets, scripts/fuzz.sh) and its corpus
// tests: `package`, so the target reaches them without `@testable`, which a fuzzer build cannot use.

extension CSVLoader {
    /// `load` with a chosen block size (`CSVStream`), for the CSV fuzz target: a small block makes
    /// every record straddle blocks, and the outcome must equal the default's.
    package static func loadForFuzzing(
        _ config: DatasetConfig, blockSize: Int, checksum: Bool = true
    ) throws(DatasetError) -> LoadedDataset {
        try load(config, columns: nil, blockSize: blockSize, checksum: checksum)
    }

    /// `readCSV` on bytes in memory, cut into `parts` chunks typed in parallel (a real load cuts
    /// only files of 1 MiB or more), for the CSV fuzz target. Bytes in another encoding (a UTF-16
    /// byte-order mark, or the declared encoding) are converted first, as `load` converts such a
    /// file (found by fuzz-csv: an input that started with a UTF-16 mark was converted by the
    /// load and refused as UTF-16 here).
    package static func readCSVForFuzzing(
        _ bytes: [UInt8], config: DatasetConfig, parts: Int
    ) throws(DatasetError) -> LoadedDataset {
        let from = bytes.withUnsafeBufferPointer { conversion(head: $0, declared: config.csv.encoding) }
        guard let (encoding, skip) = from else {
            return try readCSV(bytes, config: config, display: config.path, parts: parts)
        }
        switch Transcoder.utf8(bytes, from: encoding, skip: skip) {
        case .success(let text):
            return try readCSV(text, config: config, display: config.path, parts: parts)
        case .failure(let failure):
            throw DatasetError(file: config.path, line: failure.line, column: failure.column, message: failure.message)
        }
    }
}
