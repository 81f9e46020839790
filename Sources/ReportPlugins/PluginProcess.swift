import CSpawn
import Foundation
import ReportCore
import Logging
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// One running plugin process: pipes to its standard input, output and error, a deadline, and the
/// guarantee that it, and everything it started, is killed and reaped whatever happens.
///
/// The plugin runs under a supervisor process (CSpawn): a child subreaper that inherits whatever
/// the plugin leaves behind (a helper started with `setsid`, a double fork) and kills the whole
/// tree when this object ends it, or when reportd exits or dies (a Ctrl-C of `reportd run`, the
/// end of `serve`'s shutdown grace).
///
/// Reading, writing and the plugin's standard error are served by one `poll` loop, so a plugin
/// that writes a lot to standard error while reportd is still sending its request cannot
/// deadlock either side.
final class PluginProcess {
    /// The longest line a plugin may write.
    static let maxLine = 64 << 20

    let name: String
    /// The supervisor's pid (the plugin is its child).
    let supervisor: pid_t
    private var input: Int32
    private let output: Int32
    private let errors: Int32
    /// Closing it ends the plugin's tree.
    private var control: Int32
    /// The plugin's wait status arrives here.
    private let statusPipe: Int32
    private let deadline: Date
    private let timeout: Int
    private let memoryMiB: Int
    private let logger: Logger
    private var buffer: [UInt8] = []
    /// The plugin's wait status, once it has exited.
    private(set) var exitStatus: Int32?
    /// The plugin's peak resident memory, once it has exited.
    private(set) var peakResidentKiB: Int?
    private let started = Date()
    /// Set once the tree is gone and the supervisor reaped.
    private var ended = false
    /// Whether reportd killed the plugin (time limit, garbage, or not exiting when asked).
    private var killedByUs = false
    /// The plugin's standard error (bounded, PluginStandardError).
    private(set) var standardError: PluginStandardError

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
        standardError = PluginStandardError(plugin: name, logger: logger)
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
        var controlFD: Int32 = -1
        var statusFD: Int32 = -1
        let child = withCStrings([path]) { argv in
            withCStrings(env) { envp in
                reportd_spawn(
                    path, argv, envp, directory, UInt64(memoryMiB) << 20, Int32(REPORTD_LIMIT_DATA),
                    toChild[0], fromChild[1], errChild[1], &controlFD, &statusFD, &spawnError)
            }
        }
        close(toChild[0])
        close(fromChild[1])
        close(errChild[1])
        guard child > 0 else {
            close(toChild[1]); close(fromChild[0]); close(errChild[0])
            throw PluginError(plugin: name, what: "could not be started: \(String(cString: strerror(spawnError)))")
        }
        supervisor = child
        input = toChild[1]
        output = fromChild[0]
        errors = errChild[0]
        control = controlFD
        statusPipe = statusFD
        for fd in [input, output, errors, statusPipe] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit { finish() }

    /// Writes `request` (one JSON line) and returns the plugin's next line.
    func exchange(_ request: [UInt8]) throws(PluginError) -> [UInt8] {
        trace("was sent", request.last == 10 ? request.dropLast() : request[...])
        let line = try exchangeLine(request)
        trace("answered", line[...])
        return line
    }

    /// At log level trace, what was sent and answered: the first 2 KiB of each line (escaped), and
    /// its size (`reportd run --log-level trace`, PLUGINS.md "Debugging a plugin").
    private func trace(_ what: String, _ line: ArraySlice<UInt8>) {
        guard logger.logLevel <= .trace else { return }
        logger.trace(
            "plugin \(name) \(what) \(line.count) bytes: \(PluginText.escape(line, limit: 2048))",
            metadata: ["plugin": "\(name)"])
    }

