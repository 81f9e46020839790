import Foundation
public import Logging
import ReportCluster
import ReportConfig
import ReportCore
public import ReportMail
import ReportState

/// Sends one prepared message (through the sendmail program, with its retries); a protocol so the
/// scheduler's tests can see what would be sent without an MTA.
public protocol MailSender: Sendable {
    func send(
        _ prepared: PreparedMail, with postman: Postman, shouldStop: @escaping @Sendable () -> Bool, logger: Logger
    )
        -> MailOutcome
}

/// The sendmail program, as `mail:` configures it.
public struct SendmailSender: MailSender {
    public init() {}

    public func send(
        _ prepared: PreparedMail, with postman: Postman, shouldStop: @escaping @Sendable () -> Bool, logger: Logger
    ) -> MailOutcome {
        postman.send(
            prepared, shouldStop: shouldStop,
            onRetry: { error, attempt, delay in
                logger.warning(
                    "mail not sent, retrying in \(delay)s (attempt \(attempt + 1) of \(postman.mail.retries + 1)): \(error)",
                    metadata: ["mail.subject": "\(prepared.subject)"])
            })
    }
}

/// What the daemon mails, decided on the scheduler's loop (one event at a time, so the notice
/// bookkeeping in the state folder needs no lock) and sent on threads of their own.
///
/// - After a successful publish: the report's deliveries (`deliver:`), each message retried with
///   backoff; the outcome is recorded as a `delivery` line in the history, in the mail state and
///   in the metrics file. A failure never touches what was published.
/// - After a run that failed for good (its retries spent, or an error that repeats): one notice to
///   the owners per slot, remembered in `STATE/mail/NAME.json` so that a restart does not send it
///   again.
/// - A slot overdue by `status`'s rule: one notice per slot, the same way (a slot already told as
///   failed is not told again as overdue).
/// - The first success after such a notice: one "recovered" message.
struct MailDesk {
    /// A message to send and what to do with its outcome on the loop.
    struct Job: Sendable {
        enum Kind: Sendable {
            case delivery(RunRequest, RunResult)
            case notice(String)
            /// A message from the outbox that a shutdown interrupted, sent again after a start.
            case resend(OutboxEntry)
        }
        var kind: Kind
        var report: String
        var postman: Postman
        var mails: [PreparedMail]
        /// The slot the messages are about (the outbox keeps it with them).
        var slot: Date

        /// The kind as the outbox names it.
        var outboxKind: String {
            switch kind {
            case .delivery: "delivery"
            case .notice(let what): what
            case .resend(let entry): entry.kind
            }
        }
    }

    /// How a job ended.
    struct Done: Sendable {
        var job: Job
        var outcomes: [MailOutcome]
        /// The messages could not be written (a published file that cannot be read back).
        var problem: MailError?
    }

    /// Whether the loop should check for overdue slots at all: mail is configured.
    static func checksOverdue(_ daemon: DaemonConfig) -> Bool { daemon.mail != nil }

    /// The owners told about `report`: its own, else the daemon's.
    static func owners(of report: ReportDefinition, daemon: DaemonConfig) -> [MailAddress] {
        report.owners ?? daemon.owners
    }

