/// Computes a report over a loaded table: filter, group, calculate, sort, limit, totals.
///
/// Pure: no I/O, no clock. The definition must have been checked against the table's schema.
public struct ReportEngine: Sendable {
    public let calculators: CalculatorRegistry

    public init(calculators: CalculatorRegistry) { self.calculators = calculators }

    /// - Throws: `RunError` when a calculator fails (an integer overflow, a plugin error).
    public func execute(_ report: ReportDefinition, on table: Table) throws(RunError) -> ReportResult {
        // Without a filter every row is used: no list of them is built (80 MB at 10M rows).
        if let filter = report.filter {
            return try execute(report, on: table, rowList: filter.matchingRows(in: table))
        }
        return try execute(report, on: table, rowList: nil)
    }

    /// The report over `rows` alone (rows that passed the filter): group, calculate, sort, limit, totals.
    func execute(_ report: ReportDefinition, on table: Table, rows: [Int]) throws(RunError) -> ReportResult {
        try execute(report, on: table, rowList: rows)
    }

    /// The report over `rowList` (ascending), or over every row of the table when it is nil.
    private func execute(_ report: ReportDefinition, on table: Table, rowList: [Int]?) throws(RunError)
        -> ReportResult
    {
        let grouped = Self.groupIDs(rows: rowList, count: rowList?.count ?? table.rowCount, by: report.groupBy, in: table)
        let keys = grouped.firstRows.map { r in report.groupBy.compactMap { table.column($0) }.map { $0.value(at: r) } }
        // The row lists, built only for a calculator that needs them (a plugin, a holistic metric
        // without a one-pass form), and then once for all of them.
        var lists: [[Int]]?
        var allRows: [Int]?
        let rowCount = grouped.rows.count

        var columns: [ReportResult.ResultColumn] = report.groupBy.map { name in
            ReportResult.ResultColumn(name: name, role: .group, calc: nil, type: table.column(name)?.type ?? .string)
        }
        columns = ReportResult.labelled(columns, schema: table.schema, metrics: report.metrics)
        var metricValues: [[Value]] = []
        var totals: [Value] = []
        for metric in report.metrics {
            guard let calculator = calculators[metric.calc] else {
                throw RunError(
                    report: report.name, message: "metric '\(metric.name)': unknown calculator '\(metric.calc)'")
            }
            let type: ColumnType
            switch calculators.check(metric, schema: table.schema, groupBy: report.groupBy) {
            case .success(let t): type = t
            case .failure(let e):
                throw RunError(
                    report: report.name,
                    message: "metric '\(metric.name)': \(e.errors.map(\.message).joined(separator: "; "))")
            }
            columns.append(
                ReportResult.ResultColumn(
                    name: metric.name, role: .metric, calc: metric.calc, type: type, label: metric.label))
            do throws(CalculatorError) {
                var input = CalculatorInput(
                    table: table, groups: [], groupKeys: keys, groupBy: report.groupBy,
                    parameters: metric.parameters)
                var values: [Value]?
                if let fast = calculator as? any OnePassCalculator, let v = try fast.compute(input, grouped: grouped.rows) {
                    values = v
                    if report.totals {
                        let total = try fast.compute(
                            CalculatorInput(
                                table: table, groups: [], groupKeys: [[]], groupBy: [], parameters: metric.parameters),
                            grouped: grouped.rows.asOneGroup)
                        totals.append(total?.first ?? .null)
                    }
                }
                if values == nil {
                    if lists == nil { lists = grouped.rows.rowLists() }
                    input.groups = lists!
                    if report.totals {
                        if allRows == nil { allRows = rowList ?? Array(0..<table.rowCount) }
                        let total: Value
                        let v: [Value]
                        (v, total) = try calculator.computeWithTotal(input, all: allRows!)
                        values = v
                        totals.append(total)
                    } else {
                        values = try calculator.compute(input)
                    }
                }
                let groupCount = grouped.rows.groupCount
                guard let values, values.count == groupCount else {
                    throw CalculatorError("gave \(values?.count ?? 0) results for \(groupCount) groups")
                }
                metricValues.append(values)
            } catch {
                throw RunError(
                    report: report.name, message: "metric '\(metric.name)' (\(metric.calc)): \(error.message)",
                    kind: error.transient ? .io : .calculation)
            }
        }

        var outputRows: [[Value]] = []
        outputRows.reserveCapacity(keys.count)
        for g in 0..<keys.count {
            outputRows.append(keys[g] + metricValues.map { $0[g] })
        }
        Self.sort(
            &outputRows,
            by: report.sort.isEmpty ? report.groupBy.map { SortKey(column: $0, descending: false) } : report.sort,
            columns: columns, locale: ReportLocale(report.locale))
        if let limit = report.limit, outputRows.count > limit { outputRows.removeLast(outputRows.count - limit) }
        return ReportResult(
            columns: columns, rows: outputRows, totals: report.totals ? totals : nil, rowsUsed: rowCount)
    }

