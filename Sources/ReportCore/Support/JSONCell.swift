import Foundation

/// One JSON value of a record, decoded without losing 64-bit integers.
public enum JSONCell: Decodable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), other

    public struct Mismatch: Error { public var message: String }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            self = .other
        }
    }

    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .other: return "(object or array)"
        }
    }

    public func value(as type: ColumnType) -> Result<Value, Mismatch> {
        switch (type, self) {
        case (_, .null): return .success(.null)
        case (.string, .string(let s)): return .success(s.isEmpty ? .null : .string(NFC.normalize(s)))
        case (.int, .int(let i)): return .success(.int(i))
        case (.decimal, .int(let i)): return .success(.decimal(Double(i)))
        case (.decimal, .double(let d)): return .success(.decimal(d))
        case (.bool, .bool(let b)): return .success(.bool(b))
        case (.date, .string(let s)):
            if let d = Day(iso: s) { return .success(.date(d)) }
            return .failure(Mismatch(message: "'\(s)' is not a date (YYYY-MM-DD)"))
        default: return .failure(Mismatch(message: "\(text) is not \(type == .int ? "an" : "a") \(type)"))
        }
    }

    public static func explain(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        }
        return "\(error)"
    }
}
