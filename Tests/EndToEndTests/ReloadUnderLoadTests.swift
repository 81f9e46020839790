import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Promise 6 of the reliability issue: bad config under load.
///
/// The real `reportd serve` runs 200 reports (each due every 5 to 10 s) and is reloaded with SIGHUP
/// every second; every other reload breaks some report files (an unknown key, a YAML syntax error,
/// an unknown column, a bad parameter, a half-written file, an empty file) and the next restores
/// them with a new valid version. A broken version names its metric `broken_rows`, so an output
/// made from a broken definition would show it. The daemon must answer every reload (READY=1),
/// never exit, never publish `broken_rows`, keep the previous definition of each broken report,
/// pick up the valid versions, and its resident memory must not grow: VmRSS is sampled after each
/// reload and the second half of the samples is compared with the first (the figures are printed).
///
/// 15 s in CI; `REPORTD_RELOAD_SECONDS=60` runs the full minute (`REPORTD_RELOAD_REPORTS` changes
/// the number of reports).
@Suite(.blocking) struct ReloadUnderLoadTests {
    /// Report files broken in each broken reload.
    static let brokenPerReload = 10

    static func name(_ i: Int) -> String { String(format: "load-%03d", i) }

    /// A valid report; `version` shows in its title.
    static func valid(_ i: Int, version: Int) -> String {
        """
        name: \(name(i))
        title: "Tổng hợp theo huyện, phiên bản \(version)"
        dataset: things
        schedule: "every \([5, 6, 8, 9, 10, 12][i % 6])s"
        formats: [csv, json]
        group_by: [district]
        metrics:
          - {name: rows, calc: count}
          - {name: amount, calc: sum, column: amount}

        """
    }

    /// A broken version of report `i`, of one of several kinds.
    static func broken(_ i: Int, kind: Int) -> String {
        let base = valid(i, version: -1).replacingOccurrences(of: "name: rows", with: "name: broken_rows")
        switch kind % 7 {
        case 0: return base + "colour: red\n"  // an unknown key: otherwise runnable
        case 1: return base.replacingOccurrences(of: "calc: count}", with: "calc: count")  // YAML syntax
        case 2: return base + "filter: \"nosuch == 1\"\n"  // an unknown column
        case 3:
            return base.replacingOccurrences(
                of: "{name: amount, calc: sum, column: amount}",
                with: "{name: amount, calc: percentile, column: amount, p: 150}")  // out of range
        case 4: return base + "limit: ten\n"  // a wrong type
        case 5:
            // Half-written by an editor: cut inside the title, before `metrics`.
            return String(base.prefix(upTo: base.range(of: "phiên bản")!.lowerBound))
        default: return ""  // emptied
        }
    }

