import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ReportCore

/// `HelpedLoop` (issue 20): every item runs exactly once and the call returns only when all have,
/// also when it is called from inside `concurrentPerform` with every pool thread busy, and the
/// median and percentiles computed with it are those of the plain path to the bit.
@Suite struct HelpedLoopTests {
    @Test(arguments: [0, 1, 2, 3, 17, 1_000])
    func everyItemRunsOnceBeforeTheCallReturns(count: Int) {
        let runs = Locked([Int](repeating: 0, count: count))
        HelpedLoop.run(count) { i in
            // Slow items, so that helpers that start late find items taken and items in progress.
            if i % 3 == 0 { usleep(200) }
            runs.withLock { $0[i] += 1 }
        }
        #expect(runs.withLock { $0 } == [Int](repeating: 1, count: count))
    }

    @Test func nestedInsideConcurrentPerformItCompletes() {
        let outer = 2 * ProcessInfo.processInfo.activeProcessorCount + 1
        let totals = Locked([Int](repeating: 0, count: outer))
        DispatchQueue.concurrentPerform(iterations: outer) { o in
            let seen = Locked(Set<Int>())
            HelpedLoop.run(50) { i in
                usleep(50)
                seen.withLock { _ = $0.insert(i) }
            }
            let count = seen.withLock { $0.count }
            totals.withLock { $0[o] = count }
        }
        #expect(totals.withLock { $0 } == [Int](repeating: 50, count: outer))
    }

    /// Batches of 1M values and more are selected group by group on the pool: the same bits as
    /// each group's `Statistics.percentile`, for every batch size.
    @Test func aLargeBatchGivesEachGroupsPercentiles() {
        var g = SeededGenerator(seed: 20)
        let table = EngineFastPathTests.table(
            &g, rows: (1 << 20) + 5_000, range: -300...40_000, required: false, keys: 6)
        let grouping = EngineFastPathTests.grouped(&g, table, subset: false, width: 0)
        let lists = EngineFastPathTests.plainGroups(grouping)
        let ps: [Double] = [50, 90, 33.3]
        for name in ["v", "d"] {
            let column = table.column(name)!
            let plain = ps.map { p in lists.map { Statistics.percentile(column.doubles(rows: $0), p: p) } }
            for budget in [1 << 24, 300_000] {
                let got = grouping.percentiles(column, ps: ps, budget: budget)
                #expect(got.map { $0.map { $0?.bitPattern } } == plain.map { $0.map { $0?.bitPattern } }, "\(name) \(budget)")
            }
        }
    }
}
