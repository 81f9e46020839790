public import Foundation
import ReportCore
public import ReportFiles

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why outputs could not be published: a file-system error with its path.
public typealias PublishError = FileError

/// The publish gate: asked once a run's files are written and synced in the shared folder,
/// immediately before they are renamed into place; throwing refuses the publish (nothing a reader
/// sees changes). A cluster checks there that the node still holds the slot's claim (the fencing
/// counter) and marks the slot done in the same transaction.
public typealias PublishGate = @Sendable () throws -> Void

/// Writes a report's files into `output.root` so that readers of the shared folder never see a
/// partial file, and no write follows a symbolic link planted there.
///
/// Each file is written to a hidden temporary file in its final folder and fsynced; once every file
/// of the run is written, each is renamed over its final name (rename replaces a link rather than
/// following it), and the folder is fsynced. A run that cannot write all its files (a full disk)
/// leaves nothing behind and replaces nothing. The
/// report's folder is opened with `O_NOFOLLOW | O_DIRECTORY` relative to the root's descriptor, and
/// every file is created with `O_EXCL | O_NOFOLLOW` relative to that folder's descriptor, so nothing
/// is written outside `output.root`. (The root itself is the administrator's path: links in it are
/// followed.)
///
/// Modes and group are set explicitly with `fchown`/`fchmod` on every file and on every folder
/// the publisher creates, so the process's umask neither widens nor narrows them.
public struct Publisher: Sendable {
    public let root: String
    /// Modes and group of what is published.
    public var permissions: Permissions
    /// The report's time zone, in which run stamps are read to order runs by real time (a stamp
    /// without an offset is a local time; see `SlotTime.instant(ofStamp:in:)`).
    public var timeZone = TimeZone(identifier: "UTC")!
    /// The runs reportd wrote, by stamp, with their instants (from the manifest, and the run being
    /// published); nil: every run found by name counts, ordered by its stamp read in `timeZone`.
    ///
    /// Why: a stamp is a local time without an offset. When a report's `timezone` changes, the old
    /// stamps read in the new zone land hours off, and retention deleted the run it had just
    /// published while `latest.*` stayed frozen; a file planted under a run's name dated 2099 froze
    /// `latest.*` for good. Ordered by the instants reportd recorded, and ignoring future names it
    /// did not record, neither happens (issue 13).
    public var runInstants: [String: Date]?
    /// A folder inside the report's where its files go (a split value's slug, `NAME/<slug>/`);
    /// nil: the report's folder. The files keep the report's name (`NAME_<slot>.*`).
    public var subfolder: String?

    public init(root: String, permissions: Permissions = .shared) {
        self.root = root
        self.permissions = permissions
    }

    /// The modes and group given to published files and to the folders the publisher creates.
    public typealias Permissions = FilePermissions
    /// One file to publish.
    public typealias File = ConfinedFolder.File

