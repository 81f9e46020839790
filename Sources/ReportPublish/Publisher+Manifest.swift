import Crypto
public import Foundation
public import ReportCore
public import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// `NAME/manifest.json`: every kept run of a report with its files, their sizes and SHA-256, so that
/// a consumer of the shared folder (a sync job, a colleague's script) can tell a complete set of
/// files from one still arriving or damaged.
public struct Manifest: Codable, Sendable, Equatable {
    public var report: String
    public var title: String
    /// When the manifest was written, ISO 8601 with offset.
    public var updatedAt: String
    /// The file extensions every run writes (`csv`, `json`, `txt`…): a run without one of them is
    /// incomplete. (A run can also have `rejected.csv`.)
    public var extensions: [String]
    /// The stamp of the run `latest.*` are copies of.
    public var latest: String?
    public var latestFiles: [Entry]
    /// Kept runs, newest first.
    public var runs: [Run]

    public struct Run: Codable, Sendable, Equatable {
        /// The slot as it appears in file names (`2026-11-29T060000`).
        public var stamp: String
        /// The slot's instant, seconds since 1970 (UTC): runs are ordered by it, not by their names,
        /// whose local times change meaning when the report's time zone does. Absent in manifests
        /// of earlier versions.
        public var instant: Int64?
        public var files: [Entry]
        /// The period the run reported on, for a report with `period:`.
        public var period: PeriodRecord?

        public init(stamp: String, instant: Int64? = nil, files: [Entry], period: PeriodRecord? = nil) {
            self.stamp = stamp
            self.instant = instant
            self.files = files
            self.period = period
        }
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var bytes: Int
        public var sha256: String
    }

    enum CodingKeys: String, CodingKey {
        case report, title, extensions, latest, runs
        case updatedAt = "updated_at"
        case latestFiles = "latest_files"
    }

    public static let fileName = "manifest.json"
}

extension Publisher {
    /// Rewrites `REPORT/manifest.json` atomically from the files in the report's folder: call it
    /// after each publish and retention pass, with the report's lock held (so that no other run of
    /// the report changes the folder meanwhile).
    ///
    /// The manifest vouches for what is on the disk now: a file this run did not write is hashed
    /// again, unless the previous manifest lists it with the same size and the file has not been
    /// modified since that manifest was written (its modification time is older than the
    /// manifest's), so a run re-reads only what changed rather than every kept run's files.
    ///
    /// - Parameters:
    ///   - known: SHA-256 of files this run just wrote, by name, which need not be read back.
    ///   - latest: the stamp of the run `latest.*` now copy.
    ///   - periods: the periods of runs just made, by stamp; the other runs keep the period the
    ///     previous manifest gave them.
    @discardableResult
    public func writeManifest(
        report: String, title: String, extensions: [String], latest: String?, known: [String: PublishedFile],
        updatedAt: String, periods: [String: PeriodRecord] = [:]
    ) throws(PublishError) -> Manifest {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        let names = listFolder(folder)
        let previous = Self.previousManifest(in: folder)
        let periods = (previous?.2 ?? [:]).merging(periods) { $1 }
        func entry(_ name: String) -> Manifest.Entry? {
            if let file = known[name] { return Manifest.Entry(name: name, bytes: file.bytes, sha256: file.sha256) }
            if let (entries, written, _) = previous, let old = entries[name] {
                var info = stat()
                if fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG,
                    Int(info.st_size) == old.bytes, Self.nanoseconds(info.st_mtim) < written
                {
                    return old
                }
            }
            guard let (bytes, sha256) = Self.hashFile(name, in: folder) else { return nil }
            return Manifest.Entry(name: name, bytes: bytes, sha256: sha256)
        }
        let byStamp = Self.runs(of: report, in: names)
        let runs = newestFirst(knownStamps(Array(byStamp.keys))).map { stamp in
            Manifest.Run(
                stamp: stamp, instant: instant(of: stamp).map { Int64($0.timeIntervalSince1970.rounded(.down)) },
                files: byStamp[stamp]!.sorted().compactMap(entry), period: periods[stamp])
        }
        // Only the `latest.*` names reportd writes: anything else planted there is not vouched for
        // (nor read: a named pipe or a 100 GB sparse file called `latest.x` would stall every run).
        let latestNames = Set((extensions + ["rejected.csv"]).map { "latest.\($0)" })
        let latestFiles = names.filter(latestNames.contains).sorted().compactMap(entry)
        let manifest = Manifest(
            report: report, title: title, updatedAt: updatedAt, extensions: extensions, latest: latest,
            latestFiles: latestFiles, runs: runs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain values cannot fail.
        let data = (try? encoder.encode(manifest)) ?? Data()
        _ = try write([File(name: Manifest.fileName, bytes: Array(data) + [0x0A])], in: folder, path: "\(root)/\(report)")
        return manifest
    }

    /// The previous manifest's entries by file name, and when it was written (ns since 1970); nil
    /// when there is none or it cannot be read.
    static func previousManifest(in folder: Int32) -> ([String: Manifest.Entry], Int64, [String: PeriodRecord])? {
        guard let (manifest, written) = readManifest(in: folder) else { return nil }
        var entries: [String: Manifest.Entry] = [:]
        for file in manifest.runs.flatMap(\.files) + manifest.latestFiles { entries[file.name] = file }
        var periods: [String: PeriodRecord] = [:]
        for run in manifest.runs { periods[run.stamp] = run.period }
        return (entries, written, periods)
    }

    /// The report folder's `manifest.json` and when it was written (ns since 1970); nil when there
    /// is none, or it is not a regular file of at most 64 MiB, or it does not parse.
    static func readManifest(in folder: Int32) -> (Manifest, Int64)? {
        var info = stat()
        guard fstatat(folder, Manifest.fileName, &info, AT_SYMLINK_NOFOLLOW) == 0,
            info.st_mode & S_IFMT == S_IFREG, let bytes = ConfinedFolder.readFile(Manifest.fileName, in: folder, atMost: 64 << 20),
            let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(bytes))
        else { return nil }
        return (manifest, nanoseconds(info.st_mtim))
    }

