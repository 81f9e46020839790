import Dispatch
import Foundation
@testable import ReportCluster
import Testing
import TestSupport

/// The claim store against a real PostgreSQL server (the tests' throwaway cluster), each test on
/// a database of its own (`cluster_…`).
@Suite(.blocking) struct ClusterStoreTests {
    let server: PostgresCluster
    let database: String

    /// The server is started and the database made off the cooperative pool (processes waited for).
    init() async throws {
        (server, database) = try await offPool {
            let server = try PostgresCluster.shared()
            return (server, try server.createDatabase("cluster"))
        }
    }

    /// A node's store. The lease is long: a test that needs a claim to lapse makes it lapse by the
    /// database's clock (`lapse`), so that no assertion depends on how fast a loaded machine runs.
    func store(_ node: String, lease: Int = 600, pid: Int = 4242) -> ClusterStore {
        ClusterStore(url: server.url(database: database), passwordFile: nil, node: node, lease: lease, version: "test", pid: pid)
    }

    /// Ages every running claim and lock of `node` past its lease, by the database's clock (what a
    /// node silent for longer than its lease looks like).
    func lapse(_ node: String) async throws {
        let (server, database) = (self.server, self.database)
        _ = try await offPool {
            try server.psql(
            """
            UPDATE reportd_claims SET expires_at = now() - interval '1 second' WHERE node = '\(node)';
            UPDATE reportd_locks SET expires_at = now() - interval '1 second' WHERE node = '\(node)';
            """, database: database)
        }
    }

    /// The expiry of a claim as the database has it (seconds since 1970).
    func expiry(_ report: String) async throws -> Double {
        let (server, database) = (self.server, self.database)
        let text = try await offPool {
            try server.psql(
                "SELECT extract(epoch FROM max(expires_at)) FROM reportd_claims WHERE report = '\(report)'",
                database: database)
        }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// A beat of `node` moves its claim on `report` on to the database's now() + its lease (30 s):
    /// the claim is set to lapse in 5 s first.
    func expectABeatRenews(_ node: ClusterStore, report: String) async throws {
        let (server, database) = (self.server, self.database)
        _ = try await offPool {
            try server.psql(
                "UPDATE reportd_claims SET expires_at = now() + interval '5 seconds' WHERE report = '\(report)'",
                database: database)
        }
        let before = try await expiry(report)
        _ = try await offPool { try node.heartbeat(localNow: { Date() }) }
        #expect(try await expiry(report) > before + 20)
    }

    /// A slot safely in the past by every clock.
    let slot = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 600)

    @Test func aSlotIsClaimedOnceAndASecondClaimIsRefused() async throws {
        let (a, b) = (store("node-a"), store("node-b"))
        let first = try await offPool { try a.claim(report: "sales", slot: slot) }
        guard case .claimed(let claim) = first else {
            Issue.record("the first claim was refused: \(first)")
            return
        }
        #expect(claim.fence == 1)
        let second = try await offPool { try b.claim(report: "sales", slot: slot) }
        #expect(second == .elsewhere(node: "node-a", done: false))
        // Another slot, or another report, is free.
        let other = try await offPool { try b.claim(report: "sales", slot: slot.addingTimeInterval(60)) }
        if case .claimed = other {} else { Issue.record("another slot was refused: \(other)") }
        #expect(try await offPool { try a.complete(claim) })
        // Again (a retry after a lost answer): still this claim's, still true; another fence is not.
        #expect(try await offPool { try a.complete(claim) })
        var refenced = claim
        refenced.fence += 1
        let forged = refenced
        #expect(try await offPool { try a.complete(forged) } == false)
        // Past the gate, the slot is publishing: still this node's, not yet done for the cluster.
        #expect(try await offPool { try b.claim(report: "sales", slot: slot) } == .elsewhere(node: "node-a", done: false))
        #expect(try await offPool { try b.lastCompleted() }["sales"] == nil)
        // Its files in place, it is done; the gate asked again still answers true.
        #expect(try await offPool { try a.finish(forged) } == false)
        #expect(try await offPool { try a.finish(claim) })
        #expect(try await offPool { try a.complete(claim) })
        let afterDone = try await offPool { try b.claim(report: "sales", slot: slot) }
        #expect(afterDone == .elsewhere(node: "node-a", done: true))
        let last = try await offPool { try b.lastCompleted() }
        #expect(last["sales"]?.slot == slot)
        #expect(last["sales"]?.node == "node-a")
    }

