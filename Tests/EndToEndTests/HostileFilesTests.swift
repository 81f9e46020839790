import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Files planted where the real daemon reads and writes (issue 13): none may stop it.
@Suite(.blocking, .serialized) struct HostileFilesTests {
    func wait(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
        try waitBlocking(what, timeout: timeout, condition)
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

    /// Makes the file at `path` `size` bytes long with a hole (NUL bytes that take no disk space).
    func growSparse(_ path: String, to size: Int) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(size)) == 0)
    }

    /// Runs `reportd ARGUMENTS` under `ulimit -OPTION KIB` (`v`: address space, `d`: data segment;
    /// soft and hard), through /bin/sh.
    func runLimited(_ kib: Int, _ arguments: [String], option: String = "v") throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            ["-c", "ulimit -\(option) \(kib) && exec \"$0\" \"$@\"", try reportdBinary().path] + arguments
        return try runCollecting(process)
    }

    /// Under a data-segment limit lower than `plugin_memory` (`ulimit -d`, `LimitDATA=`), a plugin
    /// could not start at all ("could not be started: Operation not permitted": raising a hard
    /// limit fails); it now runs under the lower limit (issue 13).
    @Test func aPluginStartsUnderAHardMemoryLimitBelowItsOwn() throws {
        let folder = try copyOfSampleConfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config/reportd.yaml").path
        let out = try runLimited(800_000, ["run", "--config", config, "concentration-by-program"], option: "d")
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(!out.stderr.contains("Operation not permitted"), "\(out.stderr)")
    }

    /// A dataset larger than the process may map aborted reportd (exit 134: in `serve`, a restart
    /// loop under systemd). Now the run fails and says what to change. The dataset is a sparse
    /// file: 2 GiB by its size, nothing on the disk.
    @Test func aDatasetLargerThanTheMemoryLimitFailsTheRunNotTheProcess() throws {
        let f = try Fixture(csv: "district,year,amount\n", reports: ["a": Fixture.report("a")])
        try growSparse(f.folder.appendingPathComponent("data.csv").path, to: 2 << 30)
        let out = try runLimited(1_500_000, ["run", "--config", f.config, "a"])
        #expect(out.status == 1, "\(out.stderr)")
        #expect(out.stderr.contains("the dataset is 2048 MiB and reading it needs about"), "\(out.stderr)")
        #expect(out.stderr.contains("raise the limit"))
    }

    /// A 2 GB line without a line break aborted reportd, or took 8 minutes and 6.3 GB to fail: the
    /// streamed reader carried the unfinished line from block to block. Now the read stops at the
    /// cell limit (16 MiB) with a located error. The line is a sparse file's hole (2 GiB of NUL
    /// bytes, nothing on the disk), under a 4 GB address-space limit.
    @Test func aTwoGigabyteLineFailsAtTheCellLimit() throws {
        let f = try Fixture(csv: "district,year,amount\nx,2024,1\n", reports: ["a": Fixture.report("a")])
        try growSparse(f.folder.appendingPathComponent("data.csv").path, to: 2 << 30)
        let out = try runLimited(4_000_000, ["run", "--config", f.config, "a"])
        #expect(out.status == 1, "\(out.stderr)")
        #expect(
            out.stderr.contains(
                "data.csv:3:1: error: this cell is longer than 16 MiB, the most a cell may hold: does every quote that opens a field close it?"
            ), "\(out.stderr)")
    }

    /// A UTF-16 dataset said its header had no column 'district' (issue 13, point 10): now the run
    /// names the encoding and what to do; a file with CR alone at its lines' ends says so too.
    @Test func aUTF16OrCarriageReturnOnlyDatasetIsNamed() throws {
        let f = try Fixture(csv: "", reports: ["a": Fixture.report("a")])
        let data = f.folder.appendingPathComponent("data.csv")
        let text = "\u{FEFF}district,year,amount\r\nSìn Hồ,2024,100\r\n"
        try Data(Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }).write(to: data)
        // Since issue 18 the byte-order mark decides the encoding: a UTF-16 file is read.
        let utf16 = try runReportd(["run", "--config", f.config, "a"])
        #expect(utf16.status == 0, "\(utf16.stderr)")
        try Data("district,year,amount\rSìn Hồ,2024,100\r".utf8).write(to: data)
        let mac = try runReportd(["run", "--config", f.config, "a"])
        #expect(mac.status == 1)
        #expect(
            mac.stderr.contains(
                "data.csv:1:21: error: the file's lines end with a carriage return (CR) alone, as classic Mac OS wrote them"),
            "\(mac.stderr)")
    }

    /// A JSON record with a key twice ran with one of the two values, silently (issue 13, point
    /// 10): now the run fails at the second key.
    @Test func aJSONRecordWithAKeyTwiceFailsTheRun() throws {
        let json = "[\n  {\"district\": \"Sìn Hồ\", \"year\": 2024, \"amount\": 100, \"amount\": 5}\n]\n"
        let f = try Fixture(csv: json, format: "json", reports: ["a": Fixture.report("a")])
        let out = try runReportd(["run", "--config", f.config, "a"])
        #expect(out.status == 1)
        #expect(
            out.stderr.contains(
                "data.json:2:55: error: record 1: the key 'amount' appears twice in one object; JSON readers disagree on which value counts"
            ), "\(out.stderr)")
    }

    /// A dataset path that blocks (a named pipe; a hung network mount) with `timeout: 1s` and
    /// `every 1s`: each timed-out run left its thread blocked and the next slot blocked another,
    /// until at ~257 threads nothing ran. A named pipe now fails at once; and a run stopped while
    /// its work has not returned keeps later runs of its report from starting another thread.
    @Test func aDatasetThatIsANamedPipeFailsTheRunAtOnce() throws {
        let f = try Fixture(
            csv: "", reports: ["a": Fixture.report("a", extra: "timeout: 1s").replacingOccurrences(of: "@daily", with: "every 1s")])
        let data = f.folder.appendingPathComponent("data.csv").path
        try FileManager.default.removeItem(atPath: data)
        #expect(mkfifo(data, 0o600) == 0)
        defer {
            let fd = open(data, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        let out = try runReportd(["run", "--config", f.config, "a"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("it is a named pipe: datasets are read from regular files"), "\(out.stderr)")
    }

    /// A run that times out while its work is blocked (here: waiting for its report's lock, which
    /// the test holds, as a hung mount would hold a read) must not let the next slot start another
    /// blocked thread: the daemon grew one thread per slot until it stopped altogether.
    @Test func aTimedOutRunThatHasNotReturnedHoldsBackItsReport() throws {
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,1\n",
            reports: [
                "a": Fixture.report("a", extra: "timeout: 1s\nretries: 0\nformats: [json]").replacingOccurrences(
                    of: "@daily", with: "every 1s")
            ])
        let locks = f.folder.appendingPathComponent("state/locks")
        try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let lock = open(locks.appendingPathComponent("a.lock").path, O_RDWR | O_CREAT, 0o600)
        #expect(lock >= 0)
        #expect(flock(lock, LOCK_EX) == 0)
        var held = true
        defer { if held { close(lock) } }
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        func threads() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task").count) ?? 0
        }
        _ = try listener.waitFor("READY=1")
        try wait("a slot refused because the stopped run has not returned") {
            logText().contains("has still not returned")
        }
        let early = threads()
        try wait("six more slots") { logText().components(separatedBy: "has still not returned").count > 7 }
        // One thread per slot before; now the blocked run's one thread, whatever the slots.
        #expect(threads() <= early + 2, "threads: \(early) then \(threads())")
        close(lock)
        held = false
        try wait("a published run once the blocked one returned") {
            FileManager.default.fileExists(atPath: f.output.appendingPathComponent("a/latest.json").path)
        }
        kill(process.processIdentifier, SIGTERM)
        try wait("exit after SIGTERM", timeout: 20) { !process.isRunning }
    }

    /// Stamps are local times without an offset. With `keep: 2`, two runs in Asia/Ho_Chi_Minh, then
    /// the report's `timezone` changed to America/New_York and a run: the old stamps, read in the new
    /// zone, looked 12 hours newer, and retention deleted the run just published (`ok (4 files)`,
    /// exit 0) while `latest.*` stayed the old zone's (issue 13). A file planted under a run's name
    /// dated 2099 froze `latest.*` for good.
    @Test func retentionNeverDeletesTheRunJustPublishedAndLatestFollowsItsInstant() throws {
        let f = try Fixture(
            csv: "district,year,amount\nA,2024,1\n",
            reports: ["r": Fixture.report("r", schedule: "0 * * * *", extra: "timezone: Asia/Ho_Chi_Minh\nformats: [json]")])
        // keep: 2 for this report's folder.
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try config.replacingOccurrences(of: "keep: 5", with: "keep: 2").write(
            toFile: f.config, atomically: true, encoding: .utf8)
        // The last two whole hours in Ho Chi Minh City.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let hour = calendar.dateInterval(of: .hour, for: Date())!.start
        for back in [2, 1] {
            let c = calendar.dateComponents([.year, .month, .day, .hour], from: hour.addingTimeInterval(Double(-3600 * back)))
            let slot = String(format: "%04d-%02d-%02dT%02d:00", c.year!, c.month!, c.day!, c.hour!)
            let out = try runReportd(["run", "--config", f.config, "--slot", slot, "r"])
            #expect(out.status == 0, "\(out.stderr)")
        }
        let folder = f.output.appendingPathComponent("r")
        // A planted far-future run name, which reportd never wrote.
        try "junk".write(to: folder.appendingPathComponent("r_2099-01-01T000000.json"), atomically: true, encoding: .utf8)
        let report = f.folder.appendingPathComponent("reports.d/r.yaml")
        try String(contentsOf: report, encoding: .utf8).replacingOccurrences(
            of: "Asia/Ho_Chi_Minh", with: "America/New_York"
        ).write(to: report, atomically: true, encoding: .utf8)
        let run = try runReportd(["run", "--config", f.config, "r"])
        #expect(run.status == 0, "\(run.stderr)")
        let runs = filesIn(folder).filter { $0.hasPrefix("r_") && $0.hasSuffix(".json") && !$0.contains("2099") }
        #expect(runs.count == 2, "\(runs)")
        // The new run (New York time, an offset of -05:00 or -04:00) is kept, and latest.json is it.
        let latest = try readJSON(folder.appendingPathComponent("latest.json"))
        let generated = latest["generated_at"] as? String ?? ""
        #expect(generated.hasSuffix("-05:00") || generated.hasSuffix("-04:00"), "\(generated)")
        let newest = try #require(runs.sorted().first { name in
            (try? readJSON(folder.appendingPathComponent(name)))?["generated_at"] as? String == generated
        }, "the run just published was deleted: \(runs)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(newest).path))
        // The planted file is neither vouched for nor removed.
        let manifest = try readJSON(folder.appendingPathComponent("manifest.json"))
        let stamps = (manifest["runs"] as? [[String: Any]] ?? []).compactMap { $0["stamp"] as? String }
        #expect(!stamps.contains("2099-01-01T000000"), "\(stamps)")
        #expect((manifest["runs"] as? [[String: Any]] ?? []).allSatisfy { $0["instant"] is Int })
    }
}
