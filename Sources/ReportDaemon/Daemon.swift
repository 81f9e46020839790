import Foundation
public import Logging
public import ReportCore
import ReportConfig
public import ServiceLifecycle
import ReportFiles
import ReportState
import ReportPublish
import ReportPlugins
import ReportRun
import ReportCluster

/// Builds the daemon `reportd serve` runs: the scheduler in a service group that shuts down
/// gracefully on SIGTERM and SIGINT (SIGHUP reloads, inside the scheduler).
///
/// - Throws: `ConfigError` when the daemon config is invalid (invalid report files are logged and
///   left out; the daemon starts with the valid ones); `PresenceError` when another daemon runs
///   with the same state folder, or a `PublishError` when its pid file cannot be written.
public func buildDaemon(
    configPath: String, calculators: CalculatorRegistry, writers: WriterRegistry, sources: SourceRegistry, logger: Logger, clock: any WallClock = SystemClock()
) throws -> ServiceGroup {
    // The version and the config file, absolute: the first things to know when reading a log.
    let configFile = URL(fileURLWithPath: configPath).standardizedFileURL.path
    logger.notice(
        "reportd \(ReportdVersion.current) starting with the config \(configFile)",
        metadata: ["version": "\(ReportdVersion.current)", "config.file": "\(configFile)"])
    var configured = ConfigLoader(calculators: calculators, writers: writers, sources: sources, plugins: PluginLoader.starter(logger: logger))
    // A hung plugin must not delay READY, a reload, or the reports that do not use it: the daemon
    // waits this long for the handshakes, and reloads when a plugin answers later.
    let lateHello = LateHello()
    configured.handshakeWait = 3
    // A database dataset given no schema file is typed from the server's catalog at each load.
    configured.readsServerCatalogs = true
    // One that cannot be read (its server down at boot) leaves out only its reports, and the
    // daemon loads again until it can; a reload that cannot read it keeps the schema read before.
    configured.waitsForCatalogs = true
    configured.catalogs = CatalogMemory()
    configured.lateHello = { lateHello.fire() }
    let loader = configured
    let (loaded, files, diagnostics) = loader.loadFiles(configPath: configPath)
    guard let daemon = loaded else { throw ConfigError(diagnostics) }
    for d in diagnostics + files.flatMap(\.diagnostics) {
        // A warning (a schedule that shifts in summer, `L * mon-fri`) leaves the report valid.
        logger.log(
            level: d.severity == .warning ? .warning : .error, "\(d.description)",
            metadata: ["config.file": "\(d.file)"])
    }
    let (reports, changes) = ReportSet.loading(daemon: daemon, files: files, now: clock.now())
    let zone = TimeZone(identifier: daemon.timezone) ?? TimeZone(identifier: "UTC")!
    for state in changes.files where !state.condition.isHealthy {
        var metadata: Logger.Metadata = ["config.file": "\(state.file)"]
        if let name = state.report { metadata["report.name"] = "\(name)" }
        logger.warning("\(state.reason(in: zone) ?? "")", metadata: metadata)
    }
    logger.notice("\(changes.summary(initial: true))")
    // Claimed before anything runs: two daemons on one state folder would run every report twice.
    let presence = try DaemonPresence.claim(stateDirectory: daemon.stateDirectory, config: configPath)
    // Several nodes (`cluster:`): slots are claimed in the cluster's database, and the scheduler
    // keeps the database's time.
    var schedulerClock = clock
    var agent: ClusterAgent?
    var clusterStore: ClusterStore?
    if let cluster = daemon.cluster {
        if let problem = ClusterStore.problem(inURL: cluster.url) {
            let at = cluster.urlLocation
            throw ConfigError([
                Diagnostic(
                    file: at?.file ?? daemon.file, line: at?.line ?? 0, column: at?.column ?? 0,
                    message: "'cluster.url': \(problem)")
            ])
        }
        let store = ClusterStore(
            url: cluster.url, passwordFile: cluster.passwordFile, node: cluster.node, lease: cluster.lease,
            version: ReportdVersion.current)
        let made = ClusterAgent(store: store, localNow: { clock.now() })
        if !made.measure() {
            logger.error(
                "the cluster database does not answer yet: no slot runs until it does",
                metadata: ["cluster.node": "\(cluster.node)"])
        }
        schedulerClock = ClusterClock(node: clock, agent: made)
        agent = made
        clusterStore = store
        logger.notice(
            "cluster node '\(cluster.node)' (lease \(cluster.lease)s)",
            metadata: ["cluster.node": "\(cluster.node)", "cluster.lease": "\(cluster.lease)"])
    }
    let scheduler = SchedulerService(
        reports: reports, clock: schedulerClock,
        executor: ReportRunExecutor(
            logger: logger, cache: daemon.datasetCacheMiB > 0 ? DatasetCache(limitMiB: daemon.datasetCacheMiB) : nil,
            cluster: clusterStore),
        store: StateStore(directory: daemon.stateDirectory),
        reloader: { loader.loadFiles(configPath: configPath) },
        presence: presence, logger: logger, clusterAgent: agent)
    lateHello.whenFired { [weak scheduler] in
        logger.notice("a plugin answered its hello after the load: reloading")
        scheduler?.requestReload()
    }
    return ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [.init(service: scheduler)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
}

/// A plugin's late hello, which may come before the scheduler that reloads on it exists.
final class LateHello: Sendable {
    private struct State {
        var fired = false
        var handler: (@Sendable () -> Void)?
    }

    private let state = Locked(State())

    func fire() {
        let handler = state.withLock { s in
            s.fired = true
            return s.handler
        }
        handler?()
    }

    func whenFired(_ handler: @escaping @Sendable () -> Void) {
        let fired = state.withLock { s in
            s.handler = handler
            return s.fired
        }
        if fired { handler() }
    }
}