    /// What to mail after a run ended; notes the notices in the mail state first (a notice is
    /// sent at most once, even if the daemon stops while sending it).
    static func jobs(
        after request: RunRequest, outcome: RunResult, end: SchedulerCore.RunEnd, daemon: DaemonConfig,
        stateDirectory: String?, logger: Logger
    ) -> [Job] {
        guard let mail = daemon.mail else { return [] }
        let postman = Postman(mail: mail, daemon: daemon)
        let report = request.report
        var jobs: [Job] = []
        let owners = owners(of: report, daemon: daemon)
        let store = stateDirectory.map { DeliveryStateStore(stateDirectory: $0) }
        switch end {
        case .succeeded:
            if !report.deliveries.isEmpty {
                jobs.append(
                    Job(kind: .delivery(request, outcome), report: report.name, postman: postman, mails: [], slot: request.slot))
            }
            // With `cluster:` the overdue check tells it, whichever node ran the slot.
            if daemon.cluster == nil, !owners.isEmpty, let store, store.load(report.name).awaitingRecovery,
                let job = recovered(
                    report, slot: request.slot, owners: owners, postman: postman, daemon: daemon, notes: store,
                    logger: logger)
            {
                jobs.append(job)
            }
        case .failedFinally:
            guard !owners.isEmpty, let store else { break }
            do {
                let first = try store.update(report.name) { $0.noteNotice(for: request.slot) }
                guard first else { break }
            } catch {
                logger.error(
                    "cannot write the mail state: \(error); no failure notice is sent (it could not be sent only once)")
                break
            }
            let notice = postman.notice(
                .failed(error: outcome.error ?? "?", attempts: request.attempt + 1), report: report, slot: request.slot,
                owners: owners, configFile: daemon.file)
            jobs.append(
                Job(kind: .notice("failure"), report: report.name, postman: postman, mails: [notice], slot: request.slot))
        case .pending:
            break
        }
        return jobs
    }

    /// The "recovered" message for `report`, its slot `slot`, with the mail state's flag cleared
    /// first (told once); nil when the state cannot be written.
    static func recovered(
        _ report: ReportDefinition, slot: Date, owners: [MailAddress], postman: Postman, daemon: DaemonConfig,
        notes: DeliveryStateStore, logger: Logger
    ) -> Job? {
        do {
            try notes.update(report.name) { $0.awaitingRecovery = false }
        } catch {
            logger.error("cannot write the mail state: \(error); no recovery message is sent")
            return nil
        }
        let mail = postman.notice(.recovered, report: report, slot: slot, owners: owners, configFile: daemon.file)
        return Job(kind: .notice("recovered"), report: report.name, postman: postman, mails: [mail], slot: slot)
    }

    /// What a cluster node's overdue check reads from the cluster's database (`cluster:`): which
    /// slots any node completed, and which node tells the owners of each overdue slot.
    struct ClusterNotices: Sendable {
        let store: ClusterStore
        /// The completed slots as last read, used while the database does not answer.
        let known = Locked<[String: Date]>([:])

        init(store: ClusterStore) { self.store = store }
    }

    /// Overdue notices: for each report with owners whose first slot after its last completed one
    /// is overdue by `status`'s rule and not running, once per slot.
    ///
    /// With `cluster` (blocks on its database: call it off the loop), the last completed slot is
    /// the cluster's (any node's), and one node tells each overdue slot: the one that notes it
    /// first in the database. While the database does not answer, each node goes by the slots it
    /// last read and its own runs (no slot runs anywhere then) and tells the owners itself, once.
    /// A node that told the owners of a failed or overdue slot also tells them when a later slot
    /// has completed, on any node ("recovered").
    static func overdueJobs(
        reports: [ReportDefinition], running: Set<String>, daemon: DaemonConfig, stateDirectory: String, now: Date,
        cluster: ClusterNotices? = nil, logger: Logger
    ) -> [Job] {
        guard let mail = daemon.mail else { return [] }
        let postman = Postman(mail: mail, daemon: daemon)
        let runs = StateStore(directory: stateDirectory)
        let notes = DeliveryStateStore(stateDirectory: stateDirectory)
        var clusterCompleted: [String: Date] = [:]
        var reachable = false
        if let cluster {
            do {
                clusterCompleted = try cluster.store.lastCompleted().mapValues(\.slot)
                cluster.known.withLock { $0 = clusterCompleted }
                reachable = true
            } catch {
                clusterCompleted = cluster.known.withLock { $0 }
            }
        }
        var jobs: [Job] = []
        for report in reports where !running.contains(report.name) {
            let owners = owners(of: report, daemon: daemon)
            guard !owners.isEmpty else { continue }
            let zone = TimeZone(identifier: report.timezone) ?? TimeZone(identifier: "UTC")!
            let last = [runs.load(report.name).lastCompletedSlot, clusterCompleted[report.name]].compactMap { $0 }.max()
            let told = notes.load(report.name)
            if cluster != nil, let last {
                // Recovered: a slot after the last one this node told of has completed, on any node.
                if told.awaitingRecovery, let latest = told.noticedSlots.max(), last > latest {
                    if let job = recovered(
                        report, slot: last, owners: owners, postman: postman, daemon: daemon, notes: notes, logger: logger)
                    {
                        jobs.append(job)
                    }
                    continue
                }
            }
            guard
                let due = StatusReport.overdueSlot(
                    schedule: report.schedule, zone: zone, timeout: report.timeout, lastCompleted: last, now: now)
            else { continue }
            if told.noticedSlots.contains(due) { continue }
            if let cluster, reachable {
                // Of the nodes that find the slot overdue, the first to note it tells the owners.
                do {
                    guard try cluster.store.noteNotice(report: report.name, slot: due, kind: "overdue") else { continue }
                } catch {
                    logger.warning(
                        "cannot note the overdue notice in the cluster's database (\(error)); the next check tries again",
                        metadata: ["report.name": "\(report.name)"])
                    continue
                }
            }
            do {
                guard try notes.update(report.name, { $0.noteNotice(for: due) }) else { continue }
            } catch {
                logger.error("cannot write the mail state: \(error); no overdue notice is sent")
                continue
            }
            let notice = postman.notice(
                .overdue(since: now.timeIntervalSince(due)), report: report, slot: due, owners: owners,
                configFile: daemon.file)
            jobs.append(Job(kind: .notice("overdue"), report: report.name, postman: postman, mails: [notice], slot: due))
        }
        return jobs
    }

