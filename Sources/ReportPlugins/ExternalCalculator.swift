import Foundation
import ReportFiles
import Logging
public import ReportCore

/// A calculator provided by an external plugin: each `compute` starts the plugin, shakes hands,
/// sends the groups' columns and reads one value per group (PLUGINS.md).
///
/// Unlike built-in calculators it performs I/O and logs the plugin's standard error; the
/// scheduler runs reports off the cooperative thread pool, so the blocking I/O is harmless.
public struct ExternalCalculator: Calculator {
    public let plugin: String
    public let path: String
    public let descriptor: CalculatorDescriptor
    let result: ColumnType
    /// The protocol version the plugin answered its hello with at load (1 or 2).
    let protocolVersion: Int
    let settings: PluginSettings
    let logger: Logger

    init(
        plugin: String, path: String, declaration: PluginMessages.Declaration, version: String?,
        protocolVersion: Int = 1, settings: PluginSettings,
        logger: Logger
    ) throws(PluginError) {
        guard !declaration.name.isEmpty,
            declaration.name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        else {
            throw PluginError(
                plugin: plugin, what: "declared a calculator named '\(declaration.name)': names are [a-z0-9_]+")
        }
        guard let result = ColumnType(rawValue: declaration.result) else {
            throw PluginError(
                plugin: plugin,
                what:
                    "declared result type '\(declaration.result)' for '\(declaration.name)' (use int, decimal, string, bool or date)"
            )
        }
        var parameters: [ParameterSpec] = []
        for p in declaration.parameters ?? [] {
            let kind: ParameterSpec.Kind
            switch p.kind {
            case "column":
                var types: [ColumnType] = []
                for t in p.types ?? ColumnType.allCases.map(\.rawValue) {
                    guard let type = ColumnType(rawValue: t) else {
                        throw PluginError(
                            plugin: plugin,
                            what: "declared column type '\(t)' for parameter '\(p.name)' of '\(declaration.name)'")
                    }
                    types.append(type)
                }
                kind = .column(types)
            case "number":
                kind = .number((p.min ?? -Double.greatestFiniteMagnitude)...(p.max ?? Double.greatestFiniteMagnitude))
            case "string": kind = .string
            default:
                throw PluginError(
                    plugin: plugin,
                    what: "declared parameter kind '\(p.kind)' for '\(p.name)' (use column, number or string)")
            }
            parameters.append(
                ParameterSpec(name: p.name, kind: kind, required: p.required ?? true, summary: p.summary ?? ""))
        }
        self.plugin = plugin
        self.path = path
        self.result = result
        self.protocolVersion = protocolVersion
        self.settings = settings
        self.logger = logger
        let provider = "plugin \(plugin)" + (version.map { " \($0)" } ?? "")
        descriptor = CalculatorDescriptor(
            name: declaration.name, summary: declaration.summary ?? "", parameters: parameters, provider: provider)
    }

    public func resultType(for context: MetricContext) -> ColumnType { result }

    public func compute(_ input: CalculatorInput) throws(CalculatorError) -> [Value] {
        do {
            return try exchange(input, totals: false)
        } catch {
            throw CalculatorError(error.description, transient: true)
        }
    }

    /// A plugin that speaks protocol 2 computes the groups and the totals row from one request
    /// (the totals row is over every row of every group); protocol 1 needs two.
    public func computeWithTotal(_ input: CalculatorInput, all: [Int]) throws(CalculatorError) -> (
        values: [Value], total: Value
    ) {
        guard protocolVersion >= 2, input.groups.reduce(0, { $0 + $1.count }) == all.count else {
            let values = try compute(input)
            let everything = CalculatorInput(
                table: input.table, groups: [all], groupKeys: [[]], groupBy: [], parameters: input.parameters)
            return (values, try compute(everything).first ?? .null)
        }
        do {
            let values = try exchange(input, totals: true)
            return (Array(values.dropLast()), values.last ?? .null)
        } catch {
            throw CalculatorError(error.description, transient: true)
        }
    }

