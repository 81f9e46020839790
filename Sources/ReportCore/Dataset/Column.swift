/// One column of a loaded dataset, held as a typed array (never as strings per row).
///
/// Strings are dictionary-encoded: each distinct value is stored once and rows hold a code, so
/// that grouping by district or programme compares integers, not strings.
///
/// Ints and string codes are packed (`PackedInts`): 1, 2 or 4 bytes a cell when the column's
/// values fit, and a column without a null cell keeps no validity flags (`Validity`). Why: at 50M
/// rows the kept columns took 47 bytes a row (three 8-byte ints with a flag byte each, five 4-byte
/// codes), 2.35 GB; packed, the benchmark's take 14 (years in a byte, amounts in 4 bytes).
public struct Column: Sendable {
    public enum Storage: Sendable {
        case int(PackedInts)
        case decimal([Double])
        case bool([Bool])
        case date([Int32])
        /// `codes[i]` indexes `dictionary`; `-1` is null.
        case string(codes: PackedInts, dictionary: [String])
    }

    public let spec: ColumnSpec
    public let storage: Storage
    /// `valid[i]` is false where row `i` is null. All true for strings (their code is `-1`).
    public let valid: Validity

    public init(spec: ColumnSpec, storage: Storage, valid: Validity) {
        self.spec = spec
        self.storage = storage
        self.valid = valid
    }

    /// - Parameter valid: one flag per row (none for a string column).
    public init(spec: ColumnSpec, storage: Storage, valid: [Bool]) {
        self.spec = spec
        self.storage = storage
        self.valid = Validity(valid, count: Self.count(of: storage))
    }

    public var name: String { spec.name }
    public var type: ColumnType { spec.type }

    public var count: Int { Self.count(of: storage) }

    private static func count(of storage: Storage) -> Int {
        switch storage {
        case .int(let v): return v.count
        case .decimal(let v): return v.count
        case .bool(let v): return v.count
        case .date(let v): return v.count
        case .string(let codes, _): return codes.count
        }
    }

    @inlinable
    public func isNull(_ row: Int) -> Bool {
        if case .string(let codes, _) = storage { return codes[row] < 0 }
        return !valid[row]
    }

    /// The cell at `row` as a `Value`.
    public func value(at row: Int) -> Value {
        switch storage {
        case .int(let v): return valid[row] ? .int(v[row]) : .null
        case .decimal(let v): return valid[row] ? .decimal(v[row]) : .null
        case .bool(let v): return valid[row] ? .bool(v[row]) : .null
        case .date(let v): return valid[row] ? .date(Day(daysSinceEpoch: v[row])) : .null
        case .string(let codes, let dict): return codes[row] < 0 ? .null : .string(dict[Int(codes[row])])
        }
    }

    /// The cell as a `Double`, for numeric columns; `nil` when null or not numeric.
    @inlinable
    public func double(at row: Int) -> Double? {
        switch storage {
        case .int(let v): return valid[row] ? Double(v[row]) : nil
        case .decimal(let v): return valid[row] ? v[row] : nil
        default: return nil
        }
    }

    /// The non-null numeric values of `rows`, as doubles.
    public func doubles(rows: [Int]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(rows.count)
        switch storage {
        case .int(let v):
            for r in rows where valid[r] { out.append(Double(v[r])) }
        case .decimal(let v):
            for r in rows where valid[r] { out.append(v[r]) }
        default:
            break
        }
        return out
    }

    /// The bytes the cells take (not the dictionary).
    public var cellBytes: Int {
        let flags = valid.hasNulls ? count : 0
        switch storage {
        case .int(let v): return v.count * v.bytesPerValue + flags
        case .decimal(let v): return v.count * 8 + flags
        case .bool(let v): return v.count + flags
        case .date(let v): return v.count * 4 + flags
        case .string(let codes, _): return codes.count * codes.bytesPerValue
        }
    }
}

/// Which cells of a column are not null: a flag per row, or none at all when every cell is
/// there (a required column, or one without an empty cell).
public struct Validity: Sendable, RandomAccessCollection {
    /// nil when every cell is valid.
    public let flags: [Bool]?
    public let count: Int