    /// Writes (for a delivery) and sends a job's messages; blocks its thread.
    ///
    /// With `outbox`, each message is queued there before its first attempt and removed when its
    /// attempts end, unless a shutdown (`shouldStop`) ended them: then it stays for the next start
    /// (`resends`). A message that cannot be queued is still sent, with a warning.
    static func perform(
        _ job: Job, sender: any MailSender, outbox: MailOutbox? = nil, shouldStop: @escaping @Sendable () -> Bool,
        logger: Logger
    ) -> Done {
        var job = job
        if case .delivery(let request, let outcome) = job.kind {
            do {
                job.mails = try job.postman.deliveries(of: request.report, outcome: outcome)
            } catch {
                return Done(job: job, outcomes: [], problem: error)
            }
        }
        var log = logger
        log[metadataKey: "report.name"] = "\(job.report)"
        let outcomes = job.mails.map { mail -> MailOutcome in
            var queued: String?
            if case .resend(let entry) = job.kind {
                queued = entry.id
            } else if let outbox {
                do {
                    queued = try outbox.put(entry(for: mail, of: job)).id
                } catch {
                    log.warning(
                        "cannot keep the message in the outbox (\(error)): it is sent, but not again after a restart",
                        metadata: ["mail.subject": "\(mail.subject)"])
                }
            }
            let outcome = sender.send(mail, with: job.postman, shouldStop: shouldStop, logger: logger)
            if let queued, let outbox, outcome.succeeded || !shouldStop() {
                do { try outbox.remove(queued) } catch {
                    log.error(
                        "cannot remove a finished message from the outbox (\(error)): the next start sends it again",
                        metadata: ["mail.subject": "\(mail.subject)"])
                }
            }
            return outcome
        }
        return Done(job: job, outcomes: outcomes, problem: nil)
    }

    /// `mail` of `job` as the outbox keeps it.
    static func entry(for mail: PreparedMail, of job: Job) -> OutboxEntry {
        let slotText: String
        if case .delivery(_, let outcome) = job.kind {
            slotText = outcome.slot
        } else {
            slotText = SlotTime(date: job.slot, timeZone: TimeZone(identifier: "UTC")!).iso8601
        }
        return OutboxEntry(
            report: job.report, kind: job.outboxKind, slot: slotText, slotDate: job.slot, subject: mail.subject,
            recipients: mail.recipients, message: mail.bytes,
            attached: mail.attached.map {
                OutboxEntry.Attachment(name: $0.name, path: $0.file.path, bytes: $0.file.bytes, sha256: $0.file.sha256)
            }, omitted: mail.omitted)
    }