    /// Publishes `files` into the report's folder, in order, each atomically.
    ///
    /// Every file is first written in full to a hidden temporary file and synced; only when all of
    /// them are written are they renamed into place, in order. So a failure while writing (a full
    /// disk, an I/O error) removes the temporary files and changes nothing a reader can see: no
    /// file of the failed run appears and the previous files, `latest.*` included, stay as they were.
    ///
    /// Temporary files left in the folder by a process that was killed while publishing (its pid
    /// no longer runs) are removed first.
    ///
    /// - Returns: the names of the stale temporary files removed.
    @discardableResult
    public func publish(report: String, files: [File]) throws(PublishError) -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        return try write(files, in: folder, path: folderPath(report))
    }

    /// As `publish(report:files:)`, asking `gate` immediately before the first rename, once every
    /// file is written and synced: when it throws, nothing is published and its error is rethrown.
    @discardableResult
    public func publish(report: String, files: [File], gate: PublishGate?) throws -> [String] {
        guard let gate else { return try publish(report: report, files: files) }
        let folder = try openReportFolder(report)
        defer { close(folder) }
        return try ConfinedFolder.writeAtomically(
            files, in: folder, path: folderPath(report), permissions: permissions, gate: gate)
    }

    /// As `publish(report:files:gate:)`, but the report's folder is not synced after the renames:
    /// the caller's next step in that folder, the manifest's atomic write, syncs it and with it
    /// these renames (one folder fsync instead of two in a row); a caller that does not reach it
    /// calls `syncFolder(report:)`.
    @discardableResult
    public func publishLeavingFolderUnsynced(report: String, files: [File], gate: PublishGate?) throws -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        return try ConfinedFolder.writeAtomically(
            files, in: folder, path: folderPath(report), permissions: permissions, gate: gate, syncFolder: false)
    }

    /// Syncs the report's folder (its renames and removals made durable).
    public func syncFolder(report: String) throws(PublishError) {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        try ConfinedFolder.syncFolder(folder, path: folderPath(report))
    }

    /// Publishes `files` into the root folder itself, in order, each atomically (the state store's
    /// `NAME.json` files).
    @discardableResult
    public func publish(files: [File]) throws(PublishError) -> [String] {
        let folder = try ConfinedFolder.open(atPath: root, permissions: permissions)
        defer { close(folder) }
        return try write(files, in: folder, path: root)
    }

    func write(_ files: [File], in folder: Int32, path: String) throws(PublishError) -> [String] {
        try ConfinedFolder.writeAtomically(files, in: folder, path: path, permissions: permissions)
    }

    /// Removes the oldest runs beyond `keep` (a run = every file with one slot stamp).
    /// - Returns: the names removed.
    @discardableResult
    ///
    /// - Parameter protecting: the run just published, which is never removed, whatever the order.
    public func applyRetention(report: String, keep: Int, protecting: String? = nil) throws(PublishError) -> [String] {
        let folder = try openReportFolder(report)
        defer { close(folder) }
        let byStamp = Self.runs(of: report, in: listFolder(folder))
        var stamps = newestFirst(knownStamps(Array(byStamp.keys)))
        if let protecting, let index = stamps.firstIndex(of: protecting) {
            stamps.remove(at: index)
            stamps.insert(protecting, at: 0)
        }
        guard stamps.count > keep else { return [] }
        var removed: [String] = []
        for stamp in stamps[keep...] {
            for name in byStamp[stamp]! where unlinkat(folder, name, 0) == 0 { removed.append(name) }
        }
        return removed
    }

    /// Among `stamps`, those that can be runs reportd wrote: the ones it recorded, and, since a run
    /// killed before its manifest was rewritten is not recorded, any other that is not in the
    /// future (reportd never publishes a slot before its time); all when `runInstants` is nil.
    func knownStamps(_ stamps: [String], now: Date = Date()) -> [String] {
        guard let runInstants else { return stamps }
        return stamps.filter { stamp in
            if runInstants[stamp] != nil { return true }
            guard let date = SlotTime.instant(ofStamp: stamp[...], in: timeZone) else { return false }
            return date <= now.addingTimeInterval(60)
        }
    }

    /// The instant of a run: as recorded, else its stamp read in `timeZone`.
    public func instant(of stamp: String) -> Date? {
        runInstants?[stamp] ?? SlotTime.instant(ofStamp: stamp[...], in: timeZone)
    }

    /// The files of each run among `names` (`REPORT_STAMP.EXT`), by slot stamp.
    static func runs(of report: String, in names: [String]) -> [String: [String]] {
        let prefix = report + "_"
        var byStamp: [String: [String]] = [:]
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            // `2026-11-29T060000`, or `2027-10-31T023000+0100` for a second pass (SPEC.md, "Outputs").
            guard let dot = rest.firstIndex(of: "."), [17, 22].contains(rest.distance(from: rest.startIndex, to: dot)),
                SlotTime.instant(ofStamp: rest[..<dot], in: TimeZone(identifier: "UTC")!) != nil
            else {
                continue
            }
            byStamp[String(rest[..<dot]), default: []].append(name)
        }
        return byStamp
    }

    /// `stamps` newest first by the instants they stand for in `timeZone` (ties, which only a
    /// changed zone can make, by name).
    func newestFirst(_ stamps: [String]) -> [String] {
        let zone = timeZone
        let keyed = stamps.map { ($0, runInstants?[$0] ?? SlotTime.instant(ofStamp: $0, in: zone) ?? .distantPast) }
        return keyed.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    }

    // MARK: Low level

    func openReportFolder(_ report: String) throws(PublishError) -> Int32 {
        let rootFD = try ConfinedFolder.open(atPath: root, permissions: permissions)
        defer { close(rootFD) }
        let folder = try ConfinedFolder.openChild(report, in: rootFD, path: "\(root)/\(report)", permissions: permissions)
        guard let subfolder else { return folder }
        defer { close(folder) }
        return try ConfinedFolder.openChild(
            subfolder, in: folder, path: folderPath(report), permissions: permissions)
    }

    /// The path of the folder the report's files go to, for messages.
    func folderPath(_ report: String) -> String {
        subfolder.map { "\(root)/\(report)/\($0)" } ?? "\(root)/\(report)"
    }

    func listFolder(_ fd: Int32) -> [String] { ConfinedFolder.list(fd) }
}
