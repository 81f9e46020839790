#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ReportCore

/// Datasets kept in memory between runs of the daemon, so a schedule of many reports over one
/// dataset costs one parse, not one per run.
///
/// An entry is used again while its file has the same size, modification time (nanoseconds),
/// inode and device, the same checksum (`Fingerprint`, reread from the file before each use:
/// about 0.05–0.1 s for 181 MB, against 0.3–0.5 s to parse it), and the dataset's settings are
/// unchanged. Memory is bounded: least recently used datasets are dropped when the
/// total estimated size passes the limit; a dataset larger than the whole limit is not kept.
public final class DatasetCache: Sendable {
    struct Identity: Equatable {
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
        var inode: UInt64
        var device: UInt64
    }

    struct Entry {
        var identity: Identity
        var schema: DatasetSchema
        var format: DatasetConfig.Format
        var onBadRows: DatasetConfig.BadRows
        /// The columns kept in memory (`nil`: all).
        var columns: Set<String>?
        var dataset: LoadedDataset
        var bytes: Int
        var lastUse: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let limitBytes: Int
    private let state = Locked(State())
    /// The last successful checksum check of each file.
    private let verified = Locked([String: (identity: Identity, fingerprint: UInt64, at: UInt64)]())

    /// - Parameter limitMiB: the most memory the cached datasets may take, estimated; 0 keeps none.
    public init(limitMiB: Int) { limitBytes = limitMiB << 20 }

    /// Cache hits and misses so far.
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    /// The dataset of `config`: from memory when its file is unchanged, else read and kept.
    ///
    /// - Parameter columns: the columns the caller reads (`nil`: all). A cached read that kept
    ///   fewer is read again, keeping these and the ones it kept, so that the columns of every
    ///   report served so far stay together in one entry.
    /// - Parameter checksum: whether the caller needs the file's SHA-256; a cached read without it
    ///   gets it from the file (just checked to be unchanged) and keeps it.
    public func load(_ config: DatasetConfig, columns: Set<String>? = nil, checksum: Bool = true)
        -> Result<LoadedDataset, DatasetError>
    {
        let identity = Self.identity(of: config.path)
        var wanted = columns
        if let identity {
            let candidate: LoadedDataset? = state.withLock { s in
                guard let entry = s.entries[config.path], entry.identity == identity, entry.schema == config.schema,
                    entry.format == config.format, entry.onBadRows == config.onBadRows
                else { return nil }
                if let kept = entry.columns, let asked = columns, !asked.isSubset(of: kept) {
                    wanted = asked.union(kept)
                    return nil
                }
                if entry.columns != nil, columns == nil { return nil }
                return entry.dataset
            }
            // Same size, time and inode: the checksum of the file as it is now has the last word
            // (a copy that keeps times, a clock set back). Computed outside the lock: it reads the file.
            if var candidate, verify(config.path, identity: identity, fingerprint: candidate.fingerprint) {
                if checksum, candidate.sha256.isEmpty, let sha = DatasetLoader.sha256(ofFile: config.path) {
                    candidate.sha256 = sha
                }
                let served = candidate
                state.withLock { s in
                    s.tick += 1
                    s.entries[config.path]?.lastUse = s.tick
                    if !served.sha256.isEmpty { s.entries[config.path]?.dataset.sha256 = served.sha256 }
                    s.hits += 1
                }
                return .success(served)
            }
        }
        let columns = wanted
        let result = Result { () throws(DatasetError) in
            try DatasetLoader.load(config, columns: columns, checksum: checksum)
        }
        state.withLock { s in
            s.misses += 1
            s.entries[config.path] = nil
            // Keep it only if the file did not change while it was read.
            guard case .success(let dataset) = result, let identity, identity == Self.identity(of: config.path) else { return }
            let bytes = dataset.estimatedBytes
            guard bytes <= limitBytes else { return }
            s.tick += 1
            s.entries[config.path] = Entry(
                identity: identity, schema: config.schema, format: config.format, onBadRows: config.onBadRows,
                columns: columns, dataset: dataset, bytes: bytes, lastUse: s.tick)
            while s.entries.values.reduce(0, { $0 + $1.bytes }) > limitBytes,
                let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                s.entries[oldest] = nil
            }
        }
        return result
    }

    /// Whether the file still has `fingerprint`. Runs that start together (several reports on one
    /// schedule) share one check: checks are taken one at a time, and a check of the same file
    /// with the same identity in the last second stands.
    private func verify(_ path: String, identity: Identity, fingerprint: UInt64) -> Bool {
        verified.withLock { recent in
            let now = DispatchTime.now().uptimeNanoseconds
            if let last = recent[path], last.identity == identity, last.fingerprint == fingerprint,
                now - last.at < 1_000_000_000
            {
                return true
            }
            guard Fingerprint.ofFile(path, expectedSize: Int(identity.size)) == fingerprint else {
                recent[path] = nil
                return false
            }
            recent[path] = (identity, fingerprint, DispatchTime.now().uptimeNanoseconds)
            return true
        }
    }

    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(
            size: Int64(info.st_size), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec,
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }
}

extension LoadedDataset {
    /// An estimate of the memory the typed columns take.
    var estimatedBytes: Int {
        var total = 0
        for column in table.columns {
            switch column.storage {
            case .int(let v): total += v.count * 9
            case .decimal(let v): total += v.count * 9
            case .bool(let v): total += v.count * 2
            case .date(let v): total += v.count * 5
            case .string(let codes, let dictionary):
                total += codes.count * 4 + dictionary.reduce(0) { $0 + $1.utf8.count + 32 }
            }
        }
        return total + rejected.count * 256
    }
}
