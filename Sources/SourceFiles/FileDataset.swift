import Crypto
import Foundation
package import ReportCore
import ReportFiles

/// What the readers of dataset files share: the whole-file read, the reread of a file that
/// changed while it was read, the SHA-256 the outputs carry, and the kept columns.
package enum FileDataset {
    /// How many times a dataset that changes while it is read is read again before giving up.
    package static let attempts = 3

    /// `read`'s outcome, from a read during which `config`'s file did not change.
    ///
    /// A file rewritten in place while it is read could mix old and new rows: the file's size,
    /// modification time and inode are compared before and after each read, and a read that saw
    /// them change (whether it succeeded or failed) is thrown away and done again, up to
    /// `attempts` times; then the run fails saying so. A file replaced by an atomic rename is read
    /// whole, old or new, and never mixed.
    package static func untilUnchanged(
        _ config: DatasetConfig, _ read: () throws(DatasetError) -> LoadedDataset
    ) throws(DatasetError) -> LoadedDataset {
        for _ in 1..<attempts {
            let before = FileIdentity.of(config.path)
            let result = Result { () throws(DatasetError) in try read() }
            if before == FileIdentity.of(config.path) { return try result.get() }
        }
        let before = FileIdentity.of(config.path)
        let result = Result { () throws(DatasetError) in try read() }
        guard before == FileIdentity.of(config.path) else {
            throw DatasetError(
                file: DisplayPath.of(config.path), line: 0, column: 0,
                message:
                    "the file changed while it was being read, \(attempts) times in a row; a program is still writing it (write it to a temporary name and rename it into place)"
            )
        }
        return try result.get()
    }

    /// The whole file of `config`, read in parallel parts.
    package static func bytes(of config: DatasetConfig, display: String) throws(DatasetError) -> [UInt8] {
        do {
            return try FileBytes.read(config.path, parts: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw DatasetError(
                file: display, line: 0, column: 0,
                message: "cannot read dataset '\(config.name)': \(error.message)")
        }
    }

    package static func sha256(_ bytes: [UInt8]) -> String { Hex.string(SHA256.hash(data: bytes)) }

    /// The SHA-256 of the file at `path` as it is now, read a mebibyte at a time; nil when it
    /// cannot be read.
    package static func sha256(ofFile path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Never a named pipe: that would block this thread until something wrote to it.
        var kind = stat()
        guard fstat(fd, &kind) == 0, kind.st_mode & S_IFMT == S_IFREG else { return nil }
        var hasher = SHA256()
        let failure = FileIO.forEachBlock(fd, blockSize: 1 << 20) { block in
            hasher.update(bufferPointer: block)
            return true
        }
        return failure == nil ? Hex.string(hasher.finalize()) : nil
    }

    /// For each of `schema`'s columns, whether `columns` names it (all when nil), in schema order.
    package static func projected(_ schema: DatasetSchema, _ columns: Set<String>?) -> [Bool] {
        schema.columns.map { columns?.contains($0.name) ?? true }
    }
}
