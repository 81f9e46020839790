import ReportCore
import Testing
import TestSupport

@Suite(.blocking) struct MailAddressTests {
    @Test(
        arguments: [
            ("quantri@example.org", "quantri@example.org", nil),
            ("reportd <reportd@khuyencong.example>", "reportd@khuyencong.example", "reportd"),
            ("\"Phòng Kế hoạch\" <phongkehoach@example.org>", "phongkehoach@example.org", "Phòng Kế hoạch"),
            ("root@localhost", "root@localhost", nil),
        ] as [(String, String, String?)])
    func acceptsAddresses(_ text: String, _ address: String, _ name: String?) throws {
        let parsed = try MailAddress.parse(text).get()
        #expect(parsed.address == address)
        #expect(parsed.name == name)
    }

    @Test(arguments: [
        "no-at-sign", "a@b@c", "@example.org", "a@", "-oQ/tmp/x@example.org", "a b@example.org",
        "a@example.org\r\nBcc: x@evil.example", "Name\n <a@example.org>", "a..b@example.org", "a@exa_mple.org",
        "a@-example.org", "\"Quote\\\" <a@example.org>",
    ])
    func refusesWhatIsNotAnAddress(_ text: String) {
        #expect(throws: MailAddressError.self) { try MailAddress.parse(text).get() }
    }
}
