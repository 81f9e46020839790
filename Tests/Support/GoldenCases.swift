import Foundation
import ReportCalculators
import ReportCore
import ReportConfig
import ReportWriters
import ReportSources
import ReportPlugins

/// What the module-folder tests share (calculators under `Plugins/`, writers under `Writers/`):
/// the package's folders and a daemon config over one golden case's dataset.
public enum GoldenCases {
    /// The package's root folder, found from this source file.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The module folders under `folder` (`Plugins`, `Writers`), by name.
    public static func moduleFolders(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter {
                var isFolder: ObjCBool = false
                return FileManager.default.fileExists(
                    atPath: folder.appendingPathComponent($0).path, isDirectory: &isFolder) && isFolder.boolValue
            }
            .sorted()
    }

    /// Every golden case under `folder`'s modules: "Module/case".
    public static func cases(in folder: URL) -> [String] {
        moduleFolders(in: folder).flatMap { module in
            let cases = folder.appendingPathComponent(module).appendingPathComponent("testcases")
            return ((try? FileManager.default.contentsOfDirectory(atPath: cases.path)) ?? []).sorted().map {
                "\(module)/\($0)"
            }
        }
    }

    /// Loads a daemon config written into a temporary folder, with one CSV dataset named `name`.
    public static func daemonConfig(
        dataset name: String, csv: URL, schema: URL, timezone: String = "UTC"
    ) throws -> DaemonConfig {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reportd-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("reports.d"), withIntermediateDirectories: true)
        let yaml = """
            timezone: \(timezone)
            reports: reports.d
            state: state
            output: {root: out}
            datasets:
              \(name): {format: csv, path: "\(csv.path)", schema: "\(schema.path)"}
            """
        try yaml.write(to: folder.appendingPathComponent("reportd.yaml"), atomically: true, encoding: .utf8)
        let configuration = loader.load(configPath: folder.appendingPathComponent("reportd.yaml").path)
        guard let daemon = configuration.daemon else { throw ConfigError(configuration.diagnostics) }
        return daemon
    }

    /// A config loader with the built-in calculators and writers.
    public static var loader: ConfigLoader {
        ConfigLoader(calculators: BuiltinCalculators.registry, writers: BuiltinWriters.registry, sources: BuiltinSources.registry, plugins: PluginLoader.starter())
    }
}

extension GoldenCases {
    /// What a registered-module folder lacks (a README that documents it, a sample, a registry
    /// entry, a golden case), and each registered name without a folder: one message each.
    ///
    /// - Parameters:
    ///   - root: the folder of the modules (`Writers`, `DataSources`).
    ///   - registered: the names the registry holds (formats).
    ///   - folders: the registry's folder of each name.
    ///   - registry: the registry's name, for the messages.
    public static func layoutProblems(
        in root: URL, registered: Set<String>, folders: [String: String], registry: String
    ) -> [String] {
        var problems: [String] = []
        let present = moduleFolders(in: root)
        let top = root.lastPathComponent
        for folder in present {
            let base = root.appendingPathComponent(folder)
            let readme = (try? String(contentsOf: base.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
            if readme.count <= 200 { problems.append("\(top)/\(folder)/README.md is missing or too short to document it") }
            if !FileManager.default.fileExists(atPath: base.appendingPathComponent("sample.yaml").path) {
                problems.append("\(top)/\(folder)/sample.yaml is missing")
            }
            let name = folders.first { $0.value == folder }?.key
            if name.map(registered.contains) != true { problems.append("\(top)/\(folder) has no entry in \(registry)") }
            let cases =
                (try? FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent("testcases").path))
                ?? []
            if cases.isEmpty { problems.append("\(top)/\(folder)/testcases has no test case") }
        }
        for name in registered where !present.contains(folders[name] ?? "?") {
            problems.append("\(name) has no folder under \(top)/")
        }
        return problems
    }
}
