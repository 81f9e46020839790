/// Computes a report over a loaded table: filter, group, calculate, sort, limit, totals.
///
/// Pure: no I/O, no clock. The definition must have been checked against the table's schema.
public struct ReportEngine: Sendable {
    public let calculators: CalculatorRegistry

    public init(calculators: CalculatorRegistry) { self.calculators = calculators }

    /// - Parameter sharing: work shared with the other reports of the run over `table` (see
    ///   `SharedWork`); ignored when it was made for another table.
    /// - Throws: `RunError` when a calculator fails (an integer overflow, a plugin error).
    public func execute(_ report: ReportDefinition, on table: Table, sharing: SharedWork? = nil) throws(RunError)
        -> ReportResult
    {
        let sharing = sharing?.serving(table)
        // Without a filter every row is used: no list of them is built (80 MB at 10M rows).
        let rowList = report.filter.map { Self.rows(keptBy: $0, in: table, sharing: sharing) }
        return try execute(
            report, on: table, rowList: rowList, scope: SharedWork.Scope(filter: report.filter?.root), sharing: sharing)
    }

    /// The report over `rows` alone (rows that passed the filter): group, calculate, sort, limit, totals.
    func execute(_ report: ReportDefinition, on table: Table, rows: [Int]) throws(RunError) -> ReportResult {
        try execute(report, on: table, rowList: rows, scope: nil, sharing: nil)
    }

    /// The rows `filter` keeps, found once for the run's reports that share it.
    static func rows(keptBy filter: CompiledFilter, in table: Table, sharing: SharedWork?) -> [Int] {
        guard let sharing else { return filter.matchingRows(in: table) }
        return sharing.value(.rows(filter.root)) { filter.matchingRows(in: table) }
    }

    /// The work of one computation of `report` that the run's reports may share (each key once per
    /// use), for `SharedWork`'s plan. Mirrors `execute`: a period's ranges as `execute(_:on:period:)`
    /// computes them.
    static func sharedWork(
        for report: ReportDefinition, scope: SharedWork.Scope, calculators: CalculatorRegistry
    ) -> [SharedWork.Key] {
        var keys: [SharedWork.Key] = [.groups(scope, groupBy: report.groupBy)]
        for metric in report.metrics where calculators[metric.calc] is any PureCalculator {
            keys.append(.values(scope, groupBy: report.groupBy, calc: metric.calc, parameters: metric.parameters))
            if report.totals { keys.append(.total(scope, calc: metric.calc, parameters: metric.parameters)) }
        }
        return keys
    }

