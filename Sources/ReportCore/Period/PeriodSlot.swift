public import Foundation

/// The slot a `run --period` names: the one whose run reports on exactly that period (SPEC.md,
/// "Periods"), or why there is none.
public enum PeriodSlot {
    /// Resolves `text` (`2026-11`, `2026-Q4`, `2026-H1`, `2026`, `2026-W48`, `2026-11-30`) for
    /// `report` in `zone`; `.refused` for a report without `period:`, a name of another kind, a
    /// period no slot reports on, or one whose slot is still to come.
    public static func resolve(_ text: String, report: ReportDefinition, zone: TimeZone, now: Date)
        -> BackfillSlot.Resolution
    {
        guard let rule = report.period else {
            return .refused(
                "the report has no 'period:', so its runs cover the whole dataset; rerun a slot with --slot")
        }
        do throws(PeriodError) {
            let period = try rule.period(named: text)
            return .slot(try rule.slot(reportingOn: period, schedule: report.schedule, in: zone, now: now))
        } catch {
            return .refused(error.message)
        }
    }
}
