public import Foundation

/// The time source of the scheduler: wall-clock time (slots are wall-clock instants) and a sleep
/// until such an instant. Injected, so schedules, catch-up, retries and timeouts are tested
/// without waiting.
public protocol WallClock: Sendable {
    func now() -> Date
    /// Returns at or after `deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system clock.
///
/// Sleeps in steps of at most a minute and re-reads the wall clock after each, so a clock that is
/// set (NTP step, manual change) or a machine that resumes from suspend still fires on time.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await Task.sleep(for: .seconds(min(remaining, 60)))
        }
    }
}

/// The system clock shifted by a fixed number of seconds: a node whose clock is off, for tests
/// (`REPORTD_TEST_CLOCK_OFFSET`).
public struct ShiftedClock: WallClock {
    public let offset: TimeInterval

    public init(offset: TimeInterval) { self.offset = offset }

    public func now() -> Date { Date().addingTimeInterval(offset) }

    public func sleep(until deadline: Date) async throws {
        try await SystemClock().sleep(until: deadline.addingTimeInterval(-offset))
    }
}
