import Foundation
import ReportCore
import Yams

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
    private(set) var root: Node?
    var diagnostics: [Diagnostic] = []

    /// Reads and composes `path`; syntax and I/O problems become diagnostics.
    init(path: String) {
        switch Self.contents(of: path) {
        case .success(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                self.init(path: path, failure: "the file is not valid UTF-8")
                return
            }
            self.init(path: path, text: text)
        case .failure(let problem):
            self.init(path: path, failure: "cannot read the file: \(problem.reason)")
        }
    }

    struct ReadProblem: Error {
        var reason: String
    }

    /// The bytes of the file at `path`, read to its end with `read(2)`.
    ///
    /// Not `Data(contentsOf:)`: that builds a URL for each file (a few percent of loading a
    /// report) and refuses anything but a regular file ("permission denied" for a named pipe),
    /// while a report may be any readable file: a test uses a named pipe to see when files are read.
    static func contents(of path: String) -> Result<[UInt8], ReadProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadProblem(errno: errno)) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return .failure(ReadProblem(errno: EISDIR)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) + 1 : 4096)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 14) { chunk in
            while true {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n > 0 {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<n]))
                } else if n == 0 {
                    return .success(bytes)
                } else if errno != EINTR {
                    return .failure(ReadProblem(errno: errno))
                }
            }
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
            // The encoding is given: Yams's default reads the environment (all of it, into a
            // dictionary) for YAMS_DEFAULT_ENCODING on every parse, and prints a line to standard
            // output when that variable is set, into `list`'s output. The basic resolver: the
            // loaders read each scalar's text and style and never its resolved tag; Yams's default
            // resolver runs up to seven regular expressions on every mapping key for its
            // duplicate-key check. Keys are compared as text instead, which is how they are used.
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
            fields.append(k.string, key: key, value: value)
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

extension YamlError.Context {
    var text: String { "\(self)" }
}
