import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `reportd serve` with mail: deliveries after scheduled runs, one notice per failed or overdue
/// slot to the owners (not one per retry, not again after a restart), one "recovered" message.
/// In MailTests' suite, which runs one test at a time: each blocks a thread of the test process for
/// seconds, and two mail suites side by side starved the scheduler's tests of the cooperative pool.
extension MailTests {
    func subjects(_ messages: [[String: Any]], _ prefix: String) -> [String] {
        messages.compactMap { $0["subject"] as? String }.filter { $0.hasPrefix(prefix) }
    }

    func stop(_ process: Process) throws {
        kill(process.processIdentifier, SIGTERM)
        try waitBlocking("reportd serve to stop", timeout: 20) { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }

    @Test func aFailingReportTellsItsOwnersOncePerSlotThenRecovers() throws {
        let scratch = try temporaryFolder("mail-serve")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        let report = MailTests.deliveringReport(
            "hong", schedule: "every 4s", extra: "retries: 1\nretry_delay: 1s\nowners: [quantri@example.org]"
        )
        .replacingOccurrences(of: "formats: [csv, json, text, html]", with: "formats: [csv, text]")
        let f = try fixture(server, reports: ["hong": report], folder: scratch)
        let data = f.folder.appendingPathComponent("data.csv")
        // A row that does not type: every attempt fails (a data error, which is retried).
        try (MailTests.csv + "Phong Thổ,năm ngoái,1\n").write(to: data, atomically: true, encoding: .utf8)
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

        try waitBlocking("two failure notices", timeout: 40) {
            subjects((try? server.messages()) ?? [], "[reportd] FAILED").count >= 2
        }
        try MailTests.csv.write(to: data, atomically: true, encoding: .utf8)
        try waitBlocking("the recovered message and a delivery", timeout: 30) {
            let messages = (try? server.messages()) ?? []
            return !subjects(messages, "[reportd] recovered").isEmpty && !subjects(messages, "Tổng hợp").isEmpty
        }
        try stop(process)
        let messages = try server.messages()

        // One notice per failed slot: the slots whose runs all failed, each once, though each
        // failed twice (a retry).
        let history = try runReportd(["history", "--config", f.config, "--json", "--limit", "1000", "hong"])
        let records = history.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let runs = records.filter { $0["trigger"] as? String != "delivery" }
        let failedSlots = Set(runs.filter { $0["outcome"] as? String == "failed" }.compactMap { $0["slot"] as? String })
        let succeededSlots = Set(
            runs.filter { $0["outcome"] as? String == "success" }.compactMap { $0["slot"] as? String })
        let told = failedSlots.subtracting(succeededSlots)
        let notices = messages.filter { ($0["subject"] as? String)?.hasPrefix("[reportd] FAILED") == true }
        #expect(notices.count == told.count, "\(notices.map { $0["subject"] ?? "" }) for \(told.sorted())")
        #expect(runs.filter { $0["outcome"] as? String == "failed" }.count > notices.count, "retries are not told")
        for notice in notices {
            #expect((notice["envelope"] as? [String: Any])?["to"] as? [String] == ["quantri@example.org"])
            let body = notice["plain"] as? String ?? ""
            #expect(body.contains("reportd status hong --config "), "\(body)")
            #expect(body.contains("after 2 attempts"), "\(body)")
            #expect(body.contains("năm ngoái"), "the error is in the notice: \(body)")
        }
        #expect(Set(notices.compactMap { $0["subject"] as? String }).count == notices.count, "one per slot")
        #expect(subjects(messages, "[reportd] recovered").count == 1)
        // The deliveries of the successful runs: the csv attached, the text as the body.
        let deliveries = messages.filter { ($0["subject"] as? String)?.hasPrefix("Tổng hợp theo huyện — ") == true }
        #expect(!deliveries.isEmpty)
        #expect(
            deliveries.allSatisfy {
                ($0["attachments"] as? [[String: Any]])?.isEmpty == false
                    || ($0["envelope"] as? [String: Any])?["to"] as? [String] == [
                        "phongkehoach@example.org", "quantri@example.org",
                    ]
            })
        #expect(log().contains("failure notice sent to the owners"), "\(log())")
        #expect(log().contains("report mailed to"), "\(log())")
        #expect(records.contains { $0["trigger"] as? String == "delivery" && $0["outcome"] as? String == "success" })
    }

