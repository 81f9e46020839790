import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle
import ReportWriters
import ReportSources
import ReportPlugins

#if canImport(Glibc)
    import Glibc
#endif

struct Calculators: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Lists every calculator, built-in and from the config's plugins, with its parameters and provider; exits 1 when a plugin failed to load."
    )

    @Option(
        help:
            "The daemon config whose plugins to include (default: $REPORTD_CONFIG, then /etc/reportd/reportd.yaml if it exists)."
    )
    var config: String?

    func run() throws {
        let path =
            config ?? ProcessInfo.processInfo.environment["REPORTD_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: "/etc/reportd/reportd.yaml") ? "/etc/reportd/reportd.yaml" : nil)
        var registry = BuiltinCalculators.registry
        var pluginFailed = false
        if let path {
            let (daemon, diagnostics) = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()).loadDaemon(
                configPath: path)
            printDiagnostics(diagnostics)
            guard let daemon else { throw ExitCode(2) }
            registry = daemon.calculators
            // A plugin that failed its handshake: its calculators are missing from the list, and a
            // script checking the list must not take it as complete.
            pluginFailed = diagnostics.contains { $0.severity == .error }
        }
        for d in registry.descriptors {
            print("\(d.name) — \(d.summary) [\(d.provider)]")
            if d.parameters.isEmpty { print("    (no parameters)") }
            for p in d.parameters {
                print("    \(p.name): \(p.kindDescription), \(p.required ? "required" : "optional") — \(p.summary)")
            }
        }
        if pluginFailed { throw ExitCode(1) }
    }
}
