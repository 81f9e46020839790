public import Foundation
import ReportCore
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// What a `delivery` line of the run history says about the mail beyond its outcome.
public struct DeliveryRecord: Codable, Sendable, Equatable {
    public var recipients: [String]
    /// The attachments' names in the mail, and the published files too large to attach.
    public var attached: [String]
    public var omitted: [String]
    /// Sendmail attempts made.
    public var attempts: Int
    /// The message's size in bytes (the last attempt's).
    public var messageBytes: Int

    public init(recipients: [String], attached: [String], omitted: [String], attempts: Int, messageBytes: Int) {
        self.recipients = recipients
        self.attached = attached
        self.omitted = omitted
        self.attempts = attempts
        self.messageBytes = messageBytes
    }

    enum CodingKeys: String, CodingKey {
        case recipients, attached, omitted, attempts
        case messageBytes = "message_bytes"
    }
}

/// What reportd remembers about a report's mail between runs and restarts
/// (`STATE/mail/NAME.json`): its deliveries, for `status` and the metrics file, and the notices
/// sent to its owners, so that a failed or overdue slot is told once and its recovery once.
public struct DeliveryState: Codable, Sendable, Equatable {
    public var deliveriesTotal = 0
    public var deliveryFailuresTotal = 0
    public var lastDelivery: LastDelivery?
    /// Slots a failure or overdue notice was sent for (the newest 100).
    public var noticedSlots: [Date] = []
    /// A failure or overdue notice was sent and no run has succeeded since: the next success sends
    /// a "recovered" notice.
    public var awaitingRecovery = false

    public struct LastDelivery: Codable, Sendable, Equatable {
        public var slot: Date
        public var finishedAt: Date
        public var outcome: RunOutcome
        public var attempts: Int
        public var error: String?

        public init(slot: Date, finishedAt: Date, outcome: RunOutcome, attempts: Int, error: String?) {
            self.slot = slot
            self.finishedAt = finishedAt
            self.outcome = outcome
            self.attempts = attempts
            self.error = error
        }

        enum CodingKeys: String, CodingKey {
            case slot, outcome, attempts, error
            case finishedAt = "finished_at"
        }
    }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case deliveriesTotal = "deliveries_total"
        case deliveryFailuresTotal = "delivery_failures_total"
        case lastDelivery = "last_delivery"
        case noticedSlots = "noticed_slots"
        case awaitingRecovery = "awaiting_recovery"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deliveriesTotal = try c.decodeIfPresent(Int.self, forKey: .deliveriesTotal) ?? 0
        deliveryFailuresTotal = try c.decodeIfPresent(Int.self, forKey: .deliveryFailuresTotal) ?? 0
        lastDelivery = try c.decodeIfPresent(LastDelivery.self, forKey: .lastDelivery)
        noticedSlots = try c.decodeIfPresent([Date].self, forKey: .noticedSlots) ?? []
        awaitingRecovery = try c.decodeIfPresent(Bool.self, forKey: .awaitingRecovery) ?? false
    }

    /// Notes that a notice went out (or is about to) for `slot`; false when one already had.
    public mutating func noteNotice(for slot: Date) -> Bool {
        guard !noticedSlots.contains(slot) else { return false }
        noticedSlots.append(slot)
        if noticedSlots.count > 100 { noticedSlots.removeFirst(noticedSlots.count - 100) }
        awaitingRecovery = true
        return true
    }
}

/// The mail states under `STATE/mail/`, written atomically and privately like the reports' states.
public struct DeliveryStateStore: Sendable {
    public let stateDirectory: String

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    var directory: String { stateDirectory + "/mail" }

    /// The report's mail state; empty when there is none (or it is damaged: the next write fixes it).
    public func load(_ report: String) -> DeliveryState {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(report).json") else {
            return DeliveryState()
        }
        return (try? StateStore.decoder.decode(DeliveryState.self, from: data)) ?? DeliveryState()
    }

    public func save(_ state: DeliveryState, for report: String) throws {
        let permissions = FilePermissions.private(in: stateDirectory)
        let state = try StateStore.encoder.encode(state)
        let top = try ConfinedFolder.open(atPath: stateDirectory, permissions: permissions)
        defer { close(top) }
        let folder = try ConfinedFolder.openChild("mail", in: top, path: directory, permissions: permissions)
        defer { close(folder) }
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: "\(report).json", bytes: Array(state))], in: folder, path: directory,
            permissions: permissions)
    }

    /// One change at a time in this process: the scheduler's loop and a cluster node's overdue
    /// check (off the loop) both change a report's mail state.
    private static let changes = Locked(())

    /// Changes the report's state with `change` and saves it; returns what `change` returned.
    @discardableResult
    public func update<T>(_ report: String, _ change: (inout DeliveryState) -> T) throws -> T {
        try Self.changes.withLock { _ throws -> T in
            var state = load(report)
            let result = change(&state)
            try save(state, for: report)
            return result
        }
    }

    /// Records a finished delivery (after its attempts).
    public func recordDelivery(
        _ report: String, slot: Date, finished: Date, attempts: Int, error: String?
    ) throws {
        try update(report) { state in
            state.deliveriesTotal += 1
            if error != nil { state.deliveryFailuresTotal += 1 }
            state.lastDelivery = .init(
                slot: slot, finishedAt: finished, outcome: error == nil ? .success : .failed, attempts: attempts,
                error: error)
        }
    }
}
