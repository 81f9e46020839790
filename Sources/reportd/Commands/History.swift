import ArgumentParser
import Foundation
import ReportCore
import ReportDaemon
import ReportIO

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the run history: one line per run, newest last (all reports, or one).",
        discussion: "Each run's full record is in STATE/history/NAME.jsonl; --json prints the records.")

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The report (default: every configured report, merged by time).")
    var name: String?

    @Option(help: "How many runs, newest.")
    var limit: Int = 20

    @Flag(help: "Print the records as JSON lines, as stored.")
    var json = false

    func run() throws {
        let configuration = options.load()
        printDiagnostics(configuration.diagnostics)
        guard let daemon = configuration.daemon else { throw ExitCode(2) }
        let known = configuration.reports.map(\.definition.name)
        if let name, !known.contains(name) {
            var message = "reportd: no valid report named '\(name)'"
            if let guess = closestMatch(to: name, among: known) { message += " (did you mean '\(guess)'?)" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(2)
        }
        let history = RunHistory(stateDirectory: daemon.stateDirectory)
        var records: [RunRecord] = []
        do {
            for report in name.map({ [$0] }) ?? known { records += try history.records(report, limit: limit) }
        } catch {
            FileHandle.standardError.write(Data("reportd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        records = Array(records.sorted { $0.finished < $1.finished }.suffix(max(0, limit)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for record in records { print(String(decoding: try encoder.encode(record), as: UTF8.self)) }
            return
        }
        var rows = [["FINISHED (UTC)", "REPORT", "SLOT", "TRIGGER", "OUTCOME", "DURATION", "ROWS", "FILES"]]
        for r in records {
            rows.append([
                r.finished, r.report, r.slot, r.attempt > 1 ? "\(r.trigger) #\(r.attempt)" : r.trigger,
                r.outcome, Status.seconds(r.durationSeconds), r.dataset.map { String($0.rowsUsed) } ?? "-",
                r.files.map { String($0.count) } ?? (r.compacted == true ? "(compacted)" : "0"),
            ])
        }
        printTable(rows)
        for r in records where r.error != nil { print("\(r.report) \(r.slot): \(r.error!)") }
    }
}
