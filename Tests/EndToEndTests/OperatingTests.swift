import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Operating reportd (issue 7), with the real binary on real files: the run history, `status`,
/// `history`, the manifest, the metrics file read by Prometheus's own parser, the pid file and
/// heartbeat of `serve`, the per-report lock between real processes, and journald fields in a real
/// journald.
@Suite(.blocking) struct OperatingTests {
    static let csv = "district,year,amount\n\"Sìn Hồ\",2024,100\nTam Đường,2024,250\n\"Sìn Hồ\",2025,\n"
    static let plugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("plugins")
    static let metricsParser = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("parse_metrics.py")

    /// A fixture with plugins (`error.py`, `gate.py`) and a metrics file; report `a` is well, `b`
    /// fails in its calculator (the `error` plugin answers every compute with an error).
    static func fixture(reports: [String: String]? = nil, schedule: String = "0 6 * * *") throws -> Fixture {
        let f = try Fixture(
            csv: csv,
            reports: reports ?? [
                "a": Fixture.report("a").replacingOccurrences(of: "@daily", with: schedule),
                "b": """
                name: b
                title: "Lỗi có chủ ý"
                dataset: things
                schedule: "\(schedule)"
                group_by: [district]
                metrics:
                  - {name: broken, calc: error_calc}
                """,
            ],
            extraConfig: "plugins: plugins\nmetrics_file: metrics/reportd.prom\nplugin_timeout: 600s")
        let folder = f.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for script in ["error.py", "gate.py"] {
            try FileManager.default.copyItem(
                at: plugins.appendingPathComponent(script), to: folder.appendingPathComponent(script))
        }
        return f
    }

