import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Prints the next run times of one report, in its time zone with the UTC offset, and the period each reports on."
    )

    @OptionGroup var options: ConfigOptions

    @Argument(help: "The report.")
    var name: String

    @Option(help: "How many run times.")
    var count: Int = 5

    @Option(help: ArgumentHelp("Start after this time instead of now (ISO 8601).", valueName: "time"))
    var from: String?

    func run() throws {
        let configuration = options.load(startingPlugins: false)
        guard let report = configuration.reports.first(where: { $0.definition.name == name }) else {
            printDiagnostics(configuration.diagnostics)
            // Without a daemon config there are no reports at all: its error above says why, and
            // "no valid report named" would send the reader looking for a typo in the name.
            if configuration.daemon != nil {
                sayNoReport(name, among: configuration.reports.map(\.definition.name))
            }
            throw ExitCode(2)
        }
        let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
        var start = Date()
        if let from {
            guard let parsed = LocalTime.parse(from, in: zone) else {
                throw ValidationError("--from '\(from)' is not a time like 2026-11-23T06:00 or 2026-11-23T06:00:00Z")
            }
            start = parsed
        }
        let utc = TimeZone(identifier: "UTC")!
        for slot in report.definition.schedule.slots(after: start, count: max(0, count), in: zone) {
            // A report with `period:` also names the period the slot covers.
            let period = report.definition.period.map { rule in
                let run = rule.runPeriod(slot: slot, in: zone)
                let locale = report.definition.locale ?? configuration.daemon?.locale
                return "  " + PeriodLabel.label(run.period, range: run.range, locale: locale)
            }
            print(
                "\(SlotTime(date: slot, timeZone: zone).iso8601)  (\(SlotTime(date: slot, timeZone: utc).iso8601.dropLast(6))Z)"
                    + (period ?? ""))
        }
    }
}
