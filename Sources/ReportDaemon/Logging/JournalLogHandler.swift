public import Foundation
public import Logging
import ReportCore
import ReportConfig
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// Writes log records to the systemd journal.
///
/// Used when `$JOURNAL_STREAM` says standard error is connected to the journal. Each record goes to
/// journald's native socket as structured fields (the protocol of sd_journal_sendv(3), written here
/// because libsystemd is not linked): `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, the code location,
/// and every metadata key as a field — `report.name` as `REPORT`, `report.slot` as `SLOT`,
/// `run.outcome` as `OUTCOME`, `run.trigger` as `TRIGGER`, others upper-cased (`duration.ms` →
/// `DURATION_MS`) — so that `journalctl -u reportd REPORT=funding-by-program OUTCOME=failed`
/// finds a report's failures. When the socket cannot be used (no journald, a record too large
/// for a datagram), the line goes to standard error with a `<N>` priority prefix (sd-daemon(3)),
/// which journald also understands.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let socket: JournalSocket?

    /// - Parameter socketPath: journald's native socket; `nil` writes lines to standard error only.
    public init(label: String, socketPath: String? = JournalSocket.defaultPath) {
        self.label = label
        self.socket = socketPath.flatMap(JournalSocket.shared(path:))
    }

    /// Whether standard error goes to the journal.
    public static func isJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["JOURNAL_STREAM"] != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var text = "\(event.message)"
        if !all.isEmpty {
            text += " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        if let socket {
            var fields: [(String, String)] = [
                ("MESSAGE", text), ("PRIORITY", String(Self.priority(event.level))), ("SYSLOG_IDENTIFIER", "reportd"),
                ("CODE_FILE", event.file), ("CODE_LINE", String(event.line)), ("CODE_FUNC", event.function),
            ]
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                if let name = Self.fieldName(key) { fields.append((name, "\(value)")) }
            }
            if socket.send(Self.datagram(fields)) { return }
        }
        let line = "<\(Self.priority(event.level))>" + text.replacingOccurrences(of: "\n", with: " ") + "\n"
        writeStandardError(line)
    }

    /// syslog priorities: 7 debug … 2 critical.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The journal field for a metadata key: the short names the issue and the README promise, and
    /// otherwise the key upper-cased with `_` for anything but letters and digits. Journal field
    /// names are `[A-Z0-9_]`, at most 64 bytes, and may not start with `_` (trusted fields) or a digit.
    static func fieldName(_ key: String) -> String? {
        switch key {
        case "report.name": return "REPORT"
        case "report.slot": return "SLOT"
        case "run.outcome": return "OUTCOME"
        case "run.trigger": return "TRIGGER"
        case "run.attempt": return "ATTEMPT"
        default: break
        }
        let name = String(
            key.uppercased().unicodeScalars.map { ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_" }
        )
        guard let first = name.first, first != "_", !first.isNumber, name.utf8.count <= 64 else { return nil }
        if ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"].contains(name) {
            return nil
        }
        return name
    }

    /// The native protocol's datagram: `NAME=value\n`, or for a value with a line break
    /// `NAME\n`, its length as a 64-bit little-endian integer, the value, `\n`.
    static func datagram(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            let bytes = Array(value.utf8)
            out += Array(name.utf8)
            if bytes.contains(0x0A) {
                out.append(0x0A)
                withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { out += $0 }
                out += bytes
            } else {
                out.append(UInt8(ascii: "="))
                out += bytes
            }
            out.append(0x0A)
        }
        return out
    }
}

/// A datagram socket to journald, shared by every handler of the process.
public final class JournalSocket: Sendable {
    public static let defaultPath = "/run/systemd/journal/socket"

    private let fd: Int32
    private let address: sockaddr_un

    private init?(path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.address = address
    }

    /// One socket per path for the whole process (handlers are made per logger label).
    private static let sockets = Locked<[String: JournalSocket?]>([:])

    /// The process's socket to `path`, or nil when none can be made or nothing listens there.
    static func shared(path: String) -> JournalSocket? {
        guard access(path, W_OK) == 0 else { return nil }
        return sockets.withLock { byPath in
            if let known = byPath[path] { return known }
            let socket = JournalSocket(path: path)
            byPath[path] = socket
            return socket
        }
    }

    /// Sends one record; false when it could not be (too large, journald gone).
    func send(_ datagram: [UInt8]) -> Bool {
        var address = self.address
        let sent = datagram.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        return sent == datagram.count
    }
}
