/// One column of a loaded dataset, held as a typed array (never as strings per row).
///
/// Strings are dictionary-encoded: each distinct value is stored once and rows hold a 32-bit code,
/// so that grouping by district or programme compares integers, not strings.
public struct Column: Sendable {
    public enum Storage: Sendable {
        case int([Int64])
        case decimal([Double])
        case bool([Bool])
        case date([Int32])
        /// `codes[i]` indexes `dictionary`; `-1` is null.
        case string(codes: [Int32], dictionary: [String])
    }

    public let spec: ColumnSpec
    public let storage: Storage
    /// `valid[i]` is false where row `i` is null. Unused for strings (their code is `-1`).
    public let valid: [Bool]

    public init(spec: ColumnSpec, storage: Storage, valid: [Bool]) {
        self.spec = spec
        self.storage = storage
        self.valid = valid
    }

    public var name: String { spec.name }
    public var type: ColumnType { spec.type }

    public var count: Int {
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
        case .int: return Column(spec: spec, storage: .int(ints), valid: valid)
        case .decimal: return Column(spec: spec, storage: .decimal(decimals), valid: valid)
        case .bool: return Column(spec: spec, storage: .bool(bools), valid: valid)
        case .date: return Column(spec: spec, storage: .date(dates), valid: valid)
        case .string: return Column(spec: spec, storage: .string(codes: codes, dictionary: dictionary), valid: [])
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
