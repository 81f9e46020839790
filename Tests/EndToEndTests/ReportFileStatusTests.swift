import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12, point 2 (and the operational parts of point 8), with the real binary: `status`,
/// `list` and `history` show what the daemon runs — a report on its previous definition because its
/// file became invalid, a new report refused (unknown calculator), one not loaded because its
/// plugin failed its handshake — `status` exits 1 for each, and the reload log line counts them.
@Suite(.blocking) struct ReportFileStatusTests {
    static let csv = "district,year,amount\n\"Sìn Hồ\",2024,100\nTam Đường,2024,250\n"
    static let plugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("plugins")

    static func write(_ f: Fixture, _ file: String, _ text: String) throws {
        try text.write(to: f.folder.appendingPathComponent("reports.d/\(file).yaml"), atomically: true, encoding: .utf8)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func statusListAndHistoryShowInvalidRefusedAndNotLoadedReports() async throws {
        // The file names sort the other way from the report names: `list` and `status` sort by name.
        let f = try Fixture(
            csv: Self.csv,
            reports: [
                "0-zeta": Fixture.report("zeta"),
                "1-broken": Fixture.report("broken"),
                "2-alpha": Fixture.report("alpha"),
            ],
            extraConfig: "plugins: plugins")
        let pluginFolder = f.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: pluginFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.plugins.appendingPathComponent("good.py"), to: pluginFolder.appendingPathComponent("good.py"))
        let listener = try NotifyListener()
        let (process, logFile) = try startServe(f, notify: listener)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        try await listener.waitAsync(for: "READY=1")

        // The start-up log names the version and the config file, and what it loaded.
        let version = try await reportd(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(log().contains("reportd \(version) starting with the config \(f.config)"), "\(log())")
        #expect(log().contains("start: 3 report files: 3 loaded, 0 refused, 0 not loaded (plugin)"), "\(log())")
        let healthy = try await reportd(["status", "--config", f.config])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("report files: as the daemon loaded them at "), "\(healthy.stdout)")

        // Break one file, add a report with an unknown calculator, and one whose plugin fails its
        // handshake; then reload.
        try Self.write(
            f, "1-broken", Fixture.report("broken").replacingOccurrences(of: "calc: count", with: "calc: cnt"))
        try Self.write(f, "3-typo", Fixture.report("typo").replacingOccurrences(of: "calc: sum", with: "calc: average"))
        try Self.write(
            f, "4-hs",
            """
            name: hs
            dataset: things
            schedule: "@daily"
            group_by: [district]
            metrics:
              - {name: rows, calc: garbage_count}
            """)
        try FileManager.default.copyItem(
            at: Self.plugins.appendingPathComponent("handshake-garbage.py"),
            to: pluginFolder.appendingPathComponent("garbage.py"))
        kill(process.processIdentifier, SIGHUP)
        try await listener.waitAsync(for: "RELOADING=1")
        try await listener.waitAsync(for: "READY=1")
        try await waitUntil("the reload line") { log().contains("reload: ") }
        let reloadLine = try #require(log().split(separator: "\n").first { $0.contains("reload: ") })
        let reports = f.folder.appendingPathComponent("reports.d").path
        #expect(
            reloadLine.contains(
                "reload: 5 report files: 2 unchanged, 0 changed, 0 added, 1 kept previous definition (broken: \(reports)/1-broken.yaml:7:"
            ), "\(reloadLine)")
        #expect(reloadLine.contains(", 1 refused (typo: \(reports)/3-typo.yaml:8:"), "\(reloadLine)")
        #expect(reloadLine.contains(", 1 not loaded (plugin) (hs: 'garbage_count'); 0 removed"), "\(reloadLine)")

