/// How reportd sends mail (`mail:` in reportd.yaml): through the system's sendmail interface, which
/// postfix, exim and msmtp all provide, so that SMTP, TLS and credentials stay in the MTA.
public struct MailSettings: Sendable, Equatable {
    /// The sendmail-compatible program and the arguments it always gets (`sendmail:`, a path or a
    /// list `[path, arg…]`); reportd adds `-i -f FROM -- RECIPIENT…`.
    public var command: [String]
    /// The From header, `Name <address>` or a bare address.
    public var from: MailAddress
    /// The largest message reportd sends, in bytes (`max_bytes`); attachments that would pass it are
    /// named in the body instead.
    public var maxBytes: Int = 10 << 20
    /// Seconds one sendmail process may take before it is killed (`timeout`).
    public var timeout: Int = 60
    /// Attempts after the first when sending fails (`retries`), and the wait before the first of
    /// them (`retry_delay`), doubled each time, at most an hour.
    public var retries: Int = 3
    public var retryDelay: Int = 30

    public init(command: [String], from: MailAddress) {
        self.command = command
        self.from = from
    }
}

/// One `deliver:` entry of a report: who gets the report's outputs by mail, and which.
public struct Delivery: Sendable, Equatable {
    public var to: [MailAddress]
    /// The formats attached (`attach:`); nil: every format the report writes.
    public var attach: [OutputFormat]?
    /// `email_by_value` (with `split_by`): each value's outputs to its own addresses (keys in NFC;
    /// `"*"`: the values not listed). nil: a plain `email` entry, for the whole report.
    public var byValue: [String: [MailAddress]]?

    public init(to: [MailAddress], attach: [OutputFormat]? = nil) {
        self.to = to
        self.attach = attach
    }
}

/// A mail address, checked: `local@domain` with an optional display name (`Name <local@domain>`).
///
/// The check is deliberately narrower than RFC 5322: a dot-atom local part and a domain of
/// letters, digits and hyphens. No quoted local parts, no comments, no control characters and no
/// leading `-`: an address reaches the sendmail command line and the message's headers, where a
/// line break would add a header and a leading dash an option.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    /// `local@domain`.
    public var address: String
    /// The display name, if any (may hold any text but line breaks).
    public var name: String?

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }

    public init(address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Parses `text`, or says what is wrong with it.
    public static func parse(_ text: String) -> Result<MailAddress, MailAddressError> {
        let trimmed = text.trimmingSpaces
        if trimmed.unicodeScalars.contains(where: \.isControlCharacter) {
            return .failure(MailAddressError(text: text, why: "it holds a line break or a control character"))
        }
        var name: String?
        var spec = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var display = String(trimmed[..<open]).trimmingSpaces
            if display.count >= 2, display.hasPrefix("\""), display.hasSuffix("\"") {
                display = String(display.dropFirst().dropLast())
            }
            if display.contains("\"") || display.contains("\\") {
                return .failure(MailAddressError(text: text, why: "its name holds a quote or a backslash"))
            }
            name = display.isEmpty ? nil : display
            spec = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        }
        if let why = problem(inAddress: spec) { return .failure(MailAddressError(text: text, why: why)) }
        return .success(MailAddress(address: spec, name: name))
    }

    /// What is wrong with a bare `local@domain`, or nil.
    static func problem(inAddress spec: String) -> String? {
        let parts = spec.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return parts.count < 2 ? "it has no '@'" : "it has more than one '@'"
        }
        let (local, domain) = (parts[0], parts[1])
        guard !local.isEmpty, local.utf8.count <= 64 else { return "its part before '@' is empty or too long" }
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return "its domain is empty or too long" }
        if local.hasPrefix("-") { return "it starts with '-'" }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)
        for atom in local.split(separator: ".", omittingEmptySubsequences: false) {
            guard !atom.isEmpty else { return "its part before '@' has an empty dot-separated piece" }
            guard atom.utf8.allSatisfy(atext.contains) else {
                return "its part before '@' holds a character other than letters, digits and !#$%&'*+-/=?^_`{|}~."
            }
        }
        let labelChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { return "its domain has an empty or too long label" }
            guard label.utf8.allSatisfy(labelChars.contains), !label.hasPrefix("-"), !label.hasSuffix("-") else {
                return "its domain holds a character other than letters, digits, '-' and '.'"
            }
        }
        return nil
    }
}

/// Why a text is not a mail address.
public struct MailAddressError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var why: String
    public var description: String { "'\(text.escapingControlCharacters)' is not a mail address: \(why)" }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
