import Foundation
import Logging
import ReportCore
import ReportConfig
import ServiceLifecycle
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

/// A scheduler running in a service group, on a manual clock and a fake executor.
struct Harness {
    let clock: ManualClock
    let executor = FakeExecutor()
    let fixture: DaemonFixture
    let scheduler: SchedulerService
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let logs = LogCapture()

    /// - Parameters:
    ///   - reloader: loads the configuration again (default: the fixture's files).
    ///   - reloadDeadline: seconds a reload may take (default: the daemon's own rule).
    init(
        _ fixture: DaemonFixture, at start: Date, useState: Bool = true,
        reloader: SchedulerService.Reloader? = nil, reloadDeadline: Int? = nil,
        mailSender: any MailSender = SendmailSender(), alertMemory: (any ReportMemory)? = nil
    ) throws {
        self.fixture = fixture
        clock = ManualClock(start)
        let logger = logs.logger()
        scheduler = SchedulerService(
            reports: try fixture.load(), clock: clock, executor: executor, store: useState ? fixture.store : nil,
            reloader: reloader ?? { fixture.reload() }, notifier: SystemdNotifier(environment: [:]), logger: logger,
            reloadOnSIGHUP: false, reloadDeadline: reloadDeadline, mailSender: mailSender, alertMemory: alertMemory)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: scheduler)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// Advances the clock once the scheduler is asleep, so the timer sees the new time.
    func advance(to date: Date) async throws {
        try await eventually("the scheduler to sleep") { clock.sleeperCount > 0 }
        clock.advance(to: date)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

let t0 = utcDate("2026-01-01T00:00:30Z")

func utcDate(_ text: String) -> Date {
    LocalTime.parse(text, in: TimeZone(identifier: "UTC")!)!
}

@Suite(.blocking) struct SchedulerTests {
    @Test func runsEachSlotOnSchedule() async throws {
        let h = try Harness(DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "every 1m")]), at: t0)
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("first run") { h.executor.finished.count == 1 }
        try await h.advance(to: utcDate("2026-01-01T00:02:05Z"))
        try await eventually("second run") { h.executor.finished.count == 2 }
        #expect(h.executor.calls.map(\.slot) == [utcDate("2026-01-01T00:01:00Z"), utcDate("2026-01-01T00:02:00Z")])
        #expect(h.executor.calls.allSatisfy { $0.trigger == .schedule })
        try await h.stop()
        let state = h.fixture.store.load("a")
        #expect(state.lastCompletedSlot == utcDate("2026-01-01T00:02:00Z"))
        #expect(state.lastRun?.outcome == .success)
    }

    @Test(arguments: [("none", 0), ("once", 1), ("all", 5)])
    func catchUpAfterDowntime(policy: String, runs: Int) async throws {
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "@hourly", extra: "catch_up: \(policy)")
        ])
        // Last completed at midnight; the daemon comes back at 05:30: 01:00…05:00 were missed.
        _ = try fixture.store.record(
            "a", slot: utcDate("2026-01-01T00:00:00Z"), trigger: .schedule, error: nil, at: t0)
        let h = try Harness(fixture, at: utcDate("2026-01-01T05:30:00Z"))
        try await eventually("catch-up runs") { h.executor.finished.count == runs }
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == runs)
        #expect(h.executor.calls.allSatisfy { $0.trigger == .catchUp })
        if runs > 0 { #expect(h.executor.calls.last?.slot == utcDate("2026-01-01T05:00:00Z")) }
        try await h.stop()
    }

    @Test func catchUpAllIsBoundedToTwentyFour() async throws {
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "@hourly", extra: "catch_up: all")
        ])
        _ = try fixture.store.record(
            "a", slot: utcDate("2026-01-01T00:00:00Z"), trigger: .schedule, error: nil, at: t0)
        let h = try Harness(fixture, at: utcDate("2026-01-05T00:30:00Z"))
        try await eventually("24 catch-up runs") { h.executor.finished.count == 24 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == 24)
        #expect(h.executor.calls.first?.slot == utcDate("2026-01-04T01:00:00Z"))
        try await h.stop()
    }

    /// A pause (SIGSTOP) or a clock jump over several slots: they are said and counted, and
    /// `catch_up` decides which run, as after downtime (before: the latest ran, the rest vanished
    /// without a word).
    @Test(arguments: [("none", 0), ("once", 1), ("all", 4)])
    func slotsPassedDuringAPauseFollowCatchUp(policy: String, runs: Int) async throws {
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "@hourly", extra: "catch_up: \(policy)")
        ])
        let h = try Harness(fixture, at: utcDate("2026-01-01T00:30:00Z"))
        // 01:00, 02:00, 03:00 and 04:00 all come due at 04:10.
        try await h.advance(to: utcDate("2026-01-01T04:10:00Z"))
        try await eventually("the pause to be noticed") { h.logs.all.joined(separator: "\n").contains("4 slots came due at once") }
        try await eventually("the runs catch_up allows") { h.executor.finished.count == runs }
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == runs)
        #expect(h.executor.calls.allSatisfy { $0.trigger == .catchUp })
        if runs > 0 { #expect(h.executor.calls.last?.slot == utcDate("2026-01-01T04:00:00Z")) }
        #expect(h.logs.all.joined(separator: "\n").contains("catch_up: \(policy) runs \(runs) of them"))
        #expect(h.logs.all.joined(separator: "\n").contains("slots.missed_total=\(4 - runs)"))
        try await h.stop()
    }

    @Test func aCompletedSlotIsNeverRunAgain() async throws {
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "@hourly", extra: "catch_up: all")
        ])
        _ = try fixture.store.record(
            "a", slot: utcDate("2026-01-01T05:00:00Z"), trigger: .schedule, error: nil, at: t0)
        let h = try Harness(fixture, at: utcDate("2026-01-01T05:30:00Z"))
        try await h.advance(to: utcDate("2026-01-01T06:00:00Z"))
        try await eventually("the 06:00 run") { h.executor.finished.count == 1 }
        #expect(h.executor.calls.map(\.slot) == [utcDate("2026-01-01T06:00:00Z")])
        try await h.stop()
    }

    @Test func overlapSkipDropsSlotsWhileRunning() async throws {
        let h = try Harness(DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "every 1m")]), at: t0)
        h.executor.block("a")
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("first run starts") { h.executor.calls.count == 1 }
        try await h.advance(to: utcDate("2026-01-01T00:02:00Z"))
        try await eventually("the skip is logged") { h.logs.all.contains { $0.contains("skipped: the previous run") } }
        h.executor.release("a")
        try await eventually("first run ends") { h.executor.finished.count == 1 }
        try await h.advance(to: utcDate("2026-01-01T00:03:00Z"))
        try await eventually("third slot runs") { h.executor.finished.count == 2 }
        #expect(h.executor.calls.map(\.slot) == [utcDate("2026-01-01T00:01:00Z"), utcDate("2026-01-01T00:03:00Z")])
        try await h.stop()
    }

    @Test func overlapQueueRunsTheSlotAfterwards() async throws {
        let report = DaemonFixture.report("a", schedule: "every 1m", extra: "overlap: queue")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.block("a")
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("first run starts") { h.executor.calls.count == 1 }
        try await h.advance(to: utcDate("2026-01-01T00:02:00Z"))
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == 1)
        h.executor.release("a")
        try await eventually("queued run") { h.executor.finished.count == 2 }
        #expect(h.executor.calls.map(\.slot) == [utcDate("2026-01-01T00:01:00Z"), utcDate("2026-01-01T00:02:00Z")])
        try await h.stop()
    }

    @Test func failedRunIsRetriedWithExponentialBackoff() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "retries: 2")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.fail("a", times: 2)
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        try await eventually("first attempt") { h.executor.finished.count == 1 }
        // The backoff counts from when the scheduler handles the failure: wait for it.
        try await eventually("the retry is scheduled") { h.logs.all.contains { $0.contains("retrying in 30s") } }
        try await h.advance(to: slot.addingTimeInterval(29))
        try await Task.sleep(for: .milliseconds(30))
        #expect(h.executor.calls.count == 1)
        try await h.advance(to: slot.addingTimeInterval(30))
        try await eventually("second attempt after 30 s") { h.executor.finished.count == 2 }
        try await eventually("the second retry is scheduled") { h.logs.all.contains { $0.contains("retrying in 60s") } }
        try await h.advance(to: slot.addingTimeInterval(30 + 60))
        try await eventually("third attempt after 60 s more") { h.executor.finished.count == 3 }
        #expect(h.executor.calls.map(\.attempt) == [0, 1, 2])
        #expect(h.executor.calls.map(\.trigger) == [.schedule, .retry, .retry])
        #expect(h.executor.calls.allSatisfy { $0.slot == slot })
        #expect(h.executor.finished.map(\.1) == ["boom", "boom", nil])
        try await h.stop()
        #expect(h.fixture.store.load("a").lastCompletedSlot == slot)
    }

    /// An overflow fails the same way on every attempt: it is recorded once and not retried, while
    /// a failure that may pass (a full disk) is (failedRunIsRetriedWithExponentialBackoff).
    @Test func aDeterministicFailureIsNotRetried() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "retries: 2")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.fail("a", times: 5, kind: .calculation)
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        try await eventually("the failure is logged") {
            h.logs.all.contains { $0.hasPrefix("error run failed: boom (not retried: a calculation error repeats") }
        }
        try await h.advance(to: slot.addingTimeInterval(30 + 60 + 1))
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == 1)
        #expect(!h.logs.all.contains { $0.contains("retrying in") })
        let state = h.fixture.store.load("a")
        #expect(state.lastRun?.outcome == .failed && state.lastRun?.failuresInARow == 1)
        try await h.stop()
    }

    @Test func retryDelaySetsTheFirstWait() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "retries: 2\nretry_delay: 5s")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.fail("a", times: 2)
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        try await eventually("the retry is scheduled") { h.logs.all.contains { $0.contains("retrying in 5s") } }
        try await h.advance(to: slot.addingTimeInterval(5))
        try await eventually("second attempt after 5 s") { h.executor.finished.count == 2 }
        try await eventually("the second retry is scheduled") { h.logs.all.contains { $0.contains("retrying in 10s") } }
        try await h.advance(to: slot.addingTimeInterval(15))
        try await eventually("third attempt after 10 s more") { h.executor.finished.count == 3 }
        #expect(h.executor.finished.map(\.1) == ["boom", "boom", nil])
        try await h.stop()
    }

    @Test func retriesRunOutAndTheFailureIsRecorded() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "retries: 1")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.fail("a", times: 5)
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        try await eventually("first attempt") { h.executor.finished.count == 1 }
        try await eventually("the retry is scheduled") { h.logs.all.contains { $0.contains("retrying in 30s") } }
        try await h.advance(to: slot.addingTimeInterval(30))
        try await eventually("the retry") { h.executor.finished.count == 2 }
        try await eventually("the failure is logged") { h.logs.all.contains { $0.hasPrefix("error run failed: boom") } }
        let state = h.fixture.store.load("a")
        #expect(state.lastRun?.outcome == .failed)
        #expect(state.lastRun?.failuresInARow == 2)
        #expect(state.lastCompletedSlot == nil)
        #expect(state.runsTotal == 2 && state.failuresTotal == 2)
        // Both attempts are in the run history, with their trigger and attempt number.
        let records = try RunHistory(stateDirectory: h.fixture.store.directory).records("a")
        #expect(records.map(\.trigger) == [.schedule, .retry])
        #expect(records.map(\.attempt) == [1, 2])
        #expect(records.allSatisfy { $0.outcome == .failed && $0.error == "boom" })
        try await h.stop()
    }

    @Test func runPastItsTimeoutIsStoppedAndFails() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "timeout: 10s")
        let h = try Harness(DaemonFixture(reports: ["a": report]), at: t0)
        h.executor.block("a")
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        try await eventually("run starts") { h.executor.calls.count == 1 }
        try await h.advance(to: slot.addingTimeInterval(10))
        try await eventually("run stopped") { h.executor.finished.count == 1 }
        #expect(h.executor.finished.first?.1 == "stopped: timed out after 10s")
        try await eventually("state recorded") { h.fixture.store.load("a").lastRun?.outcome == .failed }
        try await h.stop()
    }

    @Test func maxConcurrentLimitsRunsAcrossReports() async throws {
        let reports = ["a", "b", "c"].reduce(into: [String: String]()) {
            $0[$1] = DaemonFixture.report($1, schedule: "@daily")
        }
        let h = try Harness(DaemonFixture(reports: reports, daemonExtra: "max_concurrent: 2"), at: t0)
        for r in ["a", "b", "c"] { h.executor.block(r) }
        try await h.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("two runs start") { h.executor.calls.count == 2 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.calls.count == 2)
        let first = h.executor.calls[0].report
        h.executor.release(first)
        try await eventually("the third starts") { h.executor.calls.count == 3 }
        for r in ["a", "b", "c"] { h.executor.release(r) }
        try await eventually("all finish") { h.executor.finished.count == 3 }
        try await h.stop()
    }

    @Test func reloadKeepsTheOldDefinitionOfABrokenFileAndStartsNewReports() async throws {
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "every 1m"),
            "gone": DaemonFixture.report("gone", schedule: "every 1m"),
        ])
        let h = try Harness(fixture, at: t0)
        try fixture.write(
            "a",
            DaemonFixture.report("a", schedule: "every 1m").replacingOccurrences(of: "calc: count", with: "calc: cnt"))
        try fixture.write("b", DaemonFixture.report("b", schedule: "every 1m"))
        try fixture.write("bad-new", "name: bad-new\ndataset: nowhere\n")
        try fixture.remove("gone")
        h.scheduler.requestReload()
        try await eventually("reload logged") { h.logs.all.contains { $0.hasPrefix("notice reload: ") } }
        #expect(h.logs.all.contains { $0.contains("a.yaml:4:") && $0.contains("unknown calculator 'cnt'") })
        #expect(
            h.logs.all.contains {
                $0.contains("running the previous definition since") && $0.contains("report.name=a")
            })
        // One line says what the reload did to each file, with counts that add up to the files.
        let line = try #require(h.logs.all.first { $0.hasPrefix("notice reload: ") })
        #expect(
            line.contains(
                "reload: 3 report files: 0 unchanged, 0 changed, 1 added (b), " + "1 kept previous definition (a: "),
            "\(line)")
        #expect(line.contains("a.yaml:4:"), "\(line)")
        #expect(line.contains(", 1 refused (bad-new: "), "\(line)")
        #expect(line.contains(", 0 not loaded (plugin); 1 removed (gone)"), "\(line)")
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("runs") { h.executor.finished.count == 2 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(Set(h.executor.calls.map(\.report)) == ["a", "b"])
        try await h.stop()
    }

    /// A reload that does not finish (a plugin or a file that never answers) is given up on at its
    /// deadline: the running configuration stays, and the loop goes on scheduling (issue 13).
    @Test func aReloadThatDoesNotFinishIsGivenUpAndTheLoopGoesOn() async throws {
        let fixture = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "every 1m")])
        let release = DispatchSemaphore(value: 0)
        let h = try Harness(
            fixture, at: t0,
            reloader: {
                // Blocks until the test ends (at most 60 s), as a hung read would.
                _ = release.wait(timeout: .now() + 60)
                return fixture.reload()
            }, reloadDeadline: 1)
        defer { release.signal() }
        h.scheduler.requestReload()
        try await eventually("the reload given up") {
            h.logs.all.contains { $0.contains("reload did not finish within 1s") }
        }
        // The loop still turns: the next slot runs with the running configuration.
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("the run after the abandoned reload") { h.executor.finished.count == 1 }
        #expect(h.executor.calls.map(\.report) == ["a"])
        try await h.stop()
    }

    /// The watchdog and the heartbeat vouch only for a loop that is not stuck on one event.
    @Test func theLoopIsStuckOnlyWhileOneEventLastsTooLong() async throws {
        let loop = LoopProgress()
        #expect(!loop.isStuck(after: .zero))
        let before = ContinuousClock.now
        loop.begin()
        try await Task.sleep(for: .milliseconds(20))
        #expect(loop.isStuck(after: .milliseconds(10)))
        // Not stuck past a limit longer than the event has lasted. The limit counts from what
        // the sleep really took: on a loaded machine a 20 ms sleep once took 73 s, and a fixed
        // 60 s limit then failed.
        #expect(!loop.isStuck(after: before.duration(to: .now) + .seconds(60)))
        loop.end()
        #expect(!loop.isStuck(after: .zero))
    }

    @Test func invalidDaemonConfigOnReloadChangesNothing() async throws {
        let fixture = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "every 1m")])
        let h = try Harness(fixture, at: t0)
        try "timezone: Nowhere/Else\n".write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        h.scheduler.requestReload()
        try await eventually("rejection logged") { h.logs.all.contains { $0.contains("reload rejected") } }
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("the old config still runs a") { h.executor.finished.count == 1 }
        try await h.stop()
    }

    @Test func shutdownWaitsForRunningReports() async throws {
        let h = try Harness(DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "@daily")]), at: t0)
        h.executor.block("a")
        try await h.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("run starts") { h.executor.calls.count == 1 }
        await h.group.triggerGracefulShutdown()
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.executor.finished.isEmpty)
        h.executor.release("a")
        try await h.task.value
        #expect(h.executor.finished.first?.1 == nil)
        #expect(h.fixture.store.load("a").lastRun?.outcome == .success)
    }

    @Test func shutdownStopsRunsAfterTheGracePeriod() async throws {
        let fixture = try DaemonFixture(
            reports: ["a": DaemonFixture.report("a", schedule: "@daily")], daemonExtra: "shutdown_grace: 5s")
        let h = try Harness(fixture, at: t0)
        h.executor.block("a")
        try await h.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("run starts") { h.executor.calls.count == 1 }
        await h.group.triggerGracefulShutdown()
        try await eventually("the grace period starts") { h.logs.all.contains { $0.contains("waiting up to 5s") } }
        h.clock.advance(to: utcDate("2026-01-02T00:00:05Z"))
        try await h.task.value
        #expect(h.executor.finished.first?.1 == "stopped: shutdown grace period of 5s expired")
    }
}
