import Foundation
import ReportCalculators
import Testing
import TestSupport

@testable import ReportCore

@testable import ReportConfig
import ReportFiles
@testable import WriterCSV
@testable import ReportState
import ReportWriters
@testable import ReportPublish
import ReportSources
import ReportPlugins

#if canImport(Glibc)
    import Glibc
#endif

/// Files an adversary (or an accident) puts where reportd reads: none may block, exhaust memory,
/// take over a report or have its contents quoted back (issue 13).
@Suite(.blocking) struct HostileInputTests {
    /// Loads the fixture on a thread of its own and waits at most a minute: a loader that blocks
    /// fails the test instead of hanging the suite.
    func loadWithin(_ fixture: ConfigFixture) -> Configuration? {
        let path = fixture.folder.appendingPathComponent("reportd.yaml").path
        let outcome = LoadOutcome()
        Thread {
            outcome.set(ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()).load(configPath: path))
        }.start()
        return outcome.wait(seconds: 60)
    }

    @Test func aLinkToADeviceIsNotRead() throws {
        let fixture = try ConfigFixture(reports: ["good.yaml": validReport])
        let inside = fixture.folder.appendingPathComponent("reports.d/zero.yaml").path
        // `/dev/zero` filled memory until the process aborted; a link out of the folder is not read.
        #expect(symlink("/dev/zero", inside) == 0)
        let configuration = try #require(loadWithin(fixture))
        #expect(configuration.reports.map(\.definition.name) == ["by-program"])
        #expect(
            configuration.errors.map(\.description).contains {
                $0.hasSuffix("zero.yaml: error: a symbolic link that leaves the reports folder; it is not read "
                    + "(put the report file itself in \(DisplayPath.of(fixture.folder.path + "/reports.d")))")
            }, "\(configuration.errors)")
    }

    @Test func aReportFileLinkedOutsideTheFolderIsNeitherReadNorQuoted() throws {
        let fixture = try ConfigFixture(reports: ["good.yaml": validReport])
        let secret = fixture.folder.appendingPathComponent("secret.txt")
        try "root:$y$j9T$secrethash:19000:0:99999:7:::\n".write(to: secret, atomically: true, encoding: .utf8)
        #expect(symlink(secret.path, fixture.folder.appendingPathComponent("reports.d/shadow.yaml").path) == 0)
        // A link that stays inside the folder is fine.
        #expect(symlink("good.yaml", fixture.folder.appendingPathComponent("reports.d/alias.yml").path) == 0)
        let configuration = try #require(loadWithin(fixture))
        let text = configuration.diagnostics.map(\.description).joined(separator: "\n")
        #expect(!text.contains("secrethash") && !text.contains("root"), "\(text)")
        #expect(text.contains("shadow.yaml: error: a symbolic link that leaves the reports folder"))
        // The in-folder link loads: it defines the same name as good.yaml, so both are refused.
        #expect(text.contains("alias.yml:1:7: error: report name 'by-program' is also used by"))
    }

    @Test func aHugeReportFileIsRefusedBySize() throws {
        let fixture = try ConfigFixture(reports: ["good.yaml": validReport])
        let big = fixture.folder.appendingPathComponent("reports.d/big.yaml").path
        let fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        // A sparse file: 100 GB of nothing, as `truncate -s 100G` makes.
        #expect(ftruncate(fd, 100 << 30) == 0)
        close(fd)
        let configuration = try #require(loadWithin(fixture))
        #expect(
            configuration.errors.map(\.description).contains {
                $0.contains("big.yaml: error: cannot read the file: it is 107374182400 bytes, more than the 4 MiB")
            }, "\(configuration.errors)")
        #expect(configuration.reports.count == 1)
    }

    /// The "billion laughs" used as mapping keys: Yams would expand and hash them for minutes.
    @Test func anAliasBombIsRefusedBeforeComposing() throws {
        var bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = "*l\(level - 1)".replacingOccurrences(of: "*l0", with: "*a")
            bomb += "l\(level): &l\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]\n"
        }
        bomb += "? *l9\n: x\n? [*l9, 1]\n: y\n"
        let fixture = try ConfigFixture(reports: ["good.yaml": validReport, "bomb.yaml": bomb])
        let configuration = try #require(loadWithin(fixture))
        #expect(
            configuration.errors.map(\.description).contains {
                $0.contains("bomb.yaml:1:1: error: its aliases expand to more than 1000000 YAML nodes")
            }, "\(configuration.errors)")
        #expect(configuration.reports.map(\.definition.name) == ["by-program"])
    }

    @Test func modestAliasesStillWork() throws {
        let report = validReport.replacingOccurrences(
            of: "group_by: [program]", with: "group_by: &groups [program]\nx-notes: *groups")
        #expect(YAMLAliasBudget.expandedNodes(of: report).map { $0 < 100 } == true)
        #expect(YAMLAliasBudget.expandedNodes(of: "a: &x [1, 2, 3]\nb: *x\n") == 1 + 2 + 4 + 4)
    }

    @Test func aByteOrderMarkBeforeTheFirstKeyIsAccepted() throws {
        let fixture = try ConfigFixture(reports: ["bom.yaml": "\u{FEFF}" + validReport])
        let configuration = try #require(loadWithin(fixture))
        #expect(configuration.errors.map(\.description) == [])
        #expect(configuration.reports.map(\.definition.name) == ["by-program"])
    }

    @Test func controlCharactersInAKeyCannotForgeALine() throws {
        let fixture = try ConfigFixture(reports: [
            "x.yaml": validReport + "\n\"evil\\nreports.d/other.yaml:1:1: error: \\e[31mforged\": 1\n"
        ])
        let configuration = try #require(loadWithin(fixture))
        let lines = configuration.diagnostics.map(\.description)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.allSatisfy { !$0.contains("\n") && !$0.contains("\u{1B}") })
        #expect(lines.first?.contains("unknown key 'evil\\nreports.d/other.yaml:1:1: error: \\e[31mforged'") == true)
    }

    @Test func escapingControlCharacters() {
        #expect("Mường Tè".escapingControlCharacters == "Mường Tè")
        #expect("a\nb\r\tc\u{1B}[0m\u{7F}\u{85}\u{2028}".escapingControlCharacters == "a\\nb\\r\\tc\\e[0m\\u{7F}\\u{85}\\u{2028}")
    }

    // MARK: Published folder

    /// A named pipe at `latest.bogus`, or under a run's own name, stalled the manifest's hashing
    /// while the run held its report's lock; a sparse 100 GB file was read whole at every run.
    @Test func theManifestReadsNeitherPipesNorPlantedNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let publisher = Publisher(root: root.path)
        _ = try publisher.publish(
            report: "r",
            files: [
                Publisher.File(name: "r_2026-11-29T060000.csv", bytes: Array("a\n1\n".utf8)),
                Publisher.File(name: "latest.csv", bytes: Array("a\n1\n".utf8)),
            ])
        let folder = root.appendingPathComponent("r").path
        #expect(mkfifo(folder + "/latest.bogus", 0o644) == 0)
        #expect(mkfifo(folder + "/r_2026-11-28T060000.csv", 0o644) == 0)
        let sparse = open(folder + "/latest.x", O_WRONLY | O_CREAT, 0o644)
        #expect(ftruncate(sparse, 100 << 30) == 0)
        close(sparse)

        let done = Completion<Manifest>()
        Thread {
            done.set(
                try? publisher.writeManifest(
                    report: "r", title: "R", extensions: ["csv"], latest: "2026-11-29T060000", known: [:],
                    updatedAt: "2026-11-29T06:00:00+07:00"))
        }.start()
        guard let manifest = done.wait(seconds: 60) else {
            Issue.record("writing the manifest blocked on a named pipe")
            for pipe in ["latest.bogus", "r_2026-11-28T060000.csv"] {
                let fd = open(folder + "/" + pipe, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
            return
        }
        #expect(manifest.latestFiles.map(\.name) == ["latest.csv"])
        #expect(manifest.runs.flatMap(\.files).map(\.name) == ["r_2026-11-29T060000.csv"])
        #expect(manifest.latestFiles.first?.sha256 == PublishedFile.sha256(Array("a\n1\n".utf8)))
    }

    // MARK: CSV injection

    @Test func formulaCellsReachExcelAsText() {
        let result = ReportResult(
            columns: [
                ReportResult.ResultColumn(name: "district", role: .group, calc: nil, type: .string),
                ReportResult.ResultColumn(name: "n", role: .metric, calc: "sum", type: .int),
            ],
            rows: [
                [.string("=HYPERLINK(\"http://x\",\"y\")"), .int(-5)],
                [.string("@SUM(A1)"), .int(1)],
                [.string("+cmd|' /C calc'!A0"), .int(2)],
                [.string("-5"), .decimal(-1.5)],
                [.string("Mường Tè"), .int(3)],
            ], totals: nil, rowsUsed: 5)
        let text = String(decoding: CSVWriter.render(result, bom: false, lineEndings: .lf), as: UTF8.self)
        #expect(
            text == """
                district,n
                "'=HYPERLINK(""http://x"",""y"")",-5
                '@SUM(A1),1
                '+cmd|' /C calc'!A0,2
                -5,-1.5
                Mường Tè,3

                """)
    }
}

/// A value handed from a worker thread to the test.
final class Completion<T>: @unchecked Sendable {
    private let lock = NSCondition()
    private var value: T??

    func set(_ v: T?) {
        lock.lock()
        value = .some(v)
        lock.broadcast()
        lock.unlock()
    }

    /// The value, or nil when none came within `seconds` (or the worker gave nil).
    func wait(seconds: TimeInterval) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        lock.lock()
        defer { lock.unlock() }
        while value == nil, lock.wait(until: deadline) {}
        return value ?? nil
    }
}