    /// Splits `rows` into groups by the values of `columns`, groups in order of first appearance.
    static func group(rows: [Int], by columns: [String], in table: Table) -> ([[Int]], [[Value]]) {
        let grouped = groupIDs(rows: rows, count: rows.count, by: columns, in: table)
        let cols = columns.compactMap { table.column($0) }
        return (grouped.rows.rowLists(), grouped.firstRows.map { r in cols.map { $0.value(at: r) } })
    }

    /// The group of each of `rows` (every row of the table, `0..<count`, when nil) by the values of
    /// `columns`, groups numbered in order of first appearance, and each group's first row.
    ///
    /// Keys are built from the columns' encoded values (string dictionary codes, integer values),
    /// never from strings. When every group column has few possible values (dictionary-encoded
    /// strings, bools, ints or dates within a small range) the key is a small integer that indexes
    /// an array directly, with no hashing; otherwise keys are hashed.
    static func groupIDs(rows: [Int]?, count: Int, by columns: [String], in table: Table)
        -> (rows: GroupedRows, firstRows: [Int])
    {
        guard !columns.isEmpty else {
            return (GroupedRows(rows: rows, count: count, groupOf: nil, groupCount: 1), [rows?.first ?? 0])
        }
        let cols = columns.compactMap { table.column($0) }
        let groupOf: [Int32]
        if let rows {
            groupOf = denseGroups(rows: rows, cols) ?? hashedGroups(rows: rows, cols)
        } else {
            groupOf = denseGroups(rows: 0..<count, cols) ?? hashedGroups(rows: 0..<count, cols)
        }
        var firstRows: [Int] = []
        for (i, g) in groupOf.enumerated() where Int(g) == firstRows.count { firstRows.append(rows?[i] ?? i) }
        return (GroupedRows(rows: rows, count: count, groupOf: groupOf, groupCount: firstRows.count), firstRows)
    }

    /// The group of each row, numbered in order of first appearance, when the key space is small:
    /// each column maps its cells to 0 (null) or 1…n, and the codes combine in mixed radix.
    private static func denseGroups<R: RandomAccessCollection<Int>>(rows: R, _ cols: [Column]) -> [Int32]? {
        var key = [Int32](repeating: 0, count: rows.count)
        var space = 1
        for c in cols {
            var cardinality = 0
            switch c.storage {
            case .string(let codes, let dictionary):
                cardinality = dictionary.count + 1
                guard space * cardinality <= 1 << 20 else { return nil }
                let stride = Int32(space)
                for (i, r) in rows.enumerated() { key[i] &+= (codes[r] &+ 1) &* stride }
            case .bool(let v):
                cardinality = 3
                let stride = Int32(space)
                for (i, r) in rows.enumerated() where c.valid[r] { key[i] &+= (v[r] ? 2 : 1) &* stride }
            case .int(let v):
                guard let (low, high) = range(v, c.valid, rows), high - low < 1 << 20 else { return nil }
                cardinality = Int(high - low) + 2
                guard space * cardinality <= 1 << 20 else { return nil }
                let stride = Int32(space)
                for (i, r) in rows.enumerated() where c.valid[r] { key[i] &+= Int32(v[r] - low + 1) &* stride }
            case .date(let v):
                guard let (low, high) = range(v.lazy.map(Int64.init), c.valid, rows), high - low < 1 << 20 else {
                    return nil
                }
                cardinality = Int(high - low) + 2
                guard space * cardinality <= 1 << 20 else { return nil }
                let stride = Int32(space)
                for (i, r) in rows.enumerated() where c.valid[r] {
                    key[i] &+= Int32(Int64(v[r]) - low + 1) &* stride
                }
            case .decimal:
                return nil
            }
            space *= cardinality
        }
        var groupOfKey = [Int32](repeating: -1, count: space)
        var next: Int32 = 0
        for i in key.indices {
            let k = Int(key[i])
            if groupOfKey[k] < 0 {
                groupOfKey[k] = next
                next += 1
            }
            key[i] = groupOfKey[k]
        }
        return key
    }

