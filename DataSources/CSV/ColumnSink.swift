import CCSVScan
import ReportCore

#if canImport(Glibc)
import Glibc
#endif

/// Types the cells of one CSV column straight from the file's bytes and stores them in a typed
/// array: no `String` and no `Value` per cell.
///
/// The common forms take a fast path (plain digits for ints, `YYYY-MM-DD` dates, short decimals,
/// string bytes looked up in a `StringInterner`); anything else goes to `CellParser`, which decides
/// exactly as before and words the error. A column no report of the run reads (`keep == false`) is
/// still checked, so a bad cell is reported whichever reports run, but nothing is stored.
struct ColumnSink: Sendable {
    enum Problem: Error {
        case requiredButEmpty
        case invalid(String)
    }

    let spec: ColumnSpec
    let keep: Bool
    private(set) var ints: [Int64] = []
    private(set) var decimals: [Double] = []
    private(set) var bools: [Bool] = []
    private(set) var dates: [Int32] = []
    private(set) var codes: [Int32] = []
    private(set) var valid: [Bool] = []
    private(set) var strings = StringInterner()
    /// Recently interned short values (`internBatch`); empty until the first batch.
    private var recent: [RecentValue] = []

    init(spec: ColumnSpec, keep: Bool, capacity: Int) {
        self.spec = spec
        self.keep = keep
        guard keep else { return }
        switch spec.type {
        case .int: ints.reserveCapacity(capacity)
        case .decimal: decimals.reserveCapacity(capacity)
        case .bool: bools.reserveCapacity(capacity)
        case .date: dates.reserveCapacity(capacity)
        case .string: codes.reserveCapacity(capacity)
        }
        if spec.type != .string { valid.reserveCapacity(capacity) }
    }

    /// Rows stored so far.
    var count: Int {
        switch spec.type {
        case .int: return ints.count
        case .decimal: return decimals.count
        case .bool: return bools.count
        case .date: return dates.count
        case .string: return codes.count
        }
    }

    /// Types and stores one cell. `utf8Checked` says the bytes are already known to be valid UTF-8.
    @inline(__always)
    mutating func append(_ p: UnsafePointer<UInt8>, count n: Int, utf8Checked: Bool) throws(Problem) {
        switch spec.type {
        case .string:
            if n == 0 {
                if spec.required { throw .requiredButEmpty }
                if keep { codes.append(-1) }
                return
            }
            if !utf8Checked {
                if memchr(p, 0, n) != nil { throw .invalid("holds a NUL byte (0x00): the file looks damaged") }
                if !UTF8Check.isValid(p, count: n) { throw .invalid("is not valid UTF-8") }
            }
            if keep { codes.append(strings.code(of: p, count: n)) }
        case .int:
            // Fast path: up to 18 digits, optionally after '-', cannot overflow 64 bits (longer
            // cells, and so every overflow, go to `CellParser`, which refuses it).
            if n > 0, n <= 18 {
                let negative = p[0] == UInt8(ascii: "-")
                let first = negative ? 1 : 0
                if first < n, let v = Self.plainDigits(p + first, n - first) {
                    if keep { store(int: negative ? -v : v) }
                    return
                }
            }
            try slowPath(p, n)
        case .date:
            if let day = Self.plainDate(p, n) {
                if keep {
                    dates.append(day)
                    valid.append(true)
                }
                return
            }
            try slowPath(p, n)
        case .decimal:
            if let v = Self.fastDecimal(p, n) {
                if keep {
                    decimals.append(v)
                    valid.append(true)
                }
                return
            }
            try slowPath(p, n)
        case .bool:
            try slowPath(p, n)
        }
    }

    /// A cell's bytes in the chunk: `start..<end` (quotes outside, no doubled quote inside), as
    /// the batch splitter writes it (`reportd_csv_records`).
    typealias Span = reportd_csv_span

