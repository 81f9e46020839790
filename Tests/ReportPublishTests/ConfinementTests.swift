import Foundation
import Testing

import ReportFiles
@testable import ReportPublish

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A shared folder (`root`) and, beside it, a folder standing for the rest of the system
/// (`outside`): the links the tests plant point there, and it must be unchanged afterwards.
final class PlantedFolder {
    let base: String
    let root: String
    let outside: String

    init() throws {
        base =
            FileManager.default.temporaryDirectory.appendingPathComponent("reportd-confine-\(UUID().uuidString)")
            .path
        root = base + "/root"
        outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// A file outside the root holding `text`: what a planted link points at.
    func victim(_ name: String, _ text: String = "do not touch\n") throws -> String {
        let path = outside + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + relative, withDestinationPath: target)
    }

    func folder(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// Everything below `outside`, recursively, with each file's text: compared before and after.
    func outsideSnapshot() -> [String: String] {
        var out: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: outside)
        while let relative = enumerator?.nextObject() as? String {
            let path = outside + "/" + relative
            out[relative] = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<folder or unreadable>"
        }
        return out
    }
}

/// `lstat` of the path itself (a link is not followed).
func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

func statOf(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

/// Promise 4 of issue 6: no write follows a symbolic link planted in the shared folder.
@Suite struct PublisherConfinementTests {
    static let stamp = "2026-11-29T060000"

    /// Every name a run publishes; a link planted at any of them is replaced, not followed.
    static let publishedNames = [
        "r_\(stamp).csv", "r_\(stamp).json", "r_\(stamp).txt", "r_\(stamp).rejected.csv", "latest.csv",
        "latest.json", "latest.txt",
    ]

    @Test(arguments: publishedNames)
    func aLinkPlantedAtAFileNameIsReplacedByARegularFile(name: String) throws {
        let f = try PlantedFolder()
        let victim = try f.victim("passwd")
        try f.folder("r")
        try f.link("r/\(name)", to: victim)
        let before = f.outsideSnapshot()
        try Publisher(root: f.root).publish(report: "r", files: [.init(name: name, bytes: Array("new\n".utf8))])
        #expect(fileType("\(f.root)/r/\(name)") == S_IFREG)
        #expect(try f.text("\(f.root)/r/\(name)") == "new\n")
        #expect(f.outsideSnapshot() == before)
        #expect(try f.text(victim) == "do not touch\n")
    }

    @Test func aDanglingLinkAtAFileNameCreatesNothingOutside() throws {
        let f = try PlantedFolder()
        try f.folder("r")
        let target = f.outside + "/created-by-reportd"
        try f.link("r/latest.json", to: target)
        try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.json", bytes: [0x7B, 0x7D])])
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(fileType("\(f.root)/r/latest.json") == S_IFREG)
    }

    @Test func aLinkToAFolderAtAFileNameIsReplacedAndTheFolderUntouched() throws {
        let f = try PlantedFolder()
        try f.folder("r")
        _ = try f.victim("inside-etc")
        try f.link("r/latest.txt", to: f.outside)
        let before = f.outsideSnapshot()
        try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.txt", bytes: [65])])
        #expect(fileType("\(f.root)/r/latest.txt") == S_IFREG)
        #expect(f.outsideSnapshot() == before)
    }

    @Test func aHardLinkPlantedAtLatestKeepsItsOtherNameUnchanged() throws {
        let f = try PlantedFolder()
        let victim = try f.victim("shadow")
        try f.folder("r")
        guard link(victim, "\(f.root)/r/latest.csv") == 0 else {
            print("skipped: cannot make a hard link here (\(String(cString: strerror(errno))))")
            return
        }
        try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.csv", bytes: Array("a\n".utf8))])
        #expect(try f.text(victim) == "do not touch\n")
        #expect(try f.text("\(f.root)/r/latest.csv") == "a\n")
        #expect(statOf("\(f.root)/r/latest.csv")?.st_ino != statOf(victim)?.st_ino)
    }

    @Test func aFIFOPlantedAtLatestIsReplacedWithoutBeingOpened() throws {
        // Opening a FIFO for writing would block until a reader comes: rename never opens it.
        let f = try PlantedFolder()
        try f.folder("r")
        #expect(mkfifo("\(f.root)/r/latest.json", 0o644) == 0)
        try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.json", bytes: [0x5B, 0x5D])])
        #expect(fileType("\(f.root)/r/latest.json") == S_IFREG)
    }

    @Test func aFolderPlantedAtAFileNameFailsTheRunWithoutTouchingIt() throws {
        let f = try PlantedFolder()
        try f.folder("r/latest.csv")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: "\(f.root)/r/latest.csv/inside"))
        #expect(throws: PublishError.self) {
            try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.csv", bytes: [1])])
        }
        #expect(try f.text("\(f.root)/r/latest.csv/inside") == "kept")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(f.root)/r") == ["latest.csv"])
    }

    @Test(arguments: ["outside", "inside", "dangling"])
    func aLinkAtTheReportFolderIsRefusedWithAClearError(kind: String) throws {
        let f = try PlantedFolder()
        _ = try f.victim("existing")
        try f.folder("other")
        switch kind {
        case "outside": try f.link("r", to: f.outside)
        case "inside": try f.link("r", to: f.root + "/other")  // even a link within the root
        default: try f.link("r", to: f.outside + "/not-yet")
        }
        let before = f.outsideSnapshot()
        let publisher = Publisher(root: f.root)
        let error = #expect(throws: PublishError.self) {
            try publisher.publish(report: "r", files: [.init(name: "latest.json", bytes: [1])])
        }
        #expect(error?.code == .symlinkRefused)
        #expect(
            error?.description
                == "\(f.root)/r: is a symbolic link or not a folder; reportd will not write through it (remove it)")
        #expect(throws: PublishError.self) { try publisher.applyRetention(report: "r", keep: 1) }
        #expect(f.outsideSnapshot() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.root + "/other").isEmpty)
        #expect(fileType(f.root + "/r") == S_IFLNK)  // left for the administrator to see
    }

    @Test func aFileAtTheReportFolderIsRefused() throws {
        let f = try PlantedFolder()
        try Data("x".utf8).write(to: URL(fileURLWithPath: f.root + "/r"))
        let error = #expect(throws: PublishError.self) {
            try Publisher(root: f.root).publish(report: "r", files: [.init(name: "latest.json", bytes: [1])])
        }
        #expect(error?.code == .symlinkRefused)
        #expect(try f.text(f.root + "/r") == "x")
    }

    @Test func retentionRemovesAPlantedLinkItselfNeverItsTarget() throws {
        let f = try PlantedFolder()
        let victim = try f.victim("old-run")
        let publisher = Publisher(root: f.root)
        try publisher.publish(report: "r", files: [.init(name: "r_\(Self.stamp).csv", bytes: [1])])
        try f.link("r/r_2000-01-01T000000.csv", to: victim)
        try f.link("r/r_2000-01-01T000000.json", to: f.outside)
        try f.folder("r/r_2000-01-02T000000.txt")  // a folder with a slot name: not removed
        let before = f.outsideSnapshot()
        let removed = try publisher.applyRetention(report: "r", keep: 1)
        #expect(removed.sorted() == ["r_2000-01-01T000000.csv", "r_2000-01-01T000000.json"])
        #expect(f.outsideSnapshot() == before)
        #expect(try f.text(victim) == "do not touch\n")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: f.root + "/r").sorted()
                == ["r_2000-01-02T000000.txt", "r_\(Self.stamp).csv"])
    }

    @Test(arguments: ["..", ".", "../escaped", "a/b", ".hidden", "", "a\u{0}b"])
    func aNameThatIsNotOnePlainComponentIsRefused(name: String) throws {
        let f = try PlantedFolder()
        let publisher = Publisher(root: f.root)
        let asReport = #expect(throws: PublishError.self) {
            try publisher.publish(report: name, files: [.init(name: "latest.csv", bytes: [1])])
        }
        #expect(asReport?.code == .unsafeName)
        let asFile = #expect(throws: PublishError.self) {
            try publisher.publish(report: "r", files: [.init(name: name, bytes: [1])])
        }
        #expect(asFile?.code == .unsafeName)
        #expect(FileManager.default.subpaths(atPath: f.base)?.sorted() == ["outside", "root", "root/r"])
    }
}

