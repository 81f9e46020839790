/// Why a dataset could not be read, located in the data file.
public struct DatasetError: Error, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line and column (in characters) of the problem; 0 when the whole file is at fault.
    public var line: Int
    public var column: Int
    public var message: String
    /// Whether a streamed read may report it at once: a header beyond the limits, or bad bytes
    /// the header's first block holds whole, fail the same way in a whole read.
    public var settled = false

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): error: \(message)" : "\(file): error: \(message)"
    }
}

/// A row refused under `on_bad_rows: reject`, kept for the rejected-rows file.
public struct RejectedRow: Sendable {
    /// Line of the row's first character in the data file (the element index for JSON).
    public var line: Int
    public var reason: String
    /// The row's fields as read (lossily decoded when not UTF-8).
    public var fields: [String]

    public init(line: Int, reason: String, fields: [String]) {
        self.line = line
        self.reason = reason
        self.fields = fields
    }
}
