public import Foundation
public import ReportFiles
public import ReportCore

#if canImport(Glibc)
    import Glibc
#endif

/// One line of a report's run history: when it ran, why, on what data, with what, what it wrote,
/// and how it ended.
public struct RunRecord: Codable, Sendable, Equatable {
    public var report: String
    /// The slot, local time with offset.
    public var slot: String
    /// `schedule`, `catch-up`, `retry`, `manual` or `backfill`.
    public var trigger: RunTrigger
    /// 1 for a first attempt, 2… for retries.
    public var attempt: Int
    /// Start and end, UTC, ISO 8601.
    public var started: String
    public var finished: String
    public var durationSeconds: Double
    /// `success` or `failed`.
    public var outcome: RunOutcome
    public var error: String?
    public var dataset: Dataset?
    /// Absent from compacted records.
    public var calculators: [CalculatorUse]?
    public var files: [PublishedFile]?
    /// The reportd version and process that ran it.
    public var reportd: String
    public var pid: Int
    /// The cluster node that ran it (`cluster:`); absent on a single node.
    public var node: String?
    /// Set on records whose file list and calculators were dropped by compaction.
    public var compacted: Bool?
    /// The period the run reported on, for a report with `period:`.
    public var period: PeriodRecord?
    /// On a `delivery` line: who the mail went to and what it carried.
    public var delivery: DeliveryRecord?
    /// `condition` when `publish_when` was false (nothing of the whole report published).
    public var skipped: String?
    /// The `publish_when` condition that was false.
    public var condition: String?
    /// With `split_by`: the values that got outputs this run, by slug.
    public var splitValues: [String: String]?
    /// With `email_by_value`: the values with no address and no `"*"`.
    public var unaddressed: [String]?
    /// On an `alert` line: the alert's `when`, whether it became true (`raised`) or cleared, and
    /// the message sent.
    public var alert: AlertRecord?

    public struct AlertRecord: Codable, Sendable, Equatable {
        public var when: String
        public var state: String
        public var message: String
        public var notified: [String]

        public init(when: String, raised: Bool, message: String, notified: [String]) {
            self.when = when
            self.state = raised ? "raised" : "cleared"
            self.message = message
            self.notified = notified
        }
    }

    public struct Dataset: Codable, Sendable, Equatable {
        public var name: String
        /// Rows read (rejected rows excluded), rows the report's filter kept, rows rejected.
        public var rows: Int
        public var rowsUsed: Int
        public var rowsRejected: Int
        /// SHA-256 of the file, when an output showed it (JSON, text).
        public var sha256: String?
        /// reportd's fast 64-bit checksum of the file, always (a file dataset).
        public var checksum: String?
        /// A database dataset's source, table or query and snapshot time
        /// (`sqlite table projects, snapshot 2026-12-06T08:40:12.345Z`), instead of a checksum.
        public var source: String? = nil

        enum CodingKeys: String, CodingKey {
            case name, rows, sha256, checksum, source
            case rowsUsed = "rows_used"
            case rowsRejected = "rows_rejected"
        }
    }

    enum CodingKeys: String, CodingKey {
        case report, slot, trigger, attempt, started, finished, outcome, error, dataset, calculators, files, reportd,
            pid, compacted, period, delivery, node, skipped, condition, unaddressed, alert
        case splitValues = "split_values"
        case durationSeconds = "duration_seconds"
    }