    /// The smallest and largest non-null value among `rows`, or nil when all are null or the
    /// range does not fit.
    private static func range<C: RandomAccessCollection, R: RandomAccessCollection<Int>>(
        _ v: C, _ valid: [Bool], _ rows: R
    ) -> (Int64, Int64)?
    where C.Element == Int64, C.Index == Int {
        var low = Int64.max
        var high = Int64.min
        for r in rows where valid[r] {
            low = min(low, v[r])
            high = max(high, v[r])
        }
        guard low <= high else { return (0, 0) }
        let (width, overflow) = high.subtractingReportingOverflow(low)
        return overflow || width >= Int64(Int32.max) ? nil : (low, high)
    }

    /// The group of each row by hashing its key (any column types, any number of values).
    private static func hashedGroups<R: RandomAccessCollection<Int>>(rows: R, _ cols: [Column]) -> [Int32] {
        var index: [[Int64]: Int32] = [:]
        var out: [Int32] = []
        out.reserveCapacity(rows.count)
        // Two slots per column: a null flag, then the value's code. A code alone could not tell
        // null from a value that happens to share its sentinel (Int64.min is a valid int).
        var key = [Int64](repeating: 0, count: cols.count * 2)
        for r in rows {
            for (k, c) in cols.enumerated() {
                let null = c.isNull(r)
                key[2 * k] = null ? 1 : 0
                key[2 * k + 1] = null ? 0 : Self.code(c, r)
            }
            if let g = index[key] {
                out.append(g)
            } else {
                let g = Int32(index.count)
                index[key] = g
                out.append(g)
            }
        }
        return out
    }

    /// A 64-bit code that is equal exactly when two non-null cells of one column are equal.
    private static func code(_ c: Column, _ r: Int) -> Int64 {
        switch c.storage {
        case .string(let codes, _): return Int64(codes[r])
        case .int(let v): return v[r]
        // -0.0 and 0.0 are one group.
        case .decimal(let v): return Int64(bitPattern: (v[r] == 0 ? 0 : v[r]).bitPattern)
        case .bool(let v): return v[r] ? 1 : 0
        case .date(let v): return Int64(v[r])
        }
    }

    /// Stable sort by the keys; nulls last whatever the direction.
    ///
    /// Strings sort in `locale`'s order (vi-VN: Tam Đường, Tân Uyên, Than Uyên), by what outputs
    /// for people show: a code with a value label (`values:` in the schema) sorts by its label.
    static func sort(
        _ rows: inout [[Value]], by keys: [SortKey], columns: [ReportResult.ResultColumn], locale: ReportLocale = .enUS
    ) {
        let resolved: [(Int, Bool)] = keys.compactMap { key in
            columns.firstIndex { $0.name == key.column }.map { ($0, key.descending) }
        }
        guard !resolved.isEmpty else { return }
        func shown(_ v: Value, _ column: Int) -> Value {
            columns[column].valueLabel(for: v).map(Value.string) ?? v
        }
        // A locale's collation is slow (ICU, some microseconds a comparison): each string key's
        // distinct values are collated once, and rows compare their ranks.
        var ranks: [Int: [String: Int]] = [:]
        if locale != .enUS {
            for (i, _) in resolved where ranks[i] == nil {
                var distinct = Set<String>()
                for row in rows { if case .string(let text) = shown(row[i], i) { distinct.insert(text) } }
                guard !distinct.isEmpty else { continue }
                let ordered = distinct.sorted(by: locale.precedes)
                ranks[i] = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
            }
        }
        func key(_ v: Value, _ column: Int) -> Value {
            let value = shown(v, column)
            if let rank = ranks[column], case .string(let text) = value, let r = rank[text] { return .int(Int64(r)) }
            return value
        }
        let indexed = rows.enumerated().map { ($0.offset, $0.element) }
        rows = indexed.sorted { a, b in
            for (i, descending) in resolved {
                let x = key(a.1[i], i)
                let y = key(b.1[i], i)
                if x == y { continue }
                if x.isNull { return false }
                if y.isNull { return true }
                if locale.precedes(x, y) { return !descending }
                if locale.precedes(y, x) { return descending }
            }
            return a.0 < b.0
        }.map(\.1)
    }
}
