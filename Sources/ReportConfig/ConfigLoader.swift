public import Foundation
public import ReportCore
import Yams
import ReportFiles

#if canImport(Glibc)
    import Glibc
#endif

/// Loads the daemon config, the dataset schemas and every report definition, collecting every
/// problem as a located `Diagnostic`.
public struct ConfigLoader: Sendable {
    /// The built-in calculators; each loaded daemon config adds its plugins' to them.
    public let calculators: CalculatorRegistry
    /// The output formats reports may name in `formats:`.
    public let writers: WriterRegistry
    /// The dataset formats (source kinds) datasets may name in `format:`.
    public let sources: SourceRegistry
    /// Starts a config's plugins (`PluginLoader.starter` in ReportPlugins); nil: none is started.
    public var plugins: PluginStarter?
    /// Whether loading shakes hands with the plugins. Commands that only read the schedule and the
    /// state (`status`, `history`, `list`, `next`) need none of their calculators and do not start
    /// them: a metric whose calculator is not built in is then taken on trust (a monitoring check
    /// that runs `status` every minute starts no plugin process).
    public var startsPlugins = true
    /// Whether loading connects to database servers to read the schema of a dataset given no
    /// schema file from the server's catalog (`run`, `serve`, `validate --connect`). Off, such a
    /// dataset's schema is left unread (`DatasetConfig.schemaDeferred`) and the reports on it are
    /// checked without their columns: `validate` stays fast and offline.
    public var readsServerCatalogs = false
    /// With `readsServerCatalogs`, what a catalog that cannot be read does (`serve`): true, the
    /// dataset loads marked `unreadable` (a warning) and only its reports are left out; false, it
    /// is an error of the daemon config (`run`, `validate --connect`).
    public var waitsForCatalogs = false
    /// The schemas read from catalogs by earlier loads (`serve`): when a reload cannot read a
    /// catalog (the server down for a moment), the schema read before stays in force.
    public var catalogs: CatalogMemory?
    /// How long `loadFiles` waits for the plugins' handshakes; `nil`: until each plugin answered or
    /// ran out of time. The daemon waits a few seconds at most, so that a hung plugin does not delay
    /// its start (READY) or a reload; a plugin that answers later calls `lateHello` (a reload).
    public var handshakeWait: TimeInterval?
    public var lateHello: (@Sendable () -> Void)?

    public init(
        calculators: CalculatorRegistry, writers: WriterRegistry, sources: SourceRegistry, plugins: PluginStarter?
    ) {
        self.calculators = calculators
        self.writers = writers
        self.sources = sources
        self.plugins = plugins
    }

    static let daemonKeys = [
        "timezone", "reports", "state", "plugins", "output", "datasets", "locale", "max_concurrent", "shutdown_grace",
        "plugin_timeout", "plugin_memory", "dataset_cache", "metrics_file", "history", "mail", "owners", "cluster",
    ]
    static let historyKeys = ["keep", "detailed"]
    static let outputKeys = ["root", "keep", "file_mode", "folder_mode", "group"]
    static let datasetKeys = [
        "format", "path", "schema", "on_bad_rows", "table", "query", "url", "password_file", "timeout",
    ]
    static let serverKeys = ["url", "password_file", "timeout"]

    /// Loads `configPath` and everything it names.
    ///
    /// Never throws: problems are in `Configuration.diagnostics`; a report with errors is left out
    /// of `Configuration.reports` while the others load.
    public func load(configPath: String) -> Configuration {
        let (daemon, files, daemonDiagnostics) = loadFiles(configPath: configPath)
        guard let daemon else { return Configuration(daemon: nil, reports: [], diagnostics: daemonDiagnostics) }
        return Configuration(
            daemon: daemon, reports: files.compactMap(\.report),
            diagnostics: daemonDiagnostics + files.flatMap(\.diagnostics))
    }

