public import Foundation
public import ReportConfig
public import ReportCore
import ReportFiles
public import ReportState

/// One message ready to go: its bytes, who gets it, and what it carries.
public struct PreparedMail: Sendable {
    public var subject: String
    public var recipients: [String]
    public var bytes: [UInt8]
    /// The attachments' names in the mail, with the published files they are.
    public var attached: [(name: String, file: PublishedFile)]
    /// The published files left out because the message would have passed `mail.max_bytes`.
    public var omitted: [String]

    public init(
        subject: String, recipients: [String], bytes: [UInt8], attached: [(name: String, file: PublishedFile)] = [],
        omitted: [String] = []
    ) {
        self.subject = subject
        self.recipients = recipients
        self.bytes = bytes
        self.attached = attached
        self.omitted = omitted
    }
}

/// How sending one message ended, after its attempts.
public struct MailOutcome: Sendable {
    public var attempts: Int
    public var error: MailError?
    public var started: Date
    public var finished: Date
    public var succeeded: Bool { error == nil }

    public init(attempts: Int, error: MailError?, started: Date, finished: Date) {
        self.attempts = attempts
        self.error = error
        self.started = started
        self.finished = finished
    }
}

/// Writes and sends reportd's mail: a report's outputs after a publish (`deliver:`), and the
/// notices to its owners (failed, overdue, recovered).
public struct Postman: Sendable {
    public let mail: MailSettings
    public let outputRoot: String
    public let writers: WriterRegistry
    /// The host's name, said in notices (which machine's reportd).
    public var host: String = ProcessInfo.processInfo.hostName

    public init(mail: MailSettings, daemon: DaemonConfig) {
        self.mail = mail
        self.outputRoot = daemon.outputRoot
        self.writers = daemon.writers
    }

    // MARK: Deliveries

    /// The messages of a successful run, one per `deliver:` entry.
    /// - Throws: `MailError` when a published file cannot be read back, or the text alone passes the cap.
    ///
    /// With `split_by`, the `email_by_value` entries send each value's files (from `NAME/<slug>/`)
    /// to the value's addresses, else to `"*"`'s; a run whose `publish_when` was false sends
    /// nothing of the whole report.
    public func deliveries(of report: ReportDefinition, outcome: RunResult) throws(MailError) -> [PreparedMail] {
        let title =
            outcome.period.map { report.title.replacingOccurrences(of: "{period}", with: $0.label) } ?? report.title
        var prepared: [PreparedMail] = []
        if outcome.skippedCondition == nil {
            prepared += try deliveries(
                of: report, outcome: outcome, folder: report.name, title: title,
                to: report.deliveries.filter { $0.byValue == nil })
        }
        for output in outcome.splitOutputs where !output.skipped {
            let wanted = report.deliveries.compactMap { delivery -> Delivery? in
                guard let byValue = delivery.byValue, let to = byValue[output.value] ?? byValue["*"] else { return nil }
                return Delivery(to: to, attach: delivery.attach)
            }
            guard !wanted.isEmpty else { continue }
            var files = outcome
            files.files = output.files
            prepared += try deliveries(
                of: report, outcome: files, folder: "\(report.name)/\(output.slug)", title: output.title, to: wanted)
        }
        return prepared
    }

