import Foundation
import ReportCore
import Yams

/// A YAML file composed into Yams nodes (each with its line and column), plus the diagnostics
/// gathered while reading it.
///
/// Decoding walks the node tree by hand instead of `YAMLDecoder`: that keeps every node's `Mark`, so
/// each problem (unknown key, wrong type, bad value) points at the exact line and column, and all
/// problems are collected instead of stopping at the first.
struct YAMLFile {
    let path: String
    let displayPath: String
    private(set) var root: Node?
    var diagnostics: [Diagnostic] = []

    /// Reads and composes `path`; syntax and I/O problems become diagnostics.
    init(path: String) {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let text = String(data: data, encoding: .utf8) else {
                self.init(path: path, failure: "the file is not valid UTF-8")
                return
            }
            self.init(path: path, text: text)
        } catch {
            self.init(path: path, failure: "cannot read the file: \(FileProblem.describe(error))")
        }
    }

    private init(path: String, failure: String) {
        self.path = path
        self.displayPath = DisplayPath.of(path)
        self.error(failure, line: 0, column: 0)
    }

    /// Composes YAML text that was read already.
    init(path: String, text: String) {
        self.path = path
        self.displayPath = DisplayPath.of(path)
        do {
            root = try Yams.compose(yaml: text)
            if root == nil { error("the file is empty", line: 0, column: 0) }
        } catch let yamlError as YamlError {
            report(yamlError)
        } catch {
            self.error("cannot parse YAML: \(error)", line: 1, column: 1)
        }
    }

    private mutating func report(_ e: YamlError) {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax: \(problem)"
            if let context { message += " (\(context.text))" }
            error(message, at: mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            error(
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping", at: context.mark
            )
        case .reader(let problem, _, _, _):
            error("YAML: \(problem)", line: 1, column: 1)
        default:
            error("YAML: \(e)", line: 1, column: 1)
        }
    }

    mutating func error(_ message: String, at mark: Mark?) {
        error(message, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    mutating func error(_ message: String, line: Int, column: Int) {
        diagnostics.append(Diagnostic(file: displayPath, line: line, column: column, message: message))
    }

    mutating func error(_ message: String, at node: Node) { error(message, at: node.mark) }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    // MARK: Typed access

    /// The entries of a mapping node, by key, in order; unknown keys are reported with a did-you-mean.
    mutating func fields(_ node: Node, what: String, allowed: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of keys to values", at: node)
            return nil
        }
        var fields = Fields(mark: mapping.mark)
        for (key, value) in mapping {
            guard case .scalar(let k) = key else {
                error("keys in \(what) must be plain names", at: key)
                continue
            }
            if !allowed.isEmpty, !allowed.contains(k.string) {
                var message = "unknown key '\(k.string)' in \(what)"
                if let guess = closestMatch(to: k.string, among: allowed) { message += " (did you mean '\(guess)'?)" }
                error(message, at: key)
                continue
            }
            fields.entries.append((k.string, key, value))
        }
        return fields
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let s) = node else {
            error("\(what) must be a string", at: node)
            return nil
        }
        if s.style == .plain, s.string.isEmpty || s.string == "~" || s.string == "null" {
            error("\(what) must not be empty", at: node)
            return nil
        }
        return s.string
    }

    mutating func int(_ node: Node, _ what: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let s) = node, s.style == .plain,
            let v = Int(s.string.replacingOccurrences(of: "_", with: ""))
        else {
            error("\(what) must be a whole number", at: node)
            return nil
        }
        guard range.contains(v) else {
            error("\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(v)", at: node)
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .scalar(let s) = node, s.style == .plain {
            switch s.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        error("\(what) must be true or false", at: node)
        return nil
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, as: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(node, what) else { return nil }
        if let v = T(rawValue: text) { return v }
        let options = T.allCases.map(\.rawValue)
        var message = "\(what) must be one of \(options.joined(separator: ", ")), not '\(text)'"
        if let guess = closestMatch(to: text, among: options) { message += " (did you mean '\(guess)'?)" }
        error(message, at: node)
        return nil
    }

    /// A list of strings; a single string is taken as a one-element list.
    mutating func stringList(_ node: Node, _ what: String) -> [(String, Node)]? {
        switch node {
        case .scalar: return string(node, what).map { [($0, node)] }
        case .sequence(let seq):
            var out: [(String, Node)] = []
            for item in seq {
                if let s = string(item, "each item of \(what)") { out.append((s, item)) }
            }
            return out
        default:
            error("\(what) must be a list of names", at: node)
            return nil
        }
    }

    /// A duration such as `90s`, `10m`, `2h` or `1d`, in seconds.
    mutating func duration(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let scale = units[unit], let n = Int(text.dropLast()), n > 0 {
            return n * scale
        }
        if let n = Int(text), n > 0 { return n }
        error("\(what) must be a duration such as 30s, 10m or 2h, not '\(text)'", at: node)
        return nil
    }
}

/// The entries of one YAML mapping, with the nodes of keys and values.
struct Fields {
    var mark: Mark?
    var entries: [(name: String, key: Node, value: Node)] = []

    subscript(name: String) -> Node? { entries.first { $0.name == name }?.value }
    func keyNode(_ name: String) -> Node? { entries.first { $0.name == name }?.key }
}

extension YamlError.Context {
    var text: String { "\(self)" }
}
