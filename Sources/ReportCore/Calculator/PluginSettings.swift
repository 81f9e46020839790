public import Foundation

/// Where plugins live and how much they may use (daemon config `plugins`, `plugin_timeout`,
/// `plugin_memory`).
public struct PluginSettings: Sendable {
    public var directory: String
    /// Seconds one plugin process may take, handshake included.
    public var timeout: Int
    /// Data limit (RLIMIT_DATA: heap and private writable mappings) of each plugin process, in MiB.
    public var memoryMiB: Int

    public init(directory: String, timeout: Int, memoryMiB: Int) {
        self.directory = directory
        self.timeout = timeout
        self.memoryMiB = memoryMiB
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

/// Starts the plugins of a daemon config and shakes hands with them: the calculators that passed
/// their handshake, a diagnostic for each plugin that did not, and the same as typed problems.
/// ReportPlugins' `PluginLoader.starter` is one; whoever builds a config loader hands it over, so
/// that the loader does not depend on the plugin host.
///
/// - Parameters: the plugins' settings, the built-in calculators (a plugin may not take their
///   names), how long to wait for the handshakes (nil: until each answered or timed out), and what
///   to call when a plugin answers after that.
public typealias PluginStarter =
    @Sendable (
        _ settings: PluginSettings, _ builtIn: CalculatorRegistry, _ wait: TimeInterval?,
        _ lateHello: (@Sendable () -> Void)?
    ) -> ([any Calculator], [Diagnostic], [PluginProblem])
