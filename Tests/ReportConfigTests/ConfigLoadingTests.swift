import Foundation
import ReportCalculators
import ReportCore
import Testing
import TestSupport

@testable import ReportConfig
import ReportWriters
import ReportSources
import ReportPlugins

#if canImport(Glibc)
    import Glibc
#endif

/// How the config is loaded: report files read on every core while the plugins shake hands, in the
/// same order and with the same results as one file after the other.
@Suite(.blocking) struct ConfigLoadingTests {
    /// Report `n`: valid, or (every seventh) with an unknown column, or (every eleventh) with the
    /// name of report 0.
    static func report(_ n: Int) -> String {
        let name = n % 11 == 10 ? "report-0" : "report-\(n)"
        let column = n % 7 == 6 ? "state_suport_vnd" : "state_support_vnd"
        return """
            name: \(name)
            dataset: projects
            schedule: "\(n % 60) 6 * * *"
            group_by: [program]
            metrics:
              - {name: support, calc: sum, column: \(column)}
            """
    }

    @Test func loadFilesGivesWhatLoadingOneFileAfterTheOtherGives() throws {
        var reports: [String: String] = [:]
        for n in 0..<60 { reports[String(format: "r%03d.yaml", n)] = Self.report(n) }
        reports["broken.yaml"] = "name: [unclosed"
        let fixture = try ConfigFixture(reports: reports)
        let path = fixture.folder.appendingPathComponent("reportd.yaml").path
        let loader = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter())

        let (daemon, files, diagnostics) = loader.loadFiles(configPath: path)
        let (oneDaemon, oneDiagnostics) = loader.loadDaemon(configPath: path)
        let one = oneDaemon.map { loader.loadReportFiles(daemon: $0) } ?? []
        // And the plain way, file by file.
        let plain =
            oneDaemon.map { daemon -> [ConfigLoader.ReportFileResult] in
                var listing: [Diagnostic] = []
                return loader.reportFiles(in: daemon.reportsDirectory, diagnostics: &listing).map {
                    loader.loadReport(path: $0, daemon: daemon)
                }
            } ?? []

        #expect(daemon != nil)
        #expect(diagnostics == oneDiagnostics)
        #expect(files.map(\.path) == one.map(\.path))
        #expect(files.map(\.path) == plain.map(\.path))
        #expect(files.map(\.diagnostics) == one.map(\.diagnostics))
        #expect(files.map { $0.report?.definition.name } == one.map { $0.report?.definition.name })
        #expect(files.count == 61)
        // 60 report files, of which 8 name an unknown column and 5 (other ones) reuse report-0's
        // name: those 5 and report-0's own file are all refused.
        #expect(files.compactMap(\.report).count == 60 - 8 - 5 - 1)
        let duplicate = try #require(files.first { $0.path.hasSuffix("r010.yaml") })
        #expect(duplicate.report == nil)
        #expect(duplicate.diagnostics.count == 1)
        #expect(duplicate.diagnostics.first?.message.contains("/reports.d/r000.yaml:1:7, ") == true)
        #expect(duplicate.diagnostics.first?.message.contains("names must be unique") == true)
        let original = try #require(files.first { $0.path.hasSuffix("r000.yaml") })
        #expect(original.report == nil)
        #expect(original.diagnostics.first?.message.contains("/reports.d/r010.yaml:1:7, ") == true)
        let broken = try #require(files.first { $0.path.hasSuffix("broken.yaml") })
        #expect(broken.report == nil && broken.diagnostics.count == 1)
    }

    @Test func aDuplicateKeyIsStillAnError() throws {
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport + "\nname: again\n"])
        let errors = fixture.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.message == "duplicate key 'name' in one mapping")
    }

    /// A named pipe planted in the reports folder is refused at once, never read: reading one
    /// blocked the loader, and with it the daemon's reloads and shutdown (issue 13). Nobody ever
    /// opens the pipe for writing here, so a loader that read it would never return.
    @Test func aNamedPipeInTheReportsFolderIsRefusedWithoutBlocking() throws {
        let fixture = try ConfigFixture(reports: ["good.yaml": validReport])
        let pipe = fixture.folder.appendingPathComponent("reports.d/late.yaml").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let path = fixture.folder.appendingPathComponent("reportd.yaml").path
        let outcome = LoadOutcome()
        Thread {
            outcome.set(ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter()).load(configPath: path))
        }.start()
        guard let configuration = outcome.wait(seconds: 60) else {
            Issue.record("the loader is stuck reading the named pipe")
            let fd = open(pipe, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            return
        }
        #expect(configuration.reports.map(\.definition.name) == ["by-program"])
        #expect(
            configuration.errors.map(\.description).contains {
                $0.hasSuffix("late.yaml: error: cannot read the file: it is a named pipe, not a regular file")
            }, "\(configuration.errors)")
    }

    /// Entries of the plugins folder that cannot run are said (a warning each), not silently
    /// dropped: otherwise the only sign is "unknown calculator" in the reports that use them.
    @Test func pluginsThatCannotRunAreNamedWithWhy() throws {
        let fixture = try ConfigFixture(daemon: ConfigFixture.daemon + "\nplugins: plugins\n", reports: [:])
        let plugins = fixture.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: plugins.appendingPathComponent("plain.sh"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: plugins.appendingPathComponent("plain.sh").path)
        try "notes".write(to: plugins.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        #expect(symlink("../elsewhere/gone.py", plugins.appendingPathComponent("gone.py").path) == 0)
        let configuration = ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter())
            .load(configPath: fixture.folder.appendingPathComponent("reportd.yaml").path)
        let warnings = configuration.diagnostics.filter { $0.severity == .warning }.map(\.description)
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.contains { $0.hasSuffix("gone.py: warning: a symbolic link to a missing file; it is not loaded") })
        #expect(warnings.contains { $0.contains("plain.sh: warning: not executable") })
        #expect(configuration.errors.isEmpty)
    }
}

/// A configuration handed from the loading thread to the test.
typealias LoadOutcome = Completion<Configuration>
