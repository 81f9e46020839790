import Foundation
import Logging
import ReportCore
import ReportMail
import Synchronization
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

/// The state folder's memory, whose alert reads can be held, as a slow cluster database holds them.
final class HeldMemory: ReportMemory {
    let inner: FolderReportMemory
    private let holding = Mutex(false)
    private let gate = DispatchSemaphore(value: 0)
    /// Alert reads begun.
    let reads = Mutex(0)

    init(stateDirectory: String) { inner = FolderReportMemory(stateDirectory: stateDirectory) }

    func hold() { holding.withLock { $0 = true } }
    func release() {
        holding.withLock { $0 = false }
        gate.signal()
    }

    func alertRaised(report: String, when: String) throws -> Bool? {
        reads.withLock { $0 += 1 }
        if holding.withLock({ $0 }) { gate.wait() }
        return try inner.alertRaised(report: report, when: when)
    }
    func recordAlert(raised: Bool, report: String, when: String) throws -> Bool {
        try inner.recordAlert(raised: raised, report: report, when: when)
    }
    func slugAssignments(report: String) throws -> [String: String] { try inner.slugAssignments(report: report) }
    func assignSlugs(
        report: String, values: [String], choose: @Sendable (String, Set<String>) -> String
    ) throws -> [String: String] {
        try inner.assignSlugs(report: report, values: values, choose: choose)
    }
    func fingerprint(report: String, period: String, splitValue: String?) throws -> String? {
        try inner.fingerprint(report: report, period: period, splitValue: splitValue)
    }
    func recordFingerprint(_ fingerprint: String, report: String, period: String, splitValue: String?) throws {
        try inner.recordFingerprint(fingerprint, report: report, period: period, splitValue: splitValue)
    }
}

@Suite(.blocking) struct AlertDeskTests {
    static let mail = "mail: {sendmail: /bin/true, from: reportd@example.org}\nowners: [quantri@example.org]"
    static let alert = "alerts:\n  - when: \"totals.n > 1\"\n    message: \"{totals.n} dự án\""

    /// Checks of report `a`'s alert (`totals.n > 1`) after runs giving `n` (nil: a null total).
    struct Checker {
        let fixture: DaemonFixture
        let set: ReportSet
        let memory: FolderReportMemory
        let recorder: RunRecorder

        init(daemonExtra: String = AlertDeskTests.mail) throws {
            fixture = try DaemonFixture(
                reports: ["a": DaemonFixture.report("a", schedule: "@daily", extra: AlertDeskTests.alert)],
                daemonExtra: daemonExtra)
            set = try fixture.load()
            memory = FolderReportMemory(stateDirectory: fixture.store.directory)
            recorder = RunRecorder(store: fixture.store, daemon: set.daemon, reports: ["a"])
        }

        func check(n: Int64?, trigger: RunTrigger = .schedule, day: Int = 2) -> [MailDesk.Job] {
            let request = RunRequest(
                report: set.reports["a"]!.definition, daemon: set.daemon,
                slot: utcDate("2026-01-\(String(format: "%02d", day))T00:00:00Z"), trigger: trigger)
            var outcome = RunResult(request, started: Date(), error: nil)
            outcome.figures = RunFigures(rows: 2, rowsUsed: 2, totals: ["n": n.map(Value.int) ?? .null], changed: nil)
            return AlertDesk.jobs(
                after: request, outcome: outcome, memory: memory, recorder: recorder, logger: Logger(label: "test"))
        }

        var raised: Bool? { try? memory.alertRaised(report: "a", when: "totals.n > 1") }
        var alertLines: [RunRecord.AlertRecord] {
            ((try? RunHistory(stateDirectory: fixture.store.directory).records("a")) ?? []).compactMap(\.alert)
        }
    }

    @Test func anAlertIsToldWhenItBecomesTrueAndWhenItClearsAndNothingInBetween() throws {
        let c = try Checker()
        let first = c.check(n: 5)
        #expect(first.map(\.mails.first?.subject) == ["[reportd] ALERT: a — 2026-01-02 00:00 (+00:00)"])
        #expect(c.raised == true)
        #expect(c.check(n: 7, day: 3).isEmpty, "told again while it holds")
        // An unknown result (a null total) changes nothing.
        #expect(c.check(n: nil, day: 4).isEmpty)
        #expect(c.raised == true)
        let cleared = c.check(n: 1, day: 5)
        #expect(cleared.map(\.mails.first?.subject) == ["[reportd] alert cleared: a — 2026-01-05 00:00 (+00:00)"])
        #expect(c.raised == false)
        #expect(c.check(n: 0, day: 6).isEmpty)
        // The history has one line per change, each naming its message and who was told.
        #expect(c.alertLines.map(\.state) == ["raised", "cleared"])
        #expect(c.alertLines.first?.message == "5 dự án")
        #expect(c.alertLines.first?.notified == ["quantri@example.org"])
    }

    @Test(arguments: [RunTrigger.backfill, .manual])
    func anAlertIsNotCheckedAfterABackfillOrAManualRun(trigger: RunTrigger) throws {
        let c = try Checker()
        #expect(c.check(n: 5, trigger: trigger).isEmpty)
        #expect(c.raised == nil, "the alert's state was touched")
        #expect(c.alertLines.isEmpty)
    }