    /// Every one of `count` cells valid.
    public init(count: Int) {
        flags = nil
        self.count = count
    }

    /// `flags` (empty: all of `count` valid), kept only when one is false.
    public init(_ flags: [Bool], count: Int) {
        self.flags = flags.isEmpty || !flags.contains(false) ? nil : flags
        self.count = flags.isEmpty ? count : flags.count
    }

    /// One flag per row, kept even when all are true (the plain form, for comparisons).
    public init(keeping flags: [Bool]) {
        self.flags = flags
        count = flags.count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public var hasNulls: Bool { flags != nil }

    @inlinable
    public subscript(row: Int) -> Bool { flags?[row] ?? true }
}

/// Whole numbers in the fewest bytes that hold them all: each is `base + word`, the words 1, 2 or
/// 4 bytes unsigned (or 8 bytes signed with base 0 when the range needs it). String codes use it
/// with base -1 (word 0 is null, `code + 1` otherwise).
///
/// `subscript` decodes one value; loops over many rows switch on `words` once and run a loop
/// specialised for the width (`Statistics.intSums`, the grouping, the filter).
public struct PackedInts: Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public enum Words: Sendable {
        case u8([UInt8])
        case u16([UInt16])
        case u32([UInt32])
        case i64([Int64])
    }

    public let base: Int64
    public let words: Words

    public init(base: Int64, words: Words) {
        self.base = base
        self.words = words
    }

    /// `values` packed; the cells where `valid` is false (when given) are ignored for the range
    /// and come back as any value.
    public init(_ values: [Int64], valid: [Bool]? = nil) {
        var low = Int64.max
        var high = Int64.min
        if let valid, valid.count == values.count {
            for (v, ok) in zip(values, valid) where ok {
                low = Swift.min(low, v)
                high = Swift.max(high, v)
            }
        } else {
            for v in values {
                low = Swift.min(low, v)
                high = Swift.max(high, v)
            }
        }
        if low > high { (low, high) = (0, 0) }
        let width = PackedInts.width(low: low, high: high)
        let base = width == .i64 ? 0 : low
        self.base = base
        func narrow<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> [T] {
            var out = [T](repeating: 0, count: values.count)
            for i in values.indices {
                let d = values[i] &- base
                // A null cell outside the range is stored as 0.
                out[i] = d >= 0 && d <= Int64(T.max) ? T(d) : 0
            }
            return out
        }
        switch width {
        case .u8: words = .u8(narrow(UInt8.self))
        case .u16: words = .u16(narrow(UInt16.self))
        case .u32: words = .u32(narrow(UInt32.self))
        case .i64: words = .i64(values)
        }
    }

    public init(arrayLiteral elements: Int64...) { self.init(elements) }

    /// The widths a range of values may take.
    public enum Width: Int, Sendable, Comparable {
        case u8 = 1
        case u16 = 2
        case u32 = 4
        case i64 = 8

        public static func < (a: Width, b: Width) -> Bool { a.rawValue < b.rawValue }
    }

    /// The narrowest width that holds every value of `low...high` as `value - low`.
    public static func width(low: Int64, high: Int64) -> Width {
        let (span, overflow) = high.subtractingReportingOverflow(low)
        if overflow || span < 0 { return .i64 }
        if span <= Int64(UInt8.max) { return .u8 }
        if span <= Int64(UInt16.max) { return .u16 }
        if span <= Int64(UInt32.max) { return .u32 }
        return .i64
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public var count: Int {
        switch words {
        case .u8(let a): return a.count
        case .u16(let a): return a.count
        case .u32(let a): return a.count
        case .i64(let a): return a.count
        }
    }

    public var bytesPerValue: Int {
        switch words {
        case .u8: return 1
        case .u16: return 2
        case .u32: return 4
        case .i64: return 8
        }
    }

    @inlinable
    public subscript(i: Int) -> Int64 {
        switch words {
        case .u8(let a): return base &+ Int64(a[i])
        case .u16(let a): return base &+ Int64(a[i])
        case .u32(let a): return base &+ Int64(a[i])
        case .i64(let a): return a[i]
        }
    }
}

/// Builds `PackedInts` value by value or part by part, widening (and moving the base down) when a
/// value does not fit: the column's memory is the narrowest that holds what has come so far.
public struct PackedIntsBuilder: Sendable {
    private var base: Int64 = 0
    private var low = Int64.max
    private var high = Int64.min
    private var width = PackedInts.Width.u8
    private var u8: [UInt8] = []
    private var u16: [UInt16] = []
    private var u32: [UInt32] = []
    private var i64: [Int64] = []
    private var reserved = 0

