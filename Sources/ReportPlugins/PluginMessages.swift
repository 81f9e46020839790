import Foundation
import ReportFiles
import ReportCore

/// The messages of the plugin protocol, version 1 (PLUGINS.md).
enum PluginMessages {
    /// `protocol` stays 1 for the plugins written for it; `protocols` lists what reportd speaks.
    static let hello = Array("{\"type\": \"hello\", \"protocol\": 1, \"protocols\": [1, 2]}\n".utf8)

    struct Hello: Decodable {
        var type: String
        var `protocol`: Version
        var plugin: Info?
        var calculators: [Declaration]?

        struct Info: Decodable {
            var name: String?
            var version: String?
        }
    }

    /// The `protocol` field: a number, or what it was instead (so that the error can say so).
    enum Version: Decodable, Equatable {
        case number(Int)
        case notANumber(String)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) {
                self = .number(n)
            } else if let s = try? c.decode(String.self) {
                self = .notANumber("the string \(JSONText.string(PluginText.escape(s, limit: 40)))")
            } else if c.decodeNil() {
                self = .notANumber("null")
            } else {
                self = .notANumber("not an integer")
            }
        }
    }

    /// What a value of a plugin's answer is, for an error about it: JSONCell reads every value it
    /// cannot use as "other", which would call 1e999 an object or array.
    enum Shape: Decodable {
        case fits, array, object, outOfRange

        init(from decoder: any Decoder) throws {
            if (try? decoder.unkeyedContainer()) != nil {
                self = .array
            } else if (try? decoder.container(keyedBy: AnyKey.self)) != nil {
                self = .object
            } else {
                let c = try decoder.singleValueContainer()
                if c.decodeNil() || (try? c.decode(Bool.self)) != nil || (try? c.decode(String.self)) != nil
                    || (try? c.decode(Int64.self)) != nil || (try? c.decode(Double.self)) != nil
                {
                    self = .fits
                } else {
                    self = .outOfRange
                }
            }
        }

        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    struct Shapes: Decodable { var values: [Shape] }

    /// Why value `index` of the answer `line` is not usable, when its shape says it better than
    /// JSONCell does: "a number out of range", "an array", "an object".
    static func shapeProblem(_ line: [UInt8], index: Int) -> String? {
        guard let shapes = try? JSONDecoder().decode(Shapes.self, from: Data(line)), index < shapes.values.count else {
            return nil
        }
        switch shapes.values[index] {
        case .fits: return nil
        case .array: return "an array"
        case .object: return "an object"
        case .outOfRange: return "a number out of range (beyond a 64-bit float)"
        }
    }

    struct Declaration: Decodable {
        var name: String
        var summary: String?
        var result: String
        var parameters: [Parameter]?
    }

    struct Parameter: Decodable {
        var name: String
        var kind: String
        var types: [String]?
        var min: Double?
        var max: Double?
        var required: Bool?
        var summary: String?
    }

    struct Answer: Decodable {
        var type: String
        var id: Int?
        var values: [JSONCell]?
        var message: String?
    }

    /// A short, printable piece of what a plugin wrote.
    static func excerpt(_ line: [UInt8]) -> String {
        let text = PluginText.escape(line.prefix(80))
        return "'\(text)\(line.count > 80 ? "…" : "")'"
    }
}
