import Foundation
import ZIPFoundation

/// Reads a workbook's archive back, for the tests: its parts by path, in archive order.
enum Workbook {
    static func parts(_ bytes: [UInt8]) throws -> [(path: String, content: [UInt8])] {
        let archive = try Archive(data: Data(bytes), accessMode: .read)
        var out: [(String, [UInt8])] = []
        for entry in archive {
            var content: [UInt8] = []
            _ = try archive.extract(entry) { content += $0 }
            out.append((entry.path, content))
        }
        return out
    }

    /// One part as text.
    static func part(_ bytes: [UInt8], _ path: String) throws -> String {
        let found = try parts(bytes).first { $0.path == path }
        return String(decoding: found?.content ?? [], as: UTF8.self)
    }

    /// The files under `folder`, by their path below it.
    static func files(under folder: URL) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return out }
        for case let relative as String in walker {
            var isFolder: ObjCBool = false
            let full = base + "/" + relative
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else {
                continue
            }
            out[relative] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: full)))
        }
        return out
    }
}
