import Dispatch
#if canImport(Glibc)
    import Glibc
#endif
public import Foundation
public import Logging
public import ReportCore
import ReportConfig
public import ReportState
public import ReportRun
public import ReportCluster

/// Performs runs for the scheduler.
public protocol RunExecutor: Sendable {
    /// Runs `request`; returns its outcome (with `error` set when it failed). Must return promptly
    /// once `control` is stopped, and must not publish after that.
    func execute(_ request: RunRequest, control: RunControl) async -> RunResult
}

/// Runs reports with `ReportRunner`: read the dataset, compute, publish.
public struct ReportRunExecutor: RunExecutor {
    let logger: Logger
    let cache: DatasetCache?
    /// Runs that were stopped (timed out) but whose work has not returned yet, by report: their
    /// thread is still blocked (a read from a hung NFS mount, say).
    let unreturned = Locked<[String: (slot: Date, since: Date)]>([:])
    /// The database snapshots that the reports of one slot share while they read.
    let snapshots = DatasetSnapshots()

    /// The cluster this node belongs to (`cluster:`): each slot is claimed there before it runs,
    /// and published only while the claim holds (`ClusterRun`); nil: a single node.
    let cluster: ClusterStore?

    /// - Parameter cache: datasets kept between runs; `nil` reads them every run.
    public init(logger: Logger, cache: DatasetCache? = nil, cluster: ClusterStore? = nil) {
        self.logger = logger
        self.cache = cache
        self.cluster = cluster
    }

    public func execute(_ request: RunRequest, control: RunControl) async -> RunResult {
        var log = logger
        log[metadataKey: "run.trigger"] = "\(request.trigger.rawValue)"
        if request.attempt > 0 { log[metadataKey: "run.attempt"] = "\(request.attempt + 1)" }
        var configured = ReportRunner(config: request.daemon, logger: log)
        configured.cache = cache
        configured.snapshots = snapshots
        // A manual `reportd run` of the same report finishes first; the timeout still applies.
        configured.lockMode = .wait
        // On a cluster node, split slugs and `changed` fingerprints are the cluster's, not this node's.
        if let cluster { configured.memory = ClusterReportMemory(store: cluster) }
        let runner = configured
        let started = Date()
        let name = request.report.name
        // A stopped run whose work never returned still holds its thread: another run of the
        // report would block a second one, and so on at every slot until the daemon ran out of
        // threads (issue 13: ~257 threads, then nothing ran). The report waits for it instead.
        if let left = unreturned.withLock({ $0[name] }) {
            let zone = TimeZone(identifier: request.report.timezone) ?? TimeZone(identifier: "UTC")!
            let slot = SlotTime(date: left.slot, timeZone: zone).iso8601
            return RunResult(
                request, started: started,
                error:
                    "not started: the run of the slot \(slot), stopped \(Int(started.timeIntervalSince(left.since)))s "
                    + "ago, has still not returned (a read that blocks, such as a hung network mount?)")
        }
        let unreturned = self.unreturned
        return await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            let returned = Locked(false)
            control.onStop { reason in
                unreturned.withLock { runs in
                    if !returned.withLock({ $0 }) { runs[name] = (request.slot, Date()) }
                }
                once.resume(RunResult(request, started: started, error: "stopped: \(reason)", failure: .stopped))
            }
            // Reading files and computing block a thread; a dispatch thread keeps them off the
            // cooperative pool, so the scheduler, reloads and signals stay responsive meanwhile.
            let (cluster, runLog) = (self.cluster, log)
            DispatchQueue.global().async {
                let outcome =
                    if let cluster {
                        ClusterRun(store: cluster, request: request, control: control, logger: runLog).run { gate in
                            runner.runOne(
                                request.report, slot: request.slot, columns: request.columns,
                                shouldPublish: { !control.isStopped }, gate: gate)
                        }
                    } else {
                        runner.runOne(
                            request.report, slot: request.slot, columns: request.columns,
                            shouldPublish: { !control.isStopped })
                    }
                unreturned.withLock { runs in
                    returned.withLock { $0 = true }
                    if runs[name]?.slot == request.slot { runs[name] = nil }
                }
                once.resume(outcome)
                // A run frees its dataset (unless the cache keeps it), but glibc may keep the freed
                // pages in its arenas (issue 13 saw an idle daemon at 2–3 GB after runs over a
                // 1.8 GB dataset with `dataset_cache: 0`): give them back to the system.
                // bench/idle-after-run.sh measures the effect (RELIABILITY.md).
                Self.returnFreedMemory()
            }
        }
    }
}

extension RunResult {
    /// The outcome of `request` that ended before the run could say more (stopped, or a test's).
    public init(_ request: RunRequest, started: Date, error: String?, failure: RunFailure? = nil) {
        let zone = TimeZone(identifier: request.report.timezone) ?? TimeZone(identifier: "UTC")!
        self.init(
            report: request.report.name, slot: SlotTime(date: request.slot, timeZone: zone).iso8601,
            slotDate: request.slot, started: started, duration: Date().timeIntervalSince(started), error: error)
        self.failure = error == nil ? nil : failure
    }
}

extension ReportRunExecutor {
    /// glibc's `malloc_trim`, looked up once: Swift's Glibc module does not import `<malloc.h>`.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()

    /// Returns the allocator's free pages to the system (`malloc_trim(0)`).
    static func returnFreedMemory() {
        _ = mallocTrim?(0)
    }
}
