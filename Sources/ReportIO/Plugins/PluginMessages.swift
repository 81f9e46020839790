import Foundation
import ReportCore

/// The messages of the plugin protocol, version 1 (PLUGINS.md).
enum PluginMessages {
    static let hello = Array("{\"type\": \"hello\", \"protocol\": 1}\n".utf8)

    struct Hello: Decodable {
        var type: String
        var `protocol`: Int
        var plugin: Info?
        var calculators: [Declaration]?

        struct Info: Decodable {
            var name: String?
            var version: String?
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
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        return "'\(text)\(line.count > 80 ? "…" : "")'"
    }
}
