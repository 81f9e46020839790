import ReportCore

/// Lets the scheduler stop a run (timeout, shutdown) that executes outside structured concurrency.
///
/// A stopped run publishes nothing: the runner asks `isStopped` just before publishing. Whoever
/// waits for the run is told at once through `onStop`, without waiting for the work to return.
public final class RunControl: Sendable {
    private struct State {
        var reason: String?
        var handlers: [@Sendable (String) -> Void] = []
    }

    private let state = Locked(State())

    public init() {}

    public var isStopped: Bool { state.withLock { $0.reason != nil } }
    public var stopReason: String? { state.withLock { $0.reason } }

    /// Stops the run; the first reason wins.
    public func stop(_ reason: String) {
        let handlers: [@Sendable (String) -> Void] = state.withLock { s in
            guard s.reason == nil else { return [] }
            s.reason = reason
            defer { s.handlers = [] }
            return s.handlers
        }
        for h in handlers { h(reason) }
    }

    /// Calls `handler` when the run is stopped (at once if it is already).
    public func onStop(_ handler: @escaping @Sendable (String) -> Void) {
        let reason: String? = state.withLock { s in
            if s.reason == nil { s.handlers.append(handler) }
            return s.reason
        }
        if let reason { handler(reason) }
    }
}

/// Resumes a continuation once, whichever of several racers gets there first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Locked<CheckedContinuation<T, Never>?>

    init(_ c: CheckedContinuation<T, Never>) { continuation = Locked(c) }

    func resume(_ value: T) {
        let c = continuation.withLock { c in
            defer { c = nil }
            return c
        }
        c?.resume(returning: value)
    }
}
