public import ReportConfig
public import ReportCore

/// Compares a computed result with a test's expected rows, and explains the difference as a diff
/// of rows (`-` expected, `+` got, columns aligned) followed by one line per differing value.
public enum ResultComparison {
    /// Decimals that differ by no more than this fraction of the larger are equal when a test sets
    /// no tolerance: the rounding of a sum taken in another order, not a different figure.
    public static let relativeSlack = 1e-9

    /// Whether a value written in a test stands for the computed one.
    ///
    /// The column's value decides how the text reads: numbers compare as numbers (`3_100_000_000`
    /// and `3100000000.0` both read as 3100000000), within `tolerance` when given (integers
    /// otherwise exactly, decimals up to `relativeSlack`); booleans as true/false, yes/no, on/off;
    /// dates as YYYY-MM-DD; strings exactly. `nil` (a column absent on either side) matches only
    /// `nil`; null only null.
    public static func matches(_ expected: ExpectedCell?, _ actual: Value?, tolerance: Double? = nil) -> Bool {
        guard let expected, let actual else { return expected == nil && actual == nil }
        if expected.isNull || actual.isNull { return expected.isNull && actual.isNull }
        switch actual {
        case .null: return false
        case .string(let s): return s == expected.text
        case .date(let d): return d.description == expected.text.trimmingCharacters(in: .whitespaces)
        case .bool(let b):
            switch expected.text.lowercased() {
            case "true", "yes", "on": return b
            case "false", "no", "off": return !b
            default: return false
            }
        case .int(let i):
            let text = numberText(expected.text)
            if let tolerance {
                guard let e = Double(text) else { return false }
                return abs(Double(i) - e) <= tolerance
            }
            if let e = Int64(text) { return e == i }
            guard let e = Double(text) else { return false }
            return Value.numericOrder(.int(i), .decimal(e)) == 0
        case .decimal(let d):
            guard let e = Double(numberText(expected.text)), e.isFinite else { return false }
            let slack = max(tolerance ?? 0, relativeSlack * max(abs(d), abs(e)))
            return abs(d - e) <= slack
        }
    }

    /// A number as written in YAML, without the `_` that may group its digits or a leading `+`.
    static func numberText(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        if t.hasPrefix("+") { t.removeFirst() }
        return t
    }

    /// The lines that explain how `result` differs from `expected`; none when it matches.
    public static func differences(expected: ReportTest.ExpectedRows, result: ReportResult) -> [String] {
        let names = result.columns.map(\.name)
        var columns = names
        for row in expected.rows + (expected.totals.map { [$0] } ?? []) {
            for cell in row.cells where !columns.contains(cell.name) { columns.append(cell.name) }
        }
        let numeric = Set(result.columns.filter { $0.type == .int || $0.type == .decimal }.map(\.name))
        let groupColumns = result.columns.filter { $0.role == .group }.map(\.name)
        let actual = result.rows.map { values in Row(names: names, values: values) }
        let wanted = expected.rows.map(Row.init(expected:))
        func same(_ e: Row, _ a: Row) -> Bool {
            columns.allSatisfy { matches(e.expected[$0], a.actual[$0], tolerance: expected.tolerance) }
        }

        var lines: [String] = []
        let missing = columns.filter { !names.contains($0) }
        if !missing.isEmpty {
            lines.append("the result has no column \(missing.map { "'\($0)'" }.joined(separator: ", "))")
        }
        let edits = expected.ordered ? orderedEdits(wanted, actual, same) : unorderedEdits(wanted, actual, same)
        if edits.contains(where: { $0.kind != .same }) {
            var header = "rows differ (- expected, + got"
            if !expected.ordered { header += "; order not compared" }
            lines.append(header + "): expected \(wanted.count) row\(wanted.count == 1 ? "" : "s"), got \(actual.count)")
            let table =
                [("  ", columns.map { $0 })]
                + edits.map { edit -> (String, [String]) in
                    switch edit.kind {
                    case .same, .added:
                        return (edit.kind == .same ? "  " : "+ ", columns.map { actual[edit.actual!].text($0) })
                    case .removed: return ("- ", columns.map { wanted[edit.expected!].text($0) })
                    }
                }
            lines += aligned(table, rightAligned: columns.map { numeric.contains($0) })
            lines += explanations(edits, wanted, actual, columns: columns, keys: groupColumns, expected.tolerance)
        }
        if let totals = expected.totals {
            let metricNames = result.columns.filter { $0.role == .metric }.map(\.name)
            let got = result.totals.map { Row(names: metricNames, values: $0) }
            let want = Row(expected: totals)
            let totalColumns = metricNames + totals.cells.map(\.name).filter { !metricNames.contains($0) }
            let differing = totalColumns.filter {
                !matches(want.expected[$0], got?.actual[$0], tolerance: expected.tolerance)
            }
            if !differing.isEmpty {
                lines.append("totals differ (- expected, + got):")
                var table = [("  ", totalColumns), ("- ", totalColumns.map { want.text($0) })]
                if let got { table.append(("+ ", totalColumns.map { got.text($0) })) }
                lines += aligned(table, rightAligned: totalColumns.map { numeric.contains($0) })
                for column in differing {
                    lines.append(
                        "  totals: \(column): expected \(want.text(column)), got \(got?.text(column) ?? "no totals")")
                }
            }
        }
        return lines
    }

    /// One row on either side: expected cells, or computed values, by column.
    struct Row {
        var expected: [String: ExpectedCell] = [:]
        var actual: [String: Value] = [:]
        var isExpected: Bool

