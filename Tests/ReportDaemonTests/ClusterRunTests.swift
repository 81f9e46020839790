import Foundation
import Logging
import ReportCluster
import ReportCore
import ReportState
import Testing
import TestSupport

@testable import ReportDaemon

/// One run of a slot on a cluster node (`ClusterRun`) against a real PostgreSQL server.
@Suite(.blocking) struct ClusterRunTests {
    /// A slot safely in the past by every clock.
    let slot = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 600)

    /// A run that succeeds without publishing (its `publish_when` was false, so the publish gate
    /// was never asked) still completes its slot for the whole cluster: another node does not run
    /// it again once the first node's lease has passed.
    @Test func aRunThatPublishesNothingCompletesItsSlotForEveryNode() throws {
        let server = try PostgresCluster.shared()
        let database = try server.createDatabase("clusterrun")
        let fixture = try DaemonFixture(reports: ["quiet": DaemonFixture.report("quiet", schedule: "every 1m")])
        let set = try fixture.load()
        let report = try #require(set.reports["quiet"]?.definition)
        let request = RunRequest(report: report, daemon: set.daemon, slot: slot, trigger: .schedule)
        func node(_ name: String) -> ClusterStore {
            ClusterStore(
                url: server.url(database: database), passwordFile: nil, node: name, lease: 600, version: "test",
                pid: 4242)
        }
        let first = ClusterRun(store: node("node-a"), request: request, control: RunControl(), logger: Logger(label: "test"))
            .run { _ in RunResult(request, started: Date(), error: nil) }
        #expect(first.succeeded && first.skipped == nil, "\(String(describing: first.skipped))")
        let done = try node("node-a").completedSlots(
            report: "quiet", from: slot.addingTimeInterval(-1), to: slot.addingTimeInterval(1))
        #expect(done.map(\.node) == ["node-a"], "the slot is done in the cluster's record")
        // Even with node-a's lease lapsed, node-b finds the slot done and does not run it.
        _ = try server.psql("UPDATE reportd_claims SET expires_at = now() - interval '1 second'", database: database)
        var ran = false
        let second = ClusterRun(store: node("node-b"), request: request, control: RunControl(), logger: Logger(label: "test"))
            .run { _ in
                ran = true
                return RunResult(request, started: Date(), error: nil)
            }
        #expect(!ran)
        #expect(second.skipped == .elsewhere(node: "node-a", done: true), "\(String(describing: second.skipped))")
    }

    /// A run whose gate passed (the slot marked done, then its files renamed) has succeeded even
    /// when the database goes down right after: its success is recorded. Before, the run asked the
    /// database once more after publishing, and with the database down called its own published
    /// slot lost, so no node ever recorded that slot's success.
    @Test func aPublishedRunSucceedsThoughTheDatabaseGoesDownAfterItsGate() throws {
        let server = try PostgresCluster.separate()
        defer { server.stop() }
        let database = try server.createDatabase("clustergate")
        let fixture = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "every 1m")])
        let set = try fixture.load()
        let report = try #require(set.reports["a"]?.definition)
        let request = RunRequest(report: report, daemon: set.daemon, slot: slot, trigger: .schedule)
        let store = ClusterStore(
            url: server.url(database: database), passwordFile: nil, node: "node-a", lease: 600, version: "test",
            pid: 4242)
        var gateError: (any Error)?
        let outcome = ClusterRun(store: store, request: request, control: RunControl(), logger: Logger(label: "test"))
            .run { gate in
                do { try gate() } catch { gateError = error }
                // The files are renamed here; then the database goes away.
                try? server.pause()
                return RunResult(request, started: Date(), error: nil)
            }
        #expect(gateError == nil)
        #expect(outcome.succeeded && outcome.skipped == nil, "\(String(describing: outcome.skipped))")
        try server.resume()
        // The slot could not be marked done while the database was down: the next heartbeat does it.
        let range = (slot.addingTimeInterval(-1), slot.addingTimeInterval(1))
        #expect(try store.completedSlots(report: "a", from: range.0, to: range.1).isEmpty)
        _ = try store.heartbeat(localNow: { Date() })
        #expect(try store.completedSlots(report: "a", from: range.0, to: range.1).map(\.node) == ["node-a"])
    }

    /// A failed run with a retry to come leaves its slot `retrying` until a lease after the retry
    /// is due (so another node retries it if this one dies first); a failure that repeats on every
    /// attempt, or the last attempt's, fails the slot for good.
    @Test func aFailedRunLeavesItsSlotToItsRetryOnlyWhenOneWillCome() throws {
        let server = try PostgresCluster.shared()
        let database = try server.createDatabase("clusterretry")
        let fixture = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "every 1m", extra: "retries: 2\nretry_delay: 40s")
        ])
        let set = try fixture.load()
        let report = try #require(set.reports["a"]?.definition)
        let store = ClusterStore(
            url: server.url(database: database), passwordFile: nil, node: "node-a", lease: 600, version: "test",
            pid: 4242)
        func fail(attempt: Int, failure: RunFailure, slot: Date) throws -> (state: String, seconds: Int) {
            let request = RunRequest(report: report, daemon: set.daemon, slot: slot, trigger: .schedule, attempt: attempt)
            _ = ClusterRun(store: store, request: request, control: RunControl(), logger: Logger(label: "test"))
                .run { _ in RunResult(request, started: Date(), error: "the dataset could not be read", failure: failure) }
            let row = try server.psql(
                """
                SELECT state, round(extract(epoch FROM expires_at - now()))::int FROM reportd_claims
                WHERE report = 'a' AND slot = to_timestamp(\(Int(slot.timeIntervalSince1970)))
                """, database: database
            ).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
            return (row.first ?? "", Int(row.last ?? "") ?? -1)
        }
        // The first attempt: the retry comes in 40 s; the claim waits 40 s and a lease (600 s).
        let first = try fail(attempt: 0, failure: .data, slot: slot)
        #expect(first.state == "retrying")
        #expect((638...640).contains(first.seconds), "\(first)")
        // The second retry comes 80 s after the second attempt.
        let second = try fail(attempt: 1, failure: .data, slot: slot)
        #expect(second.state == "retrying")
        #expect((678...680).contains(second.seconds), "\(second)")
        // The third and last attempt: no retry.
        #expect(try fail(attempt: 2, failure: .data, slot: slot).state == "failed")
        // A definition error repeats on every attempt: no retry, whatever remains.
        #expect(try fail(attempt: 0, failure: .definition, slot: slot.addingTimeInterval(-60)).state == "failed")
    }
}
