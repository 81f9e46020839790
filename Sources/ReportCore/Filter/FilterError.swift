/// A problem in a filter expression, at a position within it.
public struct FilterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Offset of the problem from the start of the filter text, in Unicode scalars (0-based).
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "filter column \(offset + 1): \(message)" }
}
