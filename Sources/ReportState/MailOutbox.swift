public import Foundation
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// One message waiting to be sent, as the outbox keeps it: the message itself (its bytes, as the
/// sendmail program would read them) and what its outcome is recorded against.
public struct OutboxEntry: Codable, Sendable, Equatable {
    /// The entry's file name in the outbox.
    public var id: String
    public var report: String
    /// `delivery`, or the notice's kind (`failure`, `overdue`, `recovered`, `alert`…).
    public var kind: String
    /// The slot as the history writes it (local time with its offset), and as a date.
    public var slot: String
    public var slotDate: Date
    public var subject: String
    public var recipients: [String]
    /// The message, base64.
    public var message: String
    /// The attachments' names in the message, with the published files they are (deliveries).
    public var attached: [Attachment]
    public var omitted: [String]
    /// When it was first queued.
    public var queued: Date

    public struct Attachment: Codable, Sendable, Equatable {
        public var name: String
        public var path: String
        public var bytes: Int
        public var sha256: String

        public init(name: String, path: String, bytes: Int, sha256: String) {
            self.name = name
            self.path = path
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public init(
        report: String, kind: String, slot: String, slotDate: Date, subject: String, recipients: [String],
        message: [UInt8], attached: [Attachment] = [], omitted: [String] = [], queued: Date = Date()
    ) {
        self.id = ""
        self.report = report
        self.kind = kind
        self.slot = slot
        self.slotDate = slotDate
        self.subject = subject
        self.recipients = recipients
        self.message = Data(message).base64EncodedString()
        self.attached = attached
        self.omitted = omitted
        self.queued = queued
    }

    /// The message's bytes; nil when the entry's text is not base64 (a damaged entry).
    public var bytes: [UInt8]? { Data(base64Encoded: message).map(Array.init) }
}

/// The messages the daemon has not finished sending, under `STATE/mail/outbox/`, one file each,
/// written atomically and privately like the rest of the state folder.
///
/// A message is put here before its first attempt and removed once its attempts have ended (sent,
/// or failed for good); what a shutdown interrupts stays, and the next `serve` sends it. So a
/// restart (an upgrade, a reboot) while the mail relay is down loses no mail. A message is sent
/// at least once: a daemon killed after the relay took a message but before its entry was removed
/// sends it again.
public struct MailOutbox: Sendable {
    public let stateDirectory: String

    /// Entries older than this are not sent any more (removed with a warning).
    public static let longestWait: TimeInterval = 7 * 86_400

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    public var directory: String { stateDirectory + "/mail/outbox" }

    private func folder() throws(FileError) -> (folder: Int32, close: () -> Void) {
        let permissions = FilePermissions.private(in: stateDirectory)
        let top = try ConfinedFolder.open(atPath: stateDirectory, permissions: permissions)
        defer { Glibc.close(top) }
        let mail = try ConfinedFolder.openChild("mail", in: top, path: stateDirectory + "/mail", permissions: permissions)
        defer { Glibc.close(mail) }
        let outbox = try ConfinedFolder.openChild("outbox", in: mail, path: directory, permissions: permissions)
        return (outbox, { Glibc.close(outbox) })
    }

    /// Queues `entry`; returns it with its id (its file name).
    public func put(_ entry: OutboxEntry) throws -> OutboxEntry {
        var entry = entry
        let millis = Int64((entry.queued.timeIntervalSince1970 * 1000).rounded())
        entry.id = "\(millis)-\(String(UInt32.random(in: .min ... .max), radix: 16)).json"
        let bytes = try StateStore.encoder.encode(entry)
        let (fd, done) = try folder()
        defer { done() }
        try ConfinedFolder.writeAtomically(
            [ConfinedFolder.File(name: entry.id, bytes: Array(bytes))], in: fd, path: directory,
            permissions: FilePermissions.private(in: stateDirectory))
        return entry
    }

    /// Removes the entry `id` (its attempts ended); an entry already gone is no error.
    public func remove(_ id: String) throws {
        let (fd, done) = try folder()
        defer { done() }
        if unlinkat(fd, id, 0) != 0 && errno != ENOENT {
            throw FileError(errno, path: "\(directory)/\(id)", doing: "removing a sent message")
        }
    }

    /// How many messages wait, and when the oldest was queued (from the entries' names), without
    /// reading or changing them (`reportd status`).
    public func waiting() -> (count: Int, oldest: Date?) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return (0, nil) }
        let queued = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        let oldest = queued.compactMap { Int64($0.prefix { $0 != "-" }) }.min()
        return (queued.count, oldest.map { Date(timeIntervalSince1970: Double($0) / 1000) })
    }

    /// What the outbox holds, oldest first, and the entries it could not read (renamed
    /// `NAME.damaged`) or that waited past `longestWait` (removed), each with why. No outbox: nothing.
    public func pending(now: Date = Date()) -> (entries: [OutboxEntry], dropped: [(id: String, why: String)]) {
        guard FileManager.default.fileExists(atPath: directory), let (fd, done) = try? folder() else { return ([], []) }
        defer { done() }
        var entries: [OutboxEntry] = []
        var dropped: [(id: String, why: String)] = []
        for name in ConfinedFolder.list(fd).sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let why: String
            if let bytes = ConfinedFolder.readFile(name, in: fd, atMost: 256 << 20),
                var entry = try? StateStore.decoder.decode(OutboxEntry.self, from: Data(bytes)), entry.bytes != nil
            {
                entry.id = name
                if now.timeIntervalSince(entry.queued) <= Self.longestWait {
                    entries.append(entry)
                    continue
                }
                why = "queued \(Int(now.timeIntervalSince(entry.queued) / 86_400)) days ago, longer than 7 days: not sent"
                _ = unlinkat(fd, name, 0)
            } else {
                // Kept aside for the administrator to look at; never read again.
                why = "not a message reportd can read (damaged?): not sent, kept as \(name).damaged"
                _ = renameat(fd, name, fd, name + ".damaged")
            }
            dropped.append((name, why))
        }
        return (entries.sorted { ($0.queued, $0.id) < ($1.queued, $1.id) }, dropped)
    }
}