    /// Loads the daemon config, its plugins and every report file: what `loadDaemon` and then
    /// `loadReportFiles` give, sooner. The plugins' handshakes run while the report files are read
    /// and composed.
    ///
    /// Why: a handshake starts a process (a Python plugin takes 30–50 ms to answer, nearly all of
    /// it waiting), and reading and composing the YAML of hundreds of report files is most of the
    /// rest of the load; the two need nothing from each other. Only checking a report needs the
    /// plugins' calculators, so that waits for the handshakes.
    ///
    /// - Returns: the daemon config (`nil` when it is invalid), every report file's result (none
    ///   when the daemon config is invalid), and the diagnostics of the daemon config and plugins.
    public func loadFiles(configPath: String) -> (DaemonConfig?, [ReportFileResult], [Diagnostic]) {
        let (parsed, parseDiagnostics) = parseDaemon(configPath: configPath)
        guard var daemon = parsed else { return (nil, [], parseDiagnostics) }
        var diagnostics = parseDiagnostics
        let starter = startsPlugins ? plugins : nil
        let handshakes = daemon.pluginSettings.flatMap { settings in starter.map { (settings, $0) } }.map {
            settings, start in
            let (calculators, wait, late) = (calculators, handshakeWait, lateHello)
            return OnItsOwnThread { start(settings, calculators, wait, late) }
        }
        var listing: [Diagnostic] = []
        let composed = Self.concurrentMap(reportFiles(in: daemon.reportsDirectory, diagnostics: &listing)) {
            YAMLFile(path: $0)
        }
        if let handshakes {
            let (external, problems, failed) = handshakes.wait()
            for calculator in external { daemon.calculators.register(calculator) }
            diagnostics += problems
            daemon.pluginProblems = failed
        }
        return (daemon, checkReportFiles(composed, listing: listing, daemon: daemon), diagnostics)
    }

    /// Loads the daemon config alone (and the schemas it names), and shakes hands with its plugins.
    public func loadDaemon(configPath: String) -> (DaemonConfig?, [Diagnostic]) {
        let (parsed, parseDiagnostics) = parseDaemon(configPath: configPath)
        guard var daemon = parsed else { return (nil, parseDiagnostics) }
        var diagnostics = parseDiagnostics
        if startsPlugins, let settings = daemon.pluginSettings, let plugins {
            // Each plugin is started once for its handshake; one that fails it only loses its own
            // calculators (the reports that use them become invalid), never the daemon config.
            let (external, problems, failed) = plugins(settings, calculators, nil, nil)
            for calculator in external { daemon.calculators.register(calculator) }
            diagnostics += problems
            daemon.pluginProblems = failed
        }
        return (daemon, diagnostics)
    }

    /// The daemon config and the schemas it names, with the built-in calculators: no plugin is
    /// started yet.
    func parseDaemon(configPath: String) -> (DaemonConfig?, [Diagnostic]) {
        let path = DisplayPath.resolve(configPath, against: FileManager.default.currentDirectoryPath)
        var file = YAMLFile(path: path)
        guard var daemon = parseDaemon(&file) else { return (nil, file.diagnostics) }
        daemon.calculators = calculators
        daemon.writers = writers
        daemon.sources = sources
        return (daemon, file.diagnostics)
    }

    /// Loads every report file of the daemon's reports folder, each on its own: one file's errors
    /// never stop another from loading. A report whose name an earlier file took gets an error.
    public func loadReportFiles(daemon: DaemonConfig) -> [ReportFileResult] {
        var listing: [Diagnostic] = []
        let composed = Self.concurrentMap(reportFiles(in: daemon.reportsDirectory, diagnostics: &listing)) {
            YAMLFile(path: $0)
        }
        return checkReportFiles(composed, listing: listing, daemon: daemon)
    }

