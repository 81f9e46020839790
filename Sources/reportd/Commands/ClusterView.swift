import Foundation
import ReportCore
import ReportConfig
import ReportCluster
import ReportDaemon
import ReportState

/// The cluster's record as `status` and `list` show it (`cluster:`): the nodes with their last
/// heartbeat and version, and the node that ran each report's last slot.
struct ClusterView {
    var status: StatusReport.Cluster
    /// Each report's newest slot any node completed.
    var completed: [String: Date]

    static func store(_ settings: ClusterSettings) -> ClusterStore {
        ClusterStore(
            url: settings.url, passwordFile: settings.passwordFile, node: settings.node, lease: settings.lease,
            version: ReportdVersion.current)
    }

    static func read(_ settings: ClusterSettings, timeZone: String) -> ClusterView {
        let store = store(settings)
        defer { store.disconnect() }
        let zone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        let database = ClusterStore.endpoint(of: settings.url)
        do {
            let nodes = try store.nodes()
            let last = try store.lastCompleted()
            return ClusterView(
                status: StatusReport.Cluster(
                    node: settings.node, database: database, unreachable: nil,
                    nodes: nodes.map {
                        StatusReport.Cluster.Node(
                            node: $0.node, host: $0.host, pid: $0.pid, version: $0.version,
                            lastHeartbeat: SlotTime(date: $0.lastHeartbeat, timeZone: zone).iso8601,
                            heartbeatAgeSeconds: ($0.secondsSince * 10).rounded() / 10)
                    },
                    lastSlots: last.keys.sorted().map {
                        StatusReport.Cluster.LastSlot(
                            report: $0, slot: SlotTime(date: last[$0]!.slot, timeZone: zone).iso8601, node: last[$0]!.node)
                    }),
                completed: last.mapValues(\.slot))
        } catch {
            return ClusterView(
                status: StatusReport.Cluster(
                    node: settings.node, database: database, unreachable: error.message, nodes: [], lastSlots: []),
                completed: [:])
        }
    }

    static func print(_ cluster: StatusReport.Cluster) {
        Swift.print("cluster: node '\(cluster.node)', database \(cluster.database)")
        if let why = cluster.unreachable {
            Swift.print("cluster: DATABASE UNREACHABLE: \(why); no node can claim a slot until it answers")
            return
        }
        var rows = [["  NODE", "HOST", "PID", "VERSION", "LAST HEARTBEAT", "AGE"]]
        for n in cluster.nodes {
            rows.append([
                "  " + n.node, n.host, String(n.pid), n.version, n.lastHeartbeat, String(format: "%.1f s", n.heartbeatAgeSeconds),
            ])
        }
        printTable(rows)
        if !cluster.lastSlots.isEmpty {
            var slots = [["  REPORT", "LAST SLOT DONE", "BY NODE"]]
            for s in cluster.lastSlots { slots.append(["  " + s.report, s.slot, s.node]) }
            printTable(slots)
        }
    }
}
