import Foundation
import ReportConfig
import ReportCore
import ReportDaemon
import ReportFiles
import ReportMail
import ReportState

extension Run {
    /// Mails the outputs of every successful run whose report has `deliver:` (with the retries
    /// `mail:` sets), records each delivery, and says how it went. A failed delivery leaves the
    /// report published.
    /// - Returns: false when a delivery failed.
    func deliverAll(_ outcomes: [RunResult], reports: [LoadedReport], daemon: DaemonConfig, recorder: RunRecorder)
        -> Bool
    {
        guard let mail = daemon.mail else { return true }
        let postman = Postman(mail: mail, daemon: daemon)
        var allSent = true
        for outcome in outcomes where outcome.succeeded {
            guard let report = reports.first(where: { $0.definition.name == outcome.report })?.definition,
                !report.deliveries.isEmpty
            else { continue }
            var mails: [PreparedMail] = []
            var results: [MailOutcome] = []
            do {
                mails = try postman.deliveries(of: report, outcome: outcome)
                for prepared in mails {
                    results.append(
                        postman.send(
                            prepared,
                            onRetry: { error, attempt, delay in
                                writeStandardError(
                                    "reportd: \(report.name): mail not sent (attempt \(attempt) of \(mail.retries + 1)), "
                                        + "retrying in \(delay)s: \(error)\n")
                            }))
                }
            } catch {
                let now = Date()
                results = [MailOutcome(attempts: 0, error: error, started: now, finished: now)]
            }
            let problems = recorder.recordDelivery(
                report: report.name, slot: outcome.slot, slotDate: outcome.slotDate, mails: mails, outcomes: results)
            for (what, error) in [
                ("mail state", problems.state), ("run history", problems.history), ("metrics file", problems.metrics),
            ] {
                guard let error else { continue }
                writeStandardError(
                    "reportd: warning: \(report.name): the delivery was not recorded in the \(what): \(error)\n")
            }
            let errors = results.compactMap(\.error)
            if errors.isEmpty {
                let recipients = mails.flatMap(\.recipients)
                print("mailed \(report.name) -> \(recipients.joined(separator: ", "))")
            } else {
                print(
                    "DELIVERY FAILED \(report.name) (its files are published): "
                        + errors.map(\.message).joined(separator: "; "))
                allSent = false
            }
        }
        return allSent
    }
}
