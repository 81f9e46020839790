import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle
import ReportState
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per report: name, schedule, time zone, next run, last run and its outcome.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let (loaded, files, diagnostics) = options.loadFiles(startingPlugins: false)
        printDiagnostics(diagnostics + files.flatMap(\.diagnostics))
        guard let daemon = loaded else { throw ExitCode(2) }
        let store = StateStore(directory: daemon.stateDirectory)
        let view = ReportFilesView.current(stateDirectory: daemon.stateDirectory, checked: files)
        let daemonZone = TimeZone(identifier: daemon.timezone) ?? TimeZone(identifier: "UTC")!
        let now = Date()
        // A cluster's last slots are the cluster's (any node's), with the node that ran each.
        let cluster = daemon.cluster.map { ClusterView.read($0, timeZone: daemon.timezone) }
        if let why = cluster?.status.unreachable {
            writeStandardError("reportd: the cluster database is unreachable (\(why)): last runs are this node's\n")
        }
        let clusterLast = Dictionary(
            (cluster?.status.lastSlots ?? []).map { ($0.report, $0.node) }, uniquingKeysWith: { a, _ in a })
        var rows = [["NAME", "SCHEDULE", "TIMEZONE", "NEXT RUN", "LAST RUN", "OUTCOME"]]
        // In report name order, every report file: those that do not run as their file says are
        // marked, and said why below.
        for state in view.files {
            let d = state.report.flatMap { state.definition?.reportDefinition(name: $0) }
            let zone = d.flatMap { TimeZone(identifier: $0.timezone) } ?? daemonZone
            let last = state.report.flatMap { store.load($0).lastRun }
            var lastText = last.map { SlotTime(date: $0.slot, timeZone: zone).iso8601 + " (\($0.trigger.rawValue))" } ?? "never"
            var outcome = last?.outcome.rawValue ?? "-"
            if let name = state.report, let done = cluster?.completed[name], last.map({ done > $0.slot }) ?? true {
                lastText = SlotTime(date: done, timeZone: zone).iso8601 + " (node \(clusterLast[name] ?? "?"))"
                outcome = "success"
            }
            if !state.condition.isHealthy {
                outcome = d == nil ? Status.word(state.condition) : outcome + " [\(Status.word(state.condition))]"
            }
            guard let d else {
                rows.append([state.label, "-", "-", "not running", lastText, outcome])
                continue
            }
            let next =
                d.schedule.nextSlot(after: now, in: zone).map { SlotTime(date: $0, timeZone: zone).iso8601 } ?? "never"
            rows.append([d.name, d.schedule.description, d.timezone, next, lastText, outcome])
        }
        printTable(rows)
        for state in view.problems {
            print("\(state.label): \(state.reason(in: daemonZone) ?? "")")
        }
    }
}
