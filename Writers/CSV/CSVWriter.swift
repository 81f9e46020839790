public import ReportCore

/// Writes a result as RFC 4180 CSV: UTF-8, a header row, `.` as the decimal point, no grouping.
public struct CSVWriter: ConfigurableWriter {
    public static let format = "csv"
    public static let fileExtension = "csv"
    /// The CSV holds the table alone.
    public static let showsDatasetChecksum = false

    public init() {}

    /// `csv: {bom: true, line_endings: crlf}` in the report file.
    public static let settingsKey = "csv"
    public static let settingsKeys = ["bom", "line_endings"]

    public static func readSettings(_ settings: inout some SettingsReader, into report: inout ReportDefinition) {
        if let bom = settings.bool("bom") { report.csvBOM = bom }
        if let ends = settings.choice("line_endings", as: CSVLineEndings.self) { report.lineEndings = ends }
    }

    /// With the report's `csv.bom` and `csv.line_endings`.
    public func render(_ result: ReportResult, context: RunContext) -> [UInt8] {
        Self.render(result, bom: context.report.csvBOM, lineEndings: context.report.lineEndings)
    }

    public static func render(_ result: ReportResult, bom: Bool, lineEndings: CSVLineEndings) -> [UInt8] {
        let eol = lineEndings == .crlf ? "\r\n" : "\n"
        var text = ""
        text += result.columns.map { field(neutralized($0.name)) }.joined(separator: ",") + eol
        for row in result.rows {
            text += row.map { value in
                if case .string(let s) = value { return field(neutralized(s)) }
                return field(value.description)
            }.joined(separator: ",") + eol
        }
        return (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
    }

    static func neutralized(_ s: String) -> String { CSVText.neutralized(s) }

    static func field(_ s: String) -> String { CSVText.field(s) }
}

/// `csv.line_endings`.
public enum CSVLineEndings: String, Sendable, CaseIterable { case lf, crlf }

/// The `csv:` settings of a report.
public struct CSVOptions: Sendable, Equatable {
    public var bom = false
    public var lineEndings: CSVLineEndings = .lf

    public init() {}
}

extension ReportDefinition {
    /// `csv.bom`: whether the CSV starts with a UTF-8 byte-order mark.
    public var csvBOM: Bool {
        get { writerOptions[CSVOptions.self]?.bom ?? false }
        set { writerOptions[CSVOptions.self, default: CSVOptions()].bom = newValue }
    }

    /// `csv.line_endings`.
    public var lineEndings: CSVLineEndings {
        get { writerOptions[CSVOptions.self]?.lineEndings ?? .lf }
        set { writerOptions[CSVOptions.self, default: CSVOptions()].lineEndings = newValue }
    }
}