    /// Checks report files read already, each on its own (on every core), then refuses every file
    /// whose report name another file uses too: both (all) get an error naming the others, so a
    /// newcomer can never take over a running report just by sorting first, and on a reload the
    /// daemon keeps the running definition as it does for any invalid file.
    func checkReportFiles(_ composed: [YAMLFile], listing: [Diagnostic], daemon: DaemonConfig) -> [ReportFileResult] {
        var results = Self.concurrentMap(composed) { checkReport($0, daemon: daemon) }
        var byName: [String: [Int]] = [:]
        for index in results.indices {
            guard let report = results[index].report else { continue }
            byName[report.definition.name, default: []].append(index)
        }
        func location(_ index: Int) -> String {
            let file = DisplayPath.of(results[index].path)
            return results[index].nameMark.map { "\(file):\($0.line):\($0.column)" } ?? file
        }
        for (name, indices) in byName where indices.count > 1 {
            for index in indices {
                let others = indices.filter { $0 != index }.map(location).joined(separator: ", ")
                let mark = results[index].nameMark
                results[index].diagnostics.append(
                    Diagnostic(
                        file: DisplayPath.of(results[index].path), line: mark?.line ?? 0, column: mark?.column ?? 0,
                        message:
                            "report name '\(name)' is also used by \(others): names must be unique, "
                            + "so neither file is loaded (rename one)"
                    ))
                results[index].report = nil
            }
        }
        // A problem with the folder, or with one entry of it (a link that leaves it): one result
        // for each file named, so that each is reported as a file that did not load.
        let cwd = FileManager.default.currentDirectoryPath
        for (file, problems) in Dictionary(grouping: listing, by: \.file).sorted(by: { $0.key < $1.key }) {
            results.append(
                ReportFileResult(
                    path: DisplayPath.resolve(file, against: cwd), report: nil, diagnostics: problems,
                    isReportFile: DisplayPath.resolve(file, against: cwd) != daemon.reportsDirectory))
        }
        return results
    }

