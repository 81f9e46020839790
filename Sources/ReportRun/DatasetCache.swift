#if canImport(Glibc)
import Glibc
#endif
import Dispatch
public import ReportCore

/// Datasets kept in memory between runs of the daemon, so a schedule of many reports over one
/// dataset costs one parse, not one per run.
///
/// An entry is used again while its source's version is the same (a file: the same size,
/// modification time in nanoseconds, inode and device, and the same settings) and the source
/// confirms it (a file: the same checksum, `Fingerprint`, reread before each use: about
/// 0.05–0.1 s for 181 MB, against 0.3–0.5 s to parse it). Memory is bounded: least recently used datasets are dropped when the
/// total estimated size passes the limit; a dataset larger than the whole limit is not kept.
public final class DatasetCache: Sendable {
    struct Entry {
        var version: DatasetVersion
        var schema: DatasetSchema
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
    /// The last successful confirmation of each source's cached read.
    private let verified = Locked([String: (version: DatasetVersion, fingerprint: UInt64, at: UInt64)]())

    /// - Parameter limitMiB: the most memory the cached datasets may take, estimated; 0 keeps none.
    public init(limitMiB: Int) { limitBytes = limitMiB << 20 }

    /// Cache hits and misses so far.
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    /// The dataset of `source`: from memory when its version is unchanged (and the source
    /// confirms it), else read and kept.
    ///
    /// - Parameter columns: the columns the caller reads (`nil`: all). A cached read that kept
    ///   fewer is read again, keeping these and the ones it kept, so that the columns of every
    ///   report served so far stay together in one entry.
    /// - Parameter checksum: whether the caller needs the data's SHA-256; a cached read without it
    ///   gets it from the source (just confirmed unchanged) and keeps it.
    public func load(_ source: any DatasetSource, columns: Set<String>? = nil, checksum: Bool = true)
        -> Result<LoadedDataset, DatasetError>
    {
        let key = source.name
        let version = source.version()
        var wanted = columns
        if let version {
            let candidate: LoadedDataset? = state.withLock { s in
                guard let entry = s.entries[key], entry.version == version, entry.schema == source.schema else {
                    return nil
                }
                if let kept = entry.columns, let asked = columns, !asked.isSubset(of: kept) {
                    wanted = asked.union(kept)
                    return nil
                }
                if entry.columns != nil, columns == nil { return nil }
                return entry.dataset
            }
            // Same version: the source's own last check has the last word (a file's checksum as
            // it is now: a copy that keeps times, a clock set back). Outside the lock: it reads.
            if var candidate, confirm(source, key: key, version: version, cached: candidate) {
                if checksum, candidate.sha256.isEmpty, let sha = source.checksum() {
                    candidate.sha256 = sha
                }
                if !checksum || !candidate.sha256.isEmpty {
                    let served = candidate
                    state.withLock { s in
                        s.tick += 1
                        s.entries[key]?.lastUse = s.tick
                        if !served.sha256.isEmpty { s.entries[key]?.dataset.sha256 = served.sha256 }
                        s.hits += 1
                    }
                    return .success(served)
                }
            }
        }
        let columns = wanted
        let result = Result { () throws(DatasetError) in
            try source.read(columns: columns, selection: .all, provenance: checksum)
        }
        state.withLock { s in
            s.misses += 1
            s.entries[key] = nil
            // Keep it only if the data did not change while it was read.
            guard case .success(let dataset) = result, let version, version == source.version() else { return }
            let bytes = dataset.estimatedBytes
            guard bytes <= limitBytes else { return }
            s.tick += 1
            s.entries[key] = Entry(
                version: version, schema: source.schema, columns: columns, dataset: dataset, bytes: bytes,
                lastUse: s.tick)
            while s.entries.values.reduce(0, { $0 + $1.bytes }) > limitBytes,
                let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                s.entries[oldest] = nil
            }
        }
        return result
    }

    /// Whether the source confirms the cached read. Runs that start together (several reports on
    /// one schedule) share one check: checks are taken one at a time, and a confirmation of the
    /// same source at the same version in the last second stands.
    private func confirm(_ source: any DatasetSource, key: String, version: DatasetVersion, cached: LoadedDataset)
        -> Bool
    {
        verified.withLock { recent in
            let now = DispatchTime.now().uptimeNanoseconds
            if let last = recent[key], last.version == version, last.fingerprint == cached.fingerprint,
                now - last.at < 1_000_000_000
            {
                return true
            }
            guard source.confirm(cached) else {
                recent[key] = nil
                return false
            }
            recent[key] = (version, cached.fingerprint, DispatchTime.now().uptimeNanoseconds)
            return true
        }
    }
}
