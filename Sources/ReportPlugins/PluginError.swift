/// Why an external plugin could not answer. The message names the plugin and what it did.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public var plugin: String
    /// What the plugin did, without its name: "timed out after 30s".
    public var what: String
    /// The last lines the plugin wrote to standard error (escaped), when it wrote any.
    public var standardError: [String]
    /// Whether the plugin ran out of time (rather than failing at once).
    public var timedOut = false

    public init(plugin: String, what: String, standardError: [String] = []) {
        self.plugin = plugin
        self.what = what
        self.standardError = standardError
    }

    public var description: String { "plugin '\(plugin)' \(what)" }
}