    /// The messages a shutdown left in the outbox, as jobs to send again (at start, once the
    /// configuration is loaded); the entries too old or damaged to send are logged and removed.
    static func resends(daemon: DaemonConfig, outbox: MailOutbox, logger: Logger) -> [Job] {
        let (entries, dropped) = outbox.pending()
        for (id, why) in dropped {
            logger.warning("mail outbox: \(outbox.directory)/\(id): \(why)")
        }
        guard !entries.isEmpty else { return [] }
        guard let mail = daemon.mail else {
            logger.warning(
                "mail outbox: \(entries.count) message(s) wait in \(outbox.directory), but `mail:` is not configured: not sent")
            return []
        }
        let postman = Postman(mail: mail, daemon: daemon)
        logger.notice("mail outbox: sending \(entries.count) message(s) that a shutdown interrupted")
        return entries.compactMap { entry in
            guard let bytes = entry.bytes else { return nil }
            let prepared = PreparedMail(
                subject: entry.subject, recipients: entry.recipients, bytes: bytes,
                attached: entry.attached.map {
                    (name: $0.name, file: PublishedFile(path: $0.path, bytes: $0.bytes, sha256: $0.sha256))
                }, omitted: entry.omitted)
            return Job(kind: .resend(entry), report: entry.report, postman: postman, mails: [prepared], slot: entry.slotDate)
        }
    }

    /// Records and logs a finished job, on the loop.
    static func finish(_ done: Done, recorder: RunRecorder?, logger: Logger) {
        var log = logger
        log[metadataKey: "report.name"] = "\(done.job.report)"
        switch done.job.kind {
        case .delivery(let request, let outcome):
            log[metadataKey: "report.slot"] = "\(outcome.slot)"
            var outcomes = done.outcomes
            if let problem = done.problem {
                let now = Date()
                outcomes = [MailOutcome(attempts: 0, error: problem, started: now, finished: now)]
            }
            if let recorder {
                recorder.log(
                    recorder.recordDelivery(
                        report: request.report.name, slot: outcome.slot, slotDate: request.slot, mails: done.job.mails,
                        outcomes: outcomes), logger: log)
            }
            let errors = outcomes.compactMap(\.error)
            let recipients = done.job.mails.flatMap(\.recipients).count
            if errors.isEmpty {
                log.info(
                    "report mailed to \(recipients) recipient\(recipients == 1 ? "" : "s")",
                    metadata: ["mail.messages": "\(done.job.mails.count)", "delivery.outcome": "success"])
            } else {
                log.error(
                    "delivery failed (the report stays published): \(errors.map(\.message).joined(separator: "; "))",
                    metadata: ["delivery.outcome": "failed"])
            }
        case .resend(let entry):
            log[metadataKey: "report.slot"] = "\(entry.slot)"
            if entry.kind == "delivery", let recorder {
                recorder.log(
                    recorder.recordDelivery(
                        report: entry.report, slot: entry.slot, slotDate: entry.slotDate, mails: done.job.mails,
                        outcomes: done.outcomes), logger: log)
            }
            for (mail, outcome) in zip(done.job.mails, done.outcomes) {
                if let error = outcome.error {
                    log.error(
                        "\(entry.kind) message from the outbox not sent: \(error)", metadata: ["mail.subject": "\(mail.subject)"])
                } else {
                    log.notice(
                        "\(entry.kind) message from the outbox sent (queued \(entry.queued))",
                        metadata: ["mail.subject": "\(mail.subject)"])
                }
            }
        case .notice(let what):
            for (mail, outcome) in zip(done.job.mails, done.outcomes) {
                if let error = outcome.error {
                    log.error(
                        "\(what) notice to the owners not sent: \(error)", metadata: ["mail.subject": "\(mail.subject)"]
                    )
                } else {
                    log.notice("\(what) notice sent to the owners", metadata: ["mail.subject": "\(mail.subject)"])
                }
            }
        }
    }
}