    /// Types a batch of `rows` records column by column (the fast path of
    /// `CSVDatasetReader.parse`; see there): column `c`'s cell of record `r` is `spans[r * step +
    /// positions[c]]`, its bytes valid UTF-8. Returns false when a cell is
    /// refused; the sinks then hold part of the batch (the caller truncates them) but no
    /// interner has seen a value of it: every check that can refuse a cell runs before any string
    /// is interned, so the codes come out as the row-by-row loop gives them when it reads the
    /// batch again.
    static func appendBatch(
        _ sinks: UnsafeMutableBufferPointer<ColumnSink>, base: UnsafePointer<UInt8>,
        spans: UnsafePointer<Span>, positions: [Int], step: Int, rows: Int
    ) -> Bool {
        for c in sinks.indices
        where !sinks[c].typeBatch(base: base, spans: spans + positions[c], step: step, rows: rows) {
            return false
        }
        for c in sinks.indices where sinks[c].spec.type == .string && sinks[c].keep {
            sinks[c].internBatch(base: base, spans: spans + positions[c], step: step, rows: rows)
        }
        return true
    }

    /// Every column but a string one: its cells typed and stored (or only checked when not kept);
    /// a string column has nothing left to check (see the case). A cell with doubled quotes (its
    /// span's `end` negative) in a column other than text is refused: the row-by-row loop reads
    /// it (such a cell is never a plain number or date).
    private mutating func typeBatch(base: UnsafePointer<UInt8>, spans: UnsafePointer<Span>, step: Int, rows: Int) -> Bool {
        switch spec.type {
        case .string:
            // Nothing to check: the batch splitter stops before an empty cell of a required
            // column (`reportd_csv_records`' `nonEmpty`), and the chunk's bytes are valid UTF-8.
            return true
        case .int where keep:
            // Stored through a pointer into room made for the whole batch: `ints.append` checked
            // the array's capacity and uniqueness on every cell.
            let first = ints.count
            Self.grow(&ints, by: rows, with: Self.zeros)
            var nulls: [Int] = []
            let ok = ints.withUnsafeMutableBufferPointer { out -> Bool in
                for i in 0..<rows {
                    let cell = spans[i &* step]
                    if let v = Self.plainInt(base, cell) {
                        out[first &+ i] = v
                        continue
                    }
                    let p = base + cell.start, n = cell.end &- cell.start
                    guard n >= 0 else { return false }
                    switch CellParser.parse(Array(UnsafeBufferPointer(start: p, count: n))[...], as: .int) {
                    case .value(.int(let x)): out[first &+ i] = x
                    case .null where !spec.required:
                        out[first &+ i] = 0
                        nulls.append(i)
                    default: return false
                    }
                }
                return true
            }
            guard ok else { return false }
            let firstFlag = valid.count
            Self.grow(&valid, by: rows, with: Self.trues)
            for i in nulls { valid[firstFlag &+ i] = false }
            return true
        case .int:
            // Checked only: nothing is stored.
            for i in 0..<rows {
                let cell = spans[i &* step]
                if Self.plainInt(base, cell) != nil { continue }
                let p = base + cell.start, n = cell.end &- cell.start
                guard n >= 0 else { return false }
                switch CellParser.parse(Array(UnsafeBufferPointer(start: p, count: n))[...], as: .int) {
                case .value: continue
                case .null where !spec.required: continue
                default: return false
                }
            }
            return true
        default:
            // A date column that is only checked takes its plain cells here; every other cell
            // goes through `append`, which decides.
            let datesChecked = spec.type == .date && !keep
            for i in 0..<rows {
                let cell = spans[i &* step]
                let n = cell.end &- cell.start
                if datesChecked, Self.plainDate(base + cell.start, n) != nil { continue }
                guard n >= 0 else { return false }
                do throws(Problem) {
                    try append(base + cell.start, count: n, utf8Checked: true)
                } catch {
                    return false
                }
            }
            return true
        }
    }

