import Dispatch
import Foundation

/// Runs `body(i)` for every `i` of `0..<count` on the calling thread, helped by the threads of the
/// global pool that are free meanwhile; returns when every `body(i)` has returned.
///
/// Why (issue 20): a run's reports compute side by side, one per core
/// (`DispatchQueue.concurrentPerform` in the runner), and a report much costlier than the others
/// (the median and 90th percentile of 10M values) was left computing alone on one core while the
/// other had nothing to do: about a third of the report phase of the 10M-row benchmark.
/// `concurrentPerform` called inside another runs serially (libdispatch divides the width among
/// the nested calls), so work inside a report is shared this way instead: helpers are offered to
/// the pool; one that starts while items are left takes some, one that starts after the last
/// item was taken returns at once. The caller never waits for a helper to start, only for items
/// a helper took to finish.
///
/// Each item must depend on nothing another item writes, so the outcome does not depend on which
/// thread ran what.
package enum HelpedLoop {
    package static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let helpers = min(count, ProcessInfo.processInfo.activeProcessorCount) - 1
        guard helpers > 0 else {
            for i in 0..<count { body(i) }
            return
        }
        let job = Job(count: count, body: body)
        for _ in 0..<helpers { DispatchQueue.global().async { job.work() } }
        job.work()
        job.waitUntilDone()
    }

    private final class Job: @unchecked Sendable {
        private let condition = NSCondition()
        private var next = 0
        private var done = 0
        private let count: Int
        private let body: @Sendable (Int) -> Void

        init(count: Int, body: @escaping @Sendable (Int) -> Void) {
            self.count = count
            self.body = body
        }

        private func take() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            guard next < count else { return nil }
            next += 1
            return next - 1
        }

        func work() {
            while let i = take() {
                body(i)
                condition.lock()
                done += 1
                if done == count { condition.broadcast() }
                condition.unlock()
            }
        }

        func waitUntilDone() {
            condition.lock()
            while done < count { condition.wait() }
            condition.unlock()
        }
    }
}
