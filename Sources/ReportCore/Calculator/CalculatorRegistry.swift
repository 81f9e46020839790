/// The calculators a report may use, by name: the built-in modules and, later, external plugins.
public struct CalculatorRegistry: Sendable {
    public private(set) var calculators: [String: any Calculator] = [:]

    public init(_ calculators: [any Calculator] = []) {
        for c in calculators { register(c) }
    }

    /// Adds a calculator; a later one with the same name replaces the earlier.
    public mutating func register(_ calculator: any Calculator) {
        calculators[calculator.descriptor.name] = calculator
    }

    public subscript(name: String) -> (any Calculator)? { calculators[name] }

    /// Every calculator's descriptor, by name.
    public var descriptors: [CalculatorDescriptor] {
        calculators.values.map(\.descriptor).sorted { $0.name < $1.name }
    }

    /// Checks one metric's parameters against its calculator and the dataset, and gives its result type.
    ///
    /// Problems name the parameter at fault (`CalculatorError.parameter`) so that a config loader can
    /// point at its YAML node. Every problem is returned, not only the first.
    public func check(_ metric: MetricDefinition, schema: DatasetSchema, groupBy: [String]) -> Result<
        ColumnType, CalculatorErrors
    > {
        guard let calculator = self[metric.calc] else {
            return .failure(
                CalculatorErrors(errors: [CalculatorError(unknownCalculatorMessage(metric.calc), parameter: "calc")]))
        }
        let specs = calculator.descriptor.parameters
        var errors: [CalculatorError] = []
        var suggested: Set<String> = []
        for key in metric.parameters.values.keys.sorted() where !specs.contains(where: { $0.name == key }) {
            var message = "calculator '\(metric.calc)' has no parameter '\(key)'"
            if let guess = closestMatch(to: key, among: specs.map(\.name)) {
                suggested.insert(guess)
                message += " (did you mean '\(guess)'?)"
            } else if specs.isEmpty {
                message += " (it takes none)"
            } else {
                message += " (it takes \(specs.map { "'\($0.name)'" }.joined(separator: ", ")))"
            }
            errors.append(CalculatorError(message, parameter: key))
        }
        for spec in specs {
            guard let value = metric.parameters.values[spec.name] else {
                // A misspelt parameter was reported with its correction already.
                if spec.required && !suggested.contains(spec.name) {
                    errors.append(
                        CalculatorError("calculator '\(metric.calc)' needs parameter '\(spec.name)': \(spec.summary)"))
                }
                continue
            }
            switch (spec.kind, value) {
            case (.column(let types), .string(let name)):
                guard let column = schema.column(named: name) else {
                    var message = "unknown column '\(name)' in parameter '\(spec.name)'"
                    if let guess = closestMatch(to: name, among: schema.columnNames) {
                        message += " (did you mean '\(guess)'?)"
                    } else {
                        message += " (the dataset's columns are \(schema.columnNames.joined(separator: ", ")))"
                    }
                    errors.append(CalculatorError(message, parameter: spec.name))
                    continue
                }
                if !types.contains(column.type) {
                    errors.append(
                        CalculatorError(
                            "calculator '\(metric.calc)' needs a \(types.map(\.rawValue).joined(separator: " or ")) column in '\(spec.name)', but '\(name)' is \(column.type)",
                            parameter: spec.name))
                }
            case (.column, .number(let n)):
                errors.append(
                    CalculatorError(
                        "parameter '\(spec.name)' must name a column, not the number \(Value.plainDecimal(n))",
                        parameter: spec.name))
            case (.number(let range), .number(let n)):
                if !range.contains(n) {
                    errors.append(
                        CalculatorError(
                            "parameter '\(spec.name)' must be between \(Value.plainDecimal(range.lowerBound)) and \(Value.plainDecimal(range.upperBound)), not \(Value.plainDecimal(n))",
                            parameter: spec.name))
                }
            case (.number, .string(let s)):
                errors.append(
                    CalculatorError("parameter '\(spec.name)' must be a number, not '\(s)'", parameter: spec.name))
            case (.string, .string):
                break
            case (.string, .number(let n)):
                errors.append(
                    CalculatorError(
                        "parameter '\(spec.name)' must be a string, not \(Value.plainDecimal(n))", parameter: spec.name)
                )
            }
        }
        guard errors.isEmpty else { return .failure(CalculatorErrors(errors: errors)) }
        do {
            return .success(
                try calculator.resultType(
                    for: MetricContext(parameters: metric.parameters, schema: schema, groupBy: groupBy)))
        } catch {
            return .failure(CalculatorErrors(errors: [error]))
        }
    }
}

extension CalculatorRegistry {
    /// Other names for built-in calculators, as spreadsheets and SQL spell them: a did-you-mean
    /// that spelling distance cannot find (`average` is far from `mean`).
    static let synonyms: [String: String] = [
        "average": "mean", "avg": "mean", "total": "sum", "quantile": "percentile", "std": "stddev",
        "stdev": "stddev", "distinct": "count_distinct", "minimum": "min", "maximum": "max",
    ]

    /// `unknown calculator 'NAME'`, with the likely one meant, or else every calculator there is.
    func unknownCalculatorMessage(_ name: String) -> String {
        var message = "unknown calculator '\(name)'"
        if let meant = Self.synonyms[name.lowercased()], self[meant] != nil {
            message += " (did you mean '\(meant)'?)"
        } else if let guess = closestMatch(to: name, among: calculators.keys) {
            message += " (did you mean '\(guess)'?)"
        } else {
            message += " (the calculators are \(calculators.keys.sorted().joined(separator: ", ")))"
        }
        return message
    }
}

/// Every problem found in one metric.
public struct CalculatorErrors: Error, Sendable {
    public var errors: [CalculatorError]
}