/// Promise 5 of issue 6: modes and group are set explicitly, whatever the umask.
@Suite struct PublisherPermissionTests {
    func mode(_ path: String) -> mode_t? { statOf(path).map { $0.st_mode & 0o7777 } }

    @Test func defaultsAreGroupReadableAndNeverWorldWritable() throws {
        let f = try PlantedFolder()
        let root = f.base + "/new/root"  // created by the publisher, with a missing parent
        try Publisher(root: root).publish(report: "r", files: [.init(name: "latest.csv", bytes: [1])])
        #expect(mode(root + "/r/latest.csv") == 0o640)
        #expect(mode(root + "/r") == 0o2750)
        #expect(mode(root) == 0o2750)
        #expect(mode(f.base + "/new") == 0o755)
    }

    @Test func configuredModesAreSetExactlyNotMaskedByTheUmask() throws {
        // 0604 and 2771 are modes no usual umask (022, 027, 077) produces from the defaults: they
        // can only come from fchmod.
        let f = try PlantedFolder()
        let permissions = Publisher.Permissions(fileMode: 0o604, folderMode: 0o2771)
        let publisher = Publisher(root: f.root, permissions: permissions)
        try publisher.publish(
            report: "r",
            files: [.init(name: "r_2026-11-29T060000.csv", bytes: [1]), .init(name: "latest.csv", bytes: [1])])
        #expect(mode(f.root + "/r/latest.csv") == 0o604)
        #expect(mode(f.root + "/r/r_2026-11-29T060000.csv") == 0o604)
        #expect(mode(f.root + "/r") == 0o2771)
        // A file replaced later gets the mode again (it is a new file each time).
        try Publisher(root: f.root, permissions: .init(fileMode: 0o600, folderMode: 0o700))
            .publish(report: "r", files: [.init(name: "latest.csv", bytes: [2])])
        #expect(mode(f.root + "/r/latest.csv") == 0o600)
        #expect(mode(f.root + "/r") == 0o2771)  // an existing folder keeps its mode
    }

