import Foundation
public import ReportCore
import Yams
import ReportFiles

/// Reads report test files (`reportd test`), checking them as `validate` checks a config: every
/// problem is a located `Diagnostic`, all of a file's problems at once.
///
/// ```yaml
/// report: ../reports.d/funding-by-program.yaml   # default for every case below
/// dataset: data/projects-small.csv
/// slot: 2026-11-23T06:00
/// tests:
///   - name: two programmes
///     expect:
///       rows:
///         - {program: local, projects: 2, state_support_vnd: 100000000}
///       totals: {projects: 2, state_support_vnd: 100000000}
/// ```
public struct ReportTestLoader: Sendable {
    /// The daemon config: its datasets give fixtures their schema, its calculators (plugins
    /// included) check and compute the reports.
    public let daemon: DaemonConfig

    public init(daemon: DaemonConfig) { self.daemon = daemon }

    static let fileKeys = ["tests", "report", "dataset", "slot"]
    static let caseKeys = ["name", "report", "dataset", "slot", "expect"]
    static let datasetKeys = ["path", "format", "schema", "rows", "on_bad_rows"]
    static let expectKeys = ["rows", "totals", "error", "ordered", "tolerance"]

    /// The test files that `paths` name: each file as given, and the `*.yaml` and `*.yml` files
    /// directly inside each folder (not below: fixtures and schemas live in subfolders), sorted.
    public static func testFiles(in paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
        var files: [String] = []
        var diagnostics: [Diagnostic] = []
        let cwd = FileManager.default.currentDirectoryPath
        for given in paths {
            let path = DisplayPath.resolve(given, against: cwd)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                diagnostics.append(
                    Diagnostic(file: DisplayPath.of(path), line: 0, column: 0, message: "no such file or folder"))
                continue
            }
            guard isFolder.boolValue else {
                files.append(path)
                continue
            }
            do {
                let found = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
                    .sorted()
                if found.isEmpty {
                    diagnostics.append(
                        Diagnostic(
                            file: DisplayPath.of(path), line: 0, column: 0,
                            message: "no test files (*.yaml) in this folder"))
                }
                files += found.map { path + "/" + $0 }
            } catch {
                diagnostics.append(
                    Diagnostic(
                        file: DisplayPath.of(path), line: 0, column: 0,
                        message: "cannot list test files: \(FileProblem.describe(error))"))
            }
        }
        return (files, diagnostics)
    }

    /// Loads one test file.
    ///
    /// - Returns: its valid cases, and the diagnostics of the file and of the report files it
    ///   names. A case with an error is left out; the file's other cases are kept.
    public func load(path: String) -> (tests: [ReportTest], diagnostics: [Diagnostic]) {
        var file = YAMLFile(path: DisplayPath.resolve(path, against: FileManager.default.currentDirectoryPath))
        guard let root = file.root, let top = file.fields(root, what: "the test file", allowed: Self.fileKeys) else {
            return ([], file.diagnostics)
        }
        guard let testsNode = top["tests"] else {
            file.error("the test file needs 'tests', a list of cases with 'name', 'expect' and more", at: root)
            return ([], file.diagnostics)
        }
        guard case .sequence(let items) = testsNode, !items.isEmpty else {
            file.error("'tests' must be a non-empty list of cases", at: testsNode)
            return ([], file.diagnostics)
        }
        var context = FileContext(
            base: (file.path as NSString).deletingLastPathComponent, defaults: top, reports: [:])
        var tests: [ReportTest] = []
        var names: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let before = file.diagnostics.count
            let test = parseCase(item, index: index, &context, &file)
            if let test {
                if let line = names[test.name] {
                    file.error("test name '\(test.name)' is already used on line \(line) of this file", at: item)
                    continue
                }
                names[test.name] = test.line
            }
            if file.diagnostics[before...].contains(where: { $0.severity == .error }) { continue }
            if let test { tests.append(test) }
        }
        return (tests, file.diagnostics)
    }

    /// What the cases of one file share: its folder, its defaults, and the reports read already
    /// (each checked once, so a broken report shared by every case is reported once).
    struct FileContext {
        var base: String
        var defaults: Fields
        var reports: [String: ReportDefinition?]
    }

    func parseCase(_ node: Node, index: Int, _ context: inout FileContext, _ file: inout YAMLFile) -> ReportTest? {
        guard let f = file.fields(node, what: "a test", allowed: Self.caseKeys) else { return nil }
        var name = "test \(index + 1)"
        if let n = f["name"], let text = file.string(n, "the test's 'name'") { name = text }
        func setting(_ key: String, _ hint: String) -> Node? {
            if let node = f[key] ?? context.defaults[key] { return node }
            file.error("test '\(name)' needs '\(key)' (here or at the top of the file): \(hint)", at: node)
            return nil
        }
        let reportNode = setting("report", "a report file (relative to this file) or an inline report definition")
        let datasetNode = setting("dataset", "a data file (relative to this file), or {rows: [...]}")
        let slotNode = setting("slot", "the time of the run it stands for, e.g. 2026-11-23T06:00")
        guard let expectNode = f["expect"] else {
            file.error("test '\(name)' needs 'expect': {rows: [...]} or {error: TEXT}", at: node)
            return nil
        }
        guard let reportNode, let datasetNode, let slotNode else { return nil }

        // The report's dataset gives the fixture its schema, unless the fixture brings its own.
        var reportFile: YAMLFile
        switch reportNode {
        case .mapping:
            reportFile = file
            reportFile.root = reportNode
            reportFile.diagnostics = []
        default:
            guard let path = file.path(reportNode, "'report'") else { return nil }
            let resolved = DisplayPath.resolve(path, against: context.base)
            guard FileManager.default.isReadableFile(atPath: resolved) else {
                file.error("cannot read the report file '\(path)' (\(DisplayPath.of(resolved)))", at: reportNode)
                return nil
            }
            reportFile = YAMLFile(path: resolved)
        }
        let datasetName = Self.datasetName(of: reportFile.root)
        guard let fixture = parseFixture(datasetNode, datasetName: datasetName, context.base, &file) else {
            return nil
        }
        let key =
            "\(reportFile.path):\(reportNode.mark?.line ?? 0):\(reportNode.mark?.column ?? 0)|\(fixture.dataset.schemaPath)"
        let report: ReportDefinition?
        if let known = context.reports[key] {
            report = known
        } else {
            var checked = daemon
            checked.datasets.removeAll { $0.name == fixture.dataset.name }
            checked.datasets.append(fixture.dataset)
            let (definition, _) = ConfigLoader(calculators: daemon.calculators, writers: daemon.writers, sources: daemon.sources, plugins: nil).parseReport(
                &reportFile, daemon: checked)
            file.diagnostics += reportFile.diagnostics
            report = reportFile.hasErrors ? nil : definition
            context.reports[key] = report
        }
        guard let report else { return nil }

        let schema = fixture.dataset.schema
        for row in fixture.rows {
            for column in row.cells.keys.sorted() where schema.column(named: column) == nil {
                var message = "unknown column '\(column)' in a fixture row (dataset '\(fixture.dataset.name)')"
                if let guess = closestMatch(to: column, among: schema.columnNames) {
                    message += " (did you mean '\(guess)'?)"
                }
                file.error(message, line: row.line, column: row.column)
            }
        }

        var slot: Date?
        if let text = file.string(slotNode, "'slot'") {
            let zone = TimeZone(identifier: report.timezone) ?? TimeZone(identifier: "UTC")!
            slot = LocalTime.parse(text, in: zone)
            if slot == nil {
                file.error(
                    "'slot' must be a time such as 2026-11-23T06:00 (in the report's time zone, \(report.timezone)) or 2026-11-23T06:00:00+07:00, not '\(text)'",
                    at: slotNode)
            }
        }
        let expectation = parseExpectation(expectNode, report: report, &file)
        guard let slot, let expectation else { return nil }
        return ReportTest(
            file: file.displayPath, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, name: name,
            report: report, fixture: fixture, slot: slot, expectation: expectation)
    }

    /// The `dataset:` value of a report mapping, read without checking it (the report's own check
    /// reports any problem with it).
    static func datasetName(of root: Node?) -> String? {
        guard case .mapping(let mapping)? = root else { return nil }
        for (key, value) in mapping {
            if case .scalar(let k) = key, k.string == "dataset", case .scalar(let s) = value { return s.string }
        }
        return nil
    }

    // MARK: Fixture

    func parseFixture(_ node: Node, datasetName: String?, _ base: String, _ file: inout YAMLFile) -> ReportTest.Fixture?
    {
        var fields: Fields?
        if case .scalar = node {
            fields = nil
        } else {
            // The source kinds' own keys too (`encoding`, `delimiter`, `sheet`): a fixture may be a
            // Windows CSV or one sheet of a workbook, as the dataset it stands in for.
            var allowed = Self.datasetKeys
            for kind in daemon.sources.kinds {
                for key in type(of: kind).settingsKeys where !allowed.contains(key) { allowed.append(key) }
            }
            guard let f = file.fields(node, what: "'dataset'", allowed: allowed) else { return nil }
            fields = f
        }
        let configured = datasetName.flatMap { daemon.dataset(named: $0) }
        var schema = configured?.schema
        var schemaPath = configured?.schemaPath ?? file.path
        if let schemaNode = fields?["schema"] {
            var schemaFile: YAMLFile
            if case .mapping = schemaNode {
                schemaFile = file
                schemaFile.root = schemaNode
                schemaFile.diagnostics = []
            } else {
                guard let text = file.path(schemaNode, "'schema'") else { return nil }
                let resolved = DisplayPath.resolve(text, against: base)
                guard FileManager.default.isReadableFile(atPath: resolved) else {
                    file.error("cannot read the schema file '\(text)' (\(DisplayPath.of(resolved)))", at: schemaNode)
                    return nil
                }
                schemaFile = YAMLFile(path: resolved)
            }
            schema = SchemaLoader.parse(&schemaFile)
            schemaPath = schemaFile.path
            file.diagnostics += schemaFile.diagnostics
            if schemaFile.hasErrors { return nil }
        }
        guard let schema else {
            // The report's own check says when its dataset is missing or unknown.
            if let datasetName {
                var message = "the report's dataset '\(datasetName)' is not in the daemon config"
                if let guess = closestMatch(to: datasetName, among: daemon.datasets.map(\.name)) {
                    message += " (did you mean '\(guess)'?)"
                }
                file.error(message + ": give the fixture a 'schema'", at: node)
            }
            return nil
        }

        var dataPath: String?
        if let fields {
            if let p = fields["path"] { dataPath = file.path(p, "'path'") }
        } else {
            dataPath = file.path(node, "'dataset'")
        }
        var format = daemon.sources.formats.first ?? "csv"
        if let dataPath, let claimed = daemon.sources.format(forPath: dataPath) { format = claimed }
        if let f = fields?["format"], let v = file.choice(f, "'format'", among: daemon.sources.formats) { format = v }
        var onBadRows = configured?.onBadRows ?? .fail
        if let f = fields?["on_bad_rows"], let v = file.choice(f, "'on_bad_rows'", as: DatasetConfig.BadRows.self) {
            onBadRows = v
        }
        var resolved = file.path
        if let dataPath {
            resolved = DisplayPath.resolve(dataPath, against: base)
            if !FileManager.default.isReadableFile(atPath: resolved) {
                file.error(
                    "cannot read the fixture data file '\(dataPath)' (\(DisplayPath.of(resolved)))",
                    at: fields?["path"] ?? node)
                return nil
            }
        }
        var rows: [ReportTest.InlineRow] = []
        if let rowsNode = fields?["rows"] {
            guard case .sequence(let items) = rowsNode else {
                file.error("'rows' must be a list of rows, each a mapping of column to value", at: rowsNode)
                return nil
            }
            for item in items {
                guard let cells = parseCells(item, what: "a fixture row", &file) else { continue }
                rows.append(
                    ReportTest.InlineRow(
                        line: item.mark?.line ?? 0, column: item.mark?.column ?? 0,
                        cells: Dictionary(cells.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })))
            }
        } else if dataPath == nil, fields != nil {
            file.error("'dataset' needs 'path' (a data file), 'rows' (rows written here), or both", at: node)
            return nil
        }
        var dataset = DatasetConfig(
            name: datasetName ?? "fixture", format: format, path: resolved, schemaPath: schemaPath, schema: schema,
            onBadRows: onBadRows)
        // A fixture of the configured dataset's format reads as that dataset does (its encoding,
        // delimiter or sheet), unless the fixture says otherwise.
        if let configured, configured.format == format { dataset.options = configured.options }
        if let fields, let kind = daemon.sources.kind(for: format) {
            let own = type(of: kind).settingsKeys
            for kind in daemon.sources.kinds where type(of: kind).format != format {
                for key in type(of: kind).settingsKeys where !own.contains(key) {
                    if let extra = fields[key] {
                        file.error("the fixture's '\(key)' is for \(type(of: kind).format) data, not \(format)", at: extra)
                        return nil
                    }
                }
            }
            if own.contains(where: { fields[$0] != nil }) {
                var reader = YAMLSettings(file: file, fields: fields, prefix: "")
                type(of: kind).readSettings(&reader, into: &dataset)
                let before = file.diagnostics.count
                file = reader.file
                if file.diagnostics.count > before { return nil }
            }
        }
        return ReportTest.Fixture(
            dataset: dataset, hasFile: dataPath != nil, rows: rows, source: daemon.sources.source(for: dataset))
    }

    /// The cells of one row mapping, in the order written; each value a scalar.
    func parseCells(_ node: Node, what: String, _ file: inout YAMLFile) -> [(name: String, value: ExpectedCell)]? {
        guard let f = file.fields(node, what: what, allowed: []) else { return nil }
        var cells: [(name: String, value: ExpectedCell)] = []
        for entry in f.entries {
            guard case .scalar(let s) = entry.value else {
                file.error("'\(entry.name)' in \(what) must be a single value", at: entry.value)
                continue
            }
            let isNull = s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
            cells.append((NFC.normalize(entry.name), isNull ? .null : ExpectedCell(NFC.normalize(s.string))))
        }
        return cells
    }

    // MARK: Expectation

    func parseExpectation(_ node: Node, report: ReportDefinition, _ file: inout YAMLFile) -> ReportTest.Expectation? {
        guard let f = file.fields(node, what: "'expect'", allowed: Self.expectKeys) else { return nil }
        if let errorNode = f["error"] {
            for key in ["rows", "totals", "ordered", "tolerance"] {
                if let other = f.keyNode(key) {
                    file.error("'expect' gives 'error' (the run must fail), so '\(key)' has no use here", at: other)
                }
            }
            return file.string(errorNode, "'error' (text the run's error must contain)").map { .error($0) }
        }
        guard let rowsNode = f["rows"] else {
            file.error("'expect' needs 'rows' (the rows the run must give) or 'error' (text of the error)", at: node)
            return nil
        }
        let columns = report.groupBy + report.outputMetricNames
        var expected = ReportTest.ExpectedRows(rows: [])
        if let n = f["ordered"], let v = file.bool(n, "'ordered'") { expected.ordered = v }
        if let n = f["tolerance"] {
            if case .scalar(let s) = n, s.style == .plain, let v = Double(s.string), v >= 0, v.isFinite {
                expected.tolerance = v
            } else {
                file.error("'tolerance' must be a number of 0 or more, such as 0.01", at: n)
            }
        }
        if case .sequence(let items) = rowsNode {
            for item in items {
                if let row = parseExpectedRow(item, columns: columns, what: "an expected row", &file) {
                    expected.rows.append(row)
                }
            }
        } else {
            file.error("'rows' must be a list of rows, each a mapping of column to value ([] for none)", at: rowsNode)
        }
        if let totalsNode = f["totals"] {
            if !report.totals {
                file.error(
                    "'totals' is checked but report '\(report.name)' computes none (it has no 'totals: true')",
                    at: f.keyNode("totals") ?? totalsNode)
            } else {
                expected.totals = parseExpectedRow(
                    totalsNode, columns: report.outputMetricNames, what: "'totals'", &file)
            }
        }
        return .rows(expected)
    }

    /// An expected row: every column of the result, and no other.
    func parseExpectedRow(_ node: Node, columns: [String], what: String, _ file: inout YAMLFile)
        -> ReportTest.ExpectedRow?
    {
        guard let cells = parseCells(node, what: what, &file), case .mapping(let mapping) = node else { return nil }
        var bad = false
        for (key, _) in mapping {
            guard case .scalar(let k) = key, !columns.contains(k.string) else { continue }
            var message = "unknown column '\(k.string)' in \(what)"
            if let guess = closestMatch(to: k.string, among: columns) { message += " (did you mean '\(guess)'?)" }
            file.error(message + "; the result's columns are: \(columns.joined(separator: ", "))", at: key)
            bad = true
        }
        let missing = columns.filter { name in !cells.contains { $0.name == name } }
        if !missing.isEmpty {
            file.error(
                "\(what) lacks \(missing.map { "'\($0)'" }.joined(separator: ", ")): give every column of the result (null for an empty one)",
                at: node)
            bad = true
        }
        return bad
            ? nil : ReportTest.ExpectedRow(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, cells: cells)
    }
}
