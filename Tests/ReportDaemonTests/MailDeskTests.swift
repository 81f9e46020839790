import Foundation
import Logging
import ReportCore
import ReportMail
import Synchronization
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

/// Keeps what the daemon would send, instead of running a sendmail program (the end-to-end tests
/// run the real one); may hold a message until released.
final class RecordingSender: MailSender {
    private let state = Mutex<(sent: [PreparedMail], holding: Bool)>(([], false))
    private let gate = DispatchSemaphore(value: 0)

    var subjects: [String] { state.withLock { $0.sent.map(\.subject) } }
    func hold() { state.withLock { $0.holding = true } }
    func release() { gate.signal() }

    func send(
        _ prepared: PreparedMail, with postman: Postman, shouldStop: @escaping @Sendable () -> Bool, logger: Logger
    ) -> MailOutcome {
        let started = Date()
        if state.withLock({ $0.holding }) { gate.wait() }
        state.withLock { $0.sent.append(prepared) }
        return MailOutcome(attempts: 1, error: nil, started: started, finished: Date())
    }
}

@Suite(.blocking) struct MailDeskTests {
    static let mail = "mail: {sendmail: /bin/true, from: reportd@example.org}\nowners: [quantri@example.org]"

    @Test func aFailedSlotIsToldOnceWhateverItsRetriesAndItsRecoveryOnce() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "retries: 2\nretry_delay: 10s")
        let sender = RecordingSender()
        let h = try Harness(DaemonFixture(reports: ["a": report], daemonExtra: Self.mail), at: t0, mailSender: sender)
        h.executor.fail("a", times: 3)
        let slot = utcDate("2026-01-02T00:00:00Z")
        try await h.advance(to: slot)
        // The overdue checks keep a sleeper on the clock, so `advance` cannot tell that the loop has
        // scheduled the retry: the log says it.
        try await eventually("the first retry scheduled") { h.logs.all.contains { $0.contains("retrying in 10s") } }
        try await h.advance(to: slot.addingTimeInterval(10))
        try await eventually("the second retry scheduled") { h.logs.all.contains { $0.contains("retrying in 20s") } }
        #expect(sender.subjects.isEmpty, "a failure that will be retried is not told")
        try await h.advance(to: slot.addingTimeInterval(30))
        try await eventually("the notice") { sender.subjects.count == 1 }
        #expect(sender.subjects.first?.hasPrefix("[reportd] FAILED: a — 2026-01-02 00:00 (+00:00)") == true)
        // The next slot succeeds: one recovered message.
        try await h.advance(to: slot.addingTimeInterval(86400))
        try await eventually("the recovered message") { sender.subjects.count == 2 }
        #expect(sender.subjects.last?.hasPrefix("[reportd] recovered: a") == true)
        try await h.advance(to: slot.addingTimeInterval(2 * 86400))
        try await eventually("the third slot") { h.executor.finished.count == 5 }
        try await h.stop()
        #expect(sender.subjects.count == 2)
        let state = DeliveryStateStore(stateDirectory: h.fixture.store.directory).load("a")
        #expect(state.noticedSlots == [slot])
        #expect(!state.awaitingRecovery)
    }

    @Test func shutdownWaitsForTheMailBeingSent() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "deliver:\n  - email: kho@example.org")
        let sender = RecordingSender()
        sender.hold()
        let h = try Harness(DaemonFixture(reports: ["a": report], daemonExtra: Self.mail), at: t0, mailSender: sender)
        try await h.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("the run") { h.executor.finished.count == 1 }
        await h.group.triggerGracefulShutdown()
        try await eventually("the grace period starts") { h.logs.all.contains { $0.contains("waiting up to") } }
        sender.release()
        try await h.task.value
        #expect(sender.subjects.count == 1)
        let records = try RunHistory(stateDirectory: h.fixture.store.directory).records("a")
        #expect(records.map(\.trigger) == [.schedule, .delivery])
    }
}
