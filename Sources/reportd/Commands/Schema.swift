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

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the JSON Schema of report definitions, for editors (yaml-language-server).")

    @Option(help: "A daemon config whose plugins' calculators the schema should also know.")
    var config: String?

    func run() throws {
        print(ReportJSONSchema.make(calculators: try calculatorRegistry(configPath: config)))
    }
}