    /// The report over `rowList` (ascending), or over every row of the table when it is nil.
    ///
    /// `scope` names those rows for `sharing` (nil: nothing is shared).
    func execute(
        _ report: ReportDefinition, on table: Table, rowList: [Int]?, scope: SharedWork.Scope?, sharing: SharedWork?
    ) throws(RunError) -> ReportResult {
        let sharing = scope == nil ? nil : sharing
        func groupIDs() -> SharedWork.Grouping {
            let (rows, firstRows) = Self.groupIDs(
                rows: rowList, count: rowList?.count ?? table.rowCount, by: report.groupBy, in: table)
            return SharedWork.Grouping(rows: rows, firstRows: firstRows)
        }
        let grouped = sharing.map { $0.value(.groups(scope!, groupBy: report.groupBy), groupIDs) } ?? groupIDs()
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
        // The percentiles the report asks of each column (a median and a 90th percentile, say),
        // selected from one gathering of the column's values when there are several
        // (`QuantileCalculator`); the results by column, for the groups and for the totals row.
        var quantilePs: [String: [Double]] = [:]
        for metric in report.metrics {
            guard let q = calculators[metric.calc] as? any QuantileCalculator,
                let (column, p) = q.quantile(metric.parameters)
            else { continue }
            if !(quantilePs[column]?.contains(p) ?? false) { quantilePs[column, default: []].append(p) }
        }
        var quantileBatches: [String: [[Double?]]] = [:]
        var quantileTotals: [String: [[Double?]]] = [:]
        func batched(_ metric: MetricDefinition, total: Bool) -> [Value]? {
            guard let q = calculators[metric.calc] as? any QuantileCalculator,
                let (name, p) = q.quantile(metric.parameters), let ps = quantilePs[name], ps.count > 1,
                let i = ps.firstIndex(of: p), let column = table.column(name)
            else { return nil }
            if total {
                if quantileTotals[name] == nil { quantileTotals[name] = grouped.rows.asOneGroup.percentiles(column, ps: ps) }
                return quantileTotals[name]![i].map(Value.finite)
            }
            if quantileBatches[name] == nil { quantileBatches[name] = grouped.rows.percentiles(column, ps: ps) }
            return quantileBatches[name]![i].map(Value.finite)
        }
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
                let totalInput = CalculatorInput(
                    table: table, groups: [], groupKeys: [[]], groupBy: [], parameters: metric.parameters)
                var values: [Value]?
                if calculator is any PureCalculator {
                    // Values and total each as `computeWithTotal`'s default gives them, shared with the
                    // run's other reports that compute the same (see `SharedWork`).
                    func groupValues() throws(CalculatorError) -> [Value] {
                        if let v = batched(metric, total: false) { return v }
                        if let fast = calculator as? any OnePassCalculator,
                            let v = try fast.compute(input, grouped: grouped.rows)
                        {
                            return v
                        }
                        if lists == nil { lists = grouped.rows.rowLists() }
                        input.groups = lists!
                        return try calculator.compute(input)
                    }
                    func total() throws(CalculatorError) -> Value {
                        if let v = batched(metric, total: true) { return v.first ?? .null }
                        if let fast = calculator as? any OnePassCalculator,
                            let v = try fast.compute(totalInput, grouped: grouped.rows.asOneGroup)
                        {
                            return v.first ?? .null
                        }
                        if allRows == nil { allRows = rowList ?? Array(0..<table.rowCount) }
                        var everything = totalInput
                        everything.groups = [allRows!]
                        return try calculator.compute(everything).first ?? .null
                    }
                    if let sharing, let scope {
                        values = try sharing.value(
                            .values(scope, groupBy: report.groupBy, calc: metric.calc, parameters: metric.parameters),
                            groupValues)
                        if report.totals {
                            totals.append(
                                try sharing.value(
                                    .total(scope, calc: metric.calc, parameters: metric.parameters), total))
                        }
                    } else {
                        values = try groupValues()
                        if report.totals { totals.append(try total()) }
                    }
                } else {
                    if let fast = calculator as? any OnePassCalculator,
                        let v = try fast.compute(input, grouped: grouped.rows)
                    {
                        values = v
                        if report.totals {
                            let total = try fast.compute(totalInput, grouped: grouped.rows.asOneGroup)
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
            return (GroupedRows(rows: rows, count: count, groupOf: nil as PackedInts?, groupCount: 1), [rows?.first ?? 0])
        }
        let cols = columns.compactMap { table.column($0) }
        let found: (ids: PackedInts, firstRows: [Int])
        if let rows {
            found = denseGroups(rows: rows, cols) ?? hashedGroups(rows: rows, cols)
        } else {
            found = denseGroups(rows: 0..<count, cols) ?? hashedGroups(rows: 0..<count, cols)
        }
        return (
            GroupedRows(rows: rows, count: count, groupOf: found.ids, groupCount: found.firstRows.count),
            found.firstRows
        )
    }

    /// The group of each row, numbered in order of first appearance, and each group's first row,
    /// when the key space is small: each column maps its cells to 0 (null) or 1…n, and the codes
    /// combine in mixed radix. The ids are as narrow as the key space allows (a byte for up to 256
    /// keys); the keys are computed a block of rows at a time, so no 4-byte key per row is held.
    private static func denseGroups<R: RandomAccessCollection<Int>>(rows: R, _ cols: [Column])
        -> (ids: PackedInts, firstRows: [Int])?
    {
        var parts: [(DenseKeyPart, Int32)] = []
        var space = 1
        for c in cols {
            var cardinality = 0
            let part: DenseKeyPart
            switch c.storage {
            case .string(let codes, let dictionary):
                cardinality = dictionary.count + 1
                // Code -1 (null) is 0, code k is k + 1.
                part = .packed(codes, minus: -1, valid: nil)
            case .bool(let v):
                cardinality = 3
                part = .bool(v, c.valid)
            case .int(let v):
                guard let (low, high) = range(v, c.valid, rows), high - low < 1 << 20 else { return nil }
                cardinality = Int(high - low) + 2
                part = .packed(v, minus: low - 1, valid: c.valid.flags)
            case .date(let v):
                guard let (low, high) = range(v, c.valid, rows), high - low < 1 << 20 else { return nil }
                cardinality = Int(high - low) + 2
                part = .date(v, low: low, c.valid)
            case .decimal:
                return nil
            }
            guard space * cardinality <= 1 << 20 else { return nil }
            parts.append((part, Int32(space)))
            space *= cardinality
        }
        var groupOfKey = [Int32](repeating: -1, count: space)
        var firstRows: [Int] = []
        let n = rows.count
        let block = 1 << 16
        var key = [Int32](repeating: 0, count: min(n, block))
        // Fast path (issue 20): the ids are written into memory reserved once, and the key and
        // group tables are read through raw buffers. Why: an `append` per row (a capacity and a
        // uniqueness check, a call into the runtime) and the bounds checks were 2.2 % of a
        // 10M-row run's CPU. The ids and first rows are those the per-row appends gave.
        func ids<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: n) { out, initialized in
                groupOfKey.withUnsafeMutableBufferPointer { groupOfKey in
                    key.withUnsafeMutableBufferPointer { key in
                        var start = 0
                        while start < n {
                            let end = min(n, start + block)
                            let from = rows.index(rows.startIndex, offsetBy: start)
                            let slice = rows[from..<rows.index(rows.startIndex, offsetBy: end)]
                            for i in 0..<(end - start) { key[i] = 0 }
                            for (part, stride) in parts {
                                switch part {
                                case .packed(let values, let minus, let valid):
                                    addKeys(values, minus: minus, valid: valid, rows: slice, to: key, stride: stride)
                                case .bool(let v, let valid):
                                    for (i, r) in slice.enumerated() where valid[r] {
                                        key[i] &+= (v[r] ? 2 : 1) &* stride
                                    }
                                case .date(let v, let low, let valid):
                                    for (i, r) in slice.enumerated() where valid[r] {
                                        key[i] &+= Int32(Int64(v[r]) - low + 1) &* stride
                                    }
                                }
                            }
                            for i in 0..<(end - start) {
                                let k = Int(key[i])
                                var g = groupOfKey[k]
                                if g < 0 {
                                    g = Int32(firstRows.count)
                                    groupOfKey[k] = g
                                    firstRows.append(slice[rows.index(from, offsetBy: i)])
                                }
                                (out.baseAddress! + start + i).initialize(to: T(truncatingIfNeeded: g))
                            }
                            start = end
                        }
                    }
                }
                initialized = n
            }
        }
        let packed: PackedInts.Words
        if space <= 1 << 8 {
            packed = .u8(ids(UInt8.self))
        } else if space <= 1 << 16 {
            packed = .u16(ids(UInt16.self))
        } else {
            packed = .u32(ids(UInt32.self))
        }
        return (PackedInts(base: 0, words: packed), firstRows)
    }