    /// A kept string column's cells of the batch, interned (they were checked by `typeBatch`); a
    /// cell with doubled quotes is interned with each pair collapsed to one quote.
    ///
    /// Fast path (issue 20): a value of at most 16 bytes is looked up first in `recent`, a
    /// direct-mapped cache of the column's values keyed by the value's bytes in two words (see
    /// `shortKey`), and goes to the interner only when the cache does not hold it. Why: a
    /// column's values are mostly a few short words (district, programme, status), and the
    /// interner's lookup (a hash of several dependent multiplies, then the slot, the value's
    /// offsets and its bytes, each a load that waits on the one before) was a tenth of a 10M-row
    /// run's CPU; a cache hit is one multiply and one entry compared. Codes never change once
    /// given, so an entry never goes stale. `internBatchPlain` is the reference of the tests.
    /// A batch's worth of one value, for `grow(_:by:with:)`.
    static let zeros = [Int64](repeating: 0, count: CSVDatasetReader.defaultBatchRows)
    static let trues = [Bool](repeating: true, count: CSVDatasetReader.defaultBatchRows)
    static let minusOnes = [Int32](repeating: -1, count: CSVDatasetReader.defaultBatchRows)

    /// Appends `n` copies of `fill`'s value to `array`: copied from `fill` (a batch's worth) in one
    /// go. Why: `append(contentsOf: repeatElement(x, count: n))` appends element by element
    /// (0.8 % of a 10M-row run's CPU for the batch typing's room).
    @inline(__always)
    static func grow<T>(_ array: inout [T], by n: Int, with fill: [T]) {
        if n <= fill.count {
            array.append(contentsOf: fill[..<n])
        } else {
            array.append(contentsOf: repeatElement(fill[0], count: n))
        }
    }

