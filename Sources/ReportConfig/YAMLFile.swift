import Crypto
import Foundation
import ReportCore
import Yams
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// A YAML file composed into Yams nodes (each with its line and column), plus the diagnostics
/// gathered while reading it.
///
/// Decoding walks the node tree by hand instead of `YAMLDecoder`: that keeps every node's `Mark`, so
/// each problem (unknown key, wrong type, bad value) points at the exact line and column, and all
/// problems are collected instead of stopping at the first.
struct YAMLFile {
    let path: String
    let displayPath: String
    /// The composed document; a loader may point it at a mapping inside the file (an inline report)
    /// to check that part with the same functions, its marks still in this file.
    var root: Node?
    var diagnostics: [Diagnostic] = []
    /// SHA-256 of the file's bytes (hex); empty when it could not be read.
    private(set) var digest = ""
    /// The calculators a report file names that the registry does not know (the report loader notes
    /// them, so a reload can tell a report whose plugin failed from one with a typo).
    var unknownCalculators: [String] = []
    /// The text's lines, split where libyaml counts a line break, to locate problems inside a scalar.
    private var lines: [[Unicode.Scalar]] = []

    /// Reads and composes `path`; syntax and I/O problems become diagnostics.
    init(path: String) {
        switch Self.contents(of: path) {
        case .success(let bytes):
            // A UTF-8 byte-order mark (Windows editors write one) is not part of the YAML.
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            guard let text = String(validating: body, as: UTF8.self) else {
                self.init(path: path, failure: "the file is not valid UTF-8")
                return
            }
            self.init(path: path, text: text)
            digest = Hex.string(SHA256.hash(data: bytes))
        case .failure(let problem):
            self.init(path: path, failure: "cannot read the file: \(problem.reason)")
        }
    }

    struct ReadProblem: Error {
        var reason: String
    }

    /// The largest config or report file read: far more than any real definition (a report with
    /// 20,000 metrics is about 1.2 MB), small enough that a link to a huge file costs nothing.
    static let maximumBytes = 4 << 20