    @Test func aStaleClaimIsTakenOverWithTheFenceIncrementedAndTheOldHolderIsRefused() async throws {
        let (a, b) = (store("node-a"), store("node-b"))
        guard case .claimed(let old) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        // Within the lease, no takeover.
        #expect(try await offPool { try b.claim(report: "r", slot: slot) } == .elsewhere(node: "node-a", done: false))
        // node-a stops beating: once its lease has passed (by the database's clock) the claim is stale.
        #expect(try await offPool { try b.staleClaims(reports: ["r"]) }.isEmpty)
        try await lapse("node-a")
        let stale = try await offPool { try b.staleClaims(reports: ["r", "x"]) }
        #expect(stale.map(\.report) == ["r"])
        guard case .claimed(let taken) = try await offPool({ try b.claim(report: "r", slot: slot) }) else {
            Issue.record("the stale claim was not taken over")
            return
        }
        #expect(taken.fence == old.fence + 1)
        // The fenced-out node may not mark the slot done (it would publish), even beating again.
        _ = try await offPool { try a.heartbeat(localNow: { Date() }) }
        #expect(try await offPool { try a.complete(old) } == false)
        #expect(try await offPool { try b.complete(taken) })
        #expect(try await offPool { try b.finish(taken) })
        #expect(try await offPool { try a.lastCompleted() }["r"]?.node == "node-b")
    }

    @Test func heartbeatsRenewAClaimAndALapsedClaimCannotComplete() async throws {
        let (a, b) = (store("node-a", lease: 30), store("node-b"))
        guard case .claimed(let claim) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        // A beat moves the claim's expiry on to the database's now() + lease.
        try await expectABeatRenews(a, report: "r")
        #expect(try await offPool { try b.claim(report: "r", slot: slot) } == .elsewhere(node: "node-a", done: false))
        #expect(try await offPool { try a.complete(claim) })
        // A lapsed claim that nobody took over cannot complete either, and a beat does not revive it.
        guard case .claimed(let second) = try await offPool({ try a.claim(report: "r", slot: slot.addingTimeInterval(60)) })
        else {
            Issue.record("not claimed")
            return
        }
        try await lapse("node-a")
        _ = try await offPool { try a.heartbeat(localNow: { Date() }) }
        #expect(try await offPool { try a.complete(second) } == false)
    }

    @Test func aFailedRunsClaimMayBeTakenAgain() async throws {
        let (a, b) = (store("node-a"), store("node-b"))
        guard case .claimed(let claim) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        try await offPool { try a.release(claim) }
        guard case .claimed(let again) = try await offPool({ try b.claim(report: "r", slot: slot) }) else {
            Issue.record("a released claim was not taken")
            return
        }
        #expect(again.fence == 2)
        #expect(try await offPool { try a.complete(claim) } == false)
    }

