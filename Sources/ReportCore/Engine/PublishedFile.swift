/// One published file: its path under the output root, size and SHA-256.
public struct PublishedFile: Sendable, Codable, Equatable {
    public var path: String
    public var bytes: Int
    public var sha256: String

    public init(path: String, bytes: Int, sha256: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
    }
}