        // status: every report file, in name order, with its state; exit 1.
        let status = try await reportd(["status", "--config", f.config])
        #expect(status.status == 1, "\(status.stdout)")
        let names = ["alpha ", "broken ", "hs ", "typo ", "zeta "]
        let rows = status.stdout.split(separator: "\n").filter { line in names.contains { line.hasPrefix($0) } }
        #expect(
            rows.map { String($0.prefix { $0 != " " }) } == ["alpha", "broken", "hs", "typo", "zeta"],
            "\(status.stdout)")
        #expect(
            rows[1].contains("PREVIOUS DEFINITION") && rows[2].contains("NOT LOADED") && rows[3].contains("REFUSED"))
        #expect(rows[0].contains(" loaded ") && rows[4].contains(" loaded "))
        #expect(
            status.stdout.contains(
                "broken: running the previous definition since ")
                && status.stdout.contains("because \(reports)/1-broken.yaml is invalid: \(reports)/1-broken.yaml:7:"),
            "\(status.stdout)")
        #expect(status.stdout.contains("typo: refused: \(reports)/3-typo.yaml is invalid"), "\(status.stdout)")
        #expect(status.stdout.contains("unknown calculator 'average'"), "\(status.stdout)")
        #expect(
            status.stdout.contains(
                "hs: not loaded: calculator 'garbage_count' is unavailable because a plugin did not load: plugin 'garbage' ("
            ), "\(status.stdout)")
        #expect(status.stdout.contains("handshake failed"), "\(status.stdout)")

        let json = try await reportd(["status", "--config", f.config, "--json"])
        #expect(json.status == 1)
        let object = Self.json(json.stdout)
        #expect(object["ok"] as? Bool == false)
        #expect(object["files_from_daemon"] as? Bool == true)
        let byName = Dictionary(
            ((object["reports"] as? [[String: Any]]) ?? []).map { ($0["name"] as? String ?? "", $0) },
            uniquingKeysWith: { a, _ in a })
        #expect(byName["broken"]?["state"] as? String == "kept_previous")
        #expect((byName["broken"]?["first_error"] as? String)?.contains("1-broken.yaml:7:") == true)
        #expect((byName["broken"]?["schedule"] as? String) == "0 0 * * *")
        #expect(byName["typo"]?["state"] as? String == "refused")
        #expect(byName["typo"]?["next_slot"] == nil)
        #expect((byName["typo"]?["problem"] as? String)?.hasPrefix("refused: ") == true)
        #expect(byName["hs"]?["state"] as? String == "not_loaded")
        #expect(byName["alpha"]?["state"] as? String == "loaded" && byName["alpha"]?["problem"] == nil)

        // `status NAME` for the report on its previous definition.
        let one = try await reportd(["status", "--config", f.config, "broken"])
        #expect(one.status == 1)
        #expect(one.stdout.contains("state: PREVIOUS DEFINITION since "), "\(one.stdout)")
        #expect(one.stdout.contains("schedule: 0 0 * * *"), "\(one.stdout)")

        // list: every report in name order, the three marked, and why.
        let list = try await reportd(["list", "--config", f.config])
        #expect(list.status == 0)
        let listRows = list.stdout.split(separator: "\n").dropFirst().prefix(5).map { String($0.prefix { $0 != " " }) }
        #expect(listRows == ["alpha", "broken", "hs", "typo", "zeta"], "\(list.stdout)")
        #expect(list.stdout.contains("[PREVIOUS DEFINITION]") && list.stdout.contains("REFUSED"), "\(list.stdout)")
        #expect(list.stdout.contains("NOT LOADED"), "\(list.stdout)")
        #expect(list.stdout.contains("typo: refused: "), "\(list.stdout)")

        // history: a run of the kept report is there, times are in the report's zone, and the
        // problems are named.
        let run = try await reportd(["run", "--config", f.config, "alpha"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let history = try await reportd(["history", "--config", f.config])
        #expect(history.status == 0, "\(history.stderr)")
        let alphaRow = try #require(history.stdout.split(separator: "\n").first { $0.contains(" alpha ") })
        #expect(alphaRow.prefix { $0 != " " }.hasSuffix("+07:00"), "\(history.stdout)")
        #expect(history.stdout.contains("note: broken: running the previous definition since "), "\(history.stdout)")
        #expect(history.stdout.contains("note: typo: refused: "), "\(history.stdout)")
        let keptHistory = try await reportd(["history", "--config", f.config, "broken"])
        #expect(keptHistory.status == 0, "\(keptHistory.stderr)")

        // The daemon stopped: status checks the files itself, without starting plugins (so with a
        // plugins folder, a calculator that is not built in is taken on trust); an invalid file
        // still fails it.
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("exit after SIGTERM") { !process.isRunning }
        try Self.write(f, "3-typo", Fixture.report("typo").replacingOccurrences(of: "@daily", with: "61 * * * *"))
        let alone = try await reportd(["status", "--config", f.config])
        #expect(alone.status == 1, "\(alone.stdout)")
        #expect(alone.stdout.contains("report files: checked now, without starting plugins"), "\(alone.stdout)")
        #expect(
            alone.stdout.contains(
                "typo: invalid: the daemon will not load \(reports)/3-typo.yaml: \(reports)/3-typo.yaml:4:"),
            "\(alone.stdout)")
        let aloneJSON = Self.json(try await reportd(["status", "--config", f.config, "--json"]).stdout)
        #expect(aloneJSON["ok"] as? Bool == false && aloneJSON["files_from_daemon"] as? Bool == false)
        // Fixed files: green again.
        try Self.write(f, "1-broken", Fixture.report("broken"))
        try FileManager.default.removeItem(at: f.folder.appendingPathComponent("reports.d/3-typo.yaml"))
        let fixed = try await reportd(["status", "--config", f.config])
        #expect(fixed.status == 0, "\(fixed.stdout)\(fixed.stderr)")
    }

    /// The daemon under systemd works in `/`: messages and the record name files by their absolute
    /// paths, not as `etc/reportd/…`.
    @Test func filesAreNamedByAbsolutePathsFromTheRootFolder() async throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: ["b": Fixture.report("b").replacingOccurrences(of: "calc: count", with: "calc: cnt")])
        let out = try await offThePool {
            try runReportd(["status", "--config", f.config], in: URL(fileURLWithPath: "/"))
        }
        #expect(out.status == 1)
        let file = f.folder.appendingPathComponent("reports.d/b.yaml").path
        #expect(out.stdout.contains("b: invalid: the daemon will not load \(file): \(file):7:"), "\(out.stdout)")
        #expect(out.stderr.contains("\(file):7:"), "\(out.stderr)")
    }

    /// Without a plugins folder no calculator can be a plugin's: `status` with no daemon running
    /// finds an unknown calculator itself.
    @Test func statusWithoutTheDaemonFindsAnUnknownCalculatorWhenThereAreNoPlugins() async throws {
        let f = try Fixture(
            csv: Self.csv,
            reports: [
                "a": Fixture.report("a"),
                "b": Fixture.report("b").replacingOccurrences(of: "calc: count", with: "calc: cnt"),
            ])
        let status = try await reportd(["status", "--config", f.config])
        #expect(status.status == 1, "\(status.stdout)")
        #expect(status.stdout.contains("b: invalid: the daemon will not load "), "\(status.stdout)")
        #expect(status.stdout.contains("unknown calculator 'cnt'"), "\(status.stdout)")
        let list = try await reportd(["list", "--config", f.config])
        #expect(list.status == 0)
        #expect(list.stdout.contains("INVALID") && list.stdout.contains("b: invalid: "), "\(list.stdout)")
    }
}
