public import Foundation
public import ReportCore

/// reportd's version, recorded in every run record and shown by `reportd --version`.
public enum ReportdVersion {
    public static let current = "0.7.0"
}

/// The result of one report run: how it ended, with everything the run history records about it.
public struct RunResult: Sendable {
    public var report: String
    /// The slot as local time with its UTC offset (`2026-11-29T06:00:00+07:00`).
    public var slot: String
    public var slotDate: Date
    public var started: Date
    /// Seconds from the start of the run to its end (publish included).
    public var duration: TimeInterval
    /// The files published, in publish order, paths relative to the output root.
    public var files: [PublishedFile]
    /// The dataset's figures, when it was read.
    public var dataset: DatasetFigures?
    /// The dataset file's fast checksum (16 hex digits), which is computed on every read, for when
    /// no output asked for its SHA-256.
    public var datasetChecksum: String?
    /// The calculators the report's metrics use, with who provides them (built-in with reportd's
    /// version, or a plugin with its declared version).
    public var calculators: [CalculatorUse]
    public var error: String?
    /// What kind of failure `error` is: whether a retry can help.
    public var failure: RunFailure?
    /// The period the run reported on, for a report with `period:`.
    public var period: PeriodRecord?
    /// The run did not start: another process was running the report and the lock was refused.
    public var refused = false
    /// The cluster node that ran it (`cluster:`); nil on a single node.
    public var node: String?
    /// Why nothing ran here for this slot although it was due (`cluster:`): the run is neither
    /// recorded nor retried.
    public var skipped: RunSkip?
    /// The report's `publish_when` was false: the run completed and published nothing of the whole
    /// report (its condition, for the history and the log).
    public var skippedCondition: String?
    /// The whole report's figures, when the run computed them: what its alerts are checked against.
    public var figures: RunFigures?
    /// The period's label, or nil without `period:` (an alert's `{period}`).
    public var periodLabel: String?
    /// With `split_by`: each value's outputs.
    public var splitOutputs: [SplitOutput] = []
    /// With `email_by_value`: the values that have no address and no `"*"` fallback.
    public var unaddressedValues: [String] = []

    public var succeeded: Bool { error == nil }

    public init(
        report: String, slot: String, slotDate: Date, started: Date, duration: TimeInterval = 0,
        files: [PublishedFile] = [], dataset: DatasetFigures? = nil, datasetChecksum: String? = nil,
        calculators: [CalculatorUse] = [], error: String? = nil
    ) {
        self.report = report
        self.slot = slot
        self.slotDate = slotDate
        self.started = started
        self.duration = duration
        self.files = files
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.calculators = calculators
        self.error = error
    }
}

/// One value's outputs of a split report (`NAME/<slug>/`).
public struct SplitOutput: Sendable, Codable, Equatable {
    /// The value (NFC); empty for the null and blank values (`_empty`).
    public var value: String
    public var slug: String
    public var title: String
    /// The files published, paths relative to the output root (none when its `publish_when` was false).
    public var files: [PublishedFile]
    /// Its `publish_when` was false.
    public var skipped: Bool

    public init(value: String, slug: String, title: String, files: [PublishedFile], skipped: Bool) {
        self.value = value
        self.slug = slug
        self.title = title
        self.files = files
        self.skipped = skipped
    }
}

/// A calculator a run used and who provides it.
public struct CalculatorUse: Sendable, Codable, Equatable {
    public var name: String
    /// A built-in module with reportd's version (`CalcSum (reportd 0.7.0)`), or a plugin with the
    /// version it declared (`plugin hhi 1.0.0`).
    public var provider: String

    public init(name: String, provider: String) {
        self.name = name
        self.provider = provider
    }
}

extension CalculatorRegistry {
    /// The calculators `definition` uses, each once, in the order of its metrics.
    public func uses(by definition: ReportDefinition) -> [CalculatorUse] {
        var seen: Set<String> = []
        let providers = Dictionary(descriptors.map { ($0.name, $0.provider) }, uniquingKeysWith: { a, _ in a })
        return definition.metrics.compactMap { metric in
            guard seen.insert(metric.calc).inserted else { return nil }
            var provider = providers[metric.calc] ?? "unknown"
            if !provider.hasPrefix("plugin ") { provider += " (reportd \(ReportdVersion.current))" }
            return CalculatorUse(name: metric.calc, provider: provider)
        }
    }
}

/// Why a node of a cluster ran nothing for a slot that came due.
public enum RunSkip: Sendable, Equatable {
    /// Another node has claimed the slot or completed it (named when known).
    case elsewhere(node: String?, done: Bool)
    /// The cluster's database could not be reached: no node can claim; the slot is caught up by
    /// `catch_up` when it returns.
    case unreachable(String)
    /// This node ran it but lost its claim before publishing (paused past its lease, or the
    /// database went away): nothing was published; another node runs the slot.
    case lostClaim(String)
}
