import CSpawn
import Foundation
import ReportCore

#if canImport(Glibc)
    import Glibc
#endif

/// Why a message was not handed over to the sendmail program.
public struct MailError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Whether another attempt may help (a program that is missing will still be missing).
    public var retryable: Bool

    public init(_ message: String, retryable: Bool = true) {
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }
}

/// Runs the sendmail program once for one message: `COMMAND -i -f FROM -- RECIPIENT…`, the message
/// on its standard input.
///
/// The recipients are arguments after `--` (never `-t`, which would read them from the headers),
/// and every address was checked when the config was loaded: nothing in a report's title or data
/// can add a recipient or a header. The program runs under CSpawn's supervisor, as plugins do: a
/// program that hangs is killed with everything it started when its time is up, and nothing it
/// leaves behind outlives reportd.
public enum SendmailProcess {
    /// The most of the program's output kept for the error message.
    static let outputLimit = 4096

    /// SIGPIPE ignored once (a program that exits before reading the message must not end reportd);
    /// the program itself gets the default back (CSpawn).
    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// Sends `message` to `recipients` with the envelope sender `from`.
    /// - Parameters:
    ///   - timeout: seconds the program may take, writing included.
    ///   - shouldStop: asked about every 100 ms; true kills the program (daemon shutdown).
    public static func send(
        _ message: [UInt8], command: [String], from: String, recipients: [String], timeout: Int,
        shouldStop: @Sendable () -> Bool = { false }
    ) throws(MailError) {
        _ = brokenPipesIgnored
        guard let program = command.first else { throw MailError("no sendmail program configured", retryable: false) }
        let arguments = command + ["-i", "-f", from, "--"] + recipients
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard reportd_pipe(&toChild) == 0 else { throw MailError("cannot start \(program): no pipe") }
        guard reportd_pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw MailError("cannot start \(program): no pipe")
        }
        let environment =
            ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8"]
            + ["HOME", "USER", "LOGNAME"].compactMap { key in
                ProcessInfo.processInfo.environment[key].map { "\(key)=\($0)" }
            }
        var spawnError: Int32 = 0
        var control: Int32 = -1
        var statusPipe: Int32 = -1
        let supervisor = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                reportd_spawn(
                    program, argv, envp, "/", 0, Int32(REPORTD_LIMIT_DATA), toChild[0], fromChild[1], fromChild[1],
                    &control, &statusPipe, &spawnError)
            }
        }
        close(toChild[0])
        close(fromChild[1])
        guard supervisor > 0 else {
            close(toChild[1]); close(fromChild[0])
            let why = String(cString: strerror(spawnError))
            let hint =
                spawnError == ENOENT
                ? " (is an MTA installed? postfix, exim or msmtp-mta provide /usr/sbin/sendmail; or set mail.sendmail)"
                : ""
            throw MailError(
                "cannot start the sendmail program \(program): \(why)\(hint)",
                retryable: spawnError != ENOENT && spawnError != EACCES)
        }
        var input = toChild[1]
        let output = fromChild[0]
        for fd in [input, output, statusPipe] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        defer {
            if input >= 0 { close(input) }
            close(output)
            close(statusPipe)
        }
        var ended = false
        func endTree() {
            guard !ended else { return }
            ended = true
            close(control)
            var status: Int32 = 0
            while waitpid(supervisor, &status, 0) < 0 && errno == EINTR {}
        }
        defer { endTree() }

        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var written = 0
        var said: [UInt8] = []
        var exitStatus: Int32?
        var chunk = [UInt8](repeating: 0, count: 4096)
        var outputOpen = true
        while exitStatus == nil || outputOpen {
            if shouldStop() { throw MailError("stopped (reportd is shutting down)") }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                endTree()
                throw MailError(
                    "the sendmail program \(program) did not finish within \(timeout)s and was killed"
                        + lastWords(said))
            }
            var fds = [
                pollfd(fd: input >= 0 && written < message.count ? input : -1, events: Int16(POLLOUT), revents: 0),
                pollfd(fd: outputOpen ? output : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: exitStatus == nil ? statusPipe : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, Int32(min(remaining, 0.1) * 1000) + 1)
            if ready < 0 && errno != EINTR {
                throw MailError("cannot talk to \(program): \(String(cString: strerror(errno)))")
            }
            if fds[0].revents & Int16(POLLOUT) != 0 {
                let n = message.withUnsafeBytes {
                    write(input, $0.baseAddress! + written, min(message.count - written, 1 << 16))
                }
                if n > 0 { written += n } else if n < 0 && errno == EPIPE { written = message.count }
                if written >= message.count {
                    close(input)
                    input = -1
                }
            } else if fds[0].revents & Int16(POLLERR | POLLHUP) != 0 {
                // The program closed its input before reading the whole message.
                close(input)
                input = -1
                written = message.count
            }
            if fds[1].revents != 0 {
                let n = read(output, &chunk, chunk.count)
                if n > 0 {
                    said += chunk[..<n]
                    if said.count > outputLimit * 2 { said.removeFirst(said.count - outputLimit) }
                } else if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
                    outputOpen = false
                }
            }
            if fds[2].revents != 0 {
                var message = reportd_plugin_exit()
                let n = read(statusPipe, &message, MemoryLayout<reportd_plugin_exit>.size)
                if n == MemoryLayout<reportd_plugin_exit>.size {
                    exitStatus = message.status
                } else if n == 0 {
                    exitStatus = SIGKILL
                }
                // Whatever the program started may keep the output open: once it has exited, only
                // what is already in the pipe is read.
                if exitStatus != nil { outputOpen = drain(output, into: &said) }
            }
        }
        let status = exitStatus ?? SIGKILL
        if status & 0x7f != 0 {
            throw MailError("the sendmail program \(program) was killed by signal \(status & 0x7f)" + lastWords(said))
        }
        let code = (status >> 8) & 0xff
        if code != 0 {
            // sysexits: EX_TEMPFAIL (75) and the unavailable ones are worth another try; the others
            // (a usage error, a bad address, EX_CONFIG) repeat as they are.
            let temporary = [69, 70, 71, 74, 75].contains(code)
            throw MailError(
                "the sendmail program \(program) exited with status \(code)" + lastWords(said),
                retryable: temporary || code == 1)
        }
        if written < message.count {
            throw MailError("the sendmail program \(program) exited before reading the whole message" + lastWords(said))
        }
    }

    /// Reads what is in `fd` now; false once it is at its end.
    private static func drain(_ fd: Int32, into said: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n > 0 {
                said += chunk[..<n]
                if said.count > outputLimit * 2 { said.removeFirst(said.count - outputLimit) }
                continue
            }
            return false
        }
    }

    /// ": LAST LINES" of what the program said, escaped, or nothing.
    static func lastWords(_ said: [UInt8]) -> String {
        let text = String(decoding: said.suffix(outputLimit), as: UTF8.self)
            .split(whereSeparator: \.isNewline).suffix(3).joined(separator: " / ")
        guard !text.isEmpty else { return "" }
        return ": " + text.escapingControlCharacters
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for p in pointers { free(p) } }
    return body(pointers)
}
