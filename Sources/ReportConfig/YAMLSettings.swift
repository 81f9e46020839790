import ReportCore
import Yams

/// A component's settings (`csv:` in a report file) read from their YAML mapping, with the
/// loader's messages: each key is named `'SETTINGS.KEY'` and located at its value.
struct YAMLSettings: SettingsReader {
    var file: YAMLFile
    let fields: Fields
    /// The key holding the settings (`csv`); empty for keys beside the others (a dataset's
    /// `encoding`), which are named alone.
    let prefix: String

    private func what(_ key: String) -> String { prefix.isEmpty ? "'\(key)'" : "'\(prefix).\(key)'" }

    mutating func bool(_ key: String) -> Bool? { fields[key].flatMap { file.bool($0, what(key)) } }

    mutating func string(_ key: String) -> String? { fields[key].flatMap { file.string($0, what(key)) } }

    mutating func choice(_ key: String, among options: [String]) -> String? {
        fields[key].flatMap { file.choice($0, what(key), among: options) }
    }

    mutating func error(_ message: String, at key: String) {
        if let node = fields[key] { file.error(message, at: node) } else { file.error(message, at: fields.mark) }
    }
}
