/// One report, as loaded from `reports.d/NAME.yaml` and checked against its dataset's schema.
public struct ReportDefinition: Sendable {
    public enum CatchUp: String, Sendable, CaseIterable { case none, once, all }
    public enum Overlap: String, Sendable, CaseIterable { case skip, queue }

    public var name: String
    public var title: String
    public var dataset: String
    public var schedule: Schedule
    /// IANA time zone name; the daemon's when the report names none.
    public var timezone: String
    public var catchUp: CatchUp = .once
    public var overlap: Overlap = .skip
    public var retries: Int = 0
    /// Seconds before the first retry (`retry_delay`); each later retry waits twice as long as the
    /// one before, at most an hour.
    public var retryDelay: Int = 30
    /// Seconds; `nil` means no limit.
    public var timeout: Int?
    public var filter: CompiledFilter?
    public var groupBy: [String] = []
    public var metrics: [MetricDefinition]
    public var sort: [SortKey] = []
    public var limit: Int?
    public var totals: Bool = false
    public var formats: [OutputFormat] = ReportDefinition.defaultFormats
    /// The report's language (`locale:`, one of `ReportLocale.known`): the words text and HTML add,
    /// number grouping (`vi-VN` gives `4.700.000.000`) and string order. nil: the daemon's, else en-US.
    public var locale: String?
    /// What writers read from their own keys (`csv:`, `chart:`), by writer (see `ConfigurableWriter`).
    public var writerOptions = WriterOptions()
    /// The period each run reports on (`period:`, `compare:`, `cumulative:`); nil: the whole dataset.
    public var period: PeriodRule?
    /// Who gets the outputs by mail after each successful publish (`deliver:`).
    public var deliveries: [Delivery] = []
    /// Who is told when the report fails after its retries or misses a slot (`owners:`); nil: the
    /// daemon's `owners:`.
    public var owners: [MailAddress]?
    /// One set of outputs per value of a column besides the whole report's (`split_by`, `split_max`).
    public var split: SplitRule?
    /// Published only when this holds over the run's figures (`publish_when`); nil: always.
    public var publishWhen: FiguresCondition?
    /// Conditions over the figures told to people when they become true and when they clear (`alerts`).
    public var alerts: [ReportAlert] = []

    public init(
        name: String, title: String, dataset: String, schedule: Schedule, timezone: String, metrics: [MetricDefinition]
    ) {
        self.name = name
        self.title = title
        self.dataset = dataset
        self.schedule = schedule
        self.timezone = timezone
        self.metrics = metrics
    }

    /// The longest report name, in bytes: with the slot stamp, the extension and the temporary
    /// file's suffix, every file name built from it stays well under the file system's 255.
    public static let maximumNameLength = 128

    /// Whether `name` may name a report (and so a folder and its files): `[a-z0-9][a-z0-9_-]*`, at
    /// most `maximumNameLength` bytes. No `/`, `..`, leading `.`, control character or upper case
    /// (two names differing in case would share a folder on a case-insensitive share).
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLowerAlnum(first), name.utf8.count <= maximumNameLength else {
            return false
        }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
}

/// An output file format: the name of a registered `ReportWriter` (`csv`, `json`, `text`, `html`),
/// checked against the writer registry when a report is loaded.
public typealias OutputFormat = String

extension ReportDefinition {
    /// The formats of a report that names none: csv, json and text (html only when asked for).
    public static let defaultFormats: [OutputFormat] = ["csv", "json", "text"]
}

/// One metric of a report: an output column computed by a calculator.
extension ReportDefinition {
    /// The columns of `schema` that computing this report reads: its group columns, its filter's
    /// columns, and every metric parameter that names a column. A dataset can be read keeping only
    /// these in memory.
    public func columnsRead(in schema: DatasetSchema) -> Set<String> {
        var names = Set(groupBy).union(filter?.columns ?? [])
        if let period { names.insert(period.dateColumn) }
        if let split { names.insert(split.column) }
        for metric in metrics {
            for case .string(let value) in metric.parameters.values.values where schema.column(named: value) != nil {
                names.insert(value)
            }
        }
        return names
    }
}

public struct MetricDefinition: Sendable {
    public var name: String
    public var calc: String
    public var parameters: MetricParameters
    /// How text output shows the amounts (`unit: billion_vnd` gives "4,75 tỷ đồng"); CSV and JSON
    /// always carry the exact number.
    public var unit: TextUnit?
    /// What outputs for people (text, HTML, spreadsheets) call the metric's column (`label:`); nil: its name.
    public var label: String?

    public init(name: String, calc: String, parameters: MetricParameters) {
        self.name = name
        self.calc = calc
        self.parameters = parameters
    }
}

/// A unit for amounts in text output, for reading rather than computing.
public enum TextUnit: String, Sendable, CaseIterable {
    /// Billions of đồng: "4,75 tỷ đồng".
    case billionVND = "billion_vnd"
    /// Millions of đồng: "4.745,2 triệu đồng".
    case millionVND = "million_vnd"

    public var divisor: Double { self == .billionVND ? 1e9 : 1e6 }
    public var label: String { self == .billionVND ? "tỷ đồng" : "triệu đồng" }
}

/// One sort key: a group or metric column, ascending or descending. Nulls sort last.
public struct SortKey: Sendable, Hashable {
    public var column: String
    public var descending: Bool

    public init(column: String, descending: Bool) {
        self.column = column
        self.descending = descending
    }

    /// The words `order:` takes, and whether each sorts descending: `asc`/`desc` as the docs write
    /// them, and the spelled-out words as synonyms (accepted by the loader and the JSON Schema alike).
    public static let orders: KeyValuePairs<String, Bool> = [
        "asc": false, "desc": true, "ascending": false, "descending": true,
    ]
    public static var orderNames: [String] { orders.map(\.key) }
}
