import Foundation
import Logging
import ReportCore
import ReportIO
import ServiceLifecycle

/// Builds the daemon `reportd serve` runs: the scheduler in a service group that shuts down
/// gracefully on SIGTERM and SIGINT (SIGHUP reloads, inside the scheduler).
///
/// - Throws: `ConfigError` when the daemon config is invalid (invalid report files are logged and
///   left out; the daemon starts with the valid ones); `PresenceError` when another daemon runs
///   with the same state folder, or a `PublishError` when its pid file cannot be written.
public func buildDaemon(
    configPath: String, calculators: CalculatorRegistry, logger: Logger, clock: any WallClock = SystemClock()
) throws -> ServiceGroup {
    let loader = ConfigLoader(calculators: calculators, logger: logger)
    let (loaded, files, diagnostics) = loader.loadFiles(configPath: configPath)
    guard let daemon = loaded else { throw ConfigError(diagnostics) }
    for d in diagnostics + files.flatMap(\.diagnostics) {
        // A warning (a schedule that shifts in summer, `L * mon-fri`) leaves the report valid.
        logger.log(
            level: d.severity == .warning ? .warning : .error, "\(d.description)",
            metadata: ["config.file": "\(d.file)"])
    }
    // Claimed before anything runs: two daemons on one state folder would run every report twice.
    let presence = try DaemonPresence.claim(stateDirectory: daemon.stateDirectory, config: configPath)
    let scheduler = SchedulerService(
        reports: ReportSet(daemon: daemon, reports: files.compactMap(\.report)), clock: clock,
        executor: ReportRunExecutor(
            logger: logger, cache: daemon.datasetCacheMiB > 0 ? DatasetCache(limitMiB: daemon.datasetCacheMiB) : nil),
        store: StateStore(directory: daemon.stateDirectory),
        reloader: { loader.loadFiles(configPath: configPath) },
        presence: presence, logger: logger)
    return ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [.init(service: scheduler)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
}