    @Test func reloadsEverySecondWithBrokenFilesNeverRunABrokenDefinitionNorGrowMemory() async throws {
        let began = Date()
        defer { print("ReloadUnderLoadTests: \(Int(Date().timeIntervalSince(began) * 1000)) ms in all") }
        let seconds = max(2, environmentInt("REPORTD_RELOAD_SECONDS", default: 15))
        let count = max(Self.brokenPerReload, environmentInt("REPORTD_RELOAD_REPORTS", default: 200))
        var reports: [String: String] = [:]
        for i in 0..<count { reports[Self.name(i)] = Self.valid(i, version: 0) }
        let f = try Fixture(
            csv: "district,year,amount\nSìn Hồ,2024,100\nTam Đường,2024,250\n\"Phong Thổ, Lai Châu\",2025,7\n",
            reports: reports)
        func write(_ i: Int, _ text: String) throws {
            try text.write(
                to: f.folder.appendingPathComponent("reports.d/\(Self.name(i)).yaml"), atomically: true,
                encoding: .utf8)
        }

        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let pid = process.processIdentifier
        let launched = Date()
        try await listener.waitAsync(for: "READY=1", timeout: 60)
        let startup = Date().timeIntervalSince(launched)

        var random = SeededGenerator(seed: 6)
        var samples: [Int] = []
        var brokenNow: [Int] = []
        var version: [Int] = Array(repeating: 0, count: count)
        var brokenReloads = 0
        var slowestReload: TimeInterval = 0
        let start = Date()
        for reload in 1...seconds {
            if reload % 2 == 1 {
                // Break ten report files, each in some way.
                brokenNow = Array((0..<count).shuffled(using: &random).prefix(Self.brokenPerReload))
                for i in brokenNow { try write(i, Self.broken(i, kind: Int.random(in: 0..<7, using: &random))) }
                brokenReloads += 1
            } else {
                // Restore them with a new valid version, and edit a few others.
                let edited = brokenNow + (0..<count).shuffled(using: &random).prefix(5)
                for i in edited {
                    version[i] = reload
                    try write(i, Self.valid(i, version: reload))
                }
                brokenNow = []
            }
            let asked = Date()
            kill(pid, SIGHUP)
            try await listener.waitAsync(for: "RELOADING=1", timeout: 30)
            try await listener.waitAsync(for: "READY=1", timeout: 30)
            slowestReload = max(slowestReload, Date().timeIntervalSince(asked))
            try #require(process.isRunning, "the daemon exited at reload \(reload)")
            if let rss = residentKiB(pid) { samples.append(rss) }
            let next = start.addingTimeInterval(TimeInterval(reload))
            try await pause(next.timeIntervalSinceNow)
        }
        // A last reload with every file valid.
        for i in brokenNow {
            version[i] = seconds + 1
            try write(i, Self.valid(i, version: seconds + 1))
        }
        kill(pid, SIGHUP)
        try await listener.waitAsync(for: "READY=1", timeout: 30)
        let reloads = seconds + 1

        // The valid versions took effect: reports last edited at least two of their intervals
        // (11 s) before the end publish their newest title.
        let reloaded = Date()
        let settled = (0..<count).filter { version[$0] > 0 && version[$0] <= seconds - 11 }
        try await waitUntil("the newest versions' outputs", timeout: 30) {
            settled.allSatisfy { i in
                let latest = f.output.appendingPathComponent("\(Self.name(i))/latest.json")
                let json = try? readJSON(latest)
                return (json?["title"] as? String)?.hasSuffix("phiên bản \(version[i])") == true
            }
        }
        let checked = Date()
        #expect(process.isRunning)
        kill(pid, SIGTERM)
        try await waitUntil("exit after SIGTERM", timeout: 40) { !process.isRunning }
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let stopping = Date().timeIntervalSince(checked)

        // No output ever came from a broken definition.
        var outputs = 0
        var fromBroken: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: f.output.path)
        while let relative = enumerator?.nextObject() as? String {
            guard let data = FileManager.default.contents(atPath: f.output.appendingPathComponent(relative).path)
            else { continue }
            outputs += 1
            if String(decoding: data, as: UTF8.self).contains("broken_rows") { fromBroken.append(relative) }
        }
        #expect(fromBroken.isEmpty, "outputs of broken definitions: \(fromBroken)")
        let reportFolders = filesIn(f.output).count
        #expect(reportFolders == count, "\(reportFolders) of \(count) reports published")
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        let logLines = log.split(separator: "\n")
        let reloadedLines = logLines.filter { $0.contains(" reload: ") }
        let keptPrevious = logLines.filter { $0.contains("running the previous definition since") }.count
        // Each reload line counts every report file once.
        let miscounted = reloadedLines.filter { !$0.contains("reload: \(count) report files: ") }
        #expect(miscounted.isEmpty, "\(miscounted.prefix(3))")
        let published = logLines.filter { $0.contains("report published") }.count
        #expect(reloadedLines.count == reloads, "\(reloadedLines.count) reloads logged of \(reloads)")
        #expect(
            keptPrevious == brokenReloads * Self.brokenPerReload,
            "\(keptPrevious) broken files kept their previous definition")

        // Memory: the second half of the samples against the first.
        let half = samples.count / 2
        let first = Array(samples[..<half])
        let second = Array(samples[half...])
        func mean(_ xs: [Int]) -> Int { xs.isEmpty ? 0 : xs.reduce(0, +) / xs.count }
        let growth = mean(second) - mean(first)
        // How fast the second half still climbs, per reload (allocator noise is a few KiB).
        let creep = second.count > 1 ? (second.last! - second.first!) / (second.count - 1) : 0
        print(
            "ReloadUnderLoadTests: \(count) reports, READY=1 seen by the test after \(Int(startup * 1000)) ms; \(reloads) reloads in "
                + "\(seconds) s, \(brokenReloads) of them with \(Self.brokenPerReload) broken files; slowest reload "
                + "\(Int(slowestReload * 1000)) ms; \(published) runs published; \(settled.count) edited reports showed "
                + "their newest version (after \(Int(checked.timeIntervalSince(reloaded) * 1000)) ms); stopped in "
                + "\(Int(stopping * 1000)) ms; \(outputs) output files, none from a broken definition; VmRSS (KiB) "
                + "first half mean \(mean(first)) [\(first.min() ?? 0)–\(first.max() ?? 0)], second half mean "
                + "\(mean(second)) [\(second.min() ?? 0)–\(second.max() ?? 0)], growth \(growth), second half "
                + "\(creep) per reload; samples \(samples)")
        // Noise allowance: a fifth of the first half, at least 16 MiB.
        #expect(
            growth <= max(16 * 1024, mean(first) / 5),
            "resident memory grew from \(mean(first)) KiB to \(mean(second)) KiB over \(reloads) reloads: \(samples)")
    }
}