    /// - Parameter capacity: the values expected (reserved pages cost nothing until written).
    public init(capacity: Int = 0) {
        reserved = capacity
        u8.reserveCapacity(capacity)
    }

    public var count: Int {
        switch width {
        case .u8: return u8.count
        case .u16: return u16.count
        case .u32: return u32.count
        case .i64: return i64.count
        }
    }

    /// Makes room for values in `low...high` (a valid cell's), widening when needed.
    ///
    /// A rewrite puts the base in the middle of the room the width leaves, so that values a little
    /// beyond those seen so far (the next parts of a file) fit without another rewrite.
    public mutating func include(low newLow: Int64, high newHigh: Int64) {
        guard newLow <= newHigh else { return }
        let lo = low > high ? newLow : min(low, newLow)
        let hi = low > high ? newHigh : max(high, newHigh)
        low = lo
        high = hi
        if width == .i64 { return }
        if lo >= base {
            let (span, overflow) = hi.subtractingReportingOverflow(base)
            if !overflow, span <= Self.maximum(width) { return }
        }
        let w = PackedInts.width(low: lo, high: hi)
        var newBase: Int64 = 0
        if w != .i64 {
            let slack = (Self.maximum(w) - (hi - lo)) / 2
            let (b, overflow) = lo.subtractingReportingOverflow(slack)
            newBase = overflow ? lo : b
        }
        rewrite(to: w, base: newBase)
    }

    private static func maximum(_ w: PackedInts.Width) -> Int64 {
        switch w {
        case .u8: return Int64(UInt8.max)
        case .u16: return Int64(UInt16.max)
        case .u32: return Int64(UInt32.max)
        case .i64: return Int64.max
        }
    }

    /// Re-encodes what is stored for `newBase` in `newWidth` words.
    private mutating func rewrite(to newWidth: PackedInts.Width, base newBase: Int64) {
        let old = snapshot()
        let capacity = max(reserved, old.count)
        u8 = []
        u16 = []
        u32 = []
        i64 = []
        width = newWidth
        func fill<T: FixedWidthInteger & UnsignedInteger>(_ a: inout [T]) {
            a.reserveCapacity(capacity)
            for i in 0..<old.count {
                let d = old[i] &- newBase
                a.append(d >= 0 && d <= Int64(T.max) ? T(d) : 0)
            }
        }
        switch newWidth {
        case .u8: fill(&u8)
        case .u16: fill(&u16)
        case .u32: fill(&u32)
        case .i64:
            i64.reserveCapacity(capacity)
            for i in 0..<old.count { i64.append(old[i]) }
        }
        base = newWidth == .i64 ? 0 : newBase
    }

    /// Appends a value already within what `include` made room for.
    @inline(__always)
    public mutating func append(_ value: Int64) {
        switch width {
        case .u8: u8.append(UInt8(truncatingIfNeeded: value &- base))
        case .u16: u16.append(UInt16(truncatingIfNeeded: value &- base))
        case .u32: u32.append(UInt32(truncatingIfNeeded: value &- base))
        case .i64: i64.append(value)
        }
    }

    /// Appends a null cell of an int column (word 0: any value).
    public mutating func appendNull() {
        switch width {
        case .u8: u8.append(0)
        case .u16: u16.append(0)
        case .u32: u32.append(0)
        case .i64: i64.append(0)
        }
    }

