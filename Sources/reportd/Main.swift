import ArgumentParser
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportIO

@main
struct Reportd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reportd",
        abstract: "Runs report definitions on their schedule and publishes CSV, JSON and text summaries.",
        subcommands: [Validate.self, Run.self, List.self, Calculators.self, Schema.self])
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

    func load() -> Configuration {
        ConfigLoader(calculators: BuiltinCalculators.registry).load(configPath: path)
    }

    func logger() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
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

    func run() throws {
        let logger = options.logger()
        let configuration = options.load()
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
        let runner = ReportRunner(config: daemon, calculators: BuiltinCalculators.registry, logger: logger)
        for outcome in runner.run(selected, at: Date()) {
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
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per report: name, schedule, time zone, dataset, title.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = options.load()
        printDiagnostics(configuration.diagnostics)
        guard configuration.daemon != nil else { throw ExitCode(2) }
        var rows = [["NAME", "SCHEDULE", "TIMEZONE", "DATASET", "TITLE"]]
        for r in configuration.reports {
            let d = r.definition
            rows.append([d.name, d.schedule.description, d.timezone, d.dataset, d.title])
        }
        printTable(rows)
    }
}

struct Calculators: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lists every calculator with its parameters and provider.")

    func run() throws {
        for d in BuiltinCalculators.registry.descriptors {
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

    func run() throws {
        print(ReportJSONSchema.make(calculators: BuiltinCalculators.registry))
    }
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
