import Foundation

/// The work that the reports of one run over one table have in common, done once for all of them.
///
/// Why it exists: a run of many reports over one dataset (100 reports at 10M rows) made every
/// report evaluate its filter, compute a group id per row and pass over the columns for each
/// metric, even where another report of the run did exactly the same. Here, within one run:
/// - the rows a filter keeps are found once per distinct filter (and split by period range once
///   per distinct filter and ranges);
/// - the group ids once per distinct (rows, `group_by`);
/// - a metric's values once per distinct (rows, `group_by`, calculator, parameters), and its
///   total once per distinct (rows, calculator, parameters), for calculators whose results are a
///   function of their input alone (`PureCalculator`: the built-ins, never an external plugin).
///
/// Each piece of work is a pure function of its key and of the table this was made for, so a
/// shared result is the very value the report would have computed alone: results are the same to
/// the byte. A table other than this one's (another dataset, another read) is never served
/// (`serving(_:)`).
///
/// Memory: only work that the plan (`uses`) says two or more computations need is kept, and it is
/// dropped when its last planned user has taken it; the rest is computed where it is needed, as
/// without sharing. The plan only decides what is kept: a use it did not foresee is computed
/// afresh, never served something else.
///
/// Reports compute side by side (`DispatchQueue.concurrentPerform`): a report that needs work
/// another report is doing waits for it. The work itself never waits for other shared work (each
/// piece is handed what it depends on), so waits cannot form a cycle.
public final class SharedWork: Sendable {
    /// The rows a piece of work is over: those a filter keeps (all rows without one), within one
    /// period range of a date column or not.
    struct Scope: Hashable, Sendable {
        var filter: CompiledFilter.Node?
        var range: DateRange? = nil
    }

    struct DateRange: Hashable, Sendable {
        var column: String
        var low: Int32
        var high: Int32
    }

    /// One piece of work.
    enum Key: Hashable, Sendable {
        /// The rows a filter keeps: `[Int]`.
        case rows(CompiledFilter.Node)
        /// A period's rows per range and the rows without a date: `PeriodRows`.
        case periodRows(filter: CompiledFilter.Node?, column: String, bounds: [Int32])
        /// The group of each row: `Grouping`.
        case groups(Scope, groupBy: [String])
        /// A metric's value per group: `[Value]`.
        case values(Scope, groupBy: [String], calc: String, parameters: MetricParameters)
        /// A metric over all the rows (the totals row): `Value`.
        case total(Scope, calc: String, parameters: MetricParameters)
    }

    struct PeriodRows: Sendable {
        var rowsByRange: [[Int]]
        var outside: Int
    }

    struct Grouping: Sendable {
        var rows: GroupedRows
        var firstRows: [Int]
    }

    /// One piece of work being done or done.
    private final class Cell: @unchecked Sendable {
        private let condition = NSCondition()
        private var result: Any?

        func fulfill(_ value: Any) {
            condition.lock()
            result = value
            condition.broadcast()
            condition.unlock()
        }

        func wait() -> Any {
            condition.lock()
            defer { condition.unlock() }
            while result == nil { condition.wait() }
            return result!
        }
    }

    private struct State {
        /// Uses the plan foresees that have not happened yet, for work used more than once.
        var remaining: [Key: Int]
        var cells: [Key: Cell] = [:]
        var computed = 0
        var served = 0
    }

    /// The work one computation of a report may share (`ReportEngine.sharedWork(for:on:slot:in:)`).
    public struct Plan: Sendable {
        /// Each piece once per use.
        var keys: [Key]
    }

    private let table: TableIdentity
    private let state: Locked<State>

    /// Work for the computations over `table` that `plans` list.
    public init(table: Table, plans: [Plan]) {
        self.table = table.identity
        var counts: [Key: Int] = [:]
        for plan in plans {
            for key in plan.keys { counts[key, default: 0] += 1 }
        }
        state = Locked(State(remaining: counts.filter { $0.value > 1 }))
    }

    /// This, when it was made for `table`; nil for any other table.
    func serving(_ table: Table) -> SharedWork? { table.identity === self.table ? self : nil }

    /// How many pieces of work were computed for sharing and how many uses were served one
    /// already computed, so far.
    public var statistics: (computed: Int, served: Int) { state.withLock { ($0.computed, $0.served) } }

    /// The result of the work `key`: computed by `make` here, or taken from the report that
    /// computed it (waiting for it to finish). A failure is shared as a result is.
    func value<T, E: Error>(_ key: Key, _ make: () throws(E) -> T) throws(E) -> T {
        let (cell, mine): (Cell?, Bool) = state.withLock { s in
            guard let left = s.remaining[key] else { return (nil, true) }
            if left == 1 { s.remaining[key] = nil } else { s.remaining[key] = left - 1 }
            if let cell = s.cells[key] {
                s.served += 1
                if left == 1 { s.cells[key] = nil }
                return (cell, false)
            }
            // The first of several uses: the others find the cell and wait for its result.
            s.computed += 1
            let cell = Cell()
            s.cells[key] = cell
            return (cell, true)
        }
        guard let cell else { return try make() }
        let result: Result<T, E>
        if mine {
            result = Result { () throws(E) -> T in try make() }
            cell.fulfill(result)
        } else {
            result = cell.wait() as! Result<T, E>
        }
        return try result.get()
    }
}

/// A calculator whose results are a function of its input alone (the table's cells, the groups,
/// the parameters): no process, no state, no clock. The engine computes such a metric once for
/// every report of a run that asks for it over the same rows and groups (`SharedWork`), and its
/// total as `compute` over all the rows as one group (the default `computeWithTotal`).
///
/// The built-in calculators are; an external plugin never is.
public protocol PureCalculator: Calculator {}