    /// Appends `values` where `valid` (when given) is true, nulls elsewhere; widens first. With
    /// `valid`, as many cells as the shorter of the two.
    ///
    /// Fast path (issue 20): the range is found and the words written in loops over raw buffers,
    /// the width switched once and the room made once (`appendBulk`). Why: an `append` per cell
    /// (a capacity and a uniqueness check each) was 4.6 % of a 10M-row run's CPU, in the join of
    /// the typed blocks into the columns. `appendPlain` is the per-cell loop it replaced, the
    /// reference of the tests: the words come out the same.
    public mutating func append(contentsOf values: [Int64], valid: [Bool]?) {
        values.withUnsafeBufferPointer { v in
            if let valid {
                valid.withUnsafeBufferPointer { f in
                    let n = min(v.count, f.count)
                    appendBulk(UnsafeBufferPointer(rebasing: v[0..<n]), UnsafeBufferPointer(rebasing: f[0..<n]))
                }
            } else {
                appendBulk(v, nil)
            }
        }
    }

    private mutating func appendBulk(_ v: UnsafeBufferPointer<Int64>, _ valid: UnsafeBufferPointer<Bool>?) {
        let n = v.count
        var lo = Int64.max
        var hi = Int64.min
        if let valid {
            for i in 0..<n {
                let ok = valid[i]
                lo = min(lo, ok ? v[i] : Int64.max)
                hi = max(hi, ok ? v[i] : Int64.min)
            }
        } else {
            for i in 0..<n {
                lo = min(lo, v[i])
                hi = max(hi, v[i])
            }
        }
        include(low: lo, high: hi)
        let base = self.base
        @inline(__always)
        func add<T: FixedWidthInteger>(_ a: inout [T], _ word: (Int64) -> T) {
            let old = a.count
            // Room for the part, growing geometrically as `append` does (an exact
            // `reserveCapacity` per part would copy the column once per part).
            if a.capacity < old + n { a.reserveCapacity(max(old + n, 2 * a.capacity)) }
            a.append(contentsOf: repeatElement(0, count: n))
            a.withUnsafeMutableBufferPointer { a in
                let out = a.baseAddress! + old
                if let valid {
                    for i in 0..<n { out[i] = valid[i] ? word(v[i]) : 0 }
                } else {
                    for i in 0..<n { out[i] = word(v[i]) }
                }
            }
        }
        guard n > 0 else { return }
        switch width {
        case .u8: add(&u8) { UInt8(truncatingIfNeeded: $0 &- base) }
        case .u16: add(&u16) { UInt16(truncatingIfNeeded: $0 &- base) }
        case .u32: add(&u32) { UInt32(truncatingIfNeeded: $0 &- base) }
        case .i64: add(&i64) { $0 }
        }
    }

    /// The per-cell append that `append(contentsOf:valid:)` replaced (the reference of the tests).
    mutating func appendPlain(contentsOf values: [Int64], valid: [Bool]?) {
        var lo = Int64.max
        var hi = Int64.min
        if let valid {
            for (v, ok) in zip(values, valid) where ok {
                lo = min(lo, v)
                hi = max(hi, v)
            }
        } else {
            for v in values {
                lo = min(lo, v)
                hi = max(hi, v)
            }
        }
        include(low: lo, high: hi)
        let base = self.base
        func add<T: FixedWidthInteger & UnsignedInteger>(_ a: inout [T]) {
            if let valid {
                for (v, ok) in zip(values, valid) { a.append(ok ? T(truncatingIfNeeded: v &- base) : 0) }
            } else {
                for v in values { a.append(T(truncatingIfNeeded: v &- base)) }
            }
        }
        switch width {
        case .u8: add(&u8)
        case .u16: add(&u16)
        case .u32: add(&u32)
        case .i64:
            if let valid {
                for (v, ok) in zip(values, valid) { i64.append(ok ? v : 0) }
            } else {
                i64.append(contentsOf: values)
            }
        }
    }

