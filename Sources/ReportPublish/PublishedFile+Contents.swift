import Crypto
public import Foundation
public import ReportCore

extension PublishedFile {
    /// The figures of `bytes` published at `path`.
    public init(path: String, contents: [UInt8]) {
        self.init(path: path, bytes: contents.count, sha256: Self.sha256(contents))
    }

    public static func sha256(_ bytes: some DataProtocol) -> String { Hex.string(SHA256.hash(data: bytes)) }
}
