import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Mail end to end: the real `reportd`, Debian's msmtp as the sendmail program, and a real SMTP
/// server (aiosmtpd) on the loopback; the messages read back with Python's `email`.
@Suite(.blocking, .serialized) struct MailTests {
    static let csv = "district,year,amount\nMường Tè,2024,100\nSìn Hồ,2024,250\nTam Đường,2024,4700000000\n"

    /// A fixture whose config sends mail through `server` (or `sendmail`, when given).
    func fixture(
        _ server: MailServer?, reports: [String: String], sendmail: [String]? = nil, mailExtra: String = "",
        extraConfig: String = "", folder: URL
    ) throws -> Fixture {
        let command = try sendmail ?? server!.sendmailCommand(in: folder)
        return try Fixture(
            csv: Self.csv,
            reports: reports,
            extraConfig: """
                metrics_file: metrics/reportd.prom
                mail:
                  sendmail: \(yamlList(command))
                  from: "Báo cáo tự động <reportd@example.org>"
                  retry_delay: 1s
                \(mailExtra.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                \(extraConfig)
                """)
    }

    static func deliveringReport(_ name: String, schedule: String = "@daily", extra: String = "") -> String {
        Fixture.report(
            name, schedule: schedule,
            extra: """
                formats: [csv, json, text, html]
                deliver:
                  - email: [phongkehoach@example.org, "Quản trị <quantri@example.org>"]
                  - email: kho@example.org
                    attach: [csv]
                \(extra)
                """)
    }

    func sha256(_ url: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [url.path]
        let out = try runCollecting(process)
        return String(out.stdout.prefix(64))
    }

