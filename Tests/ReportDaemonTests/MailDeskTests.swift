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

/// Sends nothing: each attempt waits until the daemon gives up its mail (the grace period of a
/// shutdown is over), as a sendmail program stuck on an unreachable relay would.
final class StallingSender: MailSender {
    private let state = Mutex<[PreparedMail]>([])

    var tried: [PreparedMail] { state.withLock { $0 } }

    func send(
        _ prepared: PreparedMail, with postman: Postman, shouldStop: @escaping @Sendable () -> Bool, logger: Logger
    ) -> MailOutcome {
        let started = Date()
        state.withLock { $0.append(prepared) }
        while !shouldStop() { usleep(10_000) }
        return MailOutcome(
            attempts: 1, error: MailError("stopped (reportd is shutting down)"), started: started, finished: Date())
    }
}

extension MailDeskTests {
    /// A delivery that a shutdown interrupts stays in the state folder's outbox, and the next start
    /// sends it (the same message, byte for byte) and records it. Before, it was given up: a
    /// restart while the relay was down lost the mail.
    @Test func aDeliveryInterruptedByAShutdownIsSentAtTheNextStart() async throws {
        let report = DaemonFixture.report("a", schedule: "@daily", extra: "deliver:\n  - email: kho@example.org")
        let fixture = try DaemonFixture(reports: ["a": report], daemonExtra: Self.mail + "\nshutdown_grace: 5s")
        let outbox = MailOutbox(stateDirectory: fixture.store.directory)
        let stalling = StallingSender()
        let first = try Harness(fixture, at: t0, mailSender: stalling)
        try await first.advance(to: utcDate("2026-01-02T00:00:00Z"))
        try await eventually("the delivery's first attempt") { stalling.tried.count == 1 }
        let queued = outbox.pending().entries
        #expect(queued.count == 1)
        #expect(queued.first?.bytes == stalling.tried.first?.bytes)
        #expect(queued.first?.kind == "delivery")
        await first.group.triggerGracefulShutdown()
        try await eventually("the grace period starts") { first.logs.all.contains { $0.contains("waiting up to") } }
        first.clock.advance(to: utcDate("2026-01-02T00:00:05Z"))
        try await first.task.value
        #expect(outbox.pending().entries.map(\.id) == queued.map(\.id), "the interrupted message stays queued")

        let recording = RecordingSender()
        let second = try Harness(fixture, at: utcDate("2026-01-02T00:10:00Z"), mailSender: recording)
        try await eventually("the message sent again") { recording.subjects.count == 1 }
        try await eventually("its outcome recorded") {
            ((try? RunHistory(stateDirectory: fixture.store.directory).records("a")) ?? []).count == 3
        }
        try await second.stop()
        #expect(recording.subjects == stalling.tried.map(\.subject))
        #expect(outbox.pending().entries.isEmpty)
        #expect(second.logs.all.contains { $0.contains("sending 1 message(s) that a shutdown interrupted") })
        let records = try RunHistory(stateDirectory: fixture.store.directory).records("a")
        #expect(records.map(\.trigger) == [.schedule, .delivery, .delivery])
        #expect(records.map(\.outcome) == [.success, .failed, .success])
    }

    /// A message whose attempts ended (sent, or failed for good without a shutdown) leaves the
    /// outbox; only one a shutdown stopped stays.
    @Test func onlyAMessageAShutdownStoppedStaysInTheOutbox() throws {
        let fixture = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "@daily")], daemonExtra: Self.mail)
        let set = try fixture.load()
        let daemon = set.daemon
        let postman = Postman(mail: try #require(daemon.mail), daemon: daemon)
        let outbox = MailOutbox(stateDirectory: fixture.store.directory)
        let job = MailDesk.Job(
            kind: .notice("failure"), report: "a", postman: postman,
            mails: [PreparedMail(subject: "s", recipients: ["quantri@example.org"], bytes: Array("body\r\n".utf8))],
            slot: utcDate("2026-01-02T00:00:00Z"))
        struct Failing: MailSender {
            func send(_ p: PreparedMail, with: Postman, shouldStop: @escaping @Sendable () -> Bool, logger: Logger)
                -> MailOutcome
            { MailOutcome(attempts: 3, error: MailError("relay refused"), started: Date(), finished: Date()) }
        }
        let logger = Logger(label: "test")
        _ = MailDesk.perform(job, sender: RecordingSender(), outbox: outbox, shouldStop: { false }, logger: logger)
        #expect(outbox.pending().entries.isEmpty, "sent")
        _ = MailDesk.perform(job, sender: Failing(), outbox: outbox, shouldStop: { false }, logger: logger)
        #expect(outbox.pending().entries.isEmpty, "failed for good: recorded as failed, not sent again")
        _ = MailDesk.perform(job, sender: Failing(), outbox: outbox, shouldStop: { true }, logger: logger)
        let kept = outbox.pending().entries
        #expect(kept.map(\.subject) == ["s"])
        #expect(kept.first?.kind == "failure")
        // Sent again from the outbox: the entry goes once sent.
        let again = MailDesk.resends(daemon: daemon, outbox: outbox, logger: logger)
        #expect(again.count == 1)
        _ = MailDesk.perform(try #require(again.first), sender: RecordingSender(), outbox: outbox, shouldStop: { false }, logger: logger)
        #expect(outbox.pending().entries.isEmpty)
    }
}
