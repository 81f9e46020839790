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
import ReportWriters
import ReportSources

#if canImport(Glibc)
    import Glibc
#endif

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
        do {
            // Tests only: a node whose clock is off by this many seconds (`cluster:` corrects it by
            // the database's clock).
            let offset = ProcessInfo.processInfo.environment["REPORTD_TEST_CLOCK_OFFSET"].flatMap(Double.init)
            group = try buildDaemon(configPath: options.path, calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry,
                logger: logger, clock: offset.map { ShiftedClock(offset: $0) } ?? SystemClock())
        } catch let error as ConfigError {
            printDiagnostics(error.diagnostics)
            throw ExitCode(1)
        } catch {
            writeStandardError("reportd: \(error)\n")
            throw ExitCode(1)
        }
        try await group.run()
    }
}
