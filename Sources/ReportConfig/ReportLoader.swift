import Foundation
public import ReportCore
import Yams

extension ConfigLoader {
    static let reportKeys = [
        "name", "title", "description", "dataset", "schedule", "timezone", "catch_up", "overlap", "retries", "retry_delay",
        "timeout",
        "filter", "group_by", "metrics", "sort", "limit", "totals", "formats", "csv", "locale", "chart",
        "period", "compare", "cumulative", "deliver", "owners", "split_by", "split_max", "publish_when", "alerts",
    ]
    static let sortKeys = ["by", "order"]
    /// The keys of a metric that are not calculator parameters.
    static let metricKeys: Set<String> = ["name", "calc", "unit", "label"]

    /// The outcome of loading one report file: its definition when valid, and its diagnostics.
    public struct ReportFileResult: Sendable {
        public var path: String
        public var report: LoadedReport?
        public var diagnostics: [Diagnostic]
        var nameMark: Mark?
        /// The report's name as the file gives it, when it is a valid name: set for invalid files too.
        public var name: String?
        /// Calculators the file names that are neither built in nor provided by a loaded plugin.
        public var unknownCalculators: [String] = []
        /// False for the entry that says the reports folder could not be listed.
        public var isReportFile = true

        public init(
            path: String, report: LoadedReport?, diagnostics: [Diagnostic], name: String? = nil,
            unknownCalculators: [String] = [], isReportFile: Bool = true
        ) {
            self.path = path
            self.report = report
            self.diagnostics = diagnostics
            self.name = name ?? report?.definition.name
            self.unknownCalculators = unknownCalculators
            self.isReportFile = isReportFile
        }

        init(path: String, report: LoadedReport?, diagnostics: [Diagnostic], nameMark: Mark?) {
            self.init(path: path, report: report, diagnostics: diagnostics)
            self.nameMark = nameMark
        }

        /// The first error, which messages and `status` quote.
        public var firstError: Diagnostic? { diagnostics.first { $0.severity == .error } }
    }

    /// Loads and checks one report definition against the daemon config (datasets, time zone).
    public func loadReport(path: String, daemon: DaemonConfig) -> ReportFileResult {
        checkReport(YAMLFile(path: path), daemon: daemon)
    }

    /// Checks one report file that was read and composed already.
    func checkReport(_ composed: YAMLFile, daemon: DaemonConfig) -> ReportFileResult {
        var file = composed
        let (definition, nameMark) = parseReport(&file, daemon: daemon)
        guard let definition, !file.hasErrors else {
            var result = ReportFileResult(
                path: file.path, report: nil, diagnostics: file.diagnostics, name: Self.declaredName(file),
                unknownCalculators: file.unknownCalculators)
            result.nameMark = nameMark
            return result
        }
        return ReportFileResult(
            path: file.path, report: LoadedReport(definition: definition, file: file.path, digest: file.digest),
            diagnostics: file.diagnostics, nameMark: nameMark)
    }

    /// The `name` of an invalid report file, when it is there and a valid name.
    static func declaredName(_ file: YAMLFile) -> String? {
        let key: String = "name"
        guard case .mapping(let mapping)? = file.root, case .scalar(let scalar)? = mapping[key],
            ReportDefinition.isValidName(scalar.string)
        else { return nil }
        return scalar.string
    }

