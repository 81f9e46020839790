public import Foundation
import ReportFiles

/// The metrics file (`metrics_file`): the Prometheus text exposition format (version 0.0.4) that
/// node_exporter's textfile collector reads, so the reports can be watched without reportd opening
/// a port. Rewritten atomically (temporary file, rename) after every run and when the daemon starts
/// or reloads, from the state of each configured report.
public enum MetricsFile {
    /// Renders the metrics of `reports` (name and state, in order).
    /// - Parameter deliveries: the reports' mail states, for the delivery counters (none: no such lines).
    public static func render(
        _ reports: [(name: String, state: ReportState)], deliveries: [String: DeliveryState] = [:], now: Date = Date()
    ) -> String {
        var out = ""
        func family(
            _ name: String, _ type: String, _ help: String, _ value: (ReportState) -> Double?
        ) {
            let samples = reports.compactMap { r in value(r.state).map { (r.name, $0) } }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (report, v) in samples { out += "\(name){report=\"\(escape(report))\"} \(number(v))\n" }
        }
        out += "# HELP reportd_info The reportd version that wrote this file.\n# TYPE reportd_info gauge\n"
        out += "reportd_info{version=\"\(escape(ReportdVersion.current))\"} 1\n"
        out += "# HELP reportd_metrics_written_timestamp_seconds When this file was written (Unix time).\n"
        out += "# TYPE reportd_metrics_written_timestamp_seconds gauge\n"
        out += "reportd_metrics_written_timestamp_seconds \(number(now.timeIntervalSince1970.rounded(.down)))\n"
        family(
            "reportd_report_last_success_timestamp_seconds", "gauge",
            "When the report's last successful run finished (Unix time).",
            { $0.lastSuccess.map { $0.finishedAt.timeIntervalSince1970.rounded(.down) } })
        family(
            "reportd_report_last_run_timestamp_seconds", "gauge", "When the report's last run finished (Unix time).",
            { $0.lastRun.map { $0.finishedAt.timeIntervalSince1970.rounded(.down) } })
        family(
            "reportd_report_last_run_success", "gauge", "1 when the report's last run succeeded, 0 when it failed.",
            { $0.lastRun.map { $0.outcome == .success ? 1 : 0 } })
        family(
            "reportd_report_last_duration_seconds", "gauge", "How long the report's last run took.",
            { $0.lastRun?.duration })
        family(
            "reportd_report_rows_used", "gauge", "Dataset rows the report's last successful run used (after its filter).",
            { $0.lastSuccess?.rowsUsed.map(Double.init) })
        family(
            "reportd_report_rows_rejected", "gauge",
            "Dataset rows rejected as malformed in the report's last successful run.",
            { $0.lastSuccess?.rowsRejected.map(Double.init) })
        family(
            "reportd_report_failures_in_a_row", "gauge", "Failed runs of the report since its last success.",
            { Double($0.lastRun?.failuresInARow ?? 0) })
        family(
            "reportd_report_runs_total", "counter", "Runs of the report, successful or not.", { Double($0.runsTotal) })
        family(
            "reportd_report_failures_total", "counter", "Failed runs of the report.", { Double($0.failuresTotal) })
        family(
            "reportd_report_skipped_total", "counter",
            "Runs of the report that completed without publishing (publish_when was false).", { Double($0.skippedTotal) })
        if !deliveries.isEmpty {
            out += deliveryFamilies(reports.map(\.name), deliveries)
        }
        return out
    }

    /// Writes the metrics of `reports` to `path` atomically, readable by others (0644: the collector
    /// runs as another user); the folder is created 0755 when missing.
    public static func write(
        _ reports: [(name: String, state: ReportState)], deliveries: [String: DeliveryState] = [:], to path: String
    ) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: name, bytes: Array(render(reports, deliveries: deliveries).utf8))], intoFolderAt: folder.isEmpty ? "." : folder,
            permissions: .init(fileMode: 0o644, folderMode: 0o755))
    }

    /// The mail delivery counters of `names` (issue 19).
    static func deliveryFamilies(_ names: [String], _ deliveries: [String: DeliveryState]) -> String {
        var out = ""
        let families: [(String, String, (DeliveryState) -> Int)] = [
            ("reportd_report_deliveries_total", "Mail deliveries of the report's outputs, successful or not.", \.deliveriesTotal),
            ("reportd_report_delivery_failures_total", "Mail deliveries that failed after their retries.", \.deliveryFailuresTotal),
        ]
        for (name, help, value) in families {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for report in names {
                out += "\(name){report=\"\(escape(report))\"} \(value(deliveries[report] ?? DeliveryState()))\n"
            }
        }
        return out
    }

    /// A label value with `\`, `"` and line breaks escaped.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others with up to millisecond precision.
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String((v * 1000).rounded() / 1000)
    }
}
