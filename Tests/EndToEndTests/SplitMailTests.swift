import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 26 with mail, in MailTests' serialized suite: `email_by_value` through the real SMTP
/// server, and an alert that fires, holds silently, clears and fires again across a restart.
extension MailTests {
    func history(_ f: Fixture, _ report: String) throws -> [[String: Any]] {
        let out = try runReportd(["history", "--config", f.config, "--json", "--limit", "1000", report])
        return out.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func emailByValueSendsEachValuesFilesToItsPeople() throws {
        let scratch = try temporaryFolder("mail-split")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        let addressed = Fixture.report(
            "phan", extra: """
                split_by: district
                formats: [csv, text]
                deliver:
                  - email_by_value:
                      "Mường Tè": [muongte@example.org]
                      "*": [phongkehoach@example.org]
                    attach: [csv]
                """)
        let partial = Fixture.report(
            "thieu", extra: """
                split_by: district
                formats: [csv]
                deliver:
                  - email_by_value:
                      "Sìn Hồ": [sinho@example.org]
                """)
        let f = try fixture(server, reports: ["phan": addressed, "thieu": partial], folder: scratch)
        let out = try runReportd(["run", "--config", f.config])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("email_by_value: no address and no \"*\" for 'Mường Tè', 'Tam Đường'"), "\(out.stdout)")
        let messages = try server.messages()
        func to(_ m: [String: Any]) -> [String] { (m["envelope"] as? [String: Any])?["to"] as? [String] ?? [] }
        let muongTe = messages.filter { to($0) == ["muongte@example.org"] }
        #expect(muongTe.count == 1)
        #expect((muongTe.first?["subject"] as? String)?.hasPrefix("Tổng hợp theo huyện — Mường Tè — ") == true)
        // The value's own CSV, as published in its folder.
        let folder = f.output.appendingPathComponent("phan/muong-te")
        let published = try #require(filesIn(folder).first { $0.hasPrefix("phan_") && $0.hasSuffix(".csv") })
        let attachment = try #require((muongTe.first?["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["sha256"] as? String == (try sha256(folder.appendingPathComponent(published))))
        // The others through "*": one message per value.
        let fallback = messages.filter { to($0) == ["phongkehoach@example.org"] }.compactMap { $0["subject"] as? String }
        #expect(fallback.count == 2, "\(fallback)")
        #expect(fallback.contains { $0.contains("— Sìn Hồ —") } && fallback.contains { $0.contains("— Tam Đường —") })
        // The whole report goes to nobody; the partial one's Sìn Hồ to its address.
        #expect(messages.filter { to($0) == ["sinho@example.org"] }.count == 1)
        #expect(messages.count == 4, "\(messages.map { $0["subject"] ?? "" })")
        let record = try #require(try history(f, "thieu").first { $0["trigger"] as? String == "manual" })
        #expect(record["unaddressed"] as? [String] == ["Mường Tè", "Tam Đường"])
    }

    @Test func anAlertFiresOnceHoldsSilentlyClearsAndFiresAgainAfterARestart() throws {
        let scratch = try temporaryFolder("mail-alert")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        let report = Fixture.report(
            "canh", schedule: "every 2s",
            extra: """
                catch_up: none
                formats: [csv]
                owners: [quantri@example.org]
                alerts:
                  - when: "totals.amount > 1000"
                    message: "Kinh phí vượt ngưỡng: {totals.amount} ({rows} huyện)"
                """)
        let f = try fixture(server, reports: ["canh": report], folder: scratch)
        let data = f.folder.appendingPathComponent("data.csv")
        let small = "district,year,amount\nMường Tè,2024,100\n"
        try small.write(to: data, atomically: true, encoding: .utf8)
        func alerts() -> [[String: Any]] {
            ((try? history(f, "canh")) ?? []).compactMap { $0["trigger"] as? String == "alert" ? $0["alert"] as? [String: Any] : nil }
        }
        func scheduled() -> Int {
            ((try? history(f, "canh")) ?? []).filter { $0["trigger"] as? String == "schedule" }.count
        }
        var listener = try NotifyListener()
        var (process, _) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        try waitBlocking("a first scheduled run", timeout: 40) { scheduled() >= 1 }
        #expect(alerts().isEmpty, "false from the start: no notice")
        try MailTests.csv.write(to: data, atomically: true, encoding: .utf8)
        try waitBlocking("the alert", timeout: 40) { alerts().count >= 1 }
        // Two more slots while it holds: silent.
        let runsAtRaise = scheduled()
        try waitBlocking("two more slots", timeout: 40) { scheduled() >= runsAtRaise + 2 }
        #expect(alerts().count == 1)
        try small.write(to: data, atomically: true, encoding: .utf8)
        try waitBlocking("the alert to clear", timeout: 40) { alerts().count >= 2 }
        try stop(process)
        // Across a restart: the state is kept (cleared), and the next rise is told.
        try MailTests.csv.write(to: data, atomically: true, encoding: .utf8)
        listener = try NotifyListener()
        (process, _) = try startServe(f, notify: listener)
        try waitBlocking("the alert again", timeout: 40) { alerts().count >= 3 }
        try stop(process)
        let told = alerts()
        #expect(told.map { $0["state"] as? String } == ["raised", "cleared", "raised"])
        #expect(told.first?["message"] as? String == "Kinh phí vượt ngưỡng: 4700000350 (3 huyện)")
        #expect(told.first?["when"] as? String == "totals.amount > 1000")
        let messages = try server.messages()
        #expect(subjects(messages, "[reportd] ALERT").count == 2)
        #expect(subjects(messages, "[reportd] alert cleared").count == 1)
        let first = try #require(messages.first { ($0["subject"] as? String)?.hasPrefix("[reportd] ALERT") == true })
        #expect((first["envelope"] as? [String: Any])?["to"] as? [String] == ["quantri@example.org"])
        #expect((first["plain"] as? String)?.hasPrefix("Kinh phí vượt ngưỡng: 4700000350 (3 huyện)") == true)
    }
}