    func parseReport(_ file: inout YAMLFile, daemon: DaemonConfig) -> (ReportDefinition?, Mark?) {
        guard let root = file.root, let f = file.fields(root, what: "the report", allowed: Self.reportKeys) else {
            return (nil, nil)
        }
        func required(_ key: String, _ hint: String) -> Node? {
            if let node = f[key] { return node }
            file.error("the report needs '\(key)': \(hint)", at: root)
            return nil
        }
        // Name: it names a folder under the output root, so it is checked strictly.
        var name: String?
        let nameNode = required("name", "a unique name such as funding-by-program")
        if let node = nameNode, let text = file.string(node, "'name'") {
            if ReportDefinition.isValidName(text) {
                name = text
            } else if text.utf8.count > ReportDefinition.maximumNameLength {
                file.error(
                    "report name is \(text.utf8.count) bytes long; at most \(ReportDefinition.maximumNameLength) (it names a folder and its files)",
                    at: node)
            } else {
                file.error(
                    "report name '\(text.escapingControlCharacters)' must match [a-z0-9][a-z0-9_-]* (lower-case letters, digits, '-' and '_'; it names a folder)",
                    at: node)
            }
        }
        let what = name.map { "report '\($0)'" } ?? "the report"
        let title = f["title"].flatMap { file.string($0, "'title'") } ?? name ?? ""

        // Dataset.
        var dataset: DatasetConfig?
        if let node = required("dataset", "the name of a dataset in the daemon config"),
            let text = file.string(node, "'dataset'")
        {
            dataset = daemon.dataset(named: text)
            if dataset == nil {
                var message = "unknown dataset '\(text)' in \(what)"
                if let guess = closestMatch(to: text, among: daemon.datasets.map(\.name)) {
                    message += " (did you mean '\(guess)'?)"
                } else {
                    message += " (the daemon config defines: \(daemon.datasets.map(\.name).joined(separator: ", ")))"
                }
                file.error(message, at: node)
            } else if let reason = dataset?.unreadable {
                // `serve` started while the dataset's server did not answer: without its columns
                // the report cannot be checked (nor its filter compiled).
                file.error("\(reason): \(what) is loaded once the dataset can be read (reportd tries again)", at: node)
                dataset = nil
            }
        }

        // Schedule.
        var schedule: Schedule?
        let scheduleNode = f["schedule"]
        if let node = required("schedule", "a 5-field cron expression, @daily, or 'every 15m'"),
            let text = file.string(node, "'schedule'")
        {
            do {
                schedule = try Schedule.parse(text)
            } catch {
                let (line, column) = file.position(in: node, offset: error.offset)
                file.error("invalid schedule '\(text)': \(error.message)", line: line, column: column)
            }
        }

        var timezone = daemon.timezone
        if let node = f["timezone"], let tz = file.string(node, "'timezone'") {
            if TimeZone(identifier: tz) == nil {
                file.error("unknown time zone '\(tz)': use an IANA name such as Asia/Ho_Chi_Minh", at: node)
            } else {
                timezone = tz
            }
        }
        if let schedule, let scheduleNode, let zone = TimeZone(identifier: timezone) {
            for warning in schedule.warnings(in: zone) { file.warning(warning, at: scheduleNode) }
        }

        // A schema still to be read from a database server checks no column here (`validate`
        // without `--connect`); `run`, `serve` and `validate --connect` read it first.
        let schema = dataset?.schemaDeferred == true ? nil : dataset?.schema
        // Group columns.
        var groupBy: [String] = []
        if let node = f["group_by"], let list = file.stringList(node, "'group_by'") {
            for (column, itemNode) in list {
                if let schema { checkColumn(column, in: schema, at: itemNode, &file, role: "group_by") }
                if groupBy.contains(column) {
                    file.error("column '\(column)' is listed twice in group_by", at: itemNode)
                }
                groupBy.append(column)
            }
        }

        // Filter.
        var filter: CompiledFilter?
        if let node = f["filter"], let text = file.string(node, "'filter'"), let schema {
            switch CompiledFilter.compile(text, schema: schema) {
            case .success(let compiled): filter = compiled
            case .failure(let list):
                for e in list.errors {
                    let (line, column) = file.position(in: node, offset: e.offset)
                    file.error("filter: \(e.message)", line: line, column: column)
                }
            }
        }

        // Metrics.
        var metrics: [MetricDefinition] = []
        if let node = required("metrics", "a list of {name, calc, ...}") {
            if case .sequence(let seq) = node, !seq.isEmpty {
                // A set, kept as metrics are added: the list rebuilt for each metric made a report
                // of 20,000 metrics take minutes to validate (issue 13).
                var taken = Set(groupBy)
                for item in seq {
                    if let m = parseMetric(
                        item, registry: daemon.calculators, plugins: daemon.pluginsDirectory != nil, schema: schema,
                        groupBy: groupBy, taken: taken, &file)
                    {
                        metrics.append(m)
                        taken.insert(m.name)
                    }
                }
            } else {
                file.error("'metrics' must be a non-empty list of {name, calc, ...}", at: node)
            }
        }

        let period = parsePeriod(f, schema: schema, schedule: schedule, timezone: timezone, &file)
        if let period { checkPeriodColumns(period, metrics: metrics, groupBy: groupBy, at: root, &file) }

        var definition: ReportDefinition?
        if let name, let dataset, let schedule {
            var d = ReportDefinition(
                name: name, title: title, dataset: dataset.name, schedule: schedule, timezone: timezone,
                metrics: metrics)
            d.filter = filter
            d.groupBy = groupBy
            d.period = period
            // The daemon's output defaults (`output: {csv: ...}`), then the report's own keys.
            d.writerOptions = daemon.writerDefaults
            parseOptions(f, into: &d, &file)
            // A daemon-level `locale:` applies to every report that names none.
            if d.locale == nil { d.locale = daemon.locale }
            parseMailKeys(f, into: &d, daemon: daemon, &file)
            parseSplitKeys(f, into: &d, schema: schema, daemon: daemon, &file)
            definition = d
        } else {
            var scratch = ReportDefinition(
                name: "x", title: "", dataset: "", schedule: .every(seconds: 60), timezone: "UTC", metrics: [])
            scratch.groupBy = groupBy
            scratch.metrics = metrics
            parseOptions(f, into: &scratch, &file)
            parseMailKeys(f, into: &scratch, daemon: daemon, &file)
            parseSplitKeys(f, into: &scratch, schema: schema, daemon: daemon, &file)
        }
        return (file.hasErrors ? nil : definition, nameNode?.mark)
    }

