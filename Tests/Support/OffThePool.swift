import Foundation
import Synchronization
import Testing

// Why this exists: Swift Testing runs every test body on Swift's cooperative pool, which has one
// thread per core (two on the CI machine). The end-to-end, database and mail tests block their
// thread for seconds at a time (a `reportd` process, a server, a file lock), and when two of them
// held both threads, every other test's awaits queued behind them: under load the scheduler tests
// timed out after 120 s all at once, and one full run stopped making progress altogether. A suite
// marked `.blocking` runs its tests on threads of their own instead, a few at a time, and leaves
// the cooperative pool to the tests (and the code under test) that never block.

/// Runs each job on a new thread: a test body that blocks holds only its own thread. Jobs are the
/// stretches of a test between two suspensions, so a test makes a handful of them; what starting a
/// thread costs (tens of microseconds) does not matter next to what these tests wait for.
public final class ThreadPerJobExecutor: TaskExecutor {
    public static let shared = ThreadPerJobExecutor()
    /// The key its threads carry in their thread dictionary.
    static let threadMark = "reportd.tests.thread-per-job"

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread {
            Thread.current.threadDictionary[Self.threadMark] = true
            job.runSynchronously(on: executor)
        }
        thread.start()
    }
}

/// At most `width` holders at once; the others wait suspended (holding no thread) in arrival order.
public final class AsyncGate: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(width: Int) { state = Mutex(State(free: width)) }

    public func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { s -> Bool in
                if s.free > 0 {
                    s.free -= 1
                    return true
                }
                s.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    public func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty {
                s.free += 1
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// Runs a suite's (or a test's) cases off the cooperative pool, on threads of their own, at most
/// `BlockingTests.width` at a time across the whole test run.
public struct BlockingTests: SuiteTrait, TestTrait, TestScoping {
    /// How many blocking tests run at once. They mostly wait for processes and servers, so a few
    /// more than the two cores keeps the machine busy without starving the tests' own deadlines.
    public static let width = 4
    static let gate = AsyncGate(width: width)

    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> BlockingTests? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await Self.gate.enter()
        defer { Self.gate.leave() }
        try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
    }
}

extension Trait where Self == BlockingTests {
    /// The suite's tests block their thread (processes, servers, locks, sleeps): run them off
    /// Swift's cooperative pool.
    public static var blocking: Self { BlockingTests() }
}

/// Whether the caller runs on a thread of `ThreadPerJobExecutor` (for the test that checks the
/// trait does what it says).
public func onThreadPerJobExecutor() -> Bool {
    Thread.current.threadDictionary[ThreadPerJobExecutor.threadMark] as? Bool == true
}
