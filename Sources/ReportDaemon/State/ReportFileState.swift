public import Foundation
import ReportFiles
public import ReportCore
public import ReportConfig

/// What the daemon made of one report file at its last start or reload: whether the report runs,
/// and if not, why. The daemon keeps every file's state in `STATE/reportd.reports.json`
/// (`LoadedReportsFile`) for `status`, `list` and `history`.
public struct ReportFileState: Codable, Sendable, Equatable {
    public enum Condition: String, Codable, Sendable, CaseIterable {
        /// Valid: its definition runs.
        case loaded
        /// The file is invalid now; the report's previous good definition stays in force.
        case keptPrevious = "kept_previous"
        /// A new report whose file is invalid: it does not run.
        case refused
        /// A report whose calculator a plugin should provide, and that plugin did not load: it does
        /// not run.
        case notLoaded = "not_loaded"
        /// No daemon runs and the file is invalid (`status` checked it itself): the daemon would
        /// not load it.
        case invalid

        /// Whether the report runs as its file says.
        public var isHealthy: Bool { self == .loaded }
    }

    /// A problem located in the file, as `FILE:LINE:COL: error: MESSAGE`.
    public struct Problem: Codable, Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int
        public var message: String

        public init(_ diagnostic: Diagnostic) {
            file = diagnostic.file
            line = diagnostic.line
            column = diagnostic.column
            message = diagnostic.message
        }

        /// `FILE:LINE:COL` (or `FILE` for a problem with the whole file).
        public var location: String { line > 0 ? "\(file):\(line):\(column)" : file }
        public var description: String { "\(location): error: \(message)" }
    }

    /// The definition in force (for `loaded` and `keptPrevious`): what `status` and `list` need to
    /// show its schedule when the file no longer says it.
    public struct Definition: Codable, Sendable, Equatable {
        public var title: String
        public var schedule: String
        public var timezone: String
        /// Seconds (`timeout`), for the overdue rule.
        public var timeout: Int?

        public init(_ d: ReportDefinition) {
            title = d.title
            schedule = d.schedule.description
            timezone = d.timezone
            timeout = d.timeout
        }

        /// A definition with this schedule, enough for the schedule and overdue rules (no metrics).
        public func reportDefinition(name: String) -> ReportDefinition? {
            guard let parsed = try? Schedule.parse(schedule) else { return nil }
            var d = ReportDefinition(
                name: name, title: title, dataset: "", schedule: parsed, timezone: timezone, metrics: [])
            d.timeout = timeout
            return d
        }
    }

    /// The report file, as messages name it.
    public var file: String
    /// The report's name: the running definition's, else the file's `name` when it is a valid name.
    public var report: String?
    public var condition: Condition
    /// When the file entered this condition (for `loaded`, when its definition was loaded).
    public var since: Date?
    /// The file's first error, when it is invalid.
    public var firstError: Problem?
    /// How many errors the file has.
    public var errors: Int
    /// `notLoaded`: the calculators that are unavailable.
    public var unavailableCalculators: [String]?
    /// `notLoaded`: the plugins that did not load, one of which should provide them.
    public var plugins: [PluginProblem]?
    public var definition: Definition?

    public init(
        file: String, report: String?, condition: Condition, since: Date?, firstError: Problem? = nil,
        errors: Int = 0, unavailableCalculators: [String]? = nil, plugins: [PluginProblem]? = nil,
        definition: Definition? = nil
    ) {
        self.file = file
        self.report = report
        self.condition = condition
        self.since = since
        self.firstError = firstError
        self.errors = errors
        self.unavailableCalculators = unavailableCalculators
        self.plugins = plugins
        self.definition = definition
    }

    enum CodingKeys: String, CodingKey {
        case file, report, condition, since, errors, plugins, definition
        case firstError = "first_error"
        case unavailableCalculators = "unavailable_calculators"
    }

    /// How the report is named in messages: its name, else its file.
    public var label: String { report ?? file }

    /// One line saying why the report does not run as its file says (nil when it does), with
    /// times in `zone`.
    public func reason(in zone: TimeZone) -> String? {
        let error = firstError.map { "\($0)" } ?? "invalid"
        let more =
            errors > 1 ? " (and \(errors - 1) more error\(errors == 2 ? "" : "s"); reportd validate lists them)" : ""
        switch condition {
        case .loaded:
            return nil
        case .keptPrevious:
            let when = since.map { " since \(SlotTime(date: $0, timeZone: zone).iso8601)" } ?? ""
            return "running the previous definition\(when) because \(file) is invalid: \(error)\(more)"
        case .refused:
            return "refused: \(file) is invalid, so the report does not run: \(error)\(more)"
        case .notLoaded:
            let calculators = (unavailableCalculators ?? []).map { "'\($0)'" }.joined(separator: ", ")
            let plugins = (plugins ?? []).map { p in
                p.name.isEmpty ? "\(p.file): \(p.reason)" : "plugin '\(p.name)' (\(p.file)): \(p.reason)"
            }
            return "not loaded: calculator \(calculators) is unavailable because a plugin did not load: "
                + plugins.joined(separator: "; ")
        case .invalid:
            return "invalid: the daemon will not load \(file): \(error)\(more)"
        }
    }

    /// The state of a file the loader found valid.
    static func loaded(_ report: LoadedReport, since: Date?) -> ReportFileState {
        ReportFileState(
            file: DisplayPath.of(report.file), report: report.definition.name, condition: .loaded, since: since,
            definition: Definition(report.definition))
    }

    /// The state of a file the loader found invalid, in `condition`.
    static func invalid(
        _ result: ConfigLoader.ReportFileResult, condition: Condition, since: Date?, running: LoadedReport? = nil,
        plugins: [PluginProblem]? = nil
    ) -> ReportFileState {
        let errors = result.diagnostics.filter { $0.severity == .error }
        return ReportFileState(
            file: DisplayPath.of(result.path), report: running?.definition.name ?? result.name, condition: condition,
            since: since, firstError: errors.first.map(Problem.init), errors: errors.count,
            unavailableCalculators: condition == .notLoaded ? result.unknownCalculators : nil,
            plugins: condition == .notLoaded ? plugins : nil,
            definition: running.map { Definition($0.definition) })
    }

    /// The states of report files that `status`, `list` or `history` loaded themselves (no daemon
    /// runs): valid ones are `loaded`, invalid ones `invalid`.
    public static func checked(_ files: [ConfigLoader.ReportFileResult]) -> [ReportFileState] {
        files.filter(\.isReportFile).map { result in
            result.report.map { loaded($0, since: nil) } ?? invalid(result, condition: .invalid, since: nil)
        }
    }
}
