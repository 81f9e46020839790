import Foundation
import Logging
import ReportCore

/// Where plugins live and how much they may use (daemon config `plugins`, `plugin_timeout`,
/// `plugin_memory`).
public struct PluginSettings: Sendable {
    public var directory: String
    /// Seconds one plugin process may take, handshake included.
    public var timeout: Int
    /// Address-space limit of each plugin process, in MiB.
    public var memoryMiB: Int
}

/// An external plugin that passed its handshake: an executable and the calculators it declared.
public struct ExternalPlugin: Sendable {
    public var name: String
    public var path: String
    public var version: String
    public var calculators: [ExternalCalculator]

    /// The protocol version reportd speaks (PLUGINS.md).
    public static let protocolVersion = 1

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
        guard reply.protocol == protocolVersion else {
            throw PluginError(
                plugin: name, what: "speaks protocol \(reply.protocol); reportd speaks protocol \(protocolVersion)")
        }
        var calculators: [ExternalCalculator] = []
        for declaration in reply.calculators ?? [] {
            calculators.append(
                try ExternalCalculator(
                    plugin: name, path: path, declaration: declaration, version: reply.plugin?.version,
                    settings: settings, logger: logger))
        }
        guard !calculators.isEmpty else { throw PluginError(plugin: name, what: "declared no calculators") }
        return ExternalPlugin(name: name, path: path, version: reply.plugin?.version ?? "", calculators: calculators)
    }
}

/// A plugin that was meant to load and did not, and why: what `status` names for a report whose
/// calculator is therefore unavailable.
public struct PluginProblem: Codable, Sendable, Equatable {
    /// The plugin's name (its file name without extension); empty when the plugins folder is missing.
    public var name: String
    /// The plugin's file (or the missing plugins folder), as messages name it.
    public var file: String
    public var reason: String

    public init(name: String, file: String, reason: String) {
        self.name = name
        self.file = file
        self.reason = reason
    }
}

/// Loads every plugin of a daemon config: the calculators that passed their handshake, a
/// diagnostic for each plugin that did not, and the same as typed problems.
public enum PluginLoader {
    public static func load(_ settings: PluginSettings, builtIn: CalculatorRegistry, logger: Logger) -> (
        [ExternalCalculator], [Diagnostic], [PluginProblem]
    ) {
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
        for (name, path) in plugins {
            func problem(_ message: String) {
                diagnostics.append(
                    Diagnostic(file: DisplayPath.of(path), line: 0, column: 0, message: "plugin '\(name)': \(message)"))
            }
            do {
                let plugin = try ExternalPlugin.handshake(name: name, path: path, settings: settings, logger: logger)
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
            } catch {
                problem("handshake failed: \(error.what); its calculators are unavailable")
                failed.append(
                    PluginProblem(name: name, file: DisplayPath.of(path), reason: "handshake failed: \(error.what)"))
            }
        }
        return (calculators, diagnostics, failed)
    }
}