    /// A column's part of a dense group key: (value - minus) * stride, or 0 for null.
    private enum DenseKeyPart {
        case packed(PackedInts, minus: Int64, valid: [Bool]?)
        case bool([Bool], Validity)
        case date([Int32], low: Int64, Validity)
    }

    /// Adds `(value - minus) * stride` to `key[i]` for the i-th of `rows`, where `valid` (when
    /// given) is true: one loop specialised for the packed width.
    private static func addKeys<R: RandomAccessCollection<Int>>(
        _ packed: PackedInts, minus: Int64, valid: [Bool]?, rows: R, to key: UnsafeMutableBufferPointer<Int32>,
        stride: Int32
    ) {
        let offset = packed.base &- minus
        func add<W: FixedWidthInteger>(_ words: UnsafeBufferPointer<W>) {
            if let valid {
                valid.withUnsafeBufferPointer { valid in
                    for (i, r) in rows.enumerated() where valid[r] {
                        key[i] &+= Int32(truncatingIfNeeded: Int64(truncatingIfNeeded: words[r]) &+ offset) &* stride
                    }
                }
            } else {
                for (i, r) in rows.enumerated() {
                    key[i] &+= Int32(truncatingIfNeeded: Int64(truncatingIfNeeded: words[r]) &+ offset) &* stride
                }
            }
        }
        switch packed.words {
        case .u8(let a): a.withUnsafeBufferPointer(add)
        case .u16(let a): a.withUnsafeBufferPointer(add)
        case .u32(let a): a.withUnsafeBufferPointer(add)
        case .i64(let a): a.withUnsafeBufferPointer(add)
        }
    }