    /// The bytes of the regular file at `path`, read to its end with `read(2)`.
    ///
    /// Only a regular file of at most `maximumBytes` is read: it is opened with `O_NONBLOCK`, so a
    /// named pipe (or a device, a socket) planted in the reports folder cannot block the loader,
    /// and the daemon's reloads with it; `/dev/zero` and a huge file are refused by size
    /// instead of filling memory. Not `Data(contentsOf:)`: that builds a URL for each file (a few
    /// percent of loading a report).
    static func contents(of path: String) -> Result<[UInt8], ReadProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(ReadProblem(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(ReadProblem(errno: errno)) }
        switch FileBytes.kindUnlessRegular(info) {
        case nil: break
        case .folder: return .failure(ReadProblem(errno: EISDIR))
        case let kind?: return .failure(ReadProblem(reason: "it is \(kind.rawValue), not a regular file"))
        }
        guard Int(info.st_size) <= maximumBytes else {
            return .failure(
                ReadProblem(reason: "it is \(info.st_size) bytes, more than the \(maximumBytes >> 20) MiB a definition may have"))
        }
        switch FileIO.readToEnd(fd, sizeHint: Int(info.st_size), limit: maximumBytes) {
        case .success(let bytes): return .success(bytes)
        case .failure(.errno(let code)): return .failure(ReadProblem(errno: code))
        // The file grew while being read.
        case .failure(.tooLarge):
            return .failure(ReadProblem(reason: "it grew past \(maximumBytes >> 20) MiB while being read"))
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
        lines = Self.lines(of: text)
        do {
            // The encoding is given: Yams's default reads the environment (all of it, into a
            // dictionary) for YAMS_DEFAULT_ENCODING on every parse, and prints a line to standard
            // output when that variable is set, into `list`'s output. The basic resolver: the
            // loaders read each scalar's text and style and never its resolved tag; Yams's default
            // resolver runs up to seven regular expressions on every mapping key for its
            // duplicate-key check. Keys are compared as text instead, which is how they are used.
            if let nodes = YAMLAliasBudget.expandedNodes(of: text), nodes > YAMLAliasBudget.maximumNodes {
                error(
                    "its aliases expand to more than \(YAMLAliasBudget.maximumNodes) YAML nodes (an alias bomb?): "
                        + "write the values out or use fewer nested aliases", line: 1, column: 1)
                return
            }
            root = try Yams.compose(yaml: text, .basic, .default, .utf8)
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
            let (line, column) = withinText(mark)
            error(syntaxMessage(problem: problem, context: context, line: line), line: line, column: column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            error(
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping", at: context.mark
            )
        case .reader(let problem, _, _, _):
            error("YAML: \(problem)", line: 1, column: 1)
        default:
            error("YAML: \(String(describing: e).split(separator: "\n").first ?? "")", line: 1, column: 1)
        }
    }

    /// libyaml's problem and context on one line (Yams's own description of a context ends in a
    /// line break), followed by a hint when the lines involved show one of the usual slips.
    private func syntaxMessage(problem: String, context: YamlError.Context?, line: Int) -> String {
        var message = "YAML syntax: \(problem)"
        var from = line
        if let context {
            message += " (\(context.text)"
            if context.mark.line != line { message += " that starts at line \(context.mark.line)" }
            message += ")"
            if context.mark.line >= 1, context.mark.line <= line { from = context.mark.line }
        }
        if let hint = syntaxHint(problem: problem, lines: from...max(from, line)) { message += "; \(hint)" }
        return message
    }

    /// What most likely caused a syntax error on `range` (1-based lines): a tab in the indentation,
    /// an unquoted value that YAML reads as something else (`*/15 * * * *` is an alias, `@` is
    /// reserved), or an unquoted value holding `: `.
    private func syntaxHint(problem: String, lines range: ClosedRange<Int>) -> String? {
        let numbers = range.clamped(to: 1...max(1, lines.count)).reversed().filter { $0 <= lines.count }
        let texts = numbers.map { (number: $0, text: String(String.UnicodeScalarView(lines[$0 - 1]))) }
        for (number, text) in texts where text.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
            return "line \(number) is indented with a tab: YAML indents with spaces only"
        }
        for (_, text) in texts {
            guard let (key, value) = Self.plainValue(in: text) else { continue }
            switch value.first {
            case "*":
                return "a value starting with '*' is read as a YAML alias: quote it, \(Self.quoted(key, value))"
            case "@", "`":
                return "a value cannot start with '\(value.first!)' unquoted: quote it, \(Self.quoted(key, value))"
            default: break
            }
        }
        if problem.hasPrefix("mapping values are not allowed") {
            for (_, text) in texts {
                guard let (key, value) = Self.plainValue(in: text), value.contains(": ") else { continue }
                return "a value containing ': ' must be quoted: \(Self.quoted(key, value))"
            }
        }
        return nil
    }

    /// The key (nil for a list item) and the unquoted value on a line such as `key: value # note`
    /// or `- value`; nil when the line holds no such plain value.
    static func plainValue(in line: String) -> (key: String?, value: String)? {
        var rest = Substring(line.drop { $0 == " " || $0 == "\t" })
        var key: String?
        if rest.hasPrefix("- ") {
            rest = rest.dropFirst(2).drop { $0 == " " }
        }
        if let colon = rest.range(of: ": "), !rest.hasPrefix("\""), !rest.hasPrefix("'") {
            let name = rest[..<colon.lowerBound]
            if !name.isEmpty, !name.contains(" "), !name.contains("#") {
                key = String(name)
                rest = rest[colon.upperBound...].drop { $0 == " " || $0 == "\t" }
            }
        }
        if let comment = rest.range(of: " #") { rest = rest[..<comment.lowerBound] }
        let value = rest.trimmingCharacters(in: .whitespaces)
        guard let first = value.first, !"\"'[{|>#&!".contains(first) else { return nil }
        return (key, value)
    }

    /// `key: "value"` (or `- "value"`), the value double-quoted with its `\\` and `"` escaped;
    /// a long value is shortened to keep the message on one line.
    static func quoted(_ key: String?, _ value: String) -> String {
        let shown = value.count > 60 ? String(value.prefix(57)) + "..." : value
        let escaped = shown.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return (key.map { "\($0): " } ?? "- ") + "\"\(escaped)\""
    }

    /// `mark` moved back onto the text: at the end of a last line that has no line break, libyaml
    /// marks the end of the stream one line below it.
    private func withinText(_ mark: Mark) -> (line: Int, column: Int) {
        guard !lines.isEmpty, mark.line > lines.count || mark.column > lines[max(0, mark.line - 1)].count + 1 else {
            return (mark.line, mark.column)
        }
        let line = min(max(mark.line, 1), lines.count)
        return (line, lines[line - 1].count + 1)
    }

    mutating func error(_ message: String, at mark: Mark?) {
        error(message, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    mutating func error(_ message: String, line: Int, column: Int) {
        diagnostics.append(Diagnostic(file: displayPath, line: line, column: column, message: message))
    }

    mutating func error(_ message: String, at node: Node) { error(message, at: node.mark) }

    /// A problem that does not make the file invalid (`validate` still exits 0).
    mutating func warning(_ message: String, at node: Node) {
        diagnostics.append(
            Diagnostic(
                file: displayPath, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, severity: .warning,
                message: message))
    }

    /// The line and column of the character `offset` Unicode scalars into a scalar node's value
    /// (where a filter or schedule error lies). Only a value that stands verbatim on its line can
    /// be located inside; for any other (one with escapes, or folded over several lines) the
    /// position is the node's own, so a column never points past its line.
    func position(in node: Node, offset: Int) -> (line: Int, column: Int) {
        guard case .scalar(let s) = node, let mark = s.mark else {
            return (node.mark?.line ?? 0, node.mark?.column ?? 0)
        }
        let quote: Int
        switch s.style {
        case .plain: quote = 0
        case .singleQuoted, .doubleQuoted: quote = 1
        default: return (mark.line, mark.column)
        }
        let value = Array(s.string.unicodeScalars)
        let start = mark.column - 1 + quote
        guard (1...lines.count).contains(mark.line), start >= 0, (0...value.count).contains(offset) else {
            return (mark.line, mark.column)
        }
        let line = lines[mark.line - 1]
        guard start + value.count <= line.count, line[start..<(start + value.count)].elementsEqual(value) else {
            return (mark.line, mark.column)
        }
        return (mark.line, mark.column + quote + offset)
    }

    /// `text` cut at the line breaks libyaml counts: CR LF, CR, LF, NEL, LS and PS.
    static func lines(of text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var afterCR = false
        for c in text.unicodeScalars {
            defer { afterCR = c == "\r" }
            switch c {
            case "\n" where afterCR: continue
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines.append(current)
                current = []
            default: current.append(c)
            }
        }
        lines.append(current)
        return lines
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    // MARK: Typed access

    /// The entries of a mapping node, by key, in order; unknown keys are reported with a did-you-mean.
    mutating func fields(_ node: Node, what: String, allowed: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of keys to values", at: node)
            return nil
        }
        var fields = Fields(mark: mapping.mark, capacity: mapping.count)
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
            fields.append(NFC.normalize(k.string), key: key, value: value)
        }
        return fields
    }

    /// A non-empty string scalar, in NFC (SPEC: names, titles, filter text and labels are
    /// normalised where they are read, as dataset cells are). File paths use `path`.
    mutating func string(_ node: Node, _ what: String) -> String? {
        path(node, what).map(NFC.normalize)
    }

    /// A label (`label:`, a code's label in `values:`): a non-empty string in NFC. A plain scalar
    /// that YAML reads as a number, a boolean or null (`label: 42`, `label: yes`) is refused with a
    /// hint to quote it, as are lists and mappings.
    mutating func label(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let s) = node else {
            error("\(what) must be a string", at: node)
            return nil
        }
        if s.style == .plain, Self.isNonStringPlainScalar(s.string) {
            error("\(what) must be a string, not '\(s.string)' (quote it: \"\(s.string)\")", at: node)
            return nil
        }
        return string(node, what)
    }

    /// Whether YAML reads `text`, written plain, as something other than a string: null, a
    /// boolean (YAML 1.1's words too: Yams reads `yes` as true), an integer or a float.
    static func isNonStringPlainScalar(_ text: String) -> Bool {
        let words: Set<String> = [
            "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES",
            "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
            "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF",
        ]
        if words.contains(text) { return true }
        let digits = text.replacingOccurrences(of: "_", with: "")
        return Int(digits) != nil || (Double(digits) != nil && digits.contains(where: \.isNumber))
    }

    /// A non-empty string scalar exactly as written: a file name on Linux is bytes, and one
    /// written with combining marks must still be found.
    mutating func path(_ node: Node, _ what: String) -> String? {
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

    /// One of `options` (names registered at run time, such as dataset formats), with the same
    /// message as `choice(_:_:as:)`.
    mutating func choice(_ node: Node, _ what: String, among options: [String]) -> String? {
        guard let text = string(node, what) else { return nil }
        if options.contains(text) { return text }
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

    /// The longest duration accepted: 366 days.
    static let longestDuration = 366 * 86400

    /// A duration such as `90s`, `10m`, `2h` or `1d`, in seconds, at most 366 days.
    mutating func duration(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var seconds: Int?
        if let unit = text.last, let scale = units[unit], let n = Int(text.dropLast()), n > 0 {
            // A count such as 99999999999999999d overflows: it is too long, like any beyond a year.
            let (product, overflow) = n.multipliedReportingOverflow(by: scale)
            seconds = overflow ? .max : product
        } else if let n = Int(text), n > 0 {
            seconds = n
        }
        guard let seconds else {
            error("\(what) must be a duration such as 30s, 10m or 2h, not '\(text)'", at: node)
            return nil
        }
        guard seconds <= Self.longestDuration else {
            error("\(what) must be at most 366d, not '\(text)'", at: node)
            return nil
        }
        return seconds
    }
}

/// The entries of one YAML mapping, with the nodes of keys and values.
struct Fields {
    var mark: Mark?
    private(set) var entries: [(name: String, key: Node, value: Node)] = []
    /// The entries' names, in the same order: looked up by name without touching the nodes.
    /// Searching `entries` itself copied every entry it passed (a `Node` copy is hundreds of
    /// instructions), which made these lookups a tenth of loading a report.
    private var names: [String] = []

    init(mark: Mark?, capacity: Int) {
        self.mark = mark
        entries.reserveCapacity(capacity)
        names.reserveCapacity(capacity)
    }

    mutating func append(_ name: String, key: Node, value: Node) {
        entries.append((name, key, value))
        names.append(name)
    }

    subscript(name: String) -> Node? { names.firstIndex(of: name).map { entries[$0].value } }
    func keyNode(_ name: String) -> Node? { names.firstIndex(of: name).map { entries[$0].key } }
}

extension YAMLFile.ReadProblem {
    init(errno code: Int32) {
        switch code {
        case ENOENT: reason = "no such file"
        case EACCES: reason = "permission denied"
        default: reason = FileProblem.errno(code)
        }
    }
}

