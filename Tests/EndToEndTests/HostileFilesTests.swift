import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files planted where the real daemon reads and writes (issue 13): none may stop it.
@Suite(.serialized) struct HostileFilesTests {
    func wait(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { throw ServeTests.WaitFailed(what: what) }
            usleep(50_000)
        }
    }

    func slotFiles(_ folder: URL) -> [String] {
        filesIn(folder).filter { !$0.hasPrefix("latest") && $0.hasSuffix(".json") && !$0.hasPrefix(".") }
    }

    /// `mkfifo reports.d/x.yaml; kill -HUP`: the reload read the pipe on the scheduler's loop and no
    /// report ever ran again, SIGTERM included. Now the pipe is refused and everything goes on.
    /// A named pipe planted under a name the manifest lists hung every run after it published.
    @Test func aNamedPipeInTheReportsOrOutputFolderStopsNothing() throws {
        let f = try Fixture(
            csv: "district,year,amount\nSìn Hồ,2024,100\n",
            reports: [
                "fast": Fixture.report("fast", extra: "formats: [json]").replacingOccurrences(
                    of: "@daily", with: "every 1s")
            ])
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        var pipes: [String] = []
        defer {
            if process.isRunning { process.terminate() }
            // Unblock any reader left behind, so a failing test cannot hang the suite.
            for pipe in pipes {
                let fd = open(pipe, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        _ = try listener.waitFor("READY=1")
        let fast = f.output.appendingPathComponent("fast")
        try wait("a first run") { slotFiles(fast).count >= 1 }

        // In the reports folder; and in the report's folder under a name reportd does not write
        // and under a run's name that sorts newest, which retention keeps: the manifest met both.
        pipes = [
            f.folder.appendingPathComponent("reports.d/x.yaml").path, fast.appendingPathComponent("latest.bogus").path,
            fast.appendingPathComponent("fast_2099-01-01T000000.json").path,
        ]
        for pipe in pipes { #expect(mkfifo(pipe, 0o600) == 0) }
        kill(process.processIdentifier, SIGHUP)
        _ = try listener.waitFor("RELOADING=1")
        _ = try listener.waitFor("READY=1")
        try wait("the named pipe's error in the log") {
            logText().contains("x.yaml: error: cannot read the file: it is a named pipe, not a regular file")
        }
        let before = slotFiles(fast).count
        try wait("runs after the reload") { slotFiles(fast).count >= before + 2 }
        kill(process.processIdentifier, SIGTERM)
        try wait("exit after SIGTERM", timeout: 20) { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }

    /// `rm -rf state` under a running daemon: `status` said it was not running and a second
    /// daemon started, so every slot ran twice. Now the daemon claims a new pid file at once.
    @Test func deletingTheStateFolderDoesNotLetASecondDaemonIn() throws {
        let f = try Fixture(
            csv: "district,year,amount\nSìn Hồ,2024,100\n",
            reports: ["slow": Fixture.report("slow").replacingOccurrences(of: "@daily", with: "every 1h")])
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        _ = try listener.waitFor("READY=1")
        let state = f.folder.appendingPathComponent("state")
        try FileManager.default.removeItem(at: state)
        try wait("the daemon to claim its pid file again") {
            logText().contains("was deleted (the state folder removed?): claimed it again")
        }
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("reportd.pid").path))
        let status = try runReportd(["status", "--config", f.config])
        #expect(status.stdout.contains("running (pid"), "\(status.stdout)")
        #expect(!status.stdout.contains("not running"), "\(status.stdout)")
        let second = try runReportd(["serve", "--config", f.config])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another reportd daemon is running"), "\(second.stderr)")
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        try wait("exit after SIGTERM", timeout: 20) { !process.isRunning }
    }
}