    /// `transform` applied to every item, spread over the cores; results in the items' order.
    ///
    /// Why: each report file is read, composed and checked on its own, and on a config of hundreds
    /// of files that work is nearly all of `validate`, `list` and a reload. `transform` must touch
    /// nothing shared that it changes.
    static func concurrentMap<T, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer {
            _ = results.deinitialize()
            results.deallocate()
        }
        withoutActuallyEscaping(transform) { transform in
            // Each index is written by one iteration only, and read after all have finished.
            let work = UncheckedSendable { (i: Int) in results[i] = transform(items[i]) }
            DispatchQueue.concurrentPerform(iterations: items.count) { i in work.value(i) }
        }
        return results.map { $0! }
    }

    /// The `*.yaml` and `*.yml` files of the reports folder, sorted by name.
    ///
    /// A symbolic link whose target lies outside the reports folder is left out with an error
    /// naming it: a link planted there (to `/etc/shadow`, say) must not have its lines read and
    /// quoted back in `validate`'s messages or the reload log. Links within the folder are kept.
    func reportFiles(in directory: String, diagnostics: inout [Diagnostic]) -> [String] {
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
                .sorted()
            let folder = Self.realPath(directory) ?? directory
            var files: [String] = []
            for name in names {
                let path = directory + "/" + name
                var info = stat()
                if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    guard let target = Self.realPath(path) else {
                        diagnostics.append(
                            Diagnostic(
                                file: DisplayPath.of(path), line: 0, column: 0,
                                message: "a symbolic link to a missing file; it is not loaded"))
                        continue
                    }
                    guard target.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
                        diagnostics.append(
                            Diagnostic(
                                file: DisplayPath.of(path), line: 0, column: 0,
                                message:
                                    "a symbolic link that leaves the reports folder; it is not read "
                                    + "(put the report file itself in \(DisplayPath.of(directory)))"))
                        continue
                    }
                }
                files.append(path)
            }
            return files
        } catch {
            diagnostics.append(
                Diagnostic(
                    file: DisplayPath.of(directory), line: 0, column: 0,
                    message: "cannot list report definitions: \(FileProblem.describe(error))"))
            return []
        }
    }

    /// `path` with every link resolved, or nil when it cannot be resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Daemon config

    func parseDaemon(_ file: inout YAMLFile) -> DaemonConfig? {
        guard let root = file.root, let fields = file.fields(root, what: "the daemon config", allowed: Self.daemonKeys)
        else {
            return nil
        }
        let base = (file.path as NSString).deletingLastPathComponent
        func path(_ key: String, default value: String?) -> String? {
            if let node = fields[key] {
                return file.path(node, "'\(key)'").map { DisplayPath.resolve($0, against: base) }
            }
            return value.map { DisplayPath.resolve($0, against: base) }
        }
        var timezone = "UTC"
        if let node = fields["timezone"], let tz = file.string(node, "'timezone'") {
            if TimeZone(identifier: tz) == nil {
                file.error("unknown time zone '\(tz)': use an IANA name such as Asia/Ho_Chi_Minh", at: node)
            } else {
                timezone = tz
            }
        }
        let reports = path("reports", default: "reports.d") ?? base
        let state = path("state", default: "/var/lib/reportd") ?? base
        let plugins = fields["plugins"] != nil ? path("plugins", default: nil) : nil
        var outputRoot: String?
        var keep = 30
        var permissions = FilePermissions.shared
        var writerDefaults = WriterOptions()
        if let node = fields["output"],
            let output = file.fields(node, what: "'output'", allowed: Self.outputKeys + defaultableWriterKeys)
        {
            writerDefaults = parseWriterDefaults(output, &file)
            if let rootNode = output["root"] {
                outputRoot = file.path(rootNode, "'output.root'").map { DisplayPath.resolve($0, against: base) }
            } else {
                file.error("'output' needs 'root', the folder reports are written to", at: node)
            }
            if let k = output["keep"], let v = file.int(k, "'output.keep'", range: 1...100_000) { keep = v }
            if let n = output["file_mode"], let v = parseMode(n, "'output.file_mode'", folder: false, &file) {
                permissions.fileMode = v
            }
            if let n = output["folder_mode"], let v = parseMode(n, "'output.folder_mode'", folder: true, &file) {
                permissions.folderMode = v
            }
            if let n = output["group"], let (gid, name) = parseGroup(n, &file) {
                permissions.group = gid
                permissions.groupName = name
            }
        } else if fields["output"] == nil {
            file.error("the daemon config needs 'output: {root: FOLDER}'", at: root)
        }
        var locale: String?
        if let node = fields["locale"] { locale = parseLocale(node, &file) }
        var maxConcurrent = 2
        if let node = fields["max_concurrent"], let v = file.int(node, "'max_concurrent'", range: 1...64) {
            maxConcurrent = v
        }
        var shutdownGrace = 30
        if let node = fields["shutdown_grace"], let v = file.duration(node, "'shutdown_grace'") { shutdownGrace = v }
        var pluginTimeout = 60
        if let node = fields["plugin_timeout"], let v = file.duration(node, "'plugin_timeout'") { pluginTimeout = v }
        var datasetCache = 1024
        if let node = fields["dataset_cache"], let v = file.int(node, "'dataset_cache' (MiB)", range: 0...1_048_576) {
            datasetCache = v
        }
        var pluginMemory = 1024
        if let node = fields["plugin_memory"], let v = file.int(node, "'plugin_memory' (MiB)", range: 16...1_048_576) {
            pluginMemory = v
        }
        let metricsFile = fields["metrics_file"] != nil ? path("metrics_file", default: nil) : nil
        if let metricsFile, let node = fields["metrics_file"], !metricsFile.hasSuffix(".prom") {
            file.error(
                "'metrics_file' must end in .prom: node_exporter's textfile collector reads only *.prom files",
                at: node)
        }
        var history = (keep: 1000, detailed: 100)
        if let node = fields["history"], let h = file.fields(node, what: "'history'", allowed: Self.historyKeys) {
            if let n = h["keep"], let v = file.int(n, "'history.keep' (records per report)", range: 1...1_000_000) {
                history.keep = v
            }
            if let n = h["detailed"], let v = file.int(n, "'history.detailed' (records)", range: 0...1_000_000) {
                history.detailed = v
            }
        }
        var datasets: [DatasetConfig] = []
        if let node = fields["datasets"] {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping {
                    guard let name = file.string(key, "a dataset name") else { continue }
                    if let dataset = parseDataset(name: name, value, base: base, &file) { datasets.append(dataset) }
                }
            } else {
                file.error("'datasets' must map dataset names to their settings", at: node)
            }
        } else {
            file.error("the daemon config needs 'datasets'", at: root)
        }
        // Mail (ConfigLoader+Mail.swift).
        let mail = parseMail(fields["mail"], base: base, &file)
        var owners: [MailAddress] = []
        if let node = fields["owners"] {
            if fields["mail"] == nil {
                file.error("'owners' needs 'mail:' (how reportd sends mail)", at: node)
            } else {
                owners = parseAddresses(node, "'owners'", &file) ?? []
            }
        }
        // Several nodes (ConfigLoader+Cluster.swift).
        let cluster = parseCluster(fields["cluster"], base: base, &file)
        guard !file.hasErrors, let outputRoot else { return nil }
        // Sources may keep what they learn of their data in the state folder (see DatasetConfig).
        for i in datasets.indices { datasets[i].stateDirectory = state }
        var config = DaemonConfig(
            file: file.path, timezone: timezone, reportsDirectory: reports, stateDirectory: state,
            pluginsDirectory: plugins,
            outputRoot: outputRoot, keep: keep, locale: locale, datasets: datasets, maxConcurrent: maxConcurrent,
            shutdownGrace: shutdownGrace)
        config.pluginTimeout = pluginTimeout
        config.writerDefaults = writerDefaults
        config.outputPermissions = permissions
        config.pluginMemoryMiB = pluginMemory
        config.datasetCacheMiB = datasetCache
        config.metricsFile = metricsFile
        config.historyKeep = history.keep
        config.historyDetailed = min(history.detailed, history.keep)
        config.mail = mail
        config.owners = owners
        config.cluster = cluster
        return config
    }

    /// A mode such as `"0640"` or `2750` (octal, quoted or not), checked for what it is used on:
    /// never writable by others; files without execute or special bits; folders that reportd
    /// itself can enter, list and write (owner `7`), setgid and sticky allowed, setuid not.
    func parseMode(_ node: Node, _ what: String, folder: Bool, _ file: inout YAMLFile) -> mode_t? {
        guard let text = file.string(node, what) else { return nil }
        let example = folder ? "\"2750\"" : "\"0640\""
        guard (3...5).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }),
            let value = mode_t(text, radix: 8), value <= 0o7777
        else {
            file.error("\(what) must be an octal mode such as \(example), not '\(text)'", at: node)
            return nil
        }
        let shown = String(format: "%04o", value)
        if value & 0o002 != 0 {
            file.error(
                "\(what) \(shown) is world-writable: anyone on the server could change or replace the reports; use \(example)",
                at: node)
            return nil
        }
        if folder {
            if value & 0o4000 != 0 {
                file.error("\(what) \(shown) sets setuid, which means nothing on a folder; use \(example)", at: node)
                return nil
            }
            if value & 0o700 != 0o700 {
                file.error(
                    "\(what) \(shown) must give the owner rwx (7): reportd creates, lists and removes files in its folders",
                    at: node)
                return nil
            }
        } else {
            if value & 0o7000 != 0 {
                file.error(
                    "\(what) \(shown) sets setuid, setgid or sticky bits, which report files do not take; use \(example)",
                    at: node)
                return nil
            }
            if value & 0o111 != 0 {
                file.error("\(what) \(shown) makes report files executable; use \(example)", at: node)
                return nil
            }
        }
        return value
    }

    /// A group name from the system's group database, or a numeric group id.
    func parseGroup(_ node: Node, _ file: inout YAMLFile) -> (gid_t, String)? {
        guard let text = file.string(node, "'output.group'") else { return nil }
        if let gid = gid_t(text) { return (gid, text) }
        if let gid = Self.groupID(named: text) { return (gid, text) }
        file.error(
            "unknown group '\(text)' in 'output.group': no such group on this system (create it, or give a numeric id)",
            at: node)
        return nil
    }

    /// The id of the group `name`, from the system's group database.
    static func groupID(named name: String) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getgrnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, let found = result else { return nil }
        return found.pointee.gr_gid
    }

    /// The settings keys of the writers whose defaults `output:` may set (`csv`).
    var defaultableWriterKeys: [String] {
        var keys: [String] = []
        for writer in writers.writers {
            guard let configurable = type(of: writer) as? any ConfigurableWriter.Type, configurable.hasDaemonDefaults
            else { continue }
            keys.append(configurable.settingsKey)
        }
        return keys
    }

    /// `output: {csv: {...}}`: the writer settings every report starts from.
    func parseWriterDefaults(_ output: Fields, _ file: inout YAMLFile) -> WriterOptions {
        var scratch = ReportDefinition(
            name: "x", title: "", dataset: "", schedule: .every(seconds: 60), timezone: "UTC", metrics: [])
        for writer in writers.writers {
            guard let configurable = type(of: writer) as? any ConfigurableWriter.Type, configurable.hasDaemonDefaults,
                let n = output[configurable.settingsKey],
                let fields = file.fields(
                    n, what: "'output.\(configurable.settingsKey)'", allowed: configurable.settingsKeys)
            else { continue }
            var settings = YAMLSettings(file: file, fields: fields, prefix: "output.\(configurable.settingsKey)")
            configurable.readSettings(&settings, into: &scratch)
            file = settings.file
        }
        return scratch.writerOptions
    }

    func parseLocale(_ node: Node, _ file: inout YAMLFile) -> String? {
        guard let text = file.string(node, "'locale'") else { return nil }
        guard NumberStyle.known.contains(text) else {
            file.error("unknown locale '\(text)': use one of \(NumberStyle.known.joined(separator: ", "))", at: node)
            return nil
        }
        return text
    }

    func parseDataset(name: String, _ node: Node, base: String, _ file: inout YAMLFile) -> DatasetConfig? {
        // The keys of every source kind are known, so that a misspelling gets a did-you-mean; a
        // key of another kind than the dataset's is reported below.
        let kindKeys = sources.kinds.flatMap { type(of: $0).settingsKeys }
        var allowed = Self.datasetKeys
        for key in kindKeys where !allowed.contains(key) { allowed.append(key) }
        guard let fields = file.fields(node, what: "dataset '\(name)'", allowed: allowed) else { return nil }
        var format = sources.formats.first ?? "csv"
        if let f = fields["format"] {
            guard let parsed = file.choice(f, "the format of dataset '\(name)'", among: sources.formats) else {
                return nil
            }
            format = parsed
        }
        var onBadRows = DatasetConfig.BadRows.fail
        if let f = fields["on_bad_rows"] {
            guard let parsed = file.choice(f, "'on_bad_rows'", as: DatasetConfig.BadRows.self) else { return nil }
            onBadRows = parsed
        }
        let kind = sources.kind(for: format)
        let ownKeys = kind.map { type(of: $0).settingsKeys } ?? []
        for key in kindKeys where !ownKeys.contains(key) && !Self.datasetKeys.contains(key) {
            if let extra = fields[key] {
                let owners = sources.kinds.filter { type(of: $0).settingsKeys.contains(key) }.map { type(of: $0).format }
                file.error(
                    "dataset '\(name)': '\(key)' is for \(owners.joined(separator: ", ")) datasets, not \(format)", at: extra)
                return nil
            }
        }
        if let kind, type(of: kind).isServer {
            return parseServerDataset(name: name, format: format, kind, node, fields, base: base, &file)
        }
        if let extra = Self.serverKeys.lazy.compactMap({ fields[$0] }).first {
            file.error("dataset '\(name)': 'url', 'password_file' and 'timeout' are for database servers (postgres), not \(format)", at: extra)
            return nil
        }
        guard let pathNode = fields["path"] else {
            file.error("dataset '\(name)' needs 'path', the data file", at: node)
            return nil
        }
        var relation: (table: String?, query: String?) = (nil, nil)
        if let kind, type(of: kind).isDatabase {
            // A database: exactly one of `table` and `query`; the schema file is optional.
            relation = (
                fields["table"].flatMap { file.string($0, "'table'") },
                fields["query"].flatMap { file.string($0, "'query'") }
            )
            guard (relation.table == nil) != (relation.query == nil) else {
                file.error("dataset '\(name)' needs exactly one of 'table' and 'query'", at: node)
                return nil
            }
        } else if let extra = fields["table"] ?? fields["query"] {
            file.error(
                "dataset '\(name)': 'table' and 'query' are for database formats (sqlite), not \(format)", at: extra)
            return nil
        }
        guard let schemaNode = fields["schema"] else {
            if let kind, relation.table != nil || relation.query != nil, let dataPath = file.path(pathNode, "'path'") {
                var settings = DatasetConfig(
                    name: name, format: format, path: DisplayPath.resolve(dataPath, against: base), schemaPath: "",
                    schema: DatasetSchema(columns: []), onBadRows: onBadRows)
                settings.table = relation.table
                settings.query = relation.query
                switch schemaFromCatalog(kind, &settings, at: pathNode, &file) {
                case true?: return settings
                case false?: return nil
                case nil: break
                }
            }
            file.error("dataset '\(name)' needs 'schema', the file that types its columns", at: node)
            return nil
        }
        guard let path = file.path(pathNode, "'path'"), let schemaPath = file.path(schemaNode, "'schema'") else {
            return nil
        }
        let schemaFile = DisplayPath.resolve(schemaPath, against: base)
        var schemaYAML = YAMLFile(path: schemaFile)
        let schema = SchemaLoader.parse(&schemaYAML)
        if schemaYAML.hasErrors || schema == nil {
            file.diagnostics += schemaYAML.diagnostics
            if schemaYAML.diagnostics.isEmpty {
                file.error("dataset '\(name)': its schema has no columns", at: schemaNode)
            }
            return nil
        }
        var settings = DatasetConfig(
            name: name, format: format, path: DisplayPath.resolve(path, against: base), schemaPath: schemaFile,
            schema: schema!, onBadRows: onBadRows)
        settings.table = relation.table
        settings.query = relation.query
        if let kind, !ownKeys.isEmpty {
            var reader = YAMLSettings(file: file, fields: fields, prefix: "")
            type(of: kind).readSettings(&reader, into: &settings)
            let before = file.diagnostics.count
            file = reader.file
            if file.diagnostics.count > before { return nil }
        }
        return settings
    }
}

