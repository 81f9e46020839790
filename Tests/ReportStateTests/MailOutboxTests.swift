import Foundation
import Testing

@testable import ReportState

/// The state folder's mail outbox: messages kept byte for byte until their attempts end, oldest
/// first; what cannot be read is set aside, never sent, never crashes the daemon.
@Suite struct MailOutboxTests {
    func freshFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
    }

    func entry(_ subject: String, queued: Date, message: [UInt8] = Array("Subject: x\r\n\r\nthân bài\r\n".utf8))
        -> OutboxEntry
    {
        OutboxEntry(
            report: "giai-ngan", kind: "delivery", slot: "2026-11-30T06:00:00+07:00",
            slotDate: Date(timeIntervalSince1970: 1_795_993_200), subject: subject, recipients: ["kho@example.org"],
            message: message,
            attached: [.init(name: "giai-ngan.csv", path: "giai-ngan/2026/x.csv", bytes: 12, sha256: "ab")],
            omitted: ["giai-ngan/2026/x.html"], queued: queued)
    }

    @Test func entriesComeBackWholeOldestFirstAndGoWhenRemoved() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outbox = MailOutbox(stateDirectory: folder)
        #expect(outbox.pending().entries.isEmpty, "no outbox folder: nothing")
        let now = Date()
        let binary: [UInt8] = (0...255).map(UInt8.init)
        let second = try outbox.put(entry("Tổng hợp 2", queued: now.addingTimeInterval(-10), message: binary))
        let first = try outbox.put(entry("Tổng hợp 1", queued: now.addingTimeInterval(-20)))
        let (entries, dropped) = outbox.pending(now: now)
        #expect(dropped.isEmpty)
        #expect(entries.map(\.subject) == ["Tổng hợp 1", "Tổng hợp 2"])
        #expect(entries.map(\.id) == [first.id, second.id])
        #expect(entries.last?.bytes == binary)
        var read = try #require(entries.first)
        #expect(abs(read.queued.timeIntervalSince(first.queued)) < 0.001)
        read.queued = first.queued
        #expect(read == first)
        // Private, like the rest of the state folder.
        let attributes = try FileManager.default.attributesOfItem(atPath: outbox.directory + "/" + first.id)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
        try outbox.remove(first.id)
        try outbox.remove(first.id)  // already gone: no error
        #expect(outbox.pending(now: now).entries.map(\.id) == [second.id])
    }

    @Test func aDamagedEntryIsSetAsideAndAnOldOneDropped() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outbox = MailOutbox(stateDirectory: folder)
        let now = Date()
        let good = try outbox.put(entry("good", queued: now))
        let old = try outbox.put(entry("old", queued: now.addingTimeInterval(-8 * 86_400)))
        // A truncated entry (a full disk, a hand edit), and one whose message is not base64.
        try Data("{\"report\": \"a\", \"kind\"".utf8).write(to: URL(fileURLWithPath: outbox.directory + "/1-cut.json"))
        var text = try String(contentsOfFile: outbox.directory + "/" + good.id, encoding: .utf8)
        text = text.replacingOccurrences(of: good.message, with: "not base64 !")
        try text.write(toFile: outbox.directory + "/2-bad.json", atomically: true, encoding: .utf8)
        let (entries, dropped) = outbox.pending(now: now)
        #expect(entries.map(\.id) == [good.id])
        #expect(Set(dropped.map(\.id)) == ["1-cut.json", "2-bad.json", old.id])
        #expect(dropped.first { $0.id == old.id }?.why.contains("longer than 7 days") == true)
        #expect(dropped.first { $0.id == "1-cut.json" }?.why.contains("kept as 1-cut.json.damaged") == true)
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox.directory).sorted()
        #expect(names == ["1-cut.json.damaged", "2-bad.json.damaged", good.id].sorted())
        // Set aside once: the next look finds only the good entry and drops nothing.
        #expect(outbox.pending(now: now).dropped.isEmpty)
    }
}
