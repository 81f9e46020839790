import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the real binary under `sh -c 'umask U; exec reportd …'`, so the umask is the one the
/// process starts with, as under a service manager or a login shell.
private func lstatOf(_ url: URL) -> stat? {
    var info = stat()
    return lstat(url.path, &info) == 0 ? info : nil
}

private func modeOf(_ url: URL) -> Int? { lstatOf(url).map { Int($0.st_mode & 0o7777) } }

private func octal(_ mode: Int?) -> String { mode.map { String($0, radix: 8) } ?? "missing" }

/// Adds `lines` under `output:` in a copy of the sample config (after `keep:`).
private func editOutput(_ folder: URL, _ lines: [String], keep: Int? = nil) throws {
    let config = folder.appendingPathComponent("config/reportd.yaml")
    var text = try String(contentsOf: config, encoding: .utf8)
    let keepLine = "  keep: 30\n"
    precondition(text.contains(keepLine), "the sample config changed: no '\(keepLine)'")
    text = text.replacingOccurrences(
        of: keepLine, with: "  keep: \(keep ?? 30)\n" + lines.map { "  \($0)\n" }.joined())
    try text.write(to: config, atomically: true, encoding: .utf8)
}

/// Every file and folder below `url`, recursively (links not followed), relative to it.
private func tree(_ url: URL) -> [String] {
    (FileManager.default.subpaths(atPath: url.path) ?? []).sorted()
}