    /// Replaces every value `v` by `map(v)`, in place; `map` must keep values within the range
    /// already included (a dictionary's codes merged into fewer).
    public mutating func remap(_ map: (Int64) -> Int64) {
        let base = self.base
        func apply<T: FixedWidthInteger & UnsignedInteger>(_ a: inout [T]) {
            a.withUnsafeMutableBufferPointer { a in
                for i in a.indices { a[i] = T(truncatingIfNeeded: map(base &+ Int64(a[i])) &- base) }
            }
        }
        switch width {
        case .u8: apply(&u8)
        case .u16: apply(&u16)
        case .u32: apply(&u32)
        case .i64:
            i64.withUnsafeMutableBufferPointer { a in
                for i in a.indices { a[i] = map(a[i]) }
            }
        }
    }

    private func snapshot() -> PackedInts {
        switch width {
        case .u8: return PackedInts(base: base, words: .u8(u8))
        case .u16: return PackedInts(base: base, words: .u16(u16))
        case .u32: return PackedInts(base: base, words: .u32(u32))
        case .i64: return PackedInts(base: 0, words: .i64(i64))
        }
    }

    /// The values, the builder emptied.
    public mutating func finish() -> PackedInts {
        let done = snapshot()
        u8 = []
        u16 = []
        u32 = []
        i64 = []
        return done
    }
}

/// Builds a `Column` one cell at a time.
public struct ColumnBuilder: Sendable {
    public let spec: ColumnSpec
    private var ints: [Int64] = []
    private var decimals: [Double] = []
    private var bools: [Bool] = []
    private var dates: [Int32] = []
    private var codes: [Int32] = []
    private var dictionary: [String] = []
    private var lookup: [ExactString: Int32] = [:]
    private var valid: [Bool] = []

    public init(spec: ColumnSpec, capacity: Int = 0) {
        self.spec = spec
        valid.reserveCapacity(capacity)
    }

    /// Appends a value of this column's type, or null.
    public mutating func append(_ value: Value) {
        switch (spec.type, value) {
        case (.int, .int(let v)): ints.append(v); valid.append(true)
        case (.decimal, .decimal(let v)): decimals.append(v); valid.append(true)
        case (.decimal, .int(let v)): decimals.append(Double(v)); valid.append(true)
        case (.bool, .bool(let v)): bools.append(v); valid.append(true)
        case (.date, .date(let d)): dates.append(d.daysSinceEpoch); valid.append(true)
        case (.string, .string(let s)):
            if let code = lookup[ExactString(s)] {
                codes.append(code)
            } else {
                let code = Int32(dictionary.count)
                dictionary.append(s)
                lookup[ExactString(s)] = code
                codes.append(code)
            }
        default:
            appendNull()
        }
    }

    public mutating func appendNull() {
        switch spec.type {
        case .int: ints.append(0); valid.append(false)
        case .decimal: decimals.append(0); valid.append(false)
        case .bool: bools.append(false); valid.append(false)
        case .date: dates.append(0); valid.append(false)
        case .string: codes.append(-1)
        }
    }

    public func build() -> Column {
        switch spec.type {
        case .int: return Column(spec: spec, storage: .int(PackedInts(ints, valid: valid)), valid: valid)
        case .decimal: return Column(spec: spec, storage: .decimal(decimals), valid: valid)
        case .bool: return Column(spec: spec, storage: .bool(bools), valid: valid)
        case .date: return Column(spec: spec, storage: .date(dates), valid: valid)
        case .string:
            return Column(
                spec: spec, storage: .string(codes: PackedInts(codes.map(Int64.init)), dictionary: dictionary),
                valid: [])
        }
    }
}

/// A string compared by its UTF-8 bytes, not by Unicode canonical equivalence: the dictionary must
/// give back exactly the bytes it was given. The dataset readers hand over NFC text (SPEC), so NFC
/// "Hồ" and NFD "Hồ" only meet here as one value.
struct ExactString: Hashable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (a: ExactString, b: ExactString) -> Bool { a.value.utf8.elementsEqual(b.value.utf8) }

    func hash(into hasher: inout Hasher) {
        for byte in value.utf8 { hasher.combine(byte) }
    }
}
