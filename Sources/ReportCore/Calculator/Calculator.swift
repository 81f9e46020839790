/// Computes one metric over the groups of a report.
///
/// Contract: a calculator is a value with no mutable state. It may be called concurrently for
/// different reports, and must not log or perform I/O; it reports problems by throwing
/// `CalculatorError`. Null cells are skipped by every calculator except `count`. Undefined results
/// (a ratio over zero) are `Value.null`, never NaN or Infinity.
///
/// A calculator sees every group of the report at once (`CalculatorInput.groups`), so that
/// calculators such as `share` and `growth` can relate a group to the others; per-group calculators
/// use `CalculatorInput.mapGroups(_:)`.
public protocol Calculator: Sendable {
    /// Its name in reports (`calc:`), its parameters and what it computes.
    var descriptor: CalculatorDescriptor { get }

    /// Checks what the generic parameter checks cannot (e.g. that `period` is a group column) and
    /// gives the type of the result.
    /// - Throws: `CalculatorError`, naming the parameter at fault when there is one.
    func resultType(for context: MetricContext) throws(CalculatorError) -> ColumnType

    /// One result per group, in the order of `input.groups`.
    /// - Throws: `CalculatorError` when the result cannot be computed (an integer overflow).
    func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value]

    /// One result per group and the result over `all` rows (the totals row), at once. The default
    /// computes twice; an external plugin that speaks protocol 2 answers both from one request.
    func computeWithTotal(_ input: CalculatorInput, all: [Int]) throws(CalculatorError) -> (values: [Value], total: Value)
}

extension Calculator {
    public func computeWithTotal(_ input: CalculatorInput, all: [Int]) throws(CalculatorError) -> (
        values: [Value], total: Value
    ) {
        let values = try compute(input)
        let everything = CalculatorInput(
            table: input.table, groups: [all], groupKeys: [[]], groupBy: [], parameters: input.parameters)
        return (values, try compute(everything).first ?? .null)
    }
}

/// What a calculator takes and does, for validation, `reportd calculators` and the JSON Schema.
public struct CalculatorDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ParameterSpec]
    /// The module or external plugin that provides it.
    public var provider: String

    public init(name: String, summary: String, parameters: [ParameterSpec], provider: String) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.provider = provider
    }
}

/// One parameter of a calculator.
public struct ParameterSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A dataset column of one of these types.
        case column([ColumnType])
        /// A number within a range.
        case number(ClosedRange<Double>)
        case string
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var summary: String

    public init(name: String, kind: Kind, required: Bool = true, summary: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }

    /// The column types a numeric calculator accepts.
    public static let numeric: [ColumnType] = [.int, .decimal]

    /// How `reportd calculators` shows the kind.
    public var kindDescription: String {
        switch kind {
        case .column(let types):
            return types.count == ColumnType.allCases.count
                ? "column" : "column (\(types.map(\.rawValue).joined(separator: ", ")))"
        case .number(let r): return "number \(Value.plainDecimal(r.lowerBound))–\(Value.plainDecimal(r.upperBound))"
        case .string: return "string"
        }
    }
}

/// A parameter value as written in YAML.
public enum ParameterValue: Sendable, Hashable {
    case string(String)
    case number(Double)
}

/// The parameters of one metric, by name.
public struct MetricParameters: Sendable, Hashable {
    public var values: [String: ParameterValue]

    public init(_ values: [String: ParameterValue] = [:]) { self.values = values }

    /// The parameter as a column name (or any string).
    public func string(_ name: String) -> String? {
        if case .string(let s) = values[name] { return s }
        return nil
    }

    public func number(_ name: String) -> Double? {
        if case .number(let n) = values[name] { return n }
        return nil
    }
}

/// What a calculator needs to check a metric against its report.
public struct MetricContext: Sendable {
    public var parameters: MetricParameters
    public var schema: DatasetSchema
    public var groupBy: [String]

    public init(parameters: MetricParameters, schema: DatasetSchema, groupBy: [String]) {
        self.parameters = parameters
        self.schema = schema
        self.groupBy = groupBy
    }

    /// The type of the column a parameter names (already checked to exist).
    public func columnType(_ parameter: String) -> ColumnType? {
        parameters.string(parameter).flatMap { schema.column(named: $0)?.type }
    }
}

/// The data a calculator computes over: the filtered rows of a dataset, split into groups.
public struct CalculatorInput: Sendable {
    public var table: Table
    /// Row indices of each group, in output order before sorting.
    public var groups: [[Int]]
    /// The group-by values of each group (`groupKeys[g][k]` is the value of `groupBy[k]`).
    public var groupKeys: [[Value]]
    public var groupBy: [String]
    public var parameters: MetricParameters

    public init(table: Table, groups: [[Int]], groupKeys: [[Value]], groupBy: [String], parameters: MetricParameters) {
        self.table = table
        self.groups = groups
        self.groupKeys = groupKeys
        self.groupBy = groupBy
        self.parameters = parameters
    }

    /// The column a parameter names; validation guarantees it exists.
    public func column(_ parameter: String) throws(CalculatorError) -> Column {
        guard let name = parameters.string(parameter), let column = table.column(name) else {
            throw CalculatorError("parameter '\(parameter)' names no column of the dataset", parameter: parameter)
        }
        return column
    }

    /// Applies `body` to each group's rows.
    public func mapGroups(_ body: ([Int]) throws(CalculatorError) -> Value) throws(CalculatorError) -> [Value] {
        var out: [Value] = []
        out.reserveCapacity(groups.count)
        for rows in groups { out.append(try body(rows)) }
        return out
    }
}

/// Why a metric cannot be checked or computed.
public struct CalculatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The parameter at fault, so that a config error can point at its YAML node.
    public var parameter: String?
    /// Whether computing again may succeed (a plugin's process that timed out or died), unlike a
    /// built-in calculator's failure on the data, which repeats.
    public var transient: Bool

    public init(_ message: String, parameter: String? = nil, transient: Bool = false) {
        self.message = message
        self.parameter = parameter
        self.transient = transient
    }

    public var description: String { message }
}