    /// The metrics file parsed by prometheus_client: family → samples (name, labels, value).
    static func parseMetrics(_ path: URL) async throws -> [String: (type: String, samples: [(String, [String: String], Double)])] {
        let out = try await offThePool { try runProcess("/usr/bin/env", ["python3", metricsParser.path, path.path]) }
        try #require(
            out.status == 0,
            "prometheus_client could not parse \(path.path) (pip install prometheus_client): \(out.stderr)\n\((try? String(contentsOf: path, encoding: .utf8)) ?? "")"
        )
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: [String: Any]] ?? [:]
        return object.mapValues { family in
            let samples = (family["samples"] as? [[Any]] ?? []).map { s in
                (s[0] as? String ?? "", s[1] as? [String: String] ?? [:], (s[2] as? NSNumber)?.doubleValue ?? .nan)
            }
            return (family["type"] as? String ?? "", samples)
        }
    }

    static func value(
        _ families: [String: (type: String, samples: [(String, [String: String], Double)])], _ family: String,
        report: String
    ) -> Double? {
        families[family]?.samples.first { $0.1["report"] == report }?.2
    }

    @Test func aRunIsRecordedInTheHistoryStatusManifestAndMetrics() async throws {
        let f = try Self.fixture()
        let first = try await reportd(["run", "--config", f.config, "--slot", "2026-11-01T06:00"])
        #expect(first.status == 1, "b fails: \(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("ok     a"), "\(first.stdout)")
        let second = try await reportd(["run", "--config", f.config, "--slot", "2026-11-02T06:00", "a"])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")

        // status: exit 1 because b's last run failed; both reports shown with their last run.
        let status = try await reportd(["status", "--config", f.config])
        #expect(status.status == 1, "\(status.stdout)\n\(status.stderr)")
        #expect(status.stdout.contains("daemon: not running"), "\(status.stdout)")
        let aLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("a ") } ?? ""
        #expect(aLine.contains("2026-11-02T06:00:00+07:00") && aLine.contains("backfill") && aLine.contains("success"), "\(aLine)")
        #expect(status.stdout.contains("b: failed 1 time in a row: "), "\(status.stdout)")
        #expect(status.stdout.contains("no data for this group"), "\(status.stdout)")

        // status --json for scripts.
        let json = try await reportd(["status", "--config", f.config, "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        let reports = try #require(object["reports"] as? [[String: Any]])
        let a = try #require(reports.first { $0["name"] as? String == "a" })
        #expect(a["runs_total"] as? Int == 2 && a["failures_in_a_row"] as? Int == 0)
        #expect((a["last_run"] as? [String: Any])?["rows_used"] as? Int == 3)
        #expect((a["next_slot"] as? String)?.hasSuffix("T06:00:00+07:00") == true, "\(a)")
        let b = try #require(reports.first { $0["name"] as? String == "b" })
        #expect((b["last_run"] as? [String: Any])?["outcome"] as? String == "failed")
        #expect((object["daemon"] as? [String: Any])?["running"] as? Bool == false)

        // The history: two records for a, with files and their SHA-256 as written.
        let history = f.folder.appendingPathComponent("state/history/a.jsonl")
        let lines = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(record["trigger"] as? String == "backfill" && record["outcome"] as? String == "success")
        #expect(record["slot"] as? String == "2026-11-02T06:00:00+07:00")
        let dataset = try #require(record["dataset"] as? [String: Any])
        #expect(dataset["rows"] as? Int == 3 && dataset["rows_used"] as? Int == 3 && dataset["rows_rejected"] as? Int == 0)
        let dataFile = f.folder.appendingPathComponent("data.csv")
        #expect((dataset["sha256"] as? String) == (try await sha256(of: [dataFile]))[dataFile.path])
        #expect((dataset["checksum"] as? String)?.count == 16)
        let calculators = try #require(record["calculators"] as? [[String: String]])
        #expect(calculators.map { $0["name"] } == ["count", "sum"])
        #expect(calculators.allSatisfy { $0["provider"]?.contains("reportd ") == true }, "\(calculators)")
        let files = try #require(record["files"] as? [[String: Any]])
        #expect(files.count == 6)
        let written = try await sha256(of: files.map { f.output.appendingPathComponent($0["path"] as? String ?? "?") })
        for file in files {
            let path = try #require(file["path"] as? String)
            let url = f.output.appendingPathComponent(path)
            #expect(file["sha256"] as? String == written[url.path], "\(path)")
            #expect(file["bytes"] as? Int == (try? Data(contentsOf: url).count), "\(path)")
        }
        #expect(fileMode(history) == 0o600 && fileMode(history.deletingLastPathComponent()) == 0o700)
        let bRecord = try String(contentsOf: f.folder.appendingPathComponent("state/history/b.jsonl"), encoding: .utf8)
        #expect(bRecord.contains("\"outcome\":\"failed\"") && bRecord.contains("no data for this group"), "\(bRecord)")
        #expect(bRecord.contains("\"provider\":\"plugin error 1.0.0\""), "\(bRecord)")

        // `history` prints them.
        let printed = try await reportd(["history", "--config", f.config])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.split(separator: "\n").count == 1 + 3 + 1, "\(printed.stdout)")  // header, 3 runs, b's error
        let recent = try await reportd(["history", "--config", f.config, "--since", "1h", "a"])
        #expect(recent.stdout.split(separator: "\n").count == 1 + 2, "\(recent.stdout)")
        let future = try await reportd(["history", "--config", f.config, "--since", "2099-01-01T00:00"])
        #expect(future.status == 0 && future.stdout.split(separator: "\n").count == 1, "\(future.stdout)")
        let bad = try await reportd(["history", "--config", f.config, "--since", "yesterday"])
        #expect(bad.status != 0 && bad.stderr.contains("--since 'yesterday'"), "\(bad.stderr)")

        // The manifest lists both kept runs of a, each file with its size and SHA-256 as on disk.
        let manifestURL = f.output.appendingPathComponent("a/manifest.json")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        #expect(manifest["report"] as? String == "a" && manifest["latest"] as? String == "2026-11-02T060000")
        #expect(manifest["extensions"] as? [String] == ["csv", "json", "txt"])
        let runs = try #require(manifest["runs"] as? [[String: Any]])
        #expect(runs.map { $0["stamp"] as? String } == ["2026-11-02T060000", "2026-11-01T060000"])
        var listed = 0
        let kept = runs.flatMap { $0["files"] as? [[String: Any]] ?? [] }
        let onDisk = try await sha256(of: kept.map { f.output.appendingPathComponent("a/\($0["name"] as? String ?? "?")") })
        for file in kept {
            let url = f.output.appendingPathComponent("a/\(file["name"] as? String ?? "?")")
            #expect(file["sha256"] as? String == onDisk[url.path], "\(url.path)")
            listed += 1
        }
        #expect(listed == 6)
        #expect(fileMode(manifestURL) == 0o640)

        // The metrics file, read by Prometheus's Python client.
        let metricsURL = f.folder.appendingPathComponent("metrics/reportd.prom")
        let metrics = try await Self.parseMetrics(metricsURL)
        #expect(fileMode(metricsURL) == 0o644)
        #expect(Self.value(metrics, "reportd_report_runs", report: "a") == 2, "\(metrics.keys.sorted())")
        #expect(metrics["reportd_report_runs"]?.type == "counter")
        #expect(Self.value(metrics, "reportd_report_failures", report: "a") == 0)
        #expect(Self.value(metrics, "reportd_report_failures", report: "b") == 1)
        #expect(Self.value(metrics, "reportd_report_last_run_success", report: "b") == 0)
        #expect(Self.value(metrics, "reportd_report_last_run_success", report: "a") == 1)
        #expect(Self.value(metrics, "reportd_report_rows_used", report: "a") == 3)
        #expect(Self.value(metrics, "reportd_report_last_success_timestamp_seconds", report: "b") == nil)
        let lastSuccess = try #require(Self.value(metrics, "reportd_report_last_success_timestamp_seconds", report: "a"))
        #expect(abs(lastSuccess - Date().timeIntervalSince1970) < 600)
        #expect(Self.value(metrics, "reportd_report_last_duration_seconds", report: "a").map { $0 >= 0 } == true)
    }

    /// `latest.*` stay the newest slot's: a backfill of an older slot adds its own files only, and
    /// the manifest says which run `latest.*` copy.
    @Test func aBackfillOfAnOlderSlotLeavesLatestAtTheNewestSlot() async throws {
        let f = try Fixture(csv: Self.csv, reports: ["a": Fixture.report("a", schedule: "0 6 * * *")])
        let newer = try await reportd(["run", "--config", f.config, "--slot", "2026-11-02T06:00"])
        #expect(newer.status == 0, "\(newer.stderr)")
        try "district,year,amount\nMường Tè,2024,7\n".write(
            to: f.folder.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        let older = try await reportd(["run", "--config", f.config, "--slot", "2026-11-01T06:00"])
        #expect(older.status == 0, "\(older.stderr)")
        let folder = f.output.appendingPathComponent("a")
        let latest = try Data(contentsOf: folder.appendingPathComponent("latest.csv"))
        #expect(latest == (try Data(contentsOf: folder.appendingPathComponent("a_2026-11-02T060000.csv"))))
        let old = try String(contentsOf: folder.appendingPathComponent("a_2026-11-01T060000.csv"), encoding: .utf8)
        #expect(old.contains("Mường Tè"))
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
                as? [String: Any])
        #expect(manifest["latest"] as? String == "2026-11-02T060000")
        #expect((manifest["runs"] as? [Any])?.count == 2)
        // Rerunning the newest slot itself does replace latest.*.
        let again = try await reportd(["run", "--config", f.config, "--slot", "2026-11-02T06:00"])
        #expect(again.status == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("latest.csv"), encoding: .utf8).contains("Mường Tè"))
    }

    @Test func serveKeepsAPidFileAndHeartbeatAndRefusesASecondDaemon() async throws {
        let f = try Self.fixture(
            reports: ["a": Fixture.report("a").replacingOccurrences(of: "\"@daily\"", with: "every 1s")])
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await listener.waitAsync(for: "READY=1")
        let history = f.folder.appendingPathComponent("state/history/a.jsonl")
        try await waitUntil("two scheduled runs in the history") {
            ((try? String(contentsOf: history, encoding: .utf8)) ?? "").split(separator: "\n").count >= 2
        }

        let status = try await reportd(["status", "--config", f.config])
        #expect(status.status == 0, "\(status.stdout)\n\(status.stderr)")
        #expect(status.stdout.contains("daemon: running (pid \(process.processIdentifier), since "), "\(status.stdout)")
        #expect(status.stdout.contains("1 reports loaded"), "\(status.stdout)")
        let json = try await reportd(["status", "--config", f.config, "--json"])
        let daemon = try #require(
            (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["daemon"] as? [String: Any])
        #expect(daemon["running"] as? Bool == true && daemon["unresponsive"] as? Bool == false)
        #expect(daemon["pid"] as? Int == Int(process.processIdentifier))
        #expect((daemon["heartbeat_age_seconds"] as? Int).map { $0 < 90 } == true, "\(daemon)")

        // A second daemon on the same state folder refuses to start.
        let second = try await reportd(["serve", "--config", f.config])
        #expect(second.status == 1)
        #expect(
            second.stderr.contains("another reportd daemon is running with this state folder")
                && second.stderr.contains("pid \(process.processIdentifier)"), "\(second.stderr)")

        // The metrics file counts the daemon's runs.
        let metrics = try await Self.parseMetrics(f.folder.appendingPathComponent("metrics/reportd.prom"))
        #expect((Self.value(metrics, "reportd_report_runs", report: "a") ?? 0) >= 2)
        let scheduled = try String(contentsOf: history, encoding: .utf8)
        #expect(scheduled.contains("\"trigger\":\"schedule\"") || scheduled.contains("\"trigger\":\"catch-up\""))

        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("exit after SIGTERM") { !process.isRunning }
        #expect(process.terminationStatus == 0, "\((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")
        let after = try await reportd(["status", "--config", f.config])
        #expect(after.stdout.contains("daemon: not running (last: pid \(process.processIdentifier)"), "\(after.stdout)")

        // A daemon whose heartbeat stopped is reported unresponsive (exit 1): a stopped process
        // (SIGSTOP) keeps its lock but beats no more; its pid file is aged by hand rather than
        // waiting 90 s.
        let (stopped, _) = try startServe(f, notify: listener)
        defer { if stopped.isRunning { kill(stopped.processIdentifier, SIGKILL) } }
        let pidFile = f.folder.appendingPathComponent("state/reportd.pid")
        try await waitUntil("the new daemon's pid file") {
            ((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").contains("\"pid\":\(stopped.processIdentifier)")
        }
        kill(stopped.processIdentifier, SIGSTOP)
        var old = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, pidFile.path, &old, 0) == 0)
        let hung = try await reportd(["status", "--config", f.config])
        #expect(hung.status == 1, "\(hung.stdout)")
        #expect(hung.stdout.contains("UNRESPONSIVE"), "\(hung.stdout)")
        kill(stopped.processIdentifier, SIGKILL)
        kill(stopped.processIdentifier, SIGCONT)
    }

    /// `status` while the daemon runs a report (held inside its calculator by the `gate` plugin):
    /// the report shows as running with its slot, and a manual run of it refuses naming the daemon.
    @Test func statusShowsWhatTheDaemonIsRunning() async throws {
        let f = try Self.fixture(
            reports: [
                "g": """
                name: g
                title: "Chờ"
                dataset: things
                schedule: "every 2s"
                group_by: [district]
                metrics:
                  - {name: rows, calc: gate_count}
                """
            ])
        let gate = f.folder.appendingPathComponent("plugins")
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await listener.waitAsync(for: "READY=1")
        try await waitUntil("the daemon's run inside its calculator", timeout: 60) {
            FileManager.default.fileExists(atPath: gate.appendingPathComponent("gate.started").path)
        }
        let status = try await reportd(["status", "--config", f.config])
        #expect(status.stdout.contains("g: running now, for the slot "), "\(status.stdout)")
        #expect(status.stdout.contains("1 running"), "\(status.stdout)")
        let json = try await reportd(["status", "--config", f.config, "--json"])
        let reports = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["reports"]
        let slot = ((reports as? [[String: Any]])?.first?["running_slot"] as? String) ?? ""
        #expect(slot.hasSuffix("+07:00"), "\(json.stdout)")
        let manual = try await reportd(["run", "--config", f.config, "g"])
        #expect(manual.status == 1)
        #expect(
            manual.stdout.contains("is being run by another reportd process (pid \(process.processIdentifier))"),
            "\(manual.stdout)")
        #expect(FileManager.default.createFile(atPath: gate.appendingPathComponent("gate.release").path, contents: nil))
        try await waitUntil("the run to end") {
            ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").contains("run succeeded")
        }
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("exit after SIGTERM") { !process.isRunning }
    }

    /// Three real reportd processes and one report: while one runs it (held inside its calculator
    /// by the `gate` plugin), a second refuses with the holder's pid and a third with `--wait` runs
    /// only after the first has published.
    @Test func twoProcessesNeverRunOneReportAtOnce() async throws {
        let f = try Self.fixture(
            reports: [
                "g": """
                name: g
                title: "Chờ"
                dataset: things
                schedule: "0 6 * * *"
                group_by: [district]
                metrics:
                  - {name: rows, calc: gate_count}
                """
            ])
        let gate = f.folder.appendingPathComponent("plugins")
        let first = Process()
        first.executableURL = try reportdBinary()
        first.arguments = ["run", "--config", f.config, "--slot", "2026-11-01T06:00", "g"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await waitUntil("the first run inside its calculator", timeout: 60) {
            FileManager.default.fileExists(atPath: gate.appendingPathComponent("gate.started").path)
        }

        let refused = try await reportd(["run", "--config", f.config, "--slot", "2026-11-02T06:00", "g"])
        #expect(refused.status == 1)
        #expect(
            refused.stdout.contains("FAILED g: report 'g' is being run by another reportd process (pid \(first.processIdentifier))"),
            "\(refused.stdout)")

        let waiting = Process()
        waiting.executableURL = try reportdBinary()
        waiting.arguments = ["run", "--config", f.config, "--wait", "--slot", "2026-11-03T06:00", "g"]
        waiting.standardOutput = FileHandle.nullDevice
        waiting.standardError = FileHandle.nullDevice
        try waiting.run()
        defer { if waiting.isRunning { kill(waiting.processIdentifier, SIGKILL) } }
        try await pause(1.0)
        #expect(waiting.isRunning, "--wait waits while the first run holds the lock")
        let folder = f.output.appendingPathComponent("g")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("g_2026-11-03T060000.csv").path))

        #expect(FileManager.default.createFile(atPath: gate.appendingPathComponent("gate.release").path, contents: nil))
        try await waitUntil("both runs to end", timeout: 60) { !first.isRunning && !waiting.isRunning }
        #expect(first.terminationStatus == 0 && waiting.terminationStatus == 0)
        // The first published before the waiting one; the refused one never ran (and is not in
        // the history: a refused run is not a run).
        let records = try String(contentsOf: f.folder.appendingPathComponent("state/history/g.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.map { $0["slot"] as? String } == ["2026-11-01T06:00:00+07:00", "2026-11-03T06:00:00+07:00"])
        // The two computes did not overlap: each began after the other ended.
        let log = try String(contentsOf: gate.appendingPathComponent("gate.log"), encoding: .utf8)
        #expect(log.split(separator: "\n").map { $0.split(separator: " ")[0] } == ["begin", "end", "begin", "end"], "\(log)")
        let times = log.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        #expect(times == times.sorted(), "\(log)")
        #expect(records[0]["calculators"] as? [[String: String]] == [["name": "gate_count", "provider": "plugin gate 2.1.0"]])
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("g_2026-11-02T060000.csv").path))

        // Commands that only read schedules and state start no plugin: a monitoring check that runs
        // `status` every minute costs no plugin process.
        let hellos = gate.appendingPathComponent("gate.hellos")
        let before = try String(contentsOf: hellos, encoding: .utf8).count
        // (`status` exits 1 here: the backfilled slots leave the daily slots since overdue.)
        for (command, shows) in [
            (["status"], "g "), (["status", "g"], "report: g"), (["history"], " g "), (["list"], "g "),
            (["next", "g"], "+07:00"),
        ] {
            let out = try await reportd(command + ["--config", f.config])
            #expect(out.status == (command[0] == "status" ? 1 : 0), "\(command): \(out.stdout)\n\(out.stderr)")
            #expect(out.stdout.contains(shows), "\(command): \(out.stdout)")
            #expect(!out.stderr.contains("error"), "\(command): \(out.stderr)")
        }
        #expect(try String(contentsOf: hellos, encoding: .utf8).count == before, "a read-only command started the plugin")
        // `validate` does start it (to check the calculator).
        _ = try await reportd(["validate", "--config", f.config])
        #expect(try String(contentsOf: hellos, encoding: .utf8).count > before)
    }

    /// An administrator's `sudo reportd run` in the service's state folder leaves files the service
    /// can still read and append to: what root creates there goes to the folder's owner.
    @Test(.enabled(if: getuid() == 0, "needs root (to run as root in another user's folder)"))
    func rootRunningInTheServicesStateFolderGivesItsFilesToTheFolderOwner() async throws {
        let f = try Self.fixture(reports: ["a": Fixture.report("a", schedule: "0 6 * * *")])
        let state = f.folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        #expect(chown(state.path, 65534, 65534) == 0 && chmod(state.path, 0o700) == 0)
        let out = try await reportd(["run", "--config", f.config, "--slot", "2026-11-01T06:00"])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        for path in ["a.json", "history", "history/a.jsonl", "locks", "locks/a.lock"] {
            var info = stat()
            #expect(lstat(state.appendingPathComponent(path).path, &info) == 0, "\(path)")
            #expect(info.st_uid == 65534 && info.st_gid == 65534, "\(path): \(info.st_uid):\(info.st_gid)")
        }
    }

    /// The fields of each run's log line in a real journald: started in a private mount namespace
    /// (a tmpfs over /run, so the machine's own journal is untouched), with reportd logging as under
    /// systemd (`JOURNAL_STREAM` set), read back with `journalctl -o json`.
    @Test(.enabled(if: JournalProbe.available(), "needs root, unshare and systemd-journald; the reason is printed when skipped"))
    func runLogLinesCarryReportSlotAndOutcomeFieldsInTheJournal() async throws {
        let f = try Fixture(csv: Self.csv, reports: ["a": Fixture.report("a", schedule: "0 6 * * *")])
        let script = f.folder.appendingPathComponent("journal.sh")
        try """
        set -e
        mount -t tmpfs tmpfs /run
        "$JOURNALD" & journald=$!
        for _ in $(seq 200); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
        JOURNAL_STREAM=0:0 "$REPORTD" run --config "$CONFIG" --slot 2026-11-01T06:00 >/dev/null 2>"$ERRORS" || true
        for _ in $(seq 100); do
            journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=reportd > "$OUT" 2>/dev/null || true
            grep -q OUTCOME "$OUT" && break
            sleep 0.05
        done
        kill "$journald"; wait "$journald" || true
        """.write(to: script, atomically: true, encoding: .utf8)
        let out = f.folder.appendingPathComponent("journal.json")
        let errors = f.folder.appendingPathComponent("stderr.txt")
        let environment = [
            "JOURNALD": JournalProbe.journald ?? "", "REPORTD": try reportdBinary().path, "CONFIG": f.config,
            "OUT": out.path, "ERRORS": errors.path,
        ]
        let result = try await offThePool {
            try runProcess("/usr/bin/unshare", ["-m", "/bin/sh", script.path], environment: environment)
        }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let entries = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let published = try #require(entries.first { ($0["MESSAGE"] as? String ?? "").hasPrefix("report published") }, "\(entries)")
        #expect(published["REPORT"] as? String == "a")
        #expect(published["SLOT"] as? String == "2026-11-01T06:00:00+07:00")
        #expect(published["OUTCOME"] as? String == "success")
        #expect(published["TRIGGER"] as? String == "backfill")
        #expect(published["PRIORITY"] as? String == "6")
        #expect(published["SYSLOG_IDENTIFIER"] as? String == "reportd")
        #expect(published["OUTPUT_PATH"] as? String == f.output.appendingPathComponent("a").path)
        // Nothing went to standard error: the journal took every line.
        #expect(try String(contentsOf: errors, encoding: .utf8).isEmpty)
    }
}

