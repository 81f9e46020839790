public import ReportCore
import WriterCSV
import WriterHTML
import WriterJSON
import WriterText
import WriterXLSX

/// The built-in output formats, registered explicitly in one place (as `BuiltinCalculators`).
/// Adding a format: its folder under `Writers/`, its name in Package.swift's `writerFolders`, and
/// one entry in `all` and `folders` here.
public enum BuiltinWriters {
    /// Every built-in writer, in the order messages list the formats.
    public static let all: [any ReportWriter] = [CSVWriter(), JSONWriter(), TextWriter(), HTMLWriter(), XLSXWriter()]

    /// The folder under `Writers/` that holds each format's module, for the layout test.
    public static let folders: [String: String] = ["csv": "CSV", "json": "JSON", "text": "Text", "html": "HTML", "xlsx": "XLSX"]

    /// A registry holding every built-in writer.
    public static var registry: WriterRegistry { WriterRegistry(all) }
}
