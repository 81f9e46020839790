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

#if canImport(Glibc)
    import Glibc
#endif

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the JSON Schema of report definitions, for editors (yaml-language-server).",
        discussion: """
            Without --config, `calc` completes to the built-in calculators and admits any other name \
            (a plugin's); with --config, it lists the config's plugin calculators too and admits no other.
            """)

    @Option(help: "A daemon config whose plugins' calculators the schema should also know.")
    var config: String?

    func run() throws {
        print(ReportJSONSchema.make(
                calculators: try calculatorRegistry(configPath: config), formats: BuiltinWriters.registry.formats,
                complete: config != nil))
    }
}
