import ArgumentParser
import CSignalGuard
import Foundation
import Logging
import ReportCalculators
import ReportCluster
import ReportCore
import ReportDaemon
import ReportConfig
import ServiceLifecycle
import ReportFiles
import ReportState
import ReportRun

#if canImport(Glibc)
    import Glibc
#endif

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs reports once, now, and publishes their outputs (all reports when none is named).",
        discussion: """
            --slot reruns one past slot of the schedule: a report with 'period:' reports on the period \
            that slot covers. --period names the period instead (2026-11, 2026-Q4, 2026-H1, 2026, \
            2026-W48, 2026-11-30) and runs the slot that reports on it: with covers: previous the \
            first slot after the period, with covers: current the last slot inside it (now while it \
            runs); its files are named by that slot. Neither runs a slot still to come.
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(help: "Names of the reports to run.")
    var names: [String] = []

    @Flag(help: "When the daemon (or another run) is running a named report, wait for it instead of failing.")
    var wait = false

    @Option(
        help: ArgumentHelp(
            "Rerun one past slot of the schedule (backfill), e.g. 2026-11-23T06:00 in each report's time zone, with an offset (needed in a repeated hour), or a date with one slot; its files replace that slot's.",
            valueName: "time"))
    var slot: String?

    @Option(
        help: ArgumentHelp(
            "Report on exactly this period (reports with 'period:'), e.g. 2026-11, 2026-Q4, 2026-H1, 2026, 2026-W48 or 2026-11-30; its files are named by the slot that reports on it.",
            valueName: "period"))
    var period: String?

    @Flag(help: "Do not mail the outputs to the reports' 'deliver:' addresses (a run now mails them by default).")
    var noDeliver = false

    @Flag(help: "Mail the outputs of a --slot or --period run too (a backfill mails nothing unless asked).")
    var deliver = false

    func run() throws {
        if noDeliver && deliver { throw ValidationError("--deliver and --no-deliver contradict each other: give one") }
        let logger = options.logger()
        let configuration = options.load(logger: logger, connecting: true)
        printDiagnostics(configuration.diagnostics)
        guard let daemon = configuration.daemon else { throw ExitCode(2) }
        var selected = configuration.reports
        var failed = !configuration.errors.isEmpty
        if !names.isEmpty {
            let known = configuration.reports.map(\.definition.name)
            var unknown = false
            for name in names where !known.contains(name) {
                // A named report whose file has errors was reported above; anything else is a typo.
                if !configuration.errors.isEmpty { continue }
                sayNoReport(name, among: known, valid: false)
                unknown = true
            }
            if unknown { throw ExitCode(2) }
            selected = configuration.reports.filter { names.contains($0.definition.name) }
            failed = selected.count < Set(names).count
        }
        let recorder = RunRecorder(
            store: StateStore(directory: daemon.stateDirectory), daemon: daemon,
            reports: configuration.reports.map(\.definition.name))
        var runLogger = logger
        if slot != nil, period != nil { throw ValidationError("--slot and --period name the same thing: give one") }
        let trigger = slot == nil && period == nil ? RunTrigger.manual : .backfill
        runLogger[metadataKey: "run.trigger"] = "\(trigger.rawValue)"
        var runner = ReportRunner(config: daemon, logger: runLogger)
        runner.lockMode = wait ? .wait : .refuse
        // On a cluster node, the reports' locks across the cluster too (Run+Cluster.swift).
        var clusterLocks: ClusterRunLocks?
        if let cluster = daemon.cluster {
            let (locks, refusal) = ClusterRunLocks.take(
                cluster, reports: selected.map(\.definition.name), wait: wait)
            if let refusal {
                writeStandardError("reportd: \(refusal); nothing was run\n")
                throw ExitCode(1)
            }
            clusterLocks = locks
            // Split slugs and `changed` fingerprints are the cluster's, whichever node runs.
            if let locks { runner.memory = ClusterReportMemory(store: locks.store) }
        }
        defer { clusterLocks?.release() }
        var outcomes: [RunResult] = []
        if slot != nil || period != nil {
            // A backfill runs each report at the slot as read in that report's own time zone. Each
            // must be a past slot of its schedule: otherwise nothing runs (issue 12).
            let now = Date()
            var plan: [(LoadedReport, Date)] = []
            var refused = false
            for report in selected {
                let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
                let resolution =
                    period.map { PeriodSlot.resolve($0, report: report.definition, zone: zone, now: now) }
                    ?? BackfillSlot.resolve(slot ?? "", schedule: report.definition.schedule, zone: zone, now: now)
                switch resolution {
                case .slot(let date): plan.append((report, date))
                case .refused(let why):
                    let option = period.map { "--period \($0):" } ?? "--slot"
                    writeStandardError("reportd: \(report.definition.name): \(option) \(why); nothing was run\n")
                    refused = true
                case .notATime:
                    throw ValidationError(
                        "--slot '\(slot ?? "")' is not a time like 2026-11-23T06:00 or 2026-11-23T06:00:00+07:00, nor a date like 2026-11-23"
                    )
                }
            }
            if refused { throw ExitCode(2) }
            for (report, date) in plan {
                outcomes += runner.run([report], at: date)
                // `--period` of a period still running runs now, which is no slot of the schedule.
                let zone = TimeZone(identifier: report.definition.timezone) ?? TimeZone(identifier: "UTC")!
                let isSlot = report.definition.schedule.isSlot(date, in: zone)
                record(outcomes.last!, trigger: isSlot ? .backfill : .manual, recorder: recorder)
            }
        } else {
            outcomes = runner.run(selected, at: Date())
            for outcome in outcomes { record(outcome, trigger: .manual, recorder: recorder) }
        }
        for outcome in outcomes {
            if let error = outcome.error {
                print("FAILED \(outcome.report): \(error)")
                failed = true
            } else if let condition = outcome.skippedCondition {
                print("skipped \(outcome.report) (condition): publish_when is false: \(condition); nothing published")
            } else {
                print(
                    "ok     \(outcome.report) -> \(daemon.outputRoot)/\(outcome.report)/ (\(outcome.files.count) files)"
                )
            }
            let values = outcome.splitOutputs.filter { !$0.skipped }
            if !outcome.splitOutputs.isEmpty {
                print("       \(values.count) of \(outcome.splitOutputs.count) values published under \(outcome.report)/<slug>/")
            }
            if !outcome.unaddressedValues.isEmpty {
                print(
                    "       email_by_value: no address and no \"*\" for "
                        + outcome.unaddressedValues.map { "'\($0)'" }.joined(separator: ", "))
            }
        }
        // Mail after every run has published and been recorded (Run+Deliver.swift).
        let delivers = trigger == .backfill ? deliver : !noDeliver
        if delivers, !deliverAll(outcomes, reports: selected, daemon: daemon, recorder: recorder) { failed = true }
        if failed { throw ExitCode(1) }
    }

    /// Notes the run in the report's state, its history and the metrics file, so that `status`,
    /// `history` and monitoring see it. A run refused because another process runs the report is
    /// not a run and is not recorded. A state folder this user cannot write (a manual run as
    /// another user) does not fail the run: it is said on standard error.
    private func record(_ outcome: RunResult, trigger: RunTrigger, recorder: RunRecorder) {
        guard !outcome.refused else { return }
        let problems = recorder.record(outcome, trigger: trigger)
        for (what, error) in [("state", problems.state), ("run history", problems.history), ("metrics file", problems.metrics)] {
            guard let error else { continue }
            writeStandardError("reportd: warning: \(outcome.report): the run was not recorded in the \(what): \(error)\n")
        }
    }
}
