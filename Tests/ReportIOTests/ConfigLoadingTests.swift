import Foundation
import ReportCalculators
import ReportCore
import Testing

@testable import ReportIO

#if canImport(Glibc)
    import Glibc
#endif

/// How the config is loaded: report files read on every core while the plugins shake hands, in the
/// same order and with the same results as one file after the other.
@Suite struct ConfigLoadingTests {
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
        let loader = ConfigLoader(calculators: BuiltinCalculators.registry)

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
        // 60 report files, of which 8 name an unknown column and 5 (other ones) reuse report-0's name.
        #expect(files.compactMap(\.report).count == 60 - 8 - 5)
        let duplicate = try #require(files.first { $0.path.hasSuffix("r010.yaml") })
        #expect(duplicate.report == nil)
        #expect(duplicate.diagnostics.count == 1)
        #expect(
            duplicate.diagnostics.first?.message.hasSuffix(
                "/reports.d/r000.yaml:1:7: names must be unique") == true)
        let broken = try #require(files.first { $0.path.hasSuffix("broken.yaml") })
        #expect(broken.report == nil && broken.diagnostics.count == 1)
    }

    @Test func aDuplicateKeyIsStillAnError() throws {
        let fixture = try ConfigFixture(reports: ["r.yaml": validReport + "\nname: again\n"])
        let errors = fixture.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.message == "duplicate key 'name' in one mapping")
    }

    /// The plugins' handshakes overlap reading the report files. The plugin here answers its hello
    /// only after it has written the one report file, a named pipe, which it can only open while
    /// reportd is reading that pipe: a loader that waited for the handshake before reading any
    /// file would never get the answer (the plugin gives up after 5 s and its calculator is lost).
    @Test func pluginsShakeHandsWhileReportFilesAreRead() throws {
        let fixture = try ConfigFixture(
            daemon: ConfigFixture.daemon + "\nplugins: plugins\nplugin_timeout: 30s\n", reports: [:])
        let plugins = fixture.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let plugin = plugins.appendingPathComponent("late.py")
        try Self.latePlugin.write(to: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
        let pipe = fixture.folder.appendingPathComponent("reports.d/late.yaml").path
        #expect(mkfifo(pipe, 0o600) == 0)

        let path = fixture.folder.appendingPathComponent("reportd.yaml").path
        let outcome = LoadOutcome()
        Thread {
            outcome.set(ConfigLoader(calculators: BuiltinCalculators.registry).load(configPath: path))
        }.start()
        if outcome.wait(seconds: 30) == nil {
            // The loader is stuck reading the pipe that the plugin gave up on: end the pipe.
            Issue.record("the report file was not read while the plugin shook hands")
            let fd = open(pipe, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        let configuration = try #require(outcome.wait(seconds: 60))
        #expect(configuration.diagnostics.map(\.description) == [])
        #expect(configuration.reports.map(\.definition.name) == ["late"])
        #expect(configuration.reports.first?.definition.metrics.map(\.calc) == ["late_count"])
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
        let configuration = ConfigLoader(calculators: BuiltinCalculators.registry)
            .load(configPath: fixture.folder.appendingPathComponent("reportd.yaml").path)
        let warnings = configuration.diagnostics.filter { $0.severity == .warning }.map(\.description)
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.contains { $0.hasSuffix("gone.py: warning: a symbolic link to a missing file; it is not loaded") })
        #expect(warnings.contains { $0.contains("plain.sh: warning: not executable") })
        #expect(configuration.errors.isEmpty)
    }

    static let latePlugin = """
        #!/usr/bin/env python3
        # Answers the hello only after writing ../reports.d/late.yaml, a named pipe: it can open the
        # pipe (without blocking) only while reportd reads it.
        import errno, json, os, sys, time
        sys.stdin.readline()
        deadline = time.monotonic() + 5
        fd = None
        while fd is None and time.monotonic() < deadline:
            try:
                fd = os.open("../reports.d/late.yaml", os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
                time.sleep(0.01)
        if fd is None:
            sys.exit("nobody read reports.d/late.yaml during the handshake")
        os.set_blocking(fd, True)
        os.write(fd, b"name: late\\ndataset: projects\\nschedule: '@daily'\\nmetrics: [{name: n, calc: late_count}]\\n")
        os.close(fd)
        print(json.dumps({"type": "hello", "protocol": 1, "plugin": {"name": "late", "version": "1"},
                          "calculators": [{"name": "late_count", "summary": "rows", "result": "int",
                                           "parameters": []}]}), flush=True)
        sys.stdin.read()
        """
}

/// A configuration handed from the loading thread to the test.
private final class LoadOutcome: @unchecked Sendable {
    private let lock = NSCondition()
    private var configuration: Configuration?

    func set(_ value: Configuration) {
        lock.lock()
        configuration = value
        lock.broadcast()
        lock.unlock()
    }

    func wait(seconds: TimeInterval) -> Configuration? {
        let deadline = Date().addingTimeInterval(seconds)
        lock.lock()
        defer { lock.unlock() }
        while configuration == nil, lock.wait(until: deadline) {}
        return configuration
    }
}
