import Logging
import ReportCore

/// What a plugin writes to standard error during one process's life, logged line by line but
/// bounded: the first `logBudget` bytes are logged as they come; after that lines are only counted,
/// and at the end the count is logged with the last lines. The last `tailBytes` are always kept,
/// for the error that names the plugin (`lastLines`).
///
/// Every logged line is escaped (`PluginText.escape`): a plugin cannot forge log lines with
/// newlines nor reach a terminal with escape sequences, and a long line is cut with a marker.
struct PluginStandardError {
    static let logBudget = 64 << 10
    static let tailBytes = 64 << 10
    /// The longest line logged (longer ones are cut with a visible marker).
    static let maxLoggedLine = 4 << 10

    let plugin: String
    let logger: Logger
    private(set) var open = true
    /// The current line, up to `maxLoggedLine` bytes, and how many bytes of it were not kept.
    private var line: [UInt8] = []
    private var lineExtra = 0
    private var logged = 0
    private(set) var droppedBytes = 0
    private(set) var droppedLines = 0
    /// The last bytes written (up to `tailBytes`, trimmed in steps).
    private var tail: [UInt8] = []

    init(plugin: String, logger: Logger) {
        self.plugin = plugin
        self.logger = logger
    }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        tail.append(contentsOf: bytes)
        if tail.count > 2 * Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
        for byte in bytes {
            if byte == 10 {
                endLine()
            } else if line.count < Self.maxLoggedLine {
                line.append(byte)
            } else {
                lineExtra += 1
            }
        }
    }

    private mutating func endLine() {
        let size = line.count + lineExtra
        if logged < Self.logBudget {
            logged += size + 1
            var text = PluginText.escape(line)
            if lineExtra > 0 { text += "… [line cut: \(lineExtra) more bytes]" }
            logger.warning("plugin \(plugin): \(text)", metadata: ["plugin": "\(plugin)"])
        } else {
            droppedBytes += size + 1
            droppedLines += 1
        }
        line = []
        lineExtra = 0
    }

    /// Logs the last, unterminated line, and what was not logged.
    mutating func finish() {
        guard open else { return }
        open = false
        if !line.isEmpty || lineExtra > 0 { endLine() }
        guard droppedLines > 0 else { return }
        logger.warning(
            "plugin \(plugin): \(droppedBytes) more bytes (\(droppedLines) lines) of standard error were not logged (over \(Self.logBudget >> 10) KiB); its last lines:",
            metadata: ["plugin": "\(plugin)"])
        for text in lastLines(5) {
            logger.warning("plugin \(plugin): \(text)", metadata: ["plugin": "\(plugin)"])
        }
    }

    /// The last `count` non-empty lines written, escaped and cut.
    func lastLines(_ count: Int = 5) -> [String] {
        var lines: [String] = []
        var end = tail.endIndex
        var index = tail.endIndex
        while index > tail.startIndex && lines.count < count {
            index -= 1
            if tail[index] == 10 || index == tail.startIndex {
                let start = tail[index] == 10 ? index + 1 : index
                if start < end {
                    lines.append(PluginText.escape(tail[start..<end], limit: 400))
                }
                end = index
            }
        }
        return lines.reversed()
    }
}

/// Text from a plugin made safe to log, print and store.
enum PluginText {
    /// The longest message of a plugin kept (in a run's error, the run history and `status`).
    static let maxMessage = 4 << 10

    /// `bytes` as UTF-8 (invalid sequences replaced), with control characters written as escapes
    /// (`\n`, `\r`, `\t`, `\e`, `\u{7F}`…), cut after `limit` bytes with a visible marker.
    static func escape<C: Collection>(_ bytes: C, limit: Int = 4096) -> String where C.Element == UInt8 {
        var out = String(decoding: bytes.prefix(limit), as: UTF8.self).escapingControlCharacters
        if bytes.count > limit { out += "… [cut: \(bytes.count - limit) more bytes]" }
        return out
    }

    /// `escape` of a string.
    static func escape(_ text: String, limit: Int = 4096) -> String { escape(Array(text.utf8), limit: limit) }
}