    /// The messages of the files published in `folder` (relative to the output root), one per entry of `to`.
    private func deliveries(
        of report: ReportDefinition, outcome: RunResult, folder: String, title: String, to entries: [Delivery]
    ) throws(MailError) -> [PreparedMail] {
        let zone = TimeZone(identifier: report.timezone) ?? TimeZone(identifier: "UTC")!
        let slot = SlotTime(date: outcome.slotDate, timeZone: zone)
        // The slot's files, by format, read back from the output root as published.
        var files: [OutputFormat: (file: PublishedFile, bytes: [UInt8])] = [:]
        for format in report.formats {
            let ext = writers.fileExtension(of: format)
            let path = "\(folder)/\(report.name)_\(slot.stamp).\(ext)"
            guard let published = outcome.files.first(where: { $0.path == path }) else { continue }
            do {
                files[format] = (published, try FileBytes.read(outputRoot + "/" + path))
            } catch {
                throw MailError("cannot read the published file \(path): \(error.message)")
            }
        }
        let slotText = Self.slotLabel(slot)
        let subject = "\(title) — \(slotText)"
        let textFormat = report.formats.first { writers.fileExtension(of: $0) == "txt" }
        let htmlFormat = report.formats.first { writers.fileExtension(of: $0) == "html" }
        let summary = textFormat.flatMap { files[$0] }.map { String(decoding: $0.bytes, as: UTF8.self) }
        var prepared: [PreparedMail] = []
        for delivery in entries {
            let wanted = delivery.attach ?? report.formats
            var candidates: [(name: String, file: PublishedFile, bytes: [UInt8], type: String)] = []
            for format in wanted {
                guard let (file, bytes) = files[format] else { continue }
                let ext = writers.fileExtension(of: format)
                candidates.append(
                    (
                        Self.attachmentName(title: title, stamp: slot.stamp, ext: ext), file, bytes,
                        MIMEMessage.contentType(fileExtension: ext)
                    ))
            }
            let html = htmlFormat.flatMap { files[$0] }.map { String(decoding: $0.bytes, as: UTF8.self) }
            prepared.append(
                try compose(
                    subject: subject, to: delivery.to, summary: summary, html: html, candidates: candidates,
                    report: report, title: title, slot: slot, folder: folder))
        }
        return prepared
    }

    /// The message with as many attachments, in order, as fit under `max_bytes`; the others named.
    private func compose(
        subject: String, to: [MailAddress], summary: String?, html: String?,
        candidates: [(name: String, file: PublishedFile, bytes: [UInt8], type: String)], report: ReportDefinition,
        title: String, slot: SlotTime, folder: String
    ) throws(MailError) -> PreparedMail {
        var summary = summary
        var summaryCut = false
        func body(omitted: [(String, PublishedFile)], attached: [String], htmlDropped: Bool) -> (String, String?) {
            var text = summary ?? "\(title)\n\(Self.slotLabel(slot))\n"
            if summaryCut {
                text +=
                    "…\n(The summary is cut here to keep the message under mail.max_bytes; the whole text is published.)\n"
            }
            if !text.hasSuffix("\n") { text += "\n" }
            var notes = ["", "-- ", "reportd: \(report.name), slot \(slot.iso8601)"]
            notes.append("Published in \(outputRoot)/\(folder)/")
            if !attached.isEmpty { notes.append("Attached: " + attached.joined(separator: ", ")) }
            if !omitted.isEmpty {
                notes.append("Not attached (the message would pass mail.max_bytes, \(mail.maxBytes) bytes):")
                for (name, file) in omitted {
                    notes.append("  \(name) (\(file.bytes) bytes): \(outputRoot)/\(file.path)")
                }
            }
            if htmlDropped {
                notes.append("The HTML page is not included (too large); it is published with the files.")
            }
            text += notes.joined(separator: "\n") + "\n"
            var page = htmlDropped ? nil : html
            if let p = page, !omitted.isEmpty, let end = p.range(of: "</body>", options: .backwards) {
                let list = omitted.map { Self.escapeHTML("\($0.0) (\($0.1.bytes) bytes): \(outputRoot)/\($0.1.path)") }
                page = p.replacingCharacters(
                    in: end, with: "<p>Not attached (too large): " + list.joined(separator: "; ") + "</p>\n</body>")
            }
            return (text, page)
        }
        func message(_ text: String, _ page: String?, _ attachments: [MIMEMessage.Attachment]) -> MIMEMessage {
            var m = MIMEMessage(
                from: .init(address: mail.from.address, name: mail.from.name),
                to: to.map { .init(address: $0.address, name: $0.name) }, subject: subject, text: text, html: page,
                attachments: attachments)
            m.extraHeaders = [("Auto-Submitted", "auto-generated"), ("X-Reportd-Report", report.name)]
            return m
        }
        // Attachments in order while they fit; a part's headers take well under 600 bytes.
        var htmlDropped = false
        var (text, page) = body(omitted: candidates.map { ($0.name, $0.file) }, attached: [], htmlDropped: false)
        var size = message(text, page, []).render().count
        if size > mail.maxBytes, page != nil {
            htmlDropped = true
            (text, page) = body(omitted: candidates.map { ($0.name, $0.file) }, attached: [], htmlDropped: true)
            size = message(text, page, []).render().count
        }
        if size > mail.maxBytes, let whole = summary {
            // The text alone is too large: its first lines, within an eighth of the cap (quoted-
            // printable may triple Vietnamese text).
            var cut = ""
            for line in whole.split(separator: "\n", omittingEmptySubsequences: false) {
                if cut.utf8.count + line.utf8.count + 1 > mail.maxBytes / 8 { break }
                cut += line + "\n"
            }
            summary = cut
            summaryCut = true
            (text, page) = body(omitted: candidates.map { ($0.name, $0.file) }, attached: [], htmlDropped: htmlDropped)
            size = message(text, page, []).render().count
        }
        guard size <= mail.maxBytes else {
            throw MailError(
                "the message without attachments is \(size) bytes, over mail.max_bytes (\(mail.maxBytes))",
                retryable: false)
        }
        var chosen: [Int] = []
        var total = size
        for (i, candidate) in candidates.enumerated() {
            let cost = MIMEEncoding.base64Size(candidate.bytes.count) + 600 + candidate.name.utf8.count * 3
            if total + cost <= mail.maxBytes {
                chosen.append(i)
                total += cost
            }
        }
        let omitted = candidates.indices.filter { !chosen.contains($0) }.map {
            (candidates[$0].name, candidates[$0].file)
        }
        (text, page) = body(omitted: omitted, attached: chosen.map { candidates[$0].name }, htmlDropped: htmlDropped)
        let attachments = chosen.map {
            MIMEMessage.Attachment(
                fileName: candidates[$0].name, contentType: candidates[$0].type, bytes: candidates[$0].bytes)
        }
        return PreparedMail(
            subject: subject, recipients: to.map(\.address), bytes: message(text, page, attachments).render(),
            attached: chosen.map { (candidates[$0].name, candidates[$0].file) }, omitted: omitted.map(\.0))
    }