extension ConfigLoader {
    /// A dataset on a database server (`postgres`): `url` (no password in it), `password_file`,
    /// `timeout`, exactly one of `table` and `query`, and an optional schema file. Without a schema
    /// file the schema is read from the server's catalog when the loader connects
    /// (`readsServerCatalogs`), and left for later otherwise (`DatasetConfig.schemaDeferred`).
    func parseServerDataset(
        name: String, format: String, _ kind: any DatasetSourceKind, _ node: Node, _ fields: Fields,
        base: String, _ file: inout YAMLFile
    ) -> DatasetConfig? {
        if let path = fields["path"] {
            file.error("dataset '\(name)' names its server by 'url', not 'path'", at: path)
            return nil
        }
        guard let urlNode = fields["url"] else {
            file.error("dataset '\(name)' needs 'url', the server (postgresql://user@host:5432/database)", at: node)
            return nil
        }
        guard let url = file.string(urlNode, "'url'") else { return nil }
        if let problem = kind.problem(withURL: url) {
            file.error("dataset '\(name)': \(problem)", at: urlNode)
            return nil
        }
        let table = fields["table"].flatMap { file.string($0, "'table'") }
        let query = fields["query"].flatMap { file.string($0, "'query'") }
        guard (table == nil) != (query == nil) else {
            file.error("dataset '\(name)' needs exactly one of 'table' and 'query'", at: node)
            return nil
        }
        var passwordFile: String?
        if let f = fields["password_file"] {
            guard let path = file.path(f, "'password_file'") else { return nil }
            passwordFile = DisplayPath.resolve(path, against: base)
        }
        var timeout: Int?
        if let t = fields["timeout"] {
            guard let seconds = file.duration(t, "'timeout'") else { return nil }
            timeout = seconds
        }
        var onBadRows = DatasetConfig.BadRows.fail
        if let f = fields["on_bad_rows"] {
            guard let parsed = file.choice(f, "'on_bad_rows'", as: DatasetConfig.BadRows.self) else { return nil }
            onBadRows = parsed
        }
        var settings = DatasetConfig(
            name: name, format: format, path: url, schemaPath: "", schema: DatasetSchema(columns: []),
            onBadRows: onBadRows)
        settings.url = url
        settings.table = table
        settings.query = query
        settings.passwordFile = passwordFile
        settings.timeout = timeout
        if let schemaNode = fields["schema"] {
            guard let schemaPath = file.path(schemaNode, "'schema'") else { return nil }
            let schemaFile = DisplayPath.resolve(schemaPath, against: base)
            var schemaYAML = YAMLFile(path: schemaFile)
            let schema = SchemaLoader.parse(&schemaYAML)
            if schemaYAML.hasErrors || schema == nil {
                file.diagnostics += schemaYAML.diagnostics
                if schemaYAML.diagnostics.isEmpty {
                    file.error("dataset '\(name)': its schema has no columns", at: schemaNode)
                }
                return nil
            }
            settings.schemaPath = schemaFile
            settings.schema = schema!
            return settings
        }
        guard readsServerCatalogs else {
            settings.schemaDeferred = true
            return settings
        }
        switch schemaFromCatalog(kind, &settings, at: urlNode, &file) {
        case true?: return settings
        case false?: return nil
        case nil:
            file.error("dataset '\(name)' needs 'schema', the file that types its columns", at: node)
            return nil
        }
    }