    @Test func aNewAlertThatHoldsAlreadyIsToldOnceAndOneThatDoesNotIsRememberedCleared() throws {
        let holds = try Checker()
        #expect(holds.check(n: 2).count == 1)
        let quiet = try Checker()
        #expect(quiet.check(n: 1).isEmpty)
        #expect(quiet.raised == false)
        #expect(quiet.alertLines.isEmpty)
    }

    @Test func withoutMailTheChangeIsRecordedAndNoMailIsMade() throws {
        let c = try Checker(daemonExtra: "")
        #expect(c.check(n: 5).isEmpty)
        #expect(c.raised == true)
        #expect(c.alertLines.map(\.notified) == [[]])
    }

    /// The check reads and writes the report's memory (a cluster's database, with its deadline):
    /// while it waits, the scheduler's loop goes on with other reports, and the notice goes out when
    /// the check ends. Before, the check ran on the loop and held up every schedule.
    @Test func aSlowAlertCheckDoesNotHoldUpTheSchedule() async throws {
        let (h, memory, sender) = try Self.held(
            reports: [
                "a": DaemonFixture.report("a", schedule: "every 1m", extra: Self.alert),
                "b": DaemonFixture.report("b", schedule: "every 1m"),
            ])
        try await h.advance(to: utcDate("2026-01-01T00:01:00Z"))
        try await eventually("a's alert check to start") { memory.reads.withLock { $0 } == 1 }
        try await h.advance(to: utcDate("2026-01-01T00:02:00Z"))
        try await releasing(memory) {
            try await eventually("b's second run while a's alert check waits", timeout: 30) {
                h.executor.finished.filter { $0.0 == "b" }.count == 2
            }
        }
        #expect(sender.subjects.isEmpty)
        memory.release()
        try await eventually("the alert's notice") { sender.subjects.count == 1 }
        #expect(sender.subjects.first?.hasPrefix("[reportd] ALERT: a") == true)
        try await h.stop()
    }

    /// A shutdown waits (within the grace period) for an alert check under way, and sends its notice:
    /// the change is recorded by then, so a notice dropped would never be sent.
    @Test func shutdownWaitsForAnAlertCheckAndSendsItsNotice() async throws {
        let (h, memory, sender) = try Self.held(
            reports: ["a": DaemonFixture.report("a", schedule: "@daily", extra: Self.alert)])
        try await shutDownDuringACheck(h, memory, grace: "")
        memory.release()
        try await h.task.value
        // Before, the loop ended without waiting for the check, and its notice was never sent.
        #expect(sender.subjects.count == 1)
        #expect(try memory.inner.alertRaised(report: "a", when: "totals.n > 1") == true)
    }

    /// An alert check that does not end (a database past its deadline) does not hold the daemon
    /// past its grace period: it stops then, with the change recorded and its notice not sent.
    @Test func aStuckAlertCheckDoesNotHoldTheShutdownPastItsGrace() async throws {
        let (h, memory, sender) = try Self.held(
            reports: ["a": DaemonFixture.report("a", schedule: "@daily", extra: Self.alert)],
            daemonExtra: "shutdown_grace: 5s")
        defer { memory.release() }
        try await shutDownDuringACheck(h, memory, grace: "5s")
        h.clock.advance(to: utcDate("2026-01-02T00:00:05Z"))
        let stopped = Task { try await h.task.value }
        try await releasing(memory) {
            try await eventually("the daemon to stop with the check still held", timeout: 30) {
                h.logs.all.contains { $0.contains("stopped") }
            }
        }
        try await stopped.value
        #expect(sender.subjects.isEmpty)
    }

    /// A scheduler over `reports` (mail set up, and `daemonExtra`) whose alert memory is held, and
    /// where a successful run of `a` gives the total `n` = 9.
    static func held(reports: [String: String], daemonExtra: String = "") throws -> (Harness, HeldMemory, RecordingSender) {
        let fixture = try DaemonFixture(reports: reports, daemonExtra: Self.mail + "\n" + daemonExtra)
        let memory = HeldMemory(stateDirectory: fixture.store.directory)
        memory.hold()
        let sender = RecordingSender()
        let h = try Harness(fixture, at: t0, mailSender: sender, alertMemory: memory)
        h.executor.give(RunFigures(rows: 2, rowsUsed: 2, totals: ["n": .int(9)], changed: nil), for: "a")
        return (h, memory, sender)
    }

    /// Runs `a`'s daily slot, and asks for a shutdown while its alert check is held; returns once
    /// the grace period (`grace`, as the log says it) has begun.
    func shutDownDuringACheck(_ h: Harness, _ memory: HeldMemory, grace: String) async throws {
        try await h.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("the alert check to start") { memory.reads.withLock { $0 } == 1 }
        await h.group.triggerGracefulShutdown()
        try await releasing(memory) {
            try await eventually("the grace period starts", timeout: 30) {
                h.logs.all.contains { $0.contains("waiting up to \(grace)") }
            }
        }
    }

    /// Runs `body`; when it fails, lets the held memory go first, so that a loop stuck on it (the
    /// fault these tests look for) cannot keep the test from ending.
    func releasing(_ memory: HeldMemory, _ body: () async throws -> Void) async throws {
        do { try await body() } catch {
            memory.release()
            throw error
        }
    }
}
