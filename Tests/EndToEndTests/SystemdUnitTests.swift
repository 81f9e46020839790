import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd packaging in `systemd/`: the unit passes `systemd-analyze verify` and stays hardened
/// (`systemd-analyze security` exposure 2.0 or less), and `install.sh` stages a working install
/// that keeps an administrator's files on a second run. (A run under a real systemd is
/// `systemd/smoke-test.sh`, which needs root and is not part of the tests.)
@Suite(.blocking) struct SystemdUnitTests {
    static let systemdFolder = packageRoot.appendingPathComponent("systemd")

    struct ToolMissing: Error, CustomStringConvertible {
        var tool: String
        var description: String {
            "\(tool) was not found: install the `systemd` package (apt-get install -y systemd); "
                + "the unit checks need systemd-analyze"
        }
    }

    /// An executable found on `$PATH` or in the usual system folders.
    static func tool(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ToolMissing(tool: name)
    }

    /// Runs `executable` with `arguments`; stdout and stderr are read separately and both returned.
    static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_COLORS"] = "0"
        environment["SYSTEMD_PAGER"] = "cat"
        environment["LC_ALL"] = "C.UTF-8"
        environment.removeValue(forKey: "DESTDIR")
        environment.removeValue(forKey: "REPORTD_CONFIG")
        process.environment = environment
        if let folder { process.currentDirectoryURL = folder }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so that neither pipe can fill up and block the child.
        nonisolated(unsafe) var errData = Data()
        let errDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errData = readToEnd(err.fileHandleForReading)
            errDone.signal()
        }
        let outData = readToEnd(out.fileHandleForReading)
        errDone.wait()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A copy of `systemd/reportd.service` in a fresh folder, with `/usr/local/bin/reportd`
    /// (ExecStartPre=, ExecStart=) replaced by the binary SwiftPM built, so the checks do not
    /// depend on an installed reportd.
    static func unitCopy() throws -> (folder: URL, unit: URL) {
        let text = try String(contentsOf: systemdFolder.appendingPathComponent("reportd.service"), encoding: .utf8)
        #expect(text.contains("/usr/local/bin/reportd serve --config /etc/reportd/reportd.yaml"))
        let rewritten = text.replacingOccurrences(of: "/usr/local/bin/reportd", with: try reportdBinary().path)
        let folder = try temporaryFolder("unit")
        let unit = folder.appendingPathComponent("reportd.service")
        try rewritten.write(to: unit, atomically: true, encoding: .utf8)
        return (folder, unit)
    }

    /// Output lines of `systemd-analyze verify` that say nothing about our unit.
    static func isHarmless(_ line: String, unit: URL) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return true }
        // Complaints about other unit files installed on this machine (verify loads the targets our
        // unit depends on, and with them whatever the machine has): not ours to fix.
        if trimmed.hasPrefix("/"), !trimmed.hasPrefix(unit.path),
            trimmed.contains(".service:")
                || trimmed.contains(".target:") || trimmed.contains(".socket:") || trimmed.contains(".mount:")
                || trimmed.contains(".timer:") || trimmed.contains(".path:") || trimmed.contains(".slice:")
        {
            return !trimmed.contains("reportd")
        }
        // Containers without a booted systemd: no bus, no cgroup hierarchy of systemd's own.
        let environmental = [
            "Failed to connect to bus", "No such file or directory: /run/systemd",
            "Failed to determine supported controllers", "Failed to find an unused cgroup",
        ]
        return environmental.contains { trimmed.contains($0) } && !trimmed.contains("reportd")
    }

    @Test func unitPassesSystemdAnalyzeVerify() throws {
        let analyze = try Self.tool("systemd-analyze")
        let (folder, unit) = try Self.unitCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try Self.run(analyze, ["verify", unit.path], in: folder)
        let lines = (result.stdout + "\n" + result.stderr).split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
        let complaints = lines.filter { !Self.isHarmless($0, unit: unit) }
        #expect(
            result.status == 0 && complaints.isEmpty,
            """
            systemd-analyze verify exited \(result.status) and printed:
            \(complaints.joined(separator: "\n"))
            (all output:
            \(lines.joined(separator: "\n")))
            """)
    }

    @Test func unitExposureIsAtMostTwo() throws {
        let analyze = try Self.tool("systemd-analyze")
        let (folder, unit) = try Self.unitCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        // --threshold=20 (tenths): a non-zero exit when the exposure is above 2.0.
        let result = try Self.run(analyze, ["security", "--offline=true", "--threshold=20", unit.path], in: folder)
        let all = result.stdout + result.stderr
        let overall = all.split(separator: "\n").first { $0.contains("Overall exposure level") }
        let score = overall.flatMap { line -> Double? in
            guard let colon = line.lastIndex(of: ":") else { return nil }
            return Double(line[line.index(after: colon)...].split(separator: " ").first ?? "")
        }
        let failing = all.split(separator: "\n").filter { $0.hasPrefix("✗") }.joined(separator: "\n")
        #expect(score != nil, "no 'Overall exposure level' line in:\n\(all)")
        #expect(
            (score ?? 99) <= 2.0 && result.status == 0,
            "exposure \(score.map { String($0) } ?? "?") (exit \(result.status)); the settings that cost:\n\(failing)")
    }

    // MARK: - install.sh / uninstall.sh into a staging root

    /// `st_mode & 0o7777` (setgid included), or nil when the path does not exist.
    static func mode(_ url: URL) -> Int? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o7777)
    }

    static func owner(_ url: URL) -> uid_t? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        return info.st_uid
    }

    static func runInstall(_ script: String, root: URL, extra: [String] = []) throws -> ProcessOutput {
        try run("/bin/bash", [Self.systemdFolder.appendingPathComponent(script).path, "--root", root.path] + extra)
    }

    @Test func installStagesAWorkingConfigAndKeepsEditedFiles() throws {
        let binary = try reportdBinary()
        let root = try temporaryFolder("install-root")
        defer { try? FileManager.default.removeItem(at: root) }
        let installArgs = ["--no-build", "--binary", binary.path, "--no-start"]
        func at(_ path: String) -> URL { root.appendingPathComponent(path) }

        // First run: everything is installed, with the right modes.
        let first = try Self.runInstall("install.sh", root: root, extra: installArgs)
        try #require(first.status == 0, "install.sh failed (\(first.status)):\n\(first.stdout)\n\(first.stderr)")
        let expected: [(String, Int)] = [
            ("usr/local/bin/reportd", 0o755),
            ("etc/systemd/system/reportd.service", 0o644),
            ("usr/lib/sysusers.d/reportd.conf", 0o644),
            ("usr/lib/tmpfiles.d/reportd.conf", 0o644),
            ("etc/reportd", 0o755),
            ("etc/reportd/reportd.yaml", 0o644),
            ("etc/reportd/reports.d/funding-by-program.yaml", 0o644),
            ("etc/reportd/data/projects.csv", 0o644),
            ("etc/reportd/data/projects.schema.yaml", 0o644),
            ("etc/reportd/tests/funding-by-program.yaml", 0o644),
            ("etc/reportd/tests/data/projects-small.csv", 0o644),
            ("var/lib/reportd", 0o700),
            ("srv/reports", 0o2750),
        ]
        for (path, mode) in expected {
            let actual = Self.mode(at(path))
            #expect(
                actual == mode,
                "\(path): mode \(actual.map { String($0, radix: 8) } ?? "missing"), expected \(String(mode, radix: 8))")
        }
        // The binary is installed stripped (when `strip` is there, as with any toolchain): smaller
        // than the one given, and it still runs.
        let installedSize = try #require(try FileManager.default.attributesOfItem(atPath: at("usr/local/bin/reportd").path)[.size] as? Int)
        let givenSize = try #require(try FileManager.default.attributesOfItem(atPath: binary.path)[.size] as? Int)
        if (try? Self.tool("strip")) != nil {
            #expect(installedSize < givenSize, "the installed binary was not stripped (\(installedSize) bytes)")
            #expect(first.stdout.contains("stripped: \(givenSize) -> \(installedSize) bytes"), "\(first.stdout)")
        }
        let version = try Self.run(at("usr/local/bin/reportd").path, ["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty, "the installed binary does not run: \(version.stderr)")
        #expect(
            try Data(contentsOf: at("etc/systemd/system/reportd.service"))
                == Data(contentsOf: Self.systemdFolder.appendingPathComponent("reportd.service")))
        // No account files in a staging root, even as root: a tree copied onto a server must not
        // replace its passwd, shadow, group and gshadow with ones holding only reportd.
        for file in ["etc/passwd", "etc/shadow", "etc/group", "etc/gshadow", "etc/passwd-", "etc/group-"] {
            #expect(Self.mode(at(file)) == nil, "install.sh --root staged \(file)")
        }
        #expect(Self.owner(at("srv/reports")) == getuid(), "the staged output root was given away")
        // The next steps say how to make the account and folders on the server, then start it.
        let steps = first.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let sysusers = steps.firstIndex { $0.hasPrefix("systemd-sysusers reportd.conf") }
        let tmpfiles = steps.firstIndex { $0.hasPrefix("systemd-tmpfiles --create reportd.conf") }
        let enable = steps.firstIndex { $0.hasPrefix("systemctl enable --now reportd") }
        #expect(sysusers != nil && tmpfiles != nil && enable != nil, "\(first.stdout)")
        if let sysusers, let tmpfiles, let enable { #expect(sysusers < enable && tmpfiles < enable) }

        // The starting config points into the staging root and validates as installed.
        let config = at("etc/reportd/reportd.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.contains("state: \(root.path)/var/lib/reportd"), "\(text)")
        #expect(text.contains("root: \(root.path)/srv/reports"), "\(text)")
        let valid = try runReportd(["validate", "--config", config.path])
        #expect(valid.status == 0, "validate of the starting config failed:\n\(valid.stdout)\n\(valid.stderr)")
        // And the installed reports' tests pass there.
        let tests = try runReportd(["test", "--config", config.path])
        #expect(tests.status == 0, "reportd test of the starting config failed:\n\(tests.stdout)\n\(tests.stderr)")
        #expect(tests.stdout.contains(" passed, 0 failed"), "\(tests.stdout)")

        // An administrator edits the config and a report; a second install keeps both unchanged.
        let edited = text.replacingOccurrences(of: "keep: 30", with: "keep: 7") + "# edited by the administrator\n"
        #expect(edited.contains("keep: 7"))
        try edited.write(to: config, atomically: true, encoding: .utf8)
        let report = at("etc/reportd/reports.d/funding-by-program.yaml")
        let editedReport = try String(contentsOf: report, encoding: .utf8) + "# local note\n"
        try editedReport.write(to: report, atomically: true, encoding: .utf8)

        let second = try Self.runInstall("install.sh", root: root, extra: installArgs)
        try #require(
            second.status == 0, "second install.sh failed (\(second.status)):\n\(second.stdout)\n\(second.stderr)")
        #expect(try String(contentsOf: config, encoding: .utf8) == edited, "the edited reportd.yaml was changed")
        #expect(try String(contentsOf: report, encoding: .utf8) == editedReport, "the edited report was changed")
        #expect(second.stdout.contains("kept"), "the second run does not say what it kept:\n\(second.stdout)")
        #expect(second.stdout.contains(config.path))
        let stillValid = try runReportd(["validate", "--config", config.path])
        #expect(stillValid.status == 0, "\(stillValid.stdout)\n\(stillValid.stderr)")

        // uninstall.sh removes the program and keeps the data.
        let removed = try Self.runInstall("uninstall.sh", root: root)
        try #require(
            removed.status == 0, "uninstall.sh failed (\(removed.status)):\n\(removed.stdout)\n\(removed.stderr)")
        for gone in [
            "usr/local/bin/reportd", "etc/systemd/system/reportd.service", "usr/lib/sysusers.d/reportd.conf",
            "usr/lib/tmpfiles.d/reportd.conf",
        ] {
            #expect(Self.mode(at(gone)) == nil, "\(gone) is still there after uninstall.sh")
        }
        #expect(try String(contentsOf: config, encoding: .utf8) == edited, "uninstall.sh touched the config")
        #expect(Self.mode(at("srv/reports")) == 0o2750, "uninstall.sh removed the output root")
        #expect(Self.mode(at("var/lib/reportd")) == 0o700, "uninstall.sh removed the state")
    }
}
