import Foundation
import Logging
import ReportConfig
import ReportCore
import ReportMail
import ReportState

/// A report's `alerts` (SPEC, "One file per office, and only when it matters"): checked after
/// every scheduled or caught-up run (and its retries) that computed figures, never after a
/// backfill or a test. An alert is told when its condition becomes true, once, and when it
/// clears; nothing while it holds; an unknown result changes nothing. Its state is in the
/// report's memory (the state folder, or a cluster's database), keyed by the `when` text.
/// Notices go where failure notices go: mail to `notify`, else the owners; always the journal
/// and an `alert` line in the history.
enum AlertDesk {
    /// The triggers after which alerts are checked.
    static let checkedAfter: Set<RunTrigger> = [.schedule, .catchUp, .retry]

    /// Whether `outcome` of `request` has alerts to check.
    static func checks(after request: RunRequest, outcome: RunResult) -> Bool {
        !request.report.alerts.isEmpty && checkedAfter.contains(request.trigger) && outcome.figures != nil
    }

    /// Checks `request.report`'s alerts against `outcome`'s figures; records each change in the
    /// memory, the journal and the history, and returns the mail to send. Blocking (the memory
    /// reads files or a database): never on the scheduler's loop.
    static func jobs(
        after request: RunRequest, outcome: RunResult, memory: any ReportMemory, recorder: RunRecorder?,
        logger: Logger
    ) -> [MailDesk.Job] {
        let report = request.report
        guard checks(after: request, outcome: outcome), let figures = outcome.figures else { return [] }
        var log = logger
        log[metadataKey: "report.name"] = "\(report.name)"
        log[metadataKey: "report.slot"] = "\(outcome.slot)"
        let daemon = request.daemon
        let postman = daemon.mail.map { Postman(mail: $0, daemon: daemon) }
        var jobs: [MailDesk.Job] = []
        for alert in report.alerts {
            guard let now = alert.when.evaluate(figures) else { continue }
            let was: Bool?
            do { was = try memory.alertRaised(report: report.name, when: alert.when.source) } catch {
                log.error("cannot read the alert's state: \(error); the alert '\(alert.when.source)' is not checked")
                continue
            }
            // A new alert (or one whose `when` changed) starts cleared: told if it holds already.
            if now == (was ?? false) {
                if was == nil { _ = try? memory.recordAlert(raised: now, report: report.name, when: alert.when.source) }
                continue
            }
            do {
                // False: another node recorded this change first (and tells it).
                guard try memory.recordAlert(raised: now, report: report.name, when: alert.when.source) else { continue }
            } catch {
                log.error("cannot write the alert's state: \(error); no notice is sent (it could not be sent only once)")
                continue
            }
            let message = figures.expand(alert.message, period: outcome.periodLabel ?? outcome.slot)
            let to = alert.notify ?? MailDesk.owners(of: report, daemon: daemon)
            if now {
                log.warning("alert raised: \(message)", metadata: ["alert.when": "\(alert.when.source)"])
            } else {
                log.notice("alert cleared: \(alert.when.source)", metadata: ["alert.when": "\(alert.when.source)"])
            }
            if let recorder {
                var result = RunResult(
                    report: report.name, slot: outcome.slot, slotDate: outcome.slotDate, started: Date())
                result.period = outcome.period
                result.node = outcome.node
                var record = RunRecord(result, trigger: .alert, attempt: 1)
                record.calculators = nil
                record.files = nil
                record.alert = .init(
                    when: alert.when.source, raised: now, message: message,
                    notified: postman == nil ? [] : to.map(\.address))
                do { try recorder.history.append(record) } catch {
                    log.error("cannot append the alert to the run history: \(error)")
                }
            }
            guard let postman, !to.isEmpty else { continue }
            let mail = postman.notice(
                .alert(raised: now, when: alert.when.source, message: message), report: report, slot: request.slot,
                owners: to, configFile: daemon.file)
            jobs.append(
                MailDesk.Job(
                    kind: .notice(now ? "alert" : "alert cleared"), report: report.name, postman: postman, mails: [mail],
                    slot: request.slot))
        }
        return jobs
    }
}
