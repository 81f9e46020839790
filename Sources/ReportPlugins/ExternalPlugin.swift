public import Foundation
import ReportFiles
public import Logging
public import ReportCore

#if canImport(Glibc)
    import Glibc
#endif

/// An external plugin that passed its handshake: an executable and the calculators it declared.
public struct ExternalPlugin: Sendable {
    public var name: String
    public var path: String
    public var version: String
    public var calculators: [ExternalCalculator]
    /// The hello's `plugin.name`, when it differs from `name` (the file name, which is what
    /// reportd calls the plugin everywhere).
    public var declaredName: String?

    /// The protocol version reportd says in its hello (PLUGINS.md); a plugin that cannot speak
    /// another answers with it.
    public static let protocolVersion = 1
    /// The protocol versions reportd speaks; the plugin picks one in its answer to the hello.
    public static let protocolVersions = 1...2

    /// The executables of the plugins folder, by plugin name (file name without extension).
    public static func discover(in directory: String) -> [(name: String, path: String)] {
        discoverAll(in: directory).plugins
    }

    /// The plugins folder's executables, and the entries that look meant as plugins but cannot be
    /// run (a link to a missing file, a file without execute permission), with why. Hidden files,
    /// folders and notes (`*.md`, `*.txt`) are not plugins.
    static func discoverAll(in directory: String) -> (
        plugins: [(name: String, path: String)], skipped: [(path: String, reason: String)]
    ) {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var plugins: [(name: String, path: String)] = []
        var skipped: [(path: String, reason: String)] = []
        for file in files.sorted() {
            guard !file.hasPrefix("."), !file.hasSuffix(".md"), !file.hasSuffix(".txt") else { continue }
            let path = directory + "/" + file
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                skipped.append((path, "a symbolic link to a missing file; it is not loaded"))
                continue
            }
            if isDirectory.boolValue { continue }
            guard FileManager.default.isExecutableFile(atPath: path) else {
                skipped.append((path, "not executable, so not loaded as a plugin (chmod +x it, or move it out)"))
                continue
            }
            plugins.append(((file as NSString).deletingPathExtension, path))
        }
        return (plugins, skipped)
    }

    /// Starts the plugin, shakes hands, and reads its calculators.
    /// - Throws: `PluginError` saying what went wrong.
    public static func handshake(name: String, path: String, settings: PluginSettings, logger: Logger)
        throws(PluginError)
        -> ExternalPlugin
    {
        guard ReportDefinition.isValidName(name) else {
            throw PluginError(plugin: name, what: "has a name that is not [a-z0-9][a-z0-9_-]*: rename the file")
        }
        let process = try PluginProcess(
            name: name, path: path, directory: settings.directory, timeout: settings.timeout,
            memoryMiB: settings.memoryMiB,
            logger: logger)
        defer { process.finish() }
        let line = try process.exchange(PluginMessages.hello)
        guard (try? JSONSerialization.jsonObject(with: Data(line))) != nil else {
            throw PluginError(
                plugin: name, what: "answered the hello with text that is not JSON: \(PluginMessages.excerpt(line))")
        }
        let reply: PluginMessages.Hello
        do {
            reply = try JSONDecoder().decode(PluginMessages.Hello.self, from: Data(line))
        } catch {
            throw PluginError(
                plugin: name, what: "answered the hello with no hello message: \(PluginMessages.excerpt(line))")
        }
        guard reply.type == "hello" else {
            throw PluginError(plugin: name, what: "answered with no hello (type '\(reply.type)')")
        }
        let version: Int
        switch reply.protocol {
        case .notANumber(let what):
            throw PluginError(
                plugin: name, what: "answered the hello with protocol \(what): the protocol version must be a number")
        case .number(let number):
            guard protocolVersions.contains(number) else {
                throw PluginError(plugin: name, what: "speaks protocol \(number); reportd speaks protocols 1 and 2")
            }
            version = number
        }
        var calculators: [ExternalCalculator] = []
        for declaration in reply.calculators ?? [] {
            calculators.append(
                try ExternalCalculator(
                    plugin: name, path: path, declaration: declaration, version: reply.plugin?.version,
                    protocolVersion: version, settings: settings, logger: logger))
        }
        guard !calculators.isEmpty else { throw PluginError(plugin: name, what: "declared no calculators") }
        let declared = reply.plugin?.name.flatMap { $0 == name ? nil : PluginText.escape($0, limit: 80) }
        return ExternalPlugin(
            name: name, path: path, version: reply.plugin?.version ?? "", calculators: calculators,
            declaredName: declared)
    }
}

