import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Promise 1 of the reliability issue: killed at any moment, nothing partial is visible.
///
/// The real `reportd run` and `reportd serve` on the sample config (every report due every
/// second) are SIGKILLed at seeded random moments. After each kill a reader's audit of the output
/// root must find every visible file whole (CSV records with one field count and as many rows as
/// the run's JSON, JSON that parses, text ending in a line break), `latest.*` present, every state
/// file valid JSON and no temporary file under a visible name; then a following `reportd run` must
/// succeed, publish, and leave no temporary file behind (it removes those a killed run left).
///
/// `REPORTD_KILLS=N` kills N times in each test (defaults: 30 for `run`, 12 for `serve`, about
/// 10 s each); `REPORTD_KILL_SEED` replays a sequence of delays.
@Suite(.blocking) struct KillTests {
    /// A copy of the sample config whose reports are all due every second.
    final class EverySecondSample {
        let folder: URL
        var config: String { folder.appendingPathComponent("config/reportd.yaml").path }
        var root: URL { folder.appendingPathComponent("var/reports") }
        var state: URL { folder.appendingPathComponent("var/state") }
        var log: URL { folder.appendingPathComponent("reportd.log") }

        init() throws {
            folder = try copyOfSampleConfig()
            let reports = folder.appendingPathComponent("config/reports.d")
            for name in filesIn(reports) where name.hasSuffix(".yaml") {
                let url = reports.appendingPathComponent(name)
                let text = try String(contentsOf: url, encoding: .utf8)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    line.hasPrefix("schedule:") ? "schedule: \"every 1s\"" : String(line)
                }
                try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            }
            // Five runs kept per report: retention removes files all the time, and audits stay quick.
            let config = folder.appendingPathComponent("config/reportd.yaml")
            let text = try String(contentsOf: config, encoding: .utf8)
            try text.replacingOccurrences(of: "keep: 30", with: "keep: 5").write(
                to: config, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    /// Figures of one test, printed at its end.
    struct Tally {
        var kills = 0
        var exitedBeforeTheKill = 0
        var temporariesLeft = 0
        var killsThatLeftTemporaries = 0
        var filesAudited = 0
        var problems = 0
    }

    /// The sample's reports (six, the quarterly report by district since issue 25, the split one since 26).
    static let reportCount = 8

    /// After a kill: audit, then a following `reportd run` that must complete, publish and clean up.
    /// - Returns: how long the following run took.
    @discardableResult
    func afterKill(_ s: EverySecondSample, _ tally: inout Tally, what: String) async throws -> TimeInterval {
        let audit = OutputAudit(root: s.root, state: s.state)
        tally.filesAudited += audit.filesChecked
        tally.temporariesLeft += audit.temporaries.count
        if !audit.temporaries.isEmpty { tally.killsThatLeftTemporaries += 1 }
        tally.problems += audit.problems.count
        #expect(audit.problems.isEmpty, "after \(what): \(audit.problems.joined(separator: "\n"))")

        let started = Date()
        let next = try await reportd(["run", "--config", s.config])
        let took = Date().timeIntervalSince(started)
        #expect(next.status == 0, "the run after \(what): \(next.stdout)\n\(next.stderr)")
        let published = next.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(published.count == Self.reportCount, "the run after \(what): \(next.stdout)")
        let clean = OutputAudit(root: s.root, state: s.state)
        #expect(clean.problems.isEmpty, "after the run after \(what): \(clean.problems.joined(separator: "\n"))")
        #expect(
            clean.temporaries.isEmpty,
            "temporary files left after the run after \(what): \(clean.temporaries.joined(separator: "\n"))")
        return took
    }

    func seed() -> UInt64 { UInt64(environmentInt("REPORTD_KILL_SEED", default: 20_061)) }

