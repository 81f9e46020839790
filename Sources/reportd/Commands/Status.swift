import ArgumentParser
import Foundation
import ReportCore
import ReportDaemon
import ReportConfig
import ReportFiles
import ReportState

#if canImport(Glibc)
    import Glibc
#endif

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shows whether the daemon runs and each report's last run, next slot and failures in a row.",
        discussion: """
            Reads the state folder (run it as root or as reportd's user): every report file with its state \
            as the running daemon last loaded it (loaded; running its PREVIOUS DEFINITION because the file \
            is invalid; REFUSED, new and invalid; NOT LOADED, its plugin did not load). With no daemon \
            running, it checks the report files itself (INVALID: the daemon would not load it), without \
            starting plugins. Exit status 0 when all is well; 1 when any report file is not loaded as it \
            says, any report's last run failed, a slot is overdue (more than 10 minutes past, or the \
            report's timeout plus a minute when that is longer, and not completed), or the daemon runs \
            but its heartbeat stopped; 2 when the config or the state folder cannot be read. Suitable for \
            a monitoring check.
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: "One report, shown in detail with its last run's record (files, SHA-256, dataset).")
    var name: String?

    @Flag(help: "Print JSON, for scripts.")
    var json = false

    func run() throws {
        let (loaded, files, diagnostics) = options.loadFiles(startingPlugins: false)
        printDiagnostics(diagnostics + files.flatMap(\.diagnostics))
        guard let daemon = loaded else { throw ExitCode(2) }
        try checkReadable(daemon.stateDirectory)
        let view = ReportFilesView.current(stateDirectory: daemon.stateDirectory, checked: files)
        if let name, !view.names.contains(name) {
            sayNoReport(name, among: view.names, valid: false)
            throw ExitCode(2)
        }
        // A cluster's nodes share one record of completed slots: read it (a few seconds at most).
        let cluster = daemon.cluster.map { ClusterView.read($0, timeZone: daemon.timezone) }
        var status = StatusReport.make(
            view: view, stateDirectory: daemon.stateDirectory, daemonTimeZone: daemon.timezone,
            withLastRecord: name != nil, only: name, clusterCompleted: cluster?.completed)
        if let cluster {
            status.cluster = cluster.status
            if cluster.status.unreachable != nil { status.ok = false }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            printText(status, detailed: name != nil, loadedAt: view.loadedAt, zone: daemon.timezone)
        }
        if !status.ok { throw ExitCode(1) }
    }

    /// Fails with exit status 2 when the state folder exists but cannot be read (another user's).
    private func checkReadable(_ state: String) throws {
        if access(state, F_OK) != 0 && errno == ENOENT { return }
        if access(state, R_OK | X_OK) != 0 {
            writeStandardError(
                "reportd: cannot read the state folder \(state): \(String(cString: strerror(errno))); "
                    + "run as root or as reportd's user (sudo -u reportd reportd status)\n")
            throw ExitCode(2)
        }
    }

    /// The STATE column's word for each condition.
    static func word(_ condition: ReportFileState.Condition) -> String {
        switch condition {
        case .loaded: "loaded"
        case .keptPrevious: "PREVIOUS DEFINITION"
        case .refused: "REFUSED"
        case .notLoaded: "NOT LOADED"
        case .invalid: "INVALID"
        }
    }

    private func printText(_ status: StatusReport, detailed: Bool, loadedAt: Date?, zone: String) {
        let d = status.daemon
        var line = "daemon: "
        if d.running {
            line += "running (pid \(d.pid.map(String.init) ?? "?")"
            if let started = d.startedAt { line += ", since \(started)" }
            if let age = d.heartbeatAgeSeconds { line += ", heartbeat \(age) s ago" }
            line += ")"
            if d.unresponsive { line += " — UNRESPONSIVE: no heartbeat for over \(Int(3 * DaemonPresence.heartbeatInterval)) s" }
            if let text = d.status { line += "; \(text)" }
        } else {
            line += "not running"
            if let pid = d.pid, let started = d.startedAt { line += " (last: pid \(pid), started \(started))" }
        }
        print(line)
        if let loadedAt {
            let tz = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")!
            print("report files: as the daemon loaded them at \(SlotTime(date: loadedAt, timeZone: tz).iso8601)")
        } else if d.running {
            print("report files: checked now (the daemon has not recorded what it loaded)")
        } else {
            print("report files: checked now, without starting plugins (reportd validate checks those)")
        }
        if let cluster = status.cluster { ClusterView.print(cluster) }
        if let outbox = status.mailOutbox {
            let n = outbox.messages
            print(
                "mail outbox: \(n) message\(n == 1 ? "" : "s") wait\(n == 1 ? "s" : "") to be sent"
                    + (outbox.oldestQueued.map { " (the oldest queued \($0))" } ?? "")
                    + (status.daemon.running ? "" : "; the next `reportd serve` sends them"))
        }
        if detailed, let report = status.reports.first {
            printDetail(report)
            return
        }
        var rows = [
            ["REPORT", "STATE", "LAST SLOT", "TRIGGER", "OUTCOME", "FINISHED", "DURATION", "ROWS", "FAILS", "NEXT SLOT"],
        ]
        for r in status.reports {
            let last = r.lastRun
            var outcome = last?.outcome ?? "never run"
            if r.overdueSince != nil { outcome += " (overdue)" }
            if r.runningSlot != nil { outcome += " (running)" }
            rows.append([
                r.name, Self.word(r.state), last?.slot ?? "-", last?.trigger ?? "-", outcome, last?.finishedAt ?? "-",
                last?.durationSeconds.map(Self.seconds) ?? "-", last?.rowsUsed.map(String.init) ?? "-",
                String(r.failuresInARow), r.schedule == nil ? "-" : r.nextSlot ?? "never",
            ])
        }
        printTable(rows)
        for r in status.reports where !r.state.isHealthy {
            print("\(r.name): \(r.problem ?? Self.word(r.state))")
        }
        for r in status.reports {
            if let slot = r.runningSlot { print("\(r.name): running now, for the slot \(slot)") }
            if let overdue = r.overdueSince { print("\(r.name): the slot \(overdue) is overdue (not completed)") }
            if let last = r.lastRun, last.outcome == "failed" {
                print("\(r.name): failed \(r.failuresInARow) time\(r.failuresInARow == 1 ? "" : "s") in a row: \(last.error ?? "?")")
            }
            if let delivery = r.lastDelivery, delivery.outcome == "failed" {
                print("\(r.name): the mail of the slot \(delivery.slot) failed (the files are published): \(delivery.error ?? "?")")
            }
        }
    }

    private func printDetail(_ r: StatusReport.Report) {
        print("report: \(r.name)" + (r.title.map { " — \($0)" } ?? ""))
        print("file: \(r.file)")
        var state = "state: \(Self.word(r.state))"
        if let since = r.stateSince { state += " since \(since)" }
        print(state)
        if !r.state.isHealthy, let problem = r.problem { print("  \(problem)") }
        if let schedule = r.schedule {
            print("schedule: \(schedule) (\(r.timezone ?? "?")); next slot: \(r.nextSlot ?? "never")")
        }
        print("runs: \(r.runsTotal) (\(r.failuresTotal) failed); failures in a row: \(r.failuresInARow)")
        if let success = r.lastSuccess { print("last success: finished \(success)") }
        if let delivery = r.lastDelivery {
            var line = "last delivery: slot \(delivery.slot), finished \(delivery.finishedAt): \(delivery.outcome)"
            line += " (\(r.deliveriesTotal ?? 0) deliveries, \(r.deliveryFailuresTotal ?? 0) failed)"
            print(line)
            if let error = delivery.error { print("  delivery error: \(error)") }
        }
        if let overdue = r.overdueSince { print("OVERDUE: the slot \(overdue) has not completed") }
        if let slot = r.runningSlot { print("running now, for the slot \(slot)") }
        guard let last = r.lastRun else {
            print("last run: never")
            return
        }
        var text = "last run: slot \(last.slot), \(last.trigger), finished \(last.finishedAt)"
        if let duration = last.durationSeconds { text += ", took \(Self.seconds(duration))" }
        print(text + ": \(last.outcome)")
        if let period = r.lastRecord?.period {
            print("  period: \(period.name), \(period.label), \(period.start) to \(period.end)")
        }
        if let error = last.error { print("  error: \(error)") }
        if let condition = last.condition { print("  publish_when was false: \(condition)") }
        guard let record = r.lastRecord else { return }
        if let d = record.dataset {
            var line = "  dataset: \(d.name), \(d.rows) rows, \(d.rowsUsed) used, \(d.rowsRejected) rejected"
            if let sha = d.sha256 {
                line += ", sha256 \(sha)"
            } else if let source = d.source {
                line += ", \(source)"
            } else if let checksum = d.checksum {
                line += ", checksum \(checksum)"
            }
            print(line)
        }
        if let calculators = record.calculators, !calculators.isEmpty {
            print("  calculators: " + calculators.map { "\($0.name) [\($0.provider)]" }.joined(separator: ", "))
        }
        if let files = record.files, !files.isEmpty {
            print("  files:")
            var rows: [[String]] = [["    PATH", "BYTES", "SHA-256"]]
            for f in files { rows.append(["    " + f.path, String(f.bytes), f.sha256]) }
            printTable(rows)
        }
    }

    static func seconds(_ s: Double) -> String {
        s < 10 ? String(format: "%.2f s", s) : String(format: "%.0f s", s)
    }
}