    /// One value per group, and one more for all rows when `totals` (protocol 2 only).
    private func exchange(_ input: CalculatorInput, totals: Bool) throws(PluginError) -> [Value] {
        let process = try PluginProcess(
            name: plugin, path: path, directory: settings.directory, timeout: settings.timeout,
            memoryMiB: settings.memoryMiB,
            logger: logger)
        defer { process.finish() }
        let hello = try process.exchange(PluginMessages.hello)
        guard let reply = try? JSONDecoder().decode(PluginMessages.Hello.self, from: Data(hello)),
            reply.type == "hello",
            case .number(let version) = reply.protocol, ExternalPlugin.protocolVersions.contains(version)
        else {
            throw PluginError(plugin: plugin, what: "answered garbage to the hello: \(PluginMessages.excerpt(hello))")
        }
        guard version >= 2 || !totals else {
            throw PluginError(plugin: plugin, what: "answered its hello with protocol \(version) (it said \(protocolVersion) at load)")
        }
        let line = try process.exchange(request(input, totals: totals, version: version))
        guard let answer = try? JSONDecoder().decode(PluginMessages.Answer.self, from: Data(line)) else {
            throw PluginError(
                plugin: plugin, what: "answered garbage: \(PluginMessages.excerpt(line)) is not a result message")
        }
        if answer.type == "error" {
            // Escaped (a newline must not forge a log line) and bounded: the message is stored in the
            // run history and shown by `status`.
            let message = answer.message.map { PluginText.escape($0, limit: PluginText.maxMessage) } ?? "(no message)"
            throw PluginError(plugin: plugin, what: "reported an error: \(message)")
        }
        guard answer.type == "result", answer.id == 1, let cells = answer.values else {
            throw PluginError(
                plugin: plugin,
                what: "answered garbage: expected a result for request 1, got \(PluginMessages.excerpt(line))")
        }
        let expected = input.groups.count + (totals ? 1 : 0)
        guard cells.count == expected else {
            throw PluginError(
                plugin: plugin,
                what:
                    "answered garbage: \(cells.count) values for \(input.groups.count) groups\(totals ? " and the totals row" : "")"
            )
        }
        var values: [Value] = []
        values.reserveCapacity(cells.count)
        for (i, cell) in cells.enumerated() {
            switch cell.value(as: result) {
            case .success(let v):
                if case .decimal(let d) = v {
                    // As the built-in calculators' results: never NaN or Infinity, 15 digits.
                    values.append(Value.finite(d))
                } else {
                    values.append(v)
                }
            case .failure(let why):
                let message = PluginMessages.shapeProblem(line, index: i).map { "\($0) is not \(result == .int ? "an" : "a") \(result)" } ?? why.message
                throw PluginError(
                    plugin: plugin, what: "answered garbage: value \(i + 1): \(message) (it declared \(result))")
            }
        }
        return values
    }

    /// The compute request, written straight into bytes: a million rows must not become a million
    /// JSON objects, nor a million intermediate Strings.
    ///
    /// Protocol 2: `"totals": true` asks for one more value, over all rows; a group gives its
    /// `count` of rows instead of their indices (its rows are the next `count` values of each
    /// column, in order).
    func request(_ input: CalculatorInput, totals: Bool = false, version: Int = 1) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        let rowCount = input.groups.reduce(0) { $0 + $1.count }
        put(
            "{\"type\": \"compute\", \"id\": 1, \"calculator\": \(JSONText.string(descriptor.name)), \"parameters\": {"
        )
        put(
            input.parameters.values.sorted { $0.key < $1.key }.map { key, value in
                switch value {
                case .string(let s): return "\(JSONText.string(key)): \(JSONText.string(s))"
                case .number(let n): return "\(JSONText.string(key)): \(Value.plainDecimal(n))"
                }
            }.joined(separator: ", "))
        put("}, \"rows\": \(rowCount), \"columns\": {")
        let columnNames = descriptor.parameters.compactMap { spec -> String? in
            guard case .column = spec.kind else { return nil }
            return input.parameters.string(spec.name)
        }
        var first = true
        for name in Set(columnNames).sorted() {
            guard let column = input.table.column(name) else { continue }
            if !first { put(", ") }
            first = false
            put("\(JSONText.string(name)): {\"type\": \"\(column.type.rawValue)\", \"values\": [")
            var firstValue = true
            for rows in input.groups {
                for r in rows {
                    if !firstValue { out.append(44) }
                    firstValue = false
                    put(JSONText.value(column.value(at: r)))
                }
            }
            put("]}")
        }
        put("}, \"groups\": [")
        var position = 0
        for (g, rows) in input.groups.enumerated() {
            if g > 0 { put(", ") }
            let key = zip(input.groupBy, input.groupKeys[g]).map { "\(JSONText.string($0)): \(JSONText.value($1))" }
            if version >= 2 {
                put("{\"key\": {\(key.joined(separator: ", "))}, \"count\": \(rows.count)}")
                continue
            }
            put("{\"key\": {\(key.joined(separator: ", "))}, \"rows\": [")
            for i in 0..<rows.count {
                if i > 0 { out.append(44) }
                put(String(position + i))
            }
            position += rows.count
            put("]}")
        }
        put("]")
        if version >= 2 { put(", \"totals\": \(totals)") }
        put("}\n")
        return out
    }
}
