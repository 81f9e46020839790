import Foundation
import ReportCore
import ReportConfig
import ReportCluster
import ReportFiles

/// `reportd run` on a cluster node (`cluster:`): the reports' locks are taken in the cluster's
/// database, so that a manual run and every node's runs of a report never overlap, whichever
/// machine they run on. Held while the run lasts, their lease renewed by a thread of their own.
final class ClusterRunLocks: @unchecked Sendable {
    // @unchecked: `locks` is written before the renewing thread starts and read after it stops;
    // `stopped` is behind its lock.
    let store: ClusterStore
    private(set) var locks: [ClusterLock] = []
    private let stopped = Locked(false)

    private init(store: ClusterStore) { self.store = store }

    /// Takes the lock of each of `reports`; with `wait`, waits for the holders. Nil and a message
    /// when a lock is held (without `wait`) or the database does not answer.
    static func take(_ settings: ClusterSettings, reports: [String], wait: Bool) -> (ClusterRunLocks?, String?) {
        let held = ClusterRunLocks(store: ClusterView.store(settings))
        var said = false
        for report in reports {
            while true {
                switch Result(catching: { () throws(ClusterError) in try held.store.lock(report: report) }) {
                case .failure(let error):
                    held.release()
                    return (nil, "cannot take the report '\(report)''s lock in the cluster's database: \(error.message)")
                case .success(.taken(let lock)):
                    held.locks.append(lock)
                case .success(.held(let node, let pid)):
                    guard wait else {
                        held.release()
                        return (
                            nil,
                            "report '\(report)' is being run by node '\(node)' (pid \(pid)) of the cluster; "
                                + "use --wait to wait for it"
                        )
                    }
                    if !said {
                        writeStandardError("reportd: waiting for node '\(node)' (pid \(pid)) to finish '\(report)'\n")
                        said = true
                    }
                    Thread.sleep(forTimeInterval: 0.2)
                    continue
                }
                break
            }
        }
        let interval = min(5, max(0.25, Double(settings.lease) / 4))
        let thread = Thread { [held] in
            while !held.stopped.withLock({ $0 }) {
                for lock in held.locks { try? held.store.renew(lock) }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.start()
        return (held, nil)
    }

    /// Gives the locks back.
    func release() {
        stopped.withLock { $0 = true }
        for lock in locks { try? store.unlock(lock) }
        store.disconnect()
    }
}
