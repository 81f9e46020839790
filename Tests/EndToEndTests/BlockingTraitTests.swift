import Dispatch
import Foundation
import Testing
import TestSupport

/// The `.blocking` trait keeps blocking tests off Swift's cooperative pool (Tests/Support/OffThePool.swift).
@Suite(.blocking) struct BlockingTraitTests {
    @Test func aBlockingSuitesTestsRunOnThreadsOfTheirOwn() {
        #expect(onThreadPerJobExecutor())
    }

    /// More blocking waits than the machine has cores are all in progress at once: each waits for
    /// the others to start. On the cooperative pool (one thread per core) the last ones could not
    /// start until the first ones gave up, and every wait would time out.
    @Test func moreBlockingWaitsThanCoresAllProgress() async {
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        let arrived = DispatchSemaphore(value: 0)
        let everyone = DispatchSemaphore(value: 0)
        let met = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    arrived.signal()
                    return everyone.wait(timeout: .now() + 30) == .success
                }
            }
            group.addTask {
                for _ in 0..<count where arrived.wait(timeout: .now() + 30) == .timedOut { return false }
                for _ in 0..<count { everyone.signal() }
                return true
            }
            var all = true
            for await one in group { all = all && one }
            return all
        }
        #expect(met)
    }
}
