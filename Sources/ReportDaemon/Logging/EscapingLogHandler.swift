public import Logging
import ReportCore

/// A log handler that escapes control characters in every message and metadata value before the
/// handler it wraps writes them.
///
/// Why: messages quote what users and datasets wrote (a header name, a cell, a plugin's error); a
/// line break in one forged a log line of its own, and an escape sequence reached the terminal of
/// whoever read the log (issue 13). Escaping here covers every message, wherever it was made.
public struct EscapingLogHandler<Wrapped: LogHandler>: LogHandler {
    public var wrapped: Wrapped

    public init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(event.message.description.escapingControlCharacters)"
        event.metadata = event.metadata.map(Self.escaped)
        var inner = wrapped
        inner.metadata = Self.escaped(wrapped.metadata)
        inner.log(event: event)
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escaped)
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let s): return .string(s.escapingControlCharacters)
        case .stringConvertible(let c): return .string(c.description.escapingControlCharacters)
        case .array(let a): return .array(a.map(escaped))
        case .dictionary(let d): return .dictionary(d.mapValues(escaped))
        }
    }
}
