/// Computes a report over a loaded table: filter, group, calculate, sort, limit, totals.
///
/// Pure: no I/O, no clock. The definition must have been checked against the table's schema.
public struct ReportEngine: Sendable {
    public let calculators: CalculatorRegistry

    public init(calculators: CalculatorRegistry) { self.calculators = calculators }

    /// - Throws: `RunError` when a calculator fails (an integer overflow, a plugin error).
    public func execute(_ report: ReportDefinition, on table: Table) throws(RunError) -> ReportResult {
        try execute(report, on: table, rows: report.filter?.matchingRows(in: table) ?? Array(0..<table.rowCount))
    }

    /// The report over `rows` alone (rows that passed the filter): group, calculate, sort, limit, totals.
    func execute(_ report: ReportDefinition, on table: Table, rows: [Int]) throws(RunError) -> ReportResult {
        let (groups, keys) = Self.group(rows: rows, by: report.groupBy, in: table)

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
                let input = CalculatorInput(
                    table: table, groups: groups, groupKeys: keys, groupBy: report.groupBy,
                    parameters: metric.parameters)
                let values: [Value]
                if report.totals {
                    let total: Value
                    (values, total) = try calculator.computeWithTotal(input, all: rows)
                    totals.append(total)
                } else {
                    values = try calculator.compute(input)
                }
                guard values.count == groups.count else {
                    throw CalculatorError("gave \(values.count) results for \(groups.count) groups")
                }
                metricValues.append(values)
            } catch {
                throw RunError(
                    report: report.name, message: "metric '\(metric.name)' (\(metric.calc)): \(error.message)",
                    kind: error.transient ? .io : .calculation)
            }
        }

        var outputRows: [[Value]] = []
        outputRows.reserveCapacity(groups.count)
        for g in 0..<groups.count {
            outputRows.append(keys[g] + metricValues.map { $0[g] })
        }
        Self.sort(
            &outputRows,
            by: report.sort.isEmpty ? report.groupBy.map { SortKey(column: $0, descending: false) } : report.sort,
            columns: columns, locale: ReportLocale(report.locale))
        if let limit = report.limit, outputRows.count > limit { outputRows.removeLast(outputRows.count - limit) }
        return ReportResult(
            columns: columns, rows: outputRows, totals: report.totals ? totals : nil, rowsUsed: rows.count)
    }

    /// Splits `rows` into groups by the values of `columns`, groups in order of first appearance.
    ///
    /// Keys are built from the columns' encoded values (string dictionary codes, integer values),
    /// never from strings. When every group column has few possible values (dictionary-encoded
    /// strings, bools, ints or dates within a small range) the key is a small integer that indexes
    /// an array directly, with no hashing; otherwise keys are hashed.
    static func group(rows: [Int], by columns: [String], in table: Table) -> ([[Int]], [[Value]]) {
        guard !columns.isEmpty else { return ([rows], [[]]) }
        let cols = columns.compactMap { table.column($0) }
        let groupOfRow = denseGroups(rows: rows, cols) ?? hashedGroups(rows: rows, cols)
        // Two passes (sizes, then rows) so that each group's row list is allocated once.
        var sizes: [Int] = []
        var firstRow: [Int] = []
        for (i, g) in groupOfRow.enumerated() {
            if Int(g) == sizes.count {
                sizes.append(0)
                firstRow.append(rows[i])
            }
            sizes[Int(g)] += 1
        }
        var groups = sizes.map { size -> [Int] in
            var a: [Int] = []
            a.reserveCapacity(size)
            return a
        }
        for (i, g) in groupOfRow.enumerated() { groups[Int(g)].append(rows[i]) }
        let keys = firstRow.map { r in cols.map { $0.value(at: r) } }
        return (groups, keys)
    }

    /// The group of each row, numbered in order of first appearance, when the key space is small:
    /// each column maps its cells to 0 (null) or 1…n, and the codes combine in mixed radix.
    private static func denseGroups(rows: [Int], _ cols: [Column]) -> [Int32]? {
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
    private static func range<C: RandomAccessCollection>(_ v: C, _ valid: [Bool], _ rows: [Int]) -> (Int64, Int64)?
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
    private static func hashedGroups(rows: [Int], _ cols: [Column]) -> [Int32] {
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
