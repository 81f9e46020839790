import Foundation
import ReportCluster
import ReportState
import Testing
import TestSupport

/// `ReportMemory` over the cluster's database: two nodes see one memory.
@Suite(.blocking) struct ClusterReportMemoryTests {
    let server: PostgresCluster
    let database: String

    /// The server is started and the database made off the cooperative pool (processes waited for).
    init() async throws {
        (server, database) = try await offPool {
            let server = try PostgresCluster.shared()
            return (server, try server.createDatabase("clustermemory"))
        }
    }

    func memory(_ node: String) -> ClusterReportMemory {
        ClusterReportMemory(
            store: ClusterStore(
                url: server.url(database: database), passwordFile: nil, node: node, lease: 5, version: "test"))
    }

    /// The plain slug when free, else the slug with -2, -3… (as a split's slugs are chosen).
    static let choose: @Sendable (String, Set<String>) -> String = { value, taken in
        let plain = value.lowercased().replacingOccurrences(of: " ", with: "-")
        var slug = plain
        var n = 2
        while taken.contains(slug) {
            slug = "\(plain)-\(n)"
            n += 1
        }
        return slug
    }

    @Test func twoNodesAssigningAtOnceAgreeOnEverySlug() async throws {
        let (a, b) = (memory("node-a"), memory("node-b"))
        let values = (0..<40).map { "Quận \($0 % 20)" + ($0 >= 20 ? " " : "") }
        async let fromA = offPool { try a.assignSlugs(report: "r", values: values, choose: Self.choose) }
        async let fromB = offPool { try b.assignSlugs(report: "r", values: values.reversed(), choose: Self.choose) }
        let (seenA, seenB) = try await (fromA, fromB)
        let final = try await offPool { try a.slugAssignments(report: "r") }
        #expect(final.count == values.count)
        #expect(Set(final.values).count == values.count, "two values share a slug: \(final)")
        #expect(seenA == final)
        #expect(seenB == final)
        // Assignments never change.
        let again = try await offPool { try b.assignSlugs(report: "r", values: ["new one"], choose: Self.choose) }
        #expect(again.filter { $0.key != "new one" } == final)
        #expect(try await offPool { try a.slugAssignments(report: "other") }.isEmpty)
    }

    @Test func fingerprintsAndAlertsAreSharedBetweenNodes() async throws {
        let (a, b) = (memory("node-a"), memory("node-b"))
        #expect(try await offPool { try b.fingerprint(report: "r", period: "2026-11", splitValue: nil) } == nil)
        try await offPool { try a.recordFingerprint("f1", report: "r", period: "2026-11", splitValue: nil) }
        try await offPool { try a.recordFingerprint("f2", report: "r", period: "2026-11", splitValue: "") }
        try await offPool { try a.recordFingerprint("f3", report: "r", period: "2026-11", splitValue: "Sìn Hồ") }
        #expect(try await offPool { try b.fingerprint(report: "r", period: "2026-11", splitValue: nil) } == "f1")
        #expect(try await offPool { try b.fingerprint(report: "r", period: "2026-11", splitValue: "") } == "f2")
        #expect(try await offPool { try b.fingerprint(report: "r", period: "2026-11", splitValue: "Sìn Hồ") } == "f3")
        try await offPool { try b.recordFingerprint("f4", report: "r", period: "2026-11", splitValue: nil) }
        #expect(try await offPool { try a.fingerprint(report: "r", period: "2026-11", splitValue: nil) } == "f4")
        #expect(try await offPool { try a.alertRaised(report: "r", when: "total > 5") } == nil)
        #expect(try await offPool { try a.recordAlert(raised: true, report: "r", when: "total > 5") })
        #expect(try await offPool { try b.alertRaised(report: "r", when: "total > 5") } == true)
        // Two nodes that both saw it cleared and now raised: only the first makes the change (and tells).
        #expect(try await offPool { try b.recordAlert(raised: true, report: "r", when: "total > 5") } == false)
        _ = try await offPool { try b.recordAlert(raised: false, report: "r", when: "total > 5") }
        #expect(try await offPool { try a.alertRaised(report: "r", when: "total > 5") } == false)
    }
}
