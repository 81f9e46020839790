import Dispatch
public import Foundation
public import Logging
public import ReportCore
import ReportFiles
public import ReportState
public import ReportPublish
public import ReportConfig

/// Runs reports once: reads each dataset once for all the reports that use it, computes, publishes.
public struct ReportRunner: Sendable {
    public let config: DaemonConfig
    public let engine: ReportEngine
    public let logger: Logger
    /// Datasets kept between runs (`serve`); `nil` reads the file every time.
    public var cache: DatasetCache?
    /// How a run meets another process running the same report (the per-report lock in the state
    /// folder); `nil` takes no lock.
    public var lockMode: ReportLock.Mode?
    /// The database snapshots that the runs of one slot share (`serve`); `nil`: each `runOne`
    /// opens its own.
    public var snapshots: DatasetSnapshots?
    /// What reports remember between runs (split slugs, published fingerprints, alert states): the
    /// state folder's, unless a cluster gives its own.
    public var memory: any ReportMemory

    /// - Parameter calculators: the calculators to compute with; the config's own (built-in and
    ///   plugins) when not given.
    public init(config: DaemonConfig, calculators: CalculatorRegistry? = nil, logger: Logger) {
        self.config = config
        self.engine = ReportEngine(calculators: calculators ?? config.calculators)
        self.logger = logger
        self.memory = FolderReportMemory(stateDirectory: config.stateDirectory)
    }

    /// Runs `reports` for the slot `date` (the start time, for a manual run), reading each dataset
    /// once for all the reports that use it.
    ///
    /// One run is every report of the call: the reports over one database dataset read one
    /// snapshot of it (`DatasetSource.openSnapshot()`), opened before the first report's read and
    /// closed after the last one's, also when a read fails.
    public func run(_ reports: [LoadedReport], at date: Date) -> [RunResult] {
        var datasets: [String: Result<LoadedDataset, DatasetError>] = [:]
        // A database dataset's reads, per report: each reads its own rows (filter, period).
        var own: [Int: Result<LoadedDataset, DatasetError>] = [:]
        var pushed: [Int: Result<ReportResult, DatasetError>] = [:]
        var seen: Set<String> = []
        for report in reports {
            let name = report.definition.dataset
            guard seen.insert(name).inserted, let config = config.dataset(named: name) else { continue }
            let users = reports.indices.filter { reports[$0].definition.dataset == name }
            let sourceResult = source(of: config)
            if case .success(let source) = sourceResult {
                switch Result(catching: { () throws(DatasetError) in try source.openSnapshot() }) {
                case .failure(let error):
                    datasets[name] = .failure(error)
                    continue
                case .success(let snapshot?):
                    defer { snapshot.close() }
                    for i in users {
                        let (read, computed) = through(snapshot, reports[i].definition, slot: date, config: config)
                        own[i] = read
                        pushed[i] = computed
                    }
                    continue
                case .success(nil):
                    break
                }
                // The reports the source computes itself (a database's GROUP BY) read no column.
                for i in users {
                    pushed[i] = Self.pushdown(reports[i].definition, source)
                }
            }
            // One read for every report of this run on the dataset (a shared scan), keeping the
            // columns they read.
            let readers = users.filter { pushed[$0] == nil }.map { reports[$0] }
            let columns = readers.reduce(into: Set<String>()) { $0.formUnion($1.definition.columnsRead(in: config.schema)) }
            let checksum = readers.contains { $0.definition.showsChecksum(self.config.writers) }
            datasets[name] = sourceResult.flatMap { load($0, columns: columns, checksum: checksum) }
        }
        // What the reports computed over one read have in common (the rows a filter keeps, group
        // ids, identical metrics) is computed once for all of them (`SharedWork`).
        var sharing: [String: SharedWork] = [:]
        for (name, read) in datasets {
            guard case .success(let dataset) = read else { continue }
            let plans = reports.indices.filter {
                reports[$0].definition.dataset == name && own[$0] == nil && pushed[$0] == nil
            }.map { i in
                let definition = reports[i].definition
                let slot = SlotTime(date: date, timeZone: Self.zone(of: definition))
                return engine.sharedWork(
                    for: Self.computing(definition), on: dataset.table, slot: slot.date, in: slot.timeZone)
            }
            sharing[name] = SharedWork(table: dataset.table, plans: plans)
        }
        // The reports then compute and publish side by side, one per core: each only reads the
        // shared columns.
        let outcomes = Locked([RunResult?](repeating: nil, count: reports.count))
        let loaded = datasets
        let owned = own
        let computed = pushed
        let shared = sharing
        let order = Self.startOrder(reports.map(\.definition), calculators: engine.calculators)
        DispatchQueue.concurrentPerform(iterations: reports.count) { n in
            let i = order[n]
            let definition = reports[i].definition
            let outcome = execute(
                definition, dataset: owned[i] ?? loaded[definition.dataset], pushed: computed[i], slot: date,
                shouldPublish: { true }, sharing: owned[i] == nil ? shared[definition.dataset] : nil)
            outcomes.withLock { $0[i] = outcome }
        }
        return outcomes.withLock { $0.map { $0! } }
    }

