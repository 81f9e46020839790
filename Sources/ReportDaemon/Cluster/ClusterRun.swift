import Foundation
import Logging
import ReportCore
import ReportCluster
import ReportPublish
import ReportState

/// One run of a slot on a cluster node: claim the slot, take the report's lock across the cluster,
/// run, and publish only through the gate that marks the slot done while the claim still holds.
///
/// Runs on the run's dispatch thread (every step may block on the database for its deadline).
struct ClusterRun {
    let store: ClusterStore
    let request: RunRequest
    let control: RunControl
    let logger: Logger

    /// Runs `body` (the report's run, given the publish gate) if this node wins the slot.
    func run(_ body: (@escaping PublishGate) -> RunResult) -> RunResult {
        let started = Date()
        let name = request.report.name
        // 1. The slot's claim.
        var claim: SlotClaim?
        while claim == nil {
            switch Result(catching: { () throws(ClusterError) in try store.claim(report: name, slot: request.slot) }) {
            case .failure(let error):
                return skipped(.unreachable(error.message), started: started)
            case .success(.claimed(let won)):
                claim = won
            case .success(.elsewhere(let node, let done)):
                return skipped(.elsewhere(node: node, done: done), started: started)
            case .success(.early(let seconds)):
                // Only before the node's clock is corrected by the database's (start-up).
                if control.isStopped { return stopped(started) }
                Thread.sleep(forTimeInterval: min(max(seconds, 0.05), 5))
            }
        }
        let won = claim!
        // 2. The report's lock across the cluster: one run of a report at a time, on any node,
        // `reportd run` included.
        var lock: ClusterLock?
        while lock == nil {
            if control.isStopped {
                try? store.release(won)
                return stopped(started)
            }
            switch Result(catching: { () throws(ClusterError) in try store.lock(report: name) }) {
            case .failure(let error):
                try? store.release(won)
                return skipped(.unreachable(error.message), started: started)
            case .success(.taken(let taken)):
                lock = taken
            case .success(.held):
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        defer { try? store.unlock(lock!) }
        // 3. The run, published only if the claim still holds when its files are ready.
        let lost = Locked<String?>(nil)
        let passed = Locked(false)
        let (shared, lease) = (self.store, self.store.lease)
        let gate: PublishGate = {
            let why: String
            do throws(ClusterError) {
                if try shared.complete(won) {
                    passed.withLock { $0 = true }
                    return
                }
                why = "another node took the slot over (this node was silent past its lease of \(lease)s)"
            } catch {
                why = "the cluster database did not confirm the claim (\(error.message))"
            }
            lost.withLock { $0 = why }
            throw RunError(report: name, message: "not published: \(why)", kind: .stopped)
        }
        var outcome = body(gate)
        outcome.node = store.node
        if let why = lost.withLock({ $0 }) {
            outcome.skipped = .lostClaim(why)
            return outcome
        }
        if !outcome.succeeded {
            // With a retry to come, the claim waits for it, and lapses to any node a lease after
            // the retry is due (this node may die, restart or stop before then).
            try? store.release(won, retryIn: SchedulerCore.retryDelay(after: request, failure: outcome.failure))
            return outcome
        }
        // The gate marked the slot `publishing` before the files were renamed; they are in place
        // now: the slot is done. The run succeeded whatever the database says now: it may have gone
        // down since (the store marks the slot done at its next heartbeat; calling a published slot
        // lost would leave no node recording its success).
        if passed.withLock({ $0 }) {
            finish(won)
            return outcome
        }
        // A run that published nothing (`publish_when` false) never asked the gate: the slot is
        // marked done here.
        do throws(ClusterError) {
            if try !store.complete(won) {
                outcome.skipped = .lostClaim(
                    "another node took the slot over (this node was silent past its lease of \(lease)s)")
                return outcome
            }
        } catch {
            outcome.skipped = .lostClaim("the cluster database did not confirm the claim (\(error.message))")
            return outcome
        }
        finish(won)
        return outcome
    }

    /// Marks the published slot done (`ClusterStore.finish`), saying so when it cannot.
    private func finish(_ claim: SlotClaim) {
        do throws(ClusterError) {
            if try !store.finish(claim) {
                let why =
                    "published, but another node took the slot over meanwhile (this node was silent past its lease of "
                    + "\(store.lease)s while publishing): that node publishes the slot again"
                logger.warning(
                    "\(why)",
                    metadata: ["report.name": "\(claim.report)"])
            }
        } catch {
            logger.warning(
                "published; the cluster database did not confirm it (\(error.message)): marked done at the next heartbeat",
                metadata: ["report.name": "\(claim.report)"])
        }
    }

    private func skipped(_ why: RunSkip, started: Date) -> RunResult {
        var outcome = RunResult(request, started: started, error: nil)
        outcome.skipped = why
        outcome.node = store.node
        return outcome
    }

    private func stopped(_ started: Date) -> RunResult {
        var outcome = RunResult(
            request, started: started, error: "stopped: \(control.stopReason ?? "stopped")", failure: .stopped)
        outcome.node = store.node
        return outcome
    }
}