/// Issue 6, promise 5: modes and group of everything `reportd run` creates, whatever the umask.
@Suite(.blocking) struct PermissionsEndToEndTests {
    @Test(arguments: ["000", "077", "022"])
    func defaultModesHoldWhateverTheUmask(umask: String) throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = try runReportd(
            ["run", "--config", folder.appendingPathComponent("config/reportd.yaml").path], umask: umask)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let reports = folder.appendingPathComponent("var/reports")
        let state = folder.appendingPathComponent("var/state")
        // `var/` is a missing parent of both: 0755, explicitly.
        #expect(
            modeOf(folder.appendingPathComponent("var")) == 0o755,
            "var: \(octal(modeOf(folder.appendingPathComponent("var"))))")
        #expect(modeOf(reports) == 0o2750, "output root: \(octal(modeOf(reports)))")
        // Seven report folders (the quarterly one since issue 25) and the index page, which gets the
        // files' mode too.
        #expect(modeOf(reports.appendingPathComponent("index.html")) == 0o640)
        let names = filesIn(reports).filter { $0 != "index.html" }
        #expect(names.count == 8, "\(names)")
        for name in names {
            let report = reports.appendingPathComponent(name)
            #expect(modeOf(report) == 0o2750, "\(name)/: \(octal(modeOf(report)))")
            var files = filesIn(report)
            // The split report (issue 26): its values' folders, each with four slot and four latest
            // files, and its index of the values.
            if name == "district-offices" {
                let values = files.filter { !$0.contains(".") }
                #expect(values.count == 8, "\(values)")
                for value in values {
                    let folder = report.appendingPathComponent(value)
                    #expect(modeOf(folder) == 0o2750, "\(name)/\(value)/: \(octal(modeOf(folder)))")
                    #expect(filesIn(folder).count == 8, "\(name)/\(value): \(filesIn(folder))")
                    for file in filesIn(folder) {
                        let mode = modeOf(folder.appendingPathComponent(file))
                        #expect(mode == 0o640, "\(name)/\(value)/\(file): \(octal(mode))")
                    }
                }
                files = files.filter { $0.contains(".") && $0 != "index.html" }
            }
            #expect(files.count == 9, "\(name): \(files)")  // four slot files, four latest, the manifest
            for file in files {
                let mode = modeOf(report.appendingPathComponent(file))
                #expect(mode == 0o640, "\(name)/\(file): \(octal(mode))")
            }
        }
        // The state: private.
        #expect(modeOf(state) == 0o700, "state: \(octal(modeOf(state)))")
        let stateFiles = filesIn(state).filter { $0.hasSuffix(".json") }
        #expect(stateFiles.count == 8, "\(filesIn(state))")
        for file in stateFiles {
            #expect(modeOf(state.appendingPathComponent(file)) == 0o600, "state/\(file)")
        }
        let locks = state.appendingPathComponent("locks")
        #expect(modeOf(locks) == 0o700, "locks: \(octal(modeOf(locks)))")
        // One per report, and the index's (`_index.lock`).
        #expect(filesIn(locks).count == 9 && filesIn(locks).contains("_index.lock"), "\(filesIn(locks))")
        for file in filesIn(locks) {
            #expect(modeOf(locks.appendingPathComponent(file)) == 0o600, "locks/\(file)")
        }
        // Nothing anywhere is writable by others, and nothing hidden (a temporary file) is left.
        for path in tree(folder.appendingPathComponent("var")) {
            let mode = modeOf(folder.appendingPathComponent("var/\(path)")) ?? 0
            #expect(mode & 0o002 == 0, "var/\(path) is world-writable: \(octal(mode))")
            #expect(!(path as NSString).lastPathComponent.hasPrefix("."), "var/\(path)")
        }
    }

    /// A group other than the process's own that it may give files to.
    static func otherGroup() -> (gid_t, String)? {
        let own = getegid()
        var candidates: [gid_t]
        if geteuid() == 0 {
            candidates = [1, 2, 3, 4, 65534, 100]
        } else {
            let count = getgroups(0, nil)
            candidates = [gid_t](repeating: 0, count: Int(max(count, 0)))
            _ = getgroups(count, &candidates)
        }
        for gid in candidates where gid != own {
            if let entry = getgrgid(gid), let name = entry.pointee.gr_name { return (gid, String(cString: name)) }
        }
        return nil
    }

    @Test func configuredModesAndGroupHoldUnderATightUmask() throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let group = Self.otherGroup()
        if group == nil {
            print(
                "configuredModesAndGroupHoldUnderATightUmask: group part skipped: this user belongs to no other group")
        }
        // Wider than umask 077 allows: the modes can only come from reportd's own fchmod.
        try editOutput(
            folder, ["file_mode: \"0644\"", "folder_mode: \"0755\""] + (group.map { ["group: \($0.1)"] } ?? []))
        let out = try runReportd(
            ["run", "--config", folder.appendingPathComponent("config/reportd.yaml").path, "funding-by-program"],
            umask: "077")
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let report = folder.appendingPathComponent("var/reports/funding-by-program")
        #expect(modeOf(folder.appendingPathComponent("var/reports")) == 0o755)
        #expect(modeOf(report) == 0o755)
        let files = filesIn(report)
        #expect(files.count == 9, "\(files)")  // four slot files, four latest, the manifest
        #expect(modeOf(folder.appendingPathComponent("var/reports/index.html")) == 0o644)
        for file in files {
            let url = report.appendingPathComponent(file)
            #expect(modeOf(url) == 0o644, "\(file): \(octal(modeOf(url)))")
            if let (gid, name) = group { #expect(lstatOf(url)?.st_gid == gid, "\(file): not in group \(name)") }
        }
        if let (gid, _) = group {
            #expect(lstatOf(report)?.st_gid == gid)
            #expect(lstatOf(folder.appendingPathComponent("var/reports"))?.st_gid == gid)
        }
        // The state stays private whatever the output's modes.
        #expect(modeOf(folder.appendingPathComponent("var/state")) == 0o700)
        #expect(modeOf(folder.appendingPathComponent("var/state/funding-by-program.json")) == 0o600)
    }

    @Test func aWorldWritableModeIsRejectedAtValidateTimeWithItsPlace() throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        try editOutput(folder, ["file_mode: \"0666\"", "folder_mode: \"0777\"", "group: no-such-group-reportd"])
        let config = folder.appendingPathComponent("config/reportd.yaml")
        let lines = try String(contentsOf: config, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.contains("file_mode:") }) + 1
        let out = try runReportd(["validate", "--config", config.path])
        #expect(out.status == 1)
        #expect(
            out.stderr.contains(
                "reportd.yaml:\(line):14: error: 'output.file_mode' 0666 is world-writable: anyone on the server could change or replace the reports; use \"0640\""
            ), "\(out.stderr)")
        #expect(out.stderr.contains("reportd.yaml:\(line + 1):16: error: 'output.folder_mode' 0777 is world-writable"))
        #expect(out.stderr.contains("reportd.yaml:\(line + 2):10: error: unknown group 'no-such-group-reportd'"))
        // `run` refuses the daemon config as a whole: nothing is written.
        let run = try runReportd(["run", "--config", config.path])
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("var").path))
    }
}