/// Loads every plugin of a daemon config: the calculators that passed their handshake, a
/// diagnostic for each plugin that did not, and the same as typed problems.
public enum PluginLoader {
    /// `load` as the config loader calls it (`ConfigLoader.plugins`), with plugins' standard error
    /// going to `logger`.
    public static func starter(
        logger: Logger = Logger(label: "reportd", factory: { _ in SwiftLogNoOpLogHandler() })
    ) -> PluginStarter {
        { settings, builtIn, wait, lateHello in
            let (calculators, diagnostics, problems) = load(
                settings, builtIn: builtIn, logger: logger, wait: wait, lateHello: lateHello)
            return (calculators, diagnostics, problems)
        }
    }

    /// - Parameters:
    ///   - wait: how long to wait for the handshakes (`nil`: until each answered or timed out). A
    ///     plugin still shaking hands then is left out with a warning, and `lateHello` is called
    ///     once it has answered (the daemon then reloads, and finds its hello in `HelloCache`).
    public static func load(
        _ settings: PluginSettings, builtIn: CalculatorRegistry, logger: Logger, wait: TimeInterval? = nil,
        lateHello: (@Sendable () -> Void)? = nil
    ) -> ([ExternalCalculator], [Diagnostic], [PluginProblem]) {
        var calculators: [ExternalCalculator] = []
        var diagnostics: [Diagnostic] = []
        var failed: [PluginProblem] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: settings.directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            let message = "the plugins folder does not exist: create it or remove 'plugins' from the daemon config"
            let file = DisplayPath.of(settings.directory)
            return (
                [], [Diagnostic(file: file, line: 0, column: 0, message: message)],
                [PluginProblem(name: "", file: file, reason: "the plugins folder does not exist")]
            )
        }
        var taken = Set(builtIn.calculators.keys)
        let (plugins, skipped) = ExternalPlugin.discoverAll(in: settings.directory)
        for (path, reason) in skipped {
            diagnostics.append(
                Diagnostic(file: DisplayPath.of(path), line: 0, column: 0, severity: .warning, message: reason))
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            failed.append(PluginProblem(name: name, file: DisplayPath.of(path), reason: reason))
        }
        // Every handshake at once, each on a thread of its own: a handshake mostly waits for the
        // plugin's runtime to start, and a hung plugin then costs its time limit once, not once
        // per plugin (three hung plugins with a 5 s limit: 5 s, not 15 s). Threads rather than
        // tasks: a handshake blocks in poll(), and blocked tasks would starve the cooperative pool.
        let handshakes = plugins.map { name, path in
            PendingHandshake(lateHello: lateHello) {
                do throws(PluginError) {
                    return .success(try HelloCache.shared.handshake(name: name, path: path, settings: settings, logger: logger))
                } catch {
                    return .failure(error)
                }
            }
        }
        let deadline = wait.map { Date().addingTimeInterval($0) }
        for ((name, path), handshake) in zip(plugins, handshakes) {
            func problem(_ message: String) {
                diagnostics.append(
                    Diagnostic(file: DisplayPath.of(path), line: 0, column: 0, message: "plugin '\(name)': \(message)"))
            }
            guard let result = handshake.result(by: deadline) else {
                diagnostics.append(
                    Diagnostic(
                        file: DisplayPath.of(path), line: 0, column: 0, severity: .warning,
                        message:
                            "plugin '\(name)': has not answered its hello yet (it may take up to \(settings.timeout)s); the reports that use its calculators are loaded once it answers"
                    ))
                failed.append(
                    PluginProblem(
                        name: name, file: DisplayPath.of(path),
                        reason: "has not answered its hello yet (it may take up to \(settings.timeout)s)"))
                continue
            }
            switch result {
            case .success(let plugin):
                if let declared = plugin.declaredName {
                    diagnostics.append(
                        Diagnostic(
                            file: DisplayPath.of(path), line: 0, column: 0, severity: .warning,
                            message:
                                "plugin '\(name)': its hello calls it '\(declared)'; reportd names a plugin by its file name, so it is '\(name)' in logs, errors and the run history"
                        ))
                }
                for calculator in plugin.calculators {
                    let calc = calculator.descriptor.name
                    if taken.contains(calc) {
                        problem(
                            "calculator '\(calc)' is already provided by \(builtIn[calc] != nil ? "a built-in calculator" : "another plugin"); it is ignored"
                        )
                        continue
                    }
                    taken.insert(calc)
                    calculators.append(calculator)
                }
            case .failure(let error):
                var message = "handshake failed: \(error.what); its calculators are unavailable"
                if !error.standardError.isEmpty {
                    message += "; its standard error ended with: " + error.standardError.joined(separator: " | ")
                }
                problem(message)
                failed.append(
                    PluginProblem(name: name, file: DisplayPath.of(path), reason: "handshake failed: \(error.what)"))
            }
        }
        return (calculators, diagnostics, failed)
    }
}

