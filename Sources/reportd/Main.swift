public import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle
import ReportFiles
import ReportState
import ReportWriters
import ReportSources
import ReportPlugins

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Reportd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reportd",
        abstract: "Runs report definitions on their schedule and publishes CSV, JSON, text and HTML summaries.",
        version: ReportdVersion.current,
        subcommands: [
            Validate.self, Run.self, Serve.self, Status.self, History.self, List.self, Next.self, Calculators.self,
            Test.self, Schema.self,
        ])

    /// ArgumentParser's own `main`, except for a `ValidationError` thrown by a subcommand's `run()`
    /// (a bad `--from`, `--since` or `--slot`): that is printed with the subcommand's usage. The
    /// library knows only the root command once parsing is over, and printed `Usage: reportd
    /// <subcommand>`.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            let subcommand = type(of: command)
            let usage = usageString(for: subcommand)
            let name = usage.split(separator: " ").prefix(2).joined(separator: " ")
            writeStandardError(
                "Error: \(error.message)\nUsage: \(usage)\n  See '\(name) --help' for more information.\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
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
    /// - Parameter startingPlugins: false for commands that read only schedules and state: no
    ///   plugin process is started (see `ConfigLoader.startsPlugins`).
    /// - Parameter connecting: whether a database dataset given no schema file is typed from its
    ///   server's catalog (`run`, `validate --connect`); the others never connect.
    func load(logger: Logger? = nil, startingPlugins: Bool = true, connecting: Bool = false) -> Configuration {
        var loader = ConfigLoader(
            calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry,
            plugins: logger.map { PluginLoader.starter(logger: $0) } ?? PluginLoader.starter())
        loader.startsPlugins = startingPlugins
        loader.readsServerCatalogs = connecting
        return loader.load(configPath: path)
    }

    /// Loads the daemon config and every report file on its own (see `ConfigLoader.loadFiles`):
    /// for commands that show invalid report files too.
    func loadFiles(startingPlugins: Bool = true) -> (DaemonConfig?, [ConfigLoader.ReportFileResult], [Diagnostic]) {
        var loader = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter())
        loader.startsPlugins = startingPlugins
        return loader.loadFiles(configPath: path)
    }

    /// Bootstraps logging (once per process, here only): journal lines with priority prefixes when
    /// standard error goes to the journal, plain lines with timestamps otherwise.
    func logger() -> Logger {
        let level = logLevel
        let journal = JournalLogHandler.isJournal()
        LoggingSystem.bootstrap { label in
            // Control characters in messages and metadata are escaped (no forged log lines).
            if journal {
                var handler = EscapingLogHandler(JournalLogHandler(label: label))
                handler.logLevel = level
                return handler
            }
            var handler = EscapingLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        return Logger(label: "reportd")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Says on standard error that no report is named `name` (`valid` when reports with errors were left
/// out), with the closest configured name when one is close.
func sayNoReport(_ name: String, among known: [String], valid: Bool = true) {
    var message = "reportd: no \(valid ? "valid " : "")report named '\(name)'"
    if let guess = closestMatch(to: name, among: known) { message += " (did you mean '\(guess)'?)" }
    writeStandardError(message + "\n")
}

/// Writes diagnostics to standard error, one per line.
func printDiagnostics(_ diagnostics: [Diagnostic]) {
    for d in diagnostics { writeStandardError(d.description + "\n") }
}

/// The built-in calculators, plus the plugins of the daemon config at `configPath` when given.
func calculatorRegistry(configPath: String?) throws -> CalculatorRegistry {
    guard let configPath else { return BuiltinCalculators.registry }
    let (daemon, diagnostics) = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()).loadDaemon(
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
