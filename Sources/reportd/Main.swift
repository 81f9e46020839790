import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportIO
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Reportd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reportd",
        abstract: "Runs report definitions on their schedule and publishes CSV, JSON and text summaries.",
        subcommands: [Validate.self, Run.self, Serve.self, List.self, Next.self, Calculators.self, Schema.self])
}

/// `--config`, shared by the commands that read the daemon config.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon config (default: $REPORTD_CONFIG, then /etc/reportd/reportd.yaml).")
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    var path: String {
        config ?? ProcessInfo.processInfo.environment["REPORTD_CONFIG"] ?? "/etc/reportd/reportd.yaml"
    }

    /// Loads the daemon config, its plugins (their standard error goes to `logger`) and reports.
    func load(logger: Logger? = nil) -> Configuration {
        var loader = ConfigLoader(calculators: BuiltinCalculators.registry)
        if let logger { loader.logger = logger }
        return loader.load(configPath: path)
    }

    /// Bootstraps logging (once per process, here only): journal lines with priority prefixes when
    /// standard error goes to the journal, plain lines with timestamps otherwise.
    func logger() -> Logger {
        let level = logLevel
        let journal = JournalLogHandler.isJournal()
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "reportd")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Writes diagnostics to standard error, one per line.
func printDiagnostics(_ diagnostics: [Diagnostic]) {
    for d in diagnostics { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks the daemon config, every report, the schemas and the calculators, without running anything.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = options.load()
        printDiagnostics(configuration.diagnostics)
        guard configuration.isValid else {
            let count = configuration.errors.count
            FileHandle.standardError.write(Data("\(count) error\(count == 1 ? "" : "s") found\n".utf8))
            throw ExitCode(1)
        }
        let datasets = configuration.daemon?.datasets.count ?? 0
        print("OK: \(configuration.reports.count) reports, \(datasets) dataset\(datasets == 1 ? "" : "s")")
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs reports once, now, and publishes their outputs (all reports when none is named).")

    @OptionGroup var options: ConfigOptions

    @Argument(help: "Names of the reports to run.")
    var names: [String] = []

    @Flag(help: "When the daemon (or another run) is running a named report, wait for it instead of failing.")
    var wait = false

    @Option(
        help: ArgumentHelp(
            "Rerun one past slot (backfill), e.g. 2026-11-23T06:00 in each report's time zone, or with an offset; its files replace that slot's.",
            valueName: "time"))
    var slot: String?

    func run() throws {
        let logger = options.logger()
        let configuration = options.load(logger: logger)
        printDiagnostics(configuration.diagnostics)
        guard let daemon = configuration.daemon else { throw ExitCode(2) }
        var selected = configuration.reports
        var failed = !configuration.errors.isEmpty
        if !names.isEmpty {
            let known = configuration.reports.map(\.definition.name)
            var unknown = false
            for name in names where !known.contains(name) {
                // A named report whose file has errors was reported above; anything else is a typo.
                if !configuration.errors.isEmpty { continue }
                var message = "reportd: no report named '\(name)'"
                if let guess = closestMatch(to: name, among: known) { message += " (did you mean '\(guess)'?)" }
                FileHandle.standardError.write(Data((message + "\n").utf8))
                unknown = true
            }
            if unknown { throw ExitCode(2) }
            selected = configuration.reports.filter { names.contains($0.definition.name) }
            failed = selected.count < Set(names).count
        }
        var runner = ReportRunner(config: daemon, logger: logger)
        runner.lockMode = wait ? .wait : .refuse
        var outcomes: [RunOutcome] = []
        if let slot {
            // A backfill runs each report at the slot as read in that report's own time zone.
            for report in selected {
                let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
                guard let date = LocalTime.parse(slot, in: zone) else {
                    throw ValidationError(
                        "--slot '\(slot)' is not a time like 2026-11-23T06:00 or 2026-11-23T06:00:00+07:00")
                }
                outcomes += runner.run([report], at: date)
                record(outcomes.last!, at: date, trigger: .backfill, daemon: daemon)
            }
        } else {
            let now = Date()
            outcomes = runner.run(selected, at: now)
            for outcome in outcomes { record(outcome, at: now, trigger: .manual, daemon: daemon) }
        }
        for outcome in outcomes {
            if let error = outcome.error {
                print("FAILED \(outcome.report): \(error)")
                failed = true
            } else {
                print(
                    "ok     \(outcome.report) -> \(daemon.outputRoot)/\(outcome.report)/ (\(outcome.files.count) files)"
                )
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// Notes the run in the report's state, so `list` shows it; a state folder that cannot be
    /// written (a manual run as another user) does not fail the run.
    private func record(_ outcome: RunOutcome, at slot: Date, trigger: RunTrigger, daemon: DaemonConfig) {
        _ = try? StateStore(directory: daemon.stateDirectory).record(
            outcome.report, slot: slot, trigger: trigger.rawValue, error: outcome.error, at: Date())
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs every report on its schedule until SIGTERM or SIGINT; SIGHUP reloads the configuration.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        // A SIGHUP during start-up (a reload sent too early) must not kill the process, whose
        // default action for it is to exit. CSignalGuard ignored it when the binary was loaded;
        // this repeats it in case the guard did not run (an unusual loader). The scheduler traps it.
        if reportd_sighup_guarded() == 0 { signal(SIGHUP, SIG_IGN) }
        let logger = options.logger()
        let group: ServiceGroup
        do throws(ConfigError) {
            group = try buildDaemon(configPath: options.path, calculators: BuiltinCalculators.registry, logger: logger)
        } catch {
            printDiagnostics(error.diagnostics)
            throw ExitCode(1)
        }
        try await group.run()
    }
}

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the next run times of one report, in its time zone with the UTC offset.")

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The report.")
    var name: String

    @Option(help: "How many run times.")
    var count: Int = 5

    @Option(help: ArgumentHelp("Start after this time instead of now (ISO 8601).", valueName: "time"))
    var from: String?

    func run() throws {
        let configuration = options.load()
        guard let report = configuration.reports.first(where: { $0.definition.name == name }) else {
            printDiagnostics(configuration.diagnostics)
            var message = "reportd: no valid report named '\(name)'"
            if let guess = closestMatch(to: name, among: configuration.reports.map(\.definition.name)) {
                message += " (did you mean '\(guess)'?)"
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(2)
        }
        let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
        var start = Date()
        if let from {
            guard let parsed = LocalTime.parse(from, in: zone) else {
                throw ValidationError("--from '\(from)' is not a time like 2026-11-23T06:00 or 2026-11-23T06:00:00Z")
            }
            start = parsed
        }
        let utc = TimeZone(identifier: "UTC")!
        for slot in report.definition.schedule.slots(after: start, count: max(0, count), in: zone) {
            print(
                "\(SlotTime(date: slot, timeZone: zone).iso8601)  (\(SlotTime(date: slot, timeZone: utc).iso8601.dropLast(6))Z)"
            )
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per report: name, schedule, time zone, next run, last run and its outcome.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = options.load()
        printDiagnostics(configuration.diagnostics)
        guard let daemon = configuration.daemon else { throw ExitCode(2) }
        let store = StateStore(directory: daemon.stateDirectory)
        let now = Date()
        var rows = [["NAME", "SCHEDULE", "TIMEZONE", "NEXT RUN", "LAST RUN", "OUTCOME"]]
        for r in configuration.reports {
            let d = r.definition
            let zone = TimeZone(identifier: d.timezone) ?? TimeZone(identifier: "UTC")!
            let next =
                d.schedule.nextSlot(after: now, in: zone).map { SlotTime(date: $0, timeZone: zone).iso8601 } ?? "never"
            let last = store.load(d.name).lastRun
            let lastText = last.map { SlotTime(date: $0.slot, timeZone: zone).iso8601 + " (\($0.trigger))" } ?? "never"
            rows.append([d.name, d.schedule.description, d.timezone, next, lastText, last?.outcome ?? "-"])
        }
        printTable(rows)
    }
}

struct Calculators: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lists every calculator, built-in and from the config's plugins, with its parameters and provider.")

    @Option(
        help:
            "The daemon config whose plugins to include (default: $REPORTD_CONFIG, then /etc/reportd/reportd.yaml if it exists)."
    )
    var config: String?

    func run() throws {
        let path =
            config ?? ProcessInfo.processInfo.environment["REPORTD_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: "/etc/reportd/reportd.yaml") ? "/etc/reportd/reportd.yaml" : nil)
        for d in try calculatorRegistry(configPath: path).descriptors {
            print("\(d.name) — \(d.summary) [\(d.provider)]")
            if d.parameters.isEmpty { print("    (no parameters)") }
            for p in d.parameters {
                print("    \(p.name): \(p.kindDescription), \(p.required ? "required" : "optional") — \(p.summary)")
            }
        }
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the JSON Schema of report definitions, for editors (yaml-language-server).")

    @Option(help: "A daemon config whose plugins' calculators the schema should also know.")
    var config: String?

    func run() throws {
        print(ReportJSONSchema.make(calculators: try calculatorRegistry(configPath: config)))
    }
}

/// The built-in calculators, plus the plugins of the daemon config at `configPath` when given.
func calculatorRegistry(configPath: String?) throws -> CalculatorRegistry {
    guard let configPath else { return BuiltinCalculators.registry }
    let (daemon, diagnostics) = ConfigLoader(calculators: BuiltinCalculators.registry).loadDaemon(
        configPath: configPath)
    printDiagnostics(diagnostics)
    guard let daemon else { throw ExitCode(2) }
    return daemon.calculators
}

/// Prints rows as columns aligned by display width.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    var widths = first.map { _ in 0 }
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(cell)) } }
    for row in rows {
        let line = row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : DisplayWidth.pad(cell, to: widths[i], alignRight: false)
        }
        print(line.joined(separator: "  "))
    }
}
