import Foundation

/// A value behind a lock, with `Synchronization.Mutex`'s `withLock`.
///
/// Used instead of `Mutex` because ThreadSanitizer cannot see `Mutex` on Linux: it locks with
/// atomics and futex calls inside the uninstrumented standard library, so every access it guards
/// is reported as a race (`swift test --sanitize=thread`, scripts/sanitizers.sh) and real races
/// would drown among them. This locks a pthread mutex (`NSLock`), which ThreadSanitizer
/// intercepts; uncontended, it costs about the same.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    package func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