    @Test func killingRunAtRandomMomentsLeavesNothingPartial() async throws {
        let s = try EverySecondSample()
        let kills = environmentInt("REPORTD_KILLS", default: 30)
        var random = SeededGenerator(seed: seed())
        // A whole run first: `latest.*` exist from here on. The kills fall anywhere in a run's
        // life: the delays are spread over the median duration of the last few whole runs.
        let started = Date()
        let first = try await reportd(["run", "--config", s.config])
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        var durations = [Date().timeIntervalSince(started)]
        func duration() -> TimeInterval { durations.suffix(5).sorted()[durations.suffix(5).count / 2] }

        var tally = Tally()
        for i in 0..<kills {
            let delay = Double.random(in: 0...duration(), using: &random)
            let child = try ReportdProcess(["run", "--config", s.config], log: s.log)
            try await pause(delay)
            if !child.isRunning { tally.exitedBeforeTheKill += 1 }
            child.kill9()
            tally.kills += 1
            durations.append(
                try await afterKill(
                    s, &tally, what: "kill \(i + 1) of `run` at \(Int(delay * 1000)) ms (seed \(seed()))"))
        }
        print(
            "KillTests run: \(tally.kills) kills of `reportd run` (a whole run took \(Int(duration() * 1000)) ms; "
                + "\(tally.exitedBeforeTheKill) had exited before their kill), \(tally.filesAudited) files audited, "
                + "\(tally.problems) partial or invalid files, \(tally.temporariesLeft) temporary files left by "
                + "\(tally.killsThatLeftTemporaries) kills (all removed by the next run), seed \(seed())")
    }

    @Test func killingServeAtRandomMomentsLeavesNothingPartial() async throws {
        let s = try EverySecondSample()
        let kills = environmentInt("REPORTD_KILLS", default: 12)
        var random = SeededGenerator(seed: seed() &+ 1)
        let first = try await reportd(["run", "--config", s.config])
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")

        var tally = Tally()
        var publishedByKilled = 0
        for i in 0..<kills {
            let before = publishedLines(s)
            let spawned = Date().timeIntervalSince1970
            let child = try ReportdProcess(["serve", "--config", s.config], log: s.log)
            // Half the kills fall in start-up and the catch-up run it starts at once; the others
            // just after a whole second, while the slots due then run and publish.
            let delay =
                i % 2 == 0
                ? Double.random(in: 0.05...0.8, using: &random)
                : (spawned + 0.6).rounded(.up) - spawned + Double.random(in: 0...0.5, using: &random)
            try await pause(delay - (Date().timeIntervalSince1970 - spawned))
            #expect(child.isRunning, "serve exited on its own: \(child.logText().suffix(2000))")
            child.kill9()
            tally.kills += 1
            publishedByKilled += publishedLines(s) - before
            try await afterKill(
                s, &tally, what: "kill \(i + 1) of `serve` at \(Int(delay * 1000)) ms (seed \(seed() &+ 1))")
        }
        print(
            "KillTests serve: \(tally.kills) kills of `reportd serve`, \(publishedByKilled) runs published by the "
                + "killed daemons, \(tally.filesAudited) files audited, \(tally.problems) partial or invalid files, "
                + "\(tally.temporariesLeft) temporary files left by \(tally.killsThatLeftTemporaries) kills "
                + "(all removed by the next run), seed \(seed() &+ 1)")
    }

    func publishedLines(_ s: EverySecondSample) -> Int {
        let text = (try? String(contentsOf: s.log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("report published") }.count
    }

    /// A killed run's temporary file is removed by the next run of that report; a running
    /// process's is not.
    @Test func theNextRunRemovesTemporaryFilesOfAKilledRun() async throws {
        let s = try EverySecondSample()
        let first = try await reportd(["run", "--config", s.config, "funding-by-year"])
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let folder = s.root.appendingPathComponent("funding-by-year")
        // A pid that no process can have (above the kernel's pid_max), one that is running (this
        // test), and a hidden file that is not reportd's.
        let pidMax =
            (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 4_194_304
        let dead = ".latest.json.tmp-\(pidMax + 1)-12345"
        let alive = ".latest.csv.tmp-\(getpid())-777"
        for name in [dead, alive, ".keep-me"] {
            try Data("{\"half\": ".utf8).write(to: folder.appendingPathComponent(name))
        }
        let stateLeft = ".funding-by-year.json.tmp-\(pidMax + 1)-9"
        try Data("{".utf8).write(to: s.state.appendingPathComponent(stateLeft))

        let next = try await reportd(["run", "--config", s.config, "funding-by-year"])
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        let names = filesIn(folder)
        #expect(!names.contains(dead), "\(names)")
        #expect(names.contains(alive), "\(names)")
        #expect(names.contains(".keep-me"), "\(names)")
        #expect(!filesIn(s.state).contains(stateLeft), "\(filesIn(s.state))")
        #expect(next.stderr.contains("removed temporary files left by an interrupted run"), "\(next.stderr)")
        #expect(next.stderr.contains(dead), "\(next.stderr)")
    }
}