/// A handshake running on a thread of its own (a handshake mostly waits, and blocked tasks would
/// starve the cooperative pool), whose result may be given up on at a deadline; a successful one
/// that arrives after that calls `lateHello`.
final class PendingHandshake: Sendable {
    private struct State {
        var result: Result<ExternalPlugin, PluginError>?
        var givenUp = false
    }

    private let state = Locked(State())
    private let done = DispatchSemaphore(value: 0)

    init(lateHello: (@Sendable () -> Void)?, _ work: @escaping @Sendable () -> Result<ExternalPlugin, PluginError>) {
        Thread { [state, done] in
            let result = work()
            let late = state.withLock { s in
                s.result = result
                return s.givenUp
            }
            done.signal()
            if late, case .success = result { lateHello?() }
        }.start()
    }

    /// The result, waiting for it until `deadline` (`nil`: as long as it takes); `nil` when it
    /// has not come by then (and it is then given up on: `lateHello` is called when it comes).
    func result(by deadline: Date?) -> Result<ExternalPlugin, PluginError>? {
        if let deadline {
            _ = done.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow))
        } else {
            done.wait()
        }
        return state.withLock { s in
            if s.result == nil { s.givenUp = true }
            return s.result
        }
    }
}

/// The hellos of the plugins that passed their handshake, by the plugin file's identity: a reload
/// (or a second load in one process) does not start a plugin whose file has not changed since.
///
/// The identity is the path, device, inode, size and modification time of the file (and the
/// settings the handshake ran with). What the file runs is not part of it: after changing a module
/// a script imports, or its interpreter, touch the plugin file (PLUGINS.md).
///
/// A handshake that timed out is kept too, so that a hung plugin costs its time limit once, not on
/// every reload; one that failed otherwise (fast: a missing module, a bad hello) is tried again on
/// the next load, so that a fixed environment is seen.
final class HelloCache: Sendable {
    static let shared = HelloCache()

    struct Key: Hashable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64
        var directory: String
        var timeout: Int
        var memoryMiB: Int
    }

    private let hellos = Locked<[Key: Result<ExternalPlugin, PluginError>]>([:])
    private let flights = Locked<[Key: Flight]>([:])

    /// A handshake in progress; `done` is signalled once `result` is set (and passed on by each
    /// waiter).
    final class Flight: Sendable {
        let result = Locked<Result<ExternalPlugin, PluginError>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }
    /// Handshakes actually run (a process started), for tests and `--log-level debug`.
    private let started = Locked(0)

    var handshakesStarted: Int { started.withLock { $0 } }

    static func key(path: String, settings: PluginSettings) -> Key? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Key(
            path: path, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec), modifiedNanoseconds: Int64(info.st_mtim.tv_nsec),
            directory: settings.directory, timeout: settings.timeout, memoryMiB: settings.memoryMiB)
    }

    func handshake(name: String, path: String, settings: PluginSettings, logger: Logger) throws(PluginError)
        -> ExternalPlugin
    {
        let key = Self.key(path: path, settings: settings)
        if let key, let known = hellos.withLock({ $0[key] }) {
            switch known {
            case .success(let plugin) where plugin.name == name:
                logger.debug("plugin \(name): unchanged since its last handshake; not started again")
                return plugin
            case .failure(var error) where error.plugin == name:
                error.what += " (at an earlier load; its file has not changed since: touch it to try again)"
                throw error
            default: break
            }
        }
        // A handshake of the same file still running (a load that stopped waiting for it, then a
        // reload): wait for it rather than start the plugin a second time.
        if let key {
            let (flight, mine) = flights.withLock { flights -> (Flight, Bool) in
                if let running = flights[key] { return (running, false) }
                let flight = Flight()
                flights[key] = flight
                return (flight, true)
            }
            if !mine {
                flight.done.wait()
                flight.done.signal()
                if let result = flight.result.withLock({ $0 }) { return try result.get() }
            }
        }
        started.withLock { $0 += 1 }
        let result: Result<ExternalPlugin, PluginError>
        do throws(PluginError) {
            result = .success(try ExternalPlugin.handshake(name: name, path: path, settings: settings, logger: logger))
        } catch {
            result = .failure(error)
        }
        if let key {
            // Kept only when the file did not change while the plugin answered.
            if Self.key(path: path, settings: settings) == key {
                switch result {
                case .success: hellos.withLock { $0[key] = result }
                case .failure(let error) where error.timedOut: hellos.withLock { $0[key] = result }
                case .failure: break
                }
            }
            if let flight = flights.withLock({ $0.removeValue(forKey: key) }) {
                flight.result.withLock { $0 = result }
                flight.done.signal()
            }
        }
        return try result.get()
    }
}