    /// The order in which the reports of a run start computing: the likely costliest first, the
    /// rest in the order given (ties keep it).
    ///
    /// Why (issue 20): the reports compute side by side, one per core, each core taking the next
    /// report when it is done. Started in name order, the report with a filter came last in the
    /// 10M-row benchmark and computed alone for its last 100 ms while the other core had nothing
    /// left: longest first is the classic remedy (LPT scheduling). The cost is guessed from the
    /// definition and what its calculators say they are: a pass over the rows for a metric that
    /// accumulates in one pass (`OnePassCalculator`), three for one that gathers values (a
    /// `QuantileCalculator`, and any other: row lists, plugins), two for a filter, one more per
    /// grouping column after the first. Which report starts first changes no result.
    static func startOrder(_ definitions: [ReportDefinition], calculators: CalculatorRegistry) -> [Int] {
        func passes(_ metric: MetricDefinition) -> Int {
            let calculator = calculators[metric.calc]
            return calculator is any OnePassCalculator && !(calculator is any QuantileCalculator) ? 1 : 3
        }
        func cost(_ d: ReportDefinition) -> Int {
            1 + d.metrics.reduce(0) { $0 + passes($1) } + (d.filter == nil ? 0 : 2) + max(0, d.groupBy.count - 1)
        }
        let costs = definitions.map(cost)
        return definitions.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    }

