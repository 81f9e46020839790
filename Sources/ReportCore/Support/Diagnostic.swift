import Foundation

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
