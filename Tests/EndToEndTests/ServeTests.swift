import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Starts the real `reportd serve` as a child process with a real sd_notify listener.
@Suite(.blocking, .serialized) struct ServeTests {
    /// Waits (in real time) until `condition` holds.
    func wait(_ what: String, timeout: TimeInterval = 20, _ condition: () -> Bool) throws {
        try waitBlocking(what, timeout: timeout, condition)
    }

    /// Whether /proc says the process ignores or catches SIGHUP (no longer the default, fatal action).
    func sighupHandled(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let ignored = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
            let caught = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let ignoredMask = UInt64(ignored.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16),
            let caughtMask = UInt64(caught.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return (ignoredMask | caughtMask) & 1 == 1
    }

    func slotFiles(_ folder: URL, _ ext: String = "json") -> [String] {
        filesIn(folder).filter { !$0.hasPrefix("latest") && $0.hasSuffix("." + ext) && !$0.hasPrefix(".") }
    }

    @Test func serveRunsReloadsAndStopsUnderSystemdNotify() throws {
        let f = try Fixture(
            csv: "district,year,amount\nSìn Hồ,2024,100\nTam Đường,2024,250\n",
            reports: [
                "fast": Fixture.report("fast", extra: "formats: [json]").replacingOccurrences(
                    of: "@daily", with: "every 2s")
            ])
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

        let ready = try listener.waitFor("READY=1")
        #expect(ready.contains("STATUS=1 reports loaded"), "\(ready)")

        // Outputs appear on schedule.
        let fast = f.output.appendingPathComponent("fast")
        try wait("two scheduled runs") { slotFiles(fast).count >= 2 }

        // A broken file and SIGHUP: the daemon lives, says RELOADING then READY, logs FILE:LINE,
        // and the previous definition keeps producing.
        let good = try String(
            contentsOfFile: f.folder.appendingPathComponent("reports.d/fast.yaml").path, encoding: .utf8)
        try good.replacingOccurrences(of: "calc: count", with: "calc: cnt")
            .write(to: f.folder.appendingPathComponent("reports.d/fast.yaml"), atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try listener.waitFor("RELOADING=1")
        #expect(listener.messages.last?.contains("MONOTONIC_USEC=") == true)
        try listener.waitFor("READY=1")
        try wait("the reload error in the log") {
            logText().contains("fast.yaml:7:") && logText().contains("unknown calculator 'cnt'")
        }
        #expect(process.isRunning)
        let before = slotFiles(fast).count
        try wait("runs of the previous definition after the broken reload") { slotFiles(fast).count >= before + 2 }

        // A new report file starts on the next SIGHUP.
        try Fixture.report("added", extra: "formats: [csv]").replacingOccurrences(of: "@daily", with: "every 2s")
            .write(to: f.folder.appendingPathComponent("reports.d/added.yaml"), atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try listener.waitFor("RELOADING=1")
        try listener.waitFor("READY=1")
        try wait("the new report's output") {
            FileManager.default.fileExists(atPath: f.output.appendingPathComponent("added/latest.csv").path)
        }

        // SIGTERM: STOPPING=1 and a clean exit.
        kill(process.processIdentifier, SIGTERM)
        try listener.waitFor("STOPPING=1")
        try wait("exit after SIGTERM", timeout: 10) { !process.isRunning }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        // Every line about a run names the report and the slot.
        let runLines = logText().split(separator: "\n").filter {
            $0.contains("run started") || $0.contains("report published")
        }
        #expect(!runLines.isEmpty)
        #expect(runLines.allSatisfy { $0.contains("report.name=") && $0.contains("report.slot=") })
    }

    @Test func sighupDuringStartupDoesNotKillTheDaemon() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,1\n", reports: ["a": Fixture.report("a")])
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        // As soon as reportd's load-time guard has run (SIGHUP shows as ignored in /proc, before
        // main()), signal repeatedly: while the runtime starts, the config loads, the daemon gets ready.
        // The dynamic loader's few milliseconds before that are the kernel's: no program code runs.
        let deadline = Date().addingTimeInterval(5)
        while !sighupHandled(process.processIdentifier) {
            // A tight loop: the guard runs only milliseconds before main().
            if Date() > deadline { throw WaitTimedOut(what: "the load-time SIGHUP guard") }
        }
        for _ in 0..<20 {
            kill(process.processIdentifier, SIGHUP)
            usleep(5_000)
        }
        try listener.waitFor("READY=1")
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        do {
            try wait("exit after SIGTERM", timeout: 10) { !process.isRunning }
        } catch {
            let status =
                (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            Issue.record(
                "\(error)\n\(status.split(separator: "\n").filter { $0.hasPrefix("Sig") })\n\((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")"
            )
            return
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test func journalLinesCarryPriorityPrefixes() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,1\n", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config], environment: ["JOURNAL_STREAM": "8:12345"])
        #expect(out.status == 0)
        let lines = out.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("<6>") || $0.hasPrefix("<7>") || $0.hasPrefix("<5>") })
        #expect(lines.contains { $0.hasPrefix("<6>report published") && $0.contains("report.name=a") })
    }

    @Test func serveRefusesAnInvalidDaemonConfig() throws {
        let f = try Fixture(csv: "district,year,amount\n", reports: [:])
        try "timezone: Nowhere/Else\n".write(toFile: f.config, atomically: true, encoding: .utf8)
        let out = try runReportd(["serve", "--config", f.config])
        #expect(out.status == 1)
        #expect(out.stderr.contains("reportd.yaml:1:11: error: unknown time zone 'Nowhere/Else'"))
    }
}

/// The daemon and a manual run never run one report at once.
@Suite(.blocking) struct ServeLockTests {
    @Test func theDaemonWaitsForAManualRunOfTheSameReport() throws {
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,1\n",
            reports: [
                "a": Fixture.report("a", extra: "formats: [csv]").replacingOccurrences(of: "@daily", with: "every 1s")
            ])
        // Hold the lock as a long manual `reportd run a` would.
        let folder = f.folder.appendingPathComponent("state/locks")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fd = open(folder.appendingPathComponent("a.lock").path, O_RDWR | O_CREAT, 0o640)
        #expect(flock(fd, LOCK_EX) == 0)
        let listener = try NotifyListener()
        let (process, _) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        try listener.waitFor("READY=1")
        usleep(2_500_000)
        #expect(!FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path))
        close(fd)
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path),
            Date() < deadline
        {
            usleep(50_000)
        }
        #expect(FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.csv").path))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// The systemd watchdog: WATCHDOG=1 at half the interval systemd asks for.
@Suite(.blocking) struct WatchdogTests {
    @Test func sendsWatchdogKeepAlivesWhenAsked() throws {
        let f = try Fixture(csv: "district,year,amount\nA,2024,1\n", reports: ["a": Fixture.report("a")])
        let listener = try NotifyListener()
        let (process, _) = try startServe(f, notify: listener, environment: ["WATCHDOG_USEC": "400000"])
        defer { if process.isRunning { process.terminate() } }
        try listener.waitFor("READY=1")
        let start = Date()
        try listener.waitFor("WATCHDOG=1", timeout: 5)
        try listener.waitFor("WATCHDOG=1", timeout: 5)
        try listener.waitFor("WATCHDOG=1", timeout: 5)
        // Three keep-alives at 0.2 s intervals: well under the 0.4 s systemd would wait.
        #expect(Date().timeIntervalSince(start) < 3)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// Starts `reportd serve` on a fixture with a real sd_notify listener; its log goes to `serve.log`
/// in the fixture's folder.
func startServe(_ f: Fixture, notify listener: NotifyListener, environment: [String: String] = [:]) throws -> (
    Process, URL
) {
    try startServe(config: f.config, in: f.folder, notify: listener, environment: environment)
}

/// Starts `reportd serve --config CONFIG` with a real sd_notify listener; its log goes to
/// `serve.log` in `folder`.
func startServe(
    config: String, in folder: URL, notify listener: NotifyListener, environment: [String: String] = [:]
) throws -> (Process, URL) {
    let logFile = folder.appendingPathComponent("serve.log")
    _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
    let log = try FileHandle(forWritingTo: logFile)
    let process = Process()
    process.executableURL = try reportdBinary()
    process.arguments = ["serve", "--config", config]
    var env = ProcessInfo.processInfo.environment
    env["NOTIFY_SOCKET"] = listener.path
    for key in ["JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { env.removeValue(forKey: key) }
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardOutput = log
    process.standardError = log
    try process.run()
    return (process, logFile)
}
