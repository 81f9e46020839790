public import Foundation
import ReportCore
public import ReportMail
import ReportState

extension RunRecorder {
    /// Records a finished delivery: a `delivery` line in the run history after the run's, the
    /// report's mail state (for `status`), and the metrics file's delivery counters.
    @discardableResult
    public func recordDelivery(
        report: String, slot: String, slotDate: Date, mails: [PreparedMail], outcomes: [MailOutcome]
    ) -> Problems {
        var problems = Problems()
        let started = outcomes.map(\.started).min() ?? Date()
        let finished = outcomes.map(\.finished).max() ?? Date()
        let errors = outcomes.compactMap(\.error).map(\.message)
        let error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        var result = RunResult(
            report: report, slot: slot, slotDate: slotDate, started: started,
            duration: finished.timeIntervalSince(started), files: mails.flatMap { $0.attached.map(\.file) },
            error: error)
        result.failure = nil
        var record = RunRecord(
            result, trigger: .delivery, attempt: outcomes.map(\.attempts).max() ?? 1, finished: finished)
        record.calculators = nil
        record.delivery = DeliveryRecord(
            recipients: mails.flatMap(\.recipients), attached: mails.flatMap { $0.attached.map(\.name) },
            omitted: mails.flatMap(\.omitted), attempts: outcomes.map(\.attempts).reduce(0, +),
            messageBytes: mails.map(\.bytes.count).reduce(0, +))
        do { try history.append(record) } catch { problems.history = error }
        do {
            try DeliveryStateStore(stateDirectory: store.directory).recordDelivery(
                report, slot: slotDate, finished: finished, attempts: record.delivery?.attempts ?? 0, error: error)
        } catch {
            problems.state = error
        }
        do { try writeMetrics() } catch { problems.metrics = error }
        return problems
    }
}