    /// Types `settings` from its database's catalog: true when it may load (the schema read, or
    /// kept from an earlier load, or the dataset marked `unreadable` in `serve`), false after an
    /// error, nil when the kind reads no catalog.
    func schemaFromCatalog(
        _ kind: any DatasetSourceKind, _ settings: inout DatasetConfig, at node: Node, _ file: inout YAMLFile
    ) -> Bool? {
        switch kind.inferSchema(settings) {
        case nil: return nil
        case .success(let schema)?:
            settings.schema = schema
            catalogs?.remember(schema, for: settings)
            return true
        case .failure(let error)?:
            if let kept = catalogs?.schema(for: settings) {
                settings.schema = kept.schema
                file.warning(
                    "\(error.message); the columns read from it at \(kept.readAt) stay in force until it can be read again",
                    at: node)
                return true
            }
            guard waitsForCatalogs else {
                file.error(error.message, at: node)
                return false
            }
            settings.unreadable = error.message
            file.warning(
                "\(error.message); its reports are left out until it can be read (reportd tries again)", at: node)
            return true
        }
    }
}

/// The schemas `serve` has read from database catalogs, by dataset and settings (name, format,
/// server or file, table or query): a reload that cannot reach the server keeps the last one.
public final class CatalogMemory: Sendable {
    struct Kept: Sendable {
        var schema: DatasetSchema
        var readAt: String
    }

    private let kept = Locked([String: Kept]())

    public init() {}

    private static func key(_ settings: DatasetConfig) -> String {
        [settings.name, settings.format, settings.path, settings.table ?? "", settings.query ?? ""]
            .joined(separator: "\u{0}")
    }

    func remember(_ schema: DatasetSchema, for settings: DatasetConfig) {
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withInternetDateTime])
        kept.withLock { $0[Self.key(settings)] = Kept(schema: schema, readAt: time) }
    }

    func schema(for settings: DatasetConfig) -> Kept? { kept.withLock { $0[Self.key(settings)] } }
}

/// Work started on a thread of its own at once, and its result awaited later: for work that mostly
/// waits (a plugin's handshake), so that it overlaps whatever the caller does meanwhile even when
/// every core is busy.
final class OnItsOwnThread<T>: @unchecked Sendable {
    // Written once by the thread before `done` is signalled, read only after `wait()` saw it.
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        Thread { [self] in
            result = work()
            done.signal()
        }.start()
    }

    /// The work's result, once it has finished.
    func wait() -> T {
        done.wait()
        return result!
    }
}

/// A value handed to other threads that the compiler cannot prove safe to share; the code that
/// makes one says why it is.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