    /// A report's work done through a database snapshot: computed there (pushdown) with the
    /// source's row count, or its own rows read (the columns it reads, the rows its filter and
    /// period keep) for the engine.
    func through(_ snapshot: any DatasetSnapshot, _ definition: ReportDefinition, slot: Date, config: DatasetConfig)
        -> (read: Result<LoadedDataset, DatasetError>, pushed: Result<ReportResult, DatasetError>?)
    {
        let zone = TimeZone(identifier: definition.timezone) ?? TimeZone(identifier: "UTC")!
        let period = definition.period?.runPeriod(slot: slot, in: zone)
        let computed: Result<ReportResult, DatasetError>?
        switch Result(catching: { () throws(DatasetError) in
            definition.computedByEngineOnly ? nil : try snapshot.compute(definition, period: period)
        }) {
        case .success(let result?): computed = .success(result)
        case .success(nil): computed = nil
        case .failure(let error): return (.failure(error), .failure(error))
        }
        let started = Date()
        let read = Result { () throws(DatasetError) in
            computed != nil
                ? try snapshot.read(columns: [], selection: .all)
                : try snapshot.read(
                    columns: definition.columnsRead(in: config.schema), selection: .of(definition, period: period))
        }
        if computed == nil, case .success(let d) = read {
            logger.debug(
                "dataset read",
                metadata: [
                    "dataset.name": "\(config.name)", "dataset.rows": "\(d.table.rowCount)",
                    "duration.ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                ])
        }
        return (read, computed)
    }

    /// Runs one report for `slot`, reading its dataset.
    ///
    /// - Parameters:
    ///   - columns: the dataset columns to keep in memory: the report's own at least; the daemon
    ///     passes those of all its reports on the dataset, so that one cached read serves them all.
    ///   - shouldPublish: asked just before the files are published; a run that was
    ///     stopped (timeout, shutdown) answers false and publishes nothing.
    ///   - gate: asked immediately before the files are renamed into place (see `PublishGate`).
    public func runOne(
        _ definition: ReportDefinition, slot: Date, columns: Set<String>? = nil, shouldPublish: @Sendable () -> Bool,
        gate: PublishGate? = nil
    ) -> RunResult {
        let started = Date()
        var pushed: Result<ReportResult, DatasetError>?
        var lease: DatasetSnapshots.Lease?
        defer { lease?.release() }
        let dataset = config.dataset(named: definition.dataset).map { dataset -> Result<LoadedDataset, DatasetError> in
            let checksum = definition.showsChecksum(config.writers)
            return source(of: dataset).flatMap { source in
                // A database dataset: the snapshot of the slot, shared with the reports of the
                // same slot that run with this one (`snapshots`), or one of its own.
                let pool = snapshots ?? DatasetSnapshots()
                switch pool.acquire(source, slot: slot) {
                case .failure(let error): return .failure(error)
                case .success(let leased?):
                    lease = leased
                    let (read, computed) = through(leased.snapshot, definition, slot: slot, config: dataset)
                    pushed = computed
                    return read
                case .success(nil): break
                }
                pushed = Self.pushdown(definition, source)
                // A report its source computes reads no column.
                let needed = pushed != nil ? [] : definition.columnsRead(in: dataset.schema).union(columns ?? [])
                return cache?.load(source, columns: needed, checksum: checksum)
                    ?? load(source, columns: needed, checksum: checksum)
            }
        }
        lease?.release()
        lease = nil
        return execute(
            definition, dataset: dataset, pushed: pushed, slot: slot, started: started, shouldPublish: shouldPublish,
            gate: gate)
    }

    /// The report as its source computes it (pushdown), or nil when the engine computes it.
    static func pushdown(_ definition: ReportDefinition, _ source: any DatasetSource)
        -> Result<ReportResult, DatasetError>?
    {
        // A split report computes each value over the rows read (see `computedByEngineOnly`).
        if definition.computedByEngineOnly { return nil }
        switch Result(catching: { () throws(DatasetError) in try source.compute(definition) }) {
        case .success(let result?): return .success(result)
        case .success(nil): return nil
        case .failure(let error): return .failure(error)
        }
    }

    /// The source registered for `dataset`'s format (config validation admits no other).
    private func source(of dataset: DatasetConfig) -> Result<any DatasetSource, DatasetError> {
        guard let source = config.sources.source(for: dataset) else {
            return .failure(
                DatasetError(
                    file: DisplayPath.of(dataset.path), line: 0, column: 0,
                    message: "no reader for the dataset format '\(dataset.format)'"))
        }
        return .success(source)
    }

    private func load(_ dataset: any DatasetSource, columns: Set<String>?, checksum: Bool)
        -> Result<LoadedDataset, DatasetError>
    {
        let started = Date()
        let result = Result { () throws(DatasetError) in
            try dataset.read(columns: columns, selection: .all, provenance: checksum)
        }
        if case .success(let d) = result {
            logger.debug(
                "dataset loaded",
                metadata: [
                    "dataset.name": "\(dataset.name)", "dataset.rows": "\(d.table.rowCount)",
                    "dataset.rejected": "\(d.rejected.count)",
                    "duration.ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                ])
        }
        return result
    }

    private func execute(
        _ definition: ReportDefinition, dataset: Result<LoadedDataset, DatasetError>?,
        pushed: Result<ReportResult, DatasetError>? = nil, slot date: Date, started: Date = Date(),
        shouldPublish: () -> Bool, gate: PublishGate? = nil, sharing: SharedWork? = nil
    ) -> RunResult {
        let zone = Self.zone(of: definition)
        let slot = SlotTime(date: date, timeZone: zone)
        var log = logger
        log[metadataKey: "report.name"] = "\(definition.name)"
        log[metadataKey: "report.slot"] = "\(slot.iso8601)"
        var outcome = RunResult(
            report: definition.name, slot: slot.iso8601, slotDate: date, started: started,
            calculators: engine.calculators.uses(by: definition))
        do {
            // The lock is held until this run has published (or failed).
            let (lock, loaded) = try plan(definition, dataset: dataset)
            defer { withExtendedLifetime(lock) {} }
            // A database dataset has no file to checksum: its history names its snapshot instead.
            outcome.datasetChecksum = loaded.provenance == nil ? String(format: "%016llx", loaded.fingerprint) : nil
            try runOne(
                definition, dataset: loaded, pushed: try pushed?.get(), slot: slot, into: &outcome,
                shouldPublish: shouldPublish, gate: gate, sharing: sharing)
            outcome.duration = Date().timeIntervalSince(started)
            log.info(
                outcome.skippedCondition == nil ? "report published" : "report skipped (condition)",
                metadata: [
                    "output.path": "\(config.outputRoot)/\(definition.name)", "output.files": "\(outcome.files.count)",
                    "duration.ms": "\(Int(outcome.duration * 1000))",
                    "run.outcome": "\(outcome.skippedCondition == nil ? "success" : "skipped")",
                ])
        } catch {
            outcome.error = "\(error)"
            outcome.failure = Self.kind(of: error)
            outcome.refused = error is RunLockError
            outcome.duration = Date().timeIntervalSince(started)
            log.error("report failed: \(error)", metadata: ["run.outcome": "failed"])
        }
        return outcome
    }

    /// The first step: takes the report's lock (held by the caller until the run has published or
    /// failed) and the dataset the run reads.
    private func plan(_ definition: ReportDefinition, dataset: Result<LoadedDataset, DatasetError>?) throws
        -> (lock: ReportLock?, dataset: LoadedDataset)
    {
        let lock = try lockMode.flatMap { mode throws(RunLockError) in
            try ReportLock.acquire(stateDirectory: config.stateDirectory, report: definition.name, mode: mode)
        }
        guard let dataset else {
            throw RunError(report: definition.name, message: "unknown dataset '\(definition.dataset)'")
        }
        return (lock, try dataset.get())
    }

    /// Computes, renders and publishes one report, then records it in its manifest and the root's
    /// index; notes the dataset's figures and the published files (paths relative to the output
    /// root) in `outcome`.
    func runOne(
        _ definition: ReportDefinition, dataset: LoadedDataset, pushed: ReportResult? = nil, slot: SlotTime,
        into outcome: inout RunResult, shouldPublish: () -> Bool, gate: PublishGate? = nil, sharing: SharedWork? = nil
    ) throws {
        let (definition, computed) = try compute(
            definition, dataset: dataset, pushed: pushed, slot: slot, into: &outcome, sharing: sharing)
        let needsChanged = definition.conditionsReadChanged
        let whole = try decide(
            definition.publishWhen, result: computed, report: definition.name, splitValue: nil,
            needsChanged: needsChanged)
        outcome.figures = whole.figures
        outcome.periodLabel = outcome.period?.label
        // Totals computed for the conditions alone are not shown.
        var result = computed
        if !definition.totals { result.totals = nil }
        // Each value's report, computed before anything is published: too many values publish nothing.
        var parts: [(value: SplitValue, slug: String, result: ReportResult)] = []
        if let split = definition.split {
            let (values, blanks) = try Self.splitValues(definition, table: dataset.table, slot: slot)
            if values.count > split.max {
                throw RunError(
                    report: definition.name,
                    message: "split_by '\(split.column)' gives \(values.count) values, more than split_max "
                        + "(\(split.max)): nothing published (is it the column meant?)")
            }
            let slugs = try slugs(for: values, report: definition.name)
            var computing = definition
            computing.totals = definition.totals || definition.conditionsReadTotals
            for value in values {
                let restricted = computing.restricted(to: value.value, blanks: blanks)
                let valueResult = try engine.execute(restricted, on: dataset.table, slot: slot.date, in: slot.timeZone)
                parts.append((value, slugs[value.key] ?? SplitSlug.empty, valueResult))
            }
        }
        if whole.publish {
            let (slotFiles, latest) = try render(definition, result: result, dataset: dataset, slot: slot, into: outcome)
            let (publisher, latestStamp) = try publish(
                definition, slotFiles: slotFiles, latest: latest, slot: slot, into: &outcome,
                shouldPublish: shouldPublish, gate: gate)
            try record(definition, publisher: publisher, latest: latestStamp, slot: slot, outcome: outcome)
            if needsChanged { try remember(whole.fingerprint, result: computed, report: definition.name, splitValue: nil) }
        } else {
            outcome.skippedCondition = definition.publishWhen?.source
            logger.notice(
                "skipped (condition): publish_when is false (\(definition.publishWhen?.source ?? "")), nothing of the whole report published",
                metadata: ["report.name": "\(definition.name)"])
        }
        guard definition.split != nil else { return }
        for part in parts {
            let decided = try decide(
                definition.publishWhen, result: part.result, report: definition.name, splitValue: part.value.key,
                needsChanged: needsChanged)
            var valueDefinition = definition
            let shown = part.value.key.isEmpty ? "(empty)" : part.value.key
            valueDefinition.title = "\(definition.title) — \(shown)"
            guard decided.publish else {
                outcome.splitOutputs.append(
                    SplitOutput(value: part.value.key, slug: part.slug, title: valueDefinition.title, files: [], skipped: true))
                continue
            }
            var valueResult = part.result
            if !definition.totals { valueResult.totals = nil }
            var valueOutcome = outcome
            valueOutcome.dataset?.rowsUsed = part.result.rowsUsed
            var (slotFiles, latest) = try render(
                valueDefinition, result: valueResult, dataset: dataset, slot: slot, into: valueOutcome,
                split: (definition.split!.column, part.value.key))
            // The rejected rows are the whole report's, published once.
            slotFiles.removeAll { $0.name.hasSuffix(".rejected.csv") }
            guard shouldPublish() else {
                throw RunError(
                    report: definition.name, message: "stopped before publishing (timeout or shutdown)", kind: .stopped)
            }
            let files = try publishValue(
                definition, slug: part.slug, slotFiles: slotFiles, latest: latest, slot: slot, gate: gate)
            if needsChanged {
                try remember(decided.fingerprint, result: part.result, report: definition.name, splitValue: part.value.key)
            }
            outcome.splitOutputs.append(
                SplitOutput(value: part.value.key, slug: part.slug, title: valueDefinition.title, files: files, skipped: false))
        }
        // The history lists the values' files after the whole report's.
        outcome.files += outcome.splitOutputs.flatMap(\.files)
        // `email_by_value`: a value with no address and no "*" is named, never dropped silently.
        let byValue = definition.deliveries.compactMap(\.byValue)
        if !byValue.isEmpty {
            outcome.unaddressedValues = outcome.splitOutputs.filter { output in
                !output.skipped && !byValue.contains { $0[output.value] != nil || $0["*"] != nil }
            }.map(\.value)
            if !outcome.unaddressedValues.isEmpty {
                let named = outcome.unaddressedValues.map { "'\($0)'" }.joined(separator: ", ")
                logger.warning(
                    "email_by_value has no address and no \"*\" for \(named): their files are published, not mailed",
                    metadata: ["report.name": "\(definition.name)"])
            }
        }
        let everySlug = try memory.slugAssignments(report: definition.name).merging(
            parts.map { ($0.value.key, $0.slug) }, uniquingKeysWith: { a, _ in a })
        do {
            try writeSplitIndex(
                definition, slugs: everySlug, extensions: definition.formats.map(config.writers.fileExtension(of:)),
                slot: slot)
        } catch {
            logger.warning("could not write \(definition.name)/index.html: \(error)")
        }
    }

    /// The report computed by its source (pushdown) or by the engine over the dataset, with its
    /// title in the period's words.
    private func compute(
        _ definition: ReportDefinition, dataset: LoadedDataset, pushed: ReportResult?, slot: SlotTime,
        into outcome: inout RunResult, sharing: SharedWork?
    ) throws -> (ReportDefinition, ReportResult) {
        var result =
            try pushed
            ?? engine.execute(
                Self.computing(definition), on: dataset.table, slot: slot.date, in: slot.timeZone, sharing: sharing)
        // The period's label in the title and the outputs, in the report's language.
        var definition = definition
        definition.locale = definition.locale ?? config.locale
        definition.title = PeriodText.title(definition.title, period: result.period, locale: definition.locale)
        // A read that kept only the report's rows knows the whole source's figures.
        if let selected = dataset.selected, result.period != nil, pushed == nil {
            result.rowsOutsidePeriod = selected.rowsWithoutDate
        }
        let figures = DatasetFigures(
            name: definition.dataset, rows: dataset.selected?.sourceRows ?? dataset.table.rowCount,
            rowsUsed: result.rowsUsed, rowsRejected: dataset.rejected.count, sha256: dataset.sha256,
            provenance: dataset.provenance)
        outcome.dataset = figures
        outcome.period = result.period.map { PeriodRecord($0, locale: definition.locale) }
        return (definition, result)
    }

    /// The report as the engine computes it: with totals also when only the conditions read them
    /// (they are not shown then).
    static func computing(_ definition: ReportDefinition) -> ReportDefinition {
        var computing = definition
        computing.totals = definition.totals || definition.conditionsReadTotals
        return computing
    }

    /// The time zone of the report's slots.
    static func zone(of definition: ReportDefinition) -> TimeZone {
        TimeZone(identifier: definition.timezone) ?? TimeZone(identifier: "UTC")!
    }

    /// Each format's bytes: the files of the slot, and the `latest.*` copies.
    func render(
        _ definition: ReportDefinition, result: ReportResult, dataset: LoadedDataset, slot: SlotTime,
        into outcome: RunResult, split: (column: String, value: String)? = nil
    ) throws -> (slotFiles: [Publisher.File], latest: [Publisher.File]) {
        let figures = outcome.dataset!
        var context = RunContext(
            report: definition, slot: slot.iso8601, stamp: slot.stamp,
            generatedAt: SlotTime(date: Date(), timeZone: slot.timeZone).iso8601, dataset: figures,
            locale: definition.locale ?? config.locale)
        context.split = split
        var slotFiles: [Publisher.File] = []
        var latest: [Publisher.File] = []
        for format in definition.formats {
            guard let writer = config.writers.writer(for: format) else {
                throw RunError(report: definition.name, message: "no writer for the format '\(format)'")
            }
            let bytes: [UInt8]
            do { bytes = try writer.render(result, context: context) } catch {
                throw RunError(
                    report: definition.name, message: "cannot write its \(format) output: \(error)", kind: .calculation)
            }
            let fileExtension = type(of: writer).fileExtension
            slotFiles.append(
                Publisher.File(name: "\(definition.name)_\(slot.stamp).\(fileExtension)", bytes: bytes))
            latest.append(Publisher.File(name: "latest.\(fileExtension)", bytes: bytes))
        }
        if !dataset.rejected.isEmpty {
            slotFiles.append(
                Publisher.File(name: "\(definition.name)_\(slot.stamp).rejected.csv", bytes: Self.rejectedCSV(dataset)))
        }
        return (slotFiles, latest)
    }

    /// Publishes the files (the slot's first, `latest.*` last) and applies retention; returns the
    /// publisher and the stamp `latest.*` name.
    private func publish(
        _ definition: ReportDefinition, slotFiles: [Publisher.File], latest: [Publisher.File], slot: SlotTime,
        into outcome: inout RunResult, shouldPublish: () -> Bool, gate: PublishGate?
    ) throws -> (Publisher, String) {
        var latest = latest
        guard shouldPublish() else {
            throw RunError(
                report: definition.name, message: "stopped before publishing (timeout or shutdown)", kind: .stopped)
        }
        var publisher = Publisher(root: config.outputRoot, permissions: config.outputPermissions)
        publisher.timeZone = slot.timeZone
        // Runs are ordered by the instants the manifest recorded, this one's included; names reportd
        // did not write are ignored (see `Publisher.runInstants`).
        publisher.runInstants = publisher.manifestRuns(of: definition.name)?.merging([slot.stamp: slot.date]) { $1 }
        // `latest.*` are the newest slot's files: a backfill of an older slot, or a retry that
        // succeeds after later slots did, publishes its own files only.
        var latestStamp = slot.stamp
        if let newest = try publisher.newestRun(of: definition.name), newest != slot.stamp,
            let newestInstant = publisher.instant(of: newest), newestInstant > slot.date
        {
            latest = []
            latestStamp = newest
            logger.info(
                "an older slot than the newest published: latest.* stay the newest slot's",
                metadata: ["output.latest": "\(newest)"])
        }
        // Slot files first, `latest.*` last: `latest` always names a run whose files are all in place.
        // The folder is synced once, by the manifest's write that follows (`record`), which makes
        // these renames durable with it; every way out before it syncs the folder itself.
        let leftovers = try syncingOnFailure(publisher, definition.name) {
            try publisher.publishLeavingFolderUnsynced(report: definition.name, files: slotFiles + latest, gate: gate)
        }
        if !leftovers.isEmpty {
            logger.notice(
                "removed temporary files left by an interrupted run",
                metadata: ["output.path": "\(config.outputRoot)/\(definition.name)", "output.removed": "\(leftovers)"])
        }
        outcome.files = (slotFiles + latest).map { PublishedFile(path: "\(definition.name)/\($0.name)", contents: $0.bytes) }
        let removed = try syncingOnFailure(publisher, definition.name) {
            try publisher.applyRetention(report: definition.name, keep: config.keep, protecting: slot.stamp)
        }
        if !removed.isEmpty {
            logger.debug("retention removed old runs", metadata: ["output.removed": "\(removed.count)"])
        }
        return (publisher, latestStamp)
    }

    /// `body`'s result; when it throws, the report's folder is synced first, so that the renames
    /// `publish` left to the manifest's write to sync are durable on every way out.
    private func syncingOnFailure<T>(_ publisher: Publisher, _ report: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            try? publisher.syncFolder(report: report)
            throw error
        }
    }

    /// Records the run in the report's manifest and updates the output root's index.
    private func record(
        _ definition: ReportDefinition, publisher: Publisher, latest latestStamp: String, slot: SlotTime,
        outcome: RunResult
    ) throws {
        let known = Dictionary(
            outcome.files.map { (String($0.path.dropFirst(definition.name.count + 1)), $0) }, uniquingKeysWith: { $1 })
        // Its atomic write syncs the report's folder, and so the run's renames (`publish`).
        try syncingOnFailure(publisher, definition.name) {
            try publisher.writeManifest(
                report: definition.name, title: definition.title,
                extensions: definition.formats.map(config.writers.fileExtension(of:)), latest: latestStamp,
                known: known, updatedAt: SlotTime(date: Date(), timeZone: slot.timeZone).iso8601,
                periods: outcome.period.map { [slot.stamp: $0] } ?? [:])
        }
        // The root's index.html; a failure to write it is logged, the run's own files are published.
        do {
            try OutputIndex.update(
                after: definition, extensions: config.writers.writers.map { type(of: $0).fileExtension },
                outputRoot: config.outputRoot, permissions: config.outputPermissions,
                stateDirectory: config.stateDirectory, timeZone: TimeZone(identifier: config.timezone) ?? slot.timeZone,
                locale: ReportLocale(config.locale))
        } catch {
            logger.warning(
                "could not update \(OutputIndex.fileName): \(error)", metadata: ["output.path": "\(error.path)"])
        }
    }

    /// The kind of a run's failure, from the error that ended it.
    static func kind(of error: any Error) -> RunFailure {
        switch error {
        case let error as RunError: return error.kind
        case is DatasetError: return .data
        case is RunLockError: return .refused
        default: return .io
        }
    }

    /// The rejected rows with their line and reason, then the row's fields under the file's header.
    static func rejectedCSV(_ dataset: LoadedDataset) -> [UInt8] {
        var text = (["line", "reason"] + dataset.header).map(CSVText.field).joined(separator: ",") + "\n"
        for row in dataset.rejected {
            text +=
                ([String(row.line), row.reason] + row.fields.map(CSVText.neutralized)).map(CSVText.field)
                .joined(separator: ",") + "\n"
        }
        return Array(text.utf8)
    }
}

extension ReportDefinition {
    /// Whether an output of this report shows the dataset's SHA-256 (JSON, text and HTML do, CSV does
    /// not): a run whose reports all write CSV alone skips computing it.
    func showsChecksum(_ writers: WriterRegistry) -> Bool {
        formats.contains { format in writers.writer(for: format).map { type(of: $0).showsDatasetChecksum } ?? true }
    }
}