    func slotFile(_ f: Fixture, _ report: String, _ ext: String) throws -> URL {
        let folder = f.output.appendingPathComponent(report)
        let name = try #require(
            filesIn(folder).first {
                $0.hasPrefix("\(report)_") && $0.hasSuffix(".\(ext)") && !$0.contains(".rejected.")
            })
        return folder.appendingPathComponent(name)
    }

    @Test func runMailsEachDeliveryWithItsAttachmentsIntact() throws {
        let scratch = try temporaryFolder("mail")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        let f = try fixture(server, reports: ["tong-hop": Self.deliveringReport("tong-hop")], folder: scratch)
        let run = try runReportd(["run", "--config", f.config, "tong-hop"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("mailed tong-hop -> "), "\(run.stdout)")
        let messages = try server.messages()
        try #require(messages.count == 2, "\(messages)")
        let (all, csvOnly) = (messages[0], messages[1])

        // Envelope recipients are exactly the delivery's; the headers say them too.
        #expect(
            (all["envelope"] as? [String: Any])?["to"] as? [String] == [
                "phongkehoach@example.org", "quantri@example.org",
            ])
        #expect((csvOnly["envelope"] as? [String: Any])?["to"] as? [String] == ["kho@example.org"])
        #expect((all["envelope"] as? [String: Any])?["from"] as? String == "reportd@example.org")
        #expect(all["to"] as? String == "phongkehoach@example.org, Quản trị <quantri@example.org>")
        #expect(all["from"] as? String == "Báo cáo tự động <reportd@example.org>")
        #expect(all["auto_submitted"] as? String == "auto-generated")
        #expect((all["message_id"] as? String)?.hasSuffix("@example.org>") == true)
        #expect(all["defects"] as? [String] == [])
        #expect((all["longest_line"] as? Int ?? 999) <= 998)
        #expect(all["bare_lf"] as? Int == 0)

        // The subject: the title and the slot, decoded.
        let subject = try #require(all["subject"] as? String)
        #expect(subject.hasPrefix("Tổng hợp theo huyện — "), "\(subject)")
        #expect(subject.hasSuffix("(+07:00)"), "\(subject)")

        // The body is the text output; the HTML page is the alternative.
        let text = try String(contentsOf: try slotFile(f, "tong-hop", "txt"), encoding: .utf8)
        let plain = try #require(all["plain"] as? String)
        #expect(plain.replacingOccurrences(of: "\r\n", with: "\n").hasPrefix(text), "\(plain)")
        let html = try String(contentsOf: try slotFile(f, "tong-hop", "html"), encoding: .utf8)
        #expect((all["html"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == html)

        // Attachments: every format, Vietnamese names intact, the published bytes exactly.
        let attachments = try #require(all["attachments"] as? [[String: Any]])
        let stamp = try slotFile(f, "tong-hop", "csv").lastPathComponent.dropFirst("tong-hop_".count).dropLast(4)
        #expect(
            attachments.map { $0["name"] as? String }
                == ["csv", "json", "txt", "html"].map { "Tổng hợp theo huyện \(stamp).\($0)" })
        #expect(
            attachments.map { $0["type"] as? String } == ["text/csv", "application/json", "text/plain", "text/html"])
        for (attachment, ext) in zip(attachments, ["csv", "json", "txt", "html"]) {
            #expect(attachment["sha256"] as? String == (try sha256(try slotFile(f, "tong-hop", ext))), "\(ext)")
        }
        let only = try #require(csvOnly["attachments"] as? [[String: Any]])
        #expect(only.map { $0["name"] as? String } == ["Tổng hợp theo huyện \(stamp).csv"])

        // Recorded: a delivery line after the run's, status, the metrics file.
        let history = try runReportd(["history", "--config", f.config, "--json", "tong-hop"])
        let records = history.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(records.map { $0["trigger"] as? String } == ["manual", "delivery"])
        let delivery = try #require(records.last?["delivery"] as? [String: Any])
        #expect(
            delivery["recipients"] as? [String] == [
                "phongkehoach@example.org", "quantri@example.org", "kho@example.org",
            ])
        #expect(records.last?["outcome"] as? String == "success")
        let status = try runReportd(["status", "--config", f.config, "tong-hop"])
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.contains("last delivery: slot "), "\(status.stdout)")
        let metrics = try String(contentsOf: f.folder.appendingPathComponent("metrics/reportd.prom"), encoding: .utf8)
        #expect(metrics.contains("reportd_report_deliveries_total{report=\"tong-hop\"} 1"), "\(metrics)")
        #expect(metrics.contains("reportd_report_delivery_failures_total{report=\"tong-hop\"} 0"))

        // --no-deliver mails nothing; a backfill mails only with --deliver.
        _ = try runReportd(["run", "--config", f.config, "--no-deliver", "tong-hop"])
        #expect(try server.messages().count == 2)
        let yesterday = ISO8601DateFormatter.string(
            from: Date().addingTimeInterval(-86400), timeZone: TimeZone(identifier: "Asia/Ho_Chi_Minh")!,
            formatOptions: [.withFullDate, .withDashSeparatorInDate])
        let backfill = try runReportd(["run", "--config", f.config, "--slot", yesterday, "tong-hop"])
        #expect(backfill.status == 0, "\(backfill.stdout)\(backfill.stderr)")
        #expect(try server.messages().count == 2)
        let asked = try runReportd(["run", "--config", f.config, "--slot", yesterday, "--deliver", "tong-hop"])
        #expect(asked.status == 0, "\(asked.stdout)\(asked.stderr)")
        #expect(try server.messages().count == 4)
    }

    @Test func aFailedDeliveryIsRetriedRecordedAndLeavesTheReportPublished() throws {
        let scratch = try temporaryFolder("mail")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        server.failing(true)
        let f = try fixture(
            server, reports: ["tong-hop": Self.deliveringReport("tong-hop")], mailExtra: "retries: 1", folder: scratch)
        let run = try runReportd(["run", "--config", f.config, "tong-hop"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("ok     tong-hop"), "\(run.stdout)")
        #expect(run.stdout.contains("DELIVERY FAILED tong-hop (its files are published)"), "\(run.stdout)")
        #expect(run.stdout.contains("exited with status 69"), "\(run.stdout)")
        // One retry per message (two deliveries), said on standard error.
        #expect(run.stderr.components(separatedBy: "retrying in 1s").count - 1 == 2, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("tong-hop/latest.csv").path))
        #expect(try server.messages().isEmpty)
        let status = try runReportd(["status", "--config", f.config])
        #expect(status.status == 1)
        #expect(status.stdout.contains("tong-hop: the mail of the slot"), "\(status.stdout)")
        let metrics = try String(contentsOf: f.folder.appendingPathComponent("metrics/reportd.prom"), encoding: .utf8)
        #expect(metrics.contains("reportd_report_delivery_failures_total{report=\"tong-hop\"} 1"), "\(metrics)")
        // The MTA is back: the next run mails.
        server.failing(false)
        let again = try runReportd(["run", "--config", f.config, "tong-hop"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try server.messages().count == 2)
        #expect(try runReportd(["status", "--config", f.config]).status == 0)
    }

    @Test func aBadSendmailProgramGivesAClearMessageAndTheRunStaysPublished() throws {
        let scratch = try temporaryFolder("mail")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let hang = scratch.appendingPathComponent("hang.sh")
        try "#!/bin/sh\nsleep 60\n".write(to: hang, atomically: true, encoding: .utf8)
        let exits = scratch.appendingPathComponent("exits.sh")
        try "#!/bin/sh\necho 'sendmail: no such user' >&2\nexit 67\n".write(
            to: exits, atomically: true, encoding: .utf8)
        chmod(hang.path, 0o755)
        chmod(exits.path, 0o755)
        let cases: [([String], String)] = [
            ([scratch.appendingPathComponent("missing-sendmail").path], "cannot start the sendmail program"),
            ([hang.path], "did not finish within 1s and was killed"),
            ([exits.path], "exited with status 67: sendmail: no such user"),
        ]
        for (command, expected) in cases {
            let f = try fixture(
                nil, reports: ["tong-hop": Self.deliveringReport("tong-hop")], sendmail: command,
                mailExtra: "timeout: 1s\nretries: 0", folder: scratch)
            if command[0].hasSuffix("missing-sendmail") {
                let validate = try runReportd(["validate", "--config", f.config])
                #expect(validate.status == 0)
                #expect(validate.stderr.contains("reportd.yaml:13:"), "\(validate.stderr)")
                #expect(validate.stderr.contains("missing-sendmail does not exist"), "\(validate.stderr)")
            }
            let run = try runReportd(["run", "--config", f.config, "tong-hop"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("ok     tong-hop"), "\(run.stdout)")
            #expect(run.stdout.contains(expected), "\(run.stdout)")
            #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("tong-hop/latest.csv").path))
            if command[0] == hang.path {
                // The hung program was killed, not left behind.
                let left = try runCollecting(
                    {
                        let p = Process()
                        p.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
                        p.arguments = ["-f", hang.path]
                        return p
                    }())
                #expect(left.stdout.isEmpty, "still running: \(left.stdout)")
            }
        }
    }

    @Test func attachmentsOverTheCapAreNamedInTheBody() throws {
        let scratch = try temporaryFolder("mail")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let server = try MailServer(in: scratch)
        var csv = "district,year,amount\n"
        for i in 0..<3000 { csv += "Huyện số \(i) Mường Tè,2024,\(i)\n" }
        let f = try fixture(
            server, reports: ["lon": Self.deliveringReport("lon")], mailExtra: "max_bytes: 200000", folder: scratch)
        try csv.write(to: f.folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        let run = try runReportd(["run", "--config", f.config, "lon"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let messages = try server.messages()
        try #require(messages.count == 2)
        let attached = (messages[0]["attachments"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let plain = messages[0]["plain"] as? String ?? ""
        #expect(plain.contains("Not attached (the message would pass mail.max_bytes, 200000 bytes):"), "\(plain)")
        #expect(attached.count < 4, "\(attached)")
        for ext in ["csv", "json", "txt", "html"] where !attached.contains(where: { $0.hasSuffix(".\(ext)") }) {
            #expect(plain.contains(try slotFile(f, "lon", ext).lastPathComponent), "\(ext) named in \(plain)")
        }
        let raw = try FileManager.default.contentsOfDirectory(atPath: server.folder.path).filter {
            $0.hasSuffix(".eml")
        }
        for name in raw {
            let size =
                try FileManager.default.attributesOfItem(atPath: server.folder.appendingPathComponent(name).path)[.size]
                as? Int ?? 0
            #expect(size <= 200_000 + 2000, "\(name): \(size) bytes")
        }
    }

    @Test func validateLocatesEveryMailMistake() throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: [
                "a": Fixture.report(
                    "a",
                    extra: """
                        formats: [csv]
                        deliver:
                          - email: [not-an-address, "ok@example.org"]
                            attach: [xlsx]
                        owners: ["x@example.org\\nBcc: y@example.org"]
                        """),
                "b": Fixture.report("b", extra: "deliver:\n  - email: ok@example.org\n    atach: [csv]"),
            ],
            extraConfig: """
                mail:
                  sendmail: /bin/true
                  from: "-oi@example.org"
                  max_bytes: 5
                owners: [quantri]
                """)
        let out = try runReportd(["validate", "--config", f.config])
        #expect(out.status == 1)
        for expected in [
            "reportd.yaml:13:9: error: 'mail.from': '-oi@example.org' is not a mail address: it starts with '-'",
            "reportd.yaml:14:14: error: 'mail.max_bytes' must be between",
            "reportd.yaml:15:10: error: an address of 'owners': 'quantri' is not a mail address: it has no '@'",
        ] {
            #expect(out.stderr.contains(expected), "\(expected)\n\(out.stderr)")
        }
        // The daemon config has errors: fix them and look at the reports.
        try String(contentsOf: URL(fileURLWithPath: f.config), encoding: .utf8)
            .replacingOccurrences(of: "-oi@example.org", with: "reportd@example.org")
            .replacingOccurrences(of: "max_bytes: 5", with: "max_bytes: 100000")
            .replacingOccurrences(of: "[quantri]", with: "[quantri@example.org]")
            .write(toFile: f.config, atomically: true, encoding: .utf8)
        let reports = try runReportd(["validate", "--config", f.config])
        #expect(reports.status == 1)
        for expected in [
            "a.yaml:11:13: error: an address of 'email': 'not-an-address' is not a mail address: it has no '@'",
            "a.yaml:12:14: error: cannot attach 'xlsx': the report writes csv",
            "a.yaml:13:10: error: an address of 'owners': 'x@example.org\\nBcc: y@example.org' is not a mail address: it holds a line break",
            "b.yaml:11:5: error: unknown key 'atach' in a 'deliver' entry (did you mean 'attach'?)",
        ] {
            #expect(reports.stderr.contains(expected), "\(expected)\n\(reports.stderr)")
        }
        // Without `mail:`, a report cannot deliver.
        let bare = try Fixture(
            csv: Self.csv, reports: ["c": Fixture.report("c", extra: "deliver:\n  - email: ok@example.org")])
        let none = try runReportd(["validate", "--config", bare.config])
        #expect(
            none.stderr.contains("c.yaml:10:3: error: 'deliver' needs 'mail:' in the daemon config"), "\(none.stderr)")
    }
}
