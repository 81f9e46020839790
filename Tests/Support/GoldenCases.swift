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
