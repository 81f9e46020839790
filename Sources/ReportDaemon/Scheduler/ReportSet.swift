import Foundation
import ReportCore
import ReportIO

/// The reports the daemon runs, and how a reload changes them.
public struct ReportSet: Sendable {
    public var daemon: DaemonConfig
    /// Reports by name.
    public var reports: [String: LoadedReport]

    public init(daemon: DaemonConfig, reports: [LoadedReport]) {
        self.daemon = daemon
        self.reports = Dictionary(reports.map { ($0.definition.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The columns of `dataset` that any of the reports reads (see `ReportDefinition.columnsRead`).
    public func columnsRead(dataset: String) -> Set<String>? {
        guard let schema = daemon.dataset(named: dataset)?.schema else { return nil }
        var names: Set<String> = []
        for report in reports.values where report.definition.dataset == dataset {
            names.formUnion(report.definition.columnsRead(in: schema))
        }
        return names
    }

    /// What a reload did, for the log.
    public struct Changes: Sendable, Equatable {
        public var added: [String] = []
        public var removed: [String] = []
        public var replaced: [String] = []
        /// Reports whose file is now invalid and whose previous definition stays in force.
        public var kept: [String] = []
        /// The daemon config was invalid: nothing changed.
        public var rejectedDaemonConfig = false
    }

    /// Applies a reload (SPEC.md): each report file on its own. A valid file replaces its report; an
    /// invalid one keeps the report's previous good definition; a new invalid report does not start;
    /// a report whose file is gone stops. An invalid daemon config (`daemon == nil`) changes nothing.
    public func reloaded(daemon: DaemonConfig?, files: [ConfigLoader.ReportFileResult]) -> (ReportSet, Changes) {
        var changes = Changes()
        guard let daemon else {
            changes.rejectedDaemonConfig = true
            return (self, changes)
        }
        var next: [String: LoadedReport] = [:]
        for file in files {
            if let report = file.report {
                let name = report.definition.name
                if next[name] == nil { next[name] = report }
                continue
            }
            // Invalid: keep what this file defined before, if anything.
            if let previous = reports.values.first(where: { $0.file == file.path }),
                next[previous.definition.name] == nil
            {
                next[previous.definition.name] = previous
                changes.kept.append(previous.definition.name)
            }
        }
        for name in next.keys.sorted() {
            if reports[name] == nil {
                changes.added.append(name)
            } else if !changes.kept.contains(name) {
                changes.replaced.append(name)
            }
        }
        changes.removed = reports.keys.filter { next[$0] == nil }.sorted()
        changes.kept.sort()
        var set = self
        set.daemon = daemon
        set.reports = next
        return (set, changes)
    }
}