    /// A failed run whose node will retry it keeps the slot for that node's retry, and lapses to
    /// any node a lease after the retry was due: a node that dies while waiting to retry does not
    /// silence the slot (before, the claim was failed and no other node ever looked at it again).
    @Test func aFailedRunAwaitingItsRetryLapsesToAnotherNodeALeaseAfterTheRetryWasDue() async throws {
        let (a, b) = (store("node-a", lease: 30), store("node-b", lease: 30))
        guard case .claimed(let claim) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        try await offPool { try a.release(claim, retryIn: 60) }
        // The claim waits for node-a's retry: 60 s and a lease of 30 s, by the database's clock.
        let (server, database) = (self.server, self.database)
        let wait = try await offPool {
            try server.psql(
                "SELECT state, round(extract(epoch FROM expires_at - now()))::int FROM reportd_claims WHERE report = 'r'",
                database: database)
        }
        let fields = wait.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        #expect(fields.first == "retrying")
        #expect((88...90).contains(Int(fields.last ?? "") ?? 0), "expires in \(wait)")
        // Before then, no other node takes it and it is not stale; a beat of node-a does not renew it.
        #expect(try await offPool { try b.claim(report: "r", slot: slot) } == .elsewhere(node: "node-a", done: false))
        #expect(try await offPool { try b.staleClaims(reports: ["r"]) }.isEmpty)
        // node-a's own retry takes it at once, with the fence incremented.
        guard case .claimed(let retry) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("node-a's retry was refused")
            return
        }
        #expect(retry.fence == claim.fence + 1)
        // It fails again and will retry; node-a then dies: a lease after the retry was due the slot is
        // stale, named as a retry, and node-b takes it over; node-a's old claim can no longer publish.
        try await offPool { try a.release(retry, retryIn: 120) }
        try await lapse("node-a")
        let stale = try await offPool { try b.staleClaims(reports: ["r"]) }
        #expect(stale == [StaleClaim(report: "r", slot: slot, phase: .retrying, node: "node-a")])
        guard case .claimed(let taken) = try await offPool({ try b.claim(report: "r", slot: slot) }) else {
            Issue.record("the overdue retry was not taken over")
            return
        }
        #expect(taken.fence == retry.fence + 1)
        #expect(try await offPool { try a.complete(retry) } == false)
        #expect(try await offPool { try b.complete(taken) })
        // A run that fails with no retry to come is failed for good: never stale, taken only by a
        // new attempt (a catch-up, `reportd run`).
        guard case .claimed(let last) = try await offPool({ try a.claim(report: "r", slot: slot.addingTimeInterval(60)) })
        else {
            Issue.record("not claimed")
            return
        }
        try await offPool { try a.release(last, retryIn: nil) }
        try await lapse("node-a")
        #expect(try await offPool { try b.staleClaims(reports: ["r"]) }.isEmpty)
    }

    /// A node that dies while it renames its files into place (past its gate, before the slot is
    /// done) does not leave the slot done without its files: the claim is `publishing`, renewed by
    /// the node's heartbeat while it lives, and a lease after its last beat another node takes the
    /// slot over and runs it again. Before, the gate marked the slot done, and no node ran it again.
    @Test func aNodeThatDiesWhilePublishingLeavesItsSlotToAnotherNode() async throws {
        let (a, b) = (store("node-a", lease: 30), store("node-b", lease: 30))
        guard case .claimed(let claim) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        #expect(try await offPool { try a.complete(claim) })
        // While node-a beats, its publishing claim is renewed and nobody takes it.
        try await expectABeatRenews(a, report: "r")
        #expect(try await offPool { try b.staleClaims(reports: ["r"]) }.isEmpty)
        #expect(try await offPool { try b.claim(report: "r", slot: slot) } == .elsewhere(node: "node-a", done: false))
        // node-a dies before `finish`: a lease later the slot is stale, named as publishing, but
        // not to node-b until node-b has been connected for a lease itself (after an outage of the
        // database, a living node-a marks the slot done at its first beat: it must not be taken
        // over before then).
        try await lapse("node-a")
        #expect(try await offPool { try b.staleClaims(reports: ["r"]) }.isEmpty)
        #expect(try await offPool { try b.claim(report: "r", slot: slot) } == .elsewhere(node: "node-a", done: false))
        b.connectedAt.withLock { $0 = Date().addingTimeInterval(-31) }
        let stale = try await offPool { try b.staleClaims(reports: ["r"]) }
        #expect(stale == [StaleClaim(report: "r", slot: slot, phase: .publishing, node: "node-a")])
        guard case .claimed(let taken) = try await offPool({ try b.claim(report: "r", slot: slot) }) else {
            Issue.record("the publishing claim was not taken over")
            return
        }
        #expect(taken.fence == claim.fence + 1)
        #expect(try await offPool { try b.complete(taken) })
        #expect(try await offPool { try b.finish(taken) })
        // node-a, had it only been paused, can neither pass the gate again nor mark the slot done.
        #expect(try await offPool { try a.complete(claim) } == false)
        #expect(try await offPool { try a.finish(claim) } == false)
        #expect(try await offPool { try a.lastCompleted() }["r"]?.node == "node-b")
    }

    /// A cluster database made by the previous reportd (schema version 2, whose claims could not be
    /// `retrying`) is migrated on first contact, its claims kept.
    @Test func aVersionTwoDatabaseIsMigratedAndKeepsItsClaims() async throws {
        let (server, database) = (self.server, self.database)
        // Version 2's tables, as that reportd created them, with one claim done.
        _ = try await offPool {
            try server.psql(
                """
                CREATE TABLE reportd_schema (version integer NOT NULL);
                INSERT INTO reportd_schema VALUES (2);
                CREATE TABLE reportd_nodes (
                    node text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL, version text NOT NULL,
                    started_at timestamptz NOT NULL, last_heartbeat timestamptz NOT NULL);
                CREATE TABLE reportd_claims (
                    report text NOT NULL, slot timestamptz NOT NULL, node text NOT NULL, pid integer NOT NULL,
                    fence bigint NOT NULL, state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
                    claimed_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, done_at timestamptz,
                    PRIMARY KEY (report, slot));
                CREATE TABLE reportd_locks (
                    report text PRIMARY KEY, node text NOT NULL, pid integer NOT NULL, fence bigint NOT NULL,
                    expires_at timestamptz NOT NULL);
                CREATE TABLE reportd_slugs (report text NOT NULL, value text NOT NULL, slug text NOT NULL,
                    PRIMARY KEY (report, value), UNIQUE (report, slug));
                CREATE TABLE reportd_fingerprints (report text NOT NULL, period text NOT NULL, whole boolean NOT NULL,
                    split_value text NOT NULL, fingerprint text NOT NULL, recorded_at timestamptz NOT NULL,
                    PRIMARY KEY (report, period, whole, split_value));
                CREATE TABLE reportd_alerts (report text NOT NULL, when_text text NOT NULL, raised boolean NOT NULL,
                    recorded_at timestamptz NOT NULL, PRIMARY KEY (report, when_text));
                INSERT INTO reportd_claims VALUES ('old', now() - interval '1 day', 'node-z', 1, 1, 'done',
                    now() - interval '1 day', now() - interval '1 day', now() - interval '1 day');
                """, database: database)
        }
        let a = store("node-a")
        #expect(try await offPool { try a.lastCompleted() }["old"]?.node == "node-z")
        let version = try await offPool { try server.psql("SELECT version FROM reportd_schema", database: database) }
        #expect(version.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        guard case .claimed(let claim) = try await offPool({ try a.claim(report: "r", slot: slot) }) else {
            Issue.record("not claimed")
            return
        }
        try await offPool { try a.release(claim, retryIn: 30) }
        let state = try await offPool { try server.psql("SELECT state FROM reportd_claims WHERE report = 'r'", database: database) }
        #expect(state.trimmingCharacters(in: .whitespacesAndNewlines) == "retrying")
    }

    @Test func theDatabasesClockDecidesNotTheNodes() async throws {
        // A node whose clock runs 10 minutes ahead: the database's clock says the slot has not come.
        let a = store("node-a")
        let future = Date().addingTimeInterval(120)
        let early = try await offPool { try a.claim(report: "r", slot: future) }
        guard case .early(let seconds) = early else {
            Issue.record("a slot 2 minutes ahead was claimed: \(early)")
            return
        }
        #expect(seconds > 60 && seconds <= 120)
        // The heartbeat measures the node's clock against the database's.
        let offset = try await offPool { try a.heartbeat(localNow: { Date().addingTimeInterval(600) }) }
        #expect(offset < -590 && offset > -610)
        let behind = try await offPool { try a.heartbeat(localNow: { Date().addingTimeInterval(-300) }) }
        #expect(behind > 290 && behind < 310)
        // Lease expiry is the database's too: the row's expiry is now() + lease on the server.
        let nodes = try await offPool { try a.nodes() }
        #expect(nodes.map(\.node) == ["node-a"])
        #expect(nodes.first?.version == "test")
        #expect(nodes.first.map { $0.secondsSince >= 0 } == true)
    }

    @Test func theReportLockIsOneHolderAcrossNodes() async throws {
        let (a, b) = (store("node-a"), store("node-b", pid: 77))
        guard case .taken(let lock) = try await offPool({ try a.lock(report: "r") }) else {
            Issue.record("not locked")
            return
        }
        #expect(try await offPool { try b.lock(report: "r") } == .held(node: "node-a", pid: 4242))
        try await offPool { try a.unlock(lock) }
        guard case .taken(let second) = try await offPool({ try b.lock(report: "r") }) else {
            Issue.record("a released lock was not taken")
            return
        }
        // A holder silent past its lease loses the lock; its release no longer frees it.
        try await lapse("node-b")
        guard case .taken = try await offPool({ try a.lock(report: "r") }) else {
            Issue.record("a lapsed lock was not taken over")
            return
        }
        try await offPool { try b.unlock(second) }
        #expect(try await offPool { try b.lock(report: "r") } == .held(node: "node-a", pid: 4242))
    }

    @Test func theSchemaIsCreatedOnceAndANewerOneIsRefused() async throws {
        let a = store("node-a")
        _ = try await offPool { try a.nodes() }
        _ = try await offPool { try store("node-b").nodes() }
        let (server, database) = (self.server, self.database)
        let version = try await offPool { try server.psql("SELECT version FROM reportd_schema", database: database) }
        #expect(version.trimmingCharacters(in: .whitespacesAndNewlines) == "\(ClusterStore.schemaVersion)")
        _ = try await offPool { try server.psql("UPDATE reportd_schema SET version = 99", database: database) }
        let error = await #expect(throws: ClusterError.self) { try await offPool { try store("node-c").nodes() } }
        #expect(error?.message.contains("schema version 99") == true)
        #expect(error?.unreachable == false)
    }

    @Test func anUnreachableDatabaseSaysSo() async throws {
        let port = PostgresCluster.freePort()
        let lost = ClusterStore(
            url: "postgresql://postgres@127.0.0.1:\(port)/none?sslmode=disable", passwordFile: nil, node: "n", lease: 2,
            version: "test")
        let error = await #expect(throws: ClusterError.self) { try await offPool { try lost.claim(report: "r", slot: slot) } }
        #expect(error?.unreachable == true)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }
}

/// Runs `body`, which blocks (the store waits for the server), on a dispatch thread: never on
/// Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
