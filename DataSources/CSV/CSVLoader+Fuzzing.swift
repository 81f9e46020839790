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
    /// only files of 1 MiB or more), for the CSV fuzz target.
    package static func readCSVForFuzzing(
        _ bytes: [UInt8], config: DatasetConfig, parts: Int
    ) throws(DatasetError) -> LoadedDataset {
        try readCSV(bytes, config: config, display: config.path, parts: parts)
    }
}
