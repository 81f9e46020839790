public import Foundation
public import ReportCore
public import ReportConfig
import ReportFiles
import ReportState
import ReportPublish

#if canImport(Glibc)
    import Glibc
#endif

/// `STATE/reportd.reports.json`: every report file's state as the running daemon last loaded it
/// (at start and at every reload), so that `status`, `list` and `history` show what the daemon
/// runs rather than what the files say now.
///
/// Written atomically and privately, as the per-report states are. The name cannot be a report's
/// state file (`NAME.json`): report names have no `.`.
public struct LoadedReportsFile: Codable, Sendable, Equatable {
    public static let fileName = "reportd.reports.json"

    /// The daemon that wrote it: `status` trusts the file only while that daemon runs.
    public var pid: Int
    public var version: String
    public var config: String
    /// When the daemon loaded the files (its start, or its last reload).
    public var loadedAt: Date
    /// Every report file, by report name (a file without a usable name by its path).
    public var files: [ReportFileState]

    public init(pid: Int, version: String, config: String, loadedAt: Date, files: [ReportFileState]) {
        self.pid = pid
        self.version = version
        self.config = config
        self.loadedAt = loadedAt
        self.files = files.sorted(by: ReportFileState.byReportName)
    }

    enum CodingKeys: String, CodingKey {
        case pid, version, config, files
        case loadedAt = "loaded_at"
    }

    /// Writes the file into `stateDirectory` atomically (folder 0700, file 0600).
    public func save(stateDirectory: String) throws {
        let data = try Self.encoder.encode(self)
        try Publisher(root: stateDirectory, permissions: .private(in: stateDirectory))
            .publish(files: [Publisher.File(name: Self.fileName, bytes: Array(data) + [0x0A])])
    }

    /// The file in `stateDirectory`; nil when there is none or it cannot be read as one.
    public static func load(stateDirectory: String) -> LoadedReportsFile? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/" + fileName) else { return nil }
        return try? decoder.decode(LoadedReportsFile.self, from: data)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}

extension ReportFileState {
    /// Report name order (`list`, `status`); a file without a name sorts by its path among them.
    public static func byReportName(_ a: ReportFileState, _ b: ReportFileState) -> Bool {
        (a.label, a.file) < (b.label, b.file)
    }
}

/// Which report files `status`, `list` and `history` show, and in what state: the running
/// daemon's record when it has written one, else the files checked now.
public struct ReportFilesView: Sendable {
    /// Every report file, sorted by report name.
    public var files: [ReportFileState]
    /// Whether `files` is the running daemon's record (else the files as checked now).
    public var fromDaemon: Bool
    /// When the daemon loaded them, when `fromDaemon`.
    public var loadedAt: Date?

    /// - Parameter checked: the report files as the command loaded them itself (without starting
    ///   plugins), used when no daemon runs or it has not written its record yet.
    public static func current(stateDirectory: String, checked: [ConfigLoader.ReportFileResult]) -> ReportFilesView {
        let probe = DaemonPresence.probe(stateDirectory: stateDirectory)
        if probe.running, let pid = probe.info?.pid,
            let record = LoadedReportsFile.load(stateDirectory: stateDirectory),
            record.pid == pid
        {
            return ReportFilesView(files: record.files, fromDaemon: true, loadedAt: record.loadedAt)
        }
        return ReportFilesView(
            files: ReportFileState.checked(checked).sorted(by: ReportFileState.byReportName), fromDaemon: false,
            loadedAt: nil)
    }

    /// The reports that run (loaded, or on their previous definition), as definitions that carry
    /// their schedule, time zone and timeout; in report name order.
    public var running: [(state: ReportFileState, definition: ReportDefinition)] {
        files.compactMap { state in
            guard let name = state.report, let d = state.definition?.reportDefinition(name: name) else { return nil }
            return (state, d)
        }
    }

    /// Every report name the view knows.
    public var names: [String] { files.compactMap(\.report) }

    /// The files that are not healthy.
    public var problems: [ReportFileState] { files.filter { !$0.condition.isHealthy } }
}
