import ArgumentParser
import Foundation
import ReportCore
import ReportDaemon
import ReportConfig
import ReportFiles
import ReportState

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the run history: one line per run, newest last (all reports, or one).",
        discussion: "Each run's full record is in STATE/history/NAME.jsonl; --json prints the records.")

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The report (default: every configured report, merged by time).")
    var name: String?

    @Option(help: "How many runs, newest.")
    var limit: Int = 20

    @Option(
        help: ArgumentHelp(
            "Only runs that finished since then: a duration back from now (12h, 2d) or a time (2026-11-28T18:00, in the daemon's time zone, or with an offset).",
            valueName: "when"))
    var since: String?

    @Flag(help: "Print the records as JSON lines, as stored.")
    var json = false

    func run() throws {
        let (loaded, files, diagnostics) = options.loadFiles(startingPlugins: false)
        printDiagnostics(diagnostics + files.flatMap(\.diagnostics))
        guard let daemon = loaded else { throw ExitCode(2) }
        // Every report the daemon runs or refused, by name: one on its previous definition (its
        // file invalid now) has a history too.
        let view = ReportFilesView.current(stateDirectory: daemon.stateDirectory, checked: files)
        let known = view.names
        if let name, !known.contains(name) {
            sayNoReport(name, among: known, valid: false)
            throw ExitCode(2)
        }
        let zone = TimeZone(identifier: daemon.timezone) ?? TimeZone(identifier: "UTC")!
        var zones: [String: TimeZone] = [:]
        for state in view.files {
            if let name = state.report, let tz = state.definition.flatMap({ TimeZone(identifier: $0.timezone) }) {
                zones[name] = tz
            }
        }
        var from: Date?
        if let since {
            guard let date = Self.parseSince(since, now: Date(), zone: zone) else {
                throw ValidationError("--since '\(since)' is neither a duration such as 12h or 2d nor a time such as 2026-11-28T18:00")
            }
            from = date
        }
        let history = RunHistory(stateDirectory: daemon.stateDirectory)
        var records: [RunRecord] = []
        do {
            for report in name.map({ [$0] }) ?? known {
                // Without --since the newest `limit` of each report suffice; with it, all are read
                // and filtered by time first.
                records += try history.records(report, limit: from == nil ? limit : nil)
            }
        } catch {
            writeStandardError("reportd: \(error)\n")
            throw ExitCode(2)
        }
        let utc = TimeZone(identifier: "UTC")!
        if let from {
            records = records.filter { LocalTime.parse($0.finished, in: utc).map { $0 >= from } ?? true }
        }
        records = Array(records.sorted { $0.finished < $1.finished }.suffix(max(0, limit)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for record in records { print(String(decoding: try encoder.encode(record), as: UTF8.self)) }
            return
        }
        // Times in the report's time zone, with the offset, as the slots and every other command.
        func finished(_ r: RunRecord) -> String {
            guard let date = LocalTime.parse(r.finished, in: utc) else { return r.finished }
            return SlotTime(date: date, timeZone: zones[r.report] ?? zone).iso8601
        }
        // The PERIOD column only when a listed run reported on a period.
        let periods = records.contains { $0.period != nil }
        let periodColumn = periods ? ["PERIOD"] : []
        // The NODE column only when a listed run was a cluster node's (`cluster:`).
        let nodes = records.contains { $0.node != nil }
        var rows = [
            ["FINISHED", "REPORT", "SLOT"] + periodColumn + ["TRIGGER", "OUTCOME", "DURATION", "ROWS", "FILES"]
                + (nodes ? ["NODE"] : [])
        ]
        for r in records {
            let period = periods ? [r.period?.name ?? "-"] : []
            rows.append(
                [finished(r), r.report, r.slot] + period + [
                    r.attempt > 1 ? "\(r.trigger.rawValue) #\(r.attempt)" : r.trigger.rawValue,
                    r.alert.map { "alert \($0.state)" } ?? (r.skipped == nil ? r.outcome.rawValue : "skipped (\(r.skipped!))"), Status.seconds(r.durationSeconds), r.dataset.map { String($0.rowsUsed) } ?? "-",
                    r.files.map { String($0.count) } ?? (r.compacted == true ? "(compacted)" : "0"),
                ] + (nodes ? [r.node ?? "-"] : []))
        }
        printTable(rows)
        for r in records where r.error != nil { print("\(r.report) \(r.slot): \(r.error!)") }
        for state in view.problems where name == nil || state.report == name {
            print("note: \(state.label): \(state.reason(in: zone) ?? "")")
        }
    }

    /// `12h`, `90m`, `2d`, `30s` back from `now`, or a local time in `zone` (or with an offset).
    static func parseSince(_ text: String, now: Date, zone: TimeZone) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let scale = units[unit], let n = Double(text.dropLast()), n >= 0, n < 1e7 {
            return now.addingTimeInterval(-n * scale)
        }
        return LocalTime.parse(text, in: zone)
    }
}
