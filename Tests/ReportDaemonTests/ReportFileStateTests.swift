import Foundation
import ReportCore
import ReportConfig
import Testing
import TestSupport

@testable import ReportDaemon
@testable import ReportState

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's record of every report file (issue 12, point 2): how a start and a reload classify
/// each file, the log line's counts, and the state file `status` reads.
@Suite(.blocking) struct ReportFileStateTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    /// A fixture whose plugins folder holds `hhi.py` without execute permission: its calculators
    /// are unavailable, as when a plugin fails its handshake.
    static func fixture(_ reports: [String: String]) throws -> DaemonFixture {
        let f = try DaemonFixture(reports: reports, daemonExtra: "plugins: plugins")
        let plugins = f.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: plugins.appendingPathComponent("hhi.py"), atomically: true, encoding: .utf8)
        return f
    }

    static let pluginReport = """
        name: conc
        dataset: things
        schedule: "@daily"
        group_by: [district]
        metrics:
          - {name: index, calc: hhi, column: amount}
        """

    @Test func startClassifiesEveryFileAndTheLineCountsThem() throws {
        let f = try Self.fixture([
            "a": DaemonFixture.report("a", schedule: "@daily"),
            "typo": DaemonFixture.report("typo", schedule: "@daily").replacingOccurrences(
                of: "calc: count", with: "calc: average"),
            "conc": Self.pluginReport,
        ])
        let (daemon, files, _) = f.reload()
        let unwrapped = try #require(daemon)
        #expect(unwrapped.pluginProblems.map(\.name) == ["hhi"])
        let (set, changes) = ReportSet.loading(daemon: unwrapped, files: files, now: Self.t0)
        #expect(Array(set.reports.keys) == ["a"])
        #expect(changes.files.map(\.label) == ["a", "conc", "typo"])
        #expect(changes.files.map(\.condition) == [.loaded, .notLoaded, .refused])
        let typo = try #require(changes.refused.first)
        #expect(typo.firstError?.location == "\(f.folder.path)/reports.d/typo.yaml:4:\(typo.firstError?.column ?? 0)")
        #expect(typo.firstError?.message.contains("unknown calculator 'average'") == true)
        let conc = try #require(changes.notLoaded.first)
        #expect(conc.unavailableCalculators == ["hhi"])
        #expect(conc.plugins?.first?.reason.contains("not executable") == true)
        #expect(conc.reason(in: TimeZone(identifier: "UTC")!)?.contains("plugin 'hhi'") == true)
        let line = changes.summary(initial: true)
        #expect(line.hasPrefix("start: 3 report files: 1 loaded, 1 refused (typo: "), "\(line)")
        #expect(line.hasSuffix(", 1 not loaded (plugin) (conc: 'hhi')"), "\(line)")
    }

    @Test func reloadSaysWhatChangedWithCountsThatAddUp() throws {
        let f = try Self.fixture([
            "same": DaemonFixture.report("same", schedule: "@daily"),
            "edit": DaemonFixture.report("edit", schedule: "@daily"),
            "broken": DaemonFixture.report("broken", schedule: "@daily"),
            "gone": DaemonFixture.report("gone", schedule: "@daily"),
        ])
        let (daemon, files, _) = f.reload()
        let (start, _) = ReportSet.loading(daemon: try #require(daemon), files: files, now: Self.t0)
        try f.write("edit", DaemonFixture.report("edit", schedule: "@hourly"))
        try f.write("broken", "name: broken\nschedule: [oops\n")
        try f.remove("gone")
        try f.write("new", DaemonFixture.report("new", schedule: "@daily"))
        try f.write("refused", DaemonFixture.report("refused", schedule: "61 * * * *"))
        try f.write("conc", Self.pluginReport)
        let t1 = Self.t0.addingTimeInterval(60)
        let (d1, f1, _) = f.reload()
        let (after, changes) = start.reloaded(daemon: d1, files: f1, now: t1)
        #expect(changes.unchanged == ["same"])
        #expect(changes.replaced == ["edit"])
        #expect(changes.added == ["new"])
        #expect(changes.kept == ["broken"])
        #expect(changes.refused.map(\.label) == ["refused"])
        #expect(changes.notLoaded.map(\.label) == ["conc"])
        #expect(changes.removed == ["gone"])
        let counted =
            changes.unchanged.count + changes.replaced.count + changes.added.count + changes.kept.count
            + changes.refused.count + changes.notLoaded.count
        #expect(counted == changes.files.count && counted == 6)
        let line = changes.summary(initial: false)
        #expect(
            line.hasPrefix(
                "reload: 6 report files: 1 unchanged, 1 changed (edit), 1 added (new), 1 kept previous definition (broken: \(f.folder.path)/reports.d/broken.yaml:"
            ), "\(line)")
        #expect(line.contains(", 1 refused (refused: \(f.folder.path)/reports.d/refused.yaml:"), "\(line)")
        #expect(line.hasSuffix("; 1 removed (gone)"), "\(line)")
        // The kept report runs its previous definition, and its state says since when.
        let broken = try #require(after.files.first { $0.report == "broken" })
        #expect(broken.condition == .keptPrevious && broken.since == t1)
        #expect(broken.definition?.schedule == "0 0 * * *")
        #expect(after.reports["broken"] != nil && after.reports["refused"] == nil && after.reports["conc"] == nil)
        // A second reload with nothing changed keeps the time each file entered its state.
        let (d2, f2, _) = f.reload()
        let (_, again) = after.reloaded(daemon: d2, files: f2, now: t1.addingTimeInterval(60))
        #expect(again.files.first { $0.report == "broken" }?.since == t1)
        #expect(again.files.first { $0.report == "refused" }?.since == t1)
        #expect(again.unchanged == ["edit", "new", "same"])
        // Fixing the file loads it again: the report's definition comes from the file.
        try f.write("broken", DaemonFixture.report("broken", schedule: "@hourly"))
        let (d3, f3, _) = f.reload()
        let (_, fixed) = after.reloaded(daemon: d3, files: f3, now: t1.addingTimeInterval(120))
        #expect(fixed.replaced.contains("broken"))
        #expect(fixed.files.first { $0.report == "broken" }?.condition == .loaded)
    }

    @Test func aReportsFolderThatCannotBeListedStopsNoReport() throws {
        let f = try DaemonFixture(reports: ["a": DaemonFixture.report("a", schedule: "@daily")])
        let before = try f.load()
        try FileManager.default.removeItem(at: f.folder.appendingPathComponent("reports.d"))
        let (daemon, files, _) = f.reload()
        #expect(files.count == 1 && files.first?.isReportFile == false)
        let (after, changes) = before.reloaded(daemon: daemon, files: files)
        #expect(changes.unlistedReportsFolder?.message.contains("cannot list report definitions") == true)
        #expect(changes.removed.isEmpty && Array(after.reports.keys) == ["a"])
    }

    @Test func aReloadOfManyFilesNamesTenAndCountsTheRest() {
        var changes = ReportSet.Changes()
        changes.unchanged = (0..<188).map { "u\($0)" }
        changes.replaced = (0..<12).map { "r\($0)" }
        changes.files = (0..<200).map {
            ReportFileState(file: "\($0).yaml", report: "\($0)", condition: .loaded, since: nil)
        }
        let line = changes.summary(initial: false)
        #expect(
            line
                == "reload: 200 report files: 188 unchanged, 12 changed (r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, and 2 more), 0 added, 0 kept previous definition, 0 refused, 0 not loaded (plugin); 0 removed"
        )
    }

    @Test func theRecordRoundTripsPrivatelyAndNamesNoReportsState() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("loaded-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        #expect(LoadedReportsFile.load(stateDirectory: state) == nil)
        let files = [
            ReportFileState(
                file: "reports.d/z.yaml", report: "b-report", condition: .refused, since: Self.t0,
                firstError: .init(
                    Diagnostic(file: "reports.d/z.yaml", line: 7, column: 13, message: "unknown calculator 'x'")),
                errors: 2),
            ReportFileState(
                file: "reports.d/a.yaml", report: "z-report", condition: .loaded, since: Self.t0,
                definition: .init(
                    ReportDefinition(
                        name: "z-report", title: "Z", dataset: "things", schedule: .every(seconds: 900),
                        timezone: "Asia/Ho_Chi_Minh", metrics: []))),
        ]
        let record = LoadedReportsFile(
            pid: 42, version: "1.2.3", config: "/etc/reportd/reportd.yaml", loadedAt: Self.t0, files: files)
        // Sorted by report name, not by file name.
        #expect(record.files.map(\.report) == ["b-report", "z-report"])
        try record.save(stateDirectory: state)
        #expect(LoadedReportsFile.load(stateDirectory: state) == record)
        var info = stat()
        #expect(stat(state + "/" + LoadedReportsFile.fileName, &info) == 0 && info.st_mode & 0o7777 == 0o600)
        // Report names have no '.', so no report's state file can be this one.
        #expect(!ReportDefinition.isValidName((LoadedReportsFile.fileName as NSString).deletingPathExtension))
        let text = try String(contentsOfFile: state + "/" + LoadedReportsFile.fileName, encoding: .utf8)
        #expect(text.contains("\"condition\" : \"refused\"") && text.contains("\"first_error\""), "\(text)")
        let z = try #require(record.files.last?.definition?.reportDefinition(name: "z-report"))
        #expect(z.schedule == .every(seconds: 900) && z.timezone == "Asia/Ho_Chi_Minh")
    }

    @Test func statusTrustsTheRecordOnlyOfTheDaemonThatRuns() throws {
        let f = try DaemonFixture(reports: [
            "a": DaemonFixture.report("a", schedule: "@daily"),
            "bad": DaemonFixture.report("bad", schedule: "61 * * * *"),
        ])
        let state = f.folder.appendingPathComponent("state").path
        let (_, files, _) = f.reload()
        // No daemon: the files as checked now; the invalid one is `invalid`, and status is not ok.
        let checked = ReportFilesView.current(stateDirectory: state, checked: files)
        #expect(!checked.fromDaemon)
        #expect(checked.files.map(\.condition) == [.loaded, .invalid])
        let status = StatusReport.make(view: checked, stateDirectory: state, now: Self.t0)
        #expect(!status.ok)
        #expect(status.reports.map(\.name) == ["a", "bad"])
        #expect(status.reports[1].problem?.hasPrefix("invalid: the daemon will not load ") == true)
        #expect(status.reports[1].schedule == nil && status.reports[1].nextSlot == nil)
        let kept = ReportFileState(
            file: "reports.d/a.yaml", report: "a", condition: .keptPrevious, since: Self.t0,
            firstError: .init(Diagnostic(file: "reports.d/a.yaml", line: 3, column: 1, message: "x")), errors: 1,
            definition: .init(
                ReportDefinition(
                    name: "a", title: "A", dataset: "things", schedule: .every(seconds: 3600), timezone: "UTC",
                    metrics: [])))
        do {
            let presence = try DaemonPresence.claim(stateDirectory: state, config: f.configPath)
            // A record by another process is not this daemon's: the files are checked instead.
            try LoadedReportsFile(pid: 1, version: "x", config: f.configPath, loadedAt: Self.t0, files: [kept])
                .save(stateDirectory: state)
            #expect(!ReportFilesView.current(stateDirectory: state, checked: files).fromDaemon)
            try LoadedReportsFile(
                pid: Int(getpid()), version: "x", config: f.configPath, loadedAt: Self.t0, files: [kept]
            )
            .save(stateDirectory: state)
            let view = ReportFilesView.current(stateDirectory: state, checked: files)
            #expect(view.fromDaemon && view.files == [kept])
            let status = StatusReport.make(view: view, stateDirectory: state, now: Self.t0)
            #expect(!status.ok && status.filesFromDaemon)
            #expect(status.reports.first?.state == .keptPrevious)
            #expect(status.reports.first?.schedule == "every 1h" && status.reports.first?.nextSlot != nil)
            #expect(
                status.reports.first?.problem
                    == "running the previous definition since 2026-11-18T11:06:40+00:00 because reports.d/a.yaml is invalid: reports.d/a.yaml:3:1: error: x"
            )
            withExtendedLifetime(presence) {}
        }
        // The daemon gone, its record is not trusted.
        #expect(!ReportFilesView.current(stateDirectory: state, checked: files).fromDaemon)
    }
}