    static func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }

    /// The stamp of the newest run in the report's folder, if any.
    public func newestRun(of report: String) throws(PublishError) -> String? {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        return newestFirst(knownStamps(Array(Self.runs(of: report, in: listFolder(folder)).keys))).first
    }

    /// The runs the report's current manifest lists, with their instants (a run listed by a
    /// manifest of an earlier version: its stamp read in `timeZone`); nil when there is no
    /// readable manifest (the first run, or a folder from before manifests), so that every run
    /// found by name counts.
    public func manifestRuns(of report: String) -> [String: Date]? {
        guard let folder = try? openReportFolder(report) else { return nil }
        defer { close(folder) }
        guard let (manifest, _) = Self.readManifest(in: folder) else { return nil }
        var runs: [String: Date] = [:]
        for run in manifest.runs {
            if let seconds = run.instant {
                runs[run.stamp] = Date(timeIntervalSince1970: TimeInterval(seconds))
            } else if let date = SlotTime.instant(ofStamp: run.stamp[...], in: timeZone) {
                runs[run.stamp] = date
            }
        }
        return runs
    }

    /// The largest file the manifest hashes: far above any report's output. A larger file under a
    /// run's name (planted, or a sparse file) is left out of the manifest rather than read.
    static let largestHashed = 1 << 32

    /// The size and SHA-256 of regular file `name` in `folder`, read in blocks (never whole in
    /// memory); nil when it is not a regular file, is larger than `largestHashed`, or cannot be
    /// read. It is opened with `O_NONBLOCK | O_NOFOLLOW`: a named pipe or a link planted in the
    /// report's folder neither blocks the run (which holds the report's lock) nor is followed.
    static func hashFile(_ name: String, in folder: Int32) -> (bytes: Int, sha256: String)? {
        let fd = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= largestHashed else {
            return nil
        }
        var hasher = SHA256()
        var total = 0
        var tooLarge = false
        let failure = FileIO.forEachBlock(fd) { block in
            total += block.count
            // The file grew past the limit while being read.
            guard total <= largestHashed else {
                tooLarge = true
                return false
            }
            hasher.update(bufferPointer: block)
            return true
        }
        guard failure == nil, !tooLarge else { return nil }
        return (total, Hex.string(hasher.finalize()))
    }
}