/// Issue 6, promise 4: the real `reportd run` with links planted in the shared folder and in the
/// state folder.
@Suite(.blocking) struct ConfinementEndToEndTests {
    @Test func plantedLinksAreReplacedOrRefusedAndNothingOutsideChanges() throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        try editOutput(folder, [], keep: 1)
        let fm = FileManager.default
        // `run --slot` runs only a past slot of every named report's schedule (issue 12): one
        // schedule for all seven sample reports, so that 2026-11-23T06:00 is a slot of each.
        let definitions = folder.appendingPathComponent("config/reports.d")
        for name in try fm.contentsOfDirectory(atPath: definitions.path) where name.hasSuffix(".yaml") {
            let url = definitions.appendingPathComponent(name)
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            try lines.map { $0.hasPrefix("schedule:") ? "schedule: \"0 6 * * *\"" : String($0) }.joined(separator: "\n")
                .write(to: url, atomically: true, encoding: .utf8)
        }
        let outside = folder.appendingPathComponent("outside")
        try fm.createDirectory(at: outside.appendingPathComponent("folder"), withIntermediateDirectories: true)
        func victim(_ name: String) throws -> URL {
            let url = outside.appendingPathComponent(name)
            try Data("do not touch \(name)\n".utf8).write(to: url)
            return url
        }
        let reports = folder.appendingPathComponent("var/reports")
        let program = reports.appendingPathComponent("funding-by-program")
        let state = folder.appendingPathComponent("var/state")
        try fm.createDirectory(at: program, withIntermediateDirectories: true)
        try fm.createDirectory(at: state, withIntermediateDirectories: true)
        func plant(_ link: URL, to target: URL) throws {
            try fm.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        }
        // At `latest.json`, at the slot's own file name, at an old run retention deletes, at a
        // report's folder, at a state file and at the locks folder.
        try plant(program.appendingPathComponent("latest.json"), to: try victim("passwd"))
        try plant(program.appendingPathComponent("funding-by-program_2026-11-23T060000.csv"), to: try victim("slot"))
        try plant(program.appendingPathComponent("funding-by-program_2000-01-01T000000.txt"), to: try victim("old"))
        try plant(
            program.appendingPathComponent("latest.txt"), to: outside.appendingPathComponent("created-by-reportd"))
        try plant(reports.appendingPathComponent("funding-by-year"), to: outside.appendingPathComponent("folder"))
        try plant(state.appendingPathComponent("funding-by-program.json"), to: try victim("state"))
        try plant(state.appendingPathComponent("locks"), to: outside.appendingPathComponent("folder"))
        let before = try snapshot(outside)

        let out = try runReportd([
            "run", "--config", folder.appendingPathComponent("config/reportd.yaml").path, "--slot", "2026-11-23T06:00",
        ])

        // The linked report folder fails that report alone, with the reason; the others publish.
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(
            out.stdout.contains(
                "FAILED funding-by-year: \(reports.path)/funding-by-year: is a symbolic link or not a folder; reportd will not write through it (remove it)"
            ), "\(out.stdout)")
        #expect(out.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == 7, "\(out.stdout)")
        // Nothing outside the output root changed: no file written, none created, none removed.
        #expect(try snapshot(outside) == before)
        // Each planted link at a file name is now a regular file inside the folder, whole.
        for name in ["latest.json", "latest.txt", "funding-by-program_2026-11-23T060000.csv"] {
            let type = lstatOf(program.appendingPathComponent(name)).map { $0.st_mode & S_IFMT }
            #expect(type == S_IFREG, "\(name) is not a regular file")
        }
        let latest = try readJSON(program.appendingPathComponent("latest.json"))
        #expect(latest["report"] as? String == "funding-by-program")
        // Retention removed the planted old run: the link itself, not its target.
        #expect(lstatOf(program.appendingPathComponent("funding-by-program_2000-01-01T000000.txt")) == nil)
        // The state file was replaced, not written through; the linked report folder is left as it was.
        #expect(lstatOf(state.appendingPathComponent("funding-by-program.json")).map { $0.st_mode & S_IFMT } == S_IFREG)
        #expect(lstatOf(reports.appendingPathComponent("funding-by-year")).map { $0.st_mode & S_IFMT } == S_IFLNK)
    }

    /// Every path below `url` with its bytes (folders as empty), links not followed.
    private func snapshot(_ url: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for path in tree(url) {
            let full = url.appendingPathComponent(path)
            let isFile = lstatOf(full).map { $0.st_mode & S_IFMT == S_IFREG } ?? false
            out[path] = isFile ? try Data(contentsOf: full) : Data()
        }
        return out
    }
}