    @Test func anOverdueSlotIsToldOnceAcrossRestarts() throws {
        let scratch = try temporaryFolder("mail-serve")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        let report = Fixture.report("tre", schedule: "@hourly", extra: "catch_up: none\nformats: [csv]")
        // The daemon's owners apply to a report that names none.
        let f = try fixture(
            server, reports: ["tre": report], extraConfig: "owners: [\"Quản trị <quantri@example.org>\"]",
            folder: scratch)
        // The last completed slot three hours ago, and catch_up: none: the next slot is overdue.
        let state = f.folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let last = (Int(Date().timeIntervalSince1970) / 3600 - 3) * 3600
        try "{\"last_completed_slot\": \(last)}".write(
            to: state.appendingPathComponent("tre.json"), atomically: true, encoding: .utf8)
        #expect(try runReportd(["status", "--config", f.config]).stdout.contains("overdue"))

        for round in 1...2 {
            let listener = try NotifyListener()
            let (process, _) = try startServe(f, notify: listener)
            defer { if process.isRunning { process.terminate() } }
            try listener.waitFor("READY=1")
            if round == 1 {
                try waitBlocking("the overdue notice", timeout: 20) {
                    !subjects((try? server.messages()) ?? [], "[reportd] OVERDUE").isEmpty
                }
            } else {
                // A restart checks again at once; the slot was told already.
                usleep(3_000_000)
            }
            try stop(process)
        }
        let notices = try server.messages()
        #expect(notices.count == 1, "\(notices.map { $0["subject"] ?? "" })")
        let notice = try #require(notices.first)
        #expect((notice["subject"] as? String)?.hasPrefix("[reportd] OVERDUE: Tổng hợp theo huyện — ") == true)
        #expect(notice["to"] as? String == "Quản trị <quantri@example.org>")
        let body = notice["plain"] as? String ?? ""
        #expect(body.contains("has not completed its slot"), "\(body)")
        #expect(body.contains("reportd status tre"), "\(body)")
    }

    /// A restart while the mail relay is down loses no mail: the deliveries that the shutdown
    /// interrupted wait in the state folder's outbox, and the next `serve` sends them through the
    /// real sendmail program (msmtp) once the relay takes mail again. Before, they were given up.
    @Test func deliveriesInterruptedByARestartAreSentByTheNextStart() throws {
        let scratch = try temporaryFolder("mail-outbox")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        // The relay refuses (EX_TEMPFAIL) while `relay-down` exists, as msmtp does when it cannot connect.
        let down = scratch.appendingPathComponent("relay-down")
        try Data().write(to: down)
        let msmtp = try server.sendmailCommand(in: scratch)
        let wrapper = scratch.appendingPathComponent("sendmail.sh")
        try """
        #!/bin/sh
        [ -e '\(down.path)' ] && exit 75
        exec \(msmtp.map { "'\($0)'" }.joined(separator: " ")) "$@"
        """.write(to: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper.path, 0o755)
        let report = MailTests.deliveringReport("dong", schedule: "@daily", extra: "catch_up: once")
        let f = try fixture(
            server, reports: ["dong": report], sendmail: [wrapper.path], mailExtra: "retries: 10",
            extraConfig: "shutdown_grace: 2s", folder: scratch)
        // The last completed slot three days ago: the start catches up one slot, whose deliveries fail.
        let state = f.folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let last = (Int(Date().timeIntervalSince1970) / 86400 - 3) * 86400
        try "{\"last_completed_slot\": \(last)}".write(
            to: state.appendingPathComponent("dong.json"), atomically: true, encoding: .utf8)
        let outbox = state.appendingPathComponent("mail/outbox")
        func queued() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []).filter { $0.hasSuffix(".json") }
        }

        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        do {
            try waitBlocking("a delivery attempt refused", timeout: 40) { log().contains("mail not sent, retrying") }
        } catch {
            Issue.record("the daemon said: \(log())")
            throw error
        }
        #expect(queued().count == 1, "the message being tried is in the outbox")
        try stop(process)
        #expect(queued().count == 2, "both deliveries wait: \(queued()) \(log())")
        #expect(try server.messages().isEmpty)
        let status = try runReportd(["status", "--config", f.config])
        #expect(status.stdout.contains("mail outbox: 2 messages wait to be sent (the oldest queued "), "\(status.stdout)")
        #expect(status.stdout.contains("the next `reportd serve` sends them"), "\(status.stdout)")

        try FileManager.default.removeItem(at: down)
        let again = try NotifyListener()
        let (second, secondLog) = try startServe(f, notify: again)
        defer { if second.isRunning { second.terminate() } }
        try waitBlocking("the two deliveries", timeout: 40) { ((try? server.messages()) ?? []).count >= 2 }
        try waitBlocking("the outbox emptied", timeout: 20) { queued().isEmpty }
        try stop(second)
        #expect(!(try runReportd(["status", "--config", f.config]).stdout.contains("mail outbox")))
        let messages = try server.messages()
        #expect(messages.count == 2, "\(messages.map { $0["subject"] ?? "" })")
        let recipients = Set(messages.compactMap { (($0["envelope"] as? [String: Any])?["to"] as? [String])?.joined(separator: ",") })
        #expect(recipients == ["phongkehoach@example.org,quantri@example.org", "kho@example.org"], "\(recipients)")
        #expect(messages.allSatisfy { ($0["subject"] as? String)?.hasPrefix("Tổng hợp theo huyện — ") == true })
        let said = (try? String(contentsOf: secondLog, encoding: .utf8)) ?? ""
        #expect(said.contains("sending 2 message(s) that a shutdown interrupted"), "\(said)")
        // The history: the deliveries given up at the shutdown, then sent.
        let history = try runReportd(["history", "--config", f.config, "--json", "--limit", "100", "dong"])
        let outcomes = history.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["trigger"] as? String == "delivery" }.compactMap { $0["outcome"] as? String }
        #expect(outcomes.sorted() == ["failed", "success", "success"], "\(outcomes)")
    }
}
