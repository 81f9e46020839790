/// An output format: turns a report's computed table into the bytes of one file.
///
/// Each writer is a module of its own under `Writers/<Format>/` (target `Writer<Format>`, depending
/// on ReportCore alone), registered in one line of `BuiltinWriters` (module ReportWriters); a
/// report names it in `formats:` by `format`.
public protocol ReportWriter: Sendable {
    /// The name reports use in `formats:` (`csv`).
    static var format: String { get }
    /// The extension of the files written (`csv`, `txt`).
    static var fileExtension: String { get }
    /// The file's bytes for `result`, computed for the run `context` describes (report, slot,
    /// dataset figures, locale).
    func render(_ result: ReportResult, context: RunContext) throws(WriterError) -> [UInt8]
    /// Whether the file shows the dataset's SHA-256 (a run whose outputs all leave it out skips
    /// computing it); true unless the writer says otherwise.
    static var showsDatasetChecksum: Bool { get }
}

extension ReportWriter {
    public static var showsDatasetChecksum: Bool { true }
}

/// Why a writer could not render a result.
public struct WriterError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The output formats reportd knows, by name, in the order they were registered (which is the
/// order messages list them in).
public struct WriterRegistry: Sendable {
    public private(set) var writers: [any ReportWriter] = []

    public init(_ writers: [any ReportWriter] = []) {
        for writer in writers where self.writer(for: type(of: writer).format) == nil { self.writers.append(writer) }
    }

    /// Every format name, in registration order.
    public var formats: [String] { writers.map { type(of: $0).format } }

    /// The writer of `format`, or nil when none is registered under that name.
    public func writer(for format: String) -> (any ReportWriter)? {
        writers.first { type(of: $0).format == format }
    }

    /// The file extension of `format`'s files (the format's name when it is not registered).
    public func fileExtension(of format: String) -> String {
        writer(for: format).map { type(of: $0).fileExtension } ?? format
    }
}
