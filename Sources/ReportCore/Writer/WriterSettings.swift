/// A component's own keys in a report file (a writer's `csv:`), as the config loader hands them
/// over: typed values, each problem reported at its key (FILE:LINE:COL) by the loader, which is
/// the only code that sees YAML. A missing key and a wrong value both read as nil (the wrong value
/// is reported).
public protocol SettingsReader {
    mutating func bool(_ key: String) -> Bool?
    mutating func string(_ key: String) -> String?
    /// One of `options`; anything else is reported with the options and a did-you-mean.
    mutating func choice(_ key: String, among options: [String]) -> String?
    /// Reports `message` at `key`'s value (or at the settings when the key is absent).
    mutating func error(_ message: String, at key: String)
}

extension SettingsReader {
    /// One of an enumeration's raw values.
    public mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) -> T?
    where T.RawValue == String {
        choice(key, among: T.allCases.map(\.rawValue)).flatMap(T.init(rawValue:))
    }
}

/// The settings writers read from their own keys in a report file, kept on the report by their
/// type: ReportCore stores them without knowing any writer's.
public struct WriterOptions: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    public subscript<Options: Sendable>(_ type: Options.Type) -> Options? {
        get { values[ObjectIdentifier(type)] as? Options }
        set { values[ObjectIdentifier(type)] = newValue }
    }

    public subscript<Options: Sendable>(_ type: Options.Type, default value: @autoclosure () -> Options) -> Options {
        get { self[type] ?? value() }
        set { self[type] = newValue }
    }
}

/// A writer with settings of its own in the report file, under one key (`csv: {bom: true}`).
public protocol ConfigurableWriter: ReportWriter {
    /// The report-file key holding the settings (`csv`).
    static var settingsKey: String { get }
    /// The keys allowed inside it; any other is reported with a did-you-mean.
    static var settingsKeys: [String] { get }
    /// Reads the settings into the report's definition.
    static func readSettings(_ settings: inout some SettingsReader, into report: inout ReportDefinition)
    /// Whether the daemon config may set defaults for these settings under `output:` (`output:
    /// {csv: {bom: true}}`), which every report starts from and its own key overrides key by key.
    /// False unless the writer says otherwise.
    static var hasDaemonDefaults: Bool { get }
}

extension ConfigurableWriter {
    public static var hasDaemonDefaults: Bool { false }
}
