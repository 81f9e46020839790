import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Nothing a plugin starts outlives it (PLUGINS.md, "Containment"): the `detach.py` plugin starts,
/// on every message it reads, a helper that detaches itself with a double fork and `setsid` and
/// sleeps for an hour, and notes the helper's pid. Each test checks, by pid, that every such helper
/// is gone once the computation ended, its time ran out, `reportd run` got a Ctrl-C, or
/// `reportd serve`'s shutdown grace ran out.
@Suite(.blocking, .serialized) struct PluginTreeTests {
    /// The helpers' pids, by the message that started them ("hello", "compute").
    static func helpers(_ f: PluginFixture) -> [(message: String, pid: pid_t)] {
        let text = (try? String(contentsOf: f.folder.appendingPathComponent("plugins/grandchildren.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let pid = pid_t(parts[1]) else { return nil }
            return (String(parts[0]), pid)
        }
    }

    /// Whether `pid` is a live process (a zombie is not).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// The helpers still alive a few seconds after the process that ran the plugin ended (the
    /// supervisor ends them at once; the wait only absorbs a loaded machine), each killed so that
    /// a failing test leaves nothing behind.
    static func survivors(_ f: PluginFixture) -> [pid_t] {
        let deadline = Date().addingTimeInterval(10)
        var alive = helpers(f).map(\.pid).filter(isAlive)
        while !alive.isEmpty && Date() < deadline {
            usleep(50_000)
            alive = alive.filter(isAlive)
        }
        for pid in alive { kill(pid, SIGKILL) }
        return alive
    }

    /// `processesMentioning(f.folder.path)` still there a few seconds later, each killed so that a
    /// failing test leaves nothing behind.
    static func leftovers(_ f: PluginFixture) -> [String] {
        // A supervisor ends its plugin's tree and exits a moment after reportd has gone.
        let deadline = Date().addingTimeInterval(10)
        var found = processesMentioning(f.folder.path)
        while !found.isEmpty && Date() < deadline {
            usleep(50_000)
            found = processesMentioning(f.folder.path)
        }
        for entry in found {
            if let pid = pid_t(entry.prefix { $0 != ":" }) { kill(pid, SIGKILL) }
        }
        return found
    }

    static func waitFor(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
        try waitBlocking(what, timeout: timeout, condition)
    }

    static func detach(as name: String) -> (String, URL) {
        (name, PluginContainmentTests.scripts.appendingPathComponent("detach.py"))
    }

    @Test func helpersEndWithTheComputation() throws {
        let f = try PluginFixture(plugins: ["good.py", "detach.py"], badCalculator: "detach_calc")
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let started = Self.helpers(f)
        // The load's handshake, then the computation's handshake and request.
        #expect(started.map(\.message) == ["hello", "hello", "compute"], "\(started)")
        #expect(Self.survivors(f).isEmpty, "helpers left running after the computation")
        #expect(Self.leftovers(f).isEmpty)
    }

    @Test func helpersEndWhenThePluginTimesOut() throws {
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: [Self.detach(as: "detach-hang.py")], memoryMiB: 256,
            reports: ["bad": Self.report(calculator: "detach_hang_calc", schedule: "@daily")])
        let out = try runReportd(["run", "--config", f.config], in: f.folder)
        #expect(out.status == 1)
        #expect(out.stdout.contains("plugin 'detach-hang' timed out after"), "\(out.stdout)")
        #expect(Self.helpers(f).map(\.message).contains("compute"))
        #expect(Self.survivors(f).isEmpty, "helpers left running after the time limit")
        #expect(Self.leftovers(f).isEmpty)
    }

    @Test func helpersEndOnControlCOfRun() throws {
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: [Self.detach(as: "detach-hang.py")], memoryMiB: 256,
            reports: ["bad": Self.report(calculator: "detach_hang_calc", schedule: "@daily")])
        let process = Process()
        process.executableURL = try reportdBinary()
        process.arguments = ["run", "--config", f.config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try Self.waitFor("the hanging computation") { Self.helpers(f).contains { $0.message == "compute" } }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(Self.survivors(f).isEmpty, "helpers left running after Ctrl-C")
        #expect(Self.leftovers(f).isEmpty)
    }

    @Test func helpersEndWhenTheShutdownGraceRunsOut() throws {
        let f = try PluginFixture(
            schema: PluginFixture.schema, csv: PluginFixture.csv,
            pluginFiles: [Self.detach(as: "detach-hang.py")], memoryMiB: 256,
            reports: ["bad": Self.report(calculator: "detach_hang_calc", schedule: "every 1s")],
            extraConfig: "shutdown_grace: 1s")
        let process = Process()
        process.executableURL = try reportdBinary()
        process.arguments = ["serve", "--config", f.config]
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID"] { env.removeValue(forKey: key) }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try Self.waitFor("the hanging computation") { Self.helpers(f).contains { $0.message == "compute" } }
        process.terminate()
        process.waitUntilExit()
        #expect(Self.survivors(f).isEmpty, "helpers left running after the shutdown grace")
        #expect(Self.leftovers(f).isEmpty)
    }

    static func report(calculator: String, schedule: String) -> String {
        """
        name: bad
        title: bad
        dataset: things
        schedule: "\(schedule)"
        group_by: [district]
        metrics:
          - {name: x, calc: \(calculator)}
        """
    }
}
