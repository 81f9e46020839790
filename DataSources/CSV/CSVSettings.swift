public import ReportCore

/// A CSV dataset's own keys: `encoding` and `delimiter` (Excel on Windows saves Windows-1258 or
/// UTF-16 text, and semicolons where the decimal point is a comma).
public struct CSVSettings: Sendable, Equatable {
    /// The file's character encoding; a byte-order mark at the file's start overrides it.
    public var encoding: CSVEncoding = .utf8
    /// The byte between fields.
    public var delimiter: UInt8 = UInt8(ascii: ",")

    public init() {}
}

/// The encodings a CSV dataset may be in; all but UTF-8 are converted by the system's iconv.
public enum CSVEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16 = "utf-16"
    case utf16le = "utf-16le"
    case utf16be = "utf-16be"
    case windows1258 = "windows-1258"
    case windows1252 = "windows-1252"

    /// The name glibc's iconv knows it by.
    var iconvName: String {
        switch self {
        case .utf8: return "UTF-8"
        case .utf16: return "UTF-16"
        case .utf16le: return "UTF-16LE"
        case .utf16be: return "UTF-16BE"
        case .windows1258: return "WINDOWS-1258"
        case .windows1252: return "WINDOWS-1252"
        }
    }
}

extension CSVSourceKind {
    public static let settingsKeys = ["encoding", "delimiter"]

    /// The delimiters a CSV dataset may name (a tab is written `"\t"` in YAML).
    static let delimiters = [",", ";", "\t"]

    public static func readSettings(_ settings: inout some SettingsReader, into config: inout DatasetConfig) {
        // On top of what `config` has already (a test fixture starts from its dataset's settings).
        var csv = config.csv
        if let encoding = settings.choice("encoding", as: CSVEncoding.self) { csv.encoding = encoding }
        if let text = settings.string("delimiter") {
            if let index = delimiters.firstIndex(of: text) {
                csv.delimiter = Array(delimiters[index].utf8)[0]
            } else {
                settings.error(
                    "'delimiter' must be \",\", \";\" or \"\\t\" (a tab), not '\(text.escapingControlCharacters)'",
                    at: "delimiter")
            }
        }
        config.csv = csv
    }
}

extension DatasetConfig {
    /// `encoding` and `delimiter` of a CSV dataset.
    public var csv: CSVSettings {
        get { options[CSVSettings.self] ?? CSVSettings() }
        set { options[CSVSettings.self] = newValue }
    }
}
