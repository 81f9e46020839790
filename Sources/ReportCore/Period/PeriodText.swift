/// What the outputs say about a run's period: the lines under the title (text and HTML), the line of
/// a period without rows, and the expansion of `{period}` in titles.
public enum PeriodText {
    /// The lines under the title: the period with its dates, each compared range, the year to date.
    public static func lines(_ period: RunPeriod, locale: String?) -> [String] {
        let vi = isVietnamese(locale)
        var out = [
            (vi ? "Kỳ báo cáo: " : "Period: ") + PeriodLabel.label(period.period, range: nil, locale: locale) + ", "
                + PeriodLabel.dates(period.range, locale: locale)
        ]
        for compared in period.compared {
            out.append(
                PeriodLabel.comparedTitle(compared.kind, locale: locale) + ": "
                    + PeriodLabel.label(compared.period, range: nil, locale: locale) + ", "
                    + PeriodLabel.dates(compared.range, locale: locale))
        }
        if let ytd = period.yearToDate {
            out.append(PeriodLabel.cumulativeTitle(locale: locale) + ": " + PeriodLabel.dates(ytd, locale: locale))
        }
        return out
    }

    /// The line of a run whose period has no rows (a valid report), nil otherwise.
    public static func emptyNote(_ result: ReportResult, locale: String?) -> String? {
        guard result.period != nil, result.rowsUsed == 0 else { return nil }
        return isVietnamese(locale) ? "Không có dữ liệu trong kỳ báo cáo." : "No rows in the period."
    }

    public static func isVietnamese(_ locale: String?) -> Bool { locale?.lowercased().hasPrefix("vi") ?? false }

    /// `title` with `{period}` replaced by the period's label (unchanged without a period).
    public static func title(_ title: String, period: RunPeriod?, locale: String?) -> String {
        guard let period, title.contains("{period}") else { return title }
        return title.replacingOccurrences(of: "{period}", with: period.label(locale: locale))
    }
}
