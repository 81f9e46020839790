import Foundation
import Testing
import TestSupport

/// The Debian package's files (`packaging/`, `debian/`), checked without building a package:
/// the version `build-deb.sh` gives the package is the binary's own; the tree `packaging/stage.sh`
/// lays out (what debian/rules packages) holds every sample file in its place, its unit points at
/// the package's binary, config and folders; and the installed config validates, passes its tests
/// and runs. (Building the package, lintian and an install/upgrade/purge on a clean Debian 12 are
/// `packaging/test-deb.sh`: root, a release build and a few minutes.)
@Suite(.blocking) struct PackagingTests {
    static let packagingFolder = packageRoot.appendingPathComponent("packaging")

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> ProcessOutput
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "REPORTD_DEB_VERSION")
        env.removeValue(forKey: "REPORTD_CONFIG")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return try runCollecting(process)
    }

    /// The package's tree, laid out by `packaging/stage.sh` with the binary SwiftPM built.
    static func stagedTree() throws -> URL {
        let root = try temporaryFolder("deb-stage")
        let result = try run(
            "/bin/bash",
            [packagingFolder.appendingPathComponent("stage.sh").path, "--binary", try reportdBinary().path, root.path])
        try #require(result.status == 0, "stage.sh failed (\(result.status)):\n\(result.stdout)\n\(result.stderr)")
        return root
    }

    static func names(in folder: URL) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") })
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// The values of `Key=` lines in a unit file's text, in order.
    static func unitValues(_ key: String, in unit: String) -> [String] {
        unit.split(separator: "\n").compactMap { line in
            line.hasPrefix(key + "=") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }

    /// The value of a top-level (`state:`) or once-indented (`  root:`) key in a config's text.
    static func yamlValue(_ key: String, indent: Int = 0, in text: String) -> String? {
        let prefix = String(repeating: " ", count: indent) + key + ":"
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let value = line.dropFirst(prefix.count).split(separator: "#").first ?? ""
            return value.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// The dataset names under `datasets:` in a config's text.
    static func datasetNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("datasets:") {
                inside = true
            } else if inside, let first = line.first, first != " ", first != "#" {
                inside = false
            } else if inside, line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":"),
                !line.contains("#")
            {
                names.insert(line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ":", with: ""))
            }
        }
        return names
    }

    @Test func packageVersionIsTheBinarysVersion() throws {
        let script = Self.packagingFolder.appendingPathComponent("build-deb.sh").path
        let package = try Self.run("/bin/bash", [script, "--print-version"])
        let binary = try Self.run(try reportdBinary().path, ["--version"])
        #expect(package.status == 0, "build-deb.sh --print-version failed: \(package.stderr)")
        #expect(binary.status == 0)
        #expect(!package.stdout.isEmpty)
        #expect(
            package.stdout == binary.stdout,
            "the package would be \(package.stdout) but reportd --version says \(binary.stdout)")
        // The override for upgrade tests; a version with a Debian revision is refused (the
        // package is native).
        let override = try Self.run("/bin/bash", [script, "--print-version"], environment: ["REPORTD_DEB_VERSION": "9.9.9+test1"])
        #expect(override.status == 0 && override.stdout == "9.9.9+test1\n", "\(override.stdout)\(override.stderr)")
        let refused = try Self.run("/bin/bash", [script, "--print-version"], environment: ["REPORTD_DEB_VERSION": "1.0-1"])
        #expect(refused.status == 2, "REPORTD_DEB_VERSION=1.0-1 was taken: \(refused.stdout)")
    }

    @Test func stagedTreeHoldsEverySampleFileInItsPlace() throws {
        let root = try Self.stagedTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = packageRoot.appendingPathComponent("config")
        let etc = root.appendingPathComponent("etc/reportd")
        let examples = root.appendingPathComponent("usr/share/doc/reportd/examples")

        let plugins = Self.names(in: config.appendingPathComponent("plugins.d")).map { ($0 as NSString).deletingPathExtension }
        #expect(!plugins.isEmpty, "config/plugins.d has no sample plugin")
        let samples = Self.names(in: config.appendingPathComponent("reports.d"))
        let installed = Self.names(in: etc.appendingPathComponent("reports.d"))
        let asExamples = Self.names(in: examples.appendingPathComponent("reports.d"))
        #expect(installed.isDisjoint(with: asExamples))
        #expect(installed.union(asExamples) == samples, "sample reports missing from the package: \(samples.subtracting(installed.union(asExamples)))")
        #expect(installed.count >= 5, "only \(installed.count) sample reports in /etc/reportd/reports.d")
        // The examples are exactly the reports that name a sample plugin's calculator.
        for name in samples {
            let text = try Self.text(config.appendingPathComponent("reports.d/\(name)"))
            let usesPlugin = plugins.contains { plugin in
                text.split(separator: "\n").contains {
                    $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "- ", with: "")
                        .hasPrefix("calc: \(plugin)")
                }
            }
            #expect(usesPlugin == asExamples.contains(name), "\(name): uses a plugin: \(usesPlugin)")
        }
        // Each report's test goes where the report goes, with the tests' fixtures in /etc.
        let tests = Self.names(in: config.appendingPathComponent("tests")).subtracting(["data"])
        #expect(Self.names(in: etc.appendingPathComponent("tests")).subtracting(["data"]) == tests.intersection(installed))
        #expect(Self.names(in: examples.appendingPathComponent("tests")) == tests.intersection(asExamples))
        #expect(
            Self.names(in: etc.appendingPathComponent("tests/data"))
                == Self.names(in: config.appendingPathComponent("tests/data")))
        // The sample dataset, byte for byte, where the packaged config reads it.
        for name in Self.names(in: config.appendingPathComponent("data")) {
            let shipped = root.appendingPathComponent("usr/share/reportd/data/\(name)")
            #expect(
                (try? Data(contentsOf: shipped)) == (try Data(contentsOf: config.appendingPathComponent("data/\(name)"))),
                "usr/share/reportd/data/\(name) is missing or differs from config/data/\(name)")
        }
        // The plugin, as an example: not executable under /usr/share/doc.
        for plugin in Self.names(in: config.appendingPathComponent("plugins.d")) {
            let mode = try #require(
                try FileManager.default.attributesOfItem(atPath: examples.appendingPathComponent("plugins.d/\(plugin)").path)[
                    .posixPermissions] as? Int)
            #expect(mode == 0o644, "examples/plugins.d/\(plugin): mode \(String(mode, radix: 8))")
        }
        for doc in ["README.md", "PLUGINS.md", "README.Debian"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/share/doc/reportd/\(doc)").path))
        }
        // The packaged config names the same datasets as the sample config.
        let packaged = try Self.text(etc.appendingPathComponent("reportd.yaml"))
        let sample = try Self.text(config.appendingPathComponent("reportd.yaml"))
        #expect(!Self.datasetNames(in: sample).isEmpty)
        #expect(Self.datasetNames(in: packaged) == Self.datasetNames(in: sample))
    }

    @Test func stagedUnitFitsThePackageLayout() throws {
        let root = try Self.stagedTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let unit = try Self.text(root.appendingPathComponent("usr/lib/systemd/system/reportd.service"))
        let config = try Self.text(root.appendingPathComponent("etc/reportd/reportd.yaml"))
        let sysusers = try Self.text(root.appendingPathComponent("usr/lib/sysusers.d/reportd.conf"))
        let tmpfiles = try Self.text(root.appendingPathComponent("usr/lib/tmpfiles.d/reportd.conf"))
        #expect(!unit.contains("/usr/local"), "the packaged unit still names /usr/local")
        #expect(!unit.contains("install.sh"), "the packaged unit still says install.sh installs it")

        // ExecStartPre= and ExecStart= run the package's binary on the package's config.
        let commands = Self.unitValues("ExecStartPre", in: unit) + Self.unitValues("ExecStart", in: unit)
        #expect(commands.count == 2)
        for command in commands {
            let words = command.split(separator: " ").map(String.init)
            #expect(words.first == "/usr/bin/reportd", "\(command)")
            #expect(FileManager.default.isExecutableFile(atPath: root.path + (words.first ?? "")), "\(command)")
            let config = words.firstIndex(of: "--config").map { words[$0 + 1] }
            #expect(config == "/etc/reportd/reportd.yaml", "\(command)")
            #expect(FileManager.default.fileExists(atPath: root.path + (config ?? "")), "\(command)")
        }
        // The state folder and the output root: the config's, the unit's, created by tmpfiles.d.
        let state = try #require(Self.yamlValue("state", in: config))
        let output = try #require(Self.yamlValue("root", indent: 2, in: config))
        #expect(state == "/var/lib/reportd")
        #expect(output == "/srv/reports")
        #expect(Self.unitValues("StateDirectory", in: unit) == [(state as NSString).lastPathComponent])
        #expect(Self.unitValues("ReadWritePaths", in: unit) == [output])
        #expect(Self.unitValues("RequiresMountsFor", in: unit) == [output])
        for folder in [state, output] {
            #expect(
                tmpfiles.split(separator: "\n").contains { $0.hasPrefix("d ") && $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) == folder },
                "tmpfiles.d does not create \(folder)")
        }
        // The unit's user is the one sysusers.d makes.
        let user = try #require(Self.unitValues("User", in: unit).first)
        #expect(sysusers.split(separator: "\n").contains { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2) == ["u", Substring(user)] })
        #expect(Self.unitValues("Group", in: unit) == [user])
    }

    @Test func installedConfigValidatesPassesItsTestsAndRuns() throws {
        let root = try Self.stagedTree()
        defer { try? FileManager.default.removeItem(at: root) }
        // The installed config, with its absolute paths moved under the staged tree.
        let configFile = root.appendingPathComponent("etc/reportd/reportd.yaml")
        let text = try Self.text(configFile)
        let moves = [
            ("/usr/share/reportd/", root.path + "/usr/share/reportd/"),
            ("/var/lib/reportd", root.path + "/var/lib/reportd"),
            ("/srv/reports", root.path + "/srv/reports"),
        ]
        var moved = text
        for (from, to) in moves {
            #expect(text.contains(from), "the packaged config does not name \(from)")
            moved = moved.replacingOccurrences(of: from, with: to)
        }
        try moved.write(to: configFile, atomically: true, encoding: .utf8)

        let validate = try runReportd(["validate", "--config", configFile.path])
        #expect(validate.status == 0, "validate: \(validate.stdout)\(validate.stderr)")
        let tests = try runReportd(["test", "--config", configFile.path])
        #expect(tests.status == 0, "test: \(tests.stdout)\(tests.stderr)")
        let run = try runReportd(["run", "--config", configFile.path])
        #expect(run.status == 0, "run: \(run.stdout)\(run.stderr)")
        let reports = Self.names(in: root.appendingPathComponent("etc/reportd/reports.d")).map {
            ($0 as NSString).deletingPathExtension
        }
        let published = Self.names(in: root.appendingPathComponent("srv/reports"))
        for report in reports {
            #expect(published.contains(report), "nothing published for \(report): \(published.sorted())")
        }
        #expect(published.contains("index.html"))
    }
}