    /// `2026-11-29 06:00 (+07:00)`: the slot as people read it (`06:00:30` for a slot with seconds).
    static func slotLabel(_ slot: SlotTime) -> String {
        let iso = slot.iso8601
        guard iso.count >= 25 else { return iso }
        let date = iso.prefix(10)
        // Seconds only when the slot has them (`every 30s`).
        let seconds = iso.dropFirst(17).prefix(2)
        let time = iso.dropFirst(11).prefix(seconds == "00" ? 5 : 8)
        return "\(date) \(time) (\(iso.suffix(6)))"
    }

    /// The attachment's name: the report's title and the slot, so the recipient sees what it is
    /// (`Tổng hợp theo huyện 2026-11-29T060000.csv`); characters that file systems refuse become `-`.
    static func attachmentName(title: String, stamp: String, ext: String) -> String {
        var clean = ""
        for scalar in NFC.normalize(title).unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || "/\\:*?\"<>|".unicodeScalars.contains(scalar)
            {
                clean += "-"
            } else {
                clean.unicodeScalars.append(scalar)
            }
        }
        clean = clean.trimmingCharacters(in: .whitespaces)
        // At most 120 characters of title: the whole name stays under 255 bytes on any file system.
        if clean.count > 120 { clean = String(clean.prefix(120)).trimmingCharacters(in: .whitespaces) }
        if clean.isEmpty || clean.hasPrefix(".") { clean = "report" + clean }
        return "\(clean) \(stamp).\(ext)"
    }

    static func escapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    // MARK: Notices

    /// What happened to a report that its owners are told.
    public enum Notice: Sendable {
        /// The run of a slot failed after its retries.
        case failed(error: String, attempts: Int)
        /// A slot is overdue: not completed this long after it came.
        case overdue(since: TimeInterval)
        /// A run succeeded after a failure or overdue notice.
        case recovered
        /// An alert's condition became true (`raised`) or cleared; `message` with its placeholders filled.
        case alert(raised: Bool, when: String, message: String)
    }

    /// A notice about `report`'s slot to `owners`.
    public func notice(
        _ notice: Notice, report: ReportDefinition, slot: Date, owners: [MailAddress], configFile: String? = nil
    ) -> PreparedMail {
        let zone = TimeZone(identifier: report.timezone) ?? TimeZone(identifier: "UTC")!
        let slotTime = SlotTime(date: slot, timeZone: zone)
        let when = Self.slotLabel(slotTime)
        let config = configFile.map { " --config \($0)" } ?? ""
        var subject: String
        var lines: [String]
        switch notice {
        case .failed(let error, let attempts):
            subject = "[reportd] FAILED: \(report.title) — \(when)"
            lines = [
                "The report '\(report.name)' (\(report.title)) failed for the slot \(slotTime.iso8601)"
                    + " after \(attempts) attempt\(attempts == 1 ? "" : "s") on \(host).",
                "", "Error:", "  \(error)", "",
                "What to do:",
                "  reportd status \(report.name)\(config)      (the last run, its error and the next slot)",
                "  reportd history \(report.name)\(config)     (the runs before it)",
                "  reportd run \(report.name) --slot \(slotTime.iso8601)\(config)",
                "                                     (runs that slot again once the cause is fixed)",
                "",
                "You get this message once for this slot; another when a run of the report succeeds again.",
            ]
        case .overdue(let since):
            subject = "[reportd] OVERDUE: \(report.title) — \(when)"
            lines = [
                "The report '\(report.name)' (\(report.title)) has not completed its slot \(slotTime.iso8601),"
                    + " due \(Int(since / 60)) minutes ago, on \(host).",
                "",
                "What to do:",
                "  reportd status \(report.name)\(config)      (is the daemon running? the last run and its error)",
                "  journalctl -u reportd                (the daemon's log)",
                "  reportd run \(report.name) --slot \(slotTime.iso8601)\(config)",
                "",
                "You get this message once for this slot; another when a run of the report succeeds again.",
            ]
        case .alert(let raised, let condition, let message):
            subject = "[reportd] \(raised ? "ALERT" : "alert cleared"): \(report.title) — \(when)"
            lines = [
                message, "",
                raised
                    ? "The condition '\(condition)' of the report '\(report.name)' became true for the slot \(slotTime.iso8601) on \(host)."
                    : "The condition '\(condition)' of the report '\(report.name)' no longer holds for the slot \(slotTime.iso8601) on \(host).",
                "",
                raised
                    ? "You get this message once; another when the condition clears."
                    : "You get another message if it becomes true again.",
                "",
                "  reportd history \(report.name)\(config)",
            ]
        case .recovered:
            subject = "[reportd] recovered: \(report.title) — \(when)"
            lines = [
                "The report '\(report.name)' (\(report.title)) ran successfully again for the slot \(slotTime.iso8601)"
                    + " on \(host).",
                "",
                "  reportd status \(report.name)\(config)",
            ]
        }
        var m = MIMEMessage(
            from: .init(address: mail.from.address, name: mail.from.name),
            to: owners.map { .init(address: $0.address, name: $0.name) }, subject: subject,
            text: lines.joined(separator: "\n") + "\n")
        m.extraHeaders = [("Auto-Submitted", "auto-generated"), ("X-Reportd-Report", report.name)]
        return PreparedMail(
            subject: subject, recipients: owners.map(\.address), bytes: m.render(), attached: [], omitted: [])
    }

    // MARK: Sending

    /// Sends `prepared`, retrying as `mail.retries` and `mail.retry_delay` say (doubling, at most an
    /// hour); blocks the calling thread.
    /// - Parameters:
    ///   - shouldStop: true ends the attempts (shutdown): the current one is killed, none follows.
    ///   - onRetry: told of each failed attempt that will be retried, with the wait before the next.
    public func send(
        _ prepared: PreparedMail, shouldStop: @escaping @Sendable () -> Bool = { false },
        onRetry: (MailError, Int, Int) -> Void = { _, _, _ in }
    ) -> MailOutcome {
        let started = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                try SendmailProcess.send(
                    prepared.bytes, command: mail.command, from: mail.from.address, recipients: prepared.recipients,
                    timeout: mail.timeout, shouldStop: shouldStop)
                return MailOutcome(attempts: attempt, error: nil, started: started, finished: Date())
            } catch {
                guard error.retryable, attempt <= mail.retries, !shouldStop() else {
                    return MailOutcome(attempts: attempt, error: error, started: started, finished: Date())
                }
                let delay = min(mail.retryDelay << min(attempt - 1, 20), 3600)
                onRetry(error, attempt, delay)
                let until = Date().addingTimeInterval(TimeInterval(delay))
                while Date() < until {
                    if shouldStop() {
                        return MailOutcome(attempts: attempt, error: error, started: started, finished: Date())
                    }
                    usleep(100_000)
                }
            }
        }
    }
}
