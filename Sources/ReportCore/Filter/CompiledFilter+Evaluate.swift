extension CompiledFilter {
    /// The indices of the rows of `table` for which the filter is true, in order.
    ///
    /// Evaluated column-wise (one pass per condition over typed arrays); conditions on a
    /// dictionary-encoded string column are decided once per distinct value, then looked up by code.
    public func matchingRows(in table: Table) -> [Int] {
        let truth = evaluate(root, table)
        var rows: [Int] = []
        rows.reserveCapacity(table.rowCount)
        for i in 0..<table.rowCount where truth[i] == Truth.yes { rows.append(i) }
        return rows
    }

    private func evaluate(_ node: Node, _ table: Table) -> [UInt8] {
        let n = table.rowCount
        switch node {
        case .constant(let b):
            return [UInt8](repeating: b ? Truth.yes : Truth.no, count: n)
        case .and(let a, let b):
            var x = evaluate(a, table)
            let y = evaluate(b, table)
            for i in 0..<n {
                if x[i] == Truth.no || y[i] == Truth.no {
                    x[i] = Truth.no
                } else if x[i] == Truth.unknown || y[i] == Truth.unknown {
                    x[i] = Truth.unknown
                }
            }
            return x
        case .or(let a, let b):
            var x = evaluate(a, table)
            let y = evaluate(b, table)
            for i in 0..<n {
                if x[i] == Truth.yes || y[i] == Truth.yes {
                    x[i] = Truth.yes
                } else if x[i] == Truth.unknown || y[i] == Truth.unknown {
                    x[i] = Truth.unknown
                }
            }
            return x
        case .not(let a):
            var x = evaluate(a, table)
            for i in 0..<n where x[i] != Truth.unknown { x[i] = x[i] == Truth.yes ? Truth.no : Truth.yes }
            return x
        case .boolColumn(let name):
            return perRow(table.column(name)!, n) { v in
                if case .bool(let b) = v { return b }
                return false
            }
        case .compareLiteral(let name, let op, let literal):
            return perRow(table.column(name)!, n) { v in Self.compare(v, op, literal) }
        case .member(let name, let set):
            return perRow(table.column(name)!, n) { v in
                if set.contains(v) { return true }
                // An int column listed with decimals (or the reverse) still matches by exact value.
                guard v.doubleValue != nil else { return false }
                return set.contains { Value.numericOrder(v, $0) == 0 }
            }
        case .isNull(let name):
            let column = table.column(name)!
            return (0..<n).map { column.isNull($0) ? Truth.yes : Truth.no }
        case .compareColumns(let a, let op, let b):
            let ca = table.column(a)!
            let cb = table.column(b)!
            var out = [UInt8](repeating: Truth.unknown, count: n)
            for i in 0..<n {
                let va = ca.value(at: i)
                let vb = cb.value(at: i)
                if va.isNull || vb.isNull { continue }
                out[i] = Self.compare(va, op, vb) ? Truth.yes : Truth.no
            }
            return out
        }
    }

    /// Applies a test to every non-null cell; nulls stay unknown.
    private func perRow(_ column: Column, _ n: Int, _ test: (Value) -> Bool) -> [UInt8] {
        var out = [UInt8](repeating: Truth.unknown, count: n)
        switch column.storage {
        case .string(let codes, let dictionary):
            // Decided once per distinct value, then looked up by code (one loop per packed width).
            let decided = dictionary.map { test(.string($0)) ? Truth.yes : Truth.no }
            func look<W: FixedWidthInteger>(_ words: UnsafeBufferPointer<W>) {
                for i in 0..<n {
                    let code = codes.base &+ Int64(truncatingIfNeeded: words[i])
                    if code >= 0 { out[i] = decided[Int(code)] }
                }
            }
            switch codes.words {
            case .u8(let a): a.withUnsafeBufferPointer(look)
            case .u16(let a): a.withUnsafeBufferPointer(look)
            case .u32(let a): a.withUnsafeBufferPointer(look)
            case .i64(let a): a.withUnsafeBufferPointer(look)
            }
        case .int(let values):
            if case .u8(let words) = values.words {
                // Values in a byte (years): each of the 256 decided once, then looked up.
                let decided = (0...255).map { w in test(.int(values.base &+ Int64(w))) ? Truth.yes : Truth.no }
                for i in 0..<n where column.valid[i] { out[i] = decided[Int(words[i])] }
            } else {
                for i in 0..<n where column.valid[i] { out[i] = test(.int(values[i])) ? Truth.yes : Truth.no }
            }
        default:
            for i in 0..<n where !column.isNull(i) { out[i] = test(column.value(at: i)) ? Truth.yes : Truth.no }
        }
        return out
    }

    static func compare(_ a: Value, _ op: ComparisonOperator, _ b: Value) -> Bool {
        let equal = Value.numericOrder(a, b).map { $0 == 0 } ?? (a == b)
        switch op {
        case .equal: return equal
        case .notEqual: return !equal
        case .less: return a < b
        case .lessOrEqual: return a < b || equal
        case .greater: return b < a
        case .greaterOrEqual: return b < a || equal
        }
    }
}
