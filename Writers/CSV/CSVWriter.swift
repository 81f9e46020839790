public import ReportCore

/// Writes a result as RFC 4180 CSV: UTF-8, a header row, no digit grouping.
///
/// Options (`csv:` in a report, or `output: {csv: ...}` in the daemon config for every report):
/// `bom: true` and `line_endings: crlf` for Excel on Windows; `delimiter: ";"` (or a tab) for
/// Excel in a locale whose list separator is `;`; `header: labels` for the columns' labels in
/// the header row instead of their names. Values stay codes (never value labels) and numbers stay
/// numbers a program can read back.
///
/// Decimal mark: `.`, except with `delimiter: ";"`, where decimals are written with a decimal
/// comma (`1234,5`). `;` is the list separator of exactly the locales whose decimal mark is a comma
/// (vi-VN, and de-DE, fr-FR…), and Excel in such a locale opens a `;` file by double-click and reads
/// `1234,5` as a number but `1234.5` as text. Integers have no mark and are the same either way.
public struct CSVWriter: ConfigurableWriter {
    public static let format = "csv"
    public static let fileExtension = "csv"
    /// The CSV holds the table alone.
    public static let showsDatasetChecksum = false

    public init() {}

    /// `csv: {bom: true, line_endings: crlf, delimiter: ";", header: labels}` in the report file.
    public static let settingsKey = "csv"
    public static let settingsKeys = ["bom", "line_endings", "delimiter", "header"]
    /// `output: {csv: {bom: true, line_endings: crlf}}` in the daemon config sets every report's defaults.
    public static let hasDaemonDefaults = true

    public static func readSettings(_ settings: inout some SettingsReader, into report: inout ReportDefinition) {
        if let bom = settings.bool("bom") { report.csvBOM = bom }
        if let ends = settings.choice("line_endings", as: CSVLineEndings.self) { report.lineEndings = ends }
        if let delimiter = settings.choice("delimiter", among: CSVDelimiter.names) {
            report.csv.delimiter = CSVDelimiter(name: delimiter) ?? .comma
        }
        if let header = settings.choice("header", as: CSVHeader.self) { report.csv.header = header }
    }

    /// With the report's `csv:` options.
    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        Self.render(result, options: context.report.csv)
    }

    public static func render(_ result: ReportResult, bom: Bool, lineEndings: CSVLineEndings) -> [UInt8] {
        var options = CSVOptions()
        options.bom = bom
        options.lineEndings = lineEndings
        return render(result, options: options)
    }

    public static func render(_ result: ReportResult, options: CSVOptions) -> [UInt8] {
        let eol = options.lineEndings == .crlf ? "\r\n" : "\n"
        let delimiter = options.delimiter.byte
        let separator = String(UnicodeScalar(delimiter))
        func field(_ s: String) -> String { CSVText.field(s, delimiter: delimiter) }
        var text = ""
        let header = result.columns.map { options.header == .labels ? $0.title : $0.name }
        text += header.map { field(neutralized($0)) }.joined(separator: separator) + eol
        for row in result.rows {
            text += row.map { value in
                switch value {
                case .string(let s): return field(neutralized(s))
                case .decimal where options.decimalComma:
                    return field(value.description.replacingOccurrences(of: ".", with: ","))
                default: return field(value.description)
                }
            }.joined(separator: separator) + eol
        }
        return (options.bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
    }

    static func neutralized(_ s: String) -> String { CSVText.neutralized(s) }

    static func field(_ s: String) -> String { CSVText.field(s) }
}

/// `csv.line_endings`.
public enum CSVLineEndings: String, Sendable, CaseIterable { case lf, crlf }

/// `csv.header`: the columns' names (default) or their labels.
public enum CSVHeader: String, Sendable, CaseIterable { case names, labels }

/// `csv.delimiter`: `","` (default), `";"` or a tab (`"\t"` or `tab`).
public enum CSVDelimiter: String, Sendable, CaseIterable {
    case comma = ","
    case semicolon = ";"
    case tab = "\t"

    /// The spellings `delimiter:` accepts.
    public static let names = [",", ";", "\t", "tab"]

    public init?(name: String) {
        if name == "tab" { self = .tab } else { self.init(rawValue: name) }
    }

    var byte: UInt8 { rawValue.utf8.first! }
}

/// The `csv:` settings of a report.
public struct CSVOptions: Sendable, Equatable {
    public var bom = false
    public var lineEndings: CSVLineEndings = .lf
    public var delimiter: CSVDelimiter = .comma
    public var header: CSVHeader = .names

    public init() {}

    /// Whether decimals are written with a comma: with `delimiter: ";"` (see `CSVWriter`).
    public var decimalComma: Bool { delimiter == .semicolon }
}

extension ReportDefinition {
    /// The report's `csv:` options (the daemon's `output.csv` defaults, then its own keys).
    public var csv: CSVOptions {
        get { writerOptions[CSVOptions.self] ?? CSVOptions() }
        set { writerOptions[CSVOptions.self] = newValue }
    }

    /// `csv.bom`: whether the CSV starts with a UTF-8 byte-order mark.
    public var csvBOM: Bool {
        get { csv.bom }
        set { csv.bom = newValue }
    }

    /// `csv.line_endings`.
    public var lineEndings: CSVLineEndings {
        get { csv.lineEndings }
        set { csv.lineEndings = newValue }
    }
}
