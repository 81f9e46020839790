public import Foundation

extension ReportEngine {
    /// Computes a report for the slot `slot` in `zone`: over the period the slot covers when the
    /// report has `period:`, over the whole table otherwise.
    ///
    /// - Parameter sharing: work shared with the other reports of the run over `table` (see
    ///   `SharedWork`).
    public func execute(
        _ report: ReportDefinition, on table: Table, slot: Date, in zone: TimeZone, sharing: SharedWork? = nil
    ) throws(RunError) -> ReportResult {
        guard let rule = report.period else { return try execute(report, on: table, sharing: sharing) }
        return try execute(report, on: table, period: rule.runPeriod(slot: slot, in: zone), sharing: sharing)
    }

    /// The work that computing `report` for `slot` over `table` may share with other reports of the
    /// run, each key once per use, for `SharedWork`'s plan.
    public func sharedWork(
        for report: ReportDefinition, on table: Table, slot: Date, in zone: TimeZone
    ) -> SharedWork.Plan {
        var keys: [SharedWork.Key] = []
        if let filter = report.filter { keys.append(.rows(filter.root)) }
        guard let rule = report.period else {
            keys += Self.sharedWork(
                for: report, scope: SharedWork.Scope(filter: report.filter?.root), calculators: calculators)
            return SharedWork.Plan(keys: keys)
        }
        guard let column = table.column(rule.dateColumn), case .date = column.storage else {
            return SharedWork.Plan(keys: keys)
        }
        let bounds = Self.bounds(of: rule.runPeriod(slot: slot, in: zone))
        keys.append(.periodRows(filter: report.filter?.root, column: rule.dateColumn, bounds: bounds.flatMap { [$0, $1] }))
        var plain = report
        plain.sort = []
        plain.limit = nil
        for (low, high) in bounds {
            let range = SharedWork.DateRange(column: rule.dateColumn, low: low, high: high)
            keys += Self.sharedWork(
                for: plain, scope: SharedWork.Scope(filter: report.filter?.root, range: range), calculators: calculators)
        }
        return SharedWork.Plan(keys: keys)
    }

    /// The first and last day of each of the period's ranges.
    private static func bounds(of period: RunPeriod) -> [(Int32, Int32)] {
        period.ranges.map { (Int32($0.start.daysSinceEpoch), Int32($0.end.daysSinceEpoch)) }
    }

    /// Computes a report over the ranges of `period` from one pass over the table: the rows that
    /// pass the filter are split by range on the date column, the report is computed per range,
    /// and the results are joined by group key (a group with rows in any range appears), then
    /// sorted, limited and totalled.
    public func execute(
        _ report: ReportDefinition, on table: Table, period: RunPeriod, sharing: SharedWork? = nil
    ) throws(RunError) -> ReportResult {
        let sharing = sharing?.serving(table)
        let rule = period.rule
        guard let column = table.column(rule.dateColumn), case .date(let days) = column.storage else {
            throw RunError(
                report: report.name, message: "period: '\(rule.dateColumn)' is not a date column of the dataset")
        }
        let bounds = Self.bounds(of: period)
        // The rows that pass the filter (all rows, without one: no list of them is built).
        let filtered = report.filter.map { Self.rows(keptBy: $0, in: table, sharing: sharing) }
        func split() -> SharedWork.PeriodRows {
            var rowsByRange = [[Int]](repeating: [], count: bounds.count)
            func place(_ r: Int) {
                guard column.valid[r] else { return }
                let d = days[r]
                for (i, (low, high)) in bounds.enumerated() where d >= low && d <= high { rowsByRange[i].append(r) }
            }
            // One pass over the rows that pass the filter.
            if let filtered {
                for r in filtered { place(r) }
            } else {
                for r in 0..<table.rowCount { place(r) }
            }
            var outside = 0
            for r in 0..<table.rowCount where !column.valid[r] { outside += 1 }
            return SharedWork.PeriodRows(rowsByRange: rowsByRange, outside: outside)
        }
        let split =
            sharing.map {
                $0.value(
                    .periodRows(filter: report.filter?.root, column: rule.dateColumn, bounds: bounds.flatMap { [$0, $1] }),
                    split)
            } ?? split()

        // Each range computed as the report itself, unsorted and unlimited: those apply to the join.
        var plain = report
        plain.sort = []
        plain.limit = nil
        var results: [ReportResult] = []
        for (rows, (low, high)) in zip(split.rowsByRange, bounds) {
            let range = SharedWork.DateRange(column: rule.dateColumn, low: low, high: high)
            results.append(
                try execute(
                    plain, on: table, rowList: rows, scope: SharedWork.Scope(filter: report.filter?.root, range: range),
                    sharing: sharing))
        }
        return Self.joinPeriod(report, period: period, results: results, rowsOutsidePeriod: split.outside)
    }

