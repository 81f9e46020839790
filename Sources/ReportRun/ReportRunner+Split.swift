import Foundation
import ReportCore
import ReportFiles
import ReportPublish
import ReportState

/// `split_by`, `publish_when` and the figures alerts read (SPEC, "One file per office, and only
/// when it matters"). A value's report is the report with `and COLUMN == value` added to its
/// filter, computed by the engine's public entry point over the run's table.
extension ReportRunner {
    /// One value of the split column with rows in the run's ranges.
    struct SplitValue {
        /// The value's text (NFC); empty for null and blank cells.
        var key: String
        /// nil: the null and blank cells (`_empty`).
        var value: Value?
    }

    /// The values of `definition`'s split column with rows in the run's ranges (the rows its filter
    /// keeps within the period, its comparisons and year to date), sorted by text, and the blank
    /// texts seen (which go with the nulls to `_empty`).
    static func splitValues(_ definition: ReportDefinition, table: Table, slot: SlotTime) throws
        -> (values: [SplitValue], blanks: Set<Value>)
    {
        guard let split = definition.split else { return ([], []) }
        guard let column = table.column(split.column) else {
            throw RunError(report: definition.name, message: "split_by: '\(split.column)' is not a column of the dataset")
        }
        var rows: [Int] = definition.filter?.matchingRows(in: table) ?? Array(0..<table.rowCount)
        if let rule = definition.period {
            let period = rule.runPeriod(slot: slot.date, in: slot.timeZone)
            guard let dates = table.column(rule.dateColumn), case .date(let days) = dates.storage else {
                throw RunError(
                    report: definition.name, message: "period: '\(rule.dateColumn)' is not a date column of the dataset")
            }
            let bounds = period.ranges.map { (Int32($0.start.daysSinceEpoch), Int32($0.end.daysSinceEpoch)) }
            rows = rows.filter { r in
                dates.valid[r] && bounds.contains { days[r] >= $0.0 && days[r] <= $0.1 }
            }
        }
        var seen: [String: SplitValue] = [:]
        var blanks: Set<Value> = []
        for r in rows {
            let value = column.value(at: r)
            let text = value.description
            if value.isNull || SplitSlug.isEmptyValue(text) {
                if !value.isNull { blanks.insert(value) }
                if seen[""] == nil { seen[""] = SplitValue(key: "", value: nil) }
            } else if seen[text] == nil {
                seen[text] = SplitValue(key: text, value: value)
            }
        }
        return (seen.values.sorted { $0.key < $1.key }, blanks)
    }

    /// The slug of each value, assigned first come and kept in the report's memory (values first
    /// seen in this run in sorted order, so the one that sorts first keeps a plain slug).
    func slugs(for values: [SplitValue], report: String) throws -> [String: String] {
        let keys = values.map(\.key).filter { !$0.isEmpty }
        var slugs = try memory.assignSlugs(report: report, values: keys) { value, taken in
            SplitSlug.choose(value, taken: taken)
        }
        slugs[""] = SplitSlug.empty
        return slugs
    }

    /// Whether `condition` holds over `result`'s figures (`changed` against the fingerprint last
    /// published for the period and split value); the figures and the fingerprint.
    func decide(
        _ condition: FiguresCondition?, result: ReportResult, report: String, splitValue: String?,
        needsChanged: Bool
    ) throws -> (publish: Bool, figures: RunFigures, fingerprint: String) {
        let fingerprint = FiguresFingerprint.of(result)
        var changed: Bool?
        if needsChanged {
            let last = try memory.fingerprint(
                report: report, period: FiguresFingerprint.periodKey(result), splitValue: splitValue)
            changed = last != fingerprint
        }
        let figures = RunFigures(result, changed: changed)
        // Unknown (null) is false.
        let publish = condition.map { $0.evaluate(figures) == true } ?? true
        return (publish, figures, fingerprint)
    }

    /// Remembers the figures just published for the period and split value.
    func remember(_ fingerprint: String, result: ReportResult, report: String, splitValue: String?) throws {
        try memory.recordFingerprint(
            fingerprint, report: report, period: FiguresFingerprint.periodKey(result), splitValue: splitValue)
    }

    /// Publishes one value's files into `NAME/<slug>/` (the slot's, then `latest.*` unless a newer
    /// slot is there), atomically, and applies retention in that folder.
    func publishValue(
        _ definition: ReportDefinition, slug: String, slotFiles: [Publisher.File], latest: [Publisher.File],
        slot: SlotTime, gate: PublishGate? = nil
    ) throws -> [PublishedFile] {
        var publisher = Publisher(root: config.outputRoot, permissions: config.outputPermissions)
        publisher.timeZone = slot.timeZone
        publisher.subfolder = slug
        var latest = latest
        if let newest = try publisher.newestRun(of: definition.name), newest != slot.stamp,
            let instant = publisher.instant(of: newest), instant > slot.date
        {
            latest = []
        }
        // With `cluster:`, each value's files too are renamed only while this node's claim holds.
        try publisher.publish(report: definition.name, files: slotFiles + latest, gate: gate)
        try publisher.applyRetention(report: definition.name, keep: config.keep, protecting: slot.stamp)
        return (slotFiles + latest).map {
            PublishedFile(path: "\(definition.name)/\(slug)/\($0.name)", contents: $0.bytes)
        }
    }

    /// `NAME/index.html`: the values of a split report, each with its folder and its `latest.*`.
    func writeSplitIndex(
        _ definition: ReportDefinition, slugs: [String: String], extensions: [String], slot: SlotTime
    ) throws {
        let locale = ReportLocale(definition.locale ?? config.locale)
        var html = HTMLPage.head(title: definition.title, language: locale)
        html += "<body>\n<h1>\(HTMLPage.escape(definition.title))</h1>\n<table>\n"
        html += "<thead><tr><th>\(HTMLPage.escape(definition.split?.column ?? ""))</th><th>latest</th></tr></thead>\n<tbody>\n"
        for (value, slug) in slugs.sorted(by: { $0.key < $1.key }) {
            let shown = value.isEmpty ? "(empty)" : value
            let links = extensions.map { "<a href=\"\(slug)/latest.\($0)\">\($0)</a>" }.joined(separator: " ")
            html += "<tr><td><a href=\"\(slug)/\">\(HTMLPage.escape(shown))</a></td><td>\(links)</td></tr>\n"
        }
        html += "</tbody>\n</table>\n<p>\(HTMLPage.escape(SlotTime(date: Date(), timeZone: slot.timeZone).iso8601))</p>\n"
        html += "</body>\n</html>\n"
        try Publisher(root: config.outputRoot, permissions: config.outputPermissions).publish(
            report: definition.name, files: [Publisher.File(name: "index.html", bytes: Array(html.utf8))])
    }
}

extension ReportDefinition {
    /// Whether the engine must compute the report over its rows rather than its source (a
    /// database's pushdown): a split (each value computed as its own report over the rows read),
    /// or conditions that read totals the report does not show.
    var computedByEngineOnly: Bool {
        split != nil || (!totals && conditionsReadTotals)
    }

    /// Whether `publish_when` or an alert reads `totals.METRIC`.
    var conditionsReadTotals: Bool {
        (publishWhen?.readsTotals ?? false) || alerts.contains { $0.when.readsTotals }
    }

    /// Whether `publish_when` or an alert reads `changed`.
    var conditionsReadChanged: Bool {
        (publishWhen?.readsChanged ?? false) || alerts.contains { $0.when.readsChanged }
    }
}
