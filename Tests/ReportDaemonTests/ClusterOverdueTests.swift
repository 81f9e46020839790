import Foundation
import Logging
import ReportCluster
import ReportCore
import ReportState
import Testing
import TestSupport

@testable import ReportDaemon

/// Overdue notices on cluster nodes (`MailDesk.overdueJobs` with the cluster's database, a real
/// PostgreSQL server): the last completed slot is the cluster's, one node tells each overdue slot,
/// the node that told also tells the recovery whichever node ran it, and while the database does
/// not answer each node tells once from what it last read.
@Suite(.blocking) struct ClusterOverdueTests {
    static let mail = "mail: {sendmail: /bin/true, from: reportd@example.org}\nowners: [quantri@example.org]"
    /// The current hour's slot.
    let hour = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)

    func node(_ name: String, _ server: PostgresCluster, _ database: String) -> ClusterStore {
        ClusterStore(
            url: server.url(database: database), passwordFile: nil, node: name, lease: 600, version: "test", pid: 4242)
    }

    /// Marks `slot` of `tre` done in the cluster's record, as `store`'s node.
    func complete(_ slot: Date, by store: ClusterStore) throws {
        guard case .claimed(let claim) = try store.claim(report: "tre", slot: slot) else {
            Issue.record("not claimed")
            return
        }
        #expect(try store.complete(claim))
        #expect(try store.finish(claim))
    }

    func check(_ fixture: DaemonFixture, _ notices: MailDesk.ClusterNotices) throws -> [String] {
        let set = try fixture.load()
        return MailDesk.overdueJobs(
            reports: set.reports.values.map(\.definition), running: [], daemon: set.daemon,
            stateDirectory: fixture.store.directory, now: Date(), cluster: notices, logger: Logger(label: "test")
        ).map { job in
            if case .notice(let kind) = job.kind { return "\(kind) \(Int(job.slot.timeIntervalSince1970))" }
            return "?"
        }
    }

    @Test func oneNodeTellsAnOverdueSlotAndTheSameNodeTellsItsRecovery() throws {
        let server = try PostgresCluster.shared()
        let database = try server.createDatabase("clusteroverdue")
        let report = DaemonFixture.report("tre", schedule: "@hourly", extra: "catch_up: none")
        let (a, b) = (
            try DaemonFixture(reports: ["tre": report], daemonExtra: Self.mail),
            try DaemonFixture(reports: ["tre": report], daemonExtra: Self.mail)
        )
        let (storeA, storeB) = (node("node-a", server, database), node("node-b", server, database))
        let (noticesA, noticesB) = (MailDesk.ClusterNotices(store: storeA), MailDesk.ClusterNotices(store: storeB))
        // Neither node has run the report; the cluster's record has a slot three hours ago, done by node-b.
        try complete(hour.addingTimeInterval(-3 * 3600), by: storeB)
        let due = Int(hour.addingTimeInterval(-2 * 3600).timeIntervalSince1970)
        // node-a checks first and tells; node-b finds it told; neither tells it again.
        #expect(try check(a, noticesA) == ["overdue \(due)"])
        #expect(try check(b, noticesB) == [])
        #expect(try check(a, noticesA) == [])
        #expect(try check(b, noticesB) == [])
        // node-b runs the current hour's slot: node-a, which told the owners, tells the recovery.
        try complete(hour, by: storeB)
        #expect(try check(b, noticesB) == [])
        #expect(try check(a, noticesA) == ["recovered \(Int(hour.timeIntervalSince1970))"])
        #expect(try check(a, noticesA) == [])
    }

    @Test func whileTheDatabaseIsDownEachNodeTellsOnceFromWhatItLastRead() throws {
        let report = DaemonFixture.report("tre", schedule: "@hourly", extra: "catch_up: none")
        let fixture = try DaemonFixture(reports: ["tre": report], daemonExtra: Self.mail)
        let lost = ClusterStore(
            url: "postgresql://postgres@127.0.0.1:\(PostgresCluster.freePort())/none?sslmode=disable", passwordFile: nil,
            node: "node-c", lease: 2, version: "test")
        let notices = MailDesk.ClusterNotices(store: lost)
        // Nothing known: no slot was ever completed, so none is overdue.
        #expect(try check(fixture, notices) == [])
        // What the node read before the database went away: a slot three hours ago.
        notices.known.withLock { $0 = ["tre": hour.addingTimeInterval(-3 * 3600)] }
        let due = Int(hour.addingTimeInterval(-2 * 3600).timeIntervalSince1970)
        #expect(try check(fixture, notices) == ["overdue \(due)"])
        #expect(try check(fixture, notices) == [], "told once")
    }
}