    mutating func internBatch(base: UnsafePointer<UInt8>, spans: UnsafePointer<Span>, step: Int, rows: Int) {
        let first = codes.count
        Self.grow(&codes, by: rows, with: Self.minusOnes)
        if recent.isEmpty { recent = Array(repeating: RecentValue(first: 0, last: 0, count: 0, code: 0), count: 128) }
        var unescaped: [UInt8] = []
        codes.withUnsafeMutableBufferPointer { out in
            recent.withUnsafeMutableBufferPointer { cache in
                for i in 0..<rows {
                    let cell = spans[i &* step]
                    let start = cell.start, end = cell.end
                    let n = end &- start
                    if n > 0, n <= 16 {
                        let (w0, w1) = Self.shortKey(base + start, n)
                        let slot = Int(truncatingIfNeeded: ((w0 ^ (w1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(n)) &* 0xFF51_AFD7_ED55_8CCD) >> 57)
                        let entry = cache[slot]
                        if entry.first == w0, entry.last == w1, entry.count == Int32(truncatingIfNeeded: n) {
                            out[first &+ i] = entry.code
                            continue
                        }
                        let code = strings.code(of: base + start, count: n)
                        cache[slot] = RecentValue(first: w0, last: w1, count: Int32(truncatingIfNeeded: n), code: code)
                        out[first &+ i] = code
                    } else if n > 0 {
                        out[first &+ i] = strings.code(of: base + start, count: n)
                    } else if end < 0 {
                        out[first &+ i] = Self.collapsingQuotes(base + start, ~end &- start, into: &unescaped) {
                            strings.code(of: $0, count: $1)
                        }
                    }
                }
            }
        }
    }

    /// The reference of `internBatch`: every cell looked up in the interner.
    mutating func internBatchPlain(base: UnsafePointer<UInt8>, spans: UnsafePointer<Span>, step: Int, rows: Int) {
        var unescaped: [UInt8] = []
        for i in 0..<rows {
            let cell = spans[i &* step]
            if cell.end > cell.start {
                codes.append(strings.code(of: base + cell.start, count: cell.end - cell.start))
            } else if cell.end < 0 {
                codes.append(
                    Self.collapsingQuotes(base + cell.start, ~cell.end - cell.start, into: &unescaped) {
                        strings.code(of: $0, count: $1)
                    })
            } else {
                codes.append(-1)
            }
        }
    }

    /// `body` of the `n` bytes at `p` with each doubled quote collapsed to one (in `scratch`).
    private static func collapsingQuotes(
        _ p: UnsafePointer<UInt8>, _ n: Int, into scratch: inout [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> Int32
    ) -> Int32 {
        CSVRecordReader.collapseQuotes(p, n, into: &scratch)
        return scratch.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }

    /// An entry of `recent`: a value's key words and length, and its code.
    struct RecentValue {
        var first: UInt64
        var last: UInt64
        var count: Int32
        var code: Int32
    }

    /// Two words that, with the length, tell every value of 1…16 bytes from every other: from
    /// eight bytes on, the first and the last eight (they overlap below 16); four to seven, the
    /// first and last four in one word; one to three, the first, middle and last byte. Every
    /// load stays inside the value.
    @inline(__always)
    static func shortKey(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
        let raw = UnsafeRawPointer(p)
        if n >= 8 {
            return (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        }
        if n >= 4 {
            return (
                UInt64(raw.loadUnaligned(as: UInt32.self)) << 32
                    | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)), 0
            )
        }
        return (UInt64(p[0]) << 16 | UInt64(p[n >> 1]) << 8 | UInt64(p[n - 1]), 0)
    }

    @inline(__always)
    private mutating func store(int v: Int64) {
        ints.append(v)
        valid.append(true)
    }

    /// Everything the fast paths do not take: spaces around numbers, a '+', huge or malformed
    /// numbers, other date and bool forms, empty cells. `CellParser` decides and words errors.
    private mutating func slowPath(_ p: UnsafePointer<UInt8>, _ n: Int) throws(Problem) {
        switch CellParser.parse(Array(UnsafeBufferPointer(start: p, count: n))[...], as: spec.type) {
        case .value(let v):
            guard keep else { return }
            switch v {
            case .int(let x): store(int: x)
            case .decimal(let x):
                decimals.append(x)
                valid.append(true)
            case .bool(let x):
                bools.append(x)
                valid.append(true)
            case .date(let x):
                dates.append(x.daysSinceEpoch)
                valid.append(true)
            default: appendNull()
            }
        case .null:
            if spec.required { throw .requiredButEmpty }
            if keep { appendNull() }
        case .invalid(let why):
            throw .invalid(why)
        }
    }

    private mutating func appendNull() {
        switch spec.type {
        case .int: ints.append(0)
        case .decimal: decimals.append(0)
        case .bool: bools.append(false)
        case .date: dates.append(0)
        case .string:
            codes.append(-1)
            return
        }
        valid.append(false)
    }

    /// Drops the cells after the first `n` rows (a rejected row's cells already stored).
    mutating func truncate(to n: Int) {
        guard keep else { return }
        if ints.count > n { ints.removeLast(ints.count - n) }
        if decimals.count > n { decimals.removeLast(decimals.count - n) }
        if bools.count > n { bools.removeLast(bools.count - n) }
        if dates.count > n { dates.removeLast(dates.count - n) }
        if codes.count > n { codes.removeLast(codes.count - n) }
        if valid.count > n { valid.removeLast(valid.count - n) }
    }

    /// Appends `part`'s string codes to `codes`, re-coded into `strings`: each distinct value of the
    /// part is looked up once, in code order (so the codes come out as one sequential read gives).
    ///
    /// `scratch` is reused from part to part (its contents are not kept).
    static func appendRecoded(
        _ part: ColumnSink, to strings: inout StringInterner, codes: inout PackedIntsBuilder, scratch: inout [Int64]
    ) {
        var recode = [Int32](repeating: -1, count: part.strings.count)
        for code in 0..<part.strings.count {
            recode[code] = part.strings.bytes(of: code).withUnsafeBufferPointer { b in
                // A value is never empty (an empty cell is null), so the buffer has an address.
                strings.code(of: b.baseAddress!, count: b.count)
            }
        }
        // Room for the codes up to the dictionary's size (widening from 1 to 2 bytes a code at
        // 255 values, to 4 at 65,535), and for -1 (null) when the part has one.
        codes.include(low: part.codes.contains { $0 < 0 } ? Int64(-1) : 0, high: Int64(strings.count) - 1)
        // Fast path (issue 20): the part's codes re-coded into `scratch`, then appended in one
        // call, which switches on the word width once and stores in a loop of its own. Why: one
        // `codes.append` per cell was a call into ReportCore (not inlinable across modules) with
        // that switch and an array uniqueness check each time, 4 % of a 10M-row run's CPU, on
        // the lock that joins the blocks. The range was included just above, so the bulk append
        // widens nothing and the words come out as the per-cell appends gave them.
        // Written straight into fresh room: zeroing it first with `append(contentsOf:
        // repeatElement(0, count:))`, an element-by-element loop, was 1.3 % of a 10M-row run's
        // CPU, on that lock.
        scratch = recode.withUnsafeBufferPointer { map in
            part.codes.withUnsafeBufferPointer { source in
                [Int64](unsafeUninitializedCapacity: source.count) { out, initialized in
                    for i in source.indices {
                        let c = source[i]
                        out[i] = c < 0 ? -1 : Int64(map[Int(c)])
                    }
                    initialized = source.count
                }
            }
        }
        codes.append(contentsOf: scratch, valid: nil)
    }

    /// The plain re-coding the fast path of `appendRecoded` replaced: one append per cell (the
    /// reference of the tests).
    static func appendRecodedPlain(_ part: ColumnSink, to strings: inout StringInterner, codes: inout PackedIntsBuilder) {
        var recode = [Int32](repeating: -1, count: part.strings.count)
        for code in 0..<part.strings.count {
            recode[code] = part.strings.bytes(of: code).withUnsafeBufferPointer { b in
                strings.code(of: b.baseAddress!, count: b.count)
            }
        }
        codes.include(low: part.codes.contains { $0 < 0 } ? Int64(-1) : 0, high: Int64(strings.count) - 1)
        for c in part.codes { codes.append(c < 0 ? -1 : Int64(recode[Int(c)])) }
    }

    /// The column of `parts` (one sink per chunk of the file, in file order), joined: one copy
    /// of each array, strings re-coded into one dictionary (as `Joiner` gives it).
    static func join(_ parts: [ColumnSink]) -> Column {
        var joiner = Joiner(spec: parts[0].spec, capacity: parts.reduce(0) { $0 + $1.count })
        for part in parts { joiner.append(part) }
        return joiner.finish()
    }

    /// A column joined chunk by chunk in file order as the chunks are typed (`CSVStream`), so that
    /// a chunk's cells are copied once into the column and its arrays freed at once: the memory
    /// they took is reused by the next chunks instead of every chunk's arrays being held until the
    /// end and copied then (twice the columns' size at the peak, and fresh pages to touch). A
    /// string part's codes are re-coded in code order into a dictionary that starts empty, which
    /// numbers the first part's values as that part did.
    ///
    /// Ints and string codes are stored packed (`PackedIntsBuilder`: 1, 2 or 4 bytes a cell while
    /// the values fit, widened when a part brings one that does not), and validity flags only
    /// from the first part with a null cell (none for a column without one).
    struct Joiner {
        let spec: ColumnSpec
        private let capacity: Int
        private var ints: PackedIntsBuilder
        private var decimals: [Double] = []
        private var bools: [Bool] = []
        private var dates: [Int32] = []
        private var codes: PackedIntsBuilder
        /// Empty until a null cell is met, then one flag per row.
        private var valid: [Bool] = []
        private var anyNull = false
        private var rows = 0
        private var strings = StringInterner()
        /// The re-coded codes of the part being appended (`appendRecoded`), reused.
        private var scratch: [Int64] = []

        init(spec: ColumnSpec, capacity: Int) {
            self.spec = spec
            self.capacity = capacity
            ints = PackedIntsBuilder(capacity: spec.type == .int ? capacity : 0)
            codes = PackedIntsBuilder(capacity: spec.type == .string ? capacity : 0)
            switch spec.type {
            case .decimal: decimals.reserveCapacity(capacity)
            case .bool: bools.reserveCapacity(capacity)
            case .date: dates.reserveCapacity(capacity)
            case .int, .string: break
            }
        }

        /// Appends the next part's cells.
        mutating func append(_ part: ColumnSink) {
            switch spec.type {
            case .int: ints.append(contentsOf: part.ints, valid: part.valid.contains(false) ? part.valid : nil)
            case .decimal: decimals.append(contentsOf: part.decimals)
            case .bool: bools.append(contentsOf: part.bools)
            case .date: dates.append(contentsOf: part.dates)
            case .string: ColumnSink.appendRecoded(part, to: &strings, codes: &codes, scratch: &scratch)
            }
            guard spec.type != .string else { return }
            if !anyNull, part.valid.contains(false) {
                anyNull = true
                valid.reserveCapacity(max(capacity, rows + part.valid.count))
                valid.append(contentsOf: repeatElement(true, count: rows))
            }
            if anyNull { valid.append(contentsOf: part.valid) }
            rows += part.valid.count
        }

        /// The column (strings in NFC, as `join` gives them).
        mutating func finish() -> Column {
            let flags = anyNull ? valid : []
            switch spec.type {
            case .int: return Column(spec: spec, storage: .int(ints.finish()), valid: flags)
            case .decimal: return Column(spec: spec, storage: .decimal(decimals), valid: flags)
            case .bool: return Column(spec: spec, storage: .bool(bools), valid: flags)
            case .date: return Column(spec: spec, storage: .date(dates), valid: flags)
            case .string:
                // Text is NFC from here on: a value spelled in two forms becomes one code.
                let (dictionary, recode) = strings.normalizedStrings()
                if let recode {
                    recode.withUnsafeBufferPointer { map in
                        codes.remap { $0 < 0 ? -1 : Int64(map[Int($0)]) }
                    }
                }
                return Column(spec: spec, storage: .string(codes: codes.finish(), dictionary: dictionary), valid: [])
            }
        }
    }

    /// The value of `m` (1…18) ASCII digits, or nil when a byte is not a digit.
    ///
    /// Fast path (issue 20): eight digits are checked and combined at once in a 64-bit word (SWAR:
    /// three multiplies instead of eight dependent multiply-adds), the last `m % 8` through a word
    /// that ends at the cell's end with the bytes already read set to '0'. Why: the amounts of
    /// a dataset are 8–12 digits, and the digit-by-digit loop was a chain of one multiply per
    /// digit. Every load stays inside the cell (`m ≥ 8` for a word). `plainDigitsReference` is the
    /// plain loop the tests compare it with.
    @inline(__always)
    static func plainDigits(_ q: UnsafePointer<UInt8>, _ m: Int) -> Int64? {
        guard m >= 8 else { return plainDigitsReference(q, m) }
        let raw = UnsafeRawPointer(q)
        guard var v = eightDigits(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))) else { return nil }
        var done = 8
        if m >= 16 {
            guard let next = eightDigits(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            else { return nil }
            v = v &* 100_000_000 &+ next
            done = 16
        }
        let rest = m - done
        if rest > 0 {
            // The word of the last eight bytes; its first `8 - rest` are digits already read.
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: m - 8, as: UInt64.self))
            let read: UInt64 = (1 << UInt64((8 - rest) * 8)) - 1
            guard let tail = eightDigits((w & ~read) | (0x3030_3030_3030_3030 & read)) else { return nil }
            v = v &* powersOfTen[rest] &+ tail
        }
        return v
    }

    /// The value of a batch's cell (`base + cell`) in the plain form `-?digits` (at most 18), or nil
    /// (a cell with doubled quotes, whose `end` is negative, included): the rest goes to
    /// `CellParser`.
    @inline(__always)
    static func plainInt(_ base: UnsafePointer<UInt8>, _ cell: Span) -> Int64? {
        let p = base + cell.start, n = cell.end &- cell.start
        guard n > 0, n <= 18 else { return nil }
        let negative = p[0] == UInt8(ascii: "-")
        let from = negative ? 1 : 0
        guard from < n, let v = batchDigits(p + from, n - from, readsBefore: cell.end >= 8) else { return nil }
        return negative ? -v : v
    }

    /// `plainDigits` for a cell of a batch: below eight digits, when the eight bytes that end at
    /// the cell's end are in the buffer (`readsBefore`), as one word whose bytes before the cell
    /// are taken as '0'.
    ///
    /// Fast path (issue 20, fifth round): the digit loop of short cells (a year, a count of
    /// products or jobs) exits after a number of turns that changes from cell to cell, a
    /// mispredicted branch each; one word and the eight-digit check have no such branch. The
    /// bytes before the cell are read, never used.
    @inline(__always)
    static func batchDigits(_ q: UnsafePointer<UInt8>, _ m: Int, readsBefore: Bool) -> Int64? {
        guard m < 8, readsBefore else { return plainDigits(q, m) }
        let w = UInt64(littleEndian: UnsafeRawPointer(q + m - 8).loadUnaligned(as: UInt64.self))
        let before: UInt64 = (1 << UInt64((8 - m) * 8)) - 1
        return eightDigits((w & ~before) | (0x3030_3030_3030_3030 & before))
    }

    private static let powersOfTen: [Int64] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// The value of eight ASCII digits in a little-endian word (the first digit in the lowest
    /// byte), or nil when a byte is not '0'…'9'.
    @inline(__always)
    static func eightDigits(_ w: UInt64) -> Int64? {
        // Every byte 0x30…0x3F, and still 0x3_ after adding 6 (so at most 0x39). The first test
        // keeps the addition from carrying between bytes.
        guard w & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
            (w &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
        else { return nil }
        var x = w & 0x0F0F_0F0F_0F0F_0F0F
        x = (x &* 10 &+ (x >> 8)) & 0x00FF_00FF_00FF_00FF  // pairs: 10 × first + second
        x = (x &* 100 &+ (x >> 16)) & 0x0000_FFFF_0000_FFFF  // fours
        x = (x &* 10_000 &+ (x >> 32)) & 0xFFFF_FFFF  // eight
        return Int64(x)
    }

    /// The plain digit loop the fast path replaced (the reference of the tests, and the fast
    /// path's own loop for cells under eight bytes).
    @inline(__always)
    static func plainDigitsReference(_ q: UnsafePointer<UInt8>, _ m: Int) -> Int64? {
        var v: Int64 = 0
        for i in 0..<m {
            let d = q[i] &- 48
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
        }
        return v
    }

    /// The day number of a `YYYY-MM-DD` cell that names a day, or nil (any other form goes to
    /// `CellParser`, which decides).
    ///
    /// Fast path (issue 20, fifth round): the first eight bytes are checked and read as one word
    /// (the dashes checked, then taken as '0': `YYYY0MM0` as eight digits) and the day as a
    /// two-byte word, instead of three digit loops. Why: a date column that is only checked was
    /// a third of the batch typing's samples in a 10M-row run. `plainDateReference` is the
    /// plain form, the tests' reference.
    @inline(__always)
    static func plainDate(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard n == 10 else { return nil }
        let raw = UnsafeRawPointer(p)
        let w = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        // Bytes 4 and 7 (the dashes) are the word's bits 32-39 and 56-63.
        let dashes: UInt64 = 0xFF00_00FF_0000_0000
        guard w & dashes == 0x2D00_002D_0000_0000,
            let v = eightDigits((w & ~dashes) | 0x3000_0030_0000_0000)
        else { return nil }
        let t = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        guard t & 0xF0F0 == 0x3030, (t &+ 0x0606) & 0xF0F0 == 0x3030 else { return nil }
        let d = Int(t & 0x0F) * 10 + Int((t >> 8) & 0x0F)
        // v = year × 10,000 + month × 10.
        let year = Int(v / 10_000)
        let month = Int(v % 10_000) / 10
        return Self.dayNumber(year: year, month: month, day: d)
    }

    /// The plain reading of `plainDate` (the tests' reference).
    static func plainDateReference(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard n == 10, p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"),
            let y = Self.digits(p, 4), let m = Self.digits(p + 5, 2), let d = Self.digits(p + 8, 2)
        else { return nil }
        return Self.dayNumber(year: y, month: m, day: d)
    }

    @inline(__always)
    private static func digits(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var v = 0
        for i in 0..<n {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// `Day(year:month:day:)?.daysSinceEpoch`: nil for a date that does not exist.
    ///
    /// Fast path (issue 20): in 1901–2099 every fourth year is a leap year and no other, so the
    /// day number is a few adds and shifts, inlined here; other years go to `Day`. Why: `Day`'s
    /// general form (400-year eras, signed divisions, a call into ReportCore per cell) was 1.7 %
    /// of a 10M-row run's CPU for one date column. `dayNumberReference` is what the tests compare.
    @inline(__always)
    static func dayNumber(year y: Int, month m: Int, day d: Int) -> Int32? {
        guard y >= 1901, y <= 2099, m >= 1, m <= 12, d >= 1 else { return dayNumberReference(year: y, month: m, day: d) }
        // 31 days in months 1, 3, 5, 7, 8, 10, 12; 30 in 4, 6, 9, 11; February apart.
        let length = m == 2 ? (y & 3 == 0 ? 29 : 28) : 30 + ((m + (m >> 3)) & 1)
        guard d <= length else { return nil }
        // Years from March (so that a leap day ends its year): days from 1970-03-01 (day 59) to
        // the first of March of `march`, plus the day of that year.
        let march = m > 2 ? y : y - 1
        let shifted = m > 2 ? m - 3 : m + 9
        let dayOfYear = (153 * shifted + 2) / 5 + d - 1
        // Leap days between: the years 1971…march that are multiples of 4 (1900 is not one and
        // never counted: `march` >= 1900).
        return Int32(59 + 365 * (march - 1970) + (march >> 2) - 492 + dayOfYear)
    }

    static func dayNumberReference(year y: Int, month m: Int, day d: Int) -> Int32? {
        Day(year: y, month: m, day: d)?.daysSinceEpoch
    }

    /// Powers of ten that a Double holds exactly.
    private static let exactPowers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

    /// `-?digits(.digits)?` with at most 15 significant digits and 22 decimals: the mantissa and the
    /// power of ten are both exact doubles, so one division is correctly rounded (Clinger's fast
    /// path) and gives the same double as `Double(String)`. Anything else returns nil.
    @inline(__always)
    static func fastDecimal(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        guard n > 0, n <= 24, p[n - 1] &- 48 < 10 else { return nil }
        var i = 0
        let negative = p[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n, p[i] &- 48 < 10 else { return nil }
        var mantissa: Int64 = 0
        var digitCount = 0
        var fraction = 0
        var seenPoint = false
        var anyDigit = false
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else if c &- 48 < 10 {
                anyDigit = true
                if mantissa != 0 || c != 48 { digitCount += 1 }
                mantissa = mantissa &* 10 &+ Int64(c &- 48)
                if seenPoint { fraction += 1 }
            } else {
                return nil
            }
            i += 1
        }
        guard anyDigit, digitCount <= 15, fraction <= 22 else { return nil }
        let value = Double(mantissa) / exactPowers[fraction]
        return negative ? -value : value
    }
}
