import Foundation
import Testing
import TestSupport

@testable import ReportMail

/// The MIME writer, checked line by line against the RFCs' limits and, for whole messages, by
/// Python's `email` package (an independent reader).
@Suite(.blocking, .serialized) struct MIMEEncodingTests {
    /// Every line of `text` ends in CRLF (no bare LF or CR).
    func linesEndInCRLF(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() {
            if b == 0x0A && (i == 0 || bytes[i - 1] != 0x0D) { return false }
            if b == 0x0D && (i + 1 >= bytes.count || bytes[i + 1] != 0x0A) { return false }
        }
        return true
    }

    func lines(_ text: String) -> [String] {
        text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    @Test(arguments: [
        "Tổng hợp kinh phí hỗ trợ theo huyện — 2026-11-29 06:00 (+07:00)",
        String(repeating: "Mường Tè, Sìn Hồ, Tam Đường, Phong Thổ; ", count: 8),
        "ASCII only but long enough to need folding somewhere in the middle of the subject line for sure",
        "Line\r\nBcc: attacker@example.org",
        "e\u{301}\u{302}\u{323}" + String(repeating: "x", count: 200),
    ])
    func subjectsFoldIntoEncodedWordsOfAtMost76Characters(_ subject: String) async throws {
        let header = MIMEEncoding.header("Subject", subject)
        #expect(linesEndInCRLF(header))
        for line in lines(header) {
            #expect(line.utf8.count <= 76, "\(line.utf8.count): \(line)")
            #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        }
        // Continuation lines start with a space; only the first names a header.
        #expect(lines(header).dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(!header.contains("\r\nBcc:"))
        // Each encoded word is at most 75 characters.
        for word in header.split(whereSeparator: \.isWhitespace) where word.hasPrefix("=?") {
            #expect(word.count <= 75)
        }
        #expect(try await PythonEmail.decodeHeader(header) == subject)
    }

    @Test func plainShortSubjectsStayReadable() {
        #expect(MIMEEncoding.header("Subject", "Weekly report") == "Subject: Weekly report\r\n")
    }

    @Test func encodedWordsNeverSplitACharacter() throws {
        // Each word decodes on its own to valid UTF-8 (a split sequence would not).
        let header = MIMEEncoding.header("Subject", String(repeating: "Đường ", count: 30))
        for word in header.split(whereSeparator: \.isWhitespace) where word.hasPrefix("=?UTF-8?B?") {
            let payload = word.dropFirst(10).dropLast(2)
            let data = try #require(Data(base64Encoded: String(payload)))
            #expect(String(data: data, encoding: .utf8) != nil)
        }
    }

    @Test func fileNamesUseRFC2231AndContinueWhenLong() async throws {
        let short = MIMEEncoding.parameter("filename", "Báo cáo.csv")
        #expect(short.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o.csv"), "\(short)")
        let name = "Tổng hợp kinh phí hỗ trợ theo huyện và chương trình mục tiêu quốc gia 2026-11-29T060000.xlsx"
        let long = MIMEEncoding.parameter("filename", name)
        #expect(long.contains("filename*0*=UTF-8''"))
        #expect(long.contains("filename*1*="))
        for line in lines(long) { #expect(line.utf8.count <= 76, "\(line)") }
        #expect(MIMEEncoding.parameter("filename", "plain.csv") == ";\r\n filename=\"plain.csv\"")
        #expect(try await PythonEmail.fileName(contentDisposition: "attachment" + long) == name)
    }

    @Test func quotedPrintableCutsLongLinesAndKeepsEveryByte() async throws {
        let long = String(repeating: "Kinh phí = 4.700.000.000 đồng; ", count: 40)  // well over 998 bytes
        #expect(long.utf8.count > 998)
        let text = long + "\nthe end  \n.\nFrom here\n"
        let encoded = MIMEEncoding.quotedPrintable(text)
        #expect(linesEndInCRLF(encoded))
        for line in lines(encoded) {
            #expect(line.utf8.count <= 76, "\(line.utf8.count)")
            #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
            #expect(!line.hasSuffix(" ") && !line.hasSuffix("\t"))
            #expect(line != ".")
            #expect(!line.hasPrefix("From "))
        }
        let decoded = try await PythonEmail.decodeQuotedPrintable(encoded)
        #expect(decoded == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func base64LinesAre76CharactersWithCRLF() {
        let bytes = (0..<1000).map { UInt8($0 % 256) }
        let encoded = MIMEEncoding.base64Lines(bytes)
        #expect(linesEndInCRLF(encoded))
        #expect(lines(encoded).dropLast().allSatisfy { $0.count == 76 })
        #expect(encoded.utf8.count == MIMEEncoding.base64Size(bytes.count))
        #expect(Data(base64Encoded: lines(encoded).joined()) == Data(bytes))
    }

    @Test func dateIsRFC5322InUTC() {
        #expect(MIMEEncoding.date(Date(timeIntervalSince1970: 1_796_545_516)) == "Sun, 06 Dec 2026 08:25:16 +0000")
    }

    @Test func wholeMessageParsesWithItsPartsIntact() async throws {
        let csv = Array("district,amount\nMường Tè,100\n".utf8)
        let xlsx: [UInt8] = (0..<5000).map { UInt8(($0 * 7) % 256) }
        var message = MIMEMessage(
            from: .init(address: "reportd@example.org", name: "Báo cáo tự động"),
            to: [.init(address: "a@example.org"), .init(address: "b@example.org", name: "Phòng Kế hoạch")],
            subject: "Tổng hợp theo huyện — 2026-11-29 06:00 (+07:00)",
            text: "Tổng cộng: 4.700.000.000 đồng\n" + String(repeating: "x", count: 1200) + "\n",
            html: "<html><body><p>Tổng cộng</p></body></html>",
            attachments: [
                .init(
                    fileName: "Tổng hợp theo huyện 2026-11-29T060000.csv",
                    contentType: MIMEMessage.contentType(fileExtension: "csv"), bytes: csv),
                .init(
                    fileName: "Tổng hợp theo huyện 2026-11-29T060000.xlsx",
                    contentType: MIMEMessage.contentType(fileExtension: "xlsx"), bytes: xlsx),
            ])
        message.extraHeaders = [("Auto-Submitted", "auto-generated")]
        let bytes = message.render()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(linesEndInCRLF(text))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        let parsed = try await PythonEmail.summary(bytes)
        #expect(parsed["subject"] as? String == message.subject)
        #expect(parsed["from"] as? String == "Báo cáo tự động <reportd@example.org>")
        #expect(parsed["defects"] as? [String] == [])
        // Python's parser gives the lines back with LF ends.
        #expect((parsed["plain"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == message.text)
        #expect((parsed["html"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n") == message.html! + "\n")
        let attachments = try #require(parsed["attachments"] as? [[String: Any]])
        #expect(attachments.map { $0["name"] as? String } == message.attachments.map(\.fileName))
        #expect(
            attachments.map { $0["type"] as? String } == [
                "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ])
        #expect(
            attachments.map { $0["hex"] as? String }
                == [csv, xlsx].map { $0.map { String(format: "%02x", $0) }.joined() })
        #expect(parsed["message_id"] as? String == message.messageID)
        #expect(parsed["date_ok"] as? Bool == true)
    }
}

/// Python's `email` package, run as a child: an independent reader of what the writer wrote.
enum PythonEmail {
    /// Runs `script` with `input` on its standard input; the wait happens on a dispatch thread, so
    /// that the cooperative pool's few threads stay free for the scheduler's tests meanwhile.
    static func run(_ script: String, input: [UInt8]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(script, input: input) })
            }
        }
    }

    static func runBlocking(_ script: String, input: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PythonFailed(status: process.terminationStatus) }
        return String(decoding: data, as: UTF8.self)
    }

    struct PythonFailed: Error { var status: Int32 }

    static func decodeHeader(_ header: String) async throws -> String {
        try await run(
            """
            import sys, email
            from email import policy
            m = email.message_from_bytes(sys.stdin.buffer.read() + b"\\r\\n", policy=policy.default)
            sys.stdout.write(str(m["Subject"]))
            """, input: Array(header.utf8))
    }

    static func fileName(contentDisposition: String) async throws -> String {
        try await run(
            """
            import sys, email
            from email import policy
            raw = b"Content-Disposition: " + sys.stdin.buffer.read() + b"\\r\\n\\r\\n"
            sys.stdout.write(email.message_from_bytes(raw, policy=policy.default).get_filename())
            """, input: Array(contentDisposition.utf8))
    }

    static func decodeQuotedPrintable(_ text: String) async throws -> String {
        try await run(
            "import sys, quopri; sys.stdout.buffer.write(quopri.decodestring(sys.stdin.buffer.read()))",
            input: Array(text.utf8))
    }

    /// Subject, From, Message-ID, text and HTML bodies, attachments (name, type, bytes in hex) and
    /// the parser's defects, as JSON.
    static func summary(_ message: [UInt8]) async throws -> [String: Any] {
        let json = try await run(
            """
            import sys, json, email, email.utils
            from email import policy
            m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
            out = {"subject": str(m["Subject"]), "from": str(m["From"]), "message_id": m["Message-ID"],
                   "date_ok": email.utils.parsedate_to_datetime(m["Date"]) is not None, "defects": [],
                   "attachments": []}
            for part in m.walk():
                out["defects"] += [type(d).__name__ for d in part.defects]
                if part.is_multipart():
                    continue
                if part.get_content_disposition() == "attachment":
                    out["attachments"].append({"name": part.get_filename(), "type": part.get_content_type(),
                                               "hex": part.get_payload(decode=True).hex()})
                elif part.get_content_type() == "text/plain":
                    out["plain"] = part.get_payload(decode=True).decode("utf-8")
                elif part.get_content_type() == "text/html":
                    out["html"] = part.get_payload(decode=True).decode("utf-8")
            print(json.dumps(out))
            """, input: message)
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
    }
}
