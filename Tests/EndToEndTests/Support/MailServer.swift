import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real SMTP server (Python's aiosmtpd, `mail/smtp_server.py`) on 127.0.0.1 and a free port,
/// keeping every message it receives in a folder; stopped when the test drops it. Messages reach it
/// through Debian's msmtp, configured as the sendmail program (`sendmailCommand`).
final class MailServer {
    let folder: URL
    let port: Int
    private let process: Process
    private let input: Pipe

    static let script = packageRoot.appendingPathComponent("Tests/EndToEndTests/mail/smtp_server.py")
    static let reader = packageRoot.appendingPathComponent("Tests/EndToEndTests/mail/read_mail.py")
    static let msmtp = "/usr/bin/msmtp"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the server; throws when msmtp or aiosmtpd is missing (`.ci/run` installs both).
    init(in parent: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.msmtp) else {
            throw Missing(description: "msmtp is not installed (apt-get install msmtp; .ci/run does)")
        }
        folder = parent.appendingPathComponent("mailbox")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, folder.path]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // "READY PORT", or the end of the output when it failed (aiosmtpd missing).
        var line = Data()
        let handle = output.fileHandleForReading
        while let byte = try handle.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line += byte }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("READY "), let port = Int(text.dropFirst(6)) else {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            throw Missing(
                description: "the test SMTP server did not start (pip install aiosmtpd; .ci/run does): \(text)")
        }
        self.port = port
    }

    deinit { stop() }

    /// Closes the server's input (it stops at its end), and terminates it when it has not stopped
    /// within 10 s: a process started meanwhile by another test may hold a copy of the pipe's
    /// write end, and then the end never comes (a whole test run once hung waiting for it).
    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        if waitForExit(seconds: 10) { return }
        process.terminate()
        if waitForExit(seconds: 10) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 10)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Makes the server answer 451 (a temporary failure) until `failing(false)`.
    func failing(_ on: Bool) {
        let flag = folder.appendingPathComponent("fail")
        if on {
            _ = FileManager.default.createFile(atPath: flag.path, contents: Data())
        } else {
            try? FileManager.default.removeItem(at: flag)
        }
    }

    /// An msmtp config for this server (no authentication, no TLS on the loopback), private as msmtp
    /// requires, and the `sendmail:` list that uses it.
    func sendmailCommand(in parent: URL) throws -> [String] {
        let config = parent.appendingPathComponent("msmtprc")
        try """
        defaults
        auth off
        tls off
        account default
        host 127.0.0.1
        port \(port)
        from reportd@example.org
        """.write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o600)
        return [Self.msmtp, "-C", config.path]
    }

    /// The messages received so far, as `read_mail.py` reads them with Python's `email`.
    func messages() throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.reader.path, folder.path]
        let out = try runCollecting(process)
        guard out.status == 0 else { throw Missing(description: "read_mail.py failed: \(out.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]] ?? []
    }
}

/// YAML for a list of strings, each quoted.
func yamlList(_ items: [String]) -> String {
    "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
}
