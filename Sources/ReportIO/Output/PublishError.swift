/// Why outputs could not be published.
public struct PublishError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case diskFull, permissionDenied, symlinkRefused, unsafeName, io }

    public var code: Code
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}