    /// Joins the results of a period's ranges (`period.ranges`, each computed as the report with
    /// no sort nor limit) by group key: a group with rows in any range appears, the period's
    /// groups first; then sorts, limits and totals. A database source that computes each range
    /// itself joins them with this, as the engine does.
    public static func joinPeriod(
        _ report: ReportDefinition, period: RunPeriod, results: [ReportResult], rowsOutsidePeriod outside: Int
    ) -> ReportResult {
        let ranges = period.ranges
        let groupCount = report.groupBy.count
        let metricColumns = Array(results[0].columns.dropFirst(groupCount))
        // The groups of every range, the period's first, in order of first appearance.
        var index: [[Value]: Int] = [:]
        var keys: [[Value]] = []
        var lookup: [[[Value]: Int]] = []
        for result in results {
            var own: [[Value]: Int] = [:]
            for (i, row) in result.rows.enumerated() {
                let key = Array(row.prefix(groupCount))
                // Without group_by the one row is always there; a range without rows has none of its own.
                if groupCount == 0 && result.rowsUsed == 0 { continue }
                own[key] = i
                if index[key] == nil {
                    index[key] = keys.count
                    keys.append(key)
                }
            }
            lookup.append(own)
        }
        if groupCount == 0 && keys.isEmpty { keys = [[]] }

        // The value of metric m for group key in range i: a missing side is 0 for count,
        // count_distinct and sum, and null for the others.
        func value(_ i: Int, _ key: [Value], _ m: Int) -> Value {
            guard let row = lookup[i][key] else { return Self.missing(metricColumns[m]) }
            return results[i].rows[row][groupCount + m]
        }
        func total(_ i: Int, _ m: Int) -> Value {
            guard results[i].rowsUsed > 0, let totals = results[i].totals else { return Self.missing(metricColumns[m]) }
            return totals[m]
        }

        var columns = Array(results[0].columns.prefix(groupCount))
        // For each metric, the sources of its output columns: (range, change against range).
        enum Source {
            case range(Int)
            case change(Int)
        }
        var layout: [(metric: Int, source: Source)] = []
        let yearToDateIndex = period.yearToDate == nil ? nil : ranges.count - 1
        for (m, metric) in metricColumns.enumerated() {
            columns.append(metric)
            layout.append((m, .range(0)))
            for (c, compared) in period.compared.enumerated() {
                var col = metric
                col.name = "\(metric.name)_\(compared.kind.rawValue)"
                columns.append(col)
                layout.append((m, .range(c + 1)))
                if Self.hasPercent(metric) {
                    columns.append(
                        ReportResult.ResultColumn(
                            name: "\(metric.name)_vs_\(compared.kind.rawValue)_pct", role: .metric, calc: "growth",
                            type: .decimal))
                    layout.append((m, .change(c + 1)))
                }
            }
            if let y = yearToDateIndex {
                var col = metric
                col.name = "\(metric.name)_year_to_date"
                columns.append(col)
                layout.append((m, .range(y)))
            }
        }

        func cells(_ get: (Int, Int) -> Value) -> [Value] {
            layout.map { entry in
                switch entry.source {
                case .range(let i): return get(i, entry.metric)
                case .change(let i): return Self.percentChange(get(0, entry.metric), base: get(i, entry.metric))
                }
            }
        }
        var rows = keys.map { key in key + cells { i, m in value(i, key, m) } }
        columns = ReportResult.labelled(columns, schema: nil, metrics: report.metrics, locale: ReportLocale(report.locale))
        Self.sort(
            &rows,
            by: report.sort.isEmpty ? report.groupBy.map { SortKey(column: $0, descending: false) } : report.sort,
            columns: columns, locale: ReportLocale(report.locale))
        if let limit = report.limit, rows.count > limit { rows.removeLast(rows.count - limit) }
        var result = ReportResult(
            columns: columns, rows: rows, totals: report.totals ? cells(total) : nil, rowsUsed: results[0].rowsUsed)
        result.period = period
        result.rowsOutsidePeriod = outside
        return result
    }

    /// The value of a metric over no rows: 0 for count, count_distinct and sum, null otherwise.
    static func missing(_ column: ReportResult.ResultColumn) -> Value {
        switch column.calc {
        case "count", "count_distinct": return .int(0)
        case "sum": return column.type == .int ? .int(0) : .decimal(0)
        default: return .null
        }
    }

    /// Whether a metric gets a change in percent: not for share or growth (already relative), nor
    /// for values that are not numbers (min and max of dates and strings).
    static func hasPercent(_ column: ReportResult.ResultColumn) -> Bool {
        guard column.calc != "share", column.calc != "growth" else { return false }
        return column.type == .int || column.type == .decimal
    }

    /// (current − base) / base × 100, as `growth` computes it; null where either is null or the base is 0.
    static func percentChange(_ current: Value, base: Value) -> Value {
        guard let c = current.doubleValue, let b = base.doubleValue, b != 0 else { return .null }
        return Value.finite((c - b) / b * 100)
    }
}
