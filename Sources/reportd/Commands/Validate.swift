import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks the daemon config, every report, the schemas and the calculators, without running anything.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = options.load()
        printDiagnostics(configuration.diagnostics)
        guard configuration.isValid else {
            let count = configuration.errors.count
            writeStandardError("\(count) error\(count == 1 ? "" : "s") found\n")
            throw ExitCode(1)
        }
        let datasets = configuration.daemon?.datasets.count ?? 0
        print("OK: \(configuration.reports.count) reports, \(datasets) dataset\(datasets == 1 ? "" : "s")")
    }
}
