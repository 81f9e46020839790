import Foundation
import ReportCore

/// One problem found while loading configuration, located in the file the administrator edits.
///
/// Printed as `FILE:LINE:COL: error: MESSAGE`, the form editors and CI logs link to.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    /// The file as the user would name it: relative to the working directory when inside it.
    public var file: String
    /// 1-based; 0 when the problem concerns the whole file.
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity = .error, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    /// One line: control characters in the file name or the message (a YAML key or a value quoted
    /// back) are escaped, so a file cannot forge lines in `validate`'s output or the reload log.
    public var description: String {
        let file = file.escapingControlCharacters
        let message = message.escapingControlCharacters
        return line > 0 ? "\(file):\(line):\(column): \(severity): \(message)" : "\(file): \(severity): \(message)"
    }
}

/// The error thrown when configuration cannot be used: every problem at once.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Paths as they appear in messages: relative to the working directory when below it.
public enum DisplayPath {
    public static func of(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        // Under systemd the working directory is `/`: `etc/reportd/…` would read as relative.
        if cwd == "/" { return path }
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// `path` made absolute against `base` (a folder), with `.` and `..` resolved lexically.
    static func resolve(_ path: String, against base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
