import Foundation
import ReportCore
import Testing
import TestSupport

@testable import ReportConfig

#if canImport(Glibc)
    import Glibc
#endif

/// `output.file_mode`, `output.folder_mode` and `output.group` in the daemon config, and the names
/// that become paths (issue 6, promises 4 and 5).
@Suite(.blocking) struct OutputPermissionConfigTests {
    /// The fixture's daemon config with `lines` added under `output:` (from line 7 on).
    func daemon(_ lines: String...) -> String {
        ConfigFixture.daemon.replacingOccurrences(
            of: "  keep: 3\n", with: "  keep: 3\n" + lines.map { "  \($0)\n" }.joined())
    }

    func load(_ daemon: String) throws -> (Configuration, [(file: String, line: Int, column: Int, message: String)]) {
        let fixture = try ConfigFixture(daemon: daemon, reports: ["r.yaml": validReport])
        return (fixture.load(), fixture.errors())
    }

    @Test func defaultsAreGroupReadableFilesAndSetgidFolders() throws {
        let (configuration, errors) = try load(ConfigFixture.daemon)
        #expect(errors.isEmpty, "\(errors)")
        let permissions = try #require(configuration.daemon?.outputPermissions)
        #expect(permissions.fileMode == 0o640)
        #expect(permissions.folderMode == 0o2750)
        #expect(permissions.group == nil)
    }

    @Test(arguments: [
        ("\"0640\"", "\"2750\"", mode_t(0o640), mode_t(0o2750)),
        ("0644", "0755", 0o644, 0o755),  // unquoted: still read as octal digits
        ("'600'", "'700'", 0o600, 0o700),
        ("\"0660\"", "\"3770\"", 0o660, 0o3770),
    ])
    func modesAreReadAsOctal(file: String, folder: String, fileMode: mode_t, folderMode: mode_t) throws {
        let (configuration, errors) = try load(daemon("file_mode: \(file)", "folder_mode: \(folder)"))
        #expect(errors.isEmpty, "\(errors)")
        #expect(configuration.daemon?.outputPermissions.fileMode == fileMode)
        #expect(configuration.daemon?.outputPermissions.folderMode == folderMode)
    }

    @Test(arguments: [
        ("\"0666\"", "'output.file_mode' 0666 is world-writable"),
        ("\"0642\"", "'output.file_mode' 0642 is world-writable"),
        ("\"0750\"", "makes report files executable"),
        ("\"2640\"", "sets setuid, setgid or sticky bits"),
        ("rw-r-----", "must be an octal mode such as \"0640\", not 'rw-r-----'"),
        ("\"0849\"", "must be an octal mode"),
        ("\"17777\"", "must be an octal mode"),
        ("\"64\"", "must be an octal mode"),
    ])
    func aBadFileModeIsALocatedError(value: String, message: String) throws {
        let (configuration, errors) = try load(daemon("file_mode: \(value)"))
        #expect(configuration.daemon == nil)
        #expect(errors.count == 1, "\(errors)")
        let e = try #require(errors.first)
        #expect(e.file == "reportd.yaml" && e.line == 7 && e.column == 14, "\(e)")
        #expect(e.message.contains(message), "\(e.message)")
    }

    @Test(arguments: [
        ("\"0777\"", "'output.folder_mode' 0777 is world-writable"),
        ("\"2757\"", "is world-writable"),
        ("\"1777\"", "is world-writable"),
        ("\"4750\"", "sets setuid"),
        ("\"0550\"", "must give the owner rwx (7)"),
        ("\"0600\"", "must give the owner rwx (7)"),
        ("drwxr-x---", "must be an octal mode such as \"2750\""),
    ])
    func aBadFolderModeIsALocatedError(value: String, message: String) throws {
        let (configuration, errors) = try load(daemon("folder_mode: \(value)"))
        #expect(configuration.daemon == nil)
        #expect(errors.count == 1, "\(errors)")
        let e = try #require(errors.first)
        #expect(e.file == "reportd.yaml" && e.line == 7 && e.column == 16, "\(e)")
        #expect(e.message.contains(message), "\(e.message)")
    }

    @Test func aGroupIsResolvedByNameOrTakenAsANumber() throws {
        let name = String(cString: getgrgid(0).pointee.gr_name)  // "root" on Linux
        let (byName, errors) = try load(daemon("group: \(name)"))
        #expect(errors.isEmpty, "\(errors)")
        #expect(byName.daemon?.outputPermissions.group == 0)
        #expect(byName.daemon?.outputPermissions.groupName == name)
        let (byNumber, numberErrors) = try load(daemon("group: 4242"))
        #expect(numberErrors.isEmpty, "\(numberErrors)")
        #expect(byNumber.daemon?.outputPermissions.group == 4242)
    }

    @Test func anUnknownGroupIsALocatedError() throws {
        let (configuration, errors) = try load(daemon("group: no-such-group-reportd"))
        #expect(configuration.daemon == nil)
        let e = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(e.line == 7 && e.column == 10, "\(e)")
        #expect(e.message.contains("unknown group 'no-such-group-reportd'"))
    }

    @Test func aMisspelledKeyUnderOutputSuggestsTheRightOne() throws {
        let (_, errors) = try load(daemon("file_mod: \"0640\""))
        let e = try #require(errors.first)
        #expect(e.line == 7 && e.column == 3)
        #expect(e.message.contains("unknown key 'file_mod' in 'output' (did you mean 'file_mode'?)"), "\(e.message)")
    }

    // MARK: Names that become paths

    @Test(arguments: [
        "..", ".hidden", "a..b/c", "x/..", "a\\tb", "a\\nb", "a\\x1B[2Jb", "a\\0b", "nul\\u0000", "A", "ngân-sách",
        " leading", "-x", "_x",
    ])
    func reportNamesThatCouldEscapeOrHideAreLocatedErrors(name: String) throws {
        let fixture = try ConfigFixture(
            reports: [
                "r.yaml": validReport.replacingOccurrences(of: "name: by-program", with: "name: \"\(name)\"")
            ])
        let errors = fixture.errors()
        #expect(errors.count == 1, "\(errors)")
        let e = try #require(errors.first)
        #expect(e.file == "r.yaml" && e.line == 1 && e.column == 7, "\(e)")
        #expect(e.message.contains("must match [a-z0-9][a-z0-9_-]*"), "\(e.message)")
        // The message never carries a raw control character into the terminal or the journal.
        #expect(!e.message.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(e.message)")
        #expect(fixture.load().reports.isEmpty)
    }

    @Test func aReportNameLongerThan128BytesIsALocatedError() throws {
        let long = String(repeating: "a", count: 129)
        let fixture = try ConfigFixture(
            reports: ["r.yaml": validReport.replacingOccurrences(of: "name: by-program", with: "name: \(long)")])
        let e = try #require(fixture.errors().first)
        #expect(e.line == 1 && e.column == 7)
        #expect(e.message == "report name is 129 bytes long; at most 128 (it names a folder and its files)")
        let fits = try ConfigFixture(
            reports: [
                "r.yaml": validReport.replacingOccurrences(
                    of: "name: by-program", with: "name: \(String(repeating: "a", count: 128))")
            ])
        #expect(fits.errors().isEmpty)
    }
}