    /// The record of `outcome`.
    public init(_ outcome: RunResult, trigger: RunTrigger, attempt: Int = 1, finished: Date = Date()) {
        let utc = TimeZone(identifier: "UTC")!
        report = outcome.report
        slot = outcome.slot
        self.trigger = trigger
        self.attempt = attempt
        started = SlotTime(date: outcome.started, timeZone: utc).iso8601
        self.finished = SlotTime(date: finished, timeZone: utc).iso8601
        durationSeconds = (outcome.duration * 1000).rounded() / 1000
        self.outcome = outcome.succeeded ? .success : .failed
        error = outcome.error
        if let d = outcome.dataset {
            dataset = Dataset(
                name: d.name, rows: d.rows, rowsUsed: d.rowsUsed, rowsRejected: d.rowsRejected,
                sha256: d.sha256.isEmpty ? nil : d.sha256, checksum: outcome.datasetChecksum,
                source: d.provenance.map { "\($0.source) \($0.relation), snapshot \($0.snapshotISO8601)" })
        }
        calculators = outcome.calculators
        files = outcome.files
        period = outcome.period
        if let condition = outcome.skippedCondition {
            skipped = "condition"
            self.condition = condition
        }
        if !outcome.splitOutputs.isEmpty {
            splitValues = Dictionary(
                outcome.splitOutputs.map { ($0.slug, $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        if !outcome.unaddressedValues.isEmpty { unaddressed = outcome.unaddressedValues }
        reportd = ReportdVersion.current
        pid = Int(getpid())
        node = outcome.node
    }

    /// The record without its file list and calculators.
    var compactedCopy: RunRecord {
        var copy = self
        copy.files = nil
        copy.calculators = nil
        copy.compacted = true
        return copy
    }
}

/// The run history of each report: `STATE/history/NAME.jsonl`, one JSON record per line, oldest
/// first, appended after every run (`serve`, `run`, backfills alike).
///
/// Bounded: when a file holds more than `keep` records (plus a tenth, so that it is not rewritten at
/// every run), the oldest are dropped; records older than the newest `detailed` lose their file
/// lists and calculators (`"compacted": true`) but keep the outcome and the figures. The rewrite is
/// atomic (temporary file, rename). Appends and rewrites hold an flock on the history folder, so a
/// manual run and the daemon never interleave. A line cut short by a crash is skipped when read and
/// dropped at the next rewrite; the next append starts on a fresh line.
///
/// The folder is private like the rest of the state (0700, files 0600), opened without following
/// links.
public struct RunHistory: Sendable {
    public let stateDirectory: String
    public var keep: Int
    public var detailed: Int

    public init(stateDirectory: String, keep: Int = 1000, detailed: Int = 100) {
        self.stateDirectory = stateDirectory
        self.keep = max(1, keep)
        self.detailed = min(max(0, detailed), self.keep)
    }

    var folderPath: String { stateDirectory + "/history" }

    /// Appends `record` to its report's history, compacting the file when it has grown past its bounds.
    public func append(_ record: RunRecord) throws(FileError) {
        let folder = try openFolder()
        defer { close(folder) }
        let locking = FileIO.lock(folder, LOCK_EX)
        guard locking == 0 else { throw FileError(locking, path: folderPath, doing: "locking the history") }
        defer { flock(folder, LOCK_UN) }
        let name = "\(record.report).jsonl"
        let path = "\(folderPath)/\(name)"
        let fd = openat(folder, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(errno, path: path, doing: "opening the history") }
        defer { close(fd) }
        try ConfinedFolder.setPermissions(fd, mode: 0o600, permissions: .private(in: stateDirectory), path: path)
        var line = Self.encode(record)
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 {
            var last: UInt8 = 0
            let readable = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            if readable >= 0 {
                if pread(readable, &last, 1, off_t(info.st_size - 1)) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
                close(readable)
            }
        }
        try writeAll(fd, line, path: path)
        if fsync(fd) != 0 { throw FileError(errno, path: path, doing: "syncing the history") }
        try compactIfNeeded(name, in: folder)
    }

    /// The report's records, oldest first; the newest `limit` when given. Lines that do not decode
    /// (cut short by a crash) are skipped.
    public func records(_ report: String, limit: Int? = nil) throws(FileError) -> [RunRecord] {
        let path = "\(folderPath)/\(report).jsonl"
        guard let data = FileManager.default.contents(atPath: path) else {
            // No history yet is an empty one; one that exists but cannot be read is an error.
            if access(path, F_OK) != 0 && errno == ENOENT { return [] }
            throw FileError(
                code: .permissionDenied, path: path,
                message: "cannot read the run history (run as reportd's user or root)")
        }
        let lines = Array(data).split(separator: 0x0A)
        let wanted = limit.map { lines.suffix(max(0, $0)) } ?? lines[...]
        return wanted.compactMap { try? Self.decoder.decode(RunRecord.self, from: Data($0)) }
    }

    // MARK: Compaction

    /// The lines of `bytes` that hold `"files":` (a detailed record).
    ///
    /// Fast path (issue 20): each quote found with `memchr` and the eight bytes from it compared as
    /// one word with the marker (`"files":` is eight bytes), then on to the next line after a hit.
    /// Why: after every run, the check for compaction searched each line of the history with the
    /// generic `firstRange(of:)`, 13 ms for a 160 KB history (strace of a benchmark run: five
    /// reports, 65 ms of one thread between the last report's files and the exit).
    /// `linesHoldingFilesPlain` is that search, the tests' reference.
    static func linesHoldingFiles(_ bytes: [UInt8]) -> Int {
        // `"files":` read as a little-endian word.
        let marker = Array("\"files\":".utf8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return 0 }
            let raw = UnsafeRawPointer(base)
            let n = b.count
            var count = 0
            var i = 0
            while i + 8 <= n, let quote = memchr(raw + i, 0x22, n - 8 - i + 1) {
                let at = raw.distance(to: UnsafeRawPointer(quote))
                guard UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) == marker else {
                    i = at + 1
                    continue
                }
                count += 1
                guard let lineEnd = memchr(raw + at, 0x0A, n - at) else { break }
                i = raw.distance(to: UnsafeRawPointer(lineEnd)) + 1
            }
            return count
        }
    }

    static func linesHoldingFilesPlain(_ bytes: [UInt8]) -> Int {
        let marker = Array("\"files\":".utf8)
        return bytes.split(separator: 0x0A).reduce(0) { $0 + ($1.firstRange(of: marker) != nil ? 1 : 0) }
    }

    private func compactIfNeeded(_ name: String, in folder: Int32) throws(FileError) {
        guard let bytes = ConfinedFolder.readFile(name, in: folder) else { return }
        let lines = bytes.split(separator: 0x0A)
        let detailedLines = Self.linesHoldingFiles(bytes)
        let total = lines.count
        let slackKeep = max(1, keep / 10)
        let slackDetailed = max(1, detailed / 10)
        guard total > keep + slackKeep || detailedLines > detailed + slackDetailed else { return }
        var records = lines.compactMap { try? Self.decoder.decode(RunRecord.self, from: Data($0)) }
        if records.count > keep { records.removeFirst(records.count - keep) }
        let firstDetailed = records.count - detailed
        for i in records.indices where i < firstDetailed && records[i].compacted != true {
            records[i] = records[i].compactedCopy
        }
        let text = records.flatMap { Self.encode($0) }
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: name, bytes: text)], in: folder, path: folderPath,
            permissions: .private(in: stateDirectory))
    }

    // MARK: Files

    private func openFolder() throws(FileError) -> Int32 {
        let state = try ConfinedFolder.open(atPath: stateDirectory, permissions: .private(in: stateDirectory))
        defer { close(state) }
        return try ConfinedFolder.openChild("history", in: state, path: folderPath, permissions: .private(in: stateDirectory))
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        let failure = FileIO.writeAll(fd, bytes)
        if failure != 0 { throw FileError(failure, path: path, doing: "appending to the history") }
    }

    static func encode(_ record: RunRecord) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Plain values: encoding cannot fail.
        return Array((try? encoder.encode(record)) ?? Data()) + [0x0A]
    }

    static let decoder = JSONDecoder()
}
