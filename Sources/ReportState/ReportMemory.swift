import Foundation
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// What a report remembers between runs for `split_by`, `publish_when` and `alerts` (SPEC, "One
/// file per office, and only when it matters"): the slug given to each value of the split column,
/// the fingerprint of the figures last published per (period, split value), and whether each alert
/// (identified by its `when` text) is currently raised.
///
/// One node keeps it in the state folder (`FolderReportMemory`); with `cluster:` it lives in the
/// cluster's database, so that every node assigns the same slugs and one notice goes out per alert.
///
/// Calls are made by a run holding the report's lock; an implementation still makes
/// `assignSlugs` atomic on its own (a cluster's nodes do not share that lock). The requirements
/// are synchronous, like the rest of the state code and the runner that calls them (which runs
/// its reports on its own threads, never on the cooperative pool).
public protocol ReportMemory: Sendable {
    /// Every value's slug assigned so far for `report` (value in NFC → slug).
    func slugAssignments(report: String) throws -> [String: String]

    /// Gives a slug to each of `values` that has none yet, in the order given (the caller sorts
    /// them, so that among values first seen in the same run the one that sorts first keeps the
    /// plain slug), and returns every assignment of the report afterwards. `choose` is given a
    /// value and the slugs already taken (by any value, earlier runs included) and returns the
    /// slug to keep for good. Assignments never change once made.
    func assignSlugs(
        report: String, values: [String], choose: @Sendable (_ value: String, _ taken: Set<String>) -> String
    ) throws -> [String: String]

    /// The fingerprint of the figures last published for `report`'s `period` (a stable text the
    /// caller derives from the period's bounds) and split value (`nil`: the whole report).
    func fingerprint(report: String, period: String, splitValue: String?) throws -> String?

    /// Remembers `fingerprint` as the last published figures for the period and split value.
    func recordFingerprint(_ fingerprint: String, report: String, period: String, splitValue: String?) throws

    /// Whether the alert `when` of `report` is raised; `nil` when it was never decided (a new
    /// alert, or one whose `when` text changed).
    func alertRaised(report: String, when: String) throws -> Bool?

    /// Remembers whether the alert `when` of `report` is raised; true when this call changed what
    /// was remembered (or nothing was). Only the caller that made the change tells: with several
    /// nodes, one that finds the change already made by another says nothing (one notice).
    @discardableResult
    func recordAlert(raised: Bool, report: String, when: String) throws -> Bool
}

/// The memory of one report as kept in the state folder (`STATE/memory/NAME.json`).
public struct ReportMemoryFile: Codable, Sendable, Equatable {
    /// Value (NFC) → slug.
    public var slugs: [String: String] = [:]
    /// The last published fingerprints, oldest first (at most `maxFingerprints`).
    public var fingerprints: [Fingerprint] = []
    /// Alert `when` text → raised.
    public var alerts: [String: Bool] = [:]

    public struct Fingerprint: Codable, Sendable, Equatable {
        public var period: String
        /// `nil`: the whole report.
        public var value: String?
        public var fingerprint: String

        public init(period: String, value: String?, fingerprint: String) {
            self.period = period
            self.value = value
            self.fingerprint = fingerprint
        }
    }

    /// Fingerprints kept per report: enough for a split of `split_max` values over a few periods;
    /// the oldest go first.
    public static let maxFingerprints = 10_000

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        slugs = try c.decodeIfPresent([String: String].self, forKey: .slugs) ?? [:]
        fingerprints = try c.decodeIfPresent([Fingerprint].self, forKey: .fingerprints) ?? []
        alerts = try c.decodeIfPresent([String: Bool].self, forKey: .alerts) ?? [:]
    }
}

/// `ReportMemory` in the state folder, under `STATE/memory/`: `NAME.json` (slugs and fingerprints,
/// written by the report's runs, which hold its lock) and `NAME.alerts.json` (the alerts' states,
/// written by the daemon's loop after a run: a file of its own, so that it never races a run's
/// write), each written atomically and privately like the reports' states (temporary file,
/// fsync, rename; 0600 in a 0700 folder).
public struct FolderReportMemory: ReportMemory {
    public let stateDirectory: String

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    var directory: String { stateDirectory + "/memory" }

    /// The report's memory; empty when there is none. A damaged file reads as empty (slugs are
    /// then assigned again in sorted order, fingerprints count as changed, alerts as new).
    public func load(_ report: String) -> ReportMemoryFile { load(file: "\(report).json") }

    func load(file: String) -> ReportMemoryFile {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)") else {
            return ReportMemoryFile()
        }
        return (try? StateStore.decoder.decode(ReportMemoryFile.self, from: data)) ?? ReportMemoryFile()
    }

    public func save(_ memory: ReportMemoryFile, for report: String) throws { try save(memory, file: "\(report).json") }

    func save(_ memory: ReportMemoryFile, file: String) throws {
        let permissions = FilePermissions.private(in: stateDirectory)
        let bytes = try StateStore.encoder.encode(memory)
        let top = try ConfinedFolder.open(atPath: stateDirectory, permissions: permissions)
        defer { close(top) }
        let folder = try ConfinedFolder.openChild("memory", in: top, path: directory, permissions: permissions)
        defer { close(folder) }
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: file, bytes: Array(bytes))], in: folder, path: directory,
            permissions: permissions)
    }

    /// Changes the report's memory with `change` and saves it when it changed.
    @discardableResult
    func update<T>(_ report: String, _ change: (inout ReportMemoryFile) -> T) throws -> T {
        var memory = load(report)
        let before = memory
        let result = change(&memory)
        if memory != before { try save(memory, for: report) }
        return result
    }

    public func slugAssignments(report: String) throws -> [String: String] { load(report).slugs }

    public func assignSlugs(
        report: String, values: [String], choose: @Sendable (_ value: String, _ taken: Set<String>) -> String
    ) throws -> [String: String] {
        try update(report) { memory in
            var taken = Set(memory.slugs.values)
            for value in values where memory.slugs[value] == nil {
                let slug = choose(value, taken)
                memory.slugs[value] = slug
                taken.insert(slug)
            }
            return memory.slugs
        }
    }

    public func fingerprint(report: String, period: String, splitValue: String?) throws -> String? {
        load(report).fingerprints.last { $0.period == period && $0.value == splitValue }?.fingerprint
    }

    public func recordFingerprint(
        _ fingerprint: String, report: String, period: String, splitValue: String?
    ) throws {
        try update(report) { memory in
            memory.fingerprints.removeAll { $0.period == period && $0.value == splitValue }
            memory.fingerprints.append(.init(period: period, value: splitValue, fingerprint: fingerprint))
            let excess = memory.fingerprints.count - ReportMemoryFile.maxFingerprints
            if excess > 0 { memory.fingerprints.removeFirst(excess) }
        }
    }

    public func alertRaised(report: String, when: String) throws -> Bool? {
        load(file: "\(report).alerts.json").alerts[when]
    }

    @discardableResult
    public func recordAlert(raised: Bool, report: String, when: String) throws -> Bool {
        var memory = load(file: "\(report).alerts.json")
        guard memory.alerts[when] != raised else { return false }
        memory.alerts[when] = raised
        try save(memory, file: "\(report).alerts.json")
        return true
    }
}
