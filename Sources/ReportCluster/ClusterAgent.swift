public import Foundation
import ReportCore

/// A node's life in its cluster: a thread of its own that beats (the node's row, its claims' and
/// locks' leases), measures the database's clock, notices stale claims of the reports this node
/// loads, and says when the database goes away and comes back.
///
/// A dedicated thread, because every call to the database blocks for up to its deadline: never on
/// Swift's cooperative pool, and never delayed by a busy run.
public final class ClusterAgent: Sendable {
    public let store: ClusterStore
    /// The node's own clock (a test may shift it).
    let localNow: @Sendable () -> Date
    private let sink = Locked<(@Sendable (Event) -> Void)?>(nil)
    private let reports = Locked<[String]>([])
    private let correction = Locked<TimeInterval>(0)
    private let stopped = Locked(false)
    private let healthState = Locked(Health(reachable: nil, since: Date(), problem: nil))

    /// What the agent tells the scheduler.
    public enum Event: Sendable {
        /// The database answers (first contact, or back after an outage): each report's newest
        /// completed slot, by any node, for catch-up.
        case reachable(lastCompleted: [String: CompletedSlot], after: TimeInterval?)
        /// The database stopped answering: no slot can be claimed.
        case unreachable(String)
        /// Claims whose node stopped beating past its lease, or did not retry its failed run within
        /// a lease of the retry's time: another node must run these slots.
        case stale([StaleClaim])
    }

    /// Whether the database answered at the last beat.
    public struct Health: Sendable, Equatable {
        /// nil before the first attempt.
        public var reachable: Bool?
        public var since: Date
        public var problem: String?
    }

    public init(store: ClusterStore, localNow: @escaping @Sendable () -> Date) {
        self.store = store
        self.localNow = localNow
    }

    /// Seconds between beats: a quarter of the lease, from 0.25 s to 5 s.
    public var interval: TimeInterval { min(5, max(0.25, Double(store.lease) / 4)) }

    /// The database's clock minus the node's, as last measured (seconds).
    public var offset: TimeInterval { correction.withLock { $0 } }

    public var health: Health { healthState.withLock { $0 } }

    /// The reports this node loads (the stale claims it looks for).
    public func setReports(_ names: [String]) { reports.withLock { $0 = names.sorted() } }

    /// Measures the database's clock once (start-up, before the first slot is computed); false
    /// when the database did not answer.
    @discardableResult
    public func measure() -> Bool {
        guard let offset = try? store.heartbeat(localNow: localNow) else { return false }
        correction.withLock { $0 = offset }
        return true
    }

    /// Starts beating on a thread of its own; `sink` hears the events.
    public func start(sink: @escaping @Sendable (Event) -> Void) {
        self.sink.withLock { $0 = sink }
        let thread = Thread { [self] in loop() }
        thread.name = "reportd-cluster"
        thread.start()
    }

    public func stop() { stopped.withLock { $0 = true } }

    /// One beat at once (start-up, tests): the same work as the thread's.
    func send(_ event: Event) { sink.withLock { $0 }?(event) }

    public func beatOnce(reported: inout [String: Date], lastPrune: inout Date) {
        do {
            let offset = try store.heartbeat(localNow: localNow)
            correction.withLock { $0 = offset }
            let before = healthState.withLock { $0 }
            if before.reachable != true {
                let completed = try store.lastCompleted()
                healthState.withLock { $0 = Health(reachable: true, since: Date(), problem: nil) }
                send(
                    .reachable(
                        lastCompleted: completed,
                        after: before.reachable == false ? Date().timeIntervalSince(before.since) : nil))
            }
            let now = Date()
            reported = reported.filter { now.timeIntervalSince($0.value) < Double(store.lease) }
            let names = reports.withLock { $0 }
            let stale = try store.staleClaims(reports: names).filter { claim in
                let key = "\(claim.report)\u{0}\(claim.slot.timeIntervalSince1970)"
                guard reported[key] == nil else { return false }
                reported[key] = now
                return true
            }
            if !stale.isEmpty { send(.stale(stale)) }
            if now.timeIntervalSince(lastPrune) > 3600 {
                lastPrune = now
                try? store.prune()
            }
        } catch {
            store.disconnect()
            let first = healthState.withLock { health -> Bool in
                defer { if health.reachable != false { health = Health(reachable: false, since: Date(), problem: "\(error)") } }
                return health.reachable != false
            }
            if first { send(.unreachable("\(error)")) }
        }
    }

    private func loop() {
        var reported: [String: Date] = [:]
        var lastPrune = Date.distantPast
        while !stopped.withLock({ $0 }) {
            let began = Date()
            beatOnce(reported: &reported, lastPrune: &lastPrune)
            let rest = interval - Date().timeIntervalSince(began)
            if rest > 0 { Thread.sleep(forTimeInterval: rest) }
        }
    }
}
