/// Why an external plugin could not answer. The message names the plugin and what it did.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public var plugin: String
    /// What the plugin did, without its name: "timed out after 30s".
    public var what: String

    public init(plugin: String, what: String) {
        self.plugin = plugin
        self.what = what
    }

    public var description: String { "plugin '\(plugin)' \(what)" }
}