/// Whether the journald test can run here, and where journald is.
enum JournalProbe {
    static let journald = ["/usr/lib/systemd/systemd-journald", "/lib/systemd/systemd-journald"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether this process may run journald in a private mount namespace: root, the programs, and
    /// a tmpfs mount inside `unshare -m` that works (a container without CAP_SYS_ADMIN refuses it).
    static func available() -> Bool {
        var reason: String?
        if getuid() != 0 {
            reason = "not root"
        } else if journald == nil || !FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl") {
            reason = "systemd-journald or journalctl is not installed"
        } else if !FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") {
            reason = "unshare is not installed"
        } else if (try? runProcess("/usr/bin/unshare", ["-m", "/bin/sh", "-c", "mount -t tmpfs tmpfs /run"]))?.status != 0 {
            reason = "a tmpfs cannot be mounted in a private mount namespace here"
        }
        if let reason { print("SKIPPED: the journald test needs root, unshare and systemd-journald: \(reason)") }
        return reason == nil
    }
}

/// SHA-256 of files by path, by Python's hashlib (independent of reportd's own), in one child process
/// run off the cooperative pool.
func sha256(of urls: [URL]) async throws -> [String: String] {
    let script = "import hashlib,sys\nfor p in sys.argv[1:]: print(hashlib.sha256(open(p,'rb').read()).hexdigest(), p)"
    let out = try await offThePool { try runProcess("/usr/bin/env", ["python3", "-c", script] + urls.map(\.path)) }
    var hashes: [String: String] = [:]
    for line in out.stdout.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        if parts.count == 2 { hashes[String(parts[1])] = String(parts[0]) }
    }
    return hashes
}

private func fileMode(_ url: URL) -> Int? {
    var info = stat()
    return lstat(url.path, &info) == 0 ? Int(info.st_mode & 0o7777) : nil
}
