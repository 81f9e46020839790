extension CompiledFilter {
    /// The indices of the rows of `table` for which the filter is true, in order.
    ///
    /// Evaluated column-wise (one pass per condition over typed arrays); conditions on a
    /// dictionary-encoded string column are decided once per distinct value, then looked up by code.
    public func matchingRows(in table: Table) -> [Int] {
        let truth = evaluate(root, table)
        // Counted first, then written into memory taken once through a raw buffer (issue 20: an
        // `append` per kept row checked the array's capacity and uniqueness each time).
        return truth.withUnsafeBufferPointer { truth in
            var kept = 0
            for t in truth { kept &+= Truth.yesBit(t) }
            // Without a branch per row (issue 20): every row's index is written at the next free
            // place and the place moves on only for a kept row, so rows kept in no pattern cost
            // no mispredicted branch (this with the count above, both branching on each row, was
            // 65 samples of a 10M-row run's 2,900). One place more than kept takes the writes
            // after the last kept row; it is not part of the array.
            return [Int](unsafeUninitializedCapacity: kept + 1) { out, initialized in
                let base = out.baseAddress!
                var k = 0
                for i in truth.indices {
                    base[k] = i
                    k &+= Truth.yesBit(truth[i])
                }
                initialized = kept
            }
        }
    }

    private func evaluate(_ node: Node, _ table: Table) -> [UInt8] {
        let n = table.rowCount
        switch node {
        case .constant(let b):
            return [UInt8](repeating: b ? Truth.yes : Truth.no, count: n)
        case .and(let a, let b):
            var x = evaluate(a, table)
            let y = evaluate(b, table)
            Self.combine(&x, y) { x, y in
                if x == Truth.no || y == Truth.no { return Truth.no }
                return x == Truth.unknown || y == Truth.unknown ? Truth.unknown : x
            }
            return x
        case .or(let a, let b):
            var x = evaluate(a, table)
            let y = evaluate(b, table)
            Self.combine(&x, y) { x, y in
                if x == Truth.yes || y == Truth.yes { return Truth.yes }
                return x == Truth.unknown || y == Truth.unknown ? Truth.unknown : x
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

    /// `x[i] = rule(x[i], y[i])` for every row, through raw buffers (issue 20: the indexed loop
    /// checked bounds and the array's uniqueness per row).
    @inline(__always)
    private static func combine(_ x: inout [UInt8], _ y: [UInt8], _ rule: (UInt8, UInt8) -> UInt8) {
        x.withUnsafeMutableBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                for i in 0..<min(x.count, y.count) { x[i] = rule(x[i], y[i]) }
            }
        }
    }

    /// Applies a test to every non-null cell; nulls stay unknown.
    private func perRow(_ column: Column, _ n: Int, _ test: (Value) -> Bool) -> [UInt8] {
        var truth = [UInt8](repeating: Truth.unknown, count: n)
        // Written through a raw buffer (issue 20: a captured array checked its uniqueness and
        // bounds per row).
        truth.withUnsafeMutableBufferPointer { out in perRow(column, n, test, into: out) }
        return truth
    }

    private func perRow(_ column: Column, _ n: Int, _ test: (Value) -> Bool, into out: UnsafeMutableBufferPointer<UInt8>) {
        switch column.storage {
        case .string(let codes, let dictionary):
            // Decided once per distinct value, then looked up by code (one loop per packed width).
            let decided = dictionary.map { test(.string($0)) ? Truth.yes : Truth.no }
            func look<W: FixedWidthInteger>(_ words: UnsafeBufferPointer<W>) {
                decided.withUnsafeBufferPointer { decided in
                    for i in 0..<n {
                        let code = codes.base &+ Int64(truncatingIfNeeded: words[i])
                        if code >= 0 { out[i] = decided[Int(code)] }
                    }
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