    /// The options that need no dataset: sort, limit, totals, formats, CSV flavour, locale, run policy.
    private func parseOptions(_ f: Fields, into d: inout ReportDefinition, _ file: inout YAMLFile) {
        if let n = f["catch_up"], let v = file.choice(n, "'catch_up'", as: ReportDefinition.CatchUp.self) {
            d.catchUp = v
        }
        if let n = f["overlap"], let v = file.choice(n, "'overlap'", as: ReportDefinition.Overlap.self) {
            d.overlap = v
        }
        if let n = f["retries"], let v = file.int(n, "'retries'", range: 0...10) { d.retries = v }
        if let n = f["retry_delay"], let v = file.duration(n, "'retry_delay'") {
            if v > 3600 {
                file.error("'retry_delay' must be at most 1h (retries wait at most an hour apart)", at: n)
            } else {
                d.retryDelay = v
            }
        }
        if let n = f["timeout"], let v = file.duration(n, "'timeout'") { d.timeout = v }
        if let n = f["limit"], let v = file.int(n, "'limit'", range: 1...10_000_000) { d.limit = v }
        if let n = f["totals"], let v = file.bool(n, "'totals'") { d.totals = v }
        if let n = f["locale"] { d.locale = parseLocale(n, &file) }
        if let n = f["formats"], let list = file.stringList(n, "'formats'") {
            var formats: [OutputFormat] = []
            for (text, node) in list {
                if writers.writer(for: text) != nil {
                    if !formats.contains(text) { formats.append(text) }
                } else {
                    var message = "unknown format '\(text)' (use \(writers.formats.joined(separator: ", ")))"
                    if let guess = closestMatch(to: text, among: writers.formats) {
                        message += "; did you mean '\(guess)'?"
                    }
                    file.error(message, at: node)
                }
            }
            if formats.isEmpty, list.isEmpty { file.error("'formats' lists no format", at: n) }
            d.formats = formats
        }
        // Writers with keys of their own (`csv:`) read them through the settings protocol.
        for writer in writers.writers {
            guard let configurable = type(of: writer) as? any ConfigurableWriter.Type,
                let n = f[configurable.settingsKey],
                let fields = file.fields(n, what: "'\(configurable.settingsKey)'", allowed: configurable.settingsKeys)
            else { continue }
            var settings = YAMLSettings(file: file, fields: fields, prefix: configurable.settingsKey)
            configurable.readSettings(&settings, into: &d)
            file = settings.file
        }
        if let n = f["sort"] {
            let columns = d.groupBy + d.outputMetricNames
            var items: [Node] = []
            if case .sequence(let seq) = n { items = Array(seq) } else { items = [n] }
            for item in items {
                var column: String?
                var descending = false
                var columnNode = item
                if case .scalar = item {
                    column = file.string(item, "a sort key")
                } else if let s = file.fields(item, what: "a sort key", allowed: Self.sortKeys) {
                    if let by = s["by"] {
                        column = file.string(by, "'by'")
                        columnNode = by
                    } else {
                        file.error("a sort key needs 'by', a group or metric column", at: item)
                    }
                    if let o = s["order"], let text = file.string(o, "'order'") {
                        if let order = SortKey.orders.first(where: { $0.key == text }) {
                            descending = order.value
                        } else {
                            var message = "'order' must be asc or desc, not '\(text)'"
                            if let guess = closestMatch(to: text, among: SortKey.orderNames) {
                                message += " (did you mean '\(guess)'?)"
                            }
                            file.error(message, at: o)
                        }
                    }
                }
                guard let column else { continue }
                if !columns.contains(column) {
                    var message = "cannot sort by '\(column)': it is neither a group_by column nor a metric"
                    if let guess = closestMatch(to: column, among: columns) { message += " (did you mean '\(guess)'?)" }
                    file.error(message, at: columnNode)
                }
                d.sort.append(SortKey(column: column, descending: descending))
            }
        }
    }