    @Test func underASetgidRootTheConfiguredFolderModeIsStillExact() throws {
        let f = try PlantedFolder()
        #expect(chmod(f.root, 0o2750) == 0)
        try Publisher(root: f.root).publish(report: "inherits", files: [.init(name: "latest.csv", bytes: [1])])
        #expect(mode(f.root + "/inherits") == 0o2750)
        try Publisher(root: f.root, permissions: .init(fileMode: 0o640, folderMode: 0o750))
            .publish(report: "plain", files: [.init(name: "latest.csv", bytes: [1])])
        #expect(mode(f.root + "/plain") == 0o750)  // the inherited setgid bit is not kept
    }

    @Test func privatePermissionsForTheStateFolder() throws {
        let f = try PlantedFolder()
        let state = f.base + "/var/state"
        try Publisher(root: state, permissions: .private).publish(files: [.init(name: "r.json", bytes: [1])])
        #expect(mode(state) == 0o700)
        #expect(mode(state + "/r.json") == 0o600)
        #expect(mode(f.base + "/var") == 0o755)
    }

    /// A group other than the process's own that it may give files to: any group for root, else
    /// a supplementary group of the process.
    static func otherGroup() -> (gid_t, String)? {
        let own = getegid()
        var candidates: [gid_t] = []
        if geteuid() == 0 {
            candidates = [1, 2, 3, 4, 65534, 100]  // daemon, bin, sys, adm, nogroup, users (when present)
        } else {
            let count = getgroups(0, nil)
            var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
            _ = getgroups(count, &groups)
            candidates = groups
        }
        for gid in candidates where gid != own {
            if let entry = getgrgid(gid), let name = entry.pointee.gr_name { return (gid, String(cString: name)) }
        }
        return nil
    }

    @Test func theConfiguredGroupIsGivenToFilesAndCreatedFolders() throws {
        guard let (gid, name) = Self.otherGroup() else {
            print(
                "skipped theConfiguredGroupIsGivenToFilesAndCreatedFolders: this user belongs to no group other than its own"
            )
            return
        }
        let f = try PlantedFolder()
        let root = f.base + "/shared"
        let permissions = Publisher.Permissions(fileMode: 0o640, folderMode: 0o2750, group: gid, groupName: name)
        try Publisher(root: root, permissions: permissions).publish(
            report: "r", files: [.init(name: "latest.csv", bytes: [1])])
        #expect(statOf(root + "/r/latest.csv")?.st_gid == gid)
        #expect(statOf(root + "/r")?.st_gid == gid)
        #expect(statOf(root)?.st_gid == gid)
        #expect(mode(root + "/r") == 0o2750)
        #expect(mode(root + "/r/latest.csv") == 0o640)
    }

    @Test func aGroupTheProcessMayNotUseFailsWithAClearError() throws {
        guard geteuid() != 0 else {
            print("skipped aGroupTheProcessMayNotUseFailsWithAClearError: root may give files to any group")
            return
        }
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        _ = getgroups(count, &groups)
        guard let foreign = ([0, 1, 2, 3, 4] as [gid_t]).first(where: { !groups.contains($0) && $0 != getegid() })
        else {
            print("skipped aGroupTheProcessMayNotUseFailsWithAClearError: this user is in every candidate group")
            return
        }
        let f = try PlantedFolder()
        let permissions = Publisher.Permissions(fileMode: 0o640, folderMode: 0o750, group: foreign, groupName: "g")
        let error = #expect(throws: PublishError.self) {
            try Publisher(root: f.root, permissions: permissions).publish(
                report: "r", files: [.init(name: "latest.csv", bytes: [1])])
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("group 'g'") == true)
    }
}
