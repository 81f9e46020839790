import ArgumentParser
import Foundation
import ReportCalculators
import ReportCore
import ReportConfig
import ReportTesting
import ReportWriters
import ReportSources
import ReportPlugins

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs report unit tests: a fixture dataset, a report and the rows it must give, at a slot time.",
        discussion: """
            Each test file (*.yaml) lists cases; see "Test a report" in the README. Publishes nothing and \
            touches neither the output nor the state folder. Exit status: 0 all cases pass, 1 any fails, \
            2 a test file, a report it names or the daemon config is unusable (every problem printed as \
            FILE:LINE:COL: error: MESSAGE).
            """)

    @OptionGroup var options: ConfigOptions

    @Argument(
        help: ArgumentHelp(
            "Test files, or folders of them (default: the 'tests' folder beside the daemon config).",
            valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let loader = ConfigLoader(
            calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry,
            plugins: PluginLoader.starter(logger: options.logger()))
        let (daemon, configDiagnostics) = loader.loadDaemon(configPath: options.path)
        printDiagnostics(configDiagnostics)
        guard let daemon else { throw ExitCode(2) }
        let beside = (daemon.file as NSString).deletingLastPathComponent
        let folders = paths.isEmpty ? [(beside as NSString).appendingPathComponent("tests")] : paths
        let (files, listing) = ReportTestLoader.testFiles(in: folders)
        printDiagnostics(listing)
        var unusable = !listing.isEmpty || configDiagnostics.contains { $0.severity == .error }
        let tests = ReportTestLoader(daemon: daemon)
        let runner = ReportTestRunner(calculators: daemon.calculators)
        var (passed, failed) = (0, 0)
        for file in files {
            let (cases, diagnostics) = tests.load(path: file)
            printDiagnostics(diagnostics)
            if diagnostics.contains(where: { $0.severity == .error }) { unusable = true }
            for test in cases {
                let result = runner.run(test)
                if result.passed {
                    passed += 1
                    print("ok    \(result.file): \(result.name)")
                } else {
                    failed += 1
                    print("FAIL  \(result.file): \(result.name)")
                    for line in result.details { print("      " + line) }
                }
            }
        }
        var summary = "\(passed) passed, \(failed) failed"
        if unusable { summary += "; some tests could not be run (see the errors above)" }
        print(summary)
        if unusable { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }
}
