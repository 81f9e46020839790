import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What reportd says about a plugin: its standard error and messages bounded and escaped, its
/// handshakes in parallel, and the diagnostics of PLUGINS.md. One plugin script per case, in
/// `plugins/`.
@Suite(.blocking, .serialized) struct PluginDiagnosticsTests {
    @Test func standardErrorIsBoundedEscapedAndCut() throws {
        let f = try PluginFixture(plugins: ["good.py", "stderr-flood.py"], badCalculator: "stderr_flood_calc")
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        // 600 KB written; what is logged is the first 64 KiB, a count, and the last lines.
        #expect(out.stderr.utf8.count < 100_000, "\(out.stderr.utf8.count) bytes of log")
        #expect(!out.stderr.contains("\u{1B}"), "an escape sequence reached the log")
        #expect(out.stderr.contains(#"colour \e[31mRED\e[0m and a bell \u{7}"#), "\(out.stderr.prefix(2000))")
        #expect(out.stderr.contains("[line cut: "), "no marker on the cut line")
        #expect(out.stderr.contains("of standard error were not logged"), "\(out.stderr.suffix(2000))")
        #expect(out.stderr.contains("plugin stderr-flood: the last line"), "\(out.stderr.suffix(2000))")
    }

    @Test func anErrorMessageIsEscapedAndCapped() throws {
        let f = try PluginFixture(plugins: ["good.py", "error-message.py"], badCalculator: "error_message_calc")
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 1)
        let all = out.stdout + out.stderr
        #expect(!all.split(separator: "\n").contains { $0.hasPrefix("FORGED") }, "a forged line:\n\(all.prefix(3000))")
        #expect(!all.contains("\u{1B}"))
        let failed = try #require(out.stdout.split(separator: "\n").first { $0.hasPrefix("FAILED bad:") })
        #expect(failed.contains(#"first line\nFORGED reportd: everything is fine\e[2J"#), "\(failed.prefix(300))")
        #expect(failed.utf8.count < 5000, "\(failed.utf8.count) bytes")
        #expect(failed.contains("[cut: "))
        // The run history keeps the capped message, not 10 MB.
        let stored = filesIn(f.folder.appendingPathComponent("state")).reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(
                atPath: f.folder.appendingPathComponent("state/\(name)").path)
            return total + ((attributes?[.size] as? Int) ?? 0)
        }
        #expect(stored < 100_000, "the state folder holds \(stored) bytes")
    }

    /// What an author needs to see (PLUGINS.md, "Debugging a plugin"): at trace level the lines
    /// sent and answered, at debug level each process's duration and peak resident memory.
    @Test func traceLogShowsRequestsAndAnswers() throws {
        let f = try PluginFixture(plugins: ["good.py"], badCalculator: "good_count")
        let out = try runReportd(["run", "--config", f.config, "--log-level", "trace", "bad"], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains(#"plugin good was sent 53 bytes: {"type": "hello", "protocol": 1, "protocols": [1, 2]}"#) })
        #expect(
            lines.contains {
                $0.contains("plugin good was sent") && $0.contains(#"{"type": "compute", "id": 1, "calculator": "good_count""#)
            }, "\(out.stderr)")
        #expect(lines.contains { $0.contains(#"plugin good answered"#) && $0.contains(#"{"type": "result", "id": 1, "values": [2, 2, 1]}"#) }, "\(out.stderr)")
        #expect(lines.contains { $0.contains("plugin good: ended after") && $0.contains("peak resident memory") })
    }

    @Test func aNonZeroExitAfterAGoodAnswerIsLogged() throws {
        let f = try PluginFixture(plugins: ["good.py", "exits-after-answer.py"], badCalculator: "exits_after_answer_calc")
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(
            out.stderr.contains("plugin exits-after-answer: exited with status 3 after answering"), "\(out.stderr)")
    }

    @Test func calculatorsExitsOneWhenAPluginFailedToLoad() throws {
        let f = try PluginFixture(plugins: ["good.py", "import-error.py"], badCalculator: "good_count")
        let out = try runReportd(["calculators", "--config", f.config], in: f.folder)
        #expect(out.status == 1, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("good_count"), "the plugins that loaded are still listed")
        #expect(out.stderr.contains("ModuleNotFoundError"), "\(out.stderr)")
    }

    @Test func aHelloNamingThePluginOtherwiseIsAWarning() throws {
        let f = try PluginFixture(plugins: ["good.py", "misnamed.py"], badCalculator: "misnamed_calc")
        let out = try runReportd(["validate", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(
            out.stderr.contains("warning: plugin 'misnamed': its hello calls it 'other-name'"), "\(out.stderr)")
        let calculators = try runReportd(["calculators", "--config", f.config], in: f.folder)
        #expect(calculators.stdout.contains("misnamed_calc — misbehaves on purpose [plugin misnamed 1.0.0]"))
    }

    /// Three plugins that never answer the hello, beside a report that uses none of them: the
    /// handshakes run at once, so each command waits for one time limit, not three. The bound is
    /// generous (the three handshakes in a row take 3 × 5 s = 15 s, in parallel 5 s plus the
    /// start-up); it stays well clear of both on a loaded machine, since a slower machine only
    /// stretches the start-up, not the time limit that dominates.
    @Test func hungHandshakesRunInParallel() throws {
        let hang = PluginContainmentTests.scripts.appendingPathComponent("handshake-hang.py")
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: [("hang1.py", hang), ("hang2.py", hang), ("hang3.py", hang)], memoryMiB: 256,
            reports: [
                "other": """
                name: other
                title: other
                dataset: things
                schedule: "@daily"
                metrics:
                  - {name: rows, calc: count}
                """
            ])
        for command in [["run", "--config", f.config, "other"], ["validate", "--config", f.config]] {
            let started = Date()
            let out = try runReportd(command, in: f.folder)
            let elapsed = Date().timeIntervalSince(started)
            #expect(out.stderr.contains("plugin 'hang3': handshake failed: timed out"), "\(out.stderr)")
            #expect(elapsed < 12, "\(command[0]) took \(elapsed) s")
        }

        let listener = try NotifyListener()
        let started = Date()
        let (process, _) = try startServe(config: f.config, in: f.folder, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        _ = try listener.waitFor("READY=1", timeout: 60)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 12, "READY after \(elapsed) s")
        // A reload does not start the unchanged hung plugins again: their time-out is kept.
        func starts() -> Int {
            let text = try? String(contentsOf: f.folder.appendingPathComponent("plugins/starts.txt"), encoding: .utf8)
            return text?.split(separator: "\n").count ?? 0
        }
        let before = starts()
        kill(process.processIdentifier, SIGHUP)
        _ = try listener.waitFor("RELOADING=1", timeout: 60)
        _ = try listener.waitFor("READY=1", timeout: 60)
        #expect(starts() == before, "hung plugins started again on reload")
        process.terminate()
        process.waitUntilExit()
        #expect(PluginTreeTests.leftovers(f).isEmpty)
    }

    /// The daemon shakes hands with a plugin at start-up; a reload does not start it again while
    /// its file is unchanged, and does once the file changed. `detach.py` notes every message it
    /// reads in `grandchildren.txt`.
    @Test func anUnchangedPluginIsNotRestartedOnReload() throws {
        let f = try PluginFixture(plugins: ["detach.py"], badCalculator: "detach_calc")
        let listener = try NotifyListener()
        let (process, _) = try startServe(config: f.config, in: f.folder, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        func hellos() -> Int { PluginTreeTests.helpers(f).filter { $0.message == "hello" }.count }
        _ = try listener.waitFor("READY=1", timeout: 60)
        #expect(hellos() == 1)
        kill(process.processIdentifier, SIGHUP)
        _ = try listener.waitFor("RELOADING=1", timeout: 60)
        _ = try listener.waitFor("READY=1", timeout: 60)
        #expect(hellos() == 1, "the unchanged plugin was started again on reload")
        let plugin = f.folder.appendingPathComponent("plugins/detach.py").path
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: plugin)
        kill(process.processIdentifier, SIGHUP)
        _ = try listener.waitFor("RELOADING=1", timeout: 60)
        _ = try listener.waitFor("READY=1", timeout: 60)
        #expect(hellos() == 2, "the changed plugin was not started again")
        process.terminate()
        process.waitUntilExit()
        #expect(PluginTreeTests.survivors(f).isEmpty)
    }

    /// The daemon does not wait for a plugin that is slow to answer its hello: READY comes first
    /// (the plugin takes 10 s, the daemon waits 3 s for handshakes), and when the hello comes the
    /// daemon reloads and runs the report that uses the plugin.
    @Test func aSlowHelloDoesNotDelayReady() throws {
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: [("slow-hello.py", PluginContainmentTests.scripts.appendingPathComponent("slow-hello.py"))],
            memoryMiB: 256,
            reports: [
                "late": PluginTreeTests.report(calculator: "slow_hello_calc", schedule: "every 1s")
                    .replacingOccurrences(of: "name: bad", with: "name: late"),
                "other": """
                name: other
                title: other
                dataset: things
                schedule: "every 1s"
                metrics:
                  - {name: rows, calc: count}
                """,
            ])
        // Ten seconds to answer must be within the limit.
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try config.replacingOccurrences(of: "plugin_timeout: \(PluginContainmentTests.timeout)s", with: "plugin_timeout: 60s")
            .write(toFile: f.config, atomically: true, encoding: .utf8)
        let listener = try NotifyListener()
        let (process, _) = try startServe(config: f.config, in: f.folder, notify: listener)
        defer { if process.isRunning { process.terminate() } }
        let answered = f.folder.appendingPathComponent("plugins/answered.txt").path
        _ = try listener.waitFor("READY=1", timeout: 60)
        #expect(!FileManager.default.fileExists(atPath: answered), "READY waited for the slow hello")
        // The report that does not use the plugin runs meanwhile.
        try PluginTreeTests.waitFor("the other report's output") {
            FileManager.default.fileExists(atPath: f.output.appendingPathComponent("other/latest.json").path)
        }
        // The late hello makes the daemon reload, and the report that uses the plugin runs.
        _ = try listener.waitFor("RELOADING=1", timeout: 60)
        _ = try listener.waitFor("READY=1", timeout: 60)
        try PluginTreeTests.waitFor("the late report's output") {
            FileManager.default.fileExists(atPath: f.output.appendingPathComponent("late/latest.json").path)
        }
        process.terminate()
        process.waitUntilExit()
        #expect(PluginTreeTests.leftovers(f).isEmpty)
    }

    /// Protocol 2: the groups and the totals row in one request (groups by row count), against
    /// the built-in `sum` on the same rows; a protocol 1 plugin beside it still gets two requests.
    @Test func protocolTwoSendsTheTotalsInTheSameRequest() throws {
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: ["good-v2.py", "good.py"].map { ($0, PluginContainmentTests.scripts.appendingPathComponent($0)) },
            memoryMiB: 256,
            reports: [
                "sums": """
                name: sums
                title: sums
                dataset: things
                schedule: "@daily"
                group_by: [district]
                metrics:
                  - {name: v2, calc: good_v2_sum, column: amount}
                  - {name: v1, calc: good_sum, column: amount}
                  - {name: builtin, calc: sum, column: amount}
                totals: true
                """
            ])
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let json = try readJSON(f.output.appendingPathComponent("sums/latest.json"))
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.map { $0["builtin"] as? Int } == [nil, 100, 9_007_199_254_741_243])
        for row in rows {
            #expect(row["v2"] as? Int == row["builtin"] as? Int, "\(row)")
            #expect(row["v1"] as? Int == row["builtin"] as? Int, "\(row)")
        }
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["v2"] as? Int == 9_007_199_254_741_343)
        #expect(totals["v1"] as? Int == 9_007_199_254_741_343)
        let requests = try String(contentsOf: f.folder.appendingPathComponent("plugins/requests.txt"), encoding: .utf8)
            .split(separator: "\n")
        #expect(requests.count == 1, "\(requests)")
        #expect(requests.first?.contains(#""totals": true"#) == true, "\(requests)")
    }
}
