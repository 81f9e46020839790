public import Foundation

/// One mail message: headers, a plain text body, optionally an HTML alternative, and attachments;
/// `render()` writes it as RFC 5322 / MIME bytes with CRLF line ends.
public struct MIMEMessage: Sendable {
    public struct Mailbox: Sendable, Equatable {
        public var address: String
        public var name: String?

        public init(address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }
    }

    public struct Attachment: Sendable {
        public var fileName: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(fileName: String, contentType: String, bytes: [UInt8]) {
            self.fileName = fileName
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    public var from: Mailbox
    public var to: [Mailbox]
    public var subject: String
    public var date: Date
    public var messageID: String
    public var text: String
    public var html: String?
    public var attachments: [Attachment]
    /// More headers (`Auto-Submitted`, `X-Reportd-Report`): printable ASCII names and values.
    public var extraHeaders: [(String, String)] = []

    public init(
        from: Mailbox, to: [Mailbox], subject: String, date: Date = Date(), messageID: String? = nil, text: String,
        html: String? = nil, attachments: [Attachment] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID =
            messageID ?? Self.newMessageID(domain: from.address.split(separator: "@").last.map(String.init))
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    /// `<reportd.TIME.RANDOM@DOMAIN>`: unique without asking the host its name.
    public static func newMessageID(domain: String?) -> String {
        let random = (0..<8).map { _ in MIMEEncoding.hex(UInt8.random(in: 0...255)) }.joined()
        let time = Int(Date().timeIntervalSince1970 * 1000)
        return "<reportd.\(time).\(random)@\(domain ?? "localhost")>"
    }

    /// The content type of an attachment with `fileExtension`.
    public static func contentType(fileExtension: String) -> String {
        switch fileExtension.lowercased() {
        case "csv": "text/csv; charset=utf-8"
        case "json": "application/json"
        case "txt": "text/plain; charset=utf-8"
        case "html", "htm": "text/html; charset=utf-8"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "pdf": "application/pdf"
        default: "application/octet-stream"
        }
    }

    /// A boundary that cannot occur in the parts: they are quoted-printable (where `=` is always
    /// escaped) or base64 (which has no `_`), and `=_` starts every boundary.
    static func boundary(_ label: String) -> String {
        "=_reportd_\(label)_" + (0..<12).map { _ in MIMEEncoding.hex(UInt8.random(in: 0...255)) }.joined()
    }

    /// The message's bytes.
    public func render() -> [UInt8] {
        let crlf = MIMEEncoding.crlf
        var head = ""
        head += MIMEEncoding.addressHeader("From", [MIMEEncoding.mailbox(address: from.address, name: from.name)])
        head += MIMEEncoding.addressHeader("To", to.map { MIMEEncoding.mailbox(address: $0.address, name: $0.name) })
        head += MIMEEncoding.header("Subject", subject)
        head += "Date: " + MIMEEncoding.date(date) + crlf
        head += "Message-ID: " + messageID + crlf
        head += "MIME-Version: 1.0" + crlf
        for (name, value) in extraHeaders where MIMEEncoding.isPlainASCII(name) && MIMEEncoding.isPlainASCII(value) {
            head += MIMEEncoding.header(name, value)
        }
        let textPart =
            "Content-Type: text/plain; charset=utf-8" + crlf + "Content-Transfer-Encoding: quoted-printable" + crlf
            + crlf + MIMEEncoding.quotedPrintable(text)
        var body: String
        if let html {
            let htmlPart =
                "Content-Type: text/html; charset=utf-8" + crlf + "Content-Transfer-Encoding: quoted-printable" + crlf
                + crlf + MIMEEncoding.quotedPrintable(html)
            body = Self.multipart("alternative", [textPart, htmlPart])
        } else {
            body = textPart
        }
        if !attachments.isEmpty {
            var parts = [body]
            for attachment in attachments {
                parts.append(
                    "Content-Type: " + attachment.contentType + crlf + "Content-Transfer-Encoding: base64" + crlf
                        + "Content-Disposition: attachment" + MIMEEncoding.parameter("filename", attachment.fileName)
                        + crlf + crlf + MIMEEncoding.base64Lines(attachment.bytes))
            }
            body = Self.multipart("mixed", parts)
        }
        return Array((head + body).utf8)
    }

    /// A multipart entity: its Content-Type header, a blank line, the parts between boundaries.
    static func multipart(_ subtype: String, _ parts: [String]) -> String {
        let crlf = MIMEEncoding.crlf
        let boundary = boundary(subtype)
        var out = "Content-Type: multipart/\(subtype);" + crlf + " boundary=\"\(boundary)\"" + crlf + crlf
        for part in parts {
            // The line break before a boundary belongs to the boundary (RFC 2046 5.1.1): one more, so
            // the part keeps its own last line break.
            out += "--" + boundary + crlf + part + crlf
        }
        return out + "--" + boundary + "--" + crlf
    }
}
