import ArgumentParser
import CSignalGuard
import Foundation
import ReportCluster
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

    @Flag(
        name: .long,
        help: "Also connect to each database dataset's server and check its table or query and columns (reads no row).")
    var connect = false

    func run() throws {
        let configuration = options.load(connecting: connect)
        printDiagnostics(configuration.diagnostics)
        var errors = configuration.errors.count
        let daemon = configuration.daemon
        for dataset in daemon?.datasets ?? [] {
            guard let kind = daemon?.sources.kind(for: dataset.format), type(of: kind).isServer else { continue }
            if connect {
                if let problem = kind.checkConnection(dataset) {
                    writeStandardError(problem.description + "\n")
                    errors += 1
                }
            } else if dataset.schemaDeferred {
                print(
                    "note: dataset '\(dataset.name)' has no schema file: its columns come from the server, "
                        + "and the reports' use of them is checked by 'validate --connect' (and at each run)")
            }
        }
        // `cluster.url` read in full by the PostgreSQL client (sslmode, port…), located.
        if let cluster = daemon?.cluster, let problem = ClusterStore.problem(inURL: cluster.url) {
            let at = cluster.urlLocation
            writeStandardError(
                Diagnostic(
                    file: at?.file ?? cluster.url, line: at?.line ?? 0, column: at?.column ?? 0,
                    message: "'cluster.url': \(problem)"
                ).description + "\n")
            errors += 1
        }
        guard errors == 0 else {
            writeStandardError("\(errors) error\(errors == 1 ? "" : "s") found\n")
            throw ExitCode(1)
        }
        let datasets = configuration.daemon?.datasets.count ?? 0
        print("OK: \(configuration.reports.count) reports, \(datasets) dataset\(datasets == 1 ? "" : "s")")
    }
}
