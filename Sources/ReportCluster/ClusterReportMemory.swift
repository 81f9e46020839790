import Foundation
import ReportCore
public import ReportState

/// `ReportMemory` in the cluster's database (`cluster:`): every node of a cluster gives a split
/// value the same slug, compares figures with the same last fingerprints and raises an alert once.
///
/// Each call is one or a few single statements (no transaction: the connection is shared with the
/// heartbeat and the runs of other reports, whose statements would join it). Slugs are assigned
/// optimistically: a value's row and a slug are each unique per report, so of two nodes assigning
/// at once one insert wins and the other reads it back and tries again; an assignment never changes
/// once made.
public struct ClusterReportMemory: ReportMemory {
    let store: ClusterStore

    public init(store: ClusterStore) { self.store = store }

    public func slugAssignments(report: String) throws -> [String: String] {
        var slugs: [String: String] = [:]
        for row in try store.rows("SELECT value, slug FROM reportd_slugs WHERE report = $1", [.string(report)]) {
            if row.count == 2, let value = row[0], let slug = row[1] { slugs[value] = slug }
        }
        return slugs
    }

    public func assignSlugs(
        report: String, values: [String], choose: @Sendable (_ value: String, _ taken: Set<String>) -> String
    ) throws -> [String: String] {
        var slugs = try slugAssignments(report: report)
        for value in values where slugs[value] == nil {
            // A few rounds at most: each lost round means another node assigned a value meanwhile.
            for _ in 0..<100 {
                let slug = choose(value, Set(slugs.values))
                let inserted = try store.rows(
                    """
                    INSERT INTO reportd_slugs (report, value, slug) VALUES ($1, $2, $3)
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, [.string(report), .string(value), .string(slug)])
                if !inserted.isEmpty {
                    slugs[value] = slug
                    break
                }
                slugs = try slugAssignments(report: report)
                if slugs[value] != nil { break }
            }
        }
        return try slugAssignments(report: report)
    }

    public func fingerprint(report: String, period: String, splitValue: String?) throws -> String? {
        try store.rows(
            """
            SELECT fingerprint FROM reportd_fingerprints
            WHERE report = $1 AND period = $2 AND whole = $3 AND split_value = $4
            """, [.string(report), .string(period), .bool(splitValue == nil), .string(splitValue ?? "")]
        ).first?.first ?? nil
    }

    public func recordFingerprint(_ fingerprint: String, report: String, period: String, splitValue: String?) throws {
        try store.rows(
            """
            INSERT INTO reportd_fingerprints (report, period, whole, split_value, fingerprint, recorded_at)
            VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (report, period, whole, split_value)
                DO UPDATE SET fingerprint = EXCLUDED.fingerprint, recorded_at = now()
            """,
            [.string(report), .string(period), .bool(splitValue == nil), .string(splitValue ?? ""), .string(fingerprint)])
    }

    public func alertRaised(report: String, when: String) throws -> Bool? {
        try store.rows(
            "SELECT raised::text FROM reportd_alerts WHERE report = $1 AND when_text = $2",
            [.string(report), .string(when)]
        ).first?.first.flatMap { $0 }.map { $0 == "true" }
    }

    /// One statement, so of two nodes recording the same change at once only one is told it made it.
    @discardableResult
    public func recordAlert(raised: Bool, report: String, when: String) throws -> Bool {
        !(try store.rows(
            """
            INSERT INTO reportd_alerts (report, when_text, raised, recorded_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (report, when_text) DO UPDATE SET raised = EXCLUDED.raised, recorded_at = now()
                WHERE reportd_alerts.raised IS DISTINCT FROM EXCLUDED.raised
            RETURNING 1
            """, [.string(report), .string(when), .bool(raised)])).isEmpty
    }
}
