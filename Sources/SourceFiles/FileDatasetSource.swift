public import ReportCore
import ReportFiles

#if canImport(Glibc)
import Glibc
#endif

/// A dataset in one file, read by its format's reader (the CSV and JSON sources): what every file
/// source shares — its version (the file's identity), the confirmation of a cached read (the
/// file's fingerprint), the SHA-256 of the file, and the reread of a file that changed while it was
/// read.
public struct FileDatasetSource: DatasetSource {
    /// Reads the file once, keeping `columns` (nil: all), with its SHA-256 when `checksum` is set.
    public typealias ReadOnce =
        @Sendable (_ settings: DatasetConfig, _ columns: Set<String>?, _ checksum: Bool) throws(DatasetError)
        -> LoadedDataset

    public let settings: DatasetConfig
    let readOnce: ReadOnce

    public init(_ settings: DatasetConfig, readOnce: @escaping ReadOnce) {
        self.settings = settings
        self.readOnce = readOnce
    }

    public var name: String { settings.name }
    public var schema: DatasetSchema { settings.schema }

    /// The file's size, modification time (nanoseconds), inode and device, with the settings that
    /// change how it is read (format, bad rows); nil when the file cannot be examined.
    public func version() -> DatasetVersion? {
        guard let identity = FileIdentity.of(settings.path) else { return nil }
        return DatasetVersion(
            "\(settings.format) \(settings.onBadRows.rawValue) \(identity.size) \(identity.seconds).\(identity.nanoseconds) "
                + "\(identity.inode) \(identity.device)")
    }

    public func read(columns: Set<String>?, selection: RowSelection, provenance: Bool) throws(DatasetError)
        -> LoadedDataset
    {
        try FileDataset.untilUnchanged(settings) { () throws(DatasetError) in
            try readOnce(settings, columns, provenance)
        }
    }

    /// Whether the file's fast checksum, reread now, is the cached read's.
    public func confirm(_ cached: LoadedDataset) -> Bool {
        guard let identity = FileIdentity.of(settings.path) else { return false }
        return Fingerprint.ofFile(settings.path, expectedSize: Int(identity.size)) == cached.fingerprint
    }

    /// The SHA-256 of the file as it is now.
    public func checksum() -> String? { FileDataset.sha256(ofFile: settings.path) }
}

/// A file's size, modification time, inode and device: equal identities mean (almost surely) the
/// same contents, which `Fingerprint` then confirms.
package struct FileIdentity: Equatable, Sendable {
    package var size: Int64
    package var seconds: Int
    package var nanoseconds: Int
    package var inode: UInt64
    package var device: UInt64

    /// The identity of the file at `path` now; nil when it cannot be examined.
    package static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(
            size: Int64(info.st_size), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec,
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }
}