        init(names: [String], values: [Value]) {
            for (name, value) in zip(names, values) { actual[name] = value }
            isExpected = false
        }

        init(expected row: ReportTest.ExpectedRow) {
            for cell in row.cells { expected[cell.name] = cell.value }
            isExpected = true
        }

        /// The cell as shown in a diff: `null` for null, nothing for a column this side lacks.
        func text(_ column: String) -> String {
            if isExpected {
                // 3_100_000_000 is shown as 3100000000, lined up with the computed figure.
                guard let cell = expected[column] else { return "" }
                let plain = numberText(cell.text)
                return !cell.isNull && cell.text.contains("_") && Double(plain) != nil ? plain : cell.description
            }
            guard let value = actual[column] else { return "" }
            return value.isNull ? "null" : value.description
        }
    }

    struct Edit {
        enum Kind { case same, removed, added }
        var kind: Kind
        var expected: Int?
        var actual: Int?
    }

    /// The shortest edit from the expected rows to the computed ones (longest common subsequence),
    /// each removal before the additions that replace it. Past a few million row pairs, rows are
    /// paired by position instead.
    static func orderedEdits(_ e: [Row], _ a: [Row], _ same: (Row, Row) -> Bool) -> [Edit] {
        let (n, m) = (e.count, a.count)
        guard n * m <= 4_000_000 else {
            var edits: [Edit] = []
            for i in 0..<max(n, m) {
                if i < n, i < m, same(e[i], a[i]) {
                    edits.append(Edit(kind: .same, expected: i, actual: i))
                    continue
                }
                if i < n { edits.append(Edit(kind: .removed, expected: i)) }
                if i < m { edits.append(Edit(kind: .added, actual: i)) }
            }
            return edits
        }
        var equal = [[Bool]](repeating: [Bool](repeating: false, count: m), count: n)
        for i in 0..<n { for j in 0..<m { equal[i][j] = same(e[i], a[j]) } }
        // lcs[i][j]: the longest common subsequence of e[i...] and a[j...].
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = equal[i][j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var edits: [Edit] = []
        var (i, j) = (0, 0)
        var removed: [Edit] = []
        var added: [Edit] = []
        func flush() {
            edits += removed + added
            removed = []
            added = []
        }
        while i < n || j < m {
            if i < n, j < m, equal[i][j] {
                flush()
                edits.append(Edit(kind: .same, expected: i, actual: j))
                i += 1
                j += 1
            } else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] {
                removed.append(Edit(kind: .removed, expected: i))
                i += 1
            } else {
                added.append(Edit(kind: .added, actual: j))
                j += 1
            }
        }
        flush()
        return edits
    }

    /// Each expected row paired with the first computed row it matches, in the computed order;
    /// the expected rows left unmatched, then the computed rows left unmatched.
    static func unorderedEdits(_ e: [Row], _ a: [Row], _ same: (Row, Row) -> Bool) -> [Edit] {
        var used = [Bool](repeating: false, count: a.count)
        var pairedWith = [Int?](repeating: nil, count: a.count)
        var unmatched: [Int] = []
        for i in e.indices {
            if let j = a.indices.first(where: { !used[$0] && same(e[i], a[$0]) }) {
                used[j] = true
                pairedWith[j] = i
            } else {
                unmatched.append(i)
            }
        }
        var edits = a.indices.compactMap { j in pairedWith[j].map { Edit(kind: .same, expected: $0, actual: j) } }
        edits += unmatched.map { Edit(kind: .removed, expected: $0) }
        edits += a.indices.filter { !used[$0] }.map { Edit(kind: .added, actual: $0) }
        return edits
    }

    /// For each removed row that an added row replaces (the same group keys, or else the next
    /// one in the same run of changes), the values that differ, named.
    static func explanations(
        _ edits: [Edit], _ e: [Row], _ a: [Row], columns: [String], keys: [String], _ tolerance: Double?
    ) -> [String] {
        var lines: [String] = []
        let removed = edits.filter { $0.kind == .removed }.map { $0.expected! }
        var added = edits.filter { $0.kind == .added }.map { $0.actual! }
        for i in removed {
            let sameKeys = added.first { j in keys.allSatisfy { matches(e[i].expected[$0], a[j].actual[$0]) } }
            guard let j = keys.isEmpty ? added.first : sameKeys else { continue }
            added.removeAll { $0 == j }
            let label = keys.isEmpty ? "row \(i + 1)" : keys.map { e[i].text($0) }.joined(separator: ", ")
            for column in columns where !matches(e[i].expected[column], a[j].actual[column], tolerance: tolerance) {
                lines.append("  \(label): \(column): expected \(e[i].text(column)), got \(a[j].text(column))")
            }
        }
        return lines
    }

    /// Rows of cells as lines, each column padded to its widest cell (display width, so that
    /// Vietnamese text lines up), numbers aligned right; the prefix (`- `, `+ `) first.
    static func aligned(_ rows: [(String, [String])], rightAligned: [Bool]) -> [String] {
        guard let count = rows.first?.1.count else { return [] }
        var widths = [Int](repeating: 0, count: count)
        for (_, cells) in rows {
            for (c, cell) in cells.enumerated() { widths[c] = max(widths[c], DisplayWidth.of(cell)) }
        }
        return rows.map { prefix, cells in
            var line = prefix
            for (c, cell) in cells.enumerated() {
                let right = c < rightAligned.count && rightAligned[c]
                let last = c == cells.count - 1
                line += last && !right ? cell : DisplayWidth.pad(cell, to: widths[c], alignRight: right)
                if !last { line += "  " }
            }
            return line
        }
    }
}