    private func exchangeLine(_ request: [UInt8]) throws(PluginError) -> [UInt8] {
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
            if remaining <= 0 {
                var error = fail("timed out after \(timeout)s")
                error.timedOut = true
                throw error
            }
            var fds = [
                pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errors, events: Int16(POLLIN), revents: 0),
                pollfd(fd: pending.isEmpty ? -1 : input, events: Int16(POLLOUT), revents: 0),
                pollfd(fd: exitStatus == nil ? statusPipe : -1, events: Int16(POLLIN), revents: 0),
            ]
            // Once the plugin has exited, only what is already in the pipe is still to come (a
            // process it started may hold the pipe open, so no end of file is awaited).
            let wait = exitStatus != nil ? 0 : Int32(min(remaining * 1000, 1000)) + 1
            let ready = retryingInterrupted { poll(&fds, 4, wait) }
            if ready < 0 {
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
            if fds[3].revents != 0 { readStatus() }
            var readSome = false
            if fds[0].revents != 0 {
                let n = read(output, &chunk, chunk.count)
                if n > 0 {
                    buffer.append(contentsOf: chunk[..<n])
                    readSome = true
                } else if n == 0 {
                    throw exited()
                }
            }
            if exitStatus != nil && !readSome && ready >= 0 && fds[0].revents == 0 { throw exited() }
        }
    }

    /// Reads the plugin's wait status from the supervisor, if it has arrived. End of file without
    /// a status (the supervisor was killed) counts as a SIGKILL.
    private func readStatus() {
        guard exitStatus == nil else { return }
        var message = reportd_plugin_exit()
        let n = read(statusPipe, &message, MemoryLayout<reportd_plugin_exit>.size)
        if n == MemoryLayout<reportd_plugin_exit>.size {
            exitStatus = message.status
            peakResidentKiB = Int(message.max_resident_kib)
        } else if n == 0 {
            exitStatus = SIGKILL
        }
    }

    /// Waits up to `seconds` for the plugin's wait status, logging its standard error meanwhile.
    private func awaitStatus(seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while exitStatus == nil {
            let remaining = until.timeIntervalSinceNow
            if remaining <= 0 { return }
            var fds = [
                pollfd(fd: statusPipe, events: Int16(POLLIN), revents: 0),
                pollfd(fd: errors, events: Int16(POLLIN), revents: 0),
            ]
            if retryingInterrupted({ poll(&fds, 2, Int32(remaining * 1000) + 1) }) < 0 { return }
            if fds[1].revents != 0 { drainErrors() }
            if fds[0].revents != 0 { readStatus() }
        }
    }

    /// The error for a plugin that stopped: its exit status or signal.
    private func exited() -> PluginError {
        drainErrors()
        // Give it a moment to finish exiting, then make sure it is gone.
        awaitStatus(seconds: 1)
        if exitStatus == nil { killedByUs = true }
        endTree()
        let status = exitStatus ?? SIGKILL
        if status & 0x7f == 0 {
            let code = (status >> 8) & 0xff
            return PluginError(
                plugin: name, what: "exited with status \(code) before answering\(memoryHint(status))",
                standardError: standardError.lastLines())
        }
        return PluginError(
            plugin: name, what: "was killed by signal \(status & 0x7f)\(memoryHint(status))",
            standardError: standardError.lastLines())
    }

    /// " (its memory limit is N MiB)": said when the limit may be why the plugin stopped.
    /// A signal that can come of a failed allocation (a runtime aborting, a null pointer followed,
    /// the kernel's out-of-memory killer), or an exit after standard error spoke of memory.
    private func memoryHint(_ status: Int32) -> String {
        guard memoryMiB > 0 else { return "" }
        let hint = " (its memory limit is \(memoryMiB) MiB)"
        // It came near the limit.
        if let peak = peakResidentKiB, peak >= (memoryMiB << 10) * 8 / 10 { return hint }
        let signal = status & 0x7f
        if signal != 0 {
            return [SIGSEGV, SIGABRT, SIGBUS, SIGKILL, SIGTRAP].contains(signal) && !killedByUs ? hint : ""
        }
        let said = standardError.lastLines(20).joined(separator: "\n").lowercased()
        let words = [
            "memoryerror", "out of memory", "cannot allocate", "enomem", "allocation failed", "bad_alloc",
            "failed to reserve", "could not reserve", "failed to allocate", "mmap",
        ]
        return words.contains { said.contains($0) } ? hint : ""
    }

    private func fail(_ what: String) -> PluginError {
        killedByUs = true
        endTree()
        return PluginError(plugin: name, what: what, standardError: standardError.lastLines())
    }

    /// Kills the plugin and whatever it started (the supervisor does), reaps the supervisor, and
    /// reads the plugin's status.
    private func endTree() {
        guard !ended else { return }
        ended = true
        if control >= 0 {
            close(control)
            control = -1
        }
        var status: Int32 = 0
        _ = retryingInterrupted { waitpid(supervisor, &status, 0) }
        // The supervisor wrote the status before it exited; the pipe keeps it.
        readStatus()
        drainErrors()
    }

    /// Closes the plugin's input and waits up to 2 s for it to exit, then kills it and whatever it
    /// started; always reaps. A plugin that answered and then did not exit cleanly is logged.
    func finish() {
        guard !ended else {
            closeAll()
            return
        }
        if input >= 0 {
            close(input)
            input = -1
        }
        awaitStatus(seconds: 2)
        let stillRunning = exitStatus == nil
        endTree()
        if stillRunning {
            logger.warning(
                "plugin \(name): still running 2 s after its input was closed; it was killed",
                metadata: ["plugin": "\(name)"])
        } else if let status = exitStatus, status != 0 {
            let how = status & 0x7f == 0 ? "with status \((status >> 8) & 0xff)" : "by signal \(status & 0x7f)"
            logger.warning(
                "plugin \(name): exited \(how) after answering; its answer was used",
                metadata: ["plugin": "\(name)"])
        }
        logger.debug(
            "plugin \(name): ended after \(Int(Date().timeIntervalSince(started) * 1000)) ms; peak resident memory \(peakResidentKiB.map { "\($0 >> 10) MiB" } ?? "unknown")",
            metadata: ["plugin": "\(name)"])
        closeAll()
    }

    private func closeAll() {
        if input >= 0 {
            close(input)
            input = -1
        }
        guard standardError.open else { return }
        drainErrors()
        standardError.finish()
        close(output)
        close(errors)
        close(statusPipe)
    }

    /// Reads what the plugin wrote to standard error and logs it line by line (bounded).
    private func drainErrors() {
        guard standardError.open else { return }
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let n = read(errors, &chunk, chunk.count)
            guard n > 0 else { break }
            standardError.append(chunk[..<n])
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for p in pointers { free(p) } }
    return body(pointers)
}
