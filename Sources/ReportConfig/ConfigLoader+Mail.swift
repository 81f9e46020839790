import Foundation
import ReportCore
import ReportFiles
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// The mail keys: `mail:` and `owners:` of the daemon config, `deliver:` and `owners:` of a report.
extension ConfigLoader {
    static let mailKeys = ["sendmail", "from", "max_bytes", "timeout", "retries", "retry_delay"]
    static let deliveryKeys = ["email", "email_by_value", "attach"]
    /// Where the sendmail program usually is (postfix, exim and msmtp-mta all install it there).
    static let defaultSendmail = "/usr/sbin/sendmail"

    /// `mail:` of the daemon config, or nil when absent or invalid.
    func parseMail(_ node: Node?, base: String, _ file: inout YAMLFile) -> MailSettings? {
        guard let node, let fields = file.fields(node, what: "'mail'", allowed: Self.mailKeys) else { return nil }
        var command = [Self.defaultSendmail]
        var programNode = node
        if let n = fields["sendmail"] {
            programNode = n
            switch n {
            case .sequence(let items) where !items.isEmpty:
                var parts: [String] = []
                for item in items {
                    guard let part = file.path(item, "each item of 'mail.sendmail'") else { return nil }
                    if part.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                        file.error("'mail.sendmail' must not hold control characters", at: item)
                        return nil
                    }
                    parts.append(part)
                }
                command = parts
            default:
                guard let program = file.path(n, "'mail.sendmail' (a program, or a list [program, argument…])") else {
                    return nil
                }
                command = [program]
            }
        }
        command[0] = Self.resolveProgram(command[0], base: base)
        if let why = Self.programProblem(command[0]) {
            // A warning: the config may be checked on another machine than the one that sends.
            file.warning(
                "'mail.sendmail': \(why); every mail will fail until it is installed (postfix, exim or msmtp-mta "
                    + "provide /usr/sbin/sendmail)", at: programNode)
        }
        guard let fromNode = fields["from"] else {
            file.error("'mail' needs 'from', the sender (reportd <reportd@example.org>)", at: node)
            return nil
        }
        // Every key is checked, whatever the others hold: all errors at once.
        let from = parseAddress(fromNode, "'mail.from'", &file)
        var settings = MailSettings(command: command, from: from ?? MailAddress(address: "x@invalid"))
        if let n = fields["max_bytes"], let v = file.int(n, "'mail.max_bytes'", range: 10_000...1_000_000_000) {
            settings.maxBytes = v
        }
        if let n = fields["timeout"], let v = file.duration(n, "'mail.timeout'") {
            if v > 3600 { file.error("'mail.timeout' must be at most 1h", at: n) } else { settings.timeout = v }
        }
        if let n = fields["retries"], let v = file.int(n, "'mail.retries'", range: 0...10) { settings.retries = v }
        if let n = fields["retry_delay"], let v = file.duration(n, "'mail.retry_delay'") {
            if v > 3600 { file.error("'mail.retry_delay' must be at most 1h", at: n) } else { settings.retryDelay = v }
        }
        return from == nil ? nil : settings
    }

    /// A program named without a `/` is looked up in PATH (as a shell would); one with a `/` is
    /// resolved against the config's folder.
    static func resolveProgram(_ program: String, base: String) -> String {
        guard !program.contains("/") else { return DisplayPath.resolve(program, against: base) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for folder in path.split(separator: ":") + ["/usr/sbin", "/sbin"] {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return program
    }

    /// Why `program` cannot be run, or nil.
    static func programProblem(_ program: String) -> String? {
        guard program.hasPrefix("/") else { return "'\(program)' is not in PATH" }
        var info = stat()
        guard stat(program, &info) == 0 else { return "\(program) does not exist" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "\(program) is not a regular file" }
        guard access(program, X_OK) == 0 else { return "\(program) is not executable by this user" }
        return nil
    }

    /// A list of addresses (`owners:`, `email:`), each checked; nil when any is wrong.
    func parseAddresses(_ node: Node, _ what: String, _ file: inout YAMLFile) -> [MailAddress]? {
        guard let list = file.stringList(node, what) else { return nil }
        var out: [MailAddress] = []
        var failed = false
        for (_, item) in list {
            if let address = parseAddress(item, "an address of \(what)", &file) {
                if !out.contains(address) { out.append(address) }
            } else {
                failed = true
            }
        }
        if list.isEmpty {
            file.error("\(what) lists no address", at: node)
            return nil
        }
        return failed ? nil : out
    }

    func parseAddress(_ node: Node, _ what: String, _ file: inout YAMLFile) -> MailAddress? {
        guard let text = file.string(node, what) else { return nil }
        switch MailAddress.parse(text) {
        case .success(let address): return address
        case .failure(let error):
            file.error("\(what): \(error)", at: node)
            return nil
        }
    }

    /// `deliver:` and `owners:` of a report, checked against its formats and the daemon's `mail:`.
    func parseMailKeys(_ f: Fields, into d: inout ReportDefinition, daemon: DaemonConfig, _ file: inout YAMLFile) {
        if let n = f["owners"] {
            if daemon.mail == nil {
                file.error("'owners' needs 'mail:' in the daemon config (how reportd sends mail)", at: n)
            } else if let owners = parseAddresses(n, "'owners'", &file) {
                d.owners = owners
            }
        }
        guard let n = f["deliver"] else { return }
        if daemon.mail == nil {
            file.error("'deliver' needs 'mail:' in the daemon config (how reportd sends mail)", at: n)
            return
        }
        guard case .sequence(let items) = n, !items.isEmpty else {
            file.error("'deliver' must be a list of {email: [ADDRESS…], attach: [FORMAT…]}", at: n)
            return
        }
        for item in items {
            guard let fields = file.fields(item, what: "a 'deliver' entry", allowed: Self.deliveryKeys) else {
                continue
            }
            var byValue: [String: [MailAddress]]?
            var to: [MailAddress]?
            if let byValueNode = fields["email_by_value"] {
                if fields["email"] != nil {
                    file.error("a 'deliver' entry has 'email' or 'email_by_value', not both", at: item)
                    continue
                }
                byValue = parseByValue(byValueNode, &file)
                to = byValue == nil ? nil : []
            } else if let emailNode = fields["email"] {
                // The attachments are checked even when an address is wrong: all errors at once.
                to = parseAddresses(emailNode, "'email'", &file)
            } else {
                file.error(
                    "a 'deliver' entry needs 'email', the addresses to send to (or 'email_by_value' with 'split_by')",
                    at: item)
                continue
            }
            var delivery = Delivery(to: to ?? [])
            delivery.byValue = byValue
            if let attachNode = fields["attach"] {
                if case .sequence(let seq) = attachNode, seq.isEmpty {
                    delivery.attach = []
                } else if let list = file.stringList(attachNode, "'attach'") {
                    var formats: [OutputFormat] = []
                    for (text, node) in list {
                        // A format's name (`text`) or its file's extension (`txt`).
                        let format = d.formats.first { $0 == text || writers.fileExtension(of: $0) == text }
                        guard let format else {
                            let written = d.formats.map { format in
                                let ext = writers.fileExtension(of: format)
                                return ext == format ? format : "\(format) (\(ext))"
                            }
                            file.error(
                                "cannot attach '\(text)': the report writes \(written.joined(separator: ", ")) "
                                    + "(add it to 'formats' to attach it)", at: node)
                            continue
                        }
                        if !formats.contains(format) { formats.append(format) }
                    }
                    delivery.attach = formats
                }
            }
            if to != nil { d.deliveries.append(delivery) }
        }
    }
}

extension ReportJSONSchema {
    /// `deliver` and `owners` of a report.
    static var mailProperties: [String: Any] {
        let addresses: [String: Any] = [
            "anyOf": [["type": "string"], ["type": "array", "minItems": 1, "items": ["type": "string"]]],
            "description": "mail addresses (name@example.org or \"Name <name@example.org>\")",
        ]
        return [
            "owners": addresses,
            "deliver": [
                "type": "array", "minItems": 1,
                "items": [
                    "type": "object", "additionalProperties": false,
                    "oneOf": [["required": ["email"]], ["required": ["email_by_value"]]],
                    "properties": [
                        "email": addresses,
                        "email_by_value": [
                            "type": "object", "minProperties": 1, "additionalProperties": addresses,
                            "description":
                                "with split_by: each value (in NFC) to its addresses; \"*\" for the values not listed",
                        ],
                        "attach": [
                            "type": "array", "items": ["type": "string"],
                            "description": "formats the report writes (or their extensions); default: all",
                        ],
                    ],
                ],
            ],
        ]
    }
}