    /// The smallest and largest non-null value among `rows`, or nil when all are null or the
    /// range does not fit.
    private static func range<R: RandomAccessCollection<Int>>(_ packed: PackedInts, _ valid: Validity, _ rows: R)
        -> (Int64, Int64)?
    {
        var low = Int64.max
        var high = Int64.min
        func scan<W: FixedWidthInteger>(_ words: UnsafeBufferPointer<W>) {
            var lo = W.max
            var hi = W.min
            if let flags = valid.flags {
                for r in rows where flags[r] {
                    lo = min(lo, words[r])
                    hi = max(hi, words[r])
                }
            } else {
                for r in rows {
                    lo = min(lo, words[r])
                    hi = max(hi, words[r])
                }
            }
            if lo <= hi {
                low = packed.base &+ Int64(truncatingIfNeeded: lo)
                high = packed.base &+ Int64(truncatingIfNeeded: hi)
            }
        }
        switch packed.words {
        case .u8(let a): a.withUnsafeBufferPointer(scan)
        case .u16(let a): a.withUnsafeBufferPointer(scan)
        case .u32(let a): a.withUnsafeBufferPointer(scan)
        case .i64(let a): a.withUnsafeBufferPointer(scan)
        }
        return fitting(low, high)
    }

    private static func range<R: RandomAccessCollection<Int>>(_ v: [Int32], _ valid: Validity, _ rows: R)
        -> (Int64, Int64)?
    {
        var low = Int64.max
        var high = Int64.min
        for r in rows where valid[r] {
            low = min(low, Int64(v[r]))
            high = max(high, Int64(v[r]))
        }
        return fitting(low, high)
    }

    private static func fitting(_ low: Int64, _ high: Int64) -> (Int64, Int64)? {
        guard low <= high else { return (0, 0) }
        let (width, overflow) = high.subtractingReportingOverflow(low)
        return overflow || width >= Int64(Int32.max) ? nil : (low, high)
    }

    /// The group of each row by hashing its key (any column types, any number of values), and
    /// each group's first row.
    private static func hashedGroups<R: RandomAccessCollection<Int>>(rows: R, _ cols: [Column])
        -> (ids: PackedInts, firstRows: [Int])
    {
        var index: [[Int64]: UInt32] = [:]
        var out: [UInt32] = []
        var firstRows: [Int] = []
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
                let g = UInt32(index.count)
                index[key] = g
                out.append(g)
                firstRows.append(r)
            }
        }
        return (PackedInts(base: 0, words: .u32(out)), firstRows)
    }

    /// A 64-bit code that is equal exactly when two non-null cells of one column are equal.
    private static func code(_ c: Column, _ r: Int) -> Int64 {
        switch c.storage {
        case .string(let codes, _): return codes[r]
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
