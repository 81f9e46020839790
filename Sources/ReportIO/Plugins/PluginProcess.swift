import CSpawn
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One running plugin process: pipes to its standard input, output and error, a deadline, and the
/// guarantee that it is killed and reaped whatever happens.
///
/// Reading, writing and the plugin's standard error are served by one `poll` loop, so a plugin
/// that writes a lot to standard error while reportd is still sending its request cannot
/// deadlock either side.
final class PluginProcess {
    /// The longest line a plugin may write.
    static let maxLine = 64 << 20

    let name: String
    let pid: pid_t
    private var input: Int32
    private let output: Int32
    private let errors: Int32
    private let deadline: Date
    private let timeout: Int
    private let memoryMiB: Int
    private let logger: Logger
    private var buffer: [UInt8] = []
    private var errorBuffer: [UInt8] = []
    private var reaped = false

    /// A plugin that closes its input (or dies) while reportd writes a request must not kill
    /// reportd: the default action of SIGPIPE is to end the process, and `serve` would go down with
    /// one bad plugin. With SIGPIPE ignored the write fails with EPIPE, read as the plugin's exit.
    /// Once per process, before the first plugin starts; plugins get the default back (CSpawn).
    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    static func ignoreBrokenPipes() { _ = brokenPipesIgnored }

    /// Starts `path` in `directory` with a clean environment.
    init(name: String, path: String, directory: String, timeout: Int, memoryMiB: Int, logger: Logger)
        throws(PluginError)
    {
        self.name = name
        self.timeout = timeout
        self.memoryMiB = memoryMiB
        self.logger = logger
        Self.ignoreBrokenPipes()
        deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        var errChild: [Int32] = [0, 0]
        guard reportd_pipe(&toChild) == 0 else {
            throw PluginError(plugin: name, what: "could not be started: no pipe")
        }
        guard reportd_pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw PluginError(plugin: name, what: "could not be started: no pipe")
        }
        guard reportd_pipe(&errChild) == 0 else {
            close(toChild[0]); close(toChild[1]); close(fromChild[0]); close(fromChild[1])
            throw PluginError(plugin: name, what: "could not be started: no pipe")
        }
        let env = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "REPORTD_PROTOCOL=1"]
        var spawnError: Int32 = 0
        let child = withCStrings([path]) { argv in
            withCStrings(env) { envp in
                reportd_spawn(
                    path, argv, envp, directory, UInt64(memoryMiB) << 20, toChild[0], fromChild[1], errChild[1],
                    &spawnError)
            }
        }
        close(toChild[0])
        close(fromChild[1])
        close(errChild[1])
        guard child > 0 else {
            close(toChild[1]); close(fromChild[0]); close(errChild[0])
            throw PluginError(plugin: name, what: "could not be started: \(String(cString: strerror(spawnError)))")
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
        errors = errChild[0]
        for fd in [input, output, errors] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit { finish() }

    /// Writes `request` (one JSON line) and returns the plugin's next line.
    func exchange(_ request: [UInt8]) throws(PluginError) -> [UInt8] {
        var pending = request[...]
        // Bytes of `buffer` already searched for a newline: each byte is looked at once, so a
        // long line costs linear time, not quadratic.
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let found = buffer.withUnsafeBufferPointer { b -> Int? in
                guard scanned < b.count, let hit = memchr(b.baseAddress! + scanned, 10, b.count - scanned) else {
                    return nil
                }
                return b.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if let newline = found {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if pending.isEmpty { return line }
                throw fail("answered before it had read the request")
            }
            scanned = buffer.count
            if buffer.count > Self.maxLine { throw fail("wrote more than \(Self.maxLine >> 20) MiB without a newline") }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { throw fail("timed out after \(timeout)s") }
            var fds = [
                pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errors, events: Int16(POLLIN), revents: 0),
                pollfd(fd: pending.isEmpty ? -1 : input, events: Int16(POLLOUT), revents: 0),
            ]
            let ready = poll(&fds, 3, Int32(min(remaining * 1000, 1000)) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw fail("could not be read: \(String(cString: strerror(errno)))")
            }
            if fds[1].revents != 0 { drainErrors() }
            if fds[2].revents & Int16(POLLOUT) != 0 {
                let n = pending.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                if n > 0 { pending = pending.dropFirst(n) }
                // The plugin closed its input before reading the request.
                if n < 0 && errno == EPIPE {
                    throw fail("closed its input before reading the whole request (the protocol keeps it open)")
                }
            }
            if fds[2].revents & Int16(POLLERR | POLLHUP) != 0 && !pending.isEmpty {
                // The plugin closed its input: it is gone or going.
                throw exited()
            }
            if fds[0].revents != 0 {
                let n = read(output, &chunk, chunk.count)
                if n > 0 {
                    buffer.append(contentsOf: chunk[..<n])
                } else if n == 0 {
                    throw exited()
                }
            }
        }
    }

    /// The error for a plugin that stopped: its exit status or signal.
    private func exited() -> PluginError {
        drainErrors()
        var status: Int32 = 0
        // Give it a moment to finish exiting, then make sure it is gone.
        let until = Date().addingTimeInterval(1)
        var waited: pid_t = 0
        while waited == 0 && Date() < until {
            waited = waitpid(pid, &status, WNOHANG)
            if waited == 0 { usleep(2_000) }
        }
        if waited != pid {
            killGroup()
            waitpid(pid, &status, 0)
        }
        reaped = true
        let limit = " (its memory limit is \(memoryMiB) MiB)"
        if status & 0x7f == 0 {
            return PluginError(
                plugin: name, what: "exited with status \((status >> 8) & 0xff) before answering\(limit)")
        }
        return PluginError(plugin: name, what: "was killed by signal \(status & 0x7f)\(limit)")
    }

    private func fail(_ what: String) -> PluginError {
        killGroup()
        drainErrors()
        return PluginError(plugin: name, what: what)
    }

    /// Closes the plugin's input and waits up to 2 s for it to exit, then kills it; always reaps.
    func finish() {
        if input >= 0 {
            close(input)
            input = -1
        }
        if !reaped {
            var status: Int32 = 0
            let until = Date().addingTimeInterval(2)
            while Date() < until {
                if waitpid(pid, &status, WNOHANG) != 0 { break }
                drainErrors()
                usleep(2_000)
            }
            if kill(pid, 0) == 0 || waitpid(pid, &status, WNOHANG) == 0 {
                killGroup()
                waitpid(pid, &status, 0)
            }
            reaped = true
        } else {
            killGroup()
        }
        drainErrors()
        flushErrorLine(force: true)
        close(output)
        close(errors)
    }

    private func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Reads what the plugin wrote to standard error and logs it line by line.
    private func drainErrors() {
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let n = read(errors, &chunk, chunk.count)
            guard n > 0 else { break }
            errorBuffer.append(contentsOf: chunk[..<n])
            if errorBuffer.count > 1 << 20 { errorBuffer.removeFirst(errorBuffer.count - (1 << 20)) }
        }
        flushErrorLine(force: false)
    }

    private func flushErrorLine(force: Bool) {
        while let newline = errorBuffer.firstIndex(of: 10) {
            let line = String(decoding: errorBuffer[..<newline], as: UTF8.self)
            errorBuffer.removeSubrange(...newline)
            logger.warning("plugin \(name): \(line)", metadata: ["plugin": "\(name)"])
        }
        if force, !errorBuffer.isEmpty {
            logger.warning(
                "plugin \(name): \(String(decoding: errorBuffer, as: UTF8.self))", metadata: ["plugin": "\(name)"])
            errorBuffer = []
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for p in pointers { free(p) } }
    return body(pointers)
}