    private func parseMetric(
        _ node: Node, registry: CalculatorRegistry, plugins: Bool, schema: DatasetSchema?, groupBy: [String],
        taken: Set<String>,
        _ file: inout YAMLFile
    ) -> MetricDefinition? {
        guard let f = file.fields(node, what: "a metric", allowed: []) else { return nil }
        guard let nameNode = f["name"], let name = file.string(nameNode, "the metric's 'name'") else {
            if f["name"] == nil { file.error("each metric needs 'name', its output column", at: node) }
            return nil
        }
        if taken.contains(name) { file.error("output column '\(name)' is defined twice", at: nameNode) }
        guard let calcNode = f["calc"], let calc = file.string(calcNode, "'calc'") else {
            if f["calc"] == nil {
                file.error(
                    "metric '\(name)' needs 'calc', one of the calculators listed by 'reportd calculators'", at: node)
            }
            return nil
        }
        var parameters: [String: ParameterValue] = [:]
        var unit: TextUnit?
        if let node = f["unit"] { unit = file.choice(node, "'unit'", as: TextUnit.self) }
        var label: String?
        if let node = f["label"] { label = file.label(node, "the label of metric '\(name)'") }
        for entry in f.entries where !Self.metricKeys.contains(entry.name) {
            guard case .scalar(let s) = entry.value else {
                file.error("parameter '\(entry.name)' of metric '\(name)' must be a single value", at: entry.value)
                continue
            }
            if s.style == .plain, let number = Double(s.string) {
                parameters[entry.name] = .number(number)
            } else {
                parameters[entry.name] = .string(NFC.normalize(s.string))
            }
        }
        var metric = MetricDefinition(name: name, calc: calc, parameters: MetricParameters(parameters))
        metric.unit = unit
        metric.label = label
        // Without the plugins started, a calculator that is not built in may be one of theirs (when
        // the config has a plugins folder; without one, it is unknown all the same).
        if let schema, startsPlugins || !plugins || registry[calc] != nil {
            if registry[calc] == nil { file.unknownCalculators.append(calc) }
            if case .failure(let problems) = registry.check(metric, schema: schema, groupBy: groupBy) {
                for problem in problems.errors {
                    let at: Node
                    switch problem.parameter {
                    case "calc": at = calcNode
                    case let p?:
                        at =
                            (problem.message.hasPrefix("calculator '\(calc)' has no parameter") ? f.keyNode(p) : f[p])
                            ?? node
                    case nil: at = node
                    }
                    file.error("metric '\(name)': \(problem.message)", at: at)
                }
            }
        }
        return metric
    }

    private func checkColumn(
        _ column: String, in schema: DatasetSchema, at node: Node, _ file: inout YAMLFile, role: String
    ) {
        guard schema.column(named: column) == nil else { return }
        var message = "unknown column '\(column)' in \(role)"
        if let guess = closestMatch(to: column, among: schema.columnNames) {
            message += " (did you mean '\(guess)'?)"
        } else {
            message += " (the dataset's columns are \(schema.columnNames.joined(separator: ", ")))"
        }
        file.error(message, at: node)
    }
}
