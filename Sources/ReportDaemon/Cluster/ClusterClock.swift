public import Foundation
public import ReportCluster

/// A cluster node's scheduler clock: the node's own clock corrected by the offset of the cluster
/// database's clock, as the heartbeat last measured it, so that nodes whose clocks disagree still
/// see each slot come due at the same instant (the database's). The claims never trust it: a slot
/// whose time has not come by the database's `now()` is not claimed.
public struct ClusterClock: WallClock {
    let node: any WallClock
    let agent: ClusterAgent

    public init(node: any WallClock, agent: ClusterAgent) {
        self.node = node
        self.agent = agent
    }

    public func now() -> Date { node.now().addingTimeInterval(agent.offset) }

    /// Sleeps in steps of at most 5 s, reading the corrected clock after each (the offset may change).
    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(now())
            if remaining <= 0 { return }
            try await Task.sleep(for: .seconds(min(remaining, 5)))
        }
    }
}
