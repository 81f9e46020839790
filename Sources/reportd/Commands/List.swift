import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportIO
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One line per report: name, schedule, time zone, next run, last run and its outcome.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = options.load(startingPlugins: false)
        printDiagnostics(configuration.diagnostics)
        guard let daemon = configuration.daemon else { throw ExitCode(2) }
        let store = StateStore(directory: daemon.stateDirectory)
        let now = Date()
        var rows = [["NAME", "SCHEDULE", "TIMEZONE", "NEXT RUN", "LAST RUN", "OUTCOME"]]
        for r in configuration.reports {
            let d = r.definition
            let zone = TimeZone(identifier: d.timezone) ?? TimeZone(identifier: "UTC")!
            let next =
                d.schedule.nextSlot(after: now, in: zone).map { SlotTime(date: $0, timeZone: zone).iso8601 } ?? "never"
            let last = store.load(d.name).lastRun
            let lastText = last.map { SlotTime(date: $0.slot, timeZone: zone).iso8601 + " (\($0.trigger))" } ?? "never"
            rows.append([d.name, d.schedule.description, d.timezone, next, lastText, last?.outcome ?? "-"])
        }
        printTable(rows)
    }
}
