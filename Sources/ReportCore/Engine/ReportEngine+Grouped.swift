extension ReportEngine {
    /// Sorts and limits grouped rows as `execute` does, for rows grouped elsewhere (a database's
    /// GROUP BY). `rows` must be in order of each group's first row in the data, as the engine
    /// groups: the sort is stable, so ties keep that order.
    ///
    /// Strings sort in the report's locale, by their value labels when `columns` carry them
    /// (`ReportResult.labelled`).
    public static func sortAndLimit(
        _ rows: [[Value]], for report: ReportDefinition, columns: [ReportResult.ResultColumn]
    )
        -> [[Value]]
    {
        var rows = rows
        sort(
            &rows,
            by: report.sort.isEmpty ? report.groupBy.map { SortKey(column: $0, descending: false) } : report.sort,
            columns: columns, locale: ReportLocale(report.locale))
        if let limit = report.limit, rows.count > limit { rows.removeLast(rows.count - limit) }
        return rows
    }
}

extension ReportResult {
    /// A result computed outside the engine (no period).
    public static func grouped(columns: [ResultColumn], rows: [[Value]], totals: [Value]?, rowsUsed: Int)
        -> ReportResult
    {
        ReportResult(columns: columns, rows: rows, totals: totals, rowsUsed: rowsUsed)
    }
}

extension ReportResult.ResultColumn {
    public static func column(name: String, role: Role, calc: String?, type: ColumnType) -> Self {
        Self(name: name, role: role, calc: calc, type: type)
    }
}
