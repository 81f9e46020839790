public import Foundation
import ReportFiles
public import ReportCore
public import ReportConfig
import ReportPlugins

/// The reports the daemon runs, and how a reload changes them.
public struct ReportSet: Sendable {
    public var daemon: DaemonConfig
    /// Reports by name.
    public var reports: [String: LoadedReport]
    /// Every report file's state after the last start or reload (what `status` shows).
    public var files: [ReportFileState]

    public init(daemon: DaemonConfig, reports: [LoadedReport]) {
        self.daemon = daemon
        self.reports = Dictionary(reports.map { ($0.definition.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.files = self.reports.values.map { ReportFileState.loaded($0, since: nil) }
            .sorted(by: ReportFileState.byReportName)
    }

    /// The set the daemon starts with: every valid file's report, and every file's state.
    public static func loading(
        daemon: DaemonConfig, files: [ConfigLoader.ReportFileResult], now: Date
    ) -> (ReportSet, Changes) {
        var empty = ReportSet(daemon: daemon, reports: [])
        empty.files = []
        return empty.reloaded(daemon: daemon, files: files, now: now)
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

    /// What a reload did, for the log. Every report file is counted once: unchanged, replaced
    /// (changed), added, kept (its previous definition), refused or not loaded.
    public struct Changes: Sendable, Equatable {
        public var unchanged: [String] = []
        public var added: [String] = []
        public var removed: [String] = []
        /// Reports whose file changed (its bytes), now running the new definition.
        public var replaced: [String] = []
        /// Reports whose file is now invalid and whose previous definition stays in force.
        public var kept: [String] = []
        /// The states of the files that do not run: new and invalid, or whose plugin did not load.
        public var refused: [ReportFileState] = []
        public var notLoaded: [ReportFileState] = []
        /// Every report file's state after the reload.
        public var files: [ReportFileState] = []
        /// The daemon config was invalid: nothing changed.
        public var rejectedDaemonConfig = false
        /// The reports folder could not be listed: nothing changed (rather than every report
        /// stopping because no file was found).
        public var unlistedReportsFolder: Diagnostic?

        /// The log line: `reload: 6 report files: 4 unchanged, 1 changed (x), 0 added, 1 kept
        /// previous definition (y: FILE:L:C), 0 refused, 0 not loaded; 1 removed (z)`. At start
        /// (`initial`) every running report is counted as loaded.
        public func summary(initial: Bool) -> String {
            // At most ten names a count, so that a reload of hundreds of files stays one readable line.
            func names(_ list: [String]) -> String {
                guard !list.isEmpty else { return "" }
                let more = list.count > 10 ? ", and \(list.count - 10) more" : ""
                return " (" + list.prefix(10).joined(separator: ", ") + more + ")"
            }
            func located(_ states: [ReportFileState]) -> String {
                names(states.map { "\($0.label): \($0.firstError?.location ?? $0.file)" })
            }
            func plugins(_ states: [ReportFileState]) -> String {
                names(
                    states.map { s in
                        "\(s.label): " + (s.unavailableCalculators ?? []).map { "'\($0)'" }.joined(separator: ", ")
                    })
            }
            let keptStates = files.filter { $0.condition == .keptPrevious }
            var parts: [String] = []
            if initial {
                parts.append("\(added.count) loaded")
            } else {
                parts.append("\(unchanged.count) unchanged")
                parts.append("\(replaced.count) changed\(names(replaced))")
                parts.append("\(added.count) added\(names(added))")
                parts.append("\(kept.count) kept previous definition\(located(keptStates))")
            }
            parts.append("\(refused.count) refused\(located(refused))")
            parts.append("\(notLoaded.count) not loaded (plugin)\(plugins(notLoaded))")
            var line = "\(initial ? "start" : "reload"): \(files.count) report file\(files.count == 1 ? "" : "s"): "
            line += parts.joined(separator: ", ")
            if !initial { line += "; \(removed.count) removed\(names(removed))" }
            return line
        }
    }

    /// The plugins among `problems` (those that did not load) that provide the calculator `calc`:
    /// the one that provided it before this reload, one named after it (`hhi` for `hhi`,
    /// `gate` for `gate_count`), or a missing plugins folder.
    func pluginsProviding(_ calc: String, problems: [PluginProblem]) -> [PluginProblem] {
        let before = (daemon.calculators[calc] as? ExternalCalculator)?.plugin
        return problems.filter { p in
            p.name.isEmpty || p.name == before || calc == p.name || calc.hasPrefix(p.name + "_")
                || calc.hasPrefix(p.name + "-")
        }
    }

    /// Applies a reload (SPEC.md): each report file on its own. A valid file replaces its report; an
    /// invalid one keeps the report's previous good definition; a new invalid report does not start
    /// (refused, or not loaded when its only errors are calculators and a plugin failed to load);
    /// a report whose file is gone stops. An invalid daemon config (`daemon == nil`) changes nothing.
    public func reloaded(
        daemon: DaemonConfig?, files: [ConfigLoader.ReportFileResult], now: Date = Date()
    ) -> (ReportSet, Changes) {
        var changes = Changes()
        guard let daemon else {
            changes.rejectedDaemonConfig = true
            changes.files = self.files
            return (self, changes)
        }
        if let listing = files.first(where: { !$0.isReportFile })?.firstError, !reports.isEmpty {
            changes.unlistedReportsFolder = listing
            changes.files = self.files
            return (self, changes)
        }
        let previousStates = Dictionary(self.files.map { ($0.file, $0) }, uniquingKeysWith: { first, _ in first })
        /// When the file entered `condition`: then, if it was in it before, else now.
        func since(_ file: String, _ condition: ReportFileState.Condition) -> Date {
            if let old = previousStates[file], old.condition == condition, let since = old.since { return since }
            return now
        }
        let reportFiles = files.filter(\.isReportFile)
        var next: [String: LoadedReport] = [:]
        var states: [ReportFileState] = []
        // Valid files first: a valid file that now defines a report wins over the previous
        // definition an invalid file held.
        for file in reportFiles {
            guard let report = file.report else { continue }
            let name = report.definition.name
            guard next[name] == nil else { continue }  // the loader refuses a second file with one name
            next[name] = report
            let display = DisplayPath.of(report.file)
            if let previous = reports[name] {
                if previous.file == report.file, !report.digest.isEmpty, previous.digest == report.digest {
                    changes.unchanged.append(name)
                    states.append(.loaded(report, since: since(display, .loaded)))
                } else {
                    changes.replaced.append(name)
                    states.append(.loaded(report, since: now))
                }
            } else {
                changes.added.append(name)
                states.append(.loaded(report, since: now))
            }
        }
        for file in reportFiles where file.report == nil {
            let display = DisplayPath.of(file.path)
            if let previous = reports.values.first(where: { $0.file == file.path }),
                next[previous.definition.name] == nil
            {
                next[previous.definition.name] = previous
                changes.kept.append(previous.definition.name)
                states.append(
                    .invalid(file, condition: .keptPrevious, since: since(display, .keptPrevious), running: previous))
                continue
            }
            // Not loaded rather than refused when its only errors are calculators that a plugin
            // which did not load provides: the file is fine, the plugin is not.
            let errors = file.diagnostics.filter { $0.severity == .error }.count
            let owners = file.unknownCalculators.map { pluginsProviding($0, problems: daemon.pluginProblems) }
            let pluginFailed =
                !file.unknownCalculators.isEmpty && errors == file.unknownCalculators.count
                && owners.allSatisfy { !$0.isEmpty }
            let condition: ReportFileState.Condition = pluginFailed ? .notLoaded : .refused
            var plugins: [PluginProblem] = []
            for problem in owners.joined() where !plugins.contains(problem) { plugins.append(problem) }
            let state = ReportFileState.invalid(
                file, condition: condition, since: since(display, condition), plugins: plugins)
            states.append(state)
            if pluginFailed { changes.notLoaded.append(state) } else { changes.refused.append(state) }
        }
        changes.unchanged.sort()
        changes.added.sort()
        changes.replaced.sort()
        changes.kept.sort()
        changes.refused.sort(by: ReportFileState.byReportName)
        changes.notLoaded.sort(by: ReportFileState.byReportName)
        changes.removed = reports.keys.filter { next[$0] == nil }.sorted()
        changes.files = states.sorted(by: ReportFileState.byReportName)
        var set = self
        set.daemon = daemon
        set.reports = next
        set.files = changes.files
        return (set, changes)
    }
}
